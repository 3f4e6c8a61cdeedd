"""What a page states about itself: its JSON-LD article, meta tags, `<title>` and `<h1>`.

Publishers state an article's title, authors, date and outlet several times
over, for different readers: JSON-LD for search engines, Open Graph for social
networks, Dublin Core for libraries, `<title>` for the browser tab and `<h1>`
for people. `PageSignals` reads them once per page (the JSON-LD parsed, the
meta tags newsbeam uses read) so that each choice (`titles`, `authors`,
`dates`, `walls`) can compare what the page says in every place.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from newsbeam.connectors.pages.tags import PageTags, attributes

#: JSON-LD types of an article, lower-cased.
ARTICLE_TYPES = frozenset({"article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                           "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "liveblogposting",
                           "report", "scholarlyarticle", "techarticle", "socialmediaposting", "videoobject"})
#: Meta tags that state a publication (not modification) time, best first.
DATE_META_NAMES = ("article:published_time", "og:article:published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
                   "dcterms.created", "dc.date", "date")
#: Meta tags (`http-equiv` too) that declare the page's language, most trusted first.
LANGUAGE_META_NAMES = ("og:locale", "content-language", "dc.language", "language")
#: Meta names read for titles, outlets, authors and dates.
_META_NAMES = frozenset({"og:title", "twitter:title", "dc.title", "og:site_name", "application-name",
                         "author", "article:author", "og:article:author", "dc.creator", "citation_author",
                         "parsely-author", "sailthru.author", "byl", "og:url", *LANGUAGE_META_NAMES,
                         *DATE_META_NAMES})
#: Substrings of a raw meta tag that may carry one of those names: most of a
#: page's meta tags are none of these, and parsing their attributes is the cost.
_META_HINTS = ("title", "site_name", "application-name", "author", "creator", "byl", "og:url", "date",
               "published_time", "created", "locale", "language")
_SPACE = re.compile(r"\s+")
#: Where an outlet's name made of parts divides ("産経新聞：産経ニュース", "Kommersant | Business").
_NAME_PARTS = re.compile(r"\s*[|｜：]\s*|\s+[-–—:/·•]\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")
#: Letters Germanic hosts spell out (`boersen-zeitung.de` for "Börsen-Zeitung").
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})


def clean_text(value: Any) -> str:
    """A JSON-LD value as plain text: references resolved, white space collapsed.

    JSON-LD is script text, which HTML does not unescape, yet publishers
    escape it, often twice (`&amp;#8217;`); both layers are resolved. Values
    from the HTML itself (meta contents, `<title>`) were unescaped once by
    the HTML rules (`tags`) and only need `collapse_space`: a second pass
    would turn a headline's literal "&lt;" into "<".
    """
    text = str(value or "")
    for _ in range(2):
        if "&" not in text:
            break
        text = html.unescape(text)
    return collapse_space(text)


def collapse_space(text: str) -> str:
    """`text` with runs of white space as one space, ends trimmed."""
    return _SPACE.sub(" ", text).strip()


def _walk_json_ld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_json_ld(item)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in node:
                yield from _walk_json_ld(node[key])


def json_ld_objects(scripts: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object in the page's JSON-LD `scripts`, `@graph` members
    included; bad JSON is skipped."""
    for script in scripts:
        if not script:
            continue
        try:
            yield from _walk_json_ld(json.loads(script))
        except ValueError:
            continue


def name_keys(name: str) -> set[str]:
    """Spellings of a name that compare equal across case, accents and
    punctuation: "Börsen-Zeitung" → {"borsenzeitung", "boersenzeitung"}."""
    lowered = name.casefold()
    keys = set()
    for variant in (lowered, lowered.translate(_SPELLED_OUT)):
        stripped = "".join(c for c in unicodedata.normalize("NFKD", variant) if not unicodedata.combining(c))
        keys.add(_NOT_ALNUM.sub("", stripped))
    keys.discard("")
    return keys


def json_ld_types(node: dict[str, Any]) -> set[str]:
    """A JSON-LD node's `@type`s, lower-cased (one type or a list of them)."""
    kind = node.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def is_organisation(node: dict[str, Any]) -> bool:
    """Whether a JSON-LD node is typed as an organisation (of any kind)."""
    return any("organization" in kind or kind in ("corporation", "newsmediaorganization") for kind in json_ld_types(node))


