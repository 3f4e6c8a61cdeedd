"""Title, authors, date, language and text chosen from what invented pages state, one defect each."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newsbeam.connectors.pages import extract_article
from newsbeam.pipelines.normalize.dates import parse_published, parse_stated
from newsbeam.connectors.pages.extract import language_code
from newsbeam.connectors.pages.words import count_words
from newsbeam.pipelines.normalize.language import detect_language

URL = "https://www.riverside-gazette.example/news/harbour-reopens"
STORY = ("The harbour reopened on Monday after three weeks of repairs to the breakwater. Crews replaced forty "
         "metres of stone and the first ferry left at dawn. Fishermen said the closure had cost them a season. ")


def article_page(head: str = "", body: str | None = None, *, lang: str = "en", json_ld: object = None) -> str:
    """An article page: `head` inside `<head>`, `body` as the article (default: the harbour story)."""
    if json_ld is not None:
        head += f'<script type="application/ld+json">{json.dumps(json_ld)}</script>'
    body = f"<article><h1>Harbour reopens</h1><p>{STORY * 3}</p></article>" if body is None else body
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>'
            f"<nav><a href='/'>Home</a> <a href='/sport'>Sport</a></nav><main>{body}</main>"
            f"<footer><p>All rights reserved.</p></footer></body></html>")


def meta(name: str, content: str, attribute: str = "name") -> str:
    return f'<meta {attribute}="{name}" content="{content}">'


# --------------------------------------------------------------------------- words

def test_cjk_words_are_counted_per_character():
    japanese = "東京湾の港は三週間の修理を終えて月曜日に再開した。防波堤の石は四十メートルにわたって取り替えられた。" * 9
    assert count_words(japanese) > 400 and len(japanese.split()) < 10
    record = extract_article(article_page(body=f"<article><h1>港が再開</h1><p>{japanese}</p></article>", lang="ja"),
                             URL)
    assert japanese[:40] in record["text"] and record["language"] == "ja"


# --------------------------------------------------------------------------- walls

def test_paywall_marker_on_a_free_brief_is_no_wall():
    brief = ("The council approved the new cycle lane on Harbour Road on Tuesday evening by seven votes to two. "
             "Work starts in May and should take six weeks, during which the road will close to cars at night. "
             "Shopkeepers had asked for the works to wait until after the summer market, but the council said "
             "the grant that pays for the lane must be spent this year. Residents can see the plans at the "
             "library until Friday, and a public meeting is planned for the first week of April at the town hall. "
             "The lane will join the one along the river path.")
    assert 90 < count_words(brief) < 150
    page = article_page(body=f"<article><h1>Cycle lane approved</h1><p>{brief}</p><div class='paywall'></div>"
                             f"</article>", json_ld={"@type": "NewsArticle", "isAccessibleForFree": "False"})
    assert "cycle lane" in extract_article(page, URL)["text"]


# --------------------------------------------------------------------------- dates

def test_an_offset_less_date_gives_way_to_the_same_time_with_an_offset():
    page = article_page(meta("article:published_time", "2026-03-02T10:30:00+02:00", "property"),
                        json_ld={"@type": "NewsArticle", "datePublished": "2026-03-02T10:30:00"})
    assert extract_article(page, URL)["published"] == "2026-03-02T10:30:00+02:00"


@pytest.mark.parametrize("stated", ["1772440200000", "1772440200"])
def test_a_unix_time_in_a_meta_tag_is_read(stated):
    page = article_page(meta("article:published_time", stated, "property"))
    assert extract_article(page, URL, crawled_at=datetime(2026, 3, 5, tzinfo=timezone.utc))[
        "published"] == "2026-03-02T08:30:00+00:00"


def test_a_time_without_an_offset_stays_without_one():
    """The page did not place its wall clock: written as UTC it would claim an offset."""
    page = article_page(json_ld={"@type": "NewsArticle", "datePublished": "2026-03-02T10:30:00"})
    published = extract_article(page, URL)["published"]
    assert published == "2026-03-02T10:30:00"
    assert parse_published(published).isoformat() == "2026-03-02T10:30:00+00:00"  # records read it as UTC


def test_a_day_without_a_time_stays_a_day():
    """As midnight UTC, a day would be the evening before where the clock is behind UTC;
    records read it as that midnight all the same."""
    page = article_page(json_ld={"@type": "NewsArticle", "datePublished": "2026-03-02"})
    published = extract_article(page, URL)["published"]
    assert published == "2026-03-02"
    assert parse_published(published).isoformat() == "2026-03-02T00:00:00+00:00"
    body = f"<article><h1>Harbour reopens</h1><p>Published March 2, 2026</p><p>{STORY * 3}</p></article>"
    assert extract_article(article_page(body=body), URL, crawled_at=datetime(2026, 3, 5, tzinfo=timezone.utc))[
        "published"] == "2026-03-02"  # htmldate's reading of the page


@pytest.mark.parametrize("line, lang, expected", [
    ("2026年3月2日", "ja", "2026-03-02"),
    ("2026年3月2日(月) 10時30分", "ja", "2026-03-02T10:30:00"),
    ("发布时间：2026年3月2日 10:30", "zh", "2026-03-02T10:30:00"),
    ("torsdag 05. mars 2026", "no", "2026-03-05"),  # htmldate reads words in many languages
])
def test_a_date_written_in_words_is_read_when_the_page_states_none_as_data(line, lang, expected):
    body = f'<article><h1>Harbour reopens</h1><div class="date">{line}</div><p>{STORY * 3}</p></article>'
    record = extract_article(article_page(body=body, lang=lang), URL,
                             crawled_at=datetime(2026, 3, 6, tzinfo=timezone.utc))
    assert record["published"] == expected


def test_a_year_alone_is_no_date():
    """htmldate reads a year with no day beside it (a copyright line) as 1 January: no statement of the day."""
    body = f"<article><h1>Harbour reopens</h1><p>{STORY * 3}</p><p>© 2026 Riverside Gazette</p></article>"
    crawled = datetime(2026, 3, 6, tzinfo=timezone.utc)
    assert extract_article(article_page(body=body), URL, crawled_at=crawled)["published"] is None
    assert extract_article(article_page(body=body), URL, crawled_at=crawled,
                           reference_date="2026-03-05T10:30:00+01:00")["published"] == "2026-03-05T09:30:00+00:00"
    body = body.replace("<p>© 2026", '<div class="date">1 January 2026</div><p>© 2026')
    assert extract_article(article_page(body=body), URL, crawled_at=crawled)["published"] == "2026-01-01"


@pytest.mark.parametrize("stated, expected", [
    ("Fri Mar 06 19:20:36 CEST 2026", "2026-03-06T19:20:36+02:00"),
    ("Fri, 06 Mar 2026 19:20:36 JST", "2026-03-06T19:20:36+09:00"),
    ("2026-03-06 19:20 EST", "2026-03-06T19:20:00-05:00"),
    ("Fri, 06 Mar 2026 19:20:36 IST", "2026-03-06T19:20:36+05:30"),
])
def test_zone_abbreviations_are_their_offsets(stated, expected):
    assert parse_stated(stated).isoformat() == expected
    assert parse_published(stated) == parse_stated(stated)
    page = article_page(meta("date", stated))
    assert extract_article(page, URL)["published"] == expected


# --------------------------------------------------------------------------- authors

def test_the_outlet_beside_a_person_is_no_author_an_agency_is():
    page = article_page(meta("author", "Riverside Gazette Media GmbH"), json_ld={
        "@type": "NewsArticle", "publisher": {"@type": "Organization", "name": "Riverside Gazette"},
        "author": [{"@type": "Person", "name": "María R. Calder"},
                   {"@type": "Organization", "name": "Riverside Gazette"},
                   {"@type": "Organization", "name": "Harbour Press Agency"}]})
    assert extract_article(page, URL)["authors"] == ["María R. Calder", "Harbour Press Agency"]


@pytest.mark.parametrize("company", ["Riverside Medya Yayıncılık A.Ş.", "株式会社リバーサイド", "ООО «Ривер Медиа»",
                                     "Riverside Zprávy s.r.o.", "Gruppo Riverside"])
def test_a_company_beside_a_person_is_no_author_in_other_languages_too(company):
    page = article_page(json_ld={"@type": "NewsArticle", "author": ["Ines Calder", company]})
    assert extract_article(page, URL)["authors"] == ["Ines Calder"]


def test_a_page_credited_only_to_an_organisation_keeps_the_credit():
    page = article_page(json_ld={"@type": "NewsArticle", "author": {"@type": "Organization", "name": "dpa"}})
    assert extract_article(page, URL)["authors"] == ["dpa"]


def test_url_slugs_and_addresses_are_no_authors():
    page = article_page(meta("author", "https://www.riverside-gazette.example/authors/emma-mackenzie/")
                        + meta("article:author", "emma-mackenzie", "property")
                        + meta("dc.creator", "Emma Mackenzie"))
    assert extract_article(page, URL)["authors"] == ["Emma Mackenzie"]
    page = article_page(json_ld={"@type": "NewsArticle", "author": [{"name": "Emma Mackenzie"},
                                                                    {"name": "Emma-Mackenzie"}]})
    assert extract_article(page, URL)["authors"] == ["Emma Mackenzie"]


def test_microdata_credits_the_article_not_its_images():
    body = ('<article itemscope itemtype="https://schema.org/NewsArticle"><h1>Harbour reopens</h1>'
            '<figure itemprop="image" itemscope itemtype="https://schema.org/ImageObject"><img src="/h.jpg">'
            '<figcaption itemprop="author">Photo: Harbour Press Agency</figcaption></figure>'
            f'<p>{STORY * 3}</p><p class="reference">Radio Riverside, 2 March; '
            '<span itemprop="author">rg/icd;bok</span></p>'
            '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
            '<span itemprop="name">Ana Lee</span> <span itemprop="jobTitle">Editor</span></div></article>')
    assert extract_article(article_page(body=body), URL)["authors"] == ["rg/icd", "bok", "Ana Lee"]


def test_last_first_is_one_person():
    page = article_page(meta("dc.creator", "Calder, Ines") + meta("dc.creator", "Okafor, Ben"))
    assert extract_article(page, URL)["authors"] == ["Ines Calder", "Ben Okafor"]


def test_a_byline_naming_several_people_and_an_agency():
    page = article_page(json_ld={"@type": "NewsArticle", "author": {"@type": "Person",
                                                                    "name": "Ines Calder und Ben Okafor, dpa"}})
    assert extract_article(page, URL)["authors"] == ["Ines Calder", "Ben Okafor", "dpa"]


@pytest.mark.parametrize("byline, authors", [
    ('<a rel="author" href="/authors/rb">Rachel Brazil <span class="count">0</span></a>', ["Rachel Brazil"]),
    ('<div class="byline"><a href="/authors/sw">Sidney Wiltgen</a> <span>Sidney Wiltgen</span></div>',
     ["Sidney Wiltgen"]),
    ('<div class="byline"><span>Image: Harbour Archive</span>, <a href="/authors/em">Emma Mackenzie</a></div>',
     ["Emma Mackenzie"]),
    ('<div class="byline">Kommentar von Nicole Opitz</div>', ["Nicole Opitz"]),
    ('<div class="byline">Di Viviana Mazza</div>', ["Viviana Mazza"]),
    ('<div class="author">Di Maio</div>', ["Di Maio"]),  # a surname, not Italian "by"
    ('<div class="byline">Ines Calder | Apr 16, 2026</div>', ["Ines Calder"]),  # the date split at its comma
    ('<div class="byline">Ines Calder / Sep 2, 2024</div>', ["Ines Calder"]),
    ('<div class="authors"><a href="/a/ic">Ines Calder</a>, <a href="/a/em">… Emma Mackenzie</a></div>',
     ["Ines Calder", "Emma Mackenzie"]),
    ('<div class="authors"><a href="/a/ic">Ines Calder</a>, <a href="/a/ha">© Harbour Archive</a></div>',
     ["Ines Calder"]),
])
def test_a_byline_read_from_the_markup_is_a_name_without_what_the_markup_runs_into_it(byline, authors):
    page = article_page(body=f"<article><h1>Harbour reopens</h1>{byline}<p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["authors"] == authors


@pytest.mark.parametrize("head, json_ld, body, authors", [
    (meta("author", "Ines Calder, Senior Reporter"), None, None, ["Ines Calder"]),
    ("", {"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ines Calder, Chefredakteurin"},
                                            {"@type": "Person", "name": "Ben Okafor, Korrespondent"}]},
     None, ["Ines Calder", "Ben Okafor"]),
    (meta("author", "Ayşe Yılmaz, İstanbul Muhabiri"), None, None, ["Ayşe Yılmaz"]),
    (meta("author", "Calder, Editor"), None, None, ["Calder"]),  # no "Editor Calder"
    ("", None, f'<article><h1>Harbour reopens</h1><div class="byline">By Ines Calder, Business Editor</div>'
               f"<p>{STORY * 3}</p></article>", ["Ines Calder"]),
    # A newsroom is a credit, not a job.
    (meta("author", "dpa, Riverside-Redaktion"), None, None, ["dpa", "Riverside-Redaktion"]),
])
def test_a_job_after_a_name_is_no_second_author(head, json_ld, body, authors):
    assert extract_article(article_page(head, body, json_ld=json_ld), URL)["authors"] == authors


@pytest.mark.parametrize("line, authors", [
    ("Von Ines Calder", ["Ines Calder"]),
    ("By Ines Calder and Ben Okafor, Riverside", ["Ines Calder", "Ben Okafor"]),
    ("Von Anna Sleegers, Frankfurt", ["Anna Sleegers"]),
    ("Par Ursula von der Leyen", ["Ursula von der Leyen"]),
    ("Von Anfang an war der Hafen zu klein", []),  # prose, not a credit
])
def test_a_credit_alone_on_a_line_at_the_start_of_the_text_names_a_page_that_states_no_other(line, authors):
    page = article_page(body=f"<article><h1>Harbour reopens</h1><p>{line}</p><p>{STORY * 3}</p></article>")
    record = extract_article(page, URL)
    assert record["authors"] == authors
    assert (line in record["text"]) == (not authors)


def test_a_middle_dot_between_a_name_and_the_outlet_separates_two_credits():
    page = article_page(meta("author", "Ines Calder · Riverside Gazette") + meta("og:site_name", "Riverside Gazette",
                                                                                "property"))
    assert extract_article(page, URL)["authors"] == ["Ines Calder"]


# --------------------------------------------------------------------------- titles

@pytest.mark.parametrize("tab_title, head", [
    ("Harbour reopens after repairs | Riverside Gazette", meta("og:site_name", "Riverside Gazette", "property")),
    ("Harbour reopens after repairs - Riverside-Gazette.example", ""),
    ("Harbour reopens after repairs | RG | 02.03.2026", meta("application-name", "RG")),
    ("Harbour reopens after repairs：リバーサイド新聞", meta("og:site_name", "リバーサイド新聞", "property")),
    ("Harbour reopens after repairs | Riverside Gazette | by Ines Calder", ""),
    ("Harbour reopens after repairs ― リバーサイド新聞", meta("og:site_name", "リバーサイド新聞", "property")),
    ("Harbour reopens after repairs丨河畔报", meta("og:site_name", "河畔报", "property")),
    ("Harbour reopens after repairs › Riverside Gazette", ""),
])
def test_the_site_name_is_cut_from_the_title(tab_title, head):
    page = article_page(f"<title>{tab_title}</title>{head}", body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Harbour reopens after repairs"


@pytest.mark.parametrize("url, title", [
    ("https://www.riverside-gazette.example/news/harbour/harbour-reopens", "Harbour reopens after repairs"),
    # Folders that are dates name no section: the piece before them stays ("News" is cut
    # as a news section's label, see below).
    ("https://www.riverside-gazette.example/2026/03/harbour-reopens", "Harbour reopens after repairs | Harbour"),
])
def test_a_section_the_url_files_the_page_under_is_cut_with_the_site_name(url, title):
    page = article_page("<title>Harbour reopens after repairs | Harbour | News | Riverside Gazette</title>"
                        + meta("og:site_name", "Riverside Gazette", "property"),
                        body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, url)["title"] == title


def test_each_part_of_a_site_name_made_of_parts_names_the_outlet():
    page = article_page("<title>港が再開 防波堤の修理終わる - リバーサイドニュース</title>"
                        + meta("og:site_name", "リバーサイド新聞：リバーサイドニュース", "property"),
                        body=f"<article><p>{STORY * 3}</p></article>", lang="ja")
    assert extract_article(page, URL)["title"] == "港が再開 防波堤の修理終わる"


@pytest.mark.parametrize("tab_title", ["Harbour reopens after repairs | The Evening Post",
                                       "The Evening Post :: Harbour reopens after repairs"])
def test_what_the_tab_title_adds_to_a_headline_stated_alone_is_the_outlet(tab_title):
    """The page names no outlet, nor does its host: the `<h1>` stating the headline
    alone shows what the tab's title adds, and `og:title` carries it too."""
    page = article_page(f"<title>{tab_title}</title>" + meta("og:title", tab_title, "property")
                        + meta("author", "Ines Calder"),
                        body=f"<article><h1>Harbour reopens after repairs</h1><p>{STORY * 3}</p></article>")
    record = extract_article(page, URL)
    assert record["title"] == "Harbour reopens after repairs"
    assert record["authors"] == ["Ines Calder"]
    # Without a source that states the headline alone, nothing tells the outlet's piece from the headline's own.
    alone = page.replace("<h1>Harbour reopens after repairs</h1>", "")
    assert extract_article(alone, URL)["title"] == tab_title


