"""Index templates, versioned indices and the aliases the rest of the code writes to.

Each kind of document (articles, events, state) lives in an index named
`<prefix>-<kind>-v<hash>`, where the hash is taken over the template body the cluster
actually gets. Readers and writers only ever name the alias `<prefix>-<kind>`. Applying
the templates is idempotent: same body, same hash, nothing to do. A changed mapping
hashes differently, so it gets a new index; the documents are copied over client-side
(scroll and bulk: a minimal node has neither the reindex nor the data-streams module
that `helpers.reindex` needs), article documents getting their search terms made
again on the way (`documents.with_terms`), and the alias moves to the new index in
one atomic step. Run that migration with writers stopped. The articles mapping names
the version of the analysis, so a change in how terms are made is such a change too.

Opened read-only (the reading commands), nothing of this is written: the aliases must
already point at the indices this newsbeam would make, else the open is refused with
what to run, so a search never puts a template, creates an index or migrates a mapping.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch, helpers

from newsbeam.connectors.sinks.analysis import ANALYSIS_VERSION
from newsbeam.connectors.sinks.base import IndexLayoutMismatch
from newsbeam.connectors.sinks.elasticsearch.documents import with_terms
from newsbeam.connectors.sinks.elasticsearch.retry import RetryPolicy

log = logging.getLogger(__name__)

KINDS = ("articles", "events", "state")
#: How a document of a kind is remade when it is copied into a new index.
_COPY_TRANSFORMS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"articles": with_terms}

#: Stand-in for the `english` analyzer on nodes without the analysis-common module
#: (Elasticsearch's minimal test distribution): same tokenizer and stop words, no stemming.
FALLBACK_TEXT_ANALYZER = {"type": "standard", "stopwords": "_english_"}


@cache
def load_template(kind: str) -> dict[str, Any]:
    """The settings and mappings shipped in `schemas/elasticsearch/<kind>.json`."""
    text = (resources.files("newsbeam.schemas.elasticsearch") / f"{kind}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {"settings": data["settings"], "mappings": data["mappings"]}


@dataclass(frozen=True, slots=True)
class IndexNames:
    """The alias names for one prefix: what every read and write names."""

    prefix: str

    def alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    def template(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    def versioned(self, kind: str, version: str) -> str:
        return f"{self.prefix}-{kind}-v{version}"

    @property
    def articles(self) -> str:
        return self.alias("articles")

    @property
    def events(self) -> str:
        return self.alias("events")

    @property
    def state(self) -> str:
        return self.alias("state")


def has_english_analyzer(client: Elasticsearch) -> bool:
    """Whether the cluster has the built-in `english` analyzer (the analysis-common module)."""
    try:
        client.indices.analyze(analyzer="english", text="probe")
        return True
    except BadRequestError:
        return False


def resolve_template(kind: str, english: bool) -> dict[str, Any]:
    """The template body for this cluster: the shipped one, minus what the node lacks."""
    body = copy.deepcopy(load_template(kind))
    if kind == "articles":
        body["mappings"]["_meta"] = {"analysis": ANALYSIS_VERSION}
    analyzers = body["settings"].get("analysis", {}).get("analyzer", {})
    if not english:
        for name, definition in analyzers.items():
            if definition.get("type") == "english":
                analyzers[name] = dict(FALLBACK_TEXT_ANALYZER)
    return body


def template_version(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:10]


def ensure_indices(client: Elasticsearch, names: IndexNames, retry: RetryPolicy, english: bool,
                   *, read_only: bool = False) -> dict[str, str]:
    """Make templates, indices and aliases match the shipped schemas; return kind -> concrete index.

    `english`: whether the cluster has the `english` analyzer (`has_english_analyzer`). Without
    it, creating an index says so at INFO, where it matters; every other open (each search)
    says it only at DEBUG, and `newsbeam status` shows it as `title analyzer`.
    `read_only`: write nothing (a reader's API key may not be allowed to, and two newsbeam
    versions reading one cluster must not fight over its templates); raise
    `IndexLayoutMismatch` naming the fix when an alias is missing or points elsewhere.
    """
    if not english:
        _note_no_english()
    return {kind: _ensure_kind(client, names, kind, resolve_template(kind, english), retry, read_only)
            for kind in KINDS}


@cache
def _note_no_english() -> None:
    """Say at DEBUG, once a process however often backends are opened, that the fallback is in use."""
    log.debug("cluster has no 'english' analyzer (minimal distribution); using %s", FALLBACK_TEXT_ANALYZER)


def title_analyzer(english: bool) -> str:
    """What analyzes the events' `title` and `keywords` on a cluster with or without `english`."""
    return "english" if english else "standard, English stop words (the cluster has no 'english' analyzer)"


