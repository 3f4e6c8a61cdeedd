"""`newsbeam ingest` beside `newsbeam cluster`: the commands users run, timed whole.

    python -m benchmarks.ingest [--headlines 36000] [--articles 10000] [--rounds 2]

Both commands run as subprocesses on the same input, alternating within each
round so that neither gets the quieter minutes of a shared machine; the wall time
includes the interpreter's and Beam's start-up, as a user sees it. `ingest`
writes into a fresh embedded index each time. Two inputs:

- headlines: the titles of a `benchmarks.synthetic` stream, each the whole text
  of its record, the first `--headlines` distinct ones (short records: per-record
  costs — the runner's, the writes' — weigh most);
- full text: the first `--articles` records of a `benchmarks.synthetic` stream
  (a few kB each, with near-duplicate republications).

With `--baseline DIR`, each round also times `ingest` from the `newsbeam` package
in DIR (e.g. `git archive COMMIT | tar -x -C DIR/newsbeam`), put first on
PYTHONPATH: the same command before a change, on the same input and load.

With `--es-url URL`, each round also times `ingest --es-url URL` into fresh
Elasticsearch indexes (a prefix of their own, deleted after the round), e.g. on
the project's node: `python deploy/elasticsearch/node.py start --data-dir DIR`.

Each round checks that the index holds the same decisions as `cluster`'s output:
every article's event (as the index resolves merged events' aliases) and
original. Results go to benchmarks/results/ingest.md and ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from benchmarks.machine import describe
from benchmarks.synthetic import StreamConfig, SyntheticStream

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NEWSBEAM = [sys.executable, "-m", "newsbeam"]

#: (article id) → (event id, id of the original or None)
Decisions = dict[str, tuple[str, str | None]]


def write_headlines(path: Path, count: int) -> int:
    """The first `count` distinct titles of a synthetic stream, each as a record's whole text."""
    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        for record, _truth in SyntheticStream(StreamConfig(articles=4 * count)):
            if record["title"] in seen:
                continue
            seen.add(record["title"])
            out.write(json.dumps({**record, "text": record["title"]}) + "\n")
            if len(seen) == count:
                break
    return len(seen)


def write_articles(path: Path, count: int) -> int:
    """The first `count` records of a synthetic full-text stream."""
    with path.open("w", encoding="utf-8") as out:
        for record, _truth in islice(SyntheticStream(StreamConfig(articles=count)), count):
            out.write(json.dumps(record) + "\n")
    return count


@dataclass(slots=True)
class Run:
    command: str
    seconds: float
    #: CPU time (user + system) of the command and the processes it started.
    cpu_seconds: float
    articles: int
    load_before: float
    load_after: float

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds


def _timed(args: list[str], pythonpath: Path | None = None,
           extra_env: dict[str, str] | None = None) -> tuple[float, float, float, float]:
    """Run `args` (with `pythonpath` first on the path): wall and CPU seconds, 1-minute load average before, after."""
    env = {**os.environ, **(extra_env or {})}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))
    load_before = os.getloadavg()[0]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    spent = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = spent.ru_utime + spent.ru_stime - cpu.ru_utime - cpu.ru_stime
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, cpu_seconds, load_before, os.getloadavg()[0]


def run_cluster(source: Path, output: Path) -> tuple[Run, Decisions]:
    seconds, cpu, before, after = _timed([*NEWSBEAM, "cluster", str(source), "-o", str(output)])
    decisions = {}
    with output.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            decisions[row["id"]] = (row["event_id"], row["duplicate_of"])
    return Run("cluster", seconds, cpu, len(decisions), before, after), decisions


def run_ingest(source: Path, data_dir: Path, baseline: Path | None = None) -> tuple[Run, Decisions]:
    shutil.rmtree(data_dir, ignore_errors=True)
    seconds, cpu, before, after = _timed([*NEWSBEAM, "ingest", str(source), "--data-dir", str(data_dir)], baseline)
    decisions = indexed_decisions(data_dir / "index.sqlite3")
    return Run("ingest (baseline)" if baseline else "ingest", seconds, cpu, len(decisions), before, after), decisions


