"""Wire items through `newsbeam ingest` on both backends: versions replace, kills remove, bad items dead-letter.

The items are the project's own (`tests/wire_items.py`): NewsML-G2 and ninjs
1.x/2.x/3.x, a correction (a higher version), an older version sent after it,
kills of an article alone in its event and of one beside others, a body only in
`inlineData`, and malformed XML and JSON. Each run ends in an index state (or a
dead letter) the test names; the same runs go to the embedded index and to the
real Elasticsearch node.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from es_node import fresh_prefix
from wire_items import (
    BRIDGE,
    BRIDGE_OTHER_OUTLET,
    FERRY,
    FERRY_CORRECTED,
    FERRY_OTHER_OUTLET,
    FERRY_THIRD_OUTLET,
    LIBRARY,
    news_message,
    newsitem,
    ninjs,
    ninjs_lines,
)

from newsbeam.connectors.iptc.ninjs import ninjs_record
from newsbeam.connectors.sinks import (
    BackendSettings,
    IndexedArticle,
    LogPosition,
    SearchQuery,
    StoredVersion,
    Withdrawal,
    open_backend,
)
from newsbeam.connectors.sinks.withdrawals import WITHDRAWN_FROM, logged_item, tombstone_doc
from newsbeam.pipelines.normalize import normalize_record

@pytest.fixture
def cli(wire_index):
    """The arguments of a `newsbeam` command on `wire_index`."""
    index = wire_index

    def args(*words: str) -> list[str]:
        return [*words, "--data-dir", str(index.data_dir), *(["--es-url", index.es_url] if index.es_url else [])]

    return args


@pytest.fixture
def ingest(newsbeam, wire_index, cli):
    """`newsbeam ingest PATHS…` into `wire_index`; returns its dead letters."""
    index = wire_index

    def run(*paths: Path) -> list[dict]:
        newsbeam(*cli("ingest", *map(str, paths)))
        letters = sorted((index.data_dir / "dead-letters").glob("ingest-*.jsonl"))
        return [json.loads(line) for line in letters[-1].read_text().splitlines() if line.strip()] if letters else []

    return run


@pytest.fixture
def store(wire_index):
    def opened():
        return open_backend(wire_index)
    return opened


def state(store) -> dict:
    """What a reader sees: counts, articles, and each stored event's article ids and title."""
    backend = store()
    try:
        if hasattr(backend, "refresh"):
            backend.refresh()
        counts = backend.counts()
        events = {}
        for article_id in ("urn:nw:ferry", "urn:nj:ferry-2", "urn:nw:bridge", "urn:nj:library", "urn:nw:short"):
            doc = backend.get_article(article_id)
            if doc:
                event = backend.get_event(doc["event_id"])
                events[article_id] = (event.event_id, sorted(event.article_ids), event.title, sorted(event.sources))
        return {"counts": counts, "events": events,
                "articles": {a: backend.get_article(a) for a in ("urn:nw:ferry", "urn:nj:ferry-2", "urn:nw:bridge",
                                                                  "urn:nj:library", "urn:nw:short")}}
    finally:
        backend.close()


def search(store, text: str, **filters) -> list[list[str]]:
    backend = store()
    try:
        return [sorted(hit.article_ids) for hit in backend.search(SearchQuery(text=text, **filters)).hits]
    finally:
        backend.close()


