"""One configuration file: each setting decided flag > environment > file > default, with its origin;
`newsbeam config check` reports every mistake of a file with its line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from newsbeam.cli.main import main
from newsbeam.config import ConfigError, Configuration, read_config_file
from newsbeam.config.build import assign_config, backend_settings, fetch_settings, runner_settings

SAMPLE_CONFIG = Path(__file__).parents[1] / "samples" / "newsbeam.toml"
VARIABLES = ("NEWSBEAM_CONFIG", "NEWSBEAM_DATA_DIR", "NEWSBEAM_POLL_INTERVAL", "NEWSBEAM_ES_URL", "NEWSBEAM_CACHE_DIR",
             "NEWSBEAM_CACHE", "NEWSBEAM_USER_AGENT", "NEWSBEAM_ES_API_KEY", "NEWSBEAM_KAFKA_BROKERS",
             "NEWSBEAM_KAFKA_TOPIC", "NEWSBEAM_KAFKA_GROUP", "NEWSBEAM_WARM_START")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No NEWSBEAM_* variable of the machine, and a working folder without a newsbeam.toml."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("given", ["flag", "environment", "file", "default"])
def test_a_setting_comes_from_the_flag_else_the_environment_else_the_file_else_the_default(tmp_path, given):
    write(tmp_path / "newsbeam.toml", f'[index]\ndata_dir = "{tmp_path / "from-file"}"\n')
    if given == "default":
        (tmp_path / "newsbeam.toml").unlink()
    env = {"NEWSBEAM_DATA_DIR": str(tmp_path / "from-env")} if given in ("flag", "environment") else {}
    flag = ["--data-dir", str(tmp_path / "from-flag")] if given == "flag" else []
    expected = {"flag": tmp_path / "from-flag", "environment": tmp_path / "from-env",
                "file": tmp_path / "from-file", "default": tmp_path / "xdg-data" / "newsbeam"}[given]
    # `status` refuses a folder without an index and names the folder it looked in.
    result = CliRunner().invoke(main, ["status", *flag], env=env)
    assert result.exit_code == 1
    assert f"no index in {expected} " in result.output


def test_each_value_remembers_where_it_came_from(tmp_path):
    config_file = write(tmp_path / "settings.toml", "[run]\npoll_interval = 120\nconcurrent_feeds = 3\n\n"
                                                    "[runner]\nname = \"flink\"\n")
    config = Configuration.load(config_file, environ={"NEWSBEAM_POLL_INTERVAL": "90", "NEWSBEAM_RUNNER": "spark"})
    assert (config.resolve("run.poll_interval", 30.0).value, config.resolve("run.poll_interval", 30.0).origin) == (
        30.0, "--poll-interval")
    assert (config.resolve("run.poll_interval").value, config.resolve("run.poll_interval").origin) == (
        90.0, "$NEWSBEAM_POLL_INTERVAL")
    assert (config.resolve("run.concurrent_feeds").value, config.resolve("run.concurrent_feeds").origin) == (
        3, f"{config_file.absolute()}:3")
    assert (config.resolve("run.metrics_interval").value, config.resolve("run.metrics_interval").origin) == (
        30.0, "default")
    assert runner_settings(config).runner == "spark"
    assert runner_settings(config, "direct").runner == "direct"


def test_config_show_lists_every_setting_with_its_origin_and_masks_secrets(tmp_path):
    write(tmp_path / "newsbeam.toml", '[elasticsearch]\nurl = "https://es.example.org:9200"\n'
                                      'api_key_env = "MY_ES_KEY"\nindex_prefix = "news"\n')
    result = cli("config", "show", "--json", env={"MY_ES_KEY": "s3cr3t-key", "NEWSBEAM_ES_URL": "http://10.0.0.9:9200"})
    shown = json.loads(result.output)
    assert "s3cr3t-key" not in result.output
    assert shown["elasticsearch.api_key"] == {"value": "********",
                                              "origin": f"{tmp_path / 'newsbeam.toml'}:3 via $MY_ES_KEY"}
    assert shown["elasticsearch.url"] == {"value": "http://10.0.0.9:9200", "origin": "$NEWSBEAM_ES_URL"}
    assert shown["elasticsearch.index_prefix"]["origin"] == f"{tmp_path / 'newsbeam.toml'}:4"
    assert shown["run.poll_interval"] == {"value": "60.0", "origin": "default"}
    assert "clustering.threshold" in shown and "clustering.features.num_perm" in shown


def test_credentials_are_taken_from_the_variable_the_file_names(tmp_path, monkeypatch):
    config_file = write(tmp_path / "c.toml", '[elasticsearch]\nurl = "https://es.example.org"\n'
                                             'username = "ingest"\npassword_env = "ES_PASSWORD"\n')
    monkeypatch.setenv("ES_PASSWORD", "pw")
    settings = backend_settings(Configuration.load(config_file))
    assert (settings.es_url, settings.es_username, settings.es_password) == ("https://es.example.org", "ingest", "pw")
    monkeypatch.delenv("ES_PASSWORD")
    result = cli("--config", str(config_file), "search", "x")
    assert result.exit_code == 1 and "ES_PASSWORD, which is not set" in result.output


def test_config_check_reports_every_mistake_with_its_line(tmp_path):
    bad = write(tmp_path / "bad.toml", "\n".join([
        "[sources]",                        # 1
        "feeds = [",                        # 2
        '  "https://example.com/rss",',     # 3
        '  "ftp://example.com/feed",',      # 4  not an http(s) URL
        "]",                                # 5
        "",                                 # 6
        "[run]",                            # 7
        "pol_interval = 30",                # 8  unknown key
        'concurrent_feeds = "eight"',       # 9  wrong type
        "",
    ]))
    result = CliRunner().invoke(main, ["config", "check", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(f"{bad}:")]
    assert [line.split(":")[1] for line in lines] == ["4", "8", "9"]
    assert "not an http:// or https:// URL" in lines[0]
    assert "unknown key `pol_interval` in [run] (did you mean `poll_interval`?)" in lines[1]
    assert "run.concurrent_feeds: must be a whole number" in lines[2]
    assert "3 problem(s)" in result.output


def test_a_command_refuses_a_file_with_problems_and_lists_them(tmp_path):
    write(tmp_path / "newsbeam.toml", '[index]\ndata_dir = 7\n\n[elasticsearch]\napi_key = "leaked"\n')
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    assert "newsbeam.toml:2: index.data_dir: must be a string" in result.output
    assert "newsbeam.toml:5: `api_key` in [elasticsearch] would put a credential in the file" in result.output


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    broken = write(tmp_path / "broken.toml", '[run]\npoll_interval = 30\n[runner\nname = "prism"\n')
    problems = read_config_file(broken).problems
    assert len(problems) == 1 and problems[0].line == 3 and "not valid TOML" in problems[0].message


def test_the_sample_configuration_is_valid_and_reaches_the_settings_it_names():
    assert read_config_file(SAMPLE_CONFIG).problems == ()
    config = Configuration.load(SAMPLE_CONFIG)
    assert config.value("sources.feeds") == (str(SAMPLE_CONFIG.parent / "feeds.txt"),)
    assert fetch_settings(config).host_intervals == (("feeds.bbci.co.uk", 2.0),)
    assert config.value("run.poll_interval") == 300.0


def test_clustering_settings_reach_the_assign_config(tmp_path):
    config_file = write(tmp_path / "c.toml", "[clustering]\nthreshold = 0.35\ndedup_horizon_days = 2\n\n"
                                             "[clustering.features]\ntitle_weight = 2.5\n")
    assign = assign_config(Configuration.load(config_file))
    assert (assign.cluster.threshold, assign.dedup_horizon_days, assign.features.title_weight) == (0.35, 2.0, 2.5)
    assert assign.cluster.merge_threshold == 0.4


def test_the_old_cache_variable_still_works_with_a_warning(tmp_path):
    with pytest.warns(FutureWarning, match=r"\$NEWSBEAM_CACHE is deprecated: set \$NEWSBEAM_CACHE_DIR"):
        value = Configuration(environ={"NEWSBEAM_CACHE": str(tmp_path / "old")}).value("runner.cache_dir")
    assert value == tmp_path / "old"
    both = {"NEWSBEAM_CACHE": str(tmp_path / "old"), "NEWSBEAM_CACHE_DIR": str(tmp_path / "new")}
    assert Configuration(environ=both).value("runner.cache_dir") == tmp_path / "new"


def test_a_bad_environment_value_names_its_variable():
    result = CliRunner().invoke(main, ["run", "--feeds", "https://example.org/rss"],
                                env={"NEWSBEAM_POLL_INTERVAL": "soon"})
    assert result.exit_code == 1
    assert "$NEWSBEAM_POLL_INTERVAL: must be a number ≥ 0.5, not 'soon'" in result.output


def test_the_configuration_docs_list_every_setting_and_show_the_sample_file():
    from newsbeam.config.schema import OPERATIONAL

    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for setting in OPERATIONAL.values():
        assert f"`{setting.name}`" in docs, setting.name
        assert setting.env is None or f"`{setting.env}`" in docs, setting.env
    assert SAMPLE_CONFIG.read_text(encoding="utf-8") in docs


def test_the_files_clustering_settings_reach_newsbeam_cluster(tmp_path):
    from support import REFERENCE_EVENT

    def events(*config: str) -> int:
        out = tmp_path / "out.jsonl"
        result = cli(*config, "cluster", str(REFERENCE_EVENT), "-o", str(out), "--workers", "1")
        assert result.exit_code == 0, result.output
        return len({json.loads(line)["event_id"] for line in out.read_text().splitlines()})

    assert events() == 1
    strict = write(tmp_path / "strict.toml", "[clustering]\nthreshold = 10.0\nmerge_threshold = 10.0\n")
    assert events("--config", str(strict)) == 3


def test_sources_on_the_command_line_replace_the_files(tmp_path):
    from newsbeam.cli.options import WebOptions

    write(tmp_path / "newsbeam.toml", '[sources]\nfeeds = ["https://a.example/rss"]\n'
                                      'sitemaps = ["https://a.example/sitemap.xml"]\n')

    @click.command()
    @click.option("--feeds", multiple=True)
    @click.option("--named", is_flag=True)
    def specs(feeds: tuple[str, ...], named: bool) -> None:
        click.echo(" ".join(WebOptions.from_cli(feeds, named_sources=named).specs))

    runner = CliRunner()
    assert runner.invoke(specs, []).output.split() == ["feed:https://a.example/rss", "sitemap:https://a.example/sitemap.xml"]
    assert runner.invoke(specs, ["--feeds", "https://b.example/rss"]).output.split() == ["feed:https://b.example/rss"]
    assert runner.invoke(specs, ["--named"]).output.split() == []


def test_the_file_is_chosen_in_one_place_config_flag_then_environment_then_working_folder(tmp_path, monkeypatch):
    from newsbeam.pipelines import runner_cache

    write(tmp_path / "newsbeam.toml", f'[runner]\ncache_dir = "{tmp_path / "from-working-folder"}"\n')
    named = write(tmp_path / "named.toml", f'[runner]\ncache_dir = "{tmp_path / "from-variable"}"\n')
    flagged = write(tmp_path / "flagged.toml", f'[runner]\ncache_dir = "{tmp_path / "from-flag"}"\n')
    assert runner_cache.cache_dir() == tmp_path / "from-working-folder"
    monkeypatch.setenv("NEWSBEAM_CONFIG", str(named))
    # The runner cache, the search server's workers (Configuration.load()) and the commands agree.
    assert runner_cache.cache_dir() == tmp_path / "from-variable"
    assert Configuration.load().path == named
    assert f"configuration file: {named}\n" in cli("config", "show").output
    assert f"{named}: no problems" in cli("config", "check").output
    assert f"configuration file: {flagged}\n" in cli("--config", str(flagged), "config", "show").output


def test_a_command_reads_the_configuration_file_once(tmp_path, monkeypatch):
    """The group reads `log.format` from the configuration the command then uses, not a second reading."""
    from newsbeam.config import resolve

    config = write(tmp_path / "once.toml", '[log]\nformat = "text"\n[run]\npoll_interval = 90\n')
    reads: list[Path] = []
    monkeypatch.setattr(resolve, "read_config_file", lambda path: reads.append(path) or read_config_file(path))
    shown = json.loads(cli("--config", str(config), "config", "show", "--json").output)
    assert shown["run.poll_interval"]["origin"] == f"{config}:4"
    assert reads == [config]


@pytest.mark.parametrize("given", ["flag", "environment", "file"])
def test_log_lines_are_json_objects_when_asked(tmp_path, capsys, given):
    import logging

    config = write(tmp_path / "logs.toml", '[log]\nformat = "json"\n')
    args = {"flag": ["--log-format", "json"], "environment": [], "file": ["--config", str(config)]}[given]
    env = {"NEWSBEAM_LOG_FORMAT": "json"} if given == "environment" else None
    assert cli(*args, "config", "show", env=env).exit_code == 0
    try:
        logging.getLogger("newsbeam.test").warning("feed %s failed", "https://example.org/rss")
        [line] = [line for line in capsys.readouterr().err.splitlines() if "feed " in line]
        entry = json.loads(line)
        assert entry["level"] == "WARNING" and entry["logger"] == "newsbeam.test"
        assert entry["message"] == "feed https://example.org/rss failed" and entry["time"].endswith("+00:00")
    finally:
        assert cli("config", "show").exit_code == 0  # text again for the tests that follow
    logging.getLogger("newsbeam.test").warning("plain")
    assert "WARNING newsbeam.test: plain" in capsys.readouterr().err


def test_a_metrics_port_in_use_stops_run_with_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["run", "--feeds", "https://example.org/rss", "--data-dir",
                                           str(tmp_path / "data"), "--metrics-port", str(port)])
    assert result.exit_code == 1
    assert f"Error: cannot serve metrics on 127.0.0.1:{port}: Address already in use (choose another --metrics-port)" \
        in result.output


KAFKA_VARIABLES = {"NEWSBEAM_KAFKA_BROKERS": "env-a:9092,env-b:9093", "NEWSBEAM_KAFKA_TOPIC": "env-topic",
                   "NEWSBEAM_KAFKA_GROUP": "env-group"}


@pytest.mark.parametrize("given", ["flag", "environment", "file", "default"])
def test_kafka_settings_come_from_the_flag_else_the_environment_else_the_file_else_the_default(tmp_path, given):
    from newsbeam.config.build import kafka_source

    config_file = write(tmp_path / "k.toml", '[kafka]\nbrokers = ["file-a:9092", "file-b:9092"]\ntopic = "file-topic"\n'
                                             'group = "file-group"\n')
    config = Configuration.load(config_file if given != "default" else None,
                                environ=KAFKA_VARIABLES if given in ("flag", "environment") else {})
    flags = (("flag-a:1",), "flag-topic", "flag-group") if given == "flag" else (None, None, None)
    source = kafka_source(config, *flags)
    expected = {"flag": ("flag-a:1", "flag-topic", "flag-group"),
                "environment": ("env-a:9092,env-b:9093", "env-topic", "env-group"),
                "file": ("file-a:9092,file-b:9092", "file-topic", "file-group"), "default": None}[given]
    assert (source and (source.brokers, source.topic, source.group)) == expected
    origins = {"flag": "--kafka", "environment": "$NEWSBEAM_KAFKA_BROKERS", "file": f"{config_file}:2",
               "default": "default"}
    assert config.resolve("kafka.brokers", flags[0]).origin == origins[given]


def test_config_show_and_check_cover_the_kafka_settings(tmp_path):
    good = write(tmp_path / "newsbeam.toml", '[kafka]\nbrokers = "k1.example:9092, k2.example:9092"\n'
                                             'topic = "wire.items"\n')
    shown = json.loads(cli("config", "show", "--json").output)
    assert shown["kafka.brokers"] == {"value": "k1.example:9092, k2.example:9092", "origin": f"{good}:2"}
    assert shown["kafka.topic"] == {"value": "wire.items", "origin": f"{good}:3"}
    assert shown["kafka.group"] == {"value": "newsbeam", "origin": "default"}
    assert cli("config", "check").exit_code == 0

    bad = write(tmp_path / "bad.toml", '[kafka]\nbrokers = ["k1.example:9092",\n  "k2.example"]\n'
                                       'topic = "wire items"\ngroop = "g"\n')
    result = cli("config", "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:3: kafka.brokers: 'k2.example' is not a host:port address" in result.output
    assert f"{bad}:4: kafka.topic: 'wire items' is not a Kafka topic name" in result.output
    assert f"{bad}:5: unknown key `groop` in [kafka] (did you mean `group`?)" in result.output
    alone = write(tmp_path / "alone.toml", '[kafka]\nbrokers = ["k1.example:9092"]\n')
    result = cli("config", "check", str(alone))
    assert result.exit_code == 1
    assert f"{alone}:2: kafka.brokers: name the topic to read there" in result.output


def test_brokers_in_the_file_take_their_topic_from_the_environment_or_a_flag(tmp_path):
    from newsbeam.config.build import kafka_source

    brokers = write(tmp_path / "brokers.toml", '[kafka]\nbrokers = ["k1.example:9092"]\n')
    assert read_config_file(brokers).problems == ()
    from_env = kafka_source(Configuration.load(brokers, environ={"NEWSBEAM_KAFKA_TOPIC": "env-topic"}))
    assert (from_env.brokers, from_env.topic) == ("k1.example:9092", "env-topic")
    from_flag = kafka_source(Configuration.load(brokers, environ={}), topic="flag-topic")
    assert (from_flag.brokers, from_flag.topic) == ("k1.example:9092", "flag-topic")
    with pytest.raises(ConfigError) as refused:
        kafka_source(Configuration.load(brokers, environ={}))
    assert f"{brokers}:2: kafka.brokers: name the topic to read there" in str(refused.value)
    result = cli("config", "check", str(brokers), env={"NEWSBEAM_KAFKA_TOPIC": "env-topic"})
    assert result.exit_code == 0 and f"{brokers}: no problems (1 setting(s))" in result.output
    # Brokers from the environment with no topic anywhere: named by their variable, not a file line.
    result = CliRunner().invoke(main, ["config", "check", str(write(tmp_path / "empty.toml", ""))],
                                env={"NEWSBEAM_KAFKA_BROKERS": "k2.example:9092"})
    assert result.exit_code == 1
    assert "Kafka brokers from $NEWSBEAM_KAFKA_BROKERS but no topic" in result.output


def test_the_samples_kafka_table_is_valid_once_uncommented(tmp_path):
    from newsbeam.config.build import kafka_source

    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    block = text[text.index("# [kafka]"):text.index("\n\n", text.index("# [kafka]"))]
    enabled = write(tmp_path / "newsbeam.toml", text.replace(block, block.replace("# ", "")))
    (tmp_path / "feeds.txt").write_text("https://example.org/rss\n")
    assert read_config_file(enabled).problems == ()
    source = kafka_source(Configuration.load(enabled))
    assert (source.brokers, source.topic, source.group) == ("127.0.0.1:9092", "wire", "newsbeam")


def test_run_names_what_is_missing_for_kafka_before_it_starts(tmp_path):
    data = ["--data-dir", str(tmp_path / "data")]
    result = CliRunner().invoke(main, ["run", "--kafka", "127.0.0.1:9092", *data])
    assert result.exit_code == 1
    assert "Kafka brokers from --kafka but no topic: give --topic, $NEWSBEAM_KAFKA_TOPIC or kafka.topic" in result.output
    result = CliRunner().invoke(main, ["run", "--kafka", "127.0.0.1", "--topic", "t", *data])
    assert result.exit_code == 2 and "'127.0.0.1' is not a host:port address" in result.output
    # Sources on the command line replace the configured ones: --feeds reads no configured topic.
    write(tmp_path / "newsbeam.toml", '[kafka]\nbrokers = ["127.0.0.1:9092"]\ntopic = "wire"\n')
    result = CliRunner().invoke(main, ["run", "--feeds", "https://example.org/rss", "--topic", "other", *data])
    assert result.exit_code == 2 and "--topic names a Kafka topic: give its brokers too" in result.output


def test_warm_start_is_a_switch_from_the_flag_the_environment_or_the_file(tmp_path):
    config_file = write(tmp_path / "w.toml", "[run]\nwarm_start = false\n")
    assert Configuration.load(None, environ={}).value("run.warm_start") is True
    assert Configuration.load(config_file, environ={}).value("run.warm_start") is False
    assert Configuration.load(config_file, environ={"NEWSBEAM_WARM_START": "on"}).value("run.warm_start") is True
    assert Configuration.load(config_file, environ={"NEWSBEAM_WARM_START": "on"}).value("run.warm_start", False) is False
    bad = write(tmp_path / "bad.toml", '[run]\nwarm_start = "sometimes"\n')
    result = CliRunner().invoke(main, ["config", "check", str(bad)])
    assert result.exit_code == 1 and "must be true or false" in result.output and ":2" in result.output
    result = CliRunner().invoke(main, ["run", "--feeds", "https://example.org/rss"],
                                env={"NEWSBEAM_WARM_START": "maybe"})
    assert result.exit_code == 1 and "$NEWSBEAM_WARM_START: must be true or false" in result.output