def missing_aliases(client: Elasticsearch, names: IndexNames, retry: RetryPolicy) -> list[str]:
    """The aliases of `names` the cluster lacks: what a reading command checks first, so that
    a mistyped prefix or URL is refused instead of answered from new, empty indices."""
    return [names.alias(kind) for kind in KINDS if not _alias_targets(client, names.alias(kind), retry)]


def _ensure_kind(client: Elasticsearch, names: IndexNames, kind: str, body: dict[str, Any], retry: RetryPolicy,
                 read_only: bool = False) -> str:
    version = template_version(body)
    alias = names.alias(kind)
    target = names.versioned(kind, version)
    if read_only:
        return _readable(alias, target, _alias_targets(client, alias, retry))
    retry.call(
        f"put template {names.template(kind)}",
        lambda: client.indices.put_index_template(
            name=names.template(kind),
            index_patterns=[f"{alias}-v*"],
            template=body,
            priority=200,
            meta={"managed_by": "newsbeam", "version": version},
        ),
    )
    current = _alias_targets(client, alias, retry)
    if current == [target]:
        return target
    created = _create_index(client, target, retry)
    if created and FALLBACK_TEXT_ANALYZER in body["settings"].get("analysis", {}).get("analyzer", {}).values():
        log.info("created %s with %s for the 'english' analyzer, which the cluster lacks", target,
                 FALLBACK_TEXT_ANALYZER)
    if not current:
        retry.call(f"add alias {alias}", lambda: client.indices.update_aliases(actions=[_add_alias(target, alias)]))
        return target
    for old in current:
        log.info("mapping of %s changed: copying %s into %s", alias, old, target)
        _copy_documents(client, old, target, _COPY_TRANSFORMS.get(kind))
    actions = [{"remove": {"index": old, "alias": alias}} for old in current] + [_add_alias(target, alias)]
    retry.call(f"move alias {alias}", lambda: client.indices.update_aliases(actions=actions))
    retry.call("refresh", lambda: client.indices.refresh(index=target))
    return target


def _readable(alias: str, target: str, current: list[str]) -> str:
    """`target` when `alias` points at it alone; else what a reader cannot fix without writing, and the fix."""
    if current == [target]:
        return target
    if not current:
        raise IndexLayoutMismatch(f"no alias {alias}: make the index with `newsbeam ingest FILE` or `newsbeam run`")
    raise IndexLayoutMismatch(
        f"{alias} points at {', '.join(current)}, not at {target}, the mapping this newsbeam reads: run "
        "`newsbeam ingest FILE` (an empty FILE will do) or `newsbeam run` of this version once, with writers "
        "stopped, to migrate it, or read with the newsbeam version that wrote it")


def _copy_documents(client: Elasticsearch, source: str, target: str,
                    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
    documents = helpers.scan(client, index=source, query={"query": {"match_all": {}}}, size=1000)
    remake = transform or (lambda doc: doc)
    helpers.bulk(client, ({"_index": target, "_id": d["_id"], "_source": remake(d["_source"])} for d in documents),
                 chunk_size=1000)


def _add_alias(index: str, alias: str) -> dict[str, Any]:
    return {"add": {"index": index, "alias": alias, "is_write_index": True}}


def _alias_targets(client: Elasticsearch, alias: str, retry: RetryPolicy) -> list[str]:
    def read() -> list[str]:
        try:
            return sorted(client.indices.get_alias(name=alias).body)
        except ApiError as exc:
            # Only Elasticsearch's own 404 says the alias is missing; another server's says nothing.
            if exc.meta.status == 404 and exc.meta.headers.get("X-Elastic-Product") == "Elasticsearch":
                return []
            raise

    return retry.call(f"get alias {alias}", read)


def _create_index(client: Elasticsearch, index: str, retry: RetryPolicy) -> bool:
    """Create `index` from its template; fine if a concurrent opener created it first (then False)."""

    def create() -> bool:
        try:
            client.indices.create(index=index, wait_for_active_shards="1")
            return True
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
            return False

    return retry.call(f"create index {index}", create)
