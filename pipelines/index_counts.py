"""`newsbeam_index_articles` and `newsbeam_index_events`: the index's size, for both metrics endpoints.

`newsbeam serve` and `newsbeam run` expose the same two gauges, read from the backend
when Prometheus scrapes, so they are the index's own counts whatever wrote to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class IndexCounts(Collector):
    """The index's article and event counts, asked of the backend at each scrape.

    An index that does not answer leaves both gauges out of the scrape rather than failing
    it, so the other metrics still arrive while the index is down.
    """

    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self._counts()
        except Exception:
            log.exception("metrics: the index did not answer with its counts")
            return
        yield GaugeMetricFamily("newsbeam_index_articles", "Articles stored in the index.", value=counts["articles"])
        yield GaugeMetricFamily("newsbeam_index_events", "Events stored in the index.", value=counts["events"])