def test_versions_and_kills_end_as_the_newest_state(tmp_path, ingest, store, newsbeam, cli):
    first = tmp_path / "first"
    first.mkdir()
    (first / "nordwire.xml").write_text(news_message(
        newsitem("urn:nw:ferry", story=FERRY),
        newsitem("urn:nw:bridge", story=BRIDGE, body="inlineData"),
    ))
    (tmp_path / "ninjs.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", spec="1.0", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nj:library", spec="3.0", story=LIBRARY),
    ))
    assert ingest(first, tmp_path / "ninjs.jsonl") == []
    before = state(store)
    assert before["counts"] == {"articles": 4, "events": 3}
    ferry_event = before["events"]["urn:nw:ferry"]
    assert ferry_event[1] == ["urn:nj:ferry-2", "urn:nw:ferry"]  # two outlets, one event
    assert before["events"]["urn:nj:ferry-2"][0] == ferry_event[0]
    assert before["articles"]["urn:nw:bridge"]["text"].startswith("The Lindholm swing bridge")  # inlineData body
    assert before["articles"]["urn:nj:library"]["version"] == 1
    assert search(store, "bridge bearings") == [["urn:nw:bridge"]]
    assert search(store, "library", subject="medtop:05000000") == [["urn:nj:library"]]
    assert search(store, "library", subject="medtop:20000574") == []
    found = json.loads(newsbeam(*cli("search", "library", "--subject", "medtop:05000000", "--json")).stdout)
    assert [hit["article_ids"] for hit in found] == [["urn:nj:library"]]

    second = tmp_path / "second"
    second.mkdir()
    (second / "a-corrections.xml").write_text(news_message(
        newsitem("urn:nw:ferry", version=2, story=FERRY_CORRECTED, updated="2025-06-01T12:00:00Z"),
        newsitem("urn:nw:bridge", version=2, pubstatus="canceled", body="none", story=BRIDGE),
    ))
    # An older version sent after the correction, as a ninjs line: it must not win.
    (tmp_path / "late.jsonl").write_text(ninjs_lines(ninjs("urn:nw:ferry", spec="2.0", version=1, story=FERRY)))
    assert ingest(second, tmp_path / "late.jsonl") == []  # the index holds a newer version: the late one is skipped, not dead
    after = state(store)
    assert after["counts"] == {"articles": 3, "events": 2}
    ferry = after["articles"]["urn:nw:ferry"]
    assert (ferry["version"], ferry["title"]) == (2, FERRY_CORRECTED["title"])
    assert "thirty minutes" in ferry["text"] and ferry["event_id"] == ferry_event[0]
    assert after["events"]["urn:nw:ferry"][1] == ["urn:nj:ferry-2", "urn:nw:ferry"]  # corrected, not doubled
    assert after["articles"]["urn:nw:bridge"] is None and "urn:nw:bridge" not in after["events"]
    assert search(store, "bridge bearings") == []
    assert search(store, "thirty minutes") == [["urn:nj:ferry-2", "urn:nw:ferry"]]

    third = tmp_path / "third.jsonl"
    # A kill of one article of a two-article event; the bridge kill again; the bridge's first version again.
    third.write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", spec="1.0", version=2, pubstatus="withheld", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", spec="2.0", version=2, pubstatus="canceled", story=BRIDGE),
        ninjs("urn:nw:bridge", spec="2.0", version=1, story=BRIDGE),
    ))
    assert ingest(third) == []
    last = state(store)
    assert last["counts"] == {"articles": 2, "events": 2}
    event_id, members, title, sources = last["events"]["urn:nw:ferry"]
    assert (event_id, members, sources) == (ferry_event[0], ["urn:nw:ferry"], ["Nordwire"])
    assert title != FERRY_OTHER_OUTLET["title"]
    assert last["articles"]["urn:nj:ferry-2"] is None
    assert search(store, "bridge bearings") == []


def test_versions_of_one_item_in_one_run_keep_the_newest(tmp_path, ingest, store):
    """A story, its correction and its kill arriving together leave nothing; a story and its
    correction together leave the correction once; a version sent twice in one input is a dead letter."""
    path = tmp_path / "burst.xml"
    path.write_text(news_message(
        newsitem("urn:nw:bridge", version=3, pubstatus="canceled", body="none", story=BRIDGE),
        newsitem("urn:nw:bridge", version=1, story=BRIDGE),
        newsitem("urn:nw:bridge", version=2, story=BRIDGE, title="Lindholm bridge closes for a month"),
        newsitem("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
        newsitem("urn:nw:ferry", version=1, story=FERRY),
        newsitem("urn:nw:short", version=1, story=LIBRARY),
        newsitem("urn:nw:short", version=1, story=LIBRARY),
    ))
    letters = ingest(path)
    # Decided in version order whatever the input order: only the repeated version is refused.
    assert [(letter["reason"], letter["origin"]) for letter in letters] == [("superseded_version", "urn:nw:short")]
    now = state(store)
    assert now["counts"] == {"articles": 2, "events": 2}
    assert now["articles"]["urn:nw:bridge"] is None
    assert now["articles"]["urn:nw:ferry"]["version"] == 2
    assert now["articles"]["urn:nw:ferry"]["title"] == FERRY_CORRECTED["title"]


def test_malformed_wire_items_are_dead_letters(tmp_path, ingest, store):
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "good.xml").write_text(newsitem("urn:nw:ferry", story=FERRY))
    (folder / "cut.xml").write_text(news_message(newsitem("urn:nw:bridge", story=BRIDGE))[:-80])
    (folder / "empty.xml").write_text(newsitem("urn:nw:short", body="none", story=dict(title="")))
    (folder / "bad.json").write_text('{"uri": "urn:nj:library", "headlines": [')
    lines = tmp_path / "lines.jsonl"
    lines.write_text(ninjs_lines({"uri": "urn:nj:x", "version": "v2", "headline": "x", "body_text": "y"}))
    letters = ingest(folder, lines)
    assert sorted(letter["reason"] for letter in letters) == [
        "empty_text", "malformed_json", "malformed_xml", "schema_invalid"]
    assert state(store)["counts"] == {"articles": 1, "events": 1}