def run_ingest_es(source: Path, data_dir: Path, es_url: str) -> tuple[Run, Decisions]:
    """`ingest --es-url` into indexes of a fresh prefix; their decisions; the indexes deleted."""
    from elasticsearch import Elasticsearch, helpers

    shutil.rmtree(data_dir, ignore_errors=True)
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    seconds, cpu, before, after = _timed(
        [*NEWSBEAM, "ingest", str(source), "--es-url", es_url, "--data-dir", str(data_dir)],
        extra_env={"NEWSBEAM_ES_INDEX_PREFIX": prefix})
    client = Elasticsearch(es_url, request_timeout=120)
    try:
        client.indices.refresh(index=f"{prefix}-*")
        survivors = {alias: hit["_id"] for hit in helpers.scan(client, index=f"{prefix}-events", _source=["aliases"])
                     for alias in hit["_source"].get("aliases") or []}
        decisions = {hit["_id"]: (survivors.get(hit["_source"]["event_id"], hit["_source"]["event_id"]),
                                  hit["_source"].get("duplicate_of"))
                     for hit in helpers.scan(client, index=f"{prefix}-articles", _source=["event_id", "duplicate_of"])}
        client.indices.delete(index=f"{prefix}-*", expand_wildcards="all")
    finally:
        client.close()
    return Run("ingest (elasticsearch)", seconds, cpu, len(decisions), before, after), decisions


def indexed_decisions(path: Path) -> Decisions:
    """Each indexed article's event, under the id its merges left, and its original."""
    with sqlite3.connect(path) as db:
        aliases = dict(db.execute("SELECT alias, event_id FROM event_aliases"))
        rows = db.execute("SELECT id, event_id, duplicate_of FROM articles").fetchall()

    def survivor(event_id: str) -> str:
        while event_id in aliases:
            event_id = aliases[event_id]
        return event_id

    return {article_id: (survivor(event_id), original) for article_id, event_id, original in rows}


def same_decisions(ingested: Decisions, clustered: Decisions) -> tuple[bool, str]:
    """Whether both hold the same articles, events (as partitions) and originals; what differs."""
    if ingested.keys() != clustered.keys():
        return False, f"{len(ingested.keys() ^ clustered.keys())} articles in one output only"
    originals = sum(ingested[i][1] != clustered[i][1] for i in ingested)

    def partition(decisions: Decisions) -> set[frozenset[str]]:
        events: dict[str, set[str]] = {}
        for article_id, (event_id, _original) in decisions.items():
            events.setdefault(event_id, set()).add(article_id)
        return {frozenset(members) for members in events.values()}

    mine, theirs = partition(ingested), partition(clustered)
    if originals or mine != theirs:
        return False, f"{originals} originals differ; {len(mine ^ theirs)} events in one partition only"
    return True, f"same {len(mine)} events, same originals"


def measure(name: str, source: Path, rounds: int, baseline: Path | None = None, es_url: str | None = None) -> dict:
    runs: list[Run] = []
    checks: list[str] = []
    commands = ("cluster", "ingest", *(["ingest (baseline)"] if baseline else []),
                *(["ingest (elasticsearch)"] if es_url else []))
    for round_ in range(rounds):
        # Alternate which command goes first, so none always meets the same load.
        order = commands if round_ % 2 == 0 else commands[::-1]
        results = {}
        for command in order:
            if command == "cluster":
                results[command] = run_cluster(source, source.with_suffix(".cluster.jsonl"))
            elif command == "ingest (elasticsearch)":
                results[command] = run_ingest_es(source, source.with_suffix(".es"), es_url)
            else:
                results[command] = run_ingest(source, source.with_suffix(".index"),
                                              baseline if command != "ingest" else None)
            run = results[command][0]
            runs.append(run)
            print(f"  {name} round {round_ + 1} {command}: {run.articles} in {run.seconds:.1f} s, "
                  f"CPU {run.cpu_seconds:.1f} s "
                  f"({run.per_second:,.0f}/s, load {run.load_before:.1f}→{run.load_after:.1f})", flush=True)
        for ingest in commands[1:]:
            same, detail = same_decisions(results[ingest][1], results["cluster"][1])
            if not same:
                raise SystemExit(f"{name}: {ingest} and cluster disagree: {detail}")
            checks.append(detail)
    medians = {command: statistics.median(r.per_second for r in runs if r.command == command)
               for command in commands}
    return {
        "input": name,
        "articles": runs[0].articles,
        "ingest_per_s": round(medians["ingest"]),
        "cluster_per_s": round(medians["cluster"]),
        "ratio": round(medians["ingest"] / medians["cluster"], 3),
        **({"baseline_ingest_per_s": round(medians["ingest (baseline)"]),
            "baseline_ratio": round(medians["ingest (baseline)"] / medians["cluster"], 3)} if baseline else {}),
        **({"es_ingest_per_s": round(medians["ingest (elasticsearch)"]),
            "es_ratio": round(medians["ingest (elasticsearch)"] / medians["cluster"], 3)} if es_url else {}),
        "runs": [{**asdict(r), "per_second": round(r.per_second)} for r in runs],
        "check": checks[-1],
    }