@dataclass(frozen=True, slots=True)
class PageSignals:
    """A page's statements about itself (see the module docstring)."""

    url: str
    #: Every JSON-LD object on the page (`json_ld_objects`).
    json_ld: tuple[dict[str, Any], ...]
    #: The JSON-LD article object (`NewsArticle` and kin, `@graph` members
    #: included), or an empty dict.
    article: dict[str, Any]
    #: Every JSON-LD object that has an `@id`, for resolving references.
    by_id: dict[str, dict[str, Any]]
    #: Meta tag contents by lower-cased name (`property` or `name`; a date's
    #: `itemprop`), white space collapsed, in page order.
    metas: dict[str, list[str]]
    title: str
    h1: str
    #: Names the page gives the outlet: `og:site_name`, `application-name`, JSON-LD publisher.
    stated_site_names: tuple[str, ...] = ()
    #: `name_keys` of every name the outlet goes by: those (and each part of a
    #: name made of parts, "産経新聞：産経ニュース"), what the feed called it,
    #: the host's names.
    site_keys: frozenset[str] = frozenset()
    #: `name_keys` of the sections the page's URL files it under (`/news/royal/…`).
    section_keys: frozenset[str] = frozenset()
    #: The languages the page declares, most trusted first: `<html lang>`, JSON-LD
    #: `inLanguage`, `og:locale`, `content-language` and other language meta tags (as stated).
    languages: tuple[str, ...] = ()

    @classmethod
    def read(cls, tags: PageTags, url: str = "", outlet: str = "") -> PageSignals:
        """The signals in a page's `tags`; `url` is the page's address when
        known (else its `og:url`), `outlet` the name a feed gave the outlet."""
        nodes = tuple(json_ld_objects(tags.json_ld))
        article = next((n for n in nodes if json_ld_types(n) & ARTICLE_TYPES), None)
        if article is None:
            article = next((n for n in nodes if "webpage" in json_ld_types(n) and n.get("headline")), {})
        by_id = {str(n["@id"]): n for n in nodes if isinstance(n.get("@id"), str)}
        metas: dict[str, list[str]] = {}
        for raw in tags.metas:
            lowered = raw.lower()
            if not any(hint in lowered for hint in _META_HINTS):
                continue
            meta = attributes(raw)
            name = (meta.get("property") or meta.get("name") or meta.get("http-equiv") or "").strip().lower()
            if not name and (itemprop := meta.get("itemprop", "").strip().lower()) in DATE_META_NAMES:
                name = itemprop  # microdata names dates; its `author` metas are often an image's credit
            if name in _META_NAMES and (content := collapse_space(meta.get("content") or "")):
                metas.setdefault(name, []).append(content)
        url = url or next(iter(metas.get("og:url", [])), "")
        names = [*metas.get("og:site_name", []), *metas.get("application-name", [])]
        publisher = article.get("publisher")
        for node in publisher if isinstance(publisher, list) else [publisher]:
            if isinstance(node, dict):
                node = by_id.get(str(node.get("@id")), node) if "name" not in node else node
                names.append(clean_text(node.get("name")))
        stated = tuple(dict.fromkeys(n for n in names if n))
        parts = [part for name in stated if len(split := _NAME_PARTS.split(name)) > 1 for part in split]
        keys = frozenset(key for name in (*stated, *parts, outlet, *host_names(url)) if name for key in name_keys(name))
        sections = frozenset(key for section in url_sections(url) for key in name_keys(section))
        languages = (tags.lang, *_json_ld_languages(article.get("inLanguage")),
                     *(value for name in LANGUAGE_META_NAMES for value in metas.get(name, [])))
        return cls(url, nodes, article, by_id, metas, tags.title, tags.h1, stated, keys, sections,
                   tuple(dict.fromkeys(language.strip() for language in languages if language and language.strip())))

    def meta(self, name: str) -> str:
        """The first meta tag of that name, or ""."""
        return next(iter(self.metas.get(name, [])), "")


def _json_ld_languages(value: Any) -> Iterator[str]:
    """The codes a JSON-LD `inLanguage` states: a code, a `Language` object's
    `alternateName` (or its `name`, when that is a code), or a list of them."""
    if isinstance(value, list):
        for item in value:
            yield from _json_ld_languages(item)
    elif isinstance(value, dict):
        yield from (str(v) for v in (value.get("alternateName"), value.get("name")) if isinstance(v, str))
    elif isinstance(value, str):
        yield value


def host_names(url: str) -> Iterator[str]:
    """The names a host spells: `www.boersen-zeitung.de` → "boersen-zeitung.de",
    "boersen-zeitung"; the public suffix and `www` are no names."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    if not host or host.replace(".", "").isdigit() or ":" in host:  # no names in an IP address
        return
    yield host
    labels = host.split(".")
    # Country hosts like `co.uk` and `com.tr` have a two-label suffix.
    suffix = 2 if len(labels) > 2 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 1
    for label in labels[:-suffix]:
        if len(label) >= 3 and label not in ("www", "www2", "amp", "news", "m", "edition"):
            yield label


def url_sections(url: str) -> Iterator[str]:
    """The sections a URL's path files a page under: its folders, not the
    page's own name, and no dates or ids (`/news/royal/1924698/harry-…` →
    "news", "royal")."""
    folders = urlsplit(url).path.split("/")[1:-1]
    for folder in folders:
        if folder and not any(c.isdigit() for c in folder):
            yield folder