def test_cluster_decides_each_version_once(tmp_path, newsbeam):
    """`newsbeam cluster` (the same core, no index): a correction keeps its event; a kill, and every
    earlier version of what it killed, is in none."""
    source = tmp_path / "items.jsonl"
    source.write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
        ninjs("urn:nw:bridge", story=BRIDGE), ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE),
        ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET), ninjs("urn:nw:ferry", story=FERRY),
    ))
    newsbeam("cluster", str(source), "-o", str(tmp_path / "out.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    ferry, corrected, bridge, killed, other = lines
    assert ferry["event_id"] == corrected["event_id"] == other["event_id"]
    assert killed == bridge == {"id": "urn:nw:bridge", "event_id": None, "duplicate_of": None}
    letters = (tmp_path / "out.deadletters.jsonl").read_text().splitlines()
    assert [json.loads(letter)["reason"] for letter in letters] == ["superseded_version"]


def test_a_newer_version_after_a_kill_republishes_and_an_older_one_stays_out(tmp_path, ingest, store):
    """IPTC's newest version wins: a usable version newer than the kill re-publishes the item, back in
    the event it left (alone or beside others); a version older than the kill stays out."""
    (tmp_path / "first.jsonl").write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", story=BRIDGE)))
    assert ingest(tmp_path / "first.jsonl") == []
    before = state(store)
    ferry_event, bridge_event = before["events"]["urn:nw:ferry"][0], before["events"]["urn:nw:bridge"][0]
    assert before["events"]["urn:nj:ferry-2"][0] == ferry_event != bridge_event
    (tmp_path / "kills.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", version=2, pubstatus="withheld", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE)))
    assert ingest(tmp_path / "kills.jsonl") == []
    killed = state(store)
    assert killed["counts"] == {"articles": 1, "events": 1}
    assert killed["events"]["urn:nw:ferry"][1] == ["urn:nw:ferry"]
    # Older than the kill: nothing changes.
    (tmp_path / "late.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", version=1, story=FERRY_OTHER_OUTLET), ninjs("urn:nw:bridge", version=1, story=BRIDGE)))
    ingest(tmp_path / "late.jsonl")
    assert state(store) == killed
    assert search(store, "bridge bearings") == []
    # Newer than the kill: re-published, each in the event it left.
    republished_title = "Lindholm swing bridge closes for four weeks of bearing work"
    (tmp_path / "again.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", version=3, story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", version=3, story=BRIDGE, title=republished_title)))
    assert ingest(tmp_path / "again.jsonl") == []
    after = state(store)
    assert after["counts"] == {"articles": 3, "events": 2}
    assert after["articles"]["urn:nj:ferry-2"]["version"] == 3
    assert after["events"]["urn:nj:ferry-2"][:2] == (ferry_event, ["urn:nj:ferry-2", "urn:nw:ferry"])
    assert sorted(after["events"]["urn:nw:ferry"][3]) == ["Coastal Daily", "Nordwire"]
    bridge = after["articles"]["urn:nw:bridge"]
    assert (bridge["version"], bridge["title"], bridge["event_id"]) == (3, republished_title, bridge_event)
    assert after["events"]["urn:nw:bridge"][1:3] == (["urn:nw:bridge"], republished_title)
    assert search(store, "bridge bearings") == [["urn:nw:bridge"]]


@pytest.fixture
def another_index(wire_index):
    """Settings of further indexes of `wire_index`'s kind: a data folder each, and on Elasticsearch a prefix each."""
    with ExitStack() as stack:
        def make(data_dir: Path) -> BackendSettings:
            if not wire_index.es_url:
                return BackendSettings(data_dir=data_dir)
            prefix = stack.enter_context(fresh_prefix(wire_index.es_url))
            return BackendSettings(data_dir=data_dir, es_url=wire_index.es_url, es_index_prefix=prefix)

        yield make


def _index_view(backend) -> dict:
    """Every article and event a reader finds, by id (the test's ids), with what it shows."""
    try:
        if hasattr(backend, "refresh"):
            backend.refresh()
        view: dict = {"counts": backend.counts(), "articles": {}, "events": {}}
        for article_id in ("urn:nw:ferry", "urn:nj:ferry-2", "urn:nj:ferry-3", "urn:nw:bridge", "urn:nj:bridge-2",
                           "urn:nj:library"):
            doc = backend.get_article(article_id)
            view["articles"][article_id] = doc and (doc["version"], doc["title"], doc["event_id"], doc["duplicate_of"])
            if doc:
                event = backend.get_event(doc["event_id"])
                view["events"][event.event_id] = (sorted(event.article_ids), event.title, sorted(event.sources))
        return view
    finally:
        backend.close()


def _whole_and_crashed(tmp_path: Path, another_index, inputs: Path, *, read_again: bool = True) -> dict[str, dict]:
    """The index views (`_index_view`) after `ingest` of 1.jsonl, 2.jsonl and 3.jsonl in `inputs`, in a
    history that never crashed and in one that crashed once after 2.jsonl's index writes. The crashed
    history reads 2.jsonl again, unless not `read_again` (as a feed that answers 304 after a restart)."""
    from crash_scenarios import run_cli

    from newsbeam.pipelines import faults

    views = {}
    for history in ("whole", "crashed"):
        settings = another_index(tmp_path / history)

        def run(name: str, crash: str | None = None, expect: int = 0) -> None:
            args = ["ingest", str(inputs / name), "--data-dir", str(settings.data_dir),
                    *(["--es-url", settings.es_url] if settings.es_url else [])]
            env = {"NEWSBEAM_ES_INDEX_PREFIX": settings.es_index_prefix, faults.ENVIRONMENT: crash}
            result = run_cli(*args, env=env)
            assert (result.exit_code == 0) == (expect == 0), result.output

        run("1.jsonl")
        if history == "crashed":
            run("2.jsonl", crash="index_written", expect=1)
        if history == "whole" or read_again:
            run("2.jsonl")
        run("3.jsonl")
        views[history] = _index_view(open_backend(settings))
    return views


def test_a_crash_between_a_kills_index_write_and_its_state_save_is_repaired_by_the_rerun(tmp_path, another_index):
    """Crashed after the index writes of a batch of kills (NEWSBEAM_CRASH_AT=index_written), then run again:
    the index and its events end as in a history that never crashed, also once later articles change the
    events the killed items left."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", story=BRIDGE), ninjs("urn:nj:library", story=LIBRARY)))
    (inputs / "2.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", version=2, pubstatus="withheld", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE)))
    (inputs / "3.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-3", story=FERRY_THIRD_OUTLET), ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED)))
    views = _whole_and_crashed(tmp_path, another_index, inputs)
    whole = views["whole"]
    assert whole["counts"] == {"articles": 3, "events": 2}
    ferry_event = whole["articles"]["urn:nw:ferry"][2]
    assert whole["events"][ferry_event][0] == ["urn:nj:ferry-3", "urn:nw:ferry"]
    assert whole["articles"]["urn:nj:ferry-2"] is None and whole["articles"]["urn:nw:bridge"] is None
    assert views["crashed"] == whole


def test_a_crash_between_a_corrections_index_write_and_its_state_save_is_repaired_by_the_rerun(tmp_path,
                                                                                               another_index):
    """Crashed after the index write of a correction (NEWSBEAM_CRASH_AT=index_written), then run again: the
    event ends with the corrected headline, as in a history that never crashed, once another outlet joins it."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(ninjs_lines(ninjs("urn:nw:ferry", story=FERRY),
                                                ninjs("urn:nj:library", story=LIBRARY)))
    (inputs / "2.jsonl").write_text(ninjs_lines(ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED)))
    (inputs / "3.jsonl").write_text(ninjs_lines(ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET)))
    views = _whole_and_crashed(tmp_path, another_index, inputs)
    whole = views["whole"]
    ferry_event = whole["articles"]["urn:nw:ferry"][2]
    assert whole["events"][ferry_event][:2] == (["urn:nj:ferry-2", "urn:nw:ferry"], FERRY_CORRECTED["title"])
    assert views["crashed"] == whole


