"""Cost of saving the assigner's state after a bundle, as the state grows (10k → 200k articles).

One synthetic stream (see `benchmarks/synthetic.py`, cached by `benchmarks/scale.py`)
runs through the online assigner, which saves its changes into the embedded index
after every 100 articles, as the streaming pipeline does after each bundle. When
the stream reaches each size, bundles of 10 and of 100 further articles are
processed and saved one at a time and timed: encoding the changes
(`state_changes`), writing them (`save_state`) and the bytes written. Then the
whole state is loaded back and decoded (`load_state` + `OnlineAssigner.restore`).
With `--es-url`, every save also goes to Elasticsearch and its loads are timed too.

    python -m benchmarks.state_save --sizes 10000 100000 200000 --out benchmarks/results

The figures are medians over `--repeats` bundles; the stream's generation and the
parallel normalize + featurize are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path

from benchmarks import machine
from benchmarks.scale import _prepared, stream_file

KEY = "assign:bench"
PRIMING_BUNDLE = 100
SETTLE_SECONDS = 10.0


class _Stores:
    """The backends every save goes to, with what each save and load cost."""

    def __init__(self, data_dir: Path, es_url: str | None) -> None:
        from newsbeam.connectors.sinks.sqlite import SqliteBackend

        self.backends = {"sqlite": SqliteBackend(data_dir)}
        if es_url:
            from newsbeam.connectors.sinks.elasticsearch import ElasticsearchBackend

            from elasticsearch import Elasticsearch

            self.backends["elasticsearch"] = ElasticsearchBackend(
                Elasticsearch(es_url, request_timeout=120), prefix=f"bench-state-{os.getpid()}")

    def save(self, changes) -> dict[str, tuple[float, float]]:
        """Milliseconds each backend took to save `changes`: wall clock, and this process's CPU."""
        spent = {}
        for name, backend in self.backends.items():
            started, cpu = time.perf_counter(), time.process_time()
            backend.save_state(KEY, changes)
            spent[name] = ((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000)
        return spent

    def close(self) -> None:
        for name, backend in self.backends.items():
            if name == "elasticsearch":
                prefix = backend.names.prefix
                backend.client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
                for kind in ("articles", "events", "state"):
                    backend.client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{kind}")
                backend.client.close()
            else:
                backend.close()


def _measure_bundles(assigner, articles, stores: _Stores, size: int, repeats: int) -> dict:
    encode_ms, encode_cpu_ms, bytes_written, parts_written = [], [], [], []
    save_ms: dict[str, list[float]] = {name: [] for name in stores.backends}
    save_cpu_ms: dict[str, list[float]] = {name: [] for name in stores.backends}
    for _ in range(repeats):
        for _ in range(size):
            article, features = next(articles)
            assigner.process(article, features)
        assigner.drain_events()
        started, cpu = time.perf_counter(), time.process_time()
        changes = assigner.state_changes()
        encode_ms.append((time.perf_counter() - started) * 1000)
        encode_cpu_ms.append((time.process_time() - cpu) * 1000)
        bytes_written.append(sum(map(len, changes.upserts.values())))
        parts_written.append(len(changes.upserts) + len(changes.deletes))
        for name, (wall, cpu) in stores.save(changes).items():
            save_ms[name].append(wall)
            save_cpu_ms[name].append(cpu)
    return {
        "bundle": size,
        "encode_ms": round(statistics.median(encode_ms), 2),
        "encode_cpu_ms": round(statistics.median(encode_cpu_ms), 2),
        "bytes": int(statistics.median(bytes_written)),
        "parts": int(statistics.median(parts_written)),
        **{f"save_ms_{name}": round(statistics.median(values), 2) for name, values in save_ms.items()},
        **{f"save_cpu_ms_{name}": round(statistics.median(values), 2) for name, values in save_cpu_ms.items()},
    }


def _measure_load(stores: _Stores, config) -> dict:
    from newsbeam.pipelines.assign import OnlineAssigner

    result = {}
    for name, backend in stores.backends.items():
        started = time.perf_counter()
        parts = backend.load_state(KEY)
        loaded = time.perf_counter()
        OnlineAssigner.restore(parts, config)
        result[f"load_ms_{name}"] = round((loaded - started) * 1000, 1)
        result[f"restore_ms_{name}"] = round((time.perf_counter() - loaded) * 1000, 1)
        result["stored_parts"], result["stored_bytes"] = len(parts), sum(map(len, parts.values()))
    return result


def _articles(path: Path, count: int, workers: int, pool):
    import pickle  # the scale benchmark's transfer of in-flight articles between its processes

    for blob, *_ in _prepared(path, count, workers, pool):
        for article, features, _, _ in pickle.loads(blob):
            yield article, features


def run(sizes: list[int], bundles: list[int], repeats: int, seed: int, es_url: str | None, workers: int) -> list[dict]:
    from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner
    from newsbeam.pipelines.local import rare_collections

    config = AssignConfig()
    extra = repeats * sum(bundles)
    total = max(sizes) + extra * len(sizes)
    path = stream_file(total, seed)
    assigner = OnlineAssigner(config)
    rows = []
    with tempfile.TemporaryDirectory() as data_dir, rare_collections(), get_context("fork").Pool(workers) as pool:
        stores = _Stores(Path(data_dir), es_url)
        articles = _articles(path, total, workers, pool)
        done = 0
        try:
            for size in sorted(sizes):
                while done < size:
                    for _ in range(min(PRIMING_BUNDLE, size - done)):
                        assigner.process(*next(articles))
                        done += 1
                    assigner.drain_events()
                    stores.save(assigner.state_changes())
                row = {"articles": size, "hot_events": len(assigner.clusterer.events),
                       "dedup_keys": len(assigner.exact), "originals": len(assigner.near),
                       "terms": len(assigner.clusterer.terms()), "bundles": []}
                # The measured articles are featurized before the clock runs, and the
                # workers' read-ahead is given time to finish: the timings are the save's alone.
                measured = iter([next(articles) for _ in range(repeats * sum(bundles))])
                time.sleep(SETTLE_SECONDS)
                for bundle in bundles:
                    row["bundles"].append(_measure_bundles(assigner, measured, stores, bundle, repeats))
                    done += bundle * repeats
                row.update(_measure_load(stores, config))
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
        finally:
            stores.close()
    return rows


def _markdown(rows: list[dict], command: str, when: str, backends: list[str]) -> str:
    lines = [
        "# Saving the assigner's state per bundle",
        "",
        f"`{command}` on {when}, {machine.describe()}.",
        "",
        "Each save writes what changed since the previous one (see docs/architecture.md, "
        "\"State between runs\"). Medians over the bundles; the embedded index is SQLite in WAL mode.",
        "",
        "| articles | hot events | bundle | encode ms (CPU) | bytes written | parts written | "
        + " | ".join(f"save ms ({b})" for b in backends) + " | save CPU ms (sqlite) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in backends) + " | ---: |",
    ]
    for row in rows:
        for bundle in row["bundles"]:
            saves = " | ".join(f"{bundle[f'save_ms_{b}']:.1f}" for b in backends)
            lines.append(f"| {row['articles']:,} | {row['hot_events']:,} | {bundle['bundle']} | {bundle['encode_ms']:.1f} "
                         f"({bundle['encode_cpu_ms']:.1f}) | {bundle['bytes']:,} | {bundle['parts']} | {saves} "
                         f"| {bundle['save_cpu_ms_sqlite']:.1f} |")
    lines += [
        "",
        "Loading the whole state back (`load_state`) and decoding it into an assigner (`restore`):",
        "",
        "| articles | stored parts | stored bytes | " + " | ".join(f"load ms ({b}) | restore ms ({b})" for b in backends) + " |",
        "| ---: | ---: | ---: | " + " | ".join("---: | ---:" for _ in backends) + " |",
    ]
    for row in rows:
        loads = " | ".join(f"{row[f'load_ms_{b}']:,.0f} | {row[f'restore_ms_{b}']:,.0f}" for b in backends)
        lines.append(f"| {row['articles']:,} | {row['stored_parts']} | {row['stored_bytes']:,} | {loads} |")
    smallest, largest = rows[0], rows[-1]
    lines += ["", "Save cost per bundle at the largest size over the smallest:", ""]
    for small, large in zip(smallest["bundles"], largest["bundles"]):
        def ratio(field: str) -> str:
            return f"{large[field] / small[field]:.2f}×"

        walls = ", ".join(f"{b} {ratio(f'save_ms_{b}')}" for b in backends)
        lines.append(f"- bundle of {small['bundle']}: bytes {ratio('bytes')}; save wall clock {walls}; "
                     f"encode + sqlite save CPU {(large['encode_cpu_ms'] + large['save_cpu_ms_sqlite']) / (small['encode_cpu_ms'] + small['save_cpu_ms_sqlite']):.2f}×")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 200_000])
    parser.add_argument("--bundles", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--repeats", type=int, default=9, help="bundles timed per size and bundle size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2, help="processes normalizing and featurizing")
    parser.add_argument("--es-url", help="also save into (and load from) this Elasticsearch node")
    parser.add_argument("--out", type=Path, help="write state_save.md and state_save.json here")
    args = parser.parse_args(argv)
    command = "python -m benchmarks.state_save " + shlex.join(argv if argv is not None else sys.argv[1:])
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = run(args.sizes, args.bundles, args.repeats, args.seed, args.es_url, args.workers)
    backends = ["sqlite"] + (["elasticsearch"] if args.es_url else [])
    report = _markdown(rows, command, when, backends)
    print(report)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "state_save.md").write_text(report, encoding="utf-8")
        document = {"command": command, "date": when, "machine": machine.describe(), "results": rows}
        (args.out / "state_save.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
