"""`newsbeam run` on a wire endpoint (ninjs over HTTP): corrections replace, kills remove, on both backends.

Two runs of one poll each (`--once`) on Prism: the endpoint first serves three
stories, then a correction of one, a kill of another and an older version of
the first. The second run is a restart: what it knows comes from the index.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent.parent))
from wire_items import BRIDGE, FERRY, FERRY_CORRECTED, FERRY_OTHER_OUTLET, ninjs  # noqa: E402

from newsbeam.cli.main import main  # noqa: E402
from newsbeam.connectors.sinks import BackendSettings, SearchQuery, open_backend  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_once(index: BackendSettings, url: str, config: Path) -> None:
    result = CliRunner().invoke(main, [
        "--config", str(config), "run", "--feeds", url, "--data-dir", str(index.data_dir), "--once",
        *(["--es-url", index.es_url] if index.es_url else []),
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_run_applies_corrections_and_kills(prism_binary, endpoint, wire_index, tmp_path, monkeypatch):
    index = wire_index
    monkeypatch.setenv("NEWSBEAM_ALLOW_LOOPBACK", "1")
    config = tmp_path / "newsbeam.toml"
    config.write_text('[fetch]\nmin_interval = 0\n\n[runner]\nname = "prism"\n')
    endpoint.serve(ninjs("urn:nw:ferry", spec="2.0", story=FERRY),
                   ninjs("urn:nj:ferry-2", spec="1.0", story=FERRY_OTHER_OUTLET),
                   ninjs("urn:nw:bridge", spec="3.0", story=BRIDGE))
    run_once(index, endpoint.url, config)
    backend = open_backend(index)
    try:
        assert backend.counts() == {"articles": 3, "events": 2}
        ferry_event = backend.get_article("urn:nw:ferry")["event_id"]
        assert backend.get_article("urn:nj:ferry-2")["event_id"] == ferry_event
    finally:
        backend.close()

    endpoint.serve(ninjs("urn:nw:ferry", spec="2.0", story=FERRY),  # still listed: already indexed
                   ninjs("urn:nw:ferry", spec="2.0", version=2, story=FERRY_CORRECTED),
                   ninjs("urn:nw:bridge", spec="3.0", version=2, pubstatus="canceled", story=BRIDGE),
                   ninjs("urn:nj:ferry-2", spec="1.0", story=FERRY_OTHER_OUTLET))
    run_once(index, endpoint.url, config)
    backend = open_backend(index)
    try:
        assert backend.counts() == {"articles": 2, "events": 1}
        ferry = backend.get_article("urn:nw:ferry")
        assert (ferry["version"], ferry["title"], ferry["event_id"]) == (2, FERRY_CORRECTED["title"], ferry_event)
        event = backend.get_event(ferry_event)
        assert sorted(event.article_ids) == ["urn:nj:ferry-2", "urn:nw:ferry"]
        assert backend.get_article("urn:nw:bridge") is None
        assert backend.search(SearchQuery(text="bridge bearings")).hits == []
    finally:
        backend.close()
