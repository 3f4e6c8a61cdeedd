"""Wire items the tests write: NewsML-G2 `newsItem`s and ninjs items of each version.

The stories are invented. Every builder takes the same story fields, so a test
can send one story as NewsML-G2, as ninjs 1.x, 2.x or 3.x, as a correction (a
higher version) or as a kill (`pubstatus="canceled"`), and expect one result.
"""

from __future__ import annotations

import json
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from es_node import fresh_prefix

from newsbeam.connectors.sinks import BackendSettings

NAR = "http://iptc.org/std/nar/2006-10-01/"

STORY = {
    "title": "Skarvik ferry resumes after harbour wall repair",
    "text": ("The Skarvik harbour ferry carried its first passengers in six weeks on Monday after engineers "
             "finished rebuilding the storm-damaged harbour wall.\n\nThe municipal ferry office said crossings "
             "would run every forty minutes until the summer timetable begins in June."),
    "published": "2025-06-01T09:00:00Z",
    "updated": "2025-06-01T09:00:00Z",
    "source": "Nordwire",
    "language": "en",
    "author": "Ingrid Halvorsen",
    "located": "Skarvik",
    "subjects": ["medtop:20000106", "medtop:04000000"],
}

#: Invented stories: two or three outlets on one event (the ferry), a correction of the first, and two more
#: (the bridge, on two outlets, and the library).
FERRY = dict(
    title="Skarvik ferry resumes after harbour wall repair",
    text=("The Skarvik harbour ferry carried its first passengers in six weeks on Monday after engineers "
          "finished rebuilding the storm-damaged harbour wall.\n\nThe municipal ferry office said crossings "
          "would run every forty minutes until the summer timetable begins in June."),
)
FERRY_CORRECTED = dict(
    title="Skarvik ferry resumes after harbour wall repair, runs every thirty minutes",
    text=("The Skarvik harbour ferry carried its first passengers in six weeks on Monday after engineers "
          "finished rebuilding the storm-damaged harbour wall.\n\nThe municipal ferry office said crossings "
          "would run every thirty minutes, not forty as first reported, until the summer timetable begins."),
)
FERRY_OTHER_OUTLET = dict(
    title="Skarvik harbour ferry back in service as wall rebuilt",
    text=("Passengers boarded the Skarvik harbour ferry on Monday for the first time since the storm, once "
          "engineers had rebuilt the damaged harbour wall. Ferry office staff said the harbour ferry crossings "
          "would keep a forty minute timetable until June, when the summer timetable starts."),
    source="Coastal Daily", author="Per Lunde",
)
FERRY_THIRD_OUTLET = dict(
    title="Skarvik harbour ferry crossings restart after wall rebuilt",
    text=("The Skarvik harbour ferry made its first crossings in six weeks on Monday, after engineers rebuilt "
          "the harbour wall the storm had damaged. The ferry office said the harbour ferry would cross every "
          "forty minutes until the summer timetable in June."),
    source="Fjord Post", author="Lena Berg",
)
BRIDGE = dict(
    title="Lindholm swing bridge closes for three weeks of bearing work",
    text=("The Lindholm swing bridge will close to road traffic from Tuesday while contractors replace its "
          "worn bearings, the county roads department said.\n\nDiversions via the ring road add about ten "
          "minutes to journeys."),
    subjects=["medtop:20000574"],
)
BRIDGE_OTHER_OUTLET = dict(
    title="Lindholm swing bridge shut for three weeks while bearings are replaced",
    text=("Road traffic over the Lindholm swing bridge stops from Tuesday for three weeks while contractors "
          "replace the bridge's worn bearings, the county roads department said. Diversions over the ring "
          "road add about ten minutes."),
    subjects=["medtop:20000574"], source="Coastal Daily", author="Per Lunde",
)
LIBRARY = dict(
    title="Gull Island library extends weekday opening hours",
    text=("The Gull Island library will stay open until nine in the evening on weekdays from next month, the "
          "island council decided on Thursday after a petition signed by four hundred residents."),
    subjects=["medtop:05000000"], published="2025-06-01T11:00:00Z", updated="2025-06-01T11:00:00Z",
)


