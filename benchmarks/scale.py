"""Cost of dedup + clustering per article as the corpus grows (10k → 1M articles).

For each size N the first N articles of one synthetic full-text stream (see
`benchmarks/synthetic.py`) run through normalize + featurize in worker
processes and the sequential online assignment (exact dedup, near dedup, event
clustering) in the main process: the stages `newsbeam cluster` runs, in the
same order, with the parallel ones on both cores. Each size runs in a fresh process so its peak memory is its own. The report
(`scale.json`, `scale.md`) and the plot of cost per article against corpus size
(`scale.png`) go to `--out`:

    python -m benchmarks.scale --sizes 10000 100000 1000000 --out benchmarks/results

`--instructions N` adds instructions per article of each stage, counted under
valgrind's callgrind at a full hot window: times on a shared machine drift,
instruction counts do not, so they are what compares two versions of the code.

The stream is generated once and cached under ~/.cache/newsbeam/bench/; its
generation is not timed. Shorter runs read a prefix of the same stream.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from benchmarks import callgrind, machine
from newsbeam.pipelines import runner_cache

CACHE = runner_cache.cache_dir() / "bench"
CHUNK = 500


def stream_file(articles: int, seed: int) -> Path:
    """A cached synthetic stream with at least `articles` records (made on first use)."""
    from benchmarks.synthetic import StreamConfig, SyntheticStream

    CACHE.mkdir(parents=True, exist_ok=True)
    for existing in sorted(CACHE.glob(f"synthetic-*-{seed}.jsonl")):
        if int(existing.name.split("-")[1]) >= articles:
            return existing
    path = CACHE / f"synthetic-{articles}-{seed}.jsonl"
    partial = path.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as out:
        for record, truth in SyntheticStream(StreamConfig(articles=articles, seed=seed)):
            out.write(json.dumps({**record, "event": truth["event"], "duplicate_of": truth["duplicate_of"]}) + "\n")
    partial.rename(path)
    return path


def _prepare(lines: list[str]) -> tuple[bytes, float, float, float]:
    """Worker side: parse + normalize and featurize a chunk (the parallel stages).

    Returns the prepared articles with their truth, pickled here rather than by
    the pool so the cost of moving them to the assigning process is measured;
    and this worker's CPU seconds in each stage, so the report can split the cost.
    """
    from newsbeam.pipelines.assign import AssignConfig
    from newsbeam.pipelines.features import featurize
    from newsbeam.pipelines.normalize import normalize_record

    config = AssignConfig().features
    clock = time.thread_time
    out = []
    normalize_seconds = featurize_seconds = 0.0
    for line in lines:
        started = clock()
        record, event, original = _parse(line)
        article = normalize_record(record)
        normalized = clock()
        features = featurize(article, config)
        normalize_seconds += normalized - started
        featurize_seconds += clock() - normalized
        out.append((article, features, event, original))
    started = clock()
    blob = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    return blob, normalize_seconds, featurize_seconds, clock() - started


def _parse(line: str) -> tuple[dict, str, str | None]:
    """An input record of the stream, with its truth (event, original) taken out."""
    record = json.loads(line)
    return record, record.pop("event"), record.pop("duplicate_of")


def _current_rss_mb() -> float:
    """Resident memory now (not the peak), to show where it levels off."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _chunks(path: Path, articles: int) -> Iterator[list[str]]:
    from newsbeam.pipelines.local import chunked

    with path.open(encoding="utf-8") as handle:
        yield from chunked(islice(handle, articles), CHUNK)


