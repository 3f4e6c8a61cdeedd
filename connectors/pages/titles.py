"""Which title to believe for a page, without the outlet's name.

A page states its title for social networks (`og:title`), for search engines
(JSON-LD `headline`), for people (`<h1>`) and for the browser tab (`<title>`).
The tab's title and often the others carry the outlet's name (" | TechCrunch",
" - WELT", "：朝日新聞デジタル", " | DW | 28.04.2023") or a byline; those pieces
are cut when they name the outlet, its host, a date or an author. The
headline editors write for sharing (`og:title`) is the one readers see
wherever the story travels, and it is preferred; then JSON-LD's `headline`,
`<h1>` and the tab's title. On real pages where these disagree, no order is
right everywhere; this one was right most often, and majority votes less
(benchmarks/results/page_metadata.md).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from newsbeam.connectors.pages.signals import PageSignals, clean_text, name_keys
from newsbeam.pipelines.normalize.text import plain_punctuation

#: Separators between a headline and the outlet's name, a section or a date, in the dashes,
#: bars and arrows of many scripts ("… ― 東洋経済", "…丨澎湃新闻", "… › Outlet").
_SEPARATOR = re.compile(r"\s+[|\-–—―‒−·•*:/~»›]\s+|\s*[|｜│¦丨：•]\s*|\s+::\s+")
#: Where a kicker or section ends ("Vierschanzentournee | …", "Infant abandonment: …").
_KICKER_END = re.compile(rf"{_SEPARATOR.pattern}|:\s+")
#: A piece that is a byline ("by Cristina Laila").
_BYLINE = re.compile(r"^(by|von|par|por|di|door|av|af)\s+\S", re.I)
#: A piece that is a date: no letters, at least four digits ("28.04.2023", "2026"; not a score "3:1").
_DATE_PIECE = re.compile(r"^(?=(?:\D*\d){4})[\W\d_]+$")
#: A word of a kicker, for telling two kickers apart.
_WORD = re.compile(r"[^\W_]+")
#: Where the title comes from, most trusted first.
_SOURCES = ("og:title", "json-ld", "twitter:title", "h1", "title", "dc.title")
#: The sources read from `<meta content="…">`, which an unescaped quote cuts short.
_META_SOURCES = ("og:title", "twitter:title", "dc.title")


#: "News" in the languages newsbeam reads, as a site's section labels use it ("Lebanon News",
#: "Son Dakika Spor Haberleri", "Bhopal News", "Nachrichten aus Bayern").
_NEWS_WORD = re.compile(
    r"(?<!\w)(?:news|nachrichten|noticias|notícias|nouvelles|actualités|notizie|nieuws|nyheter|nyheder|uutiset|"
    r"haber(?:ler)?(?:i)?|новости|новини|wiadomości|zprávy|správy|hírek|știri|ειδήσεις|أخبار|חדשות|خبریں|"
    r"समाचार|ख़बरें|খবর|tin tức|berita|habari|iindaba|izindaba)(?!\w)|新闻|新聞|ニュース|뉴스", re.I)
#: A section label is a short piece: a clause of the headline runs longer.
_SECTION_WORDS = 4


def _is_news_section(piece: str) -> bool:
    """Whether a piece after the headline is a news section's label ("Lebanon
    News"): short, not a clause that goes on in lower case ("and the good news")."""
    return (len(piece.split()) <= _SECTION_WORDS and not piece[:1].islower() and len(piece) <= 40
            and bool(_NEWS_WORD.search(piece)))


def _names_outlet(piece: str, site_keys: frozenset[str]) -> bool:
    if _BYLINE.match(piece) or _DATE_PIECE.match(piece):
        return True
    for key in name_keys(piece):
        for site in site_keys:
            if key == site or (len(site) >= 3 and site in key and len(key) <= len(site) + 12):
                return True
    return False