@pytest.mark.parametrize("tab_title, title", [
    ("Harbour reopens after repairs | Valley News", "Harbour reopens after repairs"),
    ("Harbour reopens after repairs - Son Dakika Haberleri", "Harbour reopens after repairs"),
    ("Harbour reopens after repairs - أخبار لبنان", "Harbour reopens after repairs"),
    # A clause of the headline that speaks of news goes on in lower case, or runs longer.
    ("Harbour reopens - and the fishermen welcome the news", "Harbour reopens - and the fishermen welcome the news"),
    ("Breaking News | Harbour reopens after repairs", "Breaking News | Harbour reopens after repairs"),
])
def test_a_news_section_label_after_the_headline_is_cut(tab_title, title):
    page = article_page(f"<title>{tab_title}</title>", body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == title


def test_a_meta_title_cut_short_by_an_unescaped_quote_is_read_whole_from_another_source():
    page = article_page('<meta property="og:title" content="Harbour reopens with a "royal visit"">'
                        "<title>Harbour reopens with a \"royal visit\" | Riverside Gazette</title>",
                        body=f'<article><h1>Harbour reopens with a "royal visit"</h1><p>{STORY * 3}</p></article>')
    assert extract_article(page, URL)["title"] == 'Harbour reopens with a "royal visit"'


def test_a_title_that_only_names_the_site_in_passing_is_kept():
    page = article_page("<title>Riverside Gazette wins press award - and readers vote - Riverside Gazette</title>"
                        + meta("og:site_name", "Riverside Gazette", "property"),
                        body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Riverside Gazette wins press award - and readers vote"


def test_json_ld_graph_article_and_author_reference():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": URL, "name": "Harbour reopens | Riverside Gazette"},
        {"@type": "NewsArticle", "headline": "Harbour reopens after storm repairs",
         "datePublished": "2026-03-02T08:30:00+01:00", "author": {"@id": "#/schema/person/ic"}},
        {"@type": "Person", "@id": "#/schema/person/ic", "name": "Ines Calder"}]}
    record = extract_article(article_page("<title>Harbour | Riverside Gazette</title>", json_ld=graph), URL)
    assert record["title"] == "Harbour reopens after storm repairs"
    assert record["authors"] == ["Ines Calder"]
    assert record["published"] == "2026-03-02T08:30:00+01:00"


