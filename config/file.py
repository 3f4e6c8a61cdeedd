"""Read `newsbeam.toml` and find every problem in it, each with its line.

`tomllib` parses the file but says nothing of where a value sits, so the lines
of tables and keys are found by scanning the text: a `[table]` header sets the
table, and a `key = …` line (bare, quoted or dotted key) names a key in it. A
problem in one item of a list is reported on the line that holds the item.
A syntax error stops `tomllib`, so a file with one reports only that one.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbeam.config import schema
from newsbeam.config.kinds import Texts

_PART = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_TABLE_LINE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE_LINE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PARTS = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")
_SYNTAX_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    message: str

    def render(self, path: Path) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


@dataclass(frozen=True, slots=True)
class FileValue:
    """A setting's value as the file gives it (a secret's: the variable that holds it), and its line."""

    value: Any
    line: int


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: Path
    values: dict[str, FileValue]
    problems: tuple[Problem, ...]


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(next(group for group in match.groups() if group is not None) for match in _PARTS.finditer(dotted))


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line (from 1) of each table header and of each key, by its full path."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if match := _ARRAY_TABLE_LINE.match(line):
            table = _split(match.group(1))
        elif match := _TABLE_LINE.match(line):
            table = _split(match.group(1))
            lines.setdefault(table, number)
        elif match := _KEY_LINE.match(line):
            lines.setdefault((*table, *_split(match.group(1))), number)
    return lines


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.base = path.parent
        self.text_lines = text.splitlines()
        self.lines = _key_lines(text)
        self.values: dict[str, FileValue] = {}
        self.problems: list[Problem] = []

    def line_of(self, key: tuple[str, ...]) -> int | None:
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return None

    def line_of_item(self, key: tuple[str, ...], item: Any) -> int | None:
        """The line of `item` in the list at `key`: the first line from the key's on that holds it."""
        start = self.line_of(key)
        if start is None or not isinstance(item, str):
            return start
        for number in range(start, len(self.text_lines) + 1):
            line = self.text_lines[number - 1]
            if f'"{item}"' in line or f"'{item}'" in line:
                return number
        return start

    def walk(self, table: dict[str, Any], path: tuple[str, ...]) -> None:
        section = ".".join(path)
        keys = schema.table(section) if path else None
        for key, value in table.items():
            here = (*path, key)
            if keys is not None and key in keys:
                self.take(keys[key], here, value)
            elif isinstance(value, dict) and schema.table(".".join(here)) is not None:
                self.walk(value, here)
            else:
                self.unknown(path, key, value, keys)

    def unknown(self, path: tuple[str, ...], key: str, value: Any, keys: dict[str, schema.Setting] | None) -> None:
        here = (*path, key)
        line = self.line_of(here)
        if keys is not None and f"{key}_env" in keys:
            self.problems.append(Problem(line, f"`{key}` in [{'.'.join(path)}] would put a credential in the "
                                               f"file: name the environment variable that holds it instead, "
                                               f'`{key}_env = "VARIABLE"`'))
            return
        if not path:
            known = sorted({s.section.split(".")[0] for s in schema.OPERATIONAL.values()} | {"clustering"})
            what = f"unknown table [{key}]" if isinstance(value, dict) else f"`{key}` is outside any table"
            self.problems.append(Problem(line, f"{what}; the tables are {', '.join(f'[{t}]' for t in known)}"))
            return
        candidates = list(keys or ())
        close = difflib.get_close_matches(key, candidates, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        self.problems.append(Problem(line, f"unknown key `{key}` in [{'.'.join(path)}]{hint}"))

    def take(self, setting: schema.Setting, key: tuple[str, ...], value: Any) -> None:
        line = self.line_of(key) or 0
        try:
            if setting.secret:
                if not isinstance(value, str) or not _VARIABLE.match(value):
                    raise ValueError(f"must name an environment variable (e.g. \"ES_API_KEY\"), not {value!r}")
                checked = value
            elif isinstance(value, list):
                checked = self.take_items(setting, key, value)
                if checked is None:
                    return
            else:
                checked = setting.kind.from_file(value, self.base)
        except ValueError as error:
            self.problems.append(Problem(line, f"{'.'.join(key)}: {error}"))
            return
        self.values[setting.name] = FileValue(checked, line)

    def take_items(self, setting: schema.Setting, key: tuple[str, ...], items: list[Any]) -> tuple[Any, ...] | None:
        """A list, each bad item reported on its own line; None when any was bad."""
        kind = setting.kind
        if not isinstance(kind, Texts):
            return kind.from_file(items, self.base)
        good, bad = [], False
        for item in items:
            try:
                good.append(kind.item.from_file(item, self.base))
            except ValueError as error:
                self.problems.append(Problem(self.line_of_item(key, item), f"{'.'.join(key)}: {error}"))
                bad = True
        return None if bad else tuple(good)


def read_config_file(path: Path) -> ConfigFile:
    """The file's settings and its problems; a file that cannot be read or parsed has only problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return ConfigFile(path, {}, (Problem(None, f"cannot be read: {error}"),))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _SYNTAX_LINE.search(str(error))
        message = _SYNTAX_LINE.sub("", str(error)).strip()
        return ConfigFile(path, {}, (Problem(int(found.group(1)) if found else None, f"not valid TOML: {message}"),))
    reader = _Reader(path, text)
    reader.walk(data, ())
    problems = sorted(reader.problems, key=lambda p: p.line or 0)
    return ConfigFile(path, reader.values, tuple(problems))
