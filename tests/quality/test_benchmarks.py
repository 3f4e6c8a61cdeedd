"""The benchmark scripts work end to end on tiny inputs (the real runs are manual)."""

from __future__ import annotations

import json

import pytest
from support import REFERENCE_EVENT, REFERENCE_FOLDER, REPO_ROOT

from benchmarks import quality, scale
from benchmarks.synthetic import StreamConfig, SyntheticStream


def test_synthetic_stream_is_ordered_deterministic_and_labelled():
    first = list(SyntheticStream(StreamConfig(articles=400, seed=1)))
    assert first == list(SyntheticStream(StreamConfig(articles=400, seed=1)))
    assert len(first) == 400
    times = [record["published"] for record, _ in first]
    assert times == sorted(times)
    copies = [truth for _, truth in first if truth["duplicate_of"]]
    assert copies and all(t["duplicate_of"] for t in copies)
    assert len({truth["event"] for _, truth in first}) > 20


def test_bcubed_on_a_hand_computed_example():
    # Gold X = {a, b, c}, Y = {d}; predicted {a, b}, {c, d}. Precision per item: 1, 1, 1/2, 1/2
    # (mean 3/4); recall: 2/3, 2/3, 1/3, 1 (mean 2/3); F1 = 2 * 3/4 * 2/3 / (3/4 + 2/3) = 12/17.
    gold = {"a": "X", "b": "X", "c": "X", "d": "Y"}
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2"}
    assert quality.bcubed(predicted, gold) == pytest.approx((3 / 4, 2 / 3, 12 / 17))
    assert quality.bcubed({"a": "p", "b": "p", "c": "p", "d": "q"}, gold) == (1.0, 1.0, 1.0)


def test_one_event_check_passes_only_for_one_event_without_duplicates(capsys):
    assert quality.main(["--one-event", str(REFERENCE_EVENT), "--one-event", str(REFERENCE_FOLDER)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(c["articles"], c["events"], c["duplicates"]) for c in lines] == [(3, 1, 0), (3, 1, 0)]
    assert quality.main(["--one-event", str(REPO_ROOT / "samples" / "demo.jsonl")]) == 1  # twelve events


def test_bcubed_from_labels_matches_definition():
    import numpy as np

    assert scale.bcubed_from_labels(np.array([0, 0, 1]), np.array([5, 5, 6])) == (1.0, 1.0, 1.0)
    p, r, _ = scale.bcubed_from_labels(np.array([0, 0, 0]), np.array([1, 1, 2]))
    assert (round(p, 4), r) == (round(5 / 9, 4), 1.0)


def test_scale_script_writes_report(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSBEAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache" / "bench")
    out = tmp_path / "results"
    assert scale.main(["--sizes", "300", "600", "--workers", "1", "--out", str(out)]) == 0
    results = json.loads((out / "scale.json").read_text())
    assert [r["articles"] for r in results] == [300, 600]
    assert all(0.5 < r["bcubed_f1"] <= 1.0 and r["articles_per_second"] > 0 for r in results)
    assert "| 600 |" in (out / "scale.md").read_text()


def test_cross_language_study_runs_on_the_projects_own_sets(tmp_path, capsys):
    from benchmarks import cross_language

    # A pages folder like the development corpus's, with two invented pages of other events.
    rows = [{"publisher": name, "publisher_languages": [language],
             "expected": {"title": title, "paragraphs": text, "publishing_date": "2026-03-10T08:00:00+00:00"}}
            for name, language, title, text in [
                ("Kvitblad", "no", "Brann i Vardholm", "Brannvesenet i Vardholm rykket ut til 14 hus natt til tirsdag."),
                ("Gazeta", "ru", "Выборы в Северограде", "Дмитрий Волканов набрал 58% голосов в Северограде."),
            ]]
    (tmp_path / "pages.jsonl").write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows))
    fixtures = REPO_ROOT / "tests"
    assert cross_language.main([
        "--invented", str(fixtures / "fixtures" / "cross_language_events.jsonl"),
        "--pages", str(tmp_path),
        "--labelled", str(fixtures / "quality" / "fixtures" / "fulltext_events.jsonl"),
        "--write-dir", str(tmp_path / "out"),
    ]) == 0
    report = capsys.readouterr().out
    assert "43 of them on one event" in report and "2 pages, 2 languages" in report
    # The distinctive-key rule links none of the invented distractors to the events they name.
    assert "*distinctive keys: 2 names + 1 number, ≤ 2 d*" in report
    assert report.split("*distinctive keys: 2 names + 1 number, ≤ 2 d*")[1].split("\n")[0].endswith("false links: none.")
    written = [json.loads(line) for line in (tmp_path / "out" / "fulltext_events.linked.jsonl").open()]
    assert len(written) == 29 and {"id", "event_id"} <= set(written[0])