# --------------------------------------------------------------------------- language and text

SWAHILI = ("Bandari ya mji imefunguliwa tena Jumatatu baada ya wiki tatu za matengenezo ya ukuta wa bahari. "
           "Wafanyakazi walibadilisha mawe ya mita arobaini na feri ya kwanza iliondoka alfajiri. Wavuvi walisema "
           "kufungwa kwa bandari kuliwagharimu msimu mzima wa uvuvi na sasa wanatumaini mambo yatakuwa bora. ")


def test_language_is_read_from_the_text_with_html_lang_only_a_hint():
    page = article_page(body=f"<article><h1>Bandari yafunguliwa</h1><p>{SWAHILI * 2}</p></article>", lang="en")
    assert extract_article(page, URL)["language"] == "sw"
    assert extract_article(article_page(lang=""), URL)["language"] == "en"


INDONESIAN = ("Pemerintah pada hari Rabu menyetujui rancangan undang-undang anggaran negara untuk tahun depan. "
              "Menteri Keuangan mengatakan defisit turun.")


@pytest.mark.parametrize("head, language", [
    ("", "ms"),  # as short as this, Indonesian reads a little more like Malay
    (meta("og:locale", "id_ID", "property"), "id"),
    (meta("content-language", "id", "http-equiv"), "id"),
    ("", "id"),  # JSON-LD inLanguage, below
])
def test_a_language_declared_beside_html_lang_is_a_hint_too(head, language):
    json_ld = {"@type": "NewsArticle", "inLanguage": {"@type": "Language", "alternateName": "id"}}
    page = article_page(head, body=f"<article><h1>Defisit turun</h1><p>{INDONESIAN}</p></article>", lang="",
                        json_ld=json_ld if not head and language == "id" else None)
    assert extract_article(page, URL)["language"] == language


