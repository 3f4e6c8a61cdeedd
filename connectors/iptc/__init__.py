"""IPTC wire formats as input records: NewsML-G2 `newsItem`s (XML) and ninjs items (JSON).

Wire services deliver stories in these formats rather than as web pages. Each
item becomes one record in the article input format, with what the wire says
beyond it kept alongside: the item's version and publishing status (which decide
corrections and kills further down), its subject codes, and the rest of its
metadata under `wire`. The format is told from the content, never from a file
name or a content type, so files, folders and HTTP pulls read alike.
"""

from newsbeam.connectors.iptc.detect import is_newsml, read_iptc_document, read_wire_document, sniff_format
from newsbeam.connectors.iptc.newsml import NEWSML_NAMESPACE, read_newsml
from newsbeam.connectors.iptc.ninjs import is_ninjs, ninjs_record, read_json_document, record_of

__all__ = [
    "NEWSML_NAMESPACE",
    "is_newsml",
    "is_ninjs",
    "ninjs_record",
    "read_iptc_document",
    "read_json_document",
    "read_newsml",
    "read_wire_document",
    "record_of",
    "sniff_format",
]
