"""The HTTP API over an embedded index built by `newsbeam ingest` from the seed corpus."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from fastapi.testclient import TestClient

from newsbeam.connectors.sinks.select import BackendSettings
from newsbeam.search.app import app_for_settings

SEED_QUERY = "Putin phone call"
SEED_IDS = {"seed-a", "seed-b", "seed-c"}


def seed_event(client: TestClient) -> dict:
    body = client.get("/search", params={"q": SEED_QUERY}).json()
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


def test_search_finds_the_seed_event_with_highlighted_snippet(client: TestClient) -> None:
    response = client.get("/search", params={"q": SEED_QUERY})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["size"], body["pages"]) == (1, 1, 10, 1)
    assert body["query"] == {"q": SEED_QUERY, "from": None, "to": None, "source": None, "language": None}
    hit = body["hits"][0]
    assert hit["article_count"] == 3
    assert set(hit["article_ids"]) == SEED_IDS
    assert "Putin" in hit["title"]
    assert "<mark>" in hit["snippet"] and "</mark>" in hit["snippet"]
    assert hit["first_seen"] <= hit["last_seen"]


def test_search_without_matches_is_an_empty_page(client: TestClient) -> None:
    body = client.get("/search", params={"q": "zebra aquarium"}).json()
    assert (body["total"], body["hits"], body["pages"]) == (0, [], 0)


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({"source": "Reuters"}, True),
        ({"source": "No Such Outlet"}, False),
        ({"language": "en"}, True),
        ({"language": "EN"}, True),
        ({"language": "de"}, False),
        ({"from": "2025-06-04", "to": "2025-06-04"}, True),  # a bare `to` date includes its whole day
        ({"from": "2025-06-04T20:00:00Z", "to": "2025-06-04T21:00:00+00:00"}, True),
        ({"from": "2025-06-06"}, False),
        ({"to": "2025-06-03"}, False),
    ],
)
def test_search_filters(client: TestClient, filters: dict, found: bool) -> None:
    body = client.get("/search", params={"q": SEED_QUERY, **filters}).json()
    assert body["total"] == (1 if found else 0), body


def test_search_echoes_normalized_dates(client: TestClient) -> None:
    body = client.get("/search", params={"q": SEED_QUERY, "from": "2025-06-04", "to": "2025-06-04T23:00:00+02:00"}).json()
    assert body["query"]["from"] == "2025-06-04T00:00:00Z"
    assert body["query"]["to"] == "2025-06-04T21:00:00Z"


def test_paging_past_the_results_is_empty_not_an_error(client: TestClient) -> None:
    body = client.get("/search", params={"q": SEED_QUERY, "page": 2, "size": 1}).json()
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
    hit = seed_event(client)
    response = client.get(f"/events/{hit['event_id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["event"]["event_id"] == hit["event_id"]
    assert body["event"]["article_count"] == 3
    outlets = {group["outlet"]: group["articles"] for group in body["outlets"]}
    # seed-c names no outlet: it is credited to its web host rather than dropped.
    assert set(outlets) == {"Reuters", "Pan-Atlantic Kompass", "daily.example.net"}
    assert {a["id"] for articles in outlets.values() for a in articles} == SEED_IDS
    first_published = [group["articles"][0]["published"] for group in body["outlets"]]
    assert first_published == sorted(first_published), "outlets are listed in order of first coverage"
    for articles in outlets.values():
        assert all(a["url"].startswith("https://") and a["excerpt"] for a in articles)
    timeline = body["timeline"]
    assert sum(b["count"] for b in timeline["buckets"]) == 3
    assert timeline["undated"] == 0
    assert timeline["start"] == hit["first_seen"] and timeline["end"] == hit["last_seen"]


def test_article_document(client: TestClient) -> None:
    event_id = seed_event(client)["event_id"]
    body = client.get("/articles/seed-b").json()
    assert body["id"] == "seed-b"
    assert body["source"] == "Reuters"
    assert body["event_id"] == event_id
    assert body["duplicate_of"] is None
    assert "Putin" in body["text"]


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


def test_health_reports_counts_but_no_location(client: TestClient, seed_settings: BackendSettings) -> None:
    response = client.get("/health")
    kind = "elasticsearch" if seed_settings.es_url else "embedded"
    assert response.json() == {"status": "ok", "backend": kind, "articles": 3, "events": 1}
    assert str(seed_settings.data_dir) not in response.text
    assert not seed_settings.es_url or seed_settings.es_url not in response.text


def test_openapi_document_describes_every_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/search", "/events/{event_id}", "/articles/{article_id}", "/health"} <= set(document["paths"])
    search_params = {p["name"] for p in document["paths"]["/search"]["get"]["parameters"]}
    assert search_params == {"q", "from", "to", "source", "language", "page", "size"}


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


def test_cors_allows_only_configured_origins(seed_settings: BackendSettings) -> None:
    app = app_for_settings(seed_settings, cors_origins=["https://dashboard.example"])
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
    fresh_seed_settings: BackendSettings, caplog: pytest.LogCaptureFixture
) -> None:
    break_tables(fresh_seed_settings, "article_text", "events")
    with TestClient(app_for_settings(fresh_seed_settings), raise_server_exceptions=False) as client:
        with caplog.at_level(logging.ERROR, logger="newsbeam.search"):
            for response in (client.get("/search", params={"q": SEED_QUERY}), client.get("/events/anything")):
                assert_bare_500(response, fresh_seed_settings)
    assert len([r for r in caplog.records if r.exc_info]) == 2, "each failure is logged once, with its trace"


def test_an_index_that_cannot_open_fails_health_with_503(fresh_seed_settings: BackendSettings) -> None:
    break_tables(fresh_seed_settings, "articles")
    with TestClient(app_for_settings(fresh_seed_settings), raise_server_exceptions=False) as client:
        health = client.get("/health")
        assert_bare_500(client.get("/articles/seed-a"), fresh_seed_settings)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "backend": "embedded", "articles": None, "events": None}