def strip_site_name(title: str, site_keys: frozenset[str], section_keys: frozenset[str] = frozenset()) -> str:
    """`title` without the pieces at its end (or start) that name the outlet,
    its host, a date or a byline, and the sections before them that the
    page's URL files it under (`section_keys`: "… | Internacional | EL PAÍS"
    at `/internacional/…`); at its end, a news section's label ("… | Bhopal
    News") is cut too. A title that is nothing but such pieces is kept
    whole.

    A section is cut only by the URL's word: the pieces a tab's title puts
    between the headline and the outlet are as often the headline's own
    second clause ("… - and readers vote - Outlet").
    """
    pieces = _SEPARATOR.split(title)
    if len(pieces) < 2:
        return title
    separators = _SEPARATOR.findall(title)
    # The first piece that names the outlet, and all after it; then the sections before it.
    cut = next((i for i in range(1, len(pieces)) if _names_outlet(pieces[i], site_keys) or _is_news_section(pieces[i])),
               len(pieces))
    while cut > 1 and name_keys(pieces[cut - 1]) & section_keys:
        cut -= 1
    if cut < len(pieces):
        return _join(pieces[:cut], separators)
    if _names_outlet(pieces[0], site_keys):  # "Outlet | Headline"
        return _join(pieces[1:], separators[1:])
    return title


def _join(pieces: list[str], separators: list[str]) -> str:
    out = pieces[0]
    for separator, piece in zip(separators, pieces[1:]):
        out += separator + piece
    return out.strip()


def title_candidates(signals: PageSignals) -> list[tuple[str, str]]:
    """(title, source) for each place the page states one, outlet names cut, best first."""
    headline = signals.article.get("headline") or signals.article.get("name")
    raw = {
        "og:title": signals.meta("og:title"),
        "json-ld": clean_text(headline[0] if isinstance(headline, list) and headline else headline),
        "twitter:title": signals.meta("twitter:title"),
        "h1": signals.h1,
        "title": signals.title,
        "dc.title": signals.meta("dc.title"),
    }
    for source in _META_SOURCES:
        raw[source] = _uncut(raw[source], raw.values())
    site_keys, sections = signals.site_keys | _tab_chrome(raw), signals.section_keys
    # A source that states only the outlet's name (an `og:title` left at the
    # site's default, a logo in an `<h1>`) states no headline.
    return [(strip_site_name(raw[source], site_keys, sections), source) for source in _SOURCES
            if raw[source] and not name_keys(raw[source]) & site_keys]


def _tab_chrome(raw: dict[str, str]) -> frozenset[str]:
    """`name_keys` of the pieces the tab's title (`raw["title"]`) puts after or
    before a headline another source states without them ("Wero besteht
    Praxistest | Börsen-Zeitung" beside the `<h1>` "Wero besteht Praxistest").

    The tab's title is where a site puts its name; what it adds to a headline
    the page states elsewhere is the outlet, its section or, before the
    headline, a section's label ("Vierschanzentournee | …"), also where the
    page does not state the outlet's name or states it otherwise ("MDR" for
    "MDR.DE", a name in another script than the host's). These keys serve
    the title alone: a credit named like a section is still a credit.
    """
    tab = raw.get("title") or ""
    pieces = _SEPARATOR.split(tab)
    if len(pieces) < 2:
        return frozenset()
    separators = _SEPARATOR.findall(tab)
    headlines = {_comparable(title) for source, title in raw.items() if title and source != "title"}
    chrome: list[str] = []
    for cut in range(1, len(pieces)):
        if _comparable(_join(pieces[:cut], separators)) in headlines:  # "Headline | Outlet"
            chrome += pieces[cut:]
        if _comparable(_join(pieces[cut:], separators[cut:])) in headlines:  # "Outlet | Headline"
            chrome += pieces[:cut]
    return frozenset(key for piece in chrome for key in name_keys(piece))


def _uncut(title: str, others: Iterable[str]) -> str:
    """A meta tag's `title` as another source states it whole, when the tag
    was cut short at a quote the page left unescaped in the attribute
    (`content="Winner and "royal visit""` reads "Winner and"), else `title`."""
    if not title:
        return title
    return next((other for other in others if other and other.startswith(title)
                 and other[len(title):].lstrip().startswith('"')), title)


