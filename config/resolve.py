"""The one place a setting's value is decided: flag, else environment, else file, else default.

Each answer remembers where it came from, so `newsbeam config show` can say why
a run used the folder or the cluster it did.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbeam.config import schema
from newsbeam.config.file import ConfigFile, Problem, read_config_file

#: The file read when no --config is given, looked for in the working directory.
DEFAULT_FILE = "newsbeam.toml"
CONFIG_ENV = "NEWSBEAM_CONFIG"
MASK = "********"


class ConfigError(ValueError):
    """The configuration cannot be used; the message lists every reason, one a line."""


@dataclass(frozen=True, slots=True)
class Resolved:
    setting: schema.Setting
    value: Any
    #: `--data-dir`, `$NEWSBEAM_DATA_DIR`, `newsbeam.toml:4` (a secret's: `newsbeam.toml:4 via $VAR`) or `default`.
    origin: str
    #: The variable the file names for this secret, when it is not set.
    unset_variable: str | None = None

    def shown(self) -> str:
        """The value for a person to read: secrets masked."""
        if self.unset_variable:
            return f"(${self.unset_variable} is not set)"
        if self.value is None:
            return "(not set)"
        return MASK if self.setting.secret else self.setting.kind.show(self.value)


def chosen_file(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The configuration file: `path` (--config), else `$NEWSBEAM_CONFIG`, else ./newsbeam.toml when there is one.

    The one place the file is chosen: the commands, `config check`, the search server's
    worker processes and the runner cache all come here.
    """
    if path is not None:
        return path
    if named := (os.environ if environ is None else environ).get(CONFIG_ENV):
        return Path(named)
    candidate = Path(DEFAULT_FILE)
    return candidate if candidate.is_file() else None


class Configuration:
    """Settings from one configuration file (or none) and an environment."""

    def __init__(self, file: ConfigFile | None = None, environ: Mapping[str, str] | None = None) -> None:
        if file is not None and file.problems:
            listed = "\n".join(problem.render(file.path) for problem in file.problems)
            raise ConfigError(f"{file.path} has {len(file.problems)} problem(s):\n{listed}")
        self.file = file
        self.environ = os.environ if environ is None else environ

    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Configuration:
        """The configuration of the file `chosen_file` picks, or of no file."""
        path = chosen_file(path, environ)
        if path is None:
            return cls(None, environ)
        if not path.is_file():
            raise ConfigError(f"{path}: no such configuration file")
        return cls(read_config_file(path.absolute()), environ)

    @property
    def path(self) -> Path | None:
        return self.file.path if self.file else None

    def resolve(self, name: str, flag: Any = None) -> Resolved:
        """The value of setting `name`; `flag` is the command line's value, None when not given."""
        setting = schema.setting(name)
        if flag is not None and flag != ():
            return Resolved(setting, flag, setting.flag or "command line")
        for variable in (setting.env, *setting.deprecated_env):
            if variable is None or not (text := self.environ.get(variable)):
                continue
            if variable != setting.env:
                warnings.warn(f"${variable} is deprecated: set ${setting.env} instead", FutureWarning, stacklevel=2)
            try:
                return Resolved(setting, setting.kind.from_text(text), f"${variable}")
            except ValueError as error:
                raise ConfigError(f"${variable}: {error}") from None
        if self.file is not None and (found := self.file.values.get(name)) is not None:
            where = f"{self.file.path}:{found.line}"
            if setting.secret:
                secret = self.environ.get(found.value) or None
                return Resolved(setting, secret, f"{where} via ${found.value}", None if secret else found.value)
            return Resolved(setting, found.value, where)
        return Resolved(setting, setting.default_value(), "default")

    def value(self, name: str, flag: Any = None) -> Any:
        return self.resolve(name, flag).value

    def require(self, name: str) -> Any:
        """A value that must be there because something else asks for it (a credential the file names)."""
        resolved = self.resolve(name)
        if resolved.unset_variable:
            raise ConfigError(f"{name}: {resolved.origin}, which is not set")
        return resolved.value

    def kafka_topic_missing(self, brokers: tuple[str, ...] | None = None, topic: str | None = None) -> str | None:
        """Why the Kafka settings leave `run` nothing to read, None when they do not: brokers with no topic.

        Decided on the merged settings (flags `brokers` and `topic`, else the environment,
        else the file), so a file may name the brokers while $NEWSBEAM_KAFKA_TOPIC or
        --topic names the topic. When the brokers come from the file, the message names
        their line, as the file's own problems do.
        """
        servers = self.resolve("kafka.brokers", brokers or None)
        if not servers.value or self.value("kafka.topic", topic):
            return None
        found = self.file.values.get("kafka.brokers") if self.file else None
        if self.file is not None and found is not None and servers.origin == f"{self.file.path}:{found.line}":
            return Problem(found.line, "kafka.brokers: name the topic to read there, `topic = \"NAME\"` in [kafka], "
                                       "$NEWSBEAM_KAFKA_TOPIC or --topic").render(self.file.path)
        return f"Kafka brokers from {servers.origin} but no topic: give --topic, $NEWSBEAM_KAFKA_TOPIC or kafka.topic"

    def all(self) -> list[Resolved]:
        """Every setting, in the order of the schema."""
        return [self.resolve(setting.name) for setting in schema.all_settings()]
