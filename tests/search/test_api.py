"""The HTTP API over an index built by `newsbeam ingest` from the reference event (tests/fixtures)."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from fastapi.testclient import TestClient
from support import REFERENCE_IDS, REFERENCE_QUERY

from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.search.app import app_for_settings

def reference_event(client: TestClient) -> dict:
    body = client.get("/search", params={"q": REFERENCE_QUERY}).json()
    assert body["total"] == 1, body
    return body["hits"][0]


def assert_error(response, status: int, code: str, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert body["message"]
    if param:
        assert [d["param"] for d in body["details"]] == [param]
    return body


def test_search_finds_the_reference_event_with_highlighted_snippet(client: TestClient) -> None:
    response = client.get("/search", params={"q": REFERENCE_QUERY})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["size"], body["pages"]) == (1, 1, 10, 1)
    assert body["query"] == {"q": REFERENCE_QUERY, "from": None, "to": None, "source": None, "language": None,
                             "subject": None}
    hit = body["hits"][0]
    assert hit["article_count"] == 3
    assert set(hit["article_ids"]) == REFERENCE_IDS
    assert "Skarvik" in hit["title"]
    assert "<mark>" in hit["snippet"] and "</mark>" in hit["snippet"]
    assert hit["first_seen"] <= hit["last_seen"]


def test_search_without_matches_is_an_empty_page(client: TestClient) -> None:
    body = client.get("/search", params={"q": "zebra aquarium"}).json()
    assert (body["total"], body["hits"], body["pages"]) == (0, [], 0)


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({"source": "Meridian Wire"}, True),
        ({"source": "No Such Outlet"}, False),
        ({"language": "en"}, True),
        ({"language": "EN"}, True),
        ({"language": "de"}, False),
        ({"from": "2026-02-10", "to": "2026-02-10"}, True),  # a bare `to` date includes its whole day
        ({"from": "2026-02-10T20:00:00Z", "to": "2026-02-10T21:00:00+00:00"}, True),
        ({"from": "2026-02-12"}, False),
        ({"to": "2026-02-09"}, False),
    ],
)
def test_search_filters(client: TestClient, filters: dict, found: bool) -> None:
    body = client.get("/search", params={"q": REFERENCE_QUERY, **filters}).json()
    assert body["total"] == (1 if found else 0), body


def test_search_echoes_normalized_dates(client: TestClient) -> None:
    body = client.get("/search", params={"q": REFERENCE_QUERY, "from": "2026-02-10", "to": "2026-02-10T23:00:00+02:00"}).json()
    assert body["query"]["from"] == "2026-02-10T00:00:00Z"
    assert body["query"]["to"] == "2026-02-10T21:00:00Z"


def test_paging_past_the_results_is_empty_not_an_error(client: TestClient) -> None:
    body = client.get("/search", params={"q": REFERENCE_QUERY, "page": 2, "size": 1}).json()
    assert (body["total"], body["page"], body["size"], body["hits"]) == (1, 2, 1, [])


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "a", "size": 0}, "size"),
        ({"q": "a", "size": 51}, "size"),
        ({"q": "a", "size": "ten"}, "size"),
        ({"q": "a", "page": 0}, "page"),
        ({"q": "a", "page": 201, "size": 50}, "page"),
        ({"q": "a", "from": "yesterday"}, "from"),
        ({"q": "a", "to": "2025-02-30"}, "to"),
        ({"q": "a", "from": "0001-01-01T00:00:00+01:00"}, "from"),
        ({"q": "a", "from": "2025-06-05", "to": "2025-06-04"}, "from"),
        ({"q": "a", "language": "english"}, "language"),
        ({"q": "a", "source": "s" * 201}, "source"),
    ],
)
def test_invalid_parameters_are_422_naming_the_parameter(client: TestClient, params: dict, param: str) -> None:
    assert_error(client.get("/search", params=params), 422, "invalid_parameter", param)


def test_event_groups_articles_by_outlet_with_a_timeline(client: TestClient) -> None:
    hit = reference_event(client)
    response = client.get(f"/events/{hit['event_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["event"]["event_id"] == hit["event_id"]
    assert body["event"]["article_count"] == 3
    outlets = {group["outlet"]: group["articles"] for group in body["outlets"]}
    # ref-c names no outlet: it is credited to its web host rather than dropped.
    assert set(outlets) == {"Meridian Wire", "Fjordland Courier", "hallvard-daily.example"}
    assert {a["id"] for articles in outlets.values() for a in articles} == REFERENCE_IDS
    first_published = [group["articles"][0]["published"] for group in body["outlets"]]
    assert first_published == sorted(first_published), "outlets are listed in order of first coverage"
    for articles in outlets.values():
        assert all(a["url"].startswith("https://") and a["excerpt"] for a in articles)
    timeline = body["timeline"]
    assert sum(b["count"] for b in timeline["buckets"]) == 3
    assert timeline["undated"] == 0
    assert timeline["start"] == hit["first_seen"] and timeline["end"] == hit["last_seen"]


def test_event_explains_itself(client: TestClient) -> None:
    """Both indexes keep what the clusterer says of an event: the representative's first sentence,
    the names its articles are about, each outlet with its count, the languages."""
    event = client.get(f"/events/{reference_event(client)['event_id']}").json()["event"]
    assert event["representative_id"] in REFERENCE_IDS
    assert "Skarvik" in event["summary"] and len(event["summary"]) <= 240
    assert "Skarvik" in event["names"] and len(event["names"]) <= 5
    assert event["outlets"] == [{"source": name, "count": 1} for name in event["sources"]]
    assert event["languages"] == ["en"]


def test_article_document(client: TestClient) -> None:
    event_id = reference_event(client)["event_id"]
    body = client.get("/articles/ref-b").json()
    assert body["id"] == "ref-b"
    assert body["source"] == "Meridian Wire"
    assert body["event_id"] == event_id
    assert body["duplicate_of"] is None
    assert "Skarvik" in body["text"]


@pytest.mark.parametrize(
    ("path", "code"),
    [("/events/evt-missing", "event_not_found"), ("/articles/missing", "article_not_found"), ("/nothing-here", "not_found")],
)
def test_unknown_ids_and_paths_are_404(client: TestClient, path: str, code: str) -> None:
    assert_error(client.get(path), 404, code)


def test_over_long_ids_are_422(client: TestClient) -> None:
    assert_error(client.get("/events/" + "e" * 201), 422, "invalid_parameter", "event_id")


def test_only_get_is_allowed(client: TestClient) -> None:
    assert_error(client.post("/search", params={"q": "a"}), 405, "method_not_allowed")


def test_health_reports_counts_but_no_location(client: TestClient, reference_settings: BackendSettings) -> None:
    response = client.get("/health")
    kind = "elasticsearch" if reference_settings.es_url else "embedded"
    assert response.json() == {"status": "ok", "backend": kind, "articles": 3, "events": 1}
    assert str(reference_settings.data_dir) not in response.text
    assert not reference_settings.es_url or reference_settings.es_url not in response.text


def test_openapi_document_describes_every_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/search", "/events/{event_id}", "/articles/{article_id}", "/health"} <= set(document["paths"])
    search_params = {p["name"] for p in document["paths"]["/search"]["get"]["parameters"]}
    assert search_params == {"q", "from", "to", "source", "language", "subject", "page", "size"}


def test_web_page_and_its_files_are_served_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for asset in ("/static/app.js", "/static/app.css"):
        assert client.get(asset).status_code == 200
    # No CDN: every script and stylesheet the page names is its own.
    assert "http" not in "".join(line for line in page.text.splitlines() if "src=" in line or "href=" in line)


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_configured_origins(reference_settings: BackendSettings) -> None:
    app = app_for_settings(reference_settings, cors_origins=["https://dashboard.example"])
    with TestClient(app) as client:
        allowed = client.get("/health", headers={"Origin": "https://dashboard.example"})
        other = client.get("/health", headers={"Origin": "https://elsewhere.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
    assert "access-control-allow-origin" not in other.headers


def break_tables(settings: BackendSettings, *tables: str) -> None:
    """Swap tables of a real index for empty look-alikes, as a bad migration or disk would."""
    from newsbeam.connectors.sinks.sqlite import INDEX_FILE

    with sqlite3.connect(settings.data_dir / INDEX_FILE) as db:
        for table in tables:
            db.executescript(f"DROP TABLE {table}; CREATE TABLE {table} (junk);")


def assert_bare_500(response, settings: BackendSettings) -> None:
    body = assert_error(response, 500, "internal_error")
    assert body["details"] == []
    text = response.text.lower()
    assert "traceback" not in text and "sqlite" not in text and "column" not in text
    assert str(settings.data_dir) not in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]  # failures too


def test_failing_queries_give_a_bare_500_and_a_log_entry(
    fresh_reference_settings: BackendSettings, caplog: pytest.LogCaptureFixture
) -> None:
    break_tables(fresh_reference_settings, "article_terms", "events")
    with TestClient(app_for_settings(fresh_reference_settings), raise_server_exceptions=False) as client:
        with caplog.at_level(logging.ERROR, logger="newsbeam.search"):
            for response in (client.get("/search", params={"q": REFERENCE_QUERY}), client.get("/events/anything")):
                assert_bare_500(response, fresh_reference_settings)
    assert len([r for r in caplog.records if r.exc_info]) == 2, "each failure is logged once, with its trace"


def test_an_index_that_cannot_open_fails_health_with_503(fresh_reference_settings: BackendSettings) -> None:
    break_tables(fresh_reference_settings, "articles")
    with TestClient(app_for_settings(fresh_reference_settings), raise_server_exceptions=False) as client:
        health = client.get("/health")
        assert_bare_500(client.get("/articles/ref-a"), fresh_reference_settings)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "backend": "embedded", "articles": None, "events": None}