def test_a_crashed_corrections_and_republications_effect_is_repaired_without_reading_them_again(tmp_path,
                                                                                                 another_index):
    """Crashed after the index writes of a correction and a re-publication (NEWSBEAM_CRASH_AT=index_written),
    and not read again, as a wire feed answering 304 after a restart would have it: the restored state catches
    up with them from the decision log, so the events end as in a history that never crashed once other
    outlets join them (the corrected headline, the re-published item back in its event)."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nw:bridge", story=BRIDGE),
        ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE), ninjs("urn:nj:library", story=LIBRARY)))
    (inputs / "2.jsonl").write_text(ninjs_lines(ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
                                                ninjs("urn:nw:bridge", version=3, story=BRIDGE)))
    (inputs / "3.jsonl").write_text(ninjs_lines(ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET),
                                                ninjs("urn:nj:bridge-2", story=BRIDGE_OTHER_OUTLET)))
    views = _whole_and_crashed(tmp_path, another_index, inputs, read_again=False)
    whole = views["whole"]
    ferry_event = whole["articles"]["urn:nw:ferry"][2]
    assert whole["events"][ferry_event][:2] == (["urn:nj:ferry-2", "urn:nw:ferry"], FERRY_CORRECTED["title"])
    bridge_event = whole["articles"]["urn:nw:bridge"][2]
    assert whole["articles"]["urn:nw:bridge"][0] == 3
    assert whole["events"][bridge_event][:2] == (["urn:nj:bridge-2", "urn:nw:bridge"], BRIDGE["title"])
    assert views["crashed"] == whole


@pytest.mark.parametrize("read_again", [False, True])
def test_a_crashed_first_decision_and_its_correction_in_one_commit_are_both_caught_up(tmp_path, another_index,
                                                                                       read_again):
    """An item's first version and its correction in one commit, crashed after its index writes
    (NEWSBEAM_CRASH_AT=index_written): the index holds the correction alone, in the first decision's place
    in the log, so the restored state decides it there and restates nothing lost. Another outlet then joins
    the item's event, as in a history that never crashed, read again or not (a feed answering 304)."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(ninjs_lines(ninjs("urn:nj:library", story=LIBRARY)))
    (inputs / "2.jsonl").write_text(ninjs_lines(ninjs("urn:nw:ferry", story=FERRY),
                                                ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED)))
    (inputs / "3.jsonl").write_text(ninjs_lines(ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET)))
    views = _whole_and_crashed(tmp_path, another_index, inputs, read_again=read_again)
    whole = views["whole"]
    ferry_event = whole["articles"]["urn:nw:ferry"][2]
    assert whole["articles"]["urn:nw:ferry"][0] == 2
    assert whole["events"][ferry_event][:2] == (["urn:nj:ferry-2", "urn:nw:ferry"], FERRY_CORRECTED["title"])
    assert views["crashed"] == whole


