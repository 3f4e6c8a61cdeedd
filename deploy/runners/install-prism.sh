#!/usr/bin/env bash
# Fetch Beam's Prism runner into ~/.cache/newsbeam/bin (or $NEWSBEAM_CACHE_DIR/bin), at the
# version the project's apache-beam pin needs: Beam's released binary where its URL answers
# (NEWSBEAM_PRISM_RELEASE_URL for a mirror), else a build from the Go module proxy (needs Go).
# Idempotent: a cached binary returns at once. Prints the binary's path.
set -euo pipefail
PYTHON="${PYTHON:-python}"
exec "$PYTHON" -m newsbeam.pipelines.runner_cache prism
