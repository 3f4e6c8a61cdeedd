#!/usr/bin/env bash
# Resolve Beam's Flink job server (runner + embedded Flink) from Maven Central into
# ~/.cache/newsbeam/flink (or $NEWSBEAM_CACHE_DIR/flink). Needs `mvn` and Java 11/17.
# Idempotent: a cached classpath returns at once. Prints the classpath.
set -euo pipefail
PYTHON="${PYTHON:-python}"
exec "$PYTHON" -m newsbeam.pipelines.runner_cache flink
