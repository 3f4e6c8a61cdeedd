"""Can reports of one event in different languages be linked by names and numbers?

    python -m benchmarks.cross_language \\
        --invented tests/fixtures/cross_language_events.jsonl \\
        --pages ../shared/corpus/pages_dev \\
        --labelled ../shared/corpus/allsides_dev.jsonl:../shared/corpus/allsides_dev.labels.jsonl \\
        --labelled ../shared/corpus/uci_dev.jsonl:../shared/corpus/uci_dev.labels.jsonl \\
        [--write-dir DIR]

Measures the rule of `pipelines/cluster/crosslingual.py` (`LinkRule`: two shared
name skeletons, one shared number, two days) three ways, and the same for a few
other settings of the rule, so the reader sees how much hangs on it:

- **invented** (recall and false links on a bilingual set the project wrote: the same
  invented events told in English, German, Russian, Arabic and Japanese, with
  distractor events of the same days sharing names; `event` labels each record).
  Every pair of reports in different languages is a trial. The figures come from
  invented text and say what the keys can do, not how often real reports agree.
- **pages** (false links on real pages in many languages: a folder laid out like
  `../shared/corpus/pages_dev`, `pages.jsonl` with each page's expected title, body,
  date and language). Such a folder holds no two pages on one event, so every link
  between pages of different languages is false; counted within the rule's time
  window and, as a stress test, at any distance in time.
- **labelled** (what linking would cost single-language precision on real labelled
  streams, `RECORDS.jsonl:LABELS.jsonl`): the streams are clustered as `newsbeam
  cluster` does, each event's keys are counted over its members (`EventKeys`), and
  every pair of events the rule links is merged as if they were in different
  languages. B-cubed precision/recall/F1 before and after, and the links that join
  events of different true events. `--write-dir` writes both clusterings as
  `id`/`event_id` lines for `../shared/tools/score_clusters.py`.

Prints a Markdown report. For development: nothing here is tuned to these data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

from benchmarks.quality import bcubed
from newsbeam.connectors.records import RawRecord
from newsbeam.pipelines.cluster.crosslingual import (
    CrossLanguageKeys,
    EventKeys,
    LinkRule,
    cross_language_keys,
    links,
    span_gap,
)
from newsbeam.pipelines.local import assign_locally

#: The rule as set before measuring, then the variations shown beside it.
RULES = {
    "2 names + 1 number, ≤ 2 d (the rule)": LinkRule(),
    "1 name + 1 number, ≤ 2 d": LinkRule(min_names=1),
    "2 names, no number, ≤ 2 d": LinkRule(min_numbers=0),
    "3 names + 1 number, ≤ 2 d": LinkRule(min_names=3),
}
_ANY_TIME = timedelta(days=100_000)


@dataclass(frozen=True, slots=True)
class Report:
    """One article as the study sees it."""

    id: str
    language: str
    published: datetime | None
    event: str
    keys: CrossLanguageKeys


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _report(id_: str, title: str, text: str, language: str, published: datetime | None, event: str) -> Report:
    return Report(id_, language, published, event, cross_language_keys(title, text, language, published))


def _gap(a: Report, b: Report) -> timedelta:
    if a.published is None or b.published is None:
        return _ANY_TIME
    return abs(a.published - b.published)


def invented(path: str) -> list[str]:
    """Recall and false links over every pair of reports in different languages."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    reports = [_report(r["id"], r["title"], r["text"], r["language"], _date(r["published"]), r["event"])
               for r in rows]
    pairs = [(a, b) for a, b in combinations(reports, 2) if a.language != b.language]
    same = [(a, b) for a, b in pairs if a.event == b.event]
    lines = [f"### Invented bilingual set (`{path}`)", "",
             f"{len(reports)} invented reports, {len({r.event for r in reports})} events, "
             f"languages {', '.join(sorted({r.language for r in reports}))}; "
             f"{len(pairs)} pairs in different languages, {len(same)} of them on one event.", "",
             "| rule | same-event pairs linked (recall) | different-event pairs linked |", "|---|---|---|"]
    for name, rule in RULES.items():
        hits = sum(links(a.keys, b.keys, _gap(a, b), rule) for a, b in same)
        false = sum(links(a.keys, b.keys, _gap(a, b), rule) for a, b in pairs if a.event != b.event)
        lines.append(f"| {name} | {hits} / {len(same)} ({hits / len(same):.0%}) | {false} / {len(pairs) - len(same)} |")
    rule = LinkRule()
    by_languages: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for a, b in same:
        tally = by_languages[tuple(sorted((a.language, b.language)))]
        tally[0] += links(a.keys, b.keys, _gap(a, b), rule)
        tally[1] += 1
    lines += ["", "Recall of the rule by language pair: " + ", ".join(
        f"{x}–{y} {hit}/{total}" for (x, y), (hit, total) in sorted(by_languages.items())) + ".", ""]
    wrong = [f"{a.id}–{b.id}" for a, b in pairs if a.event != b.event and links(a.keys, b.keys, _gap(a, b), rule)]
    lines.append("False links of the rule: " + (", ".join(wrong) if wrong else "none") + ".")
    lines += ["", "Keys per report (name skeletons | numbers):", ""]
    lines += [f"- `{r.id}`: {' '.join(sorted(r.keys.names))} | {' '.join(sorted(r.keys.numbers))}" for r in reports]
    return lines + [""]


