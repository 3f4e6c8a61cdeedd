"""What the streaming pipeline polls: feed URLs, read once per poll into raw records.

The pipeline only needs one operation from a source: "poll it now, given what you
told me last time (`validators`), and give me its items". `FeedPoller` does that
for RSS/Atom/RDF with conditional GET. It is deliberately small: the politeness,
safety and extraction rules of the connectors package (issue 4) belong behind the
same `poll` signature once `connectors.feeds` lands, and this module then shrinks
to the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from time import mktime, struct_time

import feedparser
import httpx
import lxml.html
import trafilatura

from newsbeam.connectors.records import RawRecord
from newsbeam.schemas import DeadLetter

#: A feed entry with less text than this is only a teaser: fetch its page.
MIN_ENTRY_TEXT = 400


def read_source_list(path: Path) -> list[str]:
    """URLs from a list file: one a line, blank lines and `#` comments ignored."""
    urls = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            urls.append(line)
    return urls


@dataclass(frozen=True, slots=True)
class Validators:
    """What a server told us to send back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(slots=True)
class PollResult:
    """One poll of one source: new validators and what it yielded."""

    validators: Validators
    not_modified: bool = False
    items: list[RawRecord | DeadLetter] = field(default_factory=list)


def _when(parsed: struct_time | None) -> str | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(mktime(parsed), tz=timezone.utc).isoformat()


def _entry_text(entry) -> str:
    """The entry's own text, markup removed (feeds carry HTML in content and summary)."""
    html = next((c["value"] for c in entry.get("content") or [] if c.get("value")), entry.get("summary") or "")
    if "<" not in html:
        return html
    return lxml.html.fromstring(html).text_content() if html.strip() else ""


class FeedPoller:
    """Polls feeds over one HTTP client; safe to keep for the life of a worker."""

    def __init__(self, timeout: float = 20.0, user_agent: str = "newsbeam-streaming/0.1") -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent})

    def close(self) -> None:
        self._client.close()

    def poll(self, url: str, validators: Validators = Validators(), skip: Iterable[str] = ()) -> PollResult:
        """Fetch `url` (conditionally) and turn its entries into raw article records.

        `skip` holds entry links already handled, so their pages are not fetched again.
        """
        try:
            response = self._client.get(url, headers=validators.headers())
        except httpx.HTTPError as error:
            return PollResult(validators, items=[DeadLetter.of("poll", "fetch_failed", str(error), url, url)])
        if response.status_code == 304:
            return PollResult(validators, not_modified=True)
        if response.status_code >= 400:
            letter = DeadLetter.of("poll", f"http_{response.status_code}", "feed fetch failed", url, url)
            return PollResult(validators, items=[letter])
        fresh = Validators(response.headers.get("etag"), response.headers.get("last-modified"))
        feed = feedparser.parse(response.content)
        if feed.bozo and not feed.entries:
            detail = str(feed.get("bozo_exception", "unparseable feed"))
            return PollResult(fresh, items=[DeadLetter.of("poll", "malformed_feed", detail, url, response.text[:2000])])
        skipped = set(skip)
        source = feed.feed.get("title") or httpx.URL(url).host
        result = PollResult(fresh)
        for entry in feed.entries:
            link = entry.get("link") or ""
            if link in skipped:
                continue
            result.items.append(self._record(url, source, entry, link))
        return result

    def _record(self, feed_url: str, source: str, entry, link: str) -> RawRecord | DeadLetter:
        text = _entry_text(entry)
        title = entry.get("title") or ""
        if len(text) < MIN_ENTRY_TEXT and link:
            try:
                page = self._client.get(link)
                page.raise_for_status()
                text = trafilatura.extract(page.text, url=link) or text
            except httpx.HTTPError as error:
                if not text:
                    return DeadLetter.of("fetch", "fetch_failed", str(error), link, dict(entry))
        data = {
            "url": link,
            "title": title,
            "text": text,
            "published": _when(entry.get("published_parsed") or entry.get("updated_parsed")),
            "source": source,
        }
        if entry.get("id") and not link:
            data["id"] = entry["id"]
        return RawRecord(origin=link or f"{feed_url}#{entry.get('id', '')}", data=data)