def report(results: list[dict], argv: list[str], started: datetime, machine: str, uptime: str,
           baseline_label: str | None = None) -> str:
    lines = [
        "# `newsbeam ingest` beside `newsbeam cluster`",
        "",
        f"Run `python -m benchmarks.ingest {' '.join(argv)}` on {started:%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine}. Load at the start (`uptime`): {uptime}.",
        "The machine is shared: the load average (1 min) is given before → after each run.",
        "",
        "Inputs: *headlines*, the first distinct titles of a `benchmarks.synthetic` stream (seed 7), each",
        "the whole text of its record; *full text*, the first records of that stream (a few kB each, with",
        "republished near-duplicates).",
        *([f"Baseline: `ingest` from {baseline_label}, in the same rounds."] if baseline_label else []),
        "",
        "| input | articles | `ingest` (embedded index) | `cluster` | ingest / cluster |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(f"| {r['input']} | {r['articles']:,} | {r['ingest_per_s']:,}/s | {r['cluster_per_s']:,}/s "
                     f"| {r['ratio']:.2f} |")
        if "baseline_ratio" in r:
            lines.append(f"| {r['input']}, baseline `ingest` | {r['articles']:,} | {r['baseline_ingest_per_s']:,}/s "
                         f"| {r['cluster_per_s']:,}/s | {r['baseline_ratio']:.2f} |")
        if "es_ratio" in r:
            lines.append(f"| {r['input']}, `ingest --es-url` (Elasticsearch) | {r['articles']:,} "
                         f"| {r['es_ingest_per_s']:,}/s | {r['cluster_per_s']:,}/s | {r['es_ratio']:.2f} |")
    lines += [
        "",
        "Medians over the rounds, in articles per second of wall time of the whole command",
        "(interpreter and Beam start-up included): `newsbeam ingest FILE --data-dir NEW_DIR` and",
        "`newsbeam cluster FILE -o OUT` (and, with `--es-url`, `newsbeam ingest FILE --es-url URL` into",
        "indexes of a fresh prefix), alternating. Decisions checked equal in every round:",
        "each article's event (the index's, through the aliases of merged events) and original.",
        "",
        "| input | command | wall s | CPU s | articles/s | load before → after |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        for run in r["runs"]:
            lines.append(f"| {r['input']} | {run['command']} | {run['seconds']:.1f} | {run['cpu_seconds']:.1f} "
                         f"| {run['per_second']:,} "
                         f"| {run['load_before']:.1f} → {run['load_after']:.1f} |")
    lines += ["", *(f"- {r['input']}: {r['check']}." for r in results), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--headlines", type=int, default=36_000, help="distinct headline records (0: none)")
    parser.add_argument("--articles", type=int, default=10_000, help="full-text records (0: none)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="also time ingest from the newsbeam package in this folder")
    parser.add_argument("--baseline-label", help="what the baseline is, for the report (e.g. a commit)")
    parser.add_argument("--es-url", help="also time ingest into this Elasticsearch cluster (fresh indexes)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ingest.md")
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    started = datetime.now(timezone.utc)
    machine = describe()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"{machine}; {uptime}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="newsbeam-ingest-bench-") as tmp:
        work = Path(tmp)
        inputs = []
        if args.headlines:
            inputs.append(("headlines", write_headlines(work / "headlines.jsonl", args.headlines)))
        if args.articles:
            inputs.append(("full text", write_articles(work / "full-text.jsonl", args.articles)))
        for name, _count in inputs:
            results.append(measure(name, work / f"{name.replace(' ', '-')}.jsonl", args.rounds, args.baseline,
                                   args.es_url))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    label = args.baseline_label or (str(args.baseline) if args.baseline else None)
    args.out.write_text(report(results, argv, started, machine, uptime, label), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(
        {"command": f"python -m benchmarks.ingest {' '.join(argv)}", "date": f"{started:%Y-%m-%dT%H:%MZ}",
         "machine": machine, "uptime": uptime, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