def pages(folder: str) -> list[str]:
    """Links between real pages of different languages (none tell the same event)."""
    with open(Path(folder) / "pages.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    reports = []
    for n, row in enumerate(rows):
        expected = row["expected"]
        language = expected.get("langdetect_body") or row["publisher_languages"][0]
        reports.append(_report(f"{n}:{row['publisher']}", expected.get("title") or "",
                               expected.get("paragraphs") or expected.get("full_body") or "", language,
                               _date(expected.get("publishing_date")), f"page-{n}"))
    pairs = [(a, b) for a, b in combinations(reports, 2) if a.language != b.language]
    close = [(a, b) for a, b in pairs if _gap(a, b) <= LinkRule().max_gap]
    lines = [f"### Real pages in many languages (`{folder}`)", "",
             f"{len(reports)} pages, {len({r.language for r in reports})} languages; {len(pairs)} pairs in different "
             f"languages, {len(close)} of them published within two days of each other. No two pages tell the "
             "same event, so every link is false.", "",
             "| rule | links within its time window | links at any distance in time (stress) |", "|---|---|---|"]
    for name, rule in RULES.items():
        near = sum(links(a.keys, b.keys, _gap(a, b), rule) for a, b in close)
        anytime = [(a, b) for a, b in pairs if links(a.keys, b.keys, timedelta(0), rule)]
        lines.append(f"| {name} | {near} | {len(anytime)} |")
    stress = [(a, b) for a, b in pairs if links(a.keys, b.keys, timedelta(0), LinkRule())]
    for a, b in stress:
        names = " ".join(sorted(a.keys.names & b.keys.names))
        figures = " ".join(sorted(a.keys.numbers & b.keys.numbers))
        lines.append(f"\nStress link of the rule: `{a.id}` ({a.language}) – `{b.id}` ({b.language}): "
                     f"names {names}; numbers {figures}.")
    with_names = Counter(r.language for r in reports if r.keys.names)
    lines += ["", "Pages with at least one name key, by language: " + ", ".join(
        f"{language} {with_names[language]}/{total}"
        for language, total in sorted(Counter(r.language for r in reports).items())) + "."]
    return lines + [""]


class _Unions:
    """Union–find over event ids; the root is the first id seen."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a


def labelled(spec: str, write_dir: str | None) -> list[str]:
    """What merging every pair of events the rule links would do to a labelled stream."""
    records_path, _, labels_path = spec.partition(":")
    with open(records_path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with open(labels_path, encoding="utf-8") as handle:
        gold = {str(d["id"]): str(d["event"]) for d in map(json.loads, filter(str.strip, handle))}
    run = assign_locally(RawRecord(f"record {n}", record) for n, record in enumerate(records, 1))
    predicted = {article.id: decision.event_id for article, decision in run.decisions}
    events: dict[str, EventKeys] = defaultdict(EventKeys)
    members: dict[str, list[str]] = defaultdict(list)
    article_reports = []
    for article, decision in run.decisions:
        keys = cross_language_keys(article.title, article.text, article.language, article.published)
        events[decision.event_id].add(keys, article.published)
        members[decision.event_id].append(article.id)
        article_reports.append(Report(article.id, article.language, article.published, gold[article.id], keys))
    majority = {event: Counter(gold[item] for item in items).most_common(1)[0][0] for event, items in members.items()}
    name = Path(records_path).name
    lines = [f"### `{name}` ({len(gold)} articles, {len(set(gold.values()))} true events, "
             f"{len(events)} events found by the clusterer)", "",
             "Events merged wherever the rule links them, as if each were in a language of its own.", "",
             "| rule | links | links joining different true events | B-cubed P / R / F1 |", "|---|---|---|---|",
             "| no linking (the clusterer alone) | – | – | {:.3f} / {:.3f} / {:.3f} |".format(
                 *bcubed({item: predicted[item] for item in gold}, gold))]
    for rule_name, rule in RULES.items():
        merged, count, wrong = _merge(events, majority, predicted, rule)
        lines.append("| {} | {} | {} | {:.3f} / {:.3f} / {:.3f} |".format(
            rule_name, count, wrong, *bcubed({item: merged[item] for item in gold}, gold)))
        if write_dir and rule == LinkRule():
            _write(Path(write_dir) / f"{Path(records_path).stem}.linked.jsonl", merged)
            _write(Path(write_dir) / f"{Path(records_path).stem}.clusterer.jsonl", predicted)
    lines += ["", *_article_pairs(article_reports)]
    return lines + [""]


def _merge(events: dict[str, EventKeys], majority: dict[str, str], predicted: dict[str, str],
           rule: LinkRule) -> tuple[dict[str, str], int, int]:
    """Article → event after merging linked events; how many links, how many between true events."""
    unions = _Unions()
    count = wrong = 0
    keys = {event: state.keys() for event, state in events.items()}
    for a, b in _candidates(keys):
        ea, eb = events[a], events[b]
        if None in (ea.first_seen, eb.first_seen):
            continue
        if links(keys[a], keys[b], span_gap(ea.first_seen, ea.last_seen, eb.first_seen, eb.last_seen), rule):
            count += 1
            wrong += majority[a] != majority[b]
            unions.union(a, b)
    return {item: unions.find(event) for item, event in predicted.items()}, count, wrong


def _candidates(keys: dict[str, CrossLanguageKeys]) -> list[tuple[str, str]]:
    """Pairs of items sharing at least one name key (the rule needs one), by an inverted index."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for item, item_keys in keys.items():
        for key in item_keys.names:
            by_name[key].append(item)
    return sorted({(a, b) for items in by_name.values() for a, b in combinations(items, 2)})


def _article_pairs(reports: list[Report]) -> list[str]:
    """The rule on single articles: pairs it links, and how many of them are on different true events."""
    by_id = {report.id: report for report in reports}
    keys = {report.id: report.keys for report in reports}
    rule = LinkRule()
    linked = [(by_id[a], by_id[b]) for a, b in _candidates(keys)
              if links(keys[a], keys[b], _gap(by_id[a], by_id[b]), rule)]
    wrong = sum(a.event != b.event for a, b in linked)
    with_keys = sum(1 for report in reports if report.keys.names and report.keys.numbers)
    return [f"Article pairs the rule links directly: {len(linked)}, of which {wrong} on different true events "
            f"({with_keys} of {len(reports)} articles carry both a name key and a number)."]


def _write(path: Path, assignment: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for item, event in assignment.items():
            out.write(json.dumps({"id": item, "event_id": event}) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invented", action="append", default=[], metavar="JSONL",
                        help="records with `event` labels telling events in several languages")
    parser.add_argument("--pages", action="append", default=[], metavar="FOLDER",
                        help="a pages_dev-like folder of real pages, no two on one event")
    parser.add_argument("--labelled", action="append", default=[], metavar="RECORDS:LABELS",
                        help="a labelled single-language stream")
    parser.add_argument("--write-dir", help="write the clusterings before and after linking here")
    args = parser.parse_args(argv)
    lines: list[str] = []
    for path in args.invented:
        lines += invented(path)
    for folder in args.pages:
        lines += pages(folder)
    for spec in args.labelled:
        lines += labelled(spec, args.write_dir)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
