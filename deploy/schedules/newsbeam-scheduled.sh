#!/usr/bin/env bash
# One incremental pass over the feeds: fetch what is new since the last pass,
# deduplicate, cluster, index, exit. Cron, the systemd timer and the Airflow DAG
# in this folder all run this script, so they behave the same.
#
# It runs the batch `newsbeam ingest --feeds`, which is incremental through the
# connector state store in the data directory: unchanged feeds are asked with a
# conditional GET, seen items are skipped, and only new pages are fetched.
#
# Settings (environment):
#   NEWSBEAM_CONFIG    a configuration file (newsbeam.toml) naming the feeds, sitemaps
#                      and the index; or, without one:
#   NEWSBEAM_FEEDS     feed list file
#   NEWSBEAM_SITEMAPS  space-separated sitemap URLs (optional)
#   NEWSBEAM_SINCE     skip sitemap entries older than this, e.g. 2d (optional)
#   NEWSBEAM_DATA_DIR  embedded index folder, or NEWSBEAM_ES_URL for Elasticsearch
#   NEWSBEAM_BIN       the newsbeam command (default: newsbeam on PATH)
#
# A lock file keeps two passes from overlapping when one runs long.
set -euo pipefail
if [[ -z "${NEWSBEAM_FEEDS:-}" && -z "${NEWSBEAM_CONFIG:-}" ]]; then
  echo "newsbeam: set NEWSBEAM_CONFIG to a configuration file or NEWSBEAM_FEEDS to a feed list file" >&2
  exit 2
fi
lock="${NEWSBEAM_LOCK:-${NEWSBEAM_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/newsbeam}/.scheduled.lock}"
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if ! flock -n 9; then
  echo "newsbeam: previous scheduled pass still running; skipping this one" >&2
  exit 0
fi
args=(ingest)
if [[ -n "${NEWSBEAM_FEEDS:-}" ]]; then args+=(--feeds "$NEWSBEAM_FEEDS"); fi
for sitemap in ${NEWSBEAM_SITEMAPS:-}; do args+=(--sitemap "$sitemap"); done
if [[ -n "${NEWSBEAM_SINCE:-}" ]]; then args+=(--since "$NEWSBEAM_SINCE"); fi
# shellcheck disable=SC2086  # NEWSBEAM_BIN may be "python -m newsbeam"
${NEWSBEAM_BIN:-newsbeam} "${args[@]}"