def choose_title(candidates: list[tuple[str, str]]) -> str:
    """The page's headline among its `title_candidates` (see the module docstring), or "".

    Exceptions to the order. Whether a kicker or section beside the
    headline ("Ski jumping | Row over the rules") is part of it is decided
    by the sources: when the first title is another one with such a piece,
    and two sources state that other one alone, the piece is no part of the
    headline; else, when the first title lacks a piece that more sources
    state with it, the piece is part of it; else, when another source puts a
    different kicker (no word in common) before the same headline ("Attack on
    Israel: «…»" and "Escalation in the Middle East - «…»"), the kickers are
    labels of the topic and the headline is what they share. When sources
    spell the chosen title with different quotes or dashes (`'` and `’`),
    the spelling most of them use is the page's.
    """
    if not candidates:
        return ""
    first = candidates[0][0]
    stated = Counter(title for title, _ in candidates)
    shorter = next((title for title, count in stated.items() if count >= 2 and _is_part_of(title, first)), None)
    longer = next((title for title, count in stated.items() if count > stated[first] and _is_part_of(first, title)),
                  None)
    first = shorter or longer or _without_disputed_kicker(first, stated) or first
    plain = plain_punctuation(first)
    spellings = [title for title in stated if plain_punctuation(title) == plain] or [first]
    return max(spellings, key=lambda title: (stated[title], title == first))


def _is_part_of(title: str, longer: str) -> bool:
    """Whether `title` is some of `longer`'s pieces (split at separators), not all of them."""
    pieces = _KICKER_END.split(longer)
    separators = _KICKER_END.findall(longer)
    return any(_join(pieces[i:j], separators[i:j - 1]) == title
               for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1) if (i, j) != (0, len(pieces)))


def _kicker_and_rest(title: str) -> tuple[str, str]:
    """`title`'s first piece (a kicker, if it has more) and the rest, or ("", title)."""
    pieces = _KICKER_END.split(title, maxsplit=1)
    return (pieces[0], pieces[1]) if len(pieces) == 2 and pieces[0] and pieces[1] else ("", title)


def _without_disputed_kicker(first: str, titles: Iterable[str]) -> str | None:
    """The headline `first` shares with another title that puts a different
    kicker before it (one with no word in common: "Premier League Setback"
    and "Setback" are one kicker, spelled twice), or None."""
    kicker, rest = _kicker_and_rest(first)
    if not kicker:
        return None
    for other in titles:
        other_kicker, other_rest = _kicker_and_rest(other)
        if other_kicker and other_rest == rest and not _one_label(kicker, other_kicker):
            return rest
    return None


def _one_label(kicker: str, other: str) -> bool:
    """Whether two kickers are one label spelled twice: a word in common, or
    one inside the other (scripts without spaces write a label as one "word")."""
    kicker, other = kicker.casefold(), other.casefold()
    return bool(set(_WORD.findall(kicker)) & set(_WORD.findall(other))) or kicker in other or other in kicker


def other_headlines(candidates: list[tuple[str, str]], title: str) -> list[str]:
    """The headlines among a page's `title_candidates` that say more than its chosen `title`, first stated first.

    A page may show people one headline (`<h1>`) and state another for sharing (`og:title`);
    a reader may search by either, so both are searchable text of the article, though
    only one is its title. A headline that the title, or one listed before it, holds
    whole adds nothing, and one that holds them whole adds only what the title was chosen
    without (the outlet's name where the page does not say it is one, a section): both
    are left out (compared without case and typographic quotes).
    """
    seen = [_comparable(title)]
    headlines = []
    for candidate, _ in candidates:
        comparable = _comparable(candidate)
        if comparable and not any(comparable in known or known in comparable for known in seen):
            seen.append(comparable)
            headlines.append(candidate)
    return headlines


def _comparable(title: str) -> str:
    return " ".join(plain_punctuation(title).casefold().split())
