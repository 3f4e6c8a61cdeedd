#!/usr/bin/env bash
# Run Beam's Flink job server in the foreground, for `--runner flink` against a
# long-lived job server or to submit to a Flink cluster:
#   deploy/runners/flink-job-server.sh [FLINK_MASTER] [JOB_PORT]
# FLINK_MASTER is `[local]` (embedded Flink, the default) or `host:8081` of a cluster.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
classpath="$("$here/install-flink.sh")"
master="${1:-[local]}"
port="${2:-8099}"
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$classpath" org.apache.beam.runners.flink.FlinkJobServerDriver \
  --flink-master="$master" --job-port="$port" --artifact-port=0 --expansion-port=0
