"""Are real pages in many languages found by the words of their own headlines?

    python benchmarks/search_languages.py ../shared/corpus/pages_dev [--es-url URL] [--work DIR]

Takes a folder of gzipped article pages with a `pages.jsonl` naming each `file` and its
`expected.title` (the layout of `../shared/corpus/pages_dev`, which stays outside the
project), writes the pages as a folder of `.html` files, ingests them as a user would
(`newsbeam ingest FOLDER`) into the embedded index, or into Elasticsearch with `--es-url`,
and asks for each page that was indexed:

- **title words**: three words of its headline (for Chinese, Japanese and Korean, a run of
  two to four characters of it) find it among the first three events;
- **other endings**: for English, German, French and Spanish pages, each headline word of
  five letters or more that finds the page on its own (it singles the page out) is
  changed to another real word of its language with another ending (plural/singular, a
  case ending: a change of `s`, `e`, `n`, `en`, `er` that wordfreq knows as a word), and
  that form alone must find the page among the first three events.

Prints the counts and the queries that missed. For development: the pages belong to their
publishers, so this is no test, and nothing here is tuned to them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
import uuid
from pathlib import Path

from click.testing import CliRunner
from wordfreq import zipf_frequency

from newsbeam.cli.main import main as newsbeam_cli
from newsbeam.connectors.sinks.base import IndexBackend, SearchQuery
from newsbeam.connectors.sinks.select import BackendSettings, open_backend

CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,}")
WORD = re.compile(r"[^\W\d_]{5,}")
PUNCTUATION = ".,:;!?\"'«»„“”‘’()"
INFLECTED = {"en", "de", "fr", "es"}
TOP = 3


def other_endings(word: str, language: str) -> list[str]:
    """Forms of `word` with another ending that are words of `language` (wordfreq knows them)."""
    if language == "de":
        forms = [word[: -len(end)] for end in ("en", "er", "n", "e", "s") if word.endswith(end)]
        forms += [word + end for end in ("e", "en", "s", "n")]
    else:
        forms = [word[:-1]] if word.endswith("s") else [word + "s"]
        if language == "es" and not word.endswith("s") and word[-1] not in "aeiou":
            forms.append(word + "es")
    return [form for form in forms if len(form) >= 3 and zipf_frequency(form.lower(), language) >= 1.5]


def finds(backend: IndexBackend, query: str, article_id: str) -> bool:
    return any(article_id in hit.article_ids for hit in backend.search(SearchQuery(query)).hits[:TOP])


def measure(backend: IndexBackend, rows: list[dict], rng: random.Random) -> None:
    titles, title_found, title_missed = 0, 0, []
    forms, forms_found, forms_missed = 0, 0, []
    for row in rows:
        article_id = "pages/" + row["file"].removesuffix(".html.gz")
        stored = backend.get_article(article_id)
        if stored is None:
            continue  # refused (a paywall, an error page): not indexed
        title, language = row["expected"]["title"], stored["language"]
        runs = CJK_RUN.findall(title)
        if runs and language in {"ja", "zh", "ko"}:
            run = max(runs, key=len)
            start = rng.randrange(max(1, len(run) - 3))
            query = run[start : start + rng.randint(2, 4)]
        else:
            query = " ".join(title.split()[:3])
        titles += 1
        if finds(backend, query, article_id):
            title_found += 1
        else:
            title_missed.append((language, query))
        if language not in INFLECTED:
            continue
        for word in dict.fromkeys(w.strip(PUNCTUATION) for w in title.split()):
            if not WORD.fullmatch(word) or not finds(backend, word, article_id):
                continue
            for form in other_endings(word, language)[:1]:
                forms += 1
                if finds(backend, form, article_id):
                    forms_found += 1
                else:
                    forms_missed.append((language, word, form))
    print(f"title words: {title_found} of {titles} pages found in the top {TOP}")
    print(f"  missed: {title_missed}")
    print(f"other endings (en, de, fr, es): {forms_found} of {forms} forms find their page in the top {TOP}")
    print(f"  missed: {forms_missed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", type=Path, help="folder with pages.jsonl and the .html.gz pages it names")
    parser.add_argument("--es-url", help="measure Elasticsearch instead of the embedded index")
    parser.add_argument("--work", type=Path, help="where the .html pages and the index go (default: a new temp dir)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="newsbeam-languages-"))
    folder = work / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in (args.pages / "pages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        (folder / row["file"].replace(".html.gz", ".html")).write_bytes(gzip.decompress((args.pages / row["file"]).read_bytes()))
    prefix = f"languages-{uuid.uuid4().hex[:8]}"
    settings = BackendSettings(data_dir=work / "index", es_url=args.es_url, es_index_prefix=prefix)
    command = ["ingest", str(folder), "--data-dir", str(settings.data_dir)] + (["--es-url", args.es_url] if args.es_url else [])
    result = CliRunner().invoke(newsbeam_cli, command, env={"NEWSBEAM_ES_INDEX_PREFIX": prefix})
    if result.exit_code != 0:
        sys.exit(f"newsbeam ingest failed:\n{result.output}")
    backend = open_backend(settings)
    try:
        print(f"{settings.description}: {backend.counts()['articles']} of {len(rows)} pages indexed")
        measure(backend, rows, random.Random(7))
    finally:
        backend.close()
    if args.es_url:
        from elasticsearch import Elasticsearch

        with Elasticsearch(args.es_url, request_timeout=30) as client:
            client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True, allow_no_indices=True)


if __name__ == "__main__":
    main()
