"""Canonical URLs: one story, one URL, whatever tracking or AMP decoration it came with."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import courlan

_MOBILE_HOST = re.compile(r"^(?:www\.|amp\.|m\.|mobile\.)+")
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp(?:\.html)?)$")
_AMP_QUERY = re.compile(r"(?:^|&)(?:amp(?:=[^&]*)?|outputType=amp)(?=&|$)")


def canonical_url(url: str) -> str:
    """The URL two copies of one story share.

    courlan removes tracking parameters and fragments; on top of that the scheme,
    `www.`/`m.`/`amp.` host prefixes, AMP path and query markers and a trailing slash
    are folded, because outlets serve the same page under all of them. A string that
    is not an http(s) URL (a file path, an opaque id) is returned stripped, unchanged.
    """
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return url
    try:
        cleaned = courlan.normalize_url(url, strict=True)
    except ValueError:
        return url
    parts = urlsplit(cleaned)
    host = _MOBILE_HOST.sub("", parts.hostname or "")
    if parts.port:
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path).rstrip("/") or "/"
    query = _AMP_QUERY.sub("", parts.query).strip("&")
    return urlunsplit(("https", host, path, query, ""))


def outlet_of(canonical: str) -> str:
    """The host of a canonical URL: the outlet's best name when a record gives none."""
    return urlsplit(canonical).hostname or "" if canonical.startswith("https://") else ""
