"""Pages that are not the article: bot challenges, consent walls, paywalls, error pages.

Each of these would otherwise be indexed as article text ("Just a moment...",
"We value your privacy", "Subscribe to continue reading"). The signals are
markers the big vendors put in their pages, not guesses about wording alone:
wording is only trusted on pages whose extracted text is short.

Paywall markup (`isAccessibleForFree=false`, a `paywall` class) says a site
has a paywall, not that this page is behind it: nearly every page that
carries it on news sites is a full article, and a free brief is short. So
markup alone marks only a teaser (under `TEASER_WORDS`); a short page that
also asks the reader to subscribe is a wall.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from newsbeam.connectors.pages.words import count_words

#: Bot-protection vendors' challenge pages (Cloudflare, PerimeterX, DataDome, Akamai, Imperva).
#: Plain lower-case substrings: `in` on a lowered string is far cheaper than a regex scan.
#: Cloudflare's challenge pages load `/cdn-cgi/challenge-platform/h/…/orchestrate/…`;
#: its bot-score script, `/cdn-cgi/challenge-platform/scripts/jsd/main.js`, is
#: injected into ordinary pages too, so the bare path is not a marker.
_CHALLENGE_MARKERS = ("cf-chl", "challenge-platform/h/", "cf_chl_opt", "attention required! | cloudflare",
                      "px-captcha", "captcha-delivery.com", "_incapsula_resource", "pardon our interruption",
                      "errors.edgesuite.net")
_CHALLENGE_TITLES = re.compile(r"^\s*(just a moment\.*|attention required|access denied|are you a robot\??|"
                               r"security check|please verify you are a human)\s*$", re.I)
_CONSENT_HOSTS = re.compile(r"^https?://(consent\.[a-z.]+|[a-z.]*\.consent\.|guce\.[a-z.]+)/", re.I)
_CONSENT_WORDING = re.compile(
    r"before you continue|we value your privacy|cookie consent|consent to (the use of )?cookies|"
    r"manage (your )?cookie|accept all cookies|your privacy choices|"
    r"bevor sie fortfahren|datenschutzeinstellungen|avant de continuer|gestion des cookies", re.I)
_PAYWALL_CLASSES = re.compile(r"\b(paywall|regwall|subscriber-only|premium-content|piano-offer|tp-modal|"
                              r"meteredContent)\b", re.I)
_PAYWALL_WORDING = re.compile(
    r"subscribe (now )?to (continue|keep) reading|to continue reading,? (please )?(subscribe|log ?in|sign in)|"
    r"this (article|story|content) is (only )?(available )?(for|to) (paying )?subscribers|"
    r"already a subscriber\?|become a (member|subscriber) to read|"
    r"jetzt abonnieren und weiterlesen|réservé aux abonnés", re.I)
_ERROR_TITLES = re.compile(r"\b(404|410|page not found|not found|seite nicht gefunden|page introuvable|"
                           r"server error|error 50\d)\b", re.I)

_HEAD_CHARS = 32 * 1024
#: Below this many words an extracted "article" is as likely a wall's message as a story.
SHORT_TEXT_WORDS = 150
#: Below this many words a page with paywall markup shows only a story's
#: opening paragraph or two: a teaser. A news brief runs 80-150 words.
TEASER_WORDS = 80


def bot_challenge(headers: Mapping[str, str], html: str) -> str | None:
    """Why a response is a bot challenge, or None. Used on 403/429/503 answers and 200 pages alike."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated header)"
    # Challenge pages are small and put their markers up front; scanning only
    # the head keeps this check cheap on the megabyte pages news sites serve.
    head = html[:_HEAD_CHARS]
    lowered = head.lower()
    if marker := next((m for m in _CHALLENGE_MARKERS if m in lowered), None):
        return f"bot challenge page ({marker})"
    title = re.search(r"<title[^>]*>(.*?)</title>", head, re.I | re.S)
    if title and _CHALLENGE_TITLES.match(title.group(1)):
        return f"bot challenge page (title {title.group(1).strip()!r})"
    return None


#: Every class and id value in one C-level pass; plain strings, not lxml's
#: "smart" strings that each carry a reference back to their element.
_CLASSES_AND_IDS = etree.XPath("//@class | //@id", smart_strings=False)


@dataclass(frozen=True, slots=True)
class PageMarkup:
    """What the page's markup says about walls.

    Reading every class attribute of a 100-300 kB page costs about as much as
    a tenth of trafilatura's whole extraction (and needs the page parsed), and
    the answer only matters for short texts (see `wall_reason`), so
    `wall_reason` asks for it only then.
    """

    not_free: bool
    paywall_markup: bool

    @classmethod
    def read(cls, tree: HtmlElement | None, json_ld: Iterable[dict[str, Any]]) -> PageMarkup:
        """`tree`: the page as served (None if it does not parse); `json_ld`: its JSON-LD objects (`PageSignals.json_ld`)."""
        not_free = any(str(node.get("isAccessibleForFree", "")).strip().lower() in ("false", "0") for node in json_ld)
        classes = " ".join(_CLASSES_AND_IDS(tree)) if tree is not None else ""
        return cls(not_free, bool(_PAYWALL_CLASSES.search(classes)))


def wall_reason(
    *, url: str, html: str, markup: Callable[[], PageMarkup], title: str, text: str
) -> tuple[str, str] | None:
    """(reason, detail) when a fetched 200 page is a wall rather than the article.

    The page is looked at (`html` for challenge markers, `markup` for paywall
    signs) only when its text is short: a full article is not a wall, whatever
    its markup says. That also keeps real articles on sites whose CDN injects
    its challenge script into every page (Cloudflare's `challenge-platform`)
    from being taken for challenges, and spares every full article the scan.
    """
    if _CONSENT_HOSTS.match(url):
        return "blocked_page", f"consent wall at {url}"
    # Counted only up to the threshold: counting a whole article's words
    # costs ~0.05 ms, and the exact count matters only below it.
    words = count_words(text, SHORT_TEXT_WORDS)
    if words >= SHORT_TEXT_WORDS:  # a full article, whatever its markup says
        return None
    if challenge := bot_challenge({}, html):
        return "blocked_page", challenge
    if _CONSENT_WORDING.search(title) or _CONSENT_WORDING.search(text[:2000]):
        return "blocked_page", f"consent wall ({words} words of text)"
    prompt = _PAYWALL_WORDING.search(text) or _PAYWALL_WORDING.search(title)
    markup = markup()
    if prompt or (words < TEASER_WORDS and (markup.not_free or markup.paywall_markup)):
        signal = ("isAccessibleForFree=false" if markup.not_free
                  else f"{prompt.group(0)!r}" if prompt else "paywall markup")
        return "paywalled", f"paywall ({signal}; {words} words of text)"
    if _ERROR_TITLES.search(title):
        return "error_page", f"error page served as 200 (title {title.strip()[:80]!r})"
    return None
