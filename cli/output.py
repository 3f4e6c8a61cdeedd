"""How commands report to a person: summaries, hits, errors."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the CLI starts without importing Beam
    from newsbeam.connectors.sinks import SearchHit
    from newsbeam.pipelines.batch import RunSummary

_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def echo_run_summary(summary: RunSummary, *, what: str) -> None:
    """The end-of-run report: what was read, dropped, rejected and built."""
    rejected = summary["rejected"]
    click.echo(f"{what} in {summary.seconds:.1f} s")
    rows = [
        ("records read", summary["read"]),
        ("rejected", rejected),
        ("already indexed", summary["already_indexed"]),
        ("duplicates", f"{summary.duplicates} (exact {summary['duplicates_exact']}, near {summary['duplicates_near']})"),
        ("articles indexed", summary["articles_indexed"]),
        ("events", f"{summary['events_new']} new, {summary['events_updated']} updated"),
    ]
    for label, value in rows:
        click.echo(f"  {label:<17}{value}")
    if rejected:
        reasons = ", ".join(f"{reason} {count}" for reason, count in summary.rejected_by_reason().items())
        click.echo(f"  dead letters     {summary.dead_letter_path} ({reasons})")


def plain_snippet(snippet: str) -> str:
    """A highlighted HTML snippet as terminal text, matches in bold."""
    text = html.unescape(_MARK.sub(lambda m: click.style(m.group(1), bold=True), snippet))
    return " ".join(text.split())


def echo_hit(rank: int, hit: SearchHit) -> None:
    seen = (hit.first_seen or "?")[:16].replace("T", " ")
    click.echo(click.style(f"{rank}. {hit.title or '(untitled)'}", bold=True))
    outlets = ", ".join(hit.sources) or "unknown outlets"
    click.echo(f"   {hit.article_count} article(s) from {outlets}; first seen {seen}; event {hit.event_id}")
    if hit.snippet:
        click.echo(f"   {plain_snippet(hit.snippet)}")
