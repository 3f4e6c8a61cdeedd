"""A crash at each commit step of `newsbeam ingest`, then the re-run: the scenario both
backends are held to (tests/test_faults.py on the embedded index,
tests/elasticsearch/test_commit_order.py on the real node).

Two inputs are ingested one after the other, the second continuing events of the
first. The first ingest of the interrupted history crashes at a commit step and is
run again; the index must then hold what the uninterrupted history leaves: every
article once, no event repeating an article, the same events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from newsbeam.cli.main import main
from newsbeam.connectors.sinks import IndexBackend
from newsbeam.pipelines import faults

FULLTEXT = Path(__file__).parent / "quality" / "fixtures" / "fulltext_events.jsonl"
#: Where the first input ends: mid-story, so the second input's articles join its events.
SPLIT = 12

#: `newsbeam ARGS… --data-dir/--es-url …` against one index; returns the click result.
Cli = Callable[..., Result]
#: An open backend on the index the matching `Cli` writes.
Reader = Callable[[], IndexBackend]


def inputs(folder: Path) -> tuple[Path, Path, list[str]]:
    """The two inputs, written to `folder`, and every article id in them."""
    rows = sorted((json.loads(line) for line in FULLTEXT.read_text(encoding="utf-8").splitlines() if line.strip()),
                  key=lambda row: (row["published"], row["id"]))
    folder.mkdir(parents=True, exist_ok=True)
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    first.write_text("".join(json.dumps(row) + "\n" for row in rows[:SPLIT]), encoding="utf-8")
    second.write_text("".join(json.dumps(row) + "\n" for row in rows[SPLIT:]), encoding="utf-8")
    return first, second, [row["id"] for row in rows]


def run_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)


def ingest_history(cli: Cli, first: Path, second: Path, crash_at: str | None) -> None:
    """Ingest `first` (crashing at `crash_at`, then again), then `second`."""
    if crash_at is not None:
        crashed = cli("ingest", str(first), env={faults.ENVIRONMENT: crash_at})
        assert crashed.exit_code != 0, f"the run did not crash at {crash_at}:\n{crashed.output}"
        assert "injected crash" in _chain_text(crashed.exception), crashed.exception
    for source in (first, second):
        done = cli("ingest", str(source))
        assert done.exit_code == 0, done.output + _chain_text(done.exception)


def index_view(open_reader: Reader, article_ids: list[str]) -> dict[str, tuple[str, str | None, tuple[str, ...]]]:
    """article id → (its event, what it copies, the event's members), as the index answers.

    Asserts on the way that every article is indexed and no event lists one twice.
    """
    backend = open_reader()
    try:
        assert backend.counts()["articles"] == len(article_ids)
        view = {}
        for article_id in article_ids:
            doc = backend.get_article(article_id)
            assert doc is not None, f"{article_id} was lost"
            event = backend.get_event(doc["event_id"])
            assert event is not None and article_id in event.article_ids
            assert len(event.article_ids) == len(set(event.article_ids)), f"{event.event_id} repeats an article"
            view[article_id] = (event.event_id, doc["duplicate_of"], tuple(sorted(event.article_ids)))
        return view
    finally:
        backend.close()


def _chain_text(error: BaseException | None) -> str:
    texts = []
    while error is not None:
        texts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(texts)
