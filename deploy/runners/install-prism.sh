#!/usr/bin/env bash
# Build Beam's Prism runner from the Go module proxy into ~/.cache/newsbeam/bin
# (or $NEWSBEAM_CACHE_DIR/bin), at the version the project's apache-beam pin needs.
# Idempotent: a cached binary returns at once. Prints the binary's path.
set -euo pipefail
PYTHON="${PYTHON:-python}"
exec "$PYTHON" -m newsbeam.pipelines.runner_cache prism