def test_roc_auc_on_a_hand_computed_example():
    import numpy as np

    from benchmarks.embedding_evidence import roc_auc

    # Positives 0.9 and 0.4, negatives 0.4 and 0.1: pairs won 1 + 1 + 1 + a tie (1/2) of 4.
    assert roc_auc(np.array([0.9, 0.4, 0.4, 0.1]), np.array([1, 1, 0, 0])) == 3.5 / 4
    assert roc_auc(np.array([0.1, 0.9]), np.array([1, 0])) == 0.0


def test_embedding_evidence_records_the_pairs_the_clusterer_decides_without_changing_a_decision():
    import dataclasses

    import numpy as np

    from benchmarks.embedding_evidence import Recording, build_pairs, record_run, roc_auc
    from newsbeam.connectors.files import read_path
    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.cluster.clusterer import OnlineClusterer
    from newsbeam.pipelines.local import assign_locally

    path = REPO_ROOT / "tests" / "quality" / "fixtures" / "fulltext_heldout.jsonl"
    records = list(read_path(path))
    gold = {str(r.data["id"]): r.data["event"] for r in records}
    # Merge passes every 10 articles, so this short stream has some to record.
    config = AssignConfig(cluster=dataclasses.replace(AssignConfig().cluster, merge_every=10))
    methods = dict(vars(OnlineClusterer))
    recording = Recording()
    recorded = record_run(records, recording, config)
    assert dict(vars(OnlineClusterer)) == methods  # the wrapping ends with the run
    plain = {d.article_id: d.event_id for _, d in assign_locally(records, config=config, workers=1).decisions}
    assert recorded == plain
    assert recording.joins and recording.merges
    assert set(recording.vectors) <= set(gold) and len(recording.vectors) >= len(gold) - 8  # copies have none
    # An embedding that knows the gold event ranks article pairs perfectly, and pairs with an event
    # nearly so (an impure event's embedding is the mean of its members' events).
    labels = sorted(set(gold.values()))
    embeddings = {i: np.eye(len(labels))[labels.index(e)] for i, e in gold.items()}
    articles, joins, merges = build_pairs(recording, gold, embeddings)
    assert roc_auc(np.asarray(articles.columns["emb"]), np.asarray(articles.labels)) == 1.0
    for pairs in (joins, merges):
        assert 0 < sum(pairs.labels) < len(pairs.labels)
        assert roc_auc(np.asarray(pairs.columns["emb"]), np.asarray(pairs.labels)) > 0.9


