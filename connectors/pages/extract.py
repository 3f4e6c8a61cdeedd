"""An article page to an input record: main text by trafilatura, metadata by evidence, vetted.

This is newsbeam's only HTML extraction path: fetched pages, WARC records and
local `.html` files all come through `extract_article`.

trafilatura reads the main text. Title, authors, date, outlet and language are
decided here from everything the page states (`signals`): its JSON-LD article,
Open Graph and Dublin Core meta tags, `<title>`, `<h1>`, `<time>` — with
trafilatura's byline and htmldate's date heuristics asked only when the page
states no author or no date, since both need the page parsed again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import langcodes
import trafilatura
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from newsbeam.connectors.pages.authors import byline_test, choose_authors
from newsbeam.connectors.pages.dates import choose_published, read_dates, structured_dates
from newsbeam.connectors.pages.json_state import embedded_text
from newsbeam.connectors.pages.signals import PageSignals, clean_text, host_names
from newsbeam.connectors.pages.tags import PageTags, scan_tags
from newsbeam.connectors.pages.titles import choose_title, other_headlines, title_candidates
from newsbeam.connectors.pages.walls import SHORT_TEXT_WORDS, PageMarkup, wall_reason
from newsbeam.connectors.pages.words import count_words
from newsbeam.pipelines.normalize.language import detect_language
from newsbeam.pipelines.normalize.text import strip_tags
from newsbeam.schemas import RecordError

#: A line that points to another story ("Read more: …", "Les også: …"), in the languages newsbeam meets most.
_CROSS_LINK = re.compile(
    r"^[ \t]*(?:read more|read also|also read|see also|more on this|lesen sie auch|mehr zum thema|les også|"
    r"læs også|läs också|lees ook|lire aussi|à lire aussi|leggi anche|lea también|lee también|leia também|"
    r"veja também|czytaj (?:też|także|również)|přečtěte si (?:také|též)|čtěte také|ayrıca (?:bakınız|okuyun)|"
    r"ilginizi çekebilir|ये भी पढ़ें|यह भी पढ़ें|đọc thêm|xem thêm|читайте также|اقرأ أيضا[ًّ]?|"
    r"soma (?:pia|zaidi)|funda (?:olunye udaba|nalokhu)(?: lapha)?)[ \t]*[:：|].*(?:\n|$)",
    re.I | re.M)
#: A line that only credits a picture ("Photo: AFP", "Фото: Дмитрий Азаров, Коммерсантъ"): a
#: caption's credit trafilatura kept, the photographer's, not the story's. A credit is a name or
#: two and an agency, no sentence.
_PICTURE_CREDIT = re.compile(
    r"^[ \t]*(?:photos?|pictures?|images?|credits?|fotos?|fotografie|bild|foto ?credit|фото|ảnh|fotoğraf|"
    r"写真|사진|फ़ोटो|फोटो|صورة)[ \t]*[:：][^.!?。\n]{1,80}(?:\n|$)",
    re.I | re.M)

#: Marks that end a sentence.
_SENTENCE_END = ".!?…。！？"
#: Lines at each end of the main text where trafilatura keeps a byline.
_EDGE_LINES = 3
#: Embedded social-media posts (X/Twitter, Instagram, TikTok, Bluesky, Facebook) as their
#: embed codes mark them: another author's words the story quotes, like a reader's comment,
#: not the story's text. Every such code quotes the post in a `<blockquote>`: most pages
#: have none, and one substring test spares them the search for each marker.
_EMBED_MARKERS = ("twitter-tweet", "instagram-media", "tiktok-embed", "bluesky-embed", "fb-post")
_EMBEDDED_POSTS = "|".join(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {marker} ')]"
                           for marker in _EMBED_MARKERS)


@dataclass(frozen=True, slots=True)
class ExtractSettings:
    """Extraction choices; plain data so Beam can pickle it."""

    #: A page date further than this from the feed/sitemap date is not believed.
    max_date_skew_days: float = 7.0
    #: Fewer words than this after extraction is no article.
    min_words: int = 5
    #: trafilatura's `favor_precision`. Off: on real news pages it cut long
    #: articles short (body recall 0.14 on some sites) for a few points of
    #: precision (benchmarks/results/page_metadata.md).
    favor_precision: bool = False
    #: Characters of text the language is read from (see `detect_language`).
    language_sample_chars: int = 300


def language_code(value: str | None) -> str | None:
    """`en-GB` → `en`; `eng` → `en` (the three-letter ISO 639 codes that WARC and
    library metadata use, read by langcodes); withdrawn codes as their current
    ones (`iw` → `he`, `in` → `id`); Filipino as `tl`, which the language detector
    gives; anything without a valid two-letter code (`xx`, `und`) → None."""
    return _language_code((value or "").strip().lower().replace("_", "-").split("-", 1)[0])


@cache
def _language_code(code: str) -> str | None:
    if not 2 <= len(code) <= 3 or not code.isalpha():
        return None
    try:
        code = langcodes.standardize_tag(code)
    except ValueError:  # langcodes' LanguageTagError: not a tag it knows
        return None
    code = "tl" if code == "fil" else code
    return code if len(code) == 2 and langcodes.tag_is_valid(code) else None


def _site_name(signals: PageSignals) -> str:
    """The outlet's name as the page states it (`og:site_name`, `application-name`,
    JSON-LD publisher), or "": a host name is no name."""
    hosts = {name.casefold() for name in host_names(signals.url)}
    return next((name for name in signals.stated_site_names if name.casefold() not in hosts), "")


def _main_text(document: Any, tags: PageTags, signals: PageSignals) -> str:
    """The article's text, from the best statement of it the page makes.

    trafilatura's text carries some of the page's chrome (captions, teasers,
    "read more" lines). A JSON-LD `articleBody` is the publisher's own
    statement of the body: when it holds between two thirds of trafilatura's
    words and all of them, it is that body without the chrome; much shorter,
    it is a teaser; longer, it often includes what the page shows elsewhere.
    When trafilatura finds little, a fuller body stated as data (`articleBody`,
    a script's JSON state) is taken instead.
    """
    text = ((document.text if document is not None else "") or "").strip()
    body = signals.article.get("articleBody")
    stated = clean_text(strip_tags(clean_text(body))) if isinstance(body, str) else ""  # some state HTML
    if stated:  # whole counts only when there is a stated body to weigh
        words = count_words(text)
        if 2 * words <= 3 * count_words(stated) <= 3 * words:
            return stated
    else:
        words = count_words(text, SHORT_TEXT_WORDS)
    if words >= SHORT_TEXT_WORDS:
        return text
    for other in (stated, embedded_text(tags.json_states)):
        if other and count_words(other) >= 2 * max(words, 1):
            return other
    return text


def _headings(document: Any) -> set[str]:
    """The texts of the headings trafilatura kept in the main text (`<h2>`
    crossheads, a teaser's `<h3>`), white space collapsed."""
    body = getattr(document, "body", None)
    if body is None:
        return set()
    return {heading for element in body.iter("head") if (heading := " ".join("".join(element.itertext()).split()))}


def _body(text: str, titles: set[str], headings: set[str]) -> str:
    """`text` without what is no body text: a first line that repeats one of
    the page's `titles` (the record's title holds it), lines that are the
    page's `headings`, lines that point to other stories ("Read more: …")
    and picture credits ("Photo: AFP").

    Headings inside an article are signposts, not its prose: crossheads
    ("Steeper yield curve") repeat what the paragraphs below them say, and
    the headings trafilatura keeps beside the article are mostly those of
    teasers for other stories. A text that is nothing but headings is kept.
    """
    first, _, rest = text.partition("\n")
    if rest.strip() and " ".join(first.split()) in titles:
        text = rest
    # Headings and text are trafilatura's, white space collapsed alike: a heading is
    # looked for as it is written.
    if present := {heading for heading in headings if heading in text}:
        prose = "\n".join(line for line in text.split("\n") if line.strip() not in present)
        text = prose if prose.strip() else text
        # A body stated as one blob (JSON-LD `articleBody`) runs its crossheads into the
        # sentences: one stands between a sentence's end and the next sentence. A heading
        # that is a sentence itself is a pull quote, which the prose also holds.
        if phrases := [re.escape(heading) for heading in present
                       if heading[-1] not in _SENTENCE_END and heading in text]:
            text = re.sub(rf"(?<=[{_SENTENCE_END}\"“”»«’'])\s+(?:{'|'.join(phrases)})(?=\s)", "", text)
    if any(mark in text for mark in ":：|"):
        text = _PICTURE_CREDIT.sub("", _CROSS_LINK.sub("", text))
    return text.strip()


def _without_bylines(text: str, authors: list[str]) -> str:
    """`text` without the byline lines trafilatura keeps among its first and
    last lines ("Von Anna Sleegers, Frankfurt"): the record's authors hold them."""
    if not authors:
        return text
    lines = text.split("\n")
    is_byline = byline_test(authors)
    bylines = {i for i in {*range(min(_EDGE_LINES, len(lines))), *range(max(0, len(lines) - _EDGE_LINES), len(lines))}
               if is_byline(lines[i])}
    return "\n".join(line for i, line in enumerate(lines) if i not in bylines).strip() if bylines else text


def extract_article(
    html: str,
    url: str | None = None,
    *,
    reference_date: str | None = None,
    crawled_at: datetime | None = None,
    outlet: str = "",
    settings: ExtractSettings = ExtractSettings(),
) -> dict[str, Any]:
    """The input record (`title`, `headlines`, `text`, `published`, `source`, `language`,
    `authors`, maybe `url`) of an article page, or `RecordError` saying why not.

    `reference_date` is what the feed or sitemap said about the item's date; it
    is used to reject implausible page dates and as the fallback date.
    `crawled_at` (an archive's capture time; default now) is the latest
    publication date that can be true. `outlet` is the outlet's name as the
    feed gave it: cut from titles like the names the page states.
    """
    # trafilatura gets the text, not a tree of ours: it would copy a tree (see
    # `tags`), and what newsbeam reads itself is found by a scan.
    tags = scan_tags(html)
    signals = PageSignals.read(tags, url or "", outlet)
    embeds = (_EMBEDDED_POSTS if "<blockquote" in html and any(marker in html for marker in _EMBED_MARKERS)
              else None)
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=False, include_comments=False, favor_precision=settings.favor_precision,
        prune_xpath=embeds,
    )
    tree: Callable[[], HtmlElement | None] = cache(lambda: load_html(html))
    if document is None and tree() is None:
        raise RecordError("empty_extraction", "not parseable as HTML")
    titles = title_candidates(signals)
    title = choose_title(titles)
    text = _body(_main_text(document, tags, signals), {candidate for candidate, _ in titles}, _headings(document))
    # `wall_reason` reads the page (and parses it for the markup) only for short texts.
    markup = lambda: PageMarkup.read(tree(), signals.json_ld)  # noqa: E731
    if wall := wall_reason(url=url or "", html=html, markup=markup, title=title, text=text):
        raise RecordError(*wall)
    if (words := count_words(text, settings.min_words)) < settings.min_words:  # exact below the minimum
        raise RecordError("empty_extraction", f"found {words} words of main text")
    now = crawled_at or datetime.now(timezone.utc)
    skew = timedelta(days=settings.max_date_skew_days)
    candidates = list(structured_dates(signals, tags.times))
    published = choose_published(candidates, reference=reference_date, max_skew=skew, now=now)
    if published.source in ("none", "feed") and tree() is not None:  # the markup and text, as the last page reading
        if read := list(read_dates(tree(), html, url, now)):
            candidates += read
            published = choose_published(candidates, reference=reference_date, max_skew=skew, now=now)
    record = {
        "title": title,
        "headlines": other_headlines(titles, title),
        "text": text,
        "published": published.value,
        "source": _site_name(signals),
        "language": detect_language("", text, hints=map(language_code, signals.languages),
                                    sample_chars=settings.language_sample_chars) or None,
        "authors": choose_authors(signals, tree, html, text),
    }
    record["text"] = _without_bylines(text, record["authors"])
    if signals.url and not url:
        record["url"] = signals.url
    return record
