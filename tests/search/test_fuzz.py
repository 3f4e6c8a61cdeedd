"""Fuzz every endpoint from the app's own OpenAPI document: no input may cause a 5xx.

Besides "not a server error", schemathesis checks that every answer matches what the
document promises (status codes, content types, response schemas) and that input the
document rules out is refused, so the document cannot drift from the code. One check
is left out: `positive_data_acceptance` expects every schema-valid request to succeed,
but some rules are beyond JSON Schema (a real calendar date, `from` not after `to`, no
control characters) and rightly answer 422.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

pytestmark = pytest.mark.slow

ENDPOINTS = ["GET /search", "GET /events/{event_id}", "GET /articles/{article_id}", "GET /health"]


@pytest.fixture(scope="session")
def api_schema(reference_app: FastAPI) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", reference_app)


def test_the_document_lists_the_fuzzed_endpoints(api_schema) -> None:
    assert sorted(op.ok().label for op in api_schema.get_all_operations()) == sorted(ENDPOINTS)


# Schemathesis' own `from_fixture` does not work with pytest 9 yet, so each endpoint's
# strategy is driven by Hypothesis directly.
@pytest.mark.parametrize("label", ENDPOINTS)
def test_no_input_causes_a_server_error(api_schema, label: str) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    fuzz()
