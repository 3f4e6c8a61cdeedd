"""Pick the index backend from settings: embedded SQLite unless an Elasticsearch URL is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsbeam.connectors.sinks.base import IndexBackend

#: What a user runs to get the Elasticsearch backend.
ES_EXTRA = "pip install 'newsbeam[es]'"


class MissingExtra(RuntimeError):
    """An optional dependency a setting asks for is not installed; the message names the fix."""


@dataclass(frozen=True, slots=True)
class BackendSettings:
    """Where the index lives. Picklable, so Beam workers can open their own connection.

    Built from the configuration by `newsbeam.config.build.backend_settings`.
    """

    data_dir: Path
    es_url: str | None = None
    es_api_key: str | None = None
    es_username: str | None = None
    es_password: str | None = None
    es_ca_file: str | None = None
    es_index_prefix: str = "newsbeam"
    #: Seconds Elasticsearch faults are ridden out before a write fails.
    es_retry_seconds: float = 120.0

    @property
    def description(self) -> str:
        return f"Elasticsearch at {self.es_url}" if self.es_url else f"embedded index in {self.data_dir}"


def require_backend(settings: BackendSettings) -> None:
    """Raise `MissingExtra` when `settings` name a backend whose client is not installed."""
    if settings.es_url:
        try:
            import elasticsearch  # noqa: F401
        except ImportError:
            raise MissingExtra(f"--es-url needs the Elasticsearch client: {ES_EXTRA}") from None


def open_backend(settings: BackendSettings, *, read_only: bool = False) -> IndexBackend:
    """Open the configured backend; the caller closes it.

    `read_only`, for the reading commands: on Elasticsearch the open puts no template and
    creates or migrates no index (`ElasticsearchBackend`); the embedded index opens as always.
    """
    if settings.es_url:
        require_backend(settings)
        from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_settings(settings, read_only=read_only)
    from newsbeam.connectors.sinks.sqlite import SqliteBackend

    return SqliteBackend(settings.data_dir)
