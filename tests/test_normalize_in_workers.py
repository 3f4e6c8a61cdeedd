"""The batch pipelines' normalizing step: in worker processes for long bundles, the same outcomes as in one."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.batch import new_pipeline
from newsbeam.pipelines.local import _PARALLEL_FROM
from newsbeam.pipelines.normalize import NormalizeLimits
from newsbeam.pipelines.transforms import DEAD, NormalizeInWorkersFn

COUNT = _PARALLEL_FROM + 300  # enough to fork the workers


def _records() -> list[RawRecord]:
    records = [RawRecord(f"in.jsonl:{i}", {"id": f"a{i}", "url": f"https://a.example/{i}", "title": f"Story {i}",
                                           "text": f"Body of story number {i}.", "published": "2026-03-02T08:00:00Z"})
               for i in range(COUNT)]
    for i in (5, COUNT - 1):
        records[i] = RawRecord(f"in.jsonl:{i}", {"id": f"a{i}", "text": "   "})
    return records


@pytest.mark.parametrize("workers", [1, 2])
def test_every_record_becomes_its_article_or_its_dead_letter(workers: int) -> None:
    with new_pipeline(None) as pipeline:
        normalized = (
            pipeline | beam.Create(_records())
            | beam.ParDo(NormalizeInWorkersFn(NormalizeLimits(), workers=workers)).with_outputs(DEAD, main="articles")
        )
        titles = normalized.articles | "Titles" >> beam.Map(lambda article: (article.id, article.title))
        assert_that(titles, equal_to([(f"a{i}", f"Story {i}") for i in range(COUNT) if i not in (5, COUNT - 1)]),
                    label="Articles")
        dead = normalized[DEAD] | "Reasons" >> beam.Map(lambda letter: (letter.origin, letter.reason))
        assert_that(dead, equal_to([("in.jsonl:5", "empty_text"), (f"in.jsonl:{COUNT - 1}", "empty_text")]),
                    label="Dead")


def test_strict_stops_at_a_bad_record_normalized_in_a_worker() -> None:
    with pytest.raises(Exception, match="empty_text"):
        with new_pipeline(None) as pipeline:
            _ = (pipeline | beam.Create(_records())
                 | beam.ParDo(NormalizeInWorkersFn(NormalizeLimits(), strict=True, workers=2))
                 .with_outputs(DEAD, main="articles"))
