"""The tag scan that stands in for a parse: it must find what lxml's parse finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from trafilatura.utils import load_html

from newsbeam.connectors.pages.tags import attributes, scan_tags

PAGES = sorted((Path(__file__).parent / "fixtures").rglob("*.html"))


def _parsed(page: str) -> tuple:
    tree = load_html(page)
    h1 = next(tree.iter("h1"), None)
    return (" ".join((tree.findtext(".//title") or "").split()),
            " ".join(h1.text_content().split()) if h1 is not None else "",
            tree.get("lang"),
            [dict(meta.attrib) for meta in tree.iter("meta")],
            [dict(time.attrib) for time in tree.iter("time")],
            [script.text for script in tree.iter("script")
             if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text])


def _scanned(page: str) -> tuple:
    tags = scan_tags(page)
    return (tags.title, tags.h1, tags.lang, [attributes(m) for m in tags.metas], [attributes(t) for t in tags.times],
            [script for script in tags.json_ld if script])


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_scan_finds_what_the_parser_finds_on_fixture_pages(path):
    page = path.read_text(encoding="utf-8", errors="replace")
    assert _scanned(page) == _parsed(page)


TRICKY = """<!DOCTYPE html><HTML Lang="de-AT"><head>
<!-- <meta property="article:published_time" content="2001-01-01"> -->
<META NAME=pubdate CONTENT=2026-03-01T10:00:00Z>
<meta name="description" content="a > b, &quot;quoted&quot; &amp; more">
<meta property='og:title' content='It&#39;s here' property='ignored'>
<script>document.write('<meta name="date" content="1999-01-01">');</script>
<style>/* <meta name="date" content="1998-01-01"> */</style>
<title>A <meta> in a title</title>
<script type=" Application/LD+JSON ">{"@type": "NewsArticle", "datePublished": "2026-03-01"}</script>
<script type="application/ld+json"></script>
<SCRIPT>var u = '<meta name="date" content="1995-01-01">';</ScRiPt ><STYLE>a::after{content:"<time>"}</style	>
</head><body><textarea><time itemprop="datePublished" datetime="1997"></time></textarea>
<!-- <h1>Not the headline</h1> --><h1 class="headline">Harbour <em>reopens</em> &amp; ferries
 return</h1><h1>A second heading</h1>
<p>Text <time itemprop="datePublished" datetime="2026-03-01T09:00">1 March</time></p>
<script type="text/javascript">var s = "</scr" + "ipt>"; var t = '<time datetime="1996">';</script>
</body></html>"""


def test_scan_follows_the_tokenizer_where_it_matters():
    assert _scanned(TRICKY) == _parsed(TRICKY)
    tags = scan_tags(TRICKY)
    assert tags.lang == "de-AT"
    assert (tags.title, tags.h1) == ("A <meta> in a title", "Harbour reopens & ferries return")
    assert [attributes(m).get("content") for m in tags.metas] == [
        "2026-03-01T10:00:00Z", 'a > b, "quoted" & more', "It's here"]
    assert [attributes(t)["datetime"] for t in tags.times] == ["2026-03-01T09:00"]
    assert tags.json_ld == ('{"@type": "NewsArticle", "datePublished": "2026-03-01"}', "")


def test_scan_of_a_cut_off_page_keeps_what_came_before():
    tags = scan_tags('<html lang="en"><meta name="date" content="2026-03-01"><!-- never closed <meta name="x"')
    assert tags.lang == "en" and [attributes(m)["name"] for m in tags.metas] == ["date"]
    assert scan_tags('<meta name="date" content="2026').metas == ()


def test_scan_collects_the_json_states_scripts_carry():
    page = ("<html><head><!-- <script type='application/json'>{\"commented\": 1}</script> -->"
            '<script id="__NEXT_DATA__" type="application/json">{"props": {"a": 1}}</script>'
            '<script>\n  window.__INITIAL_STATE__ = {"article": {"body": "x"}};\n</script>'
            '<script>var appState = {"b": 2}</script>'
            '<script>var other = {"c": 3}; window.__X__ = {"d": 4};</script>'
            '<script src="/app.js"></script><script>__NOT_A_STATE__()</script></head></html>')
    assert scan_tags(page).json_states == (b'{"props": {"a": 1}}', b'{"article": {"body": "x"}}', b'{"b": 2}')
