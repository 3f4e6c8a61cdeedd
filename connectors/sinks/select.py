"""Pick the index backend from settings: embedded SQLite unless an Elasticsearch URL is given."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from newsbeam.connectors.sinks.base import IndexBackend


def default_data_dir() -> Path:
    """`$NEWSBEAM_DATA_DIR`, else the per-user data folder (`$XDG_DATA_HOME/newsbeam`)."""
    if env := os.environ.get("NEWSBEAM_DATA_DIR"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsbeam"


@dataclass(frozen=True, slots=True)
class BackendSettings:
    """Where the index lives. Picklable, so Beam workers can open their own connection."""

    data_dir: Path
    es_url: str | None = None
    es_api_key: str | None = None
    es_username: str | None = None
    es_password: str | None = None
    es_ca_file: str | None = None
    es_index_prefix: str = "newsbeam"

    @classmethod
    def from_env(cls, data_dir: Path | None = None, es_url: str | None = None) -> BackendSettings:
        """Settings from explicit values, falling back to `NEWSBEAM_*` environment variables."""
        return cls(
            data_dir=Path(data_dir) if data_dir else default_data_dir(),
            es_url=es_url or os.environ.get("NEWSBEAM_ES_URL") or None,
            es_api_key=os.environ.get("NEWSBEAM_ES_API_KEY") or None,
            es_username=os.environ.get("NEWSBEAM_ES_USERNAME") or None,
            es_password=os.environ.get("NEWSBEAM_ES_PASSWORD") or None,
            es_ca_file=os.environ.get("NEWSBEAM_ES_CA_FILE") or None,
            es_index_prefix=os.environ.get("NEWSBEAM_ES_INDEX_PREFIX") or "newsbeam",
        )

    @property
    def description(self) -> str:
        return f"Elasticsearch at {self.es_url}" if self.es_url else f"embedded index in {self.data_dir}"


def open_backend(settings: BackendSettings) -> IndexBackend:
    """Open the configured backend; the caller closes it."""
    if settings.es_url:
        from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_settings(settings)
    from newsbeam.connectors.sinks.sqlite import SqliteBackend

    return SqliteBackend(settings.data_dir)
