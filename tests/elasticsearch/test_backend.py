"""The Elasticsearch backend against a real node: upserts, merges, search, state, rejections."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from backend_corpus import check_filters, check_member_text_matches, check_paging, article, event_of, store, store_news

from newsbeam.connectors.sinks import IndexBackend, SearchQuery, StateChanges
from newsbeam.connectors.sinks.elasticsearch import BulkLimits, ElasticsearchBackend
from newsbeam.connectors.sinks.elasticsearch.indices import IndexNames, _ensure_kind, resolve_template, template_version
from newsbeam.connectors.sinks.elasticsearch.state import PENDING_CHUNK_BYTES, chunk_id, part_id
from newsbeam.schemas import DeadLetter

pytestmark = pytest.mark.integration


def test_is_an_index_backend(backend):
    assert isinstance(backend, IndexBackend)


def test_applying_templates_twice_changes_nothing(backend, settings):
    again = ElasticsearchBackend.from_settings(settings)
    assert again.indices == backend.indices
    aliases = backend.client.indices.get_alias(name=f"{settings.es_index_prefix}-*").body
    assert sorted(aliases) == sorted(backend.indices.values())


def test_mapping_change_goes_to_a_new_index_behind_the_alias(backend, settings):
    backend.write_articles([article("m1", "Old mapping", "kept across the move")])
    backend.refresh()
    names = IndexNames(settings.es_index_prefix)
    changed = resolve_template("articles", english=False)
    changed["mappings"]["properties"]["section"] = {"type": "keyword"}
    new_index = _ensure_kind(backend.client, names, "articles", changed, backend.retry)

    assert new_index != backend.indices["articles"]
    assert new_index == names.versioned("articles", template_version(changed))
    assert list(backend.client.indices.get_alias(name=names.articles).body) == [new_index]
    assert backend.get_article("m1")["title"] == "Old mapping"
    assert backend.counts()["articles"] == 1


def test_a_mapping_move_makes_every_article_s_search_terms(backend, settings):
    """An article written before search terms existed (no `*_terms`) is found once its index moves."""
    names = IndexNames(settings.es_index_prefix)
    old = article("old1", "Elections held in the north", "Voters went to the polls").to_json()
    backend.client.index(index=names.articles, id="old1", document=old, refresh=True)
    assert backend.search(SearchQuery("election")).total == 0
    changed = resolve_template("articles", english=False)
    changed["mappings"]["_meta"]["analysis"] = "an earlier analysis"
    _ensure_kind(backend.client, names, "articles", changed, backend.retry)
    backend.refresh()
    assert backend.search(SearchQuery("election")).total == 1
    assert "title_terms" not in backend.get_article("old1")


def test_rewriting_articles_and_events_changes_no_count(backend):
    members = [article(f"a{i}", f"Title {i}", f"Body {i}") for i in range(5)]
    event = store(backend, "ev-1", members)
    before = backend.counts()
    assert backend.write_articles(members) == []
    assert backend.write_events([event]) == []
    assert backend.counts() == before == {"articles": 5, "events": 1}
    assert backend.known_article_ids(["a0", "a4", "nope"]) == {"a0", "a4"}
    assert backend.get_article("a3")["event_id"] == "ev-1"
    assert [a["id"] for a in backend.articles_of_event("ev-1")] == [f"a{i}" for i in range(5)]


def test_bulk_batches_bounded_by_count_and_bytes(settings):
    small = ElasticsearchBackend.from_settings(settings, limits=BulkLimits(max_actions=7, max_bytes=4096, concurrency=2))
    docs = [article(f"b{i}", f"Bulk {i}", "x" * 500) for i in range(60)]
    assert small.write_articles(docs) == []
    assert small.counts()["articles"] == 60
    small.close()


def _bulk_requests(backend: ElasticsearchBackend) -> int:
    """Bulk requests the articles index has served (one per request: the index has one shard)."""
    stats = backend.client.indices.stats(index=backend.names.articles, metric="bulk")
    return int(stats["_all"]["primaries"]["bulk"]["total_operations"])


def test_a_pipeline_batch_goes_out_as_concurrent_requests(backend):
    docs = [article(f"r{i}", f"Request {i}", "split") for i in range(500)]
    assert backend.write_articles(docs) == []
    assert _bulk_requests(backend) == BulkLimits().concurrency
    assert backend.counts()["articles"] == 500


def test_refusals_from_every_request_of_a_call_are_reported(backend):
    docs = [article(f"q{i}", f"Refusal {i}", "text") for i in range(40)]
    for bad in (docs[0], docs[17], docs[39]):  # in the first, second and last of four requests
        bad.article.content_hash = "z" * 40_000
    dead = backend.write_articles(docs)
    assert sorted(d.origin for d in dead) == ["https://example.org/q0", "https://example.org/q17", "https://example.org/q39"]
    assert {d.reason for d in dead} == {"mapping_rejected"}
    assert backend.counts()["articles"] == 37


def test_the_last_version_of_a_document_in_a_call_wins(backend):
    for round_ in range(5):
        versions = [article("same", f"version {round_}-{v}", "text") for v in range(40)]  # ten per request
        assert backend.write_articles(versions) == []
        assert backend.get_article("same")["title"] == f"version {round_}-39"
    assert backend.counts()["articles"] == 1


def test_event_merge_absorbs_the_alias_and_moves_its_articles(backend):
    first = [article("m1", "Quake hits city", "A strong quake hit the city"), article("m2", "City quake", "Buildings fell")]
    second = [article("m3", "Earthquake aftermath", "Rescuers search rubble after the quake")]
    store(backend, "ev-old", first)
    store(backend, "ev-new", second)
    assert backend.counts()["events"] == 2

    survivor = event_of("ev-old", first + second, title="Quake hits city", aliases=["ev-new"])
    assert backend.write_events([survivor]) == []

    assert backend.counts() == {"articles": 3, "events": 1}
    assert backend.get_article("m3")["event_id"] == "ev-old"
    merged = backend.get_event("ev-new")
    assert merged is not None and merged.event_id == "ev-old"
    assert merged.article_ids == ["m1", "m2", "m3"] and merged.aliases == ["ev-new"]
    assert {a["id"] for a in backend.articles_of_event("ev-old")} == {"m1", "m2", "m3"}


def test_concurrent_writers_lose_no_article(settings):
    members = [article(f"c{i}", "Storm", f"storm report {i}", event="ev-storm") for i in range(8)]
    writers = [ElasticsearchBackend.from_settings(settings) for _ in range(4)]
    assert writers[0].write_articles(members) == []
    barrier = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def write(index: int, backend: ElasticsearchBackend) -> None:
        # Each writer saw the event with the first article plus two of its own.
        view = [members[0], members[1 + 2 * index], members[2 + 2 * index] if 2 + 2 * index < 8 else members[0]]
        try:
            barrier.wait(timeout=30)
            for _ in range(3):
                assert backend.write_events([event_of("ev-storm", view)]) == []
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i, w)) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    event = writers[0].get_event("ev-storm")
    assert sorted(event.article_ids) == sorted(m.article.id for m in members)
    assert writers[0].counts()["events"] == 1
    for w in writers:
        w.close()


def test_state_parts_round_trip(backend):
    assert backend.load_state("assign:en") == {}
    blob = bytes(range(256)) * 100
    backend.save_state("assign:en", StateChanges({"meta": b"v1", "seg:1": blob, "seg:2": b"two"}))
    backend.save_state("poll:https://example.org/feed", StateChanges({"validators": b"[]"}))
    assert backend.load_state("assign:en") == {"meta": b"v1", "seg:1": blob, "seg:2": b"two"}
    backend.save_state("assign:en", StateChanges({"meta": b"v2", "seg:3": b"three"}, frozenset({"seg:1"})))
    assert backend.load_state("assign:en") == {"meta": b"v2", "seg:2": b"two", "seg:3": b"three"}
    assert backend.load_state("poll:https://example.org/feed") == {"validators": b"[]"}
    backend.save_state("assign:de", StateChanges({"meta": b"v1"}))
    assert backend.state_keys("assign:") == ["assign:de", "assign:en"]
    assert backend.state_keys("poll:") == ["poll:https://example.org/feed"] and backend.state_keys("x") == []
    # Part data is kept as source only: the node cannot search it.
    mapping = backend.client.indices.get_mapping(index=backend.names.state).body
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["data"]["type"] == "binary" and properties["delta"]["enabled"] is False


def test_a_save_interrupted_after_its_commit_is_completed_by_the_next_load(backend, settings):
    backend.save_state("assign:en", StateChanges({"meta": b"v1", "seg:1": b"one", "seg:2": b"two"}))
    big = bytes(range(256)) * (PENDING_CHUNK_BYTES // 256 + 1)  # two pending chunks
    changes = StateChanges({"meta": b"v2", "seg:3": big, "seg:4": b"four"}, frozenset({"seg:1"}))
    # The process dies after the delta is committed, before it reaches the parts.
    backend.state.write_pending("assign:en", changes)
    restarted = ElasticsearchBackend.from_settings(settings)
    assert restarted.load_state("assign:en") == {"meta": b"v2", "seg:2": b"two", "seg:3": big, "seg:4": b"four"}
    # ... or half-way through applying it: some parts new, some old, the manifest still there.
    changes = StateChanges({"meta": b"v3", "seg:5": b"five"}, frozenset({"seg:2", "seg:3"}))
    restarted.state.write_pending("assign:en", changes)
    restarted.client.delete(index=restarted.names.state, id=part_id("assign:en", "seg:2"), refresh=True)
    again = ElasticsearchBackend.from_settings(settings)
    assert again.load_state("assign:en") == {"meta": b"v3", "seg:4": b"four", "seg:5": b"five"}
    # A delta written but never committed (no manifest) is not applied.
    chunk = {"key": "assign:en", "kind": "pending-chunk", "delta": {"upserts": [["meta", "djk="]]}}
    again.client.index(index=again.names.state, id=chunk_id("assign:en", 0), document=chunk, refresh=True)
    assert ElasticsearchBackend.from_settings(settings).load_state("assign:en")["meta"] == b"v3"
    for opened in (restarted, again):
        opened.client.close()


def test_assigner_state_resumes_from_elasticsearch(backend):
    from benchmarks.synthetic import StreamConfig, SyntheticStream
    from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner
    from newsbeam.pipelines.features import featurize
    from newsbeam.pipelines.normalize import normalize_record

    records = [record for record, _ in SyntheticStream(StreamConfig(articles=300, articles_per_day=60.0, seed=3))]
    articles = sorted((normalize_record(r) for r in records), key=lambda a: a.sort_key)
    whole = OnlineAssigner()
    expected = [whole.process(a, featurize(a)) for a in articles]
    assigner, got = OnlineAssigner(), []
    for n, item in enumerate(articles, 1):
        got.append(assigner.process(item, featurize(item)))
        if n % 25 == 0:
            backend.save_state("assign:en", assigner.state_changes())
        if n % 100 == 0:
            assigner = OnlineAssigner.restore(backend.load_state("assign:en"), AssignConfig())
    assert got == expected


def test_mapping_rejection_becomes_a_dead_letter(backend):
    good = article("ok1", "Fine", "fine")
    bad = article("bad1", "Too big a hash", "text")
    bad.article.content_hash = "z" * 40_000  # a keyword term over Lucene's 32 KB limit
    too_long_id = article("x" * 600, "Long id", "text")
    dead = backend.write_articles([good, bad, too_long_id])

    assert all(isinstance(d, DeadLetter) for d in dead)
    assert sorted(d.reason for d in dead) == ["mapping_rejected", "mapping_rejected"]
    by_origin = {d.origin: d for d in dead}
    assert "document_parsing_exception" in by_origin["https://example.org/bad1"].detail
    assert by_origin["https://example.org/bad1"].stage == "index"
    assert '"id": "bad1"' in by_origin["https://example.org/bad1"].raw
    assert backend.counts()["articles"] == 1
    assert backend.known_article_ids(["ok1", "bad1"]) == {"ok1"}


@pytest.fixture(scope="module")
def news(module_backend):
    backend = module_backend
    store_news(backend)
    backend.refresh()
    return backend


def test_search_ranks_the_matching_event_first_with_highlights(news):
    page = news.search(SearchQuery("Putin phone call"))
    assert page.total == 2  # the drone event's article mentions Putin and a phone too
    top = page.hits[0]
    assert top.event_id == "ev-call" and top.article_count == 2
    assert top.article_ids == ["p1", "p2"] and top.sources == ["a.example", "b.example"]
    assert "<mark>" in top.snippet and "</mark>" in top.snippet
    assert page.hits[0].score > page.hits[1].score


def test_search_matches_member_article_text(news):
    check_member_text_matches(news)


def test_search_filters(news):
    check_filters(news)


def test_search_pages_without_overlap(news):
    check_paging(news)


def test_recency_boost_prefers_recent_events(backend):
    now = datetime.now(timezone.utc)
    store(backend, "ev-recent", [article("n1", "Election results", "votes counted", at=now)])
    store(backend, "ev-stale", [article("n2", "Election results", "votes counted", at=now - timedelta(days=60))])
    backend.refresh()
    plain = backend.search(SearchQuery("election results"))
    assert plain.hits[0].score == pytest.approx(plain.hits[1].score)
    boosted = backend.search(SearchQuery("election results", recency_boost=2.0))
    assert boosted.hits[0].event_id == "ev-recent"
    assert boosted.hits[0].score > boosted.hits[1].score * 1.5


def test_html_in_titles_is_escaped_in_snippets(backend):
    store(backend, "ev-html", [article("h1", "<script>alert(1)</script> budget", "plain")])
    backend.refresh()
    snippet = backend.search(SearchQuery("budget")).hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet


def test_the_pipeline_step_reports_every_refusal_and_count_once_its_bundles_end(settings):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from newsbeam.pipelines.transforms import DEAD, WriteToIndex

    docs = [article(f"p{i}", f"Piped {i}", "text") for i in range(1500)]
    for bad in (docs[7], docs[1499]):
        bad.article.content_hash = "z" * 40_000
    with beam.Pipeline() as pipeline:
        written = pipeline | beam.Create(docs) | WriteToIndex(settings, "articles")
        assert_that(written.written | beam.CombineGlobally(sum), equal_to([1498]), label="CountWritten")
        origins = written[DEAD] | beam.Map(lambda letter: letter.origin)
        assert_that(origins, equal_to(["https://example.org/p7", "https://example.org/p1499"]), label="CountRefused")
    reader = ElasticsearchBackend.from_settings(settings)
    assert reader.counts()["articles"] == 1498
    reader.close()


def test_the_streaming_assign_step_sends_what_the_index_refuses_to_the_dead_letters(settings):
    import time
    import uuid

    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.streaming import AssignStreamFn, release_shared
    from newsbeam.pipelines.transforms import DEAD

    docs = [article(f"s{i}", f"Streamed story {i}", f"text of story {i}") for i in range(5)]
    docs[3].article.content_hash = "z" * 40_000
    job = uuid.uuid4().hex
    try:
        with beam.Pipeline() as pipeline:
            assigned = (pipeline | beam.Create([("en", d.article) for d in docs])
                        | beam.Map(lambda kv: beam.window.TimestampedValue(kv, time.time()))  # fetched now
                        | beam.ParDo(AssignStreamFn(AssignConfig(), settings, job)).with_outputs(DEAD, main="done"))
            refused = assigned[DEAD] | beam.Map(lambda letter: (letter.origin, letter.stage, letter.reason))
            assert_that(refused, equal_to([("https://example.org/s3", "index", "mapping_rejected")]))
    finally:
        release_shared(job)
    reader = ElasticsearchBackend.from_settings(settings)
    try:
        reader.refresh()
        assert reader.known_article_ids([f"s{i}" for i in range(5)]) == {"s0", "s1", "s2", "s4"}
    finally:
        reader.close()
