"""`newsbeam config`: the effective settings and where each came from; checking a file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newsbeam.cli.options import CONFIG_PATH_KEY, configuration
from newsbeam.config import CONFIG_ENV, DEFAULT_FILE, Configuration, read_config_file
from newsbeam.config.resolve import chosen_file


@click.group("config")
def command() -> None:
    """Show the effective settings, or check a configuration file.

    \b
    Every setting has one name (its place in newsbeam.toml, e.g. run.poll_interval)
    and one precedence: a command's flag, else its NEWSBEAM_* environment variable,
    else the configuration file (--config FILE, else $NEWSBEAM_CONFIG, else ./newsbeam.toml), else the default.
    Credentials are never in the file: it names the environment variable that holds them
    (api_key_env = "ES_API_KEY").
    """


@command.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: name → {value, origin}.")
def show(as_json: bool) -> None:
    """Print every setting, its value (secrets masked) and where it came from."""
    config = configuration()
    rows = config.all()
    if as_json:
        click.echo(json.dumps({r.setting.name: {"value": r.shown(), "origin": r.origin} for r in rows}, indent=2))
        return
    click.echo(f"configuration file: {config.path or f'none (no --config, no ${CONFIG_ENV}, no ./{DEFAULT_FILE})'}\n")
    width = max(len(r.setting.name) for r in rows) + 2
    for row in rows:
        click.echo(f"{row.setting.name:<{width}}{row.shown():<40} {row.origin}")


@command.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def check(ctx: click.Context, file: Path | None) -> None:
    """Check FILE (default: --config, else $NEWSBEAM_CONFIG, else ./newsbeam.toml) and report every problem with its line.

    Exits 1 when there is any problem. Unknown tables and keys, values of the
    wrong type, URLs that are not http(s), feed list files that do not exist and
    credentials written into the file are problems, and so are Kafka brokers that
    no setting (flag, environment or file) gives a topic; a credential variable the
    file names but this environment does not set is only noted.
    """
    path = file or chosen_file(ctx.meta.get(CONFIG_PATH_KEY)) or Path(DEFAULT_FILE)
    if not path.is_file():
        raise click.ClickException(f"{path}: no such configuration file")
    parsed = read_config_file(path.absolute())
    for problem in parsed.problems:
        click.echo(problem.render(path))
    if parsed.problems:
        raise click.ClickException(f"{path}: {len(parsed.problems)} problem(s)")
    config = Configuration(parsed)
    if missing := config.kafka_topic_missing():
        click.echo(missing)
        raise click.ClickException(f"{path}: 1 problem(s)")
    for row in config.all():
        if row.unset_variable:
            click.echo(f"note: {row.setting.name} comes from {row.origin}, which is not set here", err=True)
    click.echo(f"{path}: no problems ({len(parsed.values)} setting(s))")
