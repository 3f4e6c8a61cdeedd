"""The commands behave alike: reading commands refuse a folder without an index, a missing
extra is one line naming its fix, and dates are read as the API reads them."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REFERENCE_EVENT, REFERENCE_QUERY

from newsbeam.cli.main import main


@pytest.fixture(autouse=True)
def no_index_settings(monkeypatch, tmp_path):
    for name in ("NEWSBEAM_CONFIG", "NEWSBEAM_DATA_DIR", "NEWSBEAM_ES_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """A data folder holding the reference event: three articles of 10-11 February 2026."""
    data_dir = tmp_path_factory.mktemp("indexed")
    result = CliRunner().invoke(main, ["ingest", str(REFERENCE_EVENT), "--data-dir", str(data_dir)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return data_dir


@pytest.mark.parametrize("command", [["search", "ferry"], ["status"], ["serve", "--port", "1"]])
def test_a_reading_command_refuses_a_folder_without_an_index(tmp_path, command):
    mistyped = tmp_path / "nwes"
    result = CliRunner().invoke(main, [*command, "--data-dir", str(mistyped)])
    assert result.exit_code == 1
    assert f"no index in {mistyped} (looked for index.sqlite3 there)" in result.output
    assert not mistyped.exists()


def test_a_missing_elasticsearch_client_is_one_line_naming_the_install(tmp_path):
    # The client is installed here; a site hook makes its import fail as if it were not.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['elasticsearch'] = None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")])}
    for command in (["search", "ferry"], ["ingest", str(REFERENCE_EVENT)], ["status"]):
        done = subprocess.run([sys.executable, "-m", "newsbeam", *command, "--es-url", "http://127.0.0.1:9"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip().splitlines()[-1] == (
            "Error: --es-url needs the Elasticsearch client: pip install 'newsbeam[es]'"), done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("url", "message"), [
    ("localhost:9200", "'localhost:9200' is not an http:// or https:// URL"),
    ("http://127.0.0.1", "'http://127.0.0.1' names no port; Elasticsearch listens on 9200 unless told otherwise: "
                         "http://127.0.0.1:9200"),
])
def test_an_elasticsearch_url_its_client_cannot_use_is_refused_naming_the_fix(url, message):
    for command in (["search", "x"], ["status"], ["ingest", str(REFERENCE_EVENT)]):
        flag = CliRunner().invoke(main, [*command, "--es-url", url])
        assert (flag.exit_code, flag.exception.__class__) == (2, SystemExit), flag.output
        assert f"Invalid value for '--es-url': {message}" in flag.output
        variable = CliRunner().invoke(main, command, env={"NEWSBEAM_ES_URL": url})
        assert (variable.exit_code, variable.exception.__class__) == (1, SystemExit), variable.output
        assert f"$NEWSBEAM_ES_URL: {message}" in variable.output


@pytest.mark.parametrize("flag", ["--sitemap", "--cc-news-base"])
def test_a_web_source_flag_refuses_what_is_not_a_url_as_the_file_does(tmp_path, flag):
    extra = ["--cc-news", "2025-06-01"] if flag == "--cc-news-base" else []
    result = CliRunner().invoke(main, ["ingest", flag, "ftp://mirror.example.org/", *extra,
                                       "--data-dir", str(tmp_path / "data")])
    assert (result.exit_code, result.exception.__class__) == (2, SystemExit), result.output
    assert f"Invalid value for '{flag}': 'ftp://mirror.example.org/' is not an http:// or https:// URL" in result.output
    assert not (tmp_path / "data").exists()


def test_an_unreachable_elasticsearch_is_one_line_naming_the_fix(tmp_path):
    env = {"NEWSBEAM_ES_RETRY_SECONDS": "0"}
    for command in (["search", "ferry"], ["status"]):
        result = CliRunner().invoke(main, [*command, "--es-url", "http://127.0.0.1:9"], env=env)
        assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
        assert result.output.strip().splitlines()[-1].startswith("Error: the index is unavailable: "), result.output
        assert result.output.rstrip().endswith(
            "check that an Elasticsearch node answers at the URL given by --es-url, NEWSBEAM_ES_URL or "
            "elasticsearch.url (`newsbeam config show` says which)"), result.output
    result = CliRunner().invoke(main, ["ingest", str(REFERENCE_EVENT), "--es-url", "http://127.0.0.1:9"], env=env)
    assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
    assert result.output.rstrip().endswith(
        "Once Elasticsearch answers at http://127.0.0.1:9, re-run the same command to finish: articles already "
        "indexed are skipped and writes are idempotent."), result.output


def test_a_server_that_is_not_elasticsearch_is_one_line_naming_the_fix():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        for command in (["search", "ferry"], ["status"], ["ingest", str(REFERENCE_EVENT)]):
            result = CliRunner().invoke(main, [*command, "--es-url", url])
            assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
            # HTTP 404 (NotFoundError) to the reading commands' alias check, 501 to ingest's first request (a POST).
            assert re.match(r"Error: the server refused the request \(HTTP (404, NotFoundError|501, ApiError)\); check that an "
                            "Elasticsearch node answers at the URL given by --es-url",
                            result.output.strip().splitlines()[-1]), result.output
    finally:
        server.shutdown()


def _hide_modules(tmp_path: Path, *names: str) -> dict[str, str]:
    """An environment whose Python cannot import `names`, as if they were not installed (a site hook)."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(f"import sys\nsys.modules.update(dict.fromkeys({list(names)!r}))\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), os.environ.get("PYTHONPATH", "")])}