def test_varieties_of_one_language_are_that_language():
    """Hong Kong news in standard Chinese reads as Cantonese and Chinese about equally."""
    hong_kong = ("特區政府今日公布，由下個月起會向合資格市民發放電子消費券，財政司司長表示，"
                 "措施有助刺激本地消費，但有議員批評計劃細節未夠清晰。")
    page = article_page(body=f"<article><h1>消費券下月發放</h1><p>{hong_kong}</p></article>", lang="")
    assert extract_article(page, URL)["language"] == "zh"


def test_kana_among_chinese_characters_is_japanese():
    """A date line and names in kanji ahead of the first sentence read as Chinese to the detector."""
    text = "2025年1月14日 01時28分 (1月14日 01時40分更新)\n　１３日午後９時１９分ごろ、宮崎県"
    assert detect_language("", text) == "ja"
    assert detect_language("", "台灣の味：夜市小吃成為觀光客最喜愛的美食，政府計劃明年擴大推廣活動。") == "zh"


def test_a_declared_language_the_detector_does_not_know_is_believed():
    greenlandic = ("Naalakkersuisut aalajangerput Kalaallit Nunaanni aningaasaliissutit ukiumi tulliuttumi "
                   "amerlanerulersinneqassasut, inuit amerlanerit isumaqatigiinngillat. ")
    page = article_page(body=f"<article><h1>Aningaasaliissutit</h1><p>{greenlandic * 2}</p></article>", lang="kl")
    assert extract_article(page, URL)["language"] == "kl"
    assert extract_article(page.replace('lang="kl"', 'lang="xx"'), URL)["language"] != "xx"  # no language


