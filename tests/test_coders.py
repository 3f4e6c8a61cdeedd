"""The coder the pipelines group articles with: every field back as it was, and actually used."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import apache_beam as beam
import pytest
from apache_beam.coders import TupleCoder
from apache_beam.runners.pipeline_context import PipelineContext

from newsbeam.pipelines.assign import AssignConfig
from newsbeam.pipelines.coders import ArticleCoder
from newsbeam.pipelines.transforms import Assign
from newsbeam.schemas import Article

WHEN = datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("article", [
    Article("a1", "https://example.org/a1", "Tïtle", "Body — text\nwith lines", WHEN, "example.org", "de",
            "https://example.org/a1", ["Ann", "Bo"], WHEN.astimezone(timezone.utc), "0123456789abcdef" * 2,
            headlines=["Another headline", "Über eine dritte"]),
    Article("a2", "", "", "x"),
    Article("urn:wire:1", "", "Kill", "", WHEN, version=3, pubstatus="canceled", subjects=["medtop:04000000"],
            wire={"format": "newsml-g2", "signals": ["sig:correction"]}),
])
def test_an_article_comes_back_equal_alone_and_inside_a_group(article: Article) -> None:
    coder = ArticleCoder()
    assert coder.decode(coder.encode(article)) == article
    assert coder.decode(coder.encode(article)).published == article.published  # the offset too
    grouped = beam.coders.registry.get_coder(tuple[str, list[Article]])
    assert grouped.decode(grouped.encode(("de", [article, article]))) == ("de", [article, article])
    assert coder.is_deterministic() and coder.encode(article) == ArticleCoder().encode(article)


def test_the_assignment_groups_articles_with_it() -> None:
    pipeline = beam.Pipeline()
    _ = pipeline | beam.Create([]) | "Assign" >> Assign(AssignConfig(), None)
    proto = pipeline.to_runner_api().components
    keyed = next(pc for pc in proto.pcollections.values() if "Assign/KeyByLanguage" in pc.unique_name)
    coder = PipelineContext(proto).coders.get_by_id(keyed.coder_id)
    assert isinstance(coder, TupleCoder) and isinstance(coder._get_component_coders()[1], ArticleCoder)