def test_join_misses_tells_a_scoring_miss_from_a_retrieval_miss():
    """The lone-event case (`test_lone_event`): a dock strike's report, a framing of it
    that a one-off of the same beat keeps from joining (the right event is a candidate,
    below the bar); and a third piece on the strike that shares no word with its event
    (the right event is hot but never a candidate)."""
    from quality.test_lone_event import FRAMING, ONE_OFF, REPORT

    from benchmarks.join_misses import misses

    def record(article_id, hours, source, title, text):
        return {"id": article_id, "url": f"https://{source.lower().replace(' ', '')}.example/{article_id}",
                "title": title, "text": text, "published": f"2025-03-04T{8 + hours:02d}:00:00+00:00",
                "source": source, "language": "en"}

    unrelated_words = ("d1", 3, "Valley Voice", "Fishmongers' lanes busy again",
                       "Fishmongers reopened stalls at dawn as lorries queued beside warehouses, and cafe owners "
                       "counted more customers than in a slow fortnight.")
    records = [record(*story) for story in (REPORT, ONE_OFF, FRAMING, unrelated_words)]
    gold = {"a1": "strike", "b1": "strike", "d1": "strike", "c1": "kessa"}
    found, unreached = misses(records, gold)
    assert [m["id"] for m in found] == ["b1"], found
    assert found[0]["right_share_of_bar"] < 1.0 and found[0]["opened"]
    assert list(unreached) == ["d1"] and unreached["d1"] < 0.1, unreached


def test_join_misses_watches_joins_and_merges_without_changing_a_decision(capsys):
    import dataclasses

    from benchmarks import join_misses
    from newsbeam.pipelines.assign import AssignConfig

    path = REPO_ROOT / "tests" / "quality" / "fixtures" / "fulltext_heldout.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = {str(r["id"]): r["event"] for r in records}
    # Merge passes every 10 articles, so this short stream has some to watch.
    config = AssignConfig(cluster=dataclasses.replace(AssignConfig().cluster, merge_every=10))
    clusterers, articles, final = join_misses.watch(records, gold, config)
    plain = {article_id: event for article_id, (event, _) in quality.run(records, config).items()}
    assert final == plain
    merges = [m for c in clusterers for m in c.merges]
    assert merges and all(m["score"] >= m["bar"] and 0.0 <= m["purity"] <= 1.0 for m in merges)
    for candidates, vector, _, _ in (v for c in clusterers for v in c.seen.values()):
        for candidate in candidates:
            # Every article term is in the core it was compared with, below it, or not in the centroid.
            assert sorted(candidate.shared + candidate.below_core + candidate.lacking) == sorted(vector)
    join_misses.print_merges(merges, everything=True)
    assert capsys.readouterr().out.count("purity ") == len(merges)


def test_join_misses_spread_scores_each_merge_cadence(tmp_path, capsys):
    from benchmarks import join_misses

    path = REPO_ROOT / "tests" / "quality" / "fixtures" / "fulltext_heldout.jsonl"
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps({"id": json.loads(line)["id"], "event": json.loads(line)["event"]}) + "\n"
                              for line in path.read_text(encoding="utf-8").splitlines() if line.strip()))
    assert join_misses.main([str(path), str(labels), "--spread", "10", "100"]) == 0
    out = capsys.readouterr().out
    assert "merge every 10:" in out and "merge every 100:" in out and "mean F1" in out


def test_join_misses_roots_account_for_all_the_precision_lost(capsys):
    """Each pair of articles of two gold events that ends up in one event is charged to
    the decision that first joined those gold events: the charges add up to what B-cubed
    precision lost."""
    import dataclasses

    from benchmarks import join_misses
    from newsbeam.pipelines.assign import AssignConfig

    path = REPO_ROOT / "tests" / "quality" / "fixtures" / "fulltext_heldout.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = {str(r["id"]): r["event"] for r in records}
    config = AssignConfig(cluster=dataclasses.replace(AssignConfig().cluster, merge_every=10))
    clusterers, _, final = join_misses.watch(records, gold, config)
    found, lost, other = join_misses.precision_roots(clusterers, final, gold)
    precision = quality.bcubed(final, gold)[0]
    assert found and lost == pytest.approx(1.0 - precision)
    assert sum(d["cost"] for d in found) + other == pytest.approx(lost)
    for decision in found:
        joined, into = decision["sides"]
        assert any(gold[x] != gold[y] for x in joined for y in into)
    join_misses.print_roots(found, lost, other)
    assert capsys.readouterr().out.count(" / bar ") == len(found)
