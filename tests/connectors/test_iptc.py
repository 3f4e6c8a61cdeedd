"""IPTC wire formats read from files, folders and HTTP: each item a record, each bad one a dead letter."""

from __future__ import annotations

import json
import uuid

import pytest
from wire_items import STORY, news_message, newsitem, ninjs, ninjs_lines

from newsbeam.connectors.feeds import iter_feed_records
from newsbeam.connectors.files import read_path
from newsbeam.connectors.records import RawRecord
from newsbeam.connectors.state import ConnectorState, ListingCheckpoint, RunMemory
from newsbeam.pipelines.normalize import normalize_record
from newsbeam.schemas import DeadLetter
from newsbeam.schemas.validation import validate_output

PARAGRAPHS = STORY["text"].split("\n\n")


def split(items):
    items = list(items)
    return ([i for i in items if isinstance(i, RawRecord)], [i for i in items if isinstance(i, DeadLetter)])


def articles(records):
    return [normalize_record(r.data) for r in records]


def test_newsml_items_carry_every_field_read(tmp_path):
    path = tmp_path / "message.xml"
    path.write_text(news_message(newsitem("urn:newsml:nordwire:1", version=3), newsitem("urn:newsml:nordwire:2")))
    records, letters = split(read_path(path))
    assert letters == []
    first, second = articles(records)
    assert (first.id, first.version, first.pubstatus) == ("urn:newsml:nordwire:1", 3, "usable")
    assert first.title == STORY["title"]
    assert first.text.split("\n\n") == PARAGRAPHS  # the NITF headline block is not body text
    assert first.published.isoformat() == "2025-06-01T09:00:00+00:00"
    assert (first.source, first.language, first.authors) == ("Nordwire", "en", ["Ingrid Halvorsen"])
    assert first.subjects == ["medtop:20000106", "medtop:04000000"]
    assert first.wire["located"] == ["Skarvik"] and first.wire["signals"] == ["sig:correction"]
    assert first.wire["links"][0]["href"] == "https://nordwire.example/stories/1"
    assert first.wire["version_created"] == "2025-06-01T09:00:00Z"
    assert records[0].origin == f"{path}#urn:newsml:nordwire:1@3"
    assert second.version == 1 and second.wire["signals"] == []
    validate_output("article", first.to_json())


def test_a_body_only_in_inline_data_is_read(tmp_path):
    path = tmp_path / "item.xml"
    path.write_text(newsitem("urn:newsml:nordwire:7", body="inlineData"))
    [article] = articles(split(read_path(path))[0])
    assert article.text.split("\n\n") == PARAGRAPHS


@pytest.mark.parametrize("spec", ["1.0", "1.3", "2.0", "2.1", "3.0"])
@pytest.mark.parametrize("html", [False, True])
def test_ninjs_of_each_version_reads_alike(tmp_path, spec, html):
    path = tmp_path / "items.jsonl"
    path.write_text(ninjs_lines(ninjs("https://nordwire.example/items/1", spec=spec, html=html, version=2)))
    records, letters = split(read_path(path))
    assert letters == []
    [article] = articles(records)
    assert (article.id, article.version, article.title) == ("https://nordwire.example/items/1", 2, STORY["title"])
    assert article.text.split("\n\n") == PARAGRAPHS
    assert article.authors == ["Ingrid Halvorsen"] and article.language == "en" and article.source == "Nordwire"
    # 1.x's scheme + code and 2.x/3.x's URI both come out as IPTC's QCode
    assert article.subjects == ["medtop:20000106", "medtop:04000000"]
    assert article.wire["located"] == ["Skarvik"]
    validate_output("article", article.to_json())


def test_a_json_document_holds_one_item_or_a_list(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(ninjs("urn:a", spec="3.0"), indent=2))
    (tmp_path / "many.json").write_text(json.dumps([ninjs("urn:b"), ninjs("urn:c", spec="1.0")], indent=2))
    assert [r.data["id"] for r in split(read_path(tmp_path / "one.json"))[0]] == ["urn:a"]
    assert [r.data["id"] for r in split(read_path(tmp_path / "many.json"))[0]] == ["urn:b", "urn:c"]