def newsitem(guid: str, *, version: int = 1, pubstatus: str = "usable", body: str = "inlineXML",
             story: dict | None = None, **changes) -> str:
    """One `newsItem` element; `body` is `inlineXML` (NITF), `inlineData` (plain text) or `none`."""
    s = {**STORY, **(story or {}), **changes}
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in s["text"].split("\n\n"))
    content = {
        "inlineXML": ('<inlineXML contenttype="application/nitf+xml"><nitf xmlns="http://iptc.org/std/NITF/2006-10-18/">'
                      f'<body><body.head><hedline><hl1>{escape(s["title"])}</hl1></hedline></body.head>'
                      f"<body.content>{paragraphs}</body.content></body></nitf></inlineXML>"),
        "inlineData": f'<inlineData contenttype="text/plain">{escape(s["text"])}</inlineData>',
        "none": "",
    }[body]
    subjects = "".join(f'<subject type="cpnat:abstract" qcode="{code}"/>' for code in s["subjects"])
    return (
        f'<newsItem xmlns="{NAR}" guid="{guid}" version="{version}" standard="NewsML-G2" standardversion="2.29"'
        f' xml:lang="{s["language"]}">'
        '<itemMeta><itemClass qcode="ninat:text"/>'
        f'<provider literal="{escape(s["source"])}"><name>{escape(s["source"])}</name></provider>'
        f'<versionCreated>{s["updated"]}</versionCreated><firstCreated>{s["published"]}</firstCreated>'
        f'<pubStatus qcode="stat:{pubstatus}"/>'
        + ('<signal qcode="sig:correction"/>' if version > 1 else "")
        + f'<link rel="irel:seeAlso" href="https://nordwire.example/stories/{guid.rsplit(":", 1)[-1]}"/>'
        "</itemMeta>"
        f'<contentMeta><located qcode="geo:skarvik"><name>{escape(s["located"])}</name></located>'
        f'<creator qcode="nwauthor:ih"><name>{escape(s["author"])}</name></creator>'
        f'<language tag="{s["language"]}"/>{subjects}<headline>{escape(s["title"])}</headline></contentMeta>'
        f"<contentSet>{content}</contentSet></newsItem>"
    )


def news_message(*items: str) -> str:
    """A `newsMessage` holding `items` (newsItem strings, without their XML declarations)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<newsMessage xmlns="{NAR}"><header>'
            "<sent>2025-06-01T10:00:00Z</sent></header><itemSet>" + "".join(items) + "</itemSet></newsMessage>")


def ninjs(uri: str, *, spec: str = "2.0", version: int = 1, pubstatus: str = "usable", html: bool = False,
          story: dict | None = None, **changes) -> dict:
    """One ninjs item in the shape of ninjs `spec` (1.x names one headline and body, 2.x/3.x lists)."""
    s = {**STORY, **(story or {}), **changes}
    item: dict = {"uri": uri, "type": "text", "version": str(version), "pubstatus": pubstatus,
                  "versioncreated": s["updated"], "firstcreated": s["published"], "language": s["language"],
                  "copyrightholder": s["source"]}
    html_body = "".join(f"<p>{escape(p)}</p>" for p in s["text"].split("\n\n"))
    cv = "http://cv.iptc.org/newscodes/mediatopic/"
    if spec.startswith("1."):
        item.update(headline=s["title"], byline=s["author"], located=s["located"],
                    subject=[{"code": c.split(":")[1], "scheme": cv, "name": c} for c in s["subjects"]])
        item["body_html" if html else "body_text"] = html_body if html else s["text"]
    else:
        item.update(
            standard={"name": "ninjs", "version": spec, "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{spec}.json"},
            headlines=[{"value": s["title"], "role": "main"}],
            bodies=[{"value": html_body, "contenttype": "text/html"} if html
                    else {"value": s["text"], "contenttype": "text/plain", "role": "main"}],
            by=s["author"],
            people=[{"name": "Kari Nordmann", "rel": "mentioned"}],
            places=[{"name": s["located"]}],
            subjects=[{"uri": cv + c.split(":")[1], "name": c} for c in s["subjects"]],
        )
    return item


def ninjs_lines(*items: dict) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


@pytest.fixture(params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def wire_index(request, tmp_path, monkeypatch):
    """Where a test's runs write: an embedded index, or fresh indices on the test node (named to the CLI)."""
    data_dir = tmp_path / "data"
    if request.param == "embedded":
        yield BackendSettings(data_dir=data_dir)
        return
    es_url = request.getfixturevalue("es_url")
    with fresh_prefix(es_url) as prefix:
        monkeypatch.setenv("NEWSBEAM_ES_INDEX_PREFIX", prefix)
        yield BackendSettings(data_dir=data_dir, es_url=es_url, es_index_prefix=prefix)


class WireEndpoint:
    """A local HTTP endpoint answering one JSON document, which the test replaces between runs."""

    def __init__(self) -> None:
        self.body = b"[]"
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                body = endpoint.body
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/wire/ninjs"

    def serve(self, *items: dict) -> None:
        self.body = json.dumps(list(items)).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    served = WireEndpoint()
    yield served
    served.close()
