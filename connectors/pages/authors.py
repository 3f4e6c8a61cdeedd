"""Who wrote a page: people's names as the publisher wrote them.

The JSON-LD article's `author` is the most deliberate statement a page makes
(objects, strings, `@id` references into its `@graph`); meta tags (`author`,
`article:author`, Dublin Core, citation tags) come next, then the page's
microdata (`itemprop="author"` within the article's item), trafilatura's
reading of the byline, and last the editor's credit Chinese pages close
with ("(责编：…)"). Within a source, what is not a credit is dropped: URLs
and e-mail addresses, URL slugs ("emma-mackenzie"), ids, and the outlet
itself or a company ("Frankfurter Allgemeine Zeitung GmbH") when a person
is named beside them; a news agency beside a reporter is a credit. Names
read from byline markup also lose what the markup runs into them (a count,
a doubled statement) and picture credits.
A page credited only to an organisation ("dpa", "ndr.de") keeps that
credit. Names keep their spelling ("María R. Sahuquillo", "ndr.de");
"Last, First" is one person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author

from newsbeam.connectors.pages.signals import (
    ARTICLE_TYPES,
    PageSignals,
    clean_text,
    collapse_space,
    is_organisation,
    name_keys,
)

#: Meta tags that name authors, best first.
_META_SOURCES = ("author", "article:author", "og:article:author", "dc.creator", "citation_author",
                 "parsely-author", "sailthru.author", "byl")
#: Words that join two authors' names in a byline, in the languages of the news
#: newsbeam reads (lower case: "Dan" is a name, "dan" Indonesian "and").
_AND = re.compile(r"\s+(?:and|und|og|och|et|en|ve|y|e|i|a|ja|és|și|şi|dan|oraz|ir|và|и|і|та|και|"
                  r"و|اور|और|एवं|এবং|ও|และ|&)\s+"
                  r"|\s*[;|、，،]\s*|\s+[·•]\s+|\s*,\s*(?:and\s+)?")
#: A credit's leading role word ("By", "Von", "Autor:", "(责编：").
_ROLE = re.compile(r"^(?:(?:by|von|par|por|door|av|af|text|tekst|autor(?:in)?|author|reporter|oleh|penulis|"
                   r"автор|текст|szerző|tác giả|yazan|muhabir|بقلم|كتب|लेखक|"
                   r"(?:written|reported|posted|edited|compiled|analysis|commentary|opinion|reporting|story) by|geschrieben von|"
                   r"(?:ein(?:e)?\s+)?(?:kommentar|analyse|gastbeitrag|kolumne|glosse|reportage) von|"
                   # Italian "di" only before two words or more: "Di Maio" is a surname.
                   r"di(?=\s+\S+\s+\S))\s*:?\s+|[(（]\s*(?:责任编辑|责编|責任編輯|責編)\s*[：:]\s*|"
                   # Chinese and Japanese set the reporter's title before the name, without a space.
                   r"(?:本报记者|记者|記者)\s*[：:]?\s*|文\s*[：:/／]\s*)", re.I)
#: A reporter's title after the name (Korean "홍길동 기자", Japanese "山田太郎記者"), and
#: what follows it in a byline: the reporter's address.
_TITLE_AFTER = re.compile(r"\s*(?:기자|특파원|記者|记者|特派員|特派员)(?:\s.*)?$")
#: An address or handle within a credit ("Jan Novák jan.novak@…", "Ana Lee @analee").
_ADDRESS = re.compile(r"\s*\S*@\S*")
_NOT_A_NAME = re.compile(r"https?:|www\.|@|^[\d\W_]+$")
#: A URL slug: lower-case words joined by hyphens, no spaces.
_SLUG = re.compile(r"^[^\W\d_A-Z]+(?:-[^\W_A-Z]+)+$")
#: Legal forms that mark a company, not a person; case-sensitive, so that
#: "Ab Rahman" stays a person.
_LEGAL_FORM = re.compile(r"\b(?:GmbH|AG|KG|Ltd|Limited|Inc|LLC|LLP|plc|PLC|Pty|Pvt|S\.A\.|S\.A\.S\.|SAS|S\.p\.A\.|"
                         r"SpA|S\.r\.l\.|Srl|S\.L\.|B\.V\.|N\.V\.|A/S|AB|ASA|Oyj|s\.r\.o\.|a\.s\.|Sp\. z o\.o\.|"
                         r"A\.Ş\.|K\.K\.|ООО|ОАО|ПАО|Verlag|Verlagsgruppe|Media|Medya|Mediengruppe|Group|Grupo|"
                         r"Groupe|Gruppo|Holding|Corporation|Corp)(?!\w)|株式会社|有限公司|주식회사|\(주\)")
#: Microdata credits: elements whose `itemprop` (a list of names) holds "author".
_ITEMPROP_AUTHOR = etree.XPath("//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]")
_ITEMPROP_NAME = etree.XPath(".//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' name ')]")
#: The editor's credit Chinese news pages close with ("(责编：牛镛、岳弘彬)", "（责任编辑：王小明）"),
#: often their only credit and outside any byline markup.
_EDITOR_CREDIT = re.compile(r"[(（]\s*(?:责任编辑|责编|責任編輯|責編)\s*[：:]\s*([^()（）<>]{1,60}?)\s*[)）]")
#: One word of a name ("Brazil", "María"): no digits, no dots but an initial's.
_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[-'’][^\W\d_]+)*\.?$")


#: A job after a name ("Jane Doe, Senior Reporter", "Max Muster, Chefredakteur", "Ayşe Yılmaz,
#: İstanbul Muhabiri"): stems of the newsroom's jobs in the languages newsbeam reads, found
#: inside compounds and inflections. A newsroom ("MM-Redaktion", "Editorial Board") is a
#: credit, not a job.
_JOB = re.compile(r"rep[oó]rter|edit[oö]r(?!ial)|redakt(?:eu|ø|ö|o)r|r[ée]dact(?:eu|o)r|r[ée]dactrice|"
                  r"redatt(?:ore|rice)|correspon|korrespon|corrispond|zpravodaj|journalist|periodist|"
                  r"giornalist|dziennikarz|novinář|toimittaja|verslaggever|writer|columnist|kolumnist|"
                  r"contributor|publisher|producer|analyst|\bstaff\b|muhabir|photograph|fotograf|inviat|"
                  r"envoy|enviad|корр?еспондент|редактор|журналист|обозреватель|مراسل|محرر", re.I)


def _split(value: str) -> list[str]:
    """One credit string as names: "A und B, dpa" → A, B, dpa; "Last, First" → "First Last"
    ("Doe, Editor" is no name: see `_JOB`)."""
    value = _ROLE.sub("", _ADDRESS.sub("", collapse_space(value))).strip()
    parts = value.split(",")
    if len(parts) == 2 and all(len(p.split()) == 1 and _WORD.match(p.strip()) and not p.strip().isupper()
                               and not p.strip().islower() and not _JOB.search(p) for p in parts):
        return [f"{parts[1].strip()} {parts[0].strip()}"]
    return [_TITLE_AFTER.sub("", _ROLE.sub("", name)).strip() for name in _AND.split(value) if name and name.strip()]


def _json_ld_names(value: Any, by_id: dict[str, dict[str, Any]]) -> Iterator[tuple[str, bool]]:
    """(name, is an organisation) for a JSON-LD `author` value."""
    if isinstance(value, list):
        for item in value:
            yield from _json_ld_names(item, by_id)
    elif isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str):
            value = by_id.get(value["@id"], value)
        name = value.get("name")
        if isinstance(name, list):
            name = " ".join(str(n) for n in name)
        if not name and (value.get("givenName") or value.get("familyName")):
            name = f"{value.get('givenName', '')} {value.get('familyName', '')}"
        if name:
            organisation = is_organisation(value)
            for part in _split(clean_text(name)):
                yield part, organisation
    elif isinstance(value, str) and value.strip():
        for part in _split(clean_text(value)):
            yield part, False


def _keep(name: str) -> bool:
    return bool(name) and not _NOT_A_NAME.search(name) and not _SLUG.match(name)


def _names_outlet(name: str, site_keys: frozenset[str]) -> bool:
    """Whether a credit is the outlet: its name, or its name first ("MDR THÜRINGEN", "NDR.de")."""
    return bool(name_keys(name) & site_keys) or bool(name_keys(name.split()[0]) & site_keys)


def _is_outlet(name: str, site_keys: frozenset[str]) -> bool:
    return bool(_LEGAL_FORM.search(name)) or bool(name_keys(name) & site_keys)


def _people_first(names: list[tuple[str, bool]], site_keys: frozenset[str]) -> list[str]:
    """The credits, without the outlet or a company when someone else is
    credited and without a job stated after a name; when only organisations
    are named, those.

    An agency typed as an organisation beside a reporter ("Deutsche
    Presse-Agentur") is a credit and stays; the publisher is not.
    """
    # A job after the first name ("Jane Doe, Senior Reporter", split at its comma) is no credit.
    names = [(n, org) for i, (n, org) in enumerate(names) if _keep(n) and not (i and _JOB.search(n))]
    credits = [n for n, org in names if not _is_outlet(n, site_keys)]
    if not any(not org for n, org in names if n in credits):  # nobody but organisations
        credits = [n for n, _ in names]
    chosen = credits
    unique: dict[str, str] = {}
    for name in chosen:  # "Emma-Mackenzie" and "Emma Mackenzie" are one person
        unique.setdefault(min(name_keys(name) or {name}), name)
    return list(unique.values())


#: A byline is a short line; longer ones are sentences, passed over without reading them.
_BYLINE_CHARS = 120


def byline_test(authors: list[str]) -> Callable[[str], bool]:
    """Whether a line is a byline crediting `authors`: their names, joined as
    bylines join them, after a role word ("Von"), with at most a place or a
    job after a comma ("Von Anna Sleegers, Frankfurt", "By Ines Calder, Senior
    Business Correspondent"). A sentence that begins with a
    name ("Anna Sleegers sagte, …") is no byline."""
    keys: frozenset[str] | None = None  # the authors' name keys, worked out at the first short line

    def is_byline(line: str) -> bool:
        nonlocal keys
        if len(line) > _BYLINE_CHARS or not line.strip():
            return False
        if keys is None:
            keys = frozenset(key for name in authors for key in name_keys(name))
        parts = [part for part in _AND.split(_ROLE.sub("", collapse_space(line))) if part.strip()]
        if not parts or not name_keys(parts[0]) & keys:
            return False
        named = [bool(name_keys(part) & keys) for part in parts]
        return all(named[:-1]) and (named[-1] or (len(parts) > 1 and (len(parts[-1].split()) <= 2
                                                                       or bool(_JOB.search(parts[-1])))))

    return is_byline


def microdata_credits(tree: HtmlElement) -> list[str]:
    """The credits the page's microdata gives its article: `itemprop="author"`
    elements whose item is an article (an image's or a teaser's author is
    not this story's), as their `name`'s text, or their own."""
    credits = []
    for element in _ITEMPROP_AUTHOR(tree):
        item = next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)
        kind = (item.get("itemtype") or "").rstrip("/").rsplit("/", 1)[-1].lower() if item is not None else ""
        if kind not in ARTICLE_TYPES:
            continue
        if element.get("itemscope") is not None:  # a Person item: its name
            element = next(iter(_ITEMPROP_NAME(element)), None)
            if element is None:
                continue
        if credit := collapse_space(element.get("content") or element.text_content()):
            credits.append(credit)
    return credits


def _page_credits(tree: HtmlElement | None) -> list[str]:
    """Credits the page's markup gives: its microdata, else trafilatura's
    reading of the byline (`;`-separated)."""
    if tree is None:
        return []
    return microdata_credits(tree) or (extract_author(tree) or "").split(";")


#: Digits a byline element runs into a name ("Rachel Brazil 0": a count of the author's other stories).
_TRAILING_NUMBERS = re.compile(r"(?:\s+\d+)+$")
#: A picture's credit ("(Image: Getty Images)", "Foto: …"), which byline markup often holds too.
_PICTURE = re.compile(r"^\W*(?:images?|photos?|pictures?|fotos?|bild|credits?)\b|^\W*©", re.I)
#: A month, as a date beside a byline spells it ("Sep 2", "Apr 16, 2026" split at its comma).
_MONTH = re.compile(r"^(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?$", re.I)
#: Marks the markup puts before a name ("… Jeff Tollefson", "| Ana Lee").
_LEADING_MARKS = re.compile(r"^[^\w(]+")


def _byline_name(name: str) -> str:
    """A name read from the page's byline markup without what the markup runs
    into it: a count after it ("Rachel Brazil 0"), marks before it ("… Jeff
    Tollefson"), a second statement of it ("Sidney Wiltgen Sidney Wiltgen", a
    link's text and its tooltip). "" when it is no name: a picture's or a
    copyright's credit ("© Harbour Archive"), or a date ("Sep 2", a month the byline's date left alone when split at its
    comma: "Apr 16, 2026"; a name has no digits).
    Only markup is read so loosely; what a page states as data is its own spelling."""
    if _PICTURE.match(name):
        return ""
    name = _LEADING_MARKS.sub("", _TRAILING_NUMBERS.sub("", name))
    if _MONTH.match(name) or any(c.isdigit() for c in name):
        return ""
    words = name.split()
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    return name


#: Lines at each end of the main text where a credit stands alone.
_EDGE_LINES = 3
#: An "and" between names, as a byline's comma is not ("Von Anna Sleegers, Frankfurt").
_AND_WORD = re.compile(_AND.pattern.split("|\\s*[;|")[0])
#: A particle inside a name ("Ursula von der Leyen", "Jan de Vries"): short and lower case.
_PARTICLE_CHARS = 3


def _name_like(name: str) -> bool:
    """Whether a piece of a line is spelled like a person's name: two to four
    words, capitalised (or of a script without case) but for short particles inside."""
    words = name.split()
    return (2 <= len(words) <= 4 and all(_WORD.match(word) for word in words)
            and not words[0][0].islower() and not words[-1][0].islower()
            and all(not word[0].islower() or len(word) <= _PARTICLE_CHARS for word in words))


def text_credits(text: str) -> list[str]:
    """The names of a credit standing alone on one of the first or last lines
    of the main text, after a role word ("Von Max Muster", "By Jane Doe and
    John Roe, London"): the only credit some pages give. What follows a comma
    is a place or a job unless the line joins names with "and"; a line with
    anything but names after its role word is prose ("Von Anfang an …")."""
    lines = text.split("\n")
    for line in (*lines[:_EDGE_LINES], *lines[-_EDGE_LINES:]):
        line = collapse_space(line)
        if len(line) > _BYLINE_CHARS or not (role := _ROLE.match(line)) or not role.group().strip():
            continue
        rest = line[role.end():]
        head, _, tail = rest.rpartition(",")
        if head and not _AND_WORD.search(tail) and not _name_like(tail):  # a place or a job at the end
            rest = head
        names = ([n.strip() for n in _AND.split(rest) if n.strip()] if _AND_WORD.search(rest)
                 else [rest.split(",")[0].strip()])
        if names and all(_name_like(name) for name in names):
            return names
    return []


def choose_authors(signals: PageSignals, tree: Callable[[], HtmlElement | None] = lambda: None,
                   html: str = "", text: str = "") -> list[str]:
    """The page's authors (see the module docstring). `tree` gives the page
    parsed; it is asked only when no JSON-LD or meta tag names anyone. The
    page's `html` is searched for an editor's credit ("(责编：…)"), and its main
    `text` for a credit on a line of its own (`text_credits`), when nothing
    else names anyone."""
    site_keys = signals.site_keys
    if names := _people_first(list(_json_ld_names(signals.article.get("author"), signals.by_id)), site_keys):
        return names
    for source in _META_SOURCES:  # a meta tag naming the outlet itself is the site's default, no credit
        values = signals.metas.get(source, [])
        named = [(n, False) for value in values for n in _split(value) if not _names_outlet(n, site_keys)]
        if names := _people_first(named, site_keys):
            return names
    named = [(n, False) for value in _page_credits(tree()) for n in map(_byline_name, _split(value))
             if n and not _names_outlet(n, site_keys)]
    # A scan for the credit's characters first: the pattern starts at every "(" of the page's scripts.
    if not named and ("责" in html or "責" in html) and (credit := _EDITOR_CREDIT.search(html)):
        named = [(n, False) for n in _split(credit.group(1))]
    if not named:
        named = [(n, False) for n in text_credits(text) if not _names_outlet(n, site_keys)]
    return _people_first(named, site_keys)
