"""Can reports of one event in different languages be linked by names and numbers?

    python -m benchmarks.cross_language \\
        --invented tests/fixtures/cross_language_events.jsonl \\
        --pages ../shared/corpus/pages_dev \\
        --labelled ../shared/corpus/allsides_dev.jsonl:../shared/corpus/allsides_dev.labels.jsonl \\
        --labelled ../shared/corpus/uci_dev.jsonl:../shared/corpus/uci_dev.labels.jsonl \\
        [--write-dir DIR]

Measures the rule of `benchmarks/crosslingual_keys.py` (`LinkRule`: two shared
name skeletons, one shared number, two days) three ways, beside a few other counts
and the same counts of distinctive keys (`CrossLanguageLinker`: keys no third event
of the two languages in the window carries), so the reader sees how much hangs on each:

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
  events of different true events. Without `:LABELS` the records carry their `event`
  (the project's invented full-text sets). `--write-dir` writes the clusterings
  (`.clusterer`, `.linked` by the rule, `.distinctive`) as `id`/`event_id` lines for
  `../shared/tools/score_clusters.py`.

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

from benchmarks.quality import bcubed, load
from newsbeam.connectors.records import RawRecord
from newsbeam.benchmarks.crosslingual_keys import (
    CrossLanguageKeys,
    CrossLanguageLinker,
    LinkRule,
    cross_language_keys,
)
from newsbeam.pipelines.local import assign_locally

#: The rule as set before measuring, then the variations shown beside it; the
#: last two count only keys no third event of the two languages in the window
#: carries (`CrossLanguageLinker`'s `distinctive`), a rule written after the
#: first one's failures on allsides_dev.
RULES = {
    "2 names + 1 number, ≤ 2 d (the rule)": (LinkRule(), False),
    "1 name + 1 number, ≤ 2 d": (LinkRule(min_names=1), False),
    "2 names, no number, ≤ 2 d": (LinkRule(min_numbers=0), False),
    "3 names + 1 number, ≤ 2 d": (LinkRule(min_names=3), False),
    "distinctive keys: 2 names + 1 number, ≤ 2 d": (LinkRule(), True),
    "distinctive keys: 1 name + 1 number, ≤ 2 d": (LinkRule(min_names=1), True),
}
#: The recommended rule (see docs/clustering.md).
DISTINCTIVE = "distinctive keys: 2 names + 1 number, ≤ 2 d"
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


def _linked_reports(reports: list[Report], rule: LinkRule, distinctive: bool,
                    within_language: bool = False) -> set[tuple[str, str]]:
    """Pairs of reports (ids in input order) the linker links, each report an event of its own."""
    linker = CrossLanguageLinker(rule, distinctive=distinctive, within_language=within_language)
    for report in reports:
        linker.add(report.id, report.language, report.keys, report.published)
    position = {report.id: n for n, report in enumerate(reports)}
    return {tuple(sorted((report.id, other), key=position.__getitem__))
            for report in reports for other in linker.links(report.id)}


def invented(path: str) -> list[str]:
    """Recall and false links over every pair of reports in different languages."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    reports = [_report(r["id"], r["title"], r["text"], r["language"], _date(r["published"]), r["event"])
               for r in rows]
    by_id = {report.id: report for report in reports}
    pairs = [(a, b) for a, b in combinations(reports, 2) if a.language != b.language]
    same = [(a, b) for a, b in pairs if a.event == b.event]
    lines = [f"### Invented bilingual set (`{path}`)", "",
             f"{len(reports)} invented reports, {len({r.event for r in reports})} events, "
             f"languages {', '.join(sorted({r.language for r in reports}))}; "
             f"{len(pairs)} pairs in different languages, {len(same)} of them on one event.", "",
             "| rule | same-event pairs linked (recall) | different-event pairs linked |", "|---|---|---|"]
    linked_by_rule = {}
    for name, (rule, distinctive) in RULES.items():
        linked = linked_by_rule[name] = _linked_reports(reports, rule, distinctive)
        hits = sum(by_id[a].event == by_id[b].event for a, b in linked)
        lines.append(f"| {name} | {hits} / {len(same)} ({hits / len(same):.0%}) | "
                     f"{len(linked) - hits} / {len(pairs) - len(same)} |")
    for name in (next(iter(RULES)), DISTINCTIVE):
        linked = linked_by_rule[name]
        by_languages: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for a, b in same:
            tally = by_languages[tuple(sorted((a.language, b.language)))]
            tally[0] += (a.id, b.id) in linked
            tally[1] += 1
        wrong = [f"{a}–{b}" for a, b in sorted(linked) if by_id[a].event != by_id[b].event]
        lines += ["", f"*{name}*: recall by language pair " + ", ".join(
            f"{x}–{y} {hit}/{total}" for (x, y), (hit, total) in sorted(by_languages.items()))
            + "; false links: " + (", ".join(wrong) if wrong else "none") + "."]
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
    by_id = {report.id: report for report in reports}
    pairs = [(a, b) for a, b in combinations(reports, 2) if a.language != b.language]
    close = [(a, b) for a, b in pairs if _gap(a, b) <= LinkRule().max_gap]
    lines = [f"### Real pages in many languages (`{folder}`)", "",
             f"{len(reports)} pages, {len({r.language for r in reports})} languages; {len(pairs)} pairs in different "
             f"languages, {len(close)} of them published within two days of each other. No two pages tell the "
             "same event, so every link is false.", "",
             "| rule | links within its time window | links at any distance in time (stress) |", "|---|---|---|"]
    stress_links = {}
    for name, (rule, distinctive) in RULES.items():
        near = _linked_reports(reports, rule, distinctive)
        anytime = stress_links[name] = _linked_reports(
            reports, LinkRule(rule.min_names, rule.min_numbers, _ANY_TIME), distinctive)
        lines.append(f"| {name} | {len(near)} | {len(anytime)} |")
    for name in (next(iter(RULES)), DISTINCTIVE):
        for a_id, b_id in sorted(stress_links[name]):
            a, b = by_id[a_id], by_id[b_id]
            lines.append(f"\nStress link, *{name}*: `{a.id}` ({a.language}) – `{b.id}` ({b.language}): names "
                         f"{' '.join(sorted(a.keys.names & b.keys.names))}; numbers "
                         f"{' '.join(sorted(a.keys.numbers & b.keys.numbers))}.")
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
    """What merging every pair of events the rule links would do to a labelled stream.

    `RECORDS.jsonl:LABELS.jsonl`, or `RECORDS.jsonl` whose records carry their `event`.
    """
    records_path = spec.partition(":")[0]
    records, gold, _ = load(spec)
    inputs = ({k: v for k, v in record.items() if k not in ("event", "duplicate_of")} for record in records)
    run = assign_locally(RawRecord(f"record {n}", record) for n, record in enumerate(inputs, 1))
    predicted = {article.id: decision.event_id for article, decision in run.decisions}
    members: dict[str, list[str]] = defaultdict(list)
    article_reports, event_members = [], []
    for article, decision in run.decisions:
        keys = cross_language_keys(article.title, article.text, article.language, article.published)
        members[decision.event_id].append(article.id)
        event_members.append((decision.event_id, keys, article.published))
        article_reports.append(Report(article.id, article.language, article.published, gold[article.id], keys))
    majority = {event: Counter(gold[item] for item in items).most_common(1)[0][0] for event, items in members.items()}
    name = Path(records_path).name
    lines = [f"### `{name}` ({len(gold)} articles, {len(set(gold.values()))} true events, "
             f"{len(members)} events found by the clusterer)", "",
             "Events merged wherever the rule links them, as if each were in a language of its own.", "",
             "| rule | links | links joining different true events | B-cubed P / R / F1 |", "|---|---|---|---|",
             "| no linking (the clusterer alone) | – | – | {:.3f} / {:.3f} / {:.3f} |".format(
                 *bcubed({item: predicted[item] for item in gold}, gold))]
    for rule_name, (rule, distinctive) in RULES.items():
        linker = CrossLanguageLinker(rule, distinctive=distinctive, within_language=True)
        for event, keys, published in event_members:
            linker.add(event, "", keys, published)
        unions = _Unions()
        linked = {tuple(sorted((event, other))) for event in members for other in linker.links(event)}
        for a, b in sorted(linked):
            unions.union(a, b)
        merged = {item: unions.find(event) for item, event in predicted.items()}
        wrong = sum(majority[a] != majority[b] for a, b in linked)
        lines.append("| {} | {} | {} | {:.3f} / {:.3f} / {:.3f} |".format(
            rule_name, len(linked), wrong, *bcubed({item: merged[item] for item in gold}, gold)))
        if write_dir:
            stem = Path(records_path).stem
            slug = "distinctive" if rule_name == DISTINCTIVE else "linked" if rule_name == next(iter(RULES)) else None
            if slug:
                _write(Path(write_dir) / f"{stem}.{slug}.jsonl", merged)
            _write(Path(write_dir) / f"{stem}.clusterer.jsonl", predicted)
    linked = _linked_reports(article_reports, LinkRule(), False, within_language=True)
    by_id = {report.id: report for report in article_reports}
    wrong = sum(by_id[a].event != by_id[b].event for a, b in linked)
    with_keys = sum(1 for report in article_reports if report.keys.names and report.keys.numbers)
    lines += ["", f"Article pairs the rule links directly: {len(linked)}, of which {wrong} on different true "
              f"events ({with_keys} of {len(article_reports)} articles carry both a name key and a number)."]
    return lines + [""]


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
    parser.add_argument("--labelled", action="append", default=[], metavar="RECORDS[:LABELS]",
                        help="a labelled single-language stream (without LABELS, records carry `event`)")
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
