"""Feed lists: a text file with one URL a line, or an OPML export from a feed reader."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


def parse_opml(data: bytes) -> list[str]:
    """Every `xmlUrl` in an OPML document, nested outlines included."""
    root = etree.fromstring(data, parser=_SAFE_XML)
    if root is None:
        return []
    urls = []
    for outline in root.iter("outline"):
        attributes = {name.lower(): value for name, value in outline.attrib.items()}
        if url := attributes.get("xmlurl", "").strip():
            urls.append(url)
    return urls


def load_feed_list(path: str | Path) -> list[str]:
    """Feed URLs from `path`, without repeats. Text lists may hold blank lines and
    `#` comments; a file starting with `<` is read as OPML."""
    data = Path(path).read_bytes()
    if data.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        urls = parse_opml(data.lstrip().removeprefix(b"\xef\xbb\xbf"))
    else:
        lines = data.decode("utf-8-sig").splitlines()
        urls = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return list(dict.fromkeys(urls))