def test_a_crashed_kill_is_caught_up_without_reading_it_again(tmp_path, another_index):
    """A kill crashed after its index write (NEWSBEAM_CRASH_AT=index_written) and not read again, as a wire
    feed answering 304 after a restart would have it: the restored state takes the item out of its event from
    the tombstone's place in the decision log, so when a third outlet joins the event it does not bring the
    killed item (or its outlet) back, as in a history that never crashed."""
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "1.jsonl").write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", story=BRIDGE), ninjs("urn:nj:bridge-2", story=BRIDGE_OTHER_OUTLET),
        ninjs("urn:nj:library", story=LIBRARY)))
    (inputs / "2.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-2", version=2, pubstatus="withheld", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE)))
    (inputs / "3.jsonl").write_text(ninjs_lines(
        ninjs("urn:nj:ferry-3", story=FERRY_THIRD_OUTLET), ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
        ninjs("urn:nw:bridge", version=3, story=BRIDGE)))
    views = _whole_and_crashed(tmp_path, another_index, inputs, read_again=False)
    whole = views["whole"]
    ferry_event = whole["articles"]["urn:nw:ferry"][2]
    assert whole["events"][ferry_event][0] == ["urn:nj:ferry-3", "urn:nw:ferry"]
    assert whole["articles"]["urn:nj:ferry-2"] is None
    bridge_event = whole["articles"]["urn:nw:bridge"][2]
    assert whole["articles"]["urn:nw:bridge"][0] == 3
    assert whole["events"][bridge_event][0] == ["urn:nj:bridge-2", "urn:nw:bridge"]
    assert views["crashed"] == whole


