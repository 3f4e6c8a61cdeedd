"""An Elasticsearch client configured from `BackendSettings` (URL, API key or basic auth, CA file)."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from newsbeam.connectors.sinks.select import BackendSettings


def connect(settings: BackendSettings, request_timeout: float = 30.0) -> Elasticsearch:
    """A client for `settings.es_url`.

    Transport-level retries are off: `RetryPolicy` owns retrying for every call, so a
    request is never retried by two layers with two different budgets.
    """
    if not settings.es_url:
        raise ValueError("no Elasticsearch URL configured (--es-url or NEWSBEAM_ES_URL)")
    options: dict[str, Any] = {"request_timeout": request_timeout, "max_retries": 0, "http_compress": False}
    if settings.es_api_key:
        options["api_key"] = settings.es_api_key
    elif settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password or "")
    if settings.es_ca_file:
        options["ca_certs"] = settings.es_ca_file
    return Elasticsearch(settings.es_url, **options)