@pytest.mark.parametrize("declared, code", [("iw", "he"), ("in-ID", "id"), ("fil", "tl"), ("nb_NO", "nb"),
                                            ("xx", None), ("und", None)])
def test_declared_codes_are_read_as_they_are_now(declared, code):
    assert language_code(declared) == code


def test_text_from_a_script_state_when_the_body_is_empty():
    state = {"props": {"pageProps": {"article": {
        "headline": "Harbour reopens",
        "body": [{"type": "paragraph", "text": sentence.strip() + " The mayor thanked the crews for their work."}
                 for sentence in STORY.split(". ") if sentence.strip()] * 2}}}}
    page = article_page(body='<div id="root"></div><script id="__NEXT_DATA__" type="application/json">'
                             f"{json.dumps(state)}</script>")
    record = extract_article(page, URL)
    assert "first ferry left at dawn" in record["text"] and "The mayor thanked" in record["text"]


def test_text_from_a_state_a_script_assigns_to_a_global():
    paragraphs = [sentence.strip() + ". The mayor thanked the crews for their work."
                  for sentence in STORY.split(". ") if sentence.strip()] * 2
    state = {"article": {"id": 7, "content": {"blocks": [{"html": f"<p>{p}</p>"} for p in paragraphs]}}}
    page = article_page(body='<div id="app"></div><script>window.__INITIAL_STATE__ = '
                             f"{json.dumps(state)};</script><script>var other = 1;</script>")
    record = extract_article(page, URL)
    assert "first ferry left at dawn" in record["text"] and "<p>" not in record["text"]


