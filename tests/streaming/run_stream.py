"""Run the streaming pipeline in its own process, so a test can kill it mid-flight.

usage: run_stream.py FEED_URL DATA_DIR RUN_FOR POLL_INTERVAL
"""

import json
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import LOCAL_FETCH  # noqa: E402

from newsbeam.connectors.sinks import BackendSettings
from newsbeam.pipelines.runners import RunnerSettings
from newsbeam.pipelines.streaming import StreamSettings, run

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

feed, data_dir, run_for, poll = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
# With NEWSBEAM_ES_URL (and NEWSBEAM_ES_INDEX_PREFIX) the job writes to Elasticsearch instead.
backend = BackendSettings(data_dir=data_dir, es_url=os.environ.get("NEWSBEAM_ES_URL"),
                          es_index_prefix=os.environ.get("NEWSBEAM_ES_INDEX_PREFIX", "newsbeam"))
settings = StreamSettings(
    feeds=(feed,), fetch=LOCAL_FETCH, backend=backend, poll_interval=poll, run_for=run_for, metrics_interval=5
)
print(json.dumps(run(settings, RunnerSettings(runner="prism"))), flush=True)
