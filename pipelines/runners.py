"""Pipeline options for each runner `newsbeam` supports, with locally cached engines.

`--runner prism|flink|direct|dataflow|spark` maps here to Beam options. The local
engines (Prism, Flink's job server) come from `runner_cache`; the SDK harness runs
in LOOPBACK mode, inside this process, so no Docker is needed and the workers see
the same installed `newsbeam` as the driver.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from newsbeam.config.schema import RUNNERS
from newsbeam.pipelines import runner_cache

#: Seconds the SDK keeps reading a portable job's state and message streams. Beam uses
#: its job-server timeout (300 s by default) as their gRPC deadline, so a streaming job
#: that ran longer died with DEADLINE_EXCEEDED; a stream runs until it is stopped.
STREAM_JOB_TIMEOUT = 10 * 365 * 86400


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """Which engine runs a pipeline and where; turned into Beam options by `runner_session`."""

    runner: str = "prism"
    streaming: bool = False
    #: Flink: `[local]` starts an embedded Flink in the job server; `host:port` submits to a cluster.
    flink_master: str = "[local]"
    #: Spark: the master URL given to Beam's Spark job server.
    spark_master: str = "local[2]"
    #: Passed through verbatim (e.g. `--project`, `--region`, `--temp_location` for Dataflow).
    extra_args: tuple[str, ...] = field(default_factory=tuple)
    #: Where the local engines are kept (None: `runner_cache.cache_dir()`).
    cache_dir: Path | None = None
    #: Prism's release zip (None: Beam's GitHub release); see `runner_cache.prism_binary`.
    prism_release_url: str | None = None

    def __post_init__(self) -> None:
        if self.runner not in RUNNERS:
            raise ValueError(f"unknown runner {self.runner!r}; choose one of {', '.join(RUNNERS)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise runner_cache.RunnerSetupError(
                f"the Flink job server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise runner_cache.RunnerSetupError(f"the Flink job server did not listen on {port} within {timeout:.0f}s")


@contextlib.contextmanager
def flink_job_server(flink_master: str = "[local]", startup_timeout: float = 120.0,
                     cache: Path | None = None) -> Iterator[str]:
    """Run Beam's Flink job server for the duration of the block; yields its job endpoint.

    We start it ourselves rather than through the SDK's FlinkRunner because the SDK
    insists on a single shaded jar, while we run it from a Maven-resolved classpath.
    """
    classpath = runner_cache.flink_job_server_classpath(cache=cache)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="newsbeam-flink-") as work:
        log = Path(work) / "job-server.log"
        cmd = [
            runner_cache.java_binary(),
            "-cp",
            classpath,
            runner_cache.FLINK_JOB_SERVER_MAIN,
            f"--flink-master={flink_master}",
            f"--job-port={port}",
            "--artifact-port=0",
            "--expansion-port=0",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, cwd=work)
        try:
            _wait_for_port(port, process, startup_timeout, log)
            yield f"localhost:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def runner_session(settings: RunnerSettings) -> Iterator[PipelineOptions]:
    """Beam options for `settings`, with whatever local engine they need kept running.

    A context manager because Flink's job server must outlive the pipeline; Prism
    is started (and stopped) by the SDK itself from the cached binary.
    """
    args = ["--streaming", f"--job_server_timeout={STREAM_JOB_TIMEOUT}"] if settings.streaming else []
    args.extend(settings.extra_args)
    if settings.runner == "direct":
        # The Python direct runner has no streaming state and timers; the in-process
        # FnApiRunner does, for batch. Streaming on a laptop belongs on Prism.
        yield PipelineOptions(["--runner=DirectRunner", *args])
    elif settings.runner == "prism":
        prism = runner_cache.prism_binary(cache=settings.cache_dir, release_url=settings.prism_release_url)
        yield PipelineOptions(
            [
                "--runner=PrismRunner",
                f"--prism_location={prism}",
                "--environment_type=LOOPBACK",
                "--prism_log_level=error",
                # Our own Prism per run: the SDK otherwise keeps one process-wide job
                # server, which later DirectRunner pipelines in the process would
                # silently reuse (the DirectRunner prefers a live Prism).
                "--experiments=disable_prism_server_singleton",
                *args,
            ]
        )
    elif settings.runner == "flink":
        with flink_job_server(settings.flink_master, cache=settings.cache_dir) as endpoint:
            yield PipelineOptions(
                [
                    "--runner=PortableRunner",
                    f"--job_endpoint={endpoint}",
                    "--environment_type=LOOPBACK",
                    *args,
                ]
            )
    elif settings.runner == "spark":
        yield PipelineOptions(["--runner=SparkRunner", f"--spark_master_url={settings.spark_master}", *args])
    else:
        # Dataflow runs the SDK in its own workers: the caller passes --project,
        # --region, --temp_location and a --setup_file or --sdk_container_image.
        yield PipelineOptions(["--runner=DataflowRunner", *args])