def test_a_byline_line_is_no_body_text_a_sentence_naming_the_author_is():
    body = (f"<article><h1>Harbour reopens</h1><p>Von Ines Calder und Ben Okafor, Riverside</p><p>{STORY * 2}</p>"
            f"<p>Ines Calder said the breakwater will hold, and Ben Okafor agreed.</p><p>{STORY}</p>"
            "<p>Ines Calder</p></article>")
    page = article_page(json_ld={"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ines Calder"},
                                                                    {"@type": "Person", "name": "Ben Okafor"}]},
                        body=body)
    record = extract_article(page, URL)
    assert record["authors"] == ["Ines Calder", "Ben Okafor"]
    assert record["text"].startswith("The harbour reopened") and record["text"].endswith("cost them a season.")
    assert "Ines Calder said the breakwater will hold" in record["text"]
    body = (f"<article><h1>Harbour reopens</h1><p>By Ines Calder, Senior Business Correspondent</p>"
            f"<p>{STORY * 3}</p></article>")
    record = extract_article(article_page(meta("author", "Ines Calder"), body), URL)
    assert record["authors"] == ["Ines Calder"] and record["text"].startswith("The harbour reopened")


def test_embedded_social_posts_are_no_body_text():
    tweet = ('<blockquote class="twitter-tweet"><p lang="en">Queues at the ferry terminal since five this '
             'morning, nobody told us the timetable changed, absolutely shambolic</p>&mdash; Disgruntled Commuter '
             '(@commuter) <a href="https://x.example/status/1">March 2, 2026</a></blockquote>')
    body = f"<article><h1>Harbour reopens</h1><p>{STORY * 2}</p>{tweet}<p>{STORY}</p></article>"
    text = extract_article(article_page(body=body), URL)["text"]
    assert "first ferry left at dawn" in text and "shambolic" not in text and "@commuter" not in text


def test_the_body_does_not_repeat_the_headline():
    page = article_page(meta("og:title", "Harbour reopens after repairs", "property"),
                        body=f"<article><p>Harbour reopens after repairs</p><p>{STORY * 3}</p></article>")
    record = extract_article(page, URL)
    assert record["title"] == "Harbour reopens after repairs"
    assert record["text"].startswith("The harbour reopened on Monday")



def test_crossheads_are_no_body_text():
    second = ("The port authority said the new stone would hold for thirty years. Insurance claims from the "
              "winter storms are still being settled, and the ferry company expects a busy summer season. ")
    page = article_page(body=f"<article><h1>Harbour reopens</h1><p>{STORY * 2}</p><h2>Thirty more years</h2>"
                             f"<p>{second * 2}</p><h3>Ferries return</h3><p>{STORY}</p></article>")
    text = extract_article(page, URL)["text"]
    assert "The port authority said" in text and text.count("The harbour reopened") == 3
    assert "Thirty more years" not in text and "Ferries return" not in text
    # A sentence that happens to sit in a heading tag is kept when nothing else is text.
    page = article_page(body=f"<article><h2>{STORY * 2}</h2></article>")
    assert "The harbour reopened on Monday" in extract_article(page, URL)["text"]



