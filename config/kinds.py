"""What a setting's value may be: how it is read from the file (typed TOML) and from text.

A flag arrives typed by click; the environment and the file arrive here. Every
kind raises `ValueError` with a message a person can act on, so the file check,
the environment and the commands report a bad value in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_SPAN = re.compile(r"^(\d+)\s*([dhm])$")
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def parse_since(value: str) -> datetime:
    """`2026-03-01`, `2026-03-01T06:00:00+01:00`, or a span back from now: `7d`, `12h`, `30m`."""
    if match := _SPAN.match(value.strip().lower()):
        unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
        return datetime.now(timezone.utc) - timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r}: use an ISO-8601 date/time or a span like 7d, 12h") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def check_http_url(value: str) -> str:
    """`value` if it is an http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


class Kind:
    """A setting's type. `describe` names it in messages ("a number of seconds")."""

    describe = "a value"

    def from_file(self, value: Any, base: Path) -> Any:
        """The value as the file holds it; relative paths are taken from the file's folder, `base`."""
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        """The value from an environment variable."""
        return self.from_file(text, Path.cwd())

    def show(self, value: Any) -> str:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Text(Kind):
    describe = "a string"

    def from_file(self, value: Any, base: Path) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        return value


@dataclass(frozen=True)
class Url(Kind):
    describe = "an http(s) URL"

    def from_file(self, value: Any, base: Path) -> str:
        return check_http_url(Text().from_file(value, base))


class ElasticsearchUrl(Url):
    """The URL of an Elasticsearch node. Its client refuses an http:// URL without a port
    (it assumes 443 only for https://), so that is refused here in words that say what to add."""

    describe = "an Elasticsearch http(s) URL"

    def from_file(self, value: Any, base: Path) -> str:
        url = super().from_file(value, base)
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.port is None:
            host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
            raise ValueError(f"{url!r} names no port; Elasticsearch listens on 9200 unless told otherwise: "
                             f"http://{host}:9200")
        return url


@dataclass(frozen=True)
class Choice(Kind):
    choices: tuple[str, ...]

    @property
    def describe(self) -> str:  # type: ignore[override]
        return "one of " + ", ".join(self.choices)

    def from_file(self, value: Any, base: Path) -> str:
        if value not in self.choices:
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        return value


@dataclass(frozen=True)
class Number(Kind):
    minimum: float | None = None
    integer: bool = False

    @property
    def describe(self) -> str:  # type: ignore[override]
        what = "a whole number" if self.integer else "a number"
        return what if self.minimum is None else f"{what} ≥ {self.minimum:g}"

    def from_file(self, value: Any, base: Path) -> float | int:
        ok = isinstance(value, int) if self.integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or (self.minimum is not None and value < self.minimum):
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        return value if self.integer else float(value)

    def from_text(self, text: str) -> float | int:
        try:
            value = int(text) if self.integer else float(text)
        except ValueError:
            raise ValueError(f"must be {self.describe}, not {text!r}") from None
        return self.from_file(value, Path.cwd())


@dataclass(frozen=True)
class Switch(Kind):
    describe = "true or false"

    def from_file(self, value: Any, base: Path) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        return value

    def from_text(self, text: str) -> bool:
        folded = text.strip().lower()
        if folded in ("1", "true", "yes", "on"):
            return True
        if folded in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"must be {self.describe} (or 1/0, yes/no, on/off), not {text!r}")

    def show(self, value: Any) -> str:
        return "" if value is None else str(value).lower()


@dataclass(frozen=True)
class Folder(Kind):
    describe = "a path"

    def from_file(self, value: Any, base: Path) -> Path:
        path = Path(Text().from_file(value, base)).expanduser()
        return path if path.is_absolute() else base / path


@dataclass(frozen=True)
class Since(Kind):
    describe = "an ISO-8601 date/time or a span like 7d"

    def from_file(self, value: Any, base: Path) -> str:
        parse_since(Text().from_file(value, base))
        return value


@dataclass(frozen=True)
class Texts(Kind):
    """A list of strings; `item` checks each one."""

    item: Kind = Text()

    @property
    def describe(self) -> str:  # type: ignore[override]
        return f"a list of {self.item.describe}s"

    def from_file(self, value: Any, base: Path) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        return tuple(self.item.from_file(item, base) for item in value)

    def from_text(self, text: str) -> tuple[Any, ...]:
        return tuple(self.item.from_text(item) for item in text.split())

    def show(self, value: Any) -> str:
        return ", ".join(self.item.show(item) for item in value) if value else "(none)"


@dataclass(frozen=True)
class BrokerAddress(Kind):
    """A Kafka bootstrap server, `host:port`."""

    describe = "a host:port address"

    def from_file(self, value: Any, base: Path) -> str:
        text = Text().from_file(value, base).strip()
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{text!r} is not a host:port address")
        return text


@dataclass(frozen=True)
class Brokers(Texts):
    """Kafka bootstrap servers: a list of host:port, or one string of them separated by commas,
    the way Kafka's own tools and `--kafka` write them."""

    item: Kind = BrokerAddress()

    def from_file(self, value: Any, base: Path) -> tuple[Any, ...]:
        return super().from_file(_comma_list(value) if isinstance(value, str) else value, base)

    def from_text(self, text: str) -> tuple[Any, ...]:
        return self.from_file(text, Path.cwd())


def _comma_list(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text) if part]


@dataclass(frozen=True)
class KafkaTopic(Kind):
    """A topic name as Kafka accepts it: letters, digits, `.`, `_` and `-`, at most 249 of them."""

    describe = "a Kafka topic name"

    def from_file(self, value: Any, base: Path) -> str:
        text = Text().from_file(value, base)
        if not _TOPIC.match(text) or text in (".", ".."):
            raise ValueError(f"{text!r} is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)")
        return text


@dataclass(frozen=True)
class FeedSource(Kind):
    """A feed or site URL, or a feed list file (one URL a line, or OPML)."""

    describe = "a feed URL or a feed list file"

    def from_file(self, value: Any, base: Path) -> str:
        text = Text().from_file(value, base)
        if "://" in text:
            return check_http_url(text)
        path = Path(text).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            raise ValueError(f"{text!r} is neither a URL nor an existing feed list file ({path})")
        return str(path)


@dataclass(frozen=True)
class HostIntervals(Kind):
    """A table of host name → seconds between two requests to it."""

    describe = "a table of host = seconds"

    def from_file(self, value: Any, base: Path) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, dict):
            raise ValueError(f"must be {self.describe}, not {_shown(value)}")
        seconds = Number(minimum=0)
        pairs = []
        for host, interval in value.items():
            try:
                pairs.append((host.lower(), seconds.from_file(interval, base)))
            except ValueError as error:
                raise ValueError(f"{host}: {error}") from None
        return tuple(pairs)

    def show(self, value: Any) -> str:
        return ", ".join(f"{host} {seconds:g} s" for host, seconds in value) if value else "(none)"


def _shown(value: Any) -> str:
    kind = {str: "a string", bool: "true/false", int: "a number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, (dict, list)) else kind
