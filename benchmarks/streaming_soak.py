"""Soak: `newsbeam run` on Prism over a primed hot state, fed by local news sites.

For each size, a fresh embedded index gets the clustering state of that many
synthetic articles published over the last six days (all inside the seven-day
hot window, so the whole state is hot), saved as the pipeline saves it. Then the
real command runs against it:

    NEWSBEAM_ALLOW_LOOPBACK=1 newsbeam -vv run --feeds FEEDS --data-dir DIR --run-for SECONDS

at the default poll interval (60 s) unless `--poll` says otherwise, while
`--sites` local news sites (one host each, so the one-request-a-second politeness
applies per site, as with real outlets) publish an article every `--interval`
seconds between them. Reported per size:

- latency from the first time a feed served an item to the moment the index
  answers for it (p50/p95/max): the pipeline's own latency. The wait for the
  next poll (up to the poll interval) comes on top for a reader, and is not in
  this figure;
- the job's own counters: commits (one a bundle), milliseconds spent saving the
  clustering state and writing the index, per commit;
- the state as saved (bytes in the index's state table) and the priming time;
- whether every published item was indexed exactly once.

    python -m benchmarks.streaming_soak --sizes 10000 100000 200000 --out benchmarks/results

What it leaves out: Elasticsearch (the embedded index only), Flink, and feeds
of real outlets (the sites are local, their pages small).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "streaming"))

from feedserver import NewsSite  # noqa: E402
from indexwatch import IndexWatcher, article_id, percentile  # noqa: E402

from benchmarks.machine import describe  # noqa: E402
from benchmarks.synthetic import StreamConfig, SyntheticStream  # noqa: E402
from newsbeam.connectors.sinks import BackendSettings, open_backend  # noqa: E402
from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner, assignment_key  # noqa: E402
from newsbeam.pipelines.core import commit  # noqa: E402
from newsbeam.pipelines.features import featurize  # noqa: E402
from newsbeam.pipelines.normalize import normalize_record  # noqa: E402

_ENDED = re.compile(r"newsbeam stream ended \([^)]*\): (\{.*\})")


class ServedSite(NewsSite):
    """A news site that notes when its feed first served each item."""

    def __init__(self, *args, **kwargs) -> None:
        self.first_served: dict[int, float] = {}
        super().__init__(*args, **kwargs)

    def feed_xml(self) -> str:
        body = super().feed_xml()
        now = time.time()
        for item in list(self.items):
            self.first_served.setdefault(item.number, now)
        return body


def feed_key(config: AssignConfig) -> str:
    """The assignment key the sites' articles get (their language), to prime that state."""
    site = ServedSite(total=1)
    try:
        site.publish_now(1)
        item = site.items[0]
        record = {"id": "probe", "url": site.link(item), "title": item.title, "text": item.body,
                  "published": datetime.now(timezone.utc).isoformat()}
        return assignment_key(normalize_record(record), config)
    finally:
        site.close()


def prime(data_dir: Path, size: int, key: str, config: AssignConfig) -> dict:
    """Save the state of `size` synthetic articles of the last six days under `key`."""
    started = time.monotonic()
    days = 6.0
    stream = SyntheticStream(StreamConfig(articles=size, seed=11, articles_per_day=size / days,
                                          start=datetime.now(timezone.utc) - timedelta(days=days + 0.1)))
    assigner = OnlineAssigner(config)
    for record, _label in stream:
        article = normalize_record(record)
        assigner.process(article, featurize(article, config.features))
    assigner.drain_events()
    backend = open_backend(BackendSettings(data_dir=data_dir))
    try:
        commit(backend, [], [], {key: assigner})
        state_bytes = backend._db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM state_parts").fetchone()[0]
    finally:
        backend.close()
    return {"primed_articles": size, "hot_events": len(assigner.clusterer.events), "state_bytes": state_bytes,
            "prime_seconds": round(time.monotonic() - started, 1)}