def test_crossheads_run_into_a_stated_article_body_are_no_body_text():
    second = ("The port authority said the new stone would hold for thirty years. Insurance claims from the "
              "winter storms are still being settled, and the ferry company expects a busy summer season. ")
    quote = "The sea always wins in the end."
    blob = f"{STORY * 2}Thirty more years {second * 2}{quote} said the harbour master. {STORY}"
    page = article_page(body=f"<article><p>{STORY * 2}</p><h2>Thirty more years</h2><p>{second * 2}</p>"
                             f"<h3>{quote}</h3><p>{quote} said the harbour master. {STORY}</p></article>",
                        json_ld={"@type": "NewsArticle", "headline": "Harbour reopens", "articleBody": blob})
    text = extract_article(page, URL)["text"]
    assert "\n" not in text.strip()  # the stated body, one blob
    assert "Thirty more years" not in text and "season. The port authority" in text
    assert f"{quote} said the harbour master" in text  # a pull quote is a sentence of the prose

def test_a_picture_credit_is_no_body_text():
    page = article_page(body=f"<article><p>{STORY * 2}</p><p>Photo: Jane Doe, Riverside Gazette</p>"
                             f"<p>Фото: Дмитрий Азаров</p><p>{STORY}</p>"
                             f"<p>Photo: the harbour at dawn was the first picture anyone took. It ran on page one.</p>"
                             f"</article>")
    text = extract_article(page, URL)["text"]
    assert "Jane Doe" not in text and "Азаров" not in text
    assert "Photo: the harbour at dawn was the first picture" in text  # a sentence, not a credit

