"""Entry point: `newsbeam COMMAND`. Subcommands are the modules of this package."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

import newsbeam
from newsbeam import cli as cli_package
from newsbeam.cli.options import CONFIG_PATH_KEY, configuration
from newsbeam.config import CONFIG_ENV, DEFAULT_FILE, ConfigError
from newsbeam.config.schema import LOG_FORMATS
from newsbeam.connectors.sinks.base import BackendUnavailable, IndexLayoutMismatch
from newsbeam.connectors.sinks.select import MissingExtra

_NOT_COMMANDS = {"main", "options", "output"}
_ES_URL_FIX = ("check that an Elasticsearch node answers at the URL given by --es-url, NEWSBEAM_ES_URL or "
               "elasticsearch.url (`newsbeam config show` says which)")


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line (time, level, logger, message, and the traceback if any), for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (a test runner swaps it per command)."""

    newsbeam = True  # marks the handler `_configure_logging` installed

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _log_format(flag: str | None) -> str:
    """The `log.format` setting, from the invocation's configuration, which the command then uses too
    (read once); a file that cannot be read leaves it to the command to say why."""
    try:
        return configuration().value("log.format", flag)
    except ConfigError:
        return flag or "text"


def _configure_logging(verbose: int, log_format: str) -> None:
    # Beam and its optional GCP imports are chatty at WARNING; a user wants our
    # own messages, and theirs only when asking for detail with -v.
    level = logging.WARNING if verbose else logging.ERROR
    root = logging.getLogger()
    root.setLevel(level)
    # One handler of ours, replaced when a process runs several commands (tests); others' stay.
    for old in [h for h in root.handlers if getattr(h, "newsbeam", False)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(JsonLogFormatter() if log_format == "json"
                         else logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    logging.getLogger("newsbeam").setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    # Beam logs the traceback of every failing step before it raises the failure; the
    # command reports it itself (what to do about an unavailable index, or the traceback
    # of an unexpected error), so Beam's copy shows only with -v.
    logging.getLogger("apache_beam.runners.common").setLevel(level if verbose else logging.CRITICAL)


class _Commands(click.Group):
    """The command group; a setting that cannot be used, or an index that cannot be reached,
    ends any command with its message and what to do, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, MissingExtra, IndexLayoutMismatch) as error:
            raise click.ClickException(str(error)) from None
        except BackendUnavailable as error:
            fix = _ES_URL_FIX if _from_elasticsearch_client(error.__cause__) else "re-run the command once it can be reached"
            raise click.ClickException(f"the index is unavailable: {error}; {fix}") from None
        except Exception as error:
            refusal = _not_an_elasticsearch_answer(error)
            if refusal is None:
                raise
            raise click.ClickException(f"the server refused the request (HTTP {refusal.meta.status}, "  # type: ignore[attr-defined]
                                       f"{type(refusal).__name__}); {_ES_URL_FIX}, and that the credentials are its") from None


def _from_elasticsearch_client(error: BaseException | None) -> bool:
    """Whether `error` is one the Elasticsearch client raised (an answer it could not use, or no answer)."""
    return error is not None and type(error).__module__.split(".")[0] in ("elasticsearch", "elastic_transport")


#: Answers that say the URL is not an Elasticsearch node the credentials open (another server,
#: a proxy's path, a wrong key), rather than that a request of newsbeam's is wrong.
_WRONG_NODE_STATUSES = frozenset({401, 403, 404, 405, 501})


def _not_an_elasticsearch_answer(error: BaseException | None) -> BaseException | None:
    """The client's error in `error`'s chain saying the URL is no Elasticsearch node (Beam wraps
    the errors of `ingest`'s steps in its own), or None."""
    while error is not None:
        status = getattr(getattr(error, "meta", None), "status", None)
        if _from_elasticsearch_client(error) and (
                status in _WRONG_NODE_STATUSES or type(error).__name__ == "UnsupportedProductError"):
            return error
        error = error.__cause__ or error.__context__
    return None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(newsbeam.__version__, prog_name="newsbeam")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help=f"Configuration file [env {CONFIG_ENV}; default ./{DEFAULT_FILE} when there is one].")
@click.option("--log-format", type=click.Choice(LOG_FORMATS),
              help="Log lines as text, or as one JSON object each [env NEWSBEAM_LOG_FORMAT; file log.format; "
              "default text].")
@click.pass_context
def main(ctx: click.Context, verbose: int, config_path: Path | None, log_format: str | None) -> None:
    """newsbeam pulls news stories, drops duplicates, groups the rest into events
    (one real-world happening covered by many outlets) and searches those events.

    \b
    Try it:
      newsbeam demo                              ingest the bundled sample and search it
      newsbeam ingest articles.jsonl             index your own articles
      newsbeam search "central bank rates"       find events
      newsbeam cluster in.jsonl -o out.jsonl     dedup + cluster a file, no index

    The index is embedded (SQLite, no server) in --data-dir, default
    $NEWSBEAM_DATA_DIR, else $XDG_DATA_HOME/newsbeam or ~/.local/share/newsbeam.
    Settings come from a command's flags, else NEWSBEAM_* environment variables,
    else the configuration file (./newsbeam.toml or --config FILE), else the
    defaults: `newsbeam config show` lists them. Run `newsbeam COMMAND --help` for each command's options.
    """
    ctx.meta[CONFIG_PATH_KEY] = config_path
    _configure_logging(verbose, _log_format(log_format))


for _module in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
    if _module.name not in _NOT_COMMANDS:
        main.add_command(importlib.import_module(f"newsbeam.cli.{_module.name}").command)