def primed(data_dir: Path, size: int, key: str, config: AssignConfig, kept: Path | None) -> dict:
    """`prime`, or a copy of the index a previous run primed for `size` (minutes at 200k)."""
    if kept is None:
        return prime(data_dir, size, key, config)
    folder = kept / f"primed-{size}"
    if not (folder / "primed.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        facts = prime(folder, size, key, config)
        (folder / "primed.json").write_text(json.dumps(facts), encoding="utf-8")
    shutil.copytree(folder, data_dir, dirs_exist_ok=True)
    return json.loads((folder / "primed.json").read_text(encoding="utf-8"))


def soak(data_dir: Path, sites: int, interval: float, duration: float, poll: float | None,
         keep_log: Path | None = None) -> dict:
    """Run `newsbeam run` for `duration` seconds while the sites publish; measure."""
    per_site = max(1, int(duration / interval / sites))
    servers = [ServedSite(total=per_site, interval=interval * sites, seed=100 + n, start_number=1000 * n)
               for n in range(sites)]
    feeds = data_dir / "feeds.txt"
    feeds.write_text("".join(f"{site.feed_url}\n" for site in servers), encoding="utf-8")
    settings = BackendSettings(data_dir=data_dir)
    watchers = [IndexWatcher(site, settings).start() for site in servers]
    command = [sys.executable, "-m", "newsbeam", "-vv", "run", "--feeds", str(feeds), "--data-dir",
               str(data_dir), "--run-for", str(duration + 30)]
    if poll is not None:
        command += ["--poll-interval", str(poll)]
    log = data_dir / "run.log"
    try:
        with log.open("w") as out:
            job = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "NEWSBEAM_ALLOW_LOOPBACK": "1"})
            for site in servers:
                site.publish_all()
            job.wait(timeout=duration + 600)
        time.sleep(2)
    finally:
        for watcher in watchers:
            watcher.stop()
        for site in servers:
            site.close()
    text = log.read_text(errors="replace")
    if keep_log is not None:
        keep_log.parent.mkdir(parents=True, exist_ok=True)
        keep_log.write_text(text, encoding="utf-8")
    ended = _ENDED.search(text)
    if job.returncode != 0 or ended is None:
        kept = Path(tempfile.gettempdir()) / f"newsbeam-soak-failed-{int(time.time())}.log"
        kept.write_text(text, encoding="utf-8")
        raise RuntimeError(f"newsbeam run failed ({job.returncode}), its log kept in {kept}:\n{text[-3000:]}")
    counters = ast.literal_eval(ended.group(1))
    latencies = sorted(site_watch.searchable_at[n] - site.first_served[n]
                       for site, site_watch in zip(servers, watchers)
                       for n in site_watch.searchable_at if n in site.first_served)
    published = [article_id(site, item) for site in servers for item in site.items]
    backend = open_backend(settings)
    try:
        indexed = backend.known_article_ids(published)
        state_bytes = backend._db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM state_parts").fetchone()[0]
    finally:
        backend.close()
    commits = counters.get("commits", 0) or 1
    return {
        "published": len(published),
        "indexed": len(indexed),
        "articles_indexed_counter": counters.get("articles_indexed", 0),
        "latency_p50_s": round(percentile(latencies, 0.5), 2) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "latency_max_s": round(latencies[-1], 2) if latencies else None,
        "commits": counters.get("commits", 0),
        "state_save_ms_per_commit": round(counters.get("state_save_ms", 0) / commits, 1),
        "index_write_ms_per_commit": round(counters.get("index_write_ms", 0) / commits, 1),
        "state_bytes_after": state_bytes,
    }


def write_report(results: list[dict], out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "streaming_soak.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    rows = [
        "| primed articles | hot events | state saved (MB) | items published / indexed | latency p50 / p95 / max (s) "
        "| commits | state save ms per commit | index write ms per commit |",
        "|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    for r in results:
        rows.append(
            f"| {r['primed_articles']:,} | {r['hot_events']:,} | {r['state_bytes'] / 1e6:.1f} | "
            f"{r['published']} / {r['indexed']} | {r['latency_p50_s']} / {r['latency_p95_s']} / {r['latency_max_s']} | "
            f"{r['commits']} | {r['state_save_ms_per_commit']} | {r['index_write_ms_per_commit']} |"
        )
    report = [
        "# Streaming soak: `newsbeam run` over a primed hot state",
        "",
        f"Command: `{command}` ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {describe()}; "
        f"load average before: {results[0]['load_before'] if results else '?'}).",
        "",
        "Latency: from the first time a feed served an item to the moment the index answers for it; the wait "
        "for the next poll comes on top for a reader. State save and index write: the job's own counters "
        "(`state_save_ms`, `index_write_ms`) divided by its commits (one a bundle).",
        "",
        *rows,
        "",
    ]
    (out / "streaming_soak.md").write_text("\n".join(report), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 200_000])
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between two published items, all sites")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of publishing per size")
    parser.add_argument("--poll", type=float, help="poll interval (default: newsbeam run's own)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--primed", type=Path, help="keep each size's primed index here and start from it next time")
    parser.add_argument("--logs", type=Path, help="keep each run's debug log here (per-poll and per-bundle timings)")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.streaming_soak " + " ".join(argv if argv is not None else sys.argv[1:])
    config = AssignConfig()
    key = feed_key(config)
    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="newsbeam-soak-") as folder:
            data_dir = Path(folder)
            result = {"load_before": round(os.getloadavg()[0], 2), **primed(data_dir, size, key, config, args.primed)}
            keep_log = args.logs / f"soak-{size}.log" if args.logs else None
            result.update(soak(data_dir, args.sites, args.interval, args.duration, args.poll, keep_log))
            results.append(result)
            print(json.dumps(result), flush=True)
    write_report(results, args.out, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
