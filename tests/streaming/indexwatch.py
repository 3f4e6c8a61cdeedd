"""Watch an index from the outside: when did each published item become searchable."""

from __future__ import annotations

import threading
import time

from feedserver import NewsSite

from newsbeam.connectors.sinks import BackendSettings, open_backend
from newsbeam.pipelines.normalize.urls import canonical_url
from newsbeam.schemas import article_id_for_url


def article_id(site: NewsSite, item) -> str:
    return article_id_for_url(canonical_url(site.link(item)))


class IndexWatcher:
    """Polls the index every `period` seconds for the site's published items."""

    def __init__(self, site: NewsSite, settings: BackendSettings, period: float = 0.2) -> None:
        self.site = site
        self.settings = settings
        self.period = period
        self.searchable_at: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> IndexWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        backend = None
        try:
            while not self._stop.wait(self.period):
                if backend is None:
                    try:
                        backend = open_backend(self.settings)
                    except Exception:  # the index does not exist until the first write
                        continue
                pending = {article_id(self.site, i): i for i in list(self.site.items) if i.number not in self.searchable_at}
                now = time.time()
                for found in backend.known_article_ids(pending):
                    self.searchable_at[pending[found].number] = now
        finally:
            if backend is not None:
                backend.close()

    def latencies(self) -> list[float]:
        by_number = {i.number: i for i in self.site.items}
        return sorted(self.searchable_at[n] - by_number[n].published for n in self.searchable_at)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
