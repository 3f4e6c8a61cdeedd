"""Article text from the JSON a page's scripts carry, for pages whose HTML body is empty.

Pages rendered in the browser (Next.js, Nuxt, Apollo, Redux stores) often ship
the whole article as JSON in a script — `<script id="__NEXT_DATA__">`,
`window.__INITIAL_STATE__ = {...}` — and an empty `<div id="root">`, where
trafilatura finds nothing. The article body is the subtree, under a key that
names a body or content, with the most running text; its prose strings (HTML
tags dropped) are the paragraphs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from newsbeam.connectors.pages.words import count_words
from newsbeam.pipelines.normalize.text import strip_tags

#: Keys whose value is an article's body.
_BODY_KEY = re.compile(r"body|content|text|paragraph|blocks", re.I)
_PROSE = re.compile(r"[.!?。！？؟।]")
#: A string shorter than this is a label, a name or a caption, not a paragraph.
_MIN_PARAGRAPH_CHARS = 40


def _states(scripts: Iterable[bytes]) -> Iterator[Any]:
    for script in scripts:
        try:
            yield json.loads(script)
        except ValueError:
            continue


def _prose(node: Any) -> Iterator[str]:
    """Running-text strings in a JSON subtree, in order, HTML tags dropped."""
    if isinstance(node, str):
        text = " ".join(strip_tags(node).split())
        if len(text) >= _MIN_PARAGRAPH_CHARS and _PROSE.search(text) and not text.startswith(("http", "{", "[")):
            yield text
    elif isinstance(node, list):
        for item in node:
            yield from _prose(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _prose(value)


def _bodies(node: Any) -> Iterator[Any]:
    """Every subtree under a key that names a body or content."""
    if isinstance(node, list):
        for item in node:
            yield from _bodies(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if _BODY_KEY.search(str(key)) and isinstance(value, (str, list, dict)):
                yield value
            yield from _bodies(value)


def embedded_text(states: Iterable[bytes]) -> str:
    """The article text a page's JSON states (`PageTags.json_states`) hold,
    paragraphs separated by blank lines, or ""."""
    best: list[str] = []
    best_words = 0
    for state in _states(states):
        for body in _bodies(state):
            paragraphs = list(dict.fromkeys(_prose(body)))
            if (words := count_words(" ".join(paragraphs))) > best_words:
                best, best_words = paragraphs, words
    return "\n\n".join(best)