def test_a_folder_mixes_pages_and_wire_files(tmp_path):
    (tmp_path / "a.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday after repairs.\n")
    (tmp_path / "b.xml").write_text(news_message(newsitem("urn:x:1"), newsitem("urn:x:2", body="inlineData")))
    (tmp_path / "c.json").write_text(json.dumps(ninjs("urn:y:1")))
    records, letters = split(read_path(tmp_path))
    assert letters == []
    assert sorted(r.data["id"] for r in records) == sorted([f"{tmp_path.name}/a", "urn:x:1", "urn:x:2", "urn:y:1"])


def test_a_kill_needs_no_body(tmp_path):
    path = tmp_path / "kill.xml"
    path.write_text(newsitem("urn:x:1", version=2, pubstatus="canceled", body="none"))
    [article] = articles(split(read_path(path))[0])
    assert article.withdrawn and article.version == 2 and article.text == ""


def test_malformed_items_are_dead_letters_with_reasons(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(news_message(newsitem("urn:ok:1"), newsitem("urn:cut:2"))[:-60])  # cut in the second item
    records, letters = split(read_path(broken))
    assert [r.data["id"] for r in records] == ["urn:ok:1"]  # the items before the error are kept
    assert [letter.reason for letter in letters] == ["malformed_xml"]

    other = tmp_path / "other.xml"
    other.write_text("<rss version='2.0'><channel/></rss>")
    assert [letter.reason for letter in split(read_path(other))[1]] == ["unknown_format"]

    no_guid = tmp_path / "noguid.xml"
    no_guid.write_text(newsitem("urn:z").replace('guid="urn:z"', ""))
    [letter] = split(read_path(no_guid))[1]
    assert (letter.reason, letter.detail) == ("schema_invalid", "newsItem has no guid")

    lines = tmp_path / "items.jsonl"
    lines.write_text(ninjs_lines(ninjs("urn:ok:2"), {"uri": "urn:bad", "headlines": "not a list"},
                                 {"uri": "urn:bad2", "version": "two", "headline": "x", "body_text": "y"})
                     + '{"uri": "urn:cut", "headline": \n')
    records, letters = split(read_path(lines))
    assert [r.data["id"] for r in records] == ["urn:ok:2"]
    assert [letter.reason for letter in letters] == ["schema_invalid", "schema_invalid", "malformed_json"]
    assert "headlines" in letters[0].detail and "version" in letters[1].detail

    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"uri": "urn:q", "headline": ')
    assert [letter.reason for letter in split(read_path(bad_json))[1]] == ["malformed_json"]


def test_entities_are_not_expanded(tmp_path):
    path = tmp_path / "entity.xml"
    item = newsitem("urn:e:1").replace("<headline>", "<headline>&secret;")
    path.write_text('<?xml version="1.0"?><!DOCTYPE newsItem [<!ENTITY secret SYSTEM "file:///etc/passwd">]>' + item)
    records, letters = split(read_path(path))
    assert all("root:" not in json.dumps(r.data) for r in records)


def test_wire_endpoints_are_read_over_http(web, fetcher, tmp_path):
    web.add("/wire/newsml", news_message(newsitem("urn:h:1"), newsitem("urn:h:2", version=2)),
            content_type="application/vnd.iptc.g2.newsmessage+xml")
    web.add("/wire/ninjs", json.dumps([ninjs("urn:h:3", spec="3.0"), ninjs("urn:h:4", spec="1.0")]),
            content_type="application/json", etag='"v1"')
    state = ConnectorState(tmp_path / "connectors.sqlite3")
    try:
        memory = RunMemory(state, uuid.uuid4().hex, "test")
        outputs = list(iter_feed_records([web.url("/wire/newsml"), web.url("/wire/ninjs")], fetcher=fetcher,
                                         memory=memory))
    finally:
        state.close()
    records, letters = split(outputs)
    assert letters == []
    assert [(r.data["id"], r.data["version"]) for r in records] == [
        ("urn:h:1", 1), ("urn:h:2", 2), ("urn:h:3", 1), ("urn:h:4", 1)]
    checkpoints = [o for o in outputs if isinstance(o, ListingCheckpoint)]
    assert [c.url for c in checkpoints] == [web.url("/wire/newsml"), web.url("/wire/ninjs")]
    assert checkpoints[1].validators.etag == '"v1"'  # the next pull is conditional