def test_search_needs_no_serve_extra_and_serve_names_it(indexed, tmp_path):
    # `pip install newsbeam` (no extras) then the demo's "Try your own: newsbeam search …".
    env = _hide_modules(tmp_path, "fastapi", "uvicorn", "starlette", "anyio", "pydantic")
    found = subprocess.run([sys.executable, "-m", "newsbeam", "search", REFERENCE_QUERY, "--data-dir", str(indexed)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert found.returncode == 0, found.stderr
    assert "1 event(s) match" in found.stdout
    served = subprocess.run([sys.executable, "-m", "newsbeam", "serve", "--data-dir", str(indexed)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert served.returncode == 1, served.stderr
    assert served.stderr.strip().splitlines()[-1] == (
        "Error: newsbeam serve needs FastAPI and uvicorn: pip install 'newsbeam[serve]'"), served.stderr


def _events(data_dir: Path, *bounds: str) -> int:
    result = CliRunner().invoke(main, ["search", REFERENCE_QUERY, "--data-dir", str(data_dir), "--json", *bounds],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return len(json.loads(result.output))


def test_search_dates_take_the_forms_the_api_takes(indexed):
    # The newest article was published at 2026-02-11T07:05:00Z.
    assert _events(indexed, "--from", "2026-02-11T07:00:00Z") == 1
    assert _events(indexed, "--from", "2026-02-11T07:10:00Z") == 0
    assert _events(indexed, "--from", "2026-02-11T08:00:00+01:00") == 1
    assert _events(indexed, "--from", "2026-02-11T09:00:00+01:00") == 0
    # A bare date is a whole day: `--to` keeps that day's evening, `--from` starts at its first moment.
    assert _events(indexed, "--to", "2026-02-10") == 1
    assert _events(indexed, "--to", "2026-02-09T23:59:59Z") == 0
    assert _events(indexed, "--from", "2026-02-11", "--to", "2026-02-11") == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_port_in_use_is_one_line_naming_the_options(indexed, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--data-dir", str(indexed), "--port", str(port),
                                           "--workers", workers])
    assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
    assert result.output.strip() == (f"Error: cannot listen on 127.0.0.1:{port} (Address already in use): choose "
                                     "another --port or --host, or stop what listens there")


def test_a_page_past_the_last_says_so_instead_of_no_match(indexed):
    result = CliRunner().invoke(main, ["search", REFERENCE_QUERY, "--data-dir", str(indexed), "--page", "3"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"1 event(s) match {REFERENCE_QUERY!r}, on 1 page(s) of 10: page 3 is past the last."


@pytest.mark.parametrize(("bounds", "message"), [
    (["--from", "10/02/2026"], "Invalid value for --from: must be an ISO-8601 date (2025-06-04) or date-time"),
    (["--from", "2026-02-12", "--to", "2026-02-10"], "Invalid value for --from: must not be later than `to`"),
])
def test_search_refuses_dates_in_the_apis_words(indexed, bounds, message):
    result = CliRunner().invoke(main, ["search", "x", "--data-dir", str(indexed), *bounds])
    assert result.exit_code == 2
    assert message in result.output


def test_run_with_no_broker_answering_is_one_line_naming_the_setting(tmp_path):
    # A port nothing listens on: a consumer there would retry quietly and the run would read nothing.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(main, ["run", "--kafka", f"127.0.0.1:{port}", "--topic", "wire", "--once",
                                       "--data-dir", str(tmp_path / "data")])
    assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
    assert result.output.startswith(f"Error: no Kafka broker answered at 127.0.0.1:{port} within 10 s"), result.output
    assert "check --kafka, NEWSBEAM_KAFKA_BROKERS or the file's kafka.brokers" in result.output
    assert "Polling" not in result.output


def test_run_over_a_broker_that_answers_passes_the_check(kafka_brokers):
    from newsbeam.pipelines.streaming_kafka import KafkaSource, check_brokers

    check_brokers(KafkaSource(kafka_brokers, "wire"), timeout=10)
