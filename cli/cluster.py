"""`newsbeam cluster`: dedup and event clustering of one file, as a pure function."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from newsbeam.cli.options import configuration


@click.command("cluster")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write one JSON line per accepted record.")
@click.option("--dead-letters", type=click.Path(dir_okay=False, path_type=Path),
              help="Where rejected records go [default: OUTPUT with .deadletters.jsonl].")
@click.option("--workers", type=click.IntRange(min=1), default=lambda: len(os.sched_getaffinity(0)),
              show_default="the CPUs this process may use",
              help="Processes that normalize and featurize articles while the main one reads and assigns them "
                   "(inputs of 2,000+ articles).")
def command(input_path: Path, output: Path, dead_letters: Path | None, workers: int) -> None:
    """Deduplicate and cluster INPUT into events, offline, without an index.

    INPUT is a JSON Lines file of article records (or a folder of .txt/.html
    articles). OUTPUT gets, in input order, one line per accepted record:

    \b
      {"id": ..., "event_id": ..., "duplicate_of": null | "<id of the original>"}

    Articles are processed per language in publication order, exactly as the
    ingest pipeline does, with the clustering settings of the configuration
    file ([clustering]); rejected records go to the dead-letter file. The
    answer does not depend on --workers, only the time it takes. Each version
    of a wire item gets its line; the summary counts what stands at the end:
    the newest version of each, and no event of a killed item.
    """
    from newsbeam.config.build import assign_config
    from newsbeam.connectors.files import read_path
    from newsbeam.pipelines.local import assign_locally

    started = time.monotonic()
    run = assign_locally(read_path(input_path), config=assign_config(configuration()), progress=sys.stderr.isatty(),
                         workers=workers)
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8") as handle:
        for article, decision in run.decisions:
            # A withdrawn wire item (a kill) is in no event.
            handle.write(json.dumps({"id": article.id, "event_id": decision.event_id or None,
                                     "duplicate_of": decision.duplicate_of}, ensure_ascii=False) + "\n")
    dead_path = dead_letters or output.with_suffix(".deadletters.jsonl")
    if run.dead_letters:
        with open(dead_path, "w", encoding="utf-8") as handle:
            for letter in run.dead_letters:
                handle.write(json.dumps(letter.to_json(), ensure_ascii=False) + "\n")
    seconds = time.monotonic() - started
    standing = run.standing()
    events = len({d.event_id for d in standing})
    duplicates = sum(1 for d in standing if d.duplicate_of)
    rate = len(run.decisions) / seconds if seconds else 0.0
    click.echo(f"Clustered {len(standing)} articles into {events} events in {seconds:.1f} s ({rate:,.0f} articles/s)")
    if len(standing) != len(run.decisions):
        click.echo(f"  records     {len(run.decisions)} (earlier wire versions replaced, killed items in no event)")
    click.echo(f"  duplicates  {duplicates}")
    click.echo(f"  rejected    {len(run.dead_letters)}" + (f" → {dead_path}" if run.dead_letters else ""))
    click.echo(f"  output      {output}")