def bcubed_from_labels(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """B-cubed P/R/F1 from integer label arrays, in O(N log N) and O(N) memory."""
    pairs, joint = np.unique(np.stack([predicted, gold]), axis=1, return_counts=True)
    pred_size = dict(zip(*(a.tolist() for a in np.unique(predicted, return_counts=True))))
    gold_size = dict(zip(*(a.tolist() for a in np.unique(gold, return_counts=True))))
    p = sum(n * n / pred_size[a] for (a, b), n in zip(pairs.T.tolist(), joint.tolist()))
    r = sum(n * n / gold_size[b] for (a, b), n in zip(pairs.T.tolist(), joint.tolist()))
    p, r = p / len(gold), r / len(gold)
    return p, r, 2 * p * r / (p + r)


class _Tally:
    """What the main process learns while it assigns: labels for B-cubed, dedup
    counts, and where the time went.

    The label arrays and id maps grow with the corpus (one int per article, one
    entry per event): they are the benchmark's scoring, not pipeline state.
    """

    def __init__(self, articles: int) -> None:
        self.predicted = np.zeros(articles, dtype=np.int64)
        self.gold = np.zeros(articles, dtype=np.int64)
        self.event_index: dict[str, int] = {}
        self.gold_index: dict[str, int] = {}
        self.done = 0
        self.copies = self.flagged = self.correct = 0
        self.assign_wall = self.assign_cpu = self.normalize_cpu = self.featurize_cpu = self.transfer_cpu = 0.0

    def consume(self, prepared: tuple[bytes, float, float, float], assigner, aliases) -> None:
        blob, normalize_seconds, featurize_seconds, pickle_seconds = prepared
        self.normalize_cpu += normalize_seconds
        self.featurize_cpu += featurize_seconds
        started = time.thread_time()
        batch = pickle.loads(blob)
        self.transfer_cpu += pickle_seconds + time.thread_time() - started
        wall, cpu = time.perf_counter(), time.thread_time()
        done, event_index, gold_index = self.done, self.event_index, self.gold_index
        for article, features, event, original in batch:
            decision = assigner.process(article, features)
            self.predicted[done] = event_index.setdefault(decision.event_id, len(event_index))
            self.gold[done] = gold_index.setdefault(event, len(gold_index))
            self.copies += original is not None
            if decision.duplicate_of is not None:
                self.flagged += 1
                self.correct += decision.duplicate_of == original
            done += 1
        # Merges are announced through the drained events' aliases, as the index sees them.
        aliases.update(assigner.drain_events())
        self.done = done
        self.assign_wall += time.perf_counter() - wall
        self.assign_cpu += time.thread_time() - cpu


def run_one(articles: int, seed: int, workers: int) -> dict:
    """Measure one size in this process; returns the figures as a dict."""
    from newsbeam.pipelines.assign import EventAliases, OnlineAssigner
    from newsbeam.pipelines.features import featurize  # noqa: F401  (imported before the workers fork)
    from newsbeam.pipelines.local import rare_collections
    from newsbeam.pipelines.normalize import normalize_record  # noqa: F401

    path = stream_file(articles, seed)
    assigner = OnlineAssigner()
    aliases = EventAliases()
    tally = _Tally(articles)
    checkpoints: list[dict] = []
    step = max(CHUNK, articles // 10)
    load_before = os.getloadavg()
    started, main_started = time.perf_counter(), time.process_time()
    # Objects that exist before the fork are never garbage: frozen, the workers'
    # collections skip them instead of touching (and so copying) their pages.
    gc.freeze()
    try:
        with rare_collections(), get_context("fork").Pool(workers) as pool:
            for prepared in _prepared(path, articles, workers, pool):
                tally.consume(prepared, assigner, aliases)
                _checkpoint(checkpoints, tally.done, step, assigner)
    finally:
        gc.unfreeze()
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # The main process's CPU since the run started (not its imports); the workers' whole lives.
    main_cpu, worker_cpu = time.process_time() - main_started, children.ru_utime + children.ru_stime
    cpu_seconds = main_cpu + worker_cpu
    aliases.update(assigner.drain_events())
    done, predicted = tally.done, tally.predicted
    names = {index: name for name, index in tally.event_index.items()}
    final: dict[str, int] = {}
    for i, index in enumerate(predicted[:done].tolist()):
        name = names[index]
        final.setdefault(name, tally.event_index.setdefault(aliases.resolve(name), len(tally.event_index)))
        predicted[i] = final[name]
    precision, recall, f1 = bcubed_from_labels(predicted[:done], tally.gold[:done])
    per_article = lambda seconds: round(1000 * seconds / done, 4)  # noqa: E731
    return {
        "articles": done,
        "seconds": round(elapsed, 2),
        "articles_per_second": round(done / elapsed, 1),
        "ms_per_article": per_article(elapsed),
        # On a shared machine wall time depends on the neighbours; CPU time does not.
        "cpu_ms_per_article": per_article(cpu_seconds),
        "articles_per_second_2_dedicated_cores": round(2 * done / cpu_seconds, 1),
        "normalize_cpu_ms_per_article": per_article(tally.normalize_cpu),
        "featurize_cpu_ms_per_article": per_article(tally.featurize_cpu),
        "assign_cpu_ms_per_article": per_article(tally.assign_cpu),
        "assign_ms_per_article": per_article(tally.assign_wall),
        # Pickling results in the workers and unpickling them in the main process.
        "transfer_cpu_ms_per_article": per_article(tally.transfer_cpu),
        # Everything else: reading the input and sending chunks, the pool's own work,
        # forking and exiting the workers.
        "other_cpu_ms_per_article": per_article(
            cpu_seconds - tally.normalize_cpu - tally.featurize_cpu - tally.assign_cpu - tally.transfer_cpu),
        "peak_rss_mb_assign_process": round(own.ru_maxrss / 1024, 1),
        "peak_rss_mb_worker": round(children.ru_maxrss / 1024, 1),
        "hot_events": len(assigner.clusterer.events),
        "dedup_keys": len(assigner.exact) + len(assigner.near),
        "bcubed_p": round(precision, 4),
        "bcubed_r": round(recall, 4),
        "bcubed_f1": round(f1, 4),
        "dedup_precision": round(tally.correct / tally.flagged, 4) if tally.flagged else 1.0,
        "dedup_recall": round(tally.correct / tally.copies, 4) if tally.copies else 1.0,
        "workers": workers,
        "worker_system_cpu_ms_per_article": per_article(children.ru_stime),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "checkpoints": checkpoints,
    }


def _prepared(path: Path, articles: int, workers: int, pool) -> Iterator[tuple[bytes, float, float, float]]:
    """`_prepare` of each chunk of the first `articles` lines, computed in `pool`, in order."""
    from newsbeam.pipelines.local import in_order

    return in_order(pool, _prepare, _chunks(path, articles), 2 * workers + 1)


#: Articles featurized before the counted ones, so the per-process word memos are
#: as warm as in a long run's worker.
_COUNT_WARM_UP = 300


def count_instructions(seed: int, at: int, articles: int, workers: int) -> dict:
    """Instructions per article of each stage on `articles` articles after the first `at`.

    The state after `at` articles (a full hot window, for `at` past ~50k) is
    built natively and saved as its state parts; then four runs under callgrind load it and take
    the next articles through nothing, normalize, + featurize, + assign. Moving
    the articles between processes is not in these counts.
    """
    from newsbeam.pipelines.assign import OnlineAssigner
    from newsbeam.pipelines.local import rare_collections

    path = stream_file(at + articles, seed)
    assigner = OnlineAssigner()
    with rare_collections(), get_context("fork").Pool(workers) as pool:
        for blob, *_ in _prepared(path, at, workers, pool):
            for article, features, _, _ in pickle.loads(blob):
                assigner.process(article, features)
            assigner.drain_events()
    parts = assigner.state_changes().upserts
    # One file per run: two checkouts (or versions) counting at once must not load each other's state.
    with tempfile.TemporaryDirectory(prefix="newsbeam-count-") as folder:
        state_file = Path(folder) / f"state-{at}-{seed}.json"
        state_file.write_text(json.dumps({name: base64.b64encode(data).decode() for name, data in parts.items()}))
        stages = ("base", "normalize", "featurize", "assign")
        totals = callgrind.count({
            stage: ["-m", "benchmarks.scale", "--count-stage", stage, "--seed", str(seed), "--instructions-at", str(at),
                    "--instructions", str(articles), "--state-file", str(state_file)]
            for stage in stages
        })
    return {
        "instructions_at": at,
        "instructions_articles": articles,
        **{f"{stage}_instructions_per_article": round((totals[stage] - totals[before]) / articles)
           for before, stage in zip(stages, stages[1:])},
    }


def count_stage(stage: str, seed: int, at: int, articles: int, state_file: Path) -> None:
    """Run inside callgrind: the state after `at` articles (saved in `state_file`), memos
    warmed, then the next `articles` through the stages up to `stage` ("base": none)."""
    from newsbeam.pipelines.assign import AssignConfig, OnlineAssigner
    from newsbeam.pipelines.features import capitalised_runs, featurize
    from newsbeam.pipelines.local import rare_collections
    from newsbeam.pipelines.normalize import normalize_record

    config = AssignConfig()
    parts = {name: base64.b64decode(data) for name, data in json.loads(state_file.read_text()).items()}
    assigner = OnlineAssigner.restore(parts, config)
    warm_up = min(_COUNT_WARM_UP, at)
    with stream_file(at + articles, seed).open(encoding="utf-8") as handle:
        lines = list(islice(handle, at - warm_up, at + articles))
    for line in lines[:warm_up]:
        featurize(normalize_record(_parse(line)[0]), config.features)
    # A long run's worker has met text beyond ASCII, and built once the pattern for
    # capitals of every script (~80 ms): counted among 300 articles, that one-off would
    # add millions of instructions to each when the warm-up lines happen to be ASCII.
    capitalised_runs("Šefčovič")
    lines = lines[warm_up:]
    # The restored state and the warm memos are never garbage: frozen, a collection
    # walks only what the counted articles made. Else where the collector's full
    # passes fall (over hundreds of thousands of state objects) moves a stage's count
    # by more than the work it is meant to measure.
    gc.collect()
    gc.freeze()
    if stage == "base":
        return
    articles_ = [normalize_record(_parse(line)[0]) for line in lines]
    if stage == "normalize":
        return
    features = [featurize(article, config.features) for article in articles_]
    if stage == "featurize":
        return
    with rare_collections():
        for article, article_features in zip(articles_, features):
            assigner.process(article, article_features)
        assigner.drain_events()


def _checkpoint(checkpoints: list[dict], done: int, step: int, assigner) -> None:
    if done // step > len(checkpoints):
        checkpoints.append({"articles": done, "rss_mb": round(_current_rss_mb(), 1),
                            "hot_events": len(assigner.clusterer.events)})


def write_report(results: list[dict], out: Path, command: str, instructions: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if instructions:
        (out / "scale-instructions.json").write_text(json.dumps(instructions, indent=2) + "\n", encoding="utf-8")
    base, base_cpu = results[0]["ms_per_article"], results[0]["cpu_ms_per_article"]
    rows = [
        "| articles | articles/s (wall) | wall ms/article | ×wall cost vs smallest | CPU ms/article (all processes) "
        "| ×CPU cost vs smallest | articles/s on 2 free cores (from CPU) | CPU ms/article: normalize / featurize / "
        "transfer / assign / other | peak RSS assign / worker (MB) | hot events | B-cubed P / R / F1 | dedup P / R "
        "| load average 1 min (before → after) |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['articles']:,} | {r['articles_per_second']:,.0f} | {r['ms_per_article']:.3f} | "
            f"{r['ms_per_article'] / base:.2f} | {r['cpu_ms_per_article']:.3f} | {r['cpu_ms_per_article'] / base_cpu:.2f} | "
            f"{r['articles_per_second_2_dedicated_cores']:,.0f} | {r['normalize_cpu_ms_per_article']:.2f} / "
            f"{r['featurize_cpu_ms_per_article']:.2f} / {r['transfer_cpu_ms_per_article']:.2f} / "
            f"{r['assign_cpu_ms_per_article']:.2f} / {r['other_cpu_ms_per_article']:.2f} | "
            f"{r['peak_rss_mb_assign_process']:.0f} / {r['peak_rss_mb_worker']:.0f} | {r['hot_events']:,} | "
            f"{r['bcubed_p']:.3f} / {r['bcubed_r']:.3f} / {r['bcubed_f1']:.3f} | "
            f"{r['dedup_precision']:.3f} / {r['dedup_recall']:.3f} | "
            f"{r['load_average_before'][0]:.2f} → {r['load_average_after'][0]:.2f} |"
        )
    text = [
        "# Dedup + clustering at scale (synthetic full-text stream)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine.describe()}, possibly shared with other jobs (load average in the last column; "
        "a load above the 3 processes of the benchmark means other work took CPU from it). Each size runs in a "
        "fresh process on the first N articles of one cached stream (generating it is not timed).",
        "",
        "What is timed, wall-clock from first line read to last article assigned: parsing each JSON line and "
        f"normalizing it into an `Article` (normalize), building its terms and MinHash (featurize) — both in "
        f"{results[0]['workers']} worker processes — pickling the articles with their features back to the main "
        "process (transfer), and the sequential online assignment there: exact dedup, near dedup, event clustering "
        "with merges and aging out (assign). Writing results to an index is not included. CPU ms/article is the CPU "
        "time of all processes divided by the articles, split by stage with per-thread clocks; \"other\" is the "
        "rest (reading the input, sending chunks, the pool's own work, forking the workers).",
        "",
        *rows,
        "",
        "Resident memory of the assignment process as each run goes (articles: MB, hot events) — it levels off",
        "once the hot window (7 days of events, 3 days of dedup keys) is full:",
        "",
        *(f"- {r['articles']:,}: " + ", ".join(f"{c['articles']:,}: {c['rss_mb']:.0f} MB, {c['hot_events']:,}"
                                              for c in r["checkpoints"]) for r in results),
        "",
        *_instructions_section(instructions),
    ]
    (out / "scale.md").write_text("\n".join(text), encoding="utf-8")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    sizes = [r["articles"] for r in results]
    axis.plot(sizes, [r["ms_per_article"] for r in results], marker="o", label="wall, end to end (2 workers)")
    axis.plot(sizes, [r["cpu_ms_per_article"] / 2 for r in results], marker="^",
              label="CPU time / 2 (2 dedicated cores)")
    axis.plot(sizes, [r["assign_cpu_ms_per_article"] for r in results], marker="s",
              label="sequential assignment (CPU)")
    axis.set_xscale("log")
    axis.set_ylim(bottom=0)
    axis.set_xlabel("articles in corpus")
    axis.set_ylabel("ms per article")
    axis.set_title("Dedup + clustering cost per article")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "scale.png", dpi=120)


def _instructions_section(instructions: dict | None) -> list[str]:
    if not instructions:
        return []
    stages = ("normalize", "featurize", "assign")
    counts = [instructions[f"{stage}_instructions_per_article"] / 1e6 for stage in stages]
    return [
        f"Instructions per article (valgrind's callgrind; {instructions['instructions_articles']:,} articles after "
        f"the first {instructions['instructions_at']:,}, hot window full and word memos warm; moving articles "
        "between processes not included) — a figure that, unlike the times above, the machine's load does not "
        "move:",
        "",
        "| " + " | ".join(stages) + " | total |",
        "|---:|---:|---:|---:|",
        "| " + " | ".join(f"{count:.2f} M" for count in counts) + f" | {sum(counts):.2f} M |",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--from-results", type=Path, metavar="JSONL",
                        help="write the report from result lines this script printed before, without running")
    parser.add_argument("--instructions", type=int, default=0, metavar="N",
                        help="also count instructions per article of each stage under valgrind's callgrind, "
                             "on N articles after the first --instructions-at (a figure the machine's load "
                             "does not move)")
    parser.add_argument("--instructions-at", type=int, default=60_000, metavar="ARTICLES",
                        help="where the counted articles start; the hot window is full from ~50k on")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count-stage", choices=("base", "normalize", "featurize", "assign"), help=argparse.SUPPRESS)
    parser.add_argument("--state-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.instructions and not callgrind.available():
        parser.error("--instructions needs valgrind")
    if args.count_stage:
        count_stage(args.count_stage, args.seed, args.instructions_at, args.instructions, args.state_file)
        return 0
    command = "python -m benchmarks.scale " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.one:
        print(json.dumps(run_one(args.one, args.seed, args.workers)))
        return 0
    if args.from_results:
        lines = args.from_results.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines if line.startswith("{")]
        counts = [line for line in found if "instructions_at" in line]
        write_report([line for line in found if "instructions_at" not in line], args.out, command,
                     counts[-1] if counts else None)
        return 0
    stream_file(max(args.sizes), args.seed)
    results = []
    for size in args.sizes:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", "--one", str(size), "--seed", str(args.seed),
             "--workers", str(args.workers)],
            check=True, capture_output=True, text=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    counts = None
    if args.instructions:
        counts = count_instructions(args.seed, args.instructions_at, args.instructions, args.workers)
        print(json.dumps(counts), flush=True)
    write_report(results, args.out, command, counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