def test_a_kills_tombstone_keeps_its_withdrawal_in_the_log_and_older_tombstones_still_load(wire_index):
    """A kill's tombstone has its place in the decision log and what it took out of the state, which the log
    gives back; a tombstone in the shape kills left before they were logged (no place in the log, no
    withdrawal) is still held as a killed version, and a logged tombstone without a withdrawal is a kill
    that takes nothing out."""
    ferry, library = (normalize_record(ninjs_record(item)) for item in (ninjs("urn:nw:ferry", story=FERRY),
                                                           ninjs("urn:nj:library", story=LIBRARY)))
    kill, old_kill = (normalize_record(ninjs_record(ninjs(a.id, version=2, pubstatus="canceled", story=s)))
                      for a, s in ((ferry, FERRY), (library, LIBRARY)))
    backend = open_backend(wire_index)
    try:
        backend.write_articles([IndexedArticle(ferry, "evt-ferry", None, LogPosition("log", 0))])
        left = Withdrawal("evt-ferry", ferry.source, ferry.language)
        backend.write_articles([IndexedArticle(kill, "", None, LogPosition("log/versions", 1), left),
                                IndexedArticle(old_kill, "")])
        [logged] = backend.logged_articles("log/versions", 0)
        assert (logged.article.id, logged.article.version, logged.article.withdrawn) == (ferry.id, 2, True)
        assert (logged.event_id, logged.position, logged.withdrawal) == ("", LogPosition("log/versions", 1), left)
        assert backend.logged_articles("log", 0) == []
        held = backend.stored_versions([ferry.id, library.id])
        assert held[ferry.id] == StoredVersion(2, True, "", None, "")
        assert held[library.id] == StoredVersion(2, True, "", None, "")
        assert backend.get_article(ferry.id) is None and backend.counts()["articles"] == 0
    finally:
        backend.close()
    old_shape = tombstone_doc(IndexedArticle(old_kill, ""))
    assert WITHDRAWN_FROM not in old_shape
    assert logged_item(old_shape, "", None, LogPosition("log/versions", 3)).withdrawal is None


def test_cluster_counts_no_event_of_a_killed_item(tmp_path, newsbeam):
    source = tmp_path / "items.jsonl"
    source.write_text(ninjs_lines(
        ninjs("urn:nw:ferry", story=FERRY), ninjs("urn:nj:ferry-2", story=FERRY_OTHER_OUTLET),
        ninjs("urn:nw:ferry", version=2, story=FERRY_CORRECTED),
        ninjs("urn:nw:bridge", story=BRIDGE), ninjs("urn:nw:bridge", version=2, pubstatus="canceled", story=BRIDGE),
        ninjs("urn:nj:library", story=LIBRARY), ninjs("urn:nj:library", version=2, pubstatus="withheld", story=LIBRARY),
    ))
    out = newsbeam("cluster", str(source), "-o", str(tmp_path / "out.jsonl")).output
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    # Every version of a killed item is in no event; the ferry's versions and its other outlet share one.
    assert [line["event_id"] is None for line in lines] == [False, False, False, True, True, True, True]
    assert len({line["event_id"] for line in lines if line["event_id"]}) == 1
    assert "Clustered 2 articles into 1 events" in out
    assert "records     7 (earlier wire versions replaced, killed items in no event)" in out