def test_a_kicker_beside_the_headline_is_cut_when_two_sources_state_it_alone():
    page = article_page(meta("og:title", "Storm season | Harbour reopens after repairs", "property"),
                        body=f"<article><h1>Harbour reopens after repairs</h1><p>{STORY * 3}</p></article>",
                        json_ld={"@type": "NewsArticle", "headline": "Harbour reopens after repairs"})
    assert extract_article(page, URL)["title"] == "Harbour reopens after repairs"
    page = article_page(meta("og:title", "Storm season | Harbour reopens after repairs", "property"),
                        body=f"<article><h1>Harbour reopens after repairs</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Storm season | Harbour reopens after repairs"


def test_a_kicker_most_sources_state_with_the_headline_is_part_of_it():
    kicker = "After the storm: Harbour reopens after repairs"
    page = article_page(meta("og:title", "Harbour reopens after repairs", "property") + f"<title>{kicker}</title>",
                        body=f"<article><h1>{kicker}</h1><p>{STORY * 3}</p></article>",
                        json_ld={"@type": "NewsArticle", "headline": kicker})
    assert extract_article(page, URL)["title"] == kicker
    # One other source stating it is no majority: the order decides.
    page = article_page(meta("og:title", "Harbour reopens after repairs", "property"),
                        body=f"<article><h1>{kicker}</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Harbour reopens after repairs"



def test_a_headline_sources_give_different_kickers_is_the_headline_without_them():
    headline = "«The harbour will not close again»"
    page = article_page(meta("og:title", f"Storm damage on the coast: {headline}", "property"),
                        body=f"<article><h1>Winter weather - {headline}</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == headline
    # One kicker spelled twice ("Coast" and "Storm coast") is the same label: the order decides.
    page = article_page(meta("og:title", f"Storm coast: {headline}", "property"),
                        body=f"<article><h1>Coast - {headline}</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == f"Storm coast: {headline}"
    page = article_page(meta("og:title", f"英超联赛挫折：{headline}", "property"),
                        body=f"<article><h1>挫折：{headline}</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == f"英超联赛挫折：{headline}"

@pytest.mark.parametrize("credit, names", [
    ("Jan Novák a Petr Svoboda", ["Jan Novák", "Petr Svoboda"]),
    ("牛镛、岳弘彬", ["牛镛", "岳弘彬"]),
    ("By John A. Smith and Ana Lee", ["John A. Smith", "Ana Lee"]),
    ("Dan Rivers and Ana Lee", ["Dan Rivers", "Ana Lee"]),
    ("Oleh Rina Wijaya dan Budi Santoso", ["Rina Wijaya", "Budi Santoso"]),
    ("Автор: Иван Петров и Анна Смирнова", ["Иван Петров", "Анна Смирнова"]),
    ("Yazan: Ayşe Yılmaz ve Mehmet Kaya", ["Ayşe Yılmaz", "Mehmet Kaya"]),
    ("Matti Virtanen ja Liisa Korhonen", ["Matti Virtanen", "Liisa Korhonen"]),
    ("بقلم محمد علي و أحمد حسن", ["محمد علي", "أحمد حسن"]),
    ("Νίκος Παππάς και Μαρία Οικονόμου", ["Νίκος Παππάς", "Μαρία Οικονόμου"]),
    ("홍길동 기자 hong@riverside-gazette.example", ["홍길동"]),
    ("記者：山田太郎", ["山田太郎"]),
    ("山田太郎記者", ["山田太郎"]),
    ("Jan Novák jan.novak@riverside-gazette.example", ["Jan Novák"]),
    ("Edited by: Ravi Kumar", ["Ravi Kumar"]),
    ("Reported by Ana Lee and Ravi Kumar", ["Ana Lee", "Ravi Kumar"]),
])
def test_credits_are_split_at_the_words_and_marks_that_join_names(credit, names):
    page = article_page(meta("author", credit))
    assert extract_article(page, URL)["authors"] == names



def test_a_chinese_editor_credit_names_the_page_that_states_no_other():
    story = "港口在修复防波堤三周后于周一重新开放。工人们更换了四十米的石块，第一班渡轮在黎明时分离港。" * 4
    credit = '<div class="edit">(责编：张晓明、李华)</div>'
    page = article_page(body=f"<article><p>{story}</p>{credit}</article>", lang="zh")
    record = extract_article(page, URL)
    assert record["authors"] == ["张晓明", "李华"] and "责编" not in record["text"]
    page = article_page(meta("author", "王芳"), body=f"<article><p>{story}</p>{credit}</article>", lang="zh")
    assert extract_article(page, URL)["authors"] == ["王芳"]

def test_the_outlet_name_the_feed_gave_is_cut_from_the_title():
    page = article_page("<title>Harbour reopens after repairs · The Estuary Courier</title>",
                        body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Harbour reopens after repairs · The Estuary Courier"
    assert extract_article(page, URL, outlet="The Estuary Courier")["title"] == "Harbour reopens after repairs"


def test_a_title_that_is_only_the_outlet_name_is_no_headline():
    page = article_page(meta("og:title", "Riverside Gazette", "property")
                        + meta("og:site_name", "Riverside Gazette", "property"),
                        body=f"<h1>Riverside Gazette</h1><article><h2>x</h2><p>{STORY * 3}</p></article>",
                        json_ld={"@type": "NewsArticle", "headline": "Harbour reopens after repairs"})
    assert extract_article(page, URL)["title"] == "Harbour reopens after repairs"


def test_titles_are_unescaped_once_as_html_says_json_ld_as_often_as_it_was_escaped():
    # The page's own text says "&lt;blink&gt;": one unescape by the HTML rules, no second.
    page = article_page("<title>Why the &amp;lt;blink&amp;gt; tag died | Riverside Gazette</title>"
                        + meta("og:site_name", "Riverside Gazette", "property"),
                        body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "Why the &lt;blink&gt; tag died"
    page = article_page(meta("og:title", "Why the &amp;lt;blink&amp;gt; tag died", "property"))
    assert extract_article(page, URL)["title"] == "Why the &lt;blink&gt; tag died"
    # JSON-LD is script text that publishers escape themselves, often twice.
    page = article_page(json_ld={"@type": "NewsArticle", "headline": "The harbour&amp;#8217;s reopening"},
                        body=f"<article><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "The harbour’s reopening"


def test_the_title_keeps_the_quotes_most_sources_spell_it_with():
    page = article_page(meta("og:title", "What's right, not what's easy", "property")
                        + "<title>What’s right, not what’s easy</title>",
                        body=f"<article><h1>What’s right, not what’s easy</h1><p>{STORY * 3}</p></article>")
    assert extract_article(page, URL)["title"] == "What’s right, not what’s easy"


def test_lines_pointing_to_other_stories_are_no_body_text():
    body = (f"<article><p>{STORY}</p><p>Read more: Ferry fares rise again</p><p>{STORY}</p>"
            f"<p>Les også: Havna åpner igjen</p><p>FUNDA OLUNYE UDABA LAPHA | Itheku livula itheku</p>"
            f"<p>Soma pia: Bandari yafunguliwa</p><p>Officials said: the breakwater will hold. {STORY}</p></article>")
    text = extract_article(article_page(body=body), URL)["text"]
    assert "Ferry fares" not in text and "Havna" not in text and "Itheku" not in text and "Bandari" not in text
    assert "Officials said: the breakwater will hold." in text
