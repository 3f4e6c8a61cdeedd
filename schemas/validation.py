"""Schema checks at the pipeline's edges, from the JSON Schema files themselves."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

from newsbeam.schemas.article import RecordError


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A schema from `schemas/json/`, e.g. `load_schema("event")`."""
    path = resources.files("newsbeam.schemas") / "json" / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


@cache
def _compiled_check(name: str):
    """The schema compiled to Python code: every input record passes through it,
    and jsonschema's interpreter cost as much as normalizing the record."""
    return fastjsonschema.compile(load_schema(name))


def check_schema(name: str, record: Any) -> dict[str, Any]:
    """Check a record against `schemas/json/<name>.schema.json`; returns it when it passes.

    Raises `RecordError("schema_invalid", ...)` naming the first offending field, so
    the dead letter says what to fix rather than that something was wrong.
    """
    if not isinstance(record, dict):
        raise RecordError("schema_invalid", f"expected a JSON object, got {type(record).__name__}")
    try:
        _compiled_check(name)(record)
    except fastjsonschema.JsonSchemaException as fast_error:
        # Rare, so the interpreter explains it, in the same words as everywhere else.
        error = next(iter(_validator(name).iter_errors(record)), None)
        if error is None:
            raise RecordError("schema_invalid", str(fast_error)) from None
        where = "/".join(str(p) for p in error.absolute_path) or "record"
        raise RecordError("schema_invalid", f"{where}: {error.message}") from None
    return record


def validate_input(record: Any) -> dict[str, Any]:
    """Check one input record against `article-input.schema.json` (see `check_schema`)."""
    return check_schema("article-input", record)


def validate_output(name: str, document: dict[str, Any]) -> None:
    """Assert a produced document matches its schema (used by tests and sinks' checks)."""
    _validator(name).validate(document)
