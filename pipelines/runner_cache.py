"""Fetch and cache the engines the portable runners need, once, into the cache folder.

Prism comes from Beam's GitHub release, as the Beam Python SDK fetches it, where
that is reachable; many networks (CI sandboxes, corporate proxies) reach only
package registries, so the fallback builds it from the Go module proxy. The
Flink job server's classpath is resolved from Maven Central. Both land in
`runner.cache_dir` (`~/.cache/newsbeam`, or `$NEWSBEAM_CACHE_DIR`); a second call
finds the cached copy and returns at once.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

#: The Beam release the project pins (pyproject: apache-beam 2.77.x); Prism must match.
BEAM_VERSION = "2.77.0"
PRISM_MODULE = "github.com/apache/beam/sdks/v2/go/cmd/prism"

#: The Flink runner used for the job server. Beam's Java artifacts for the pinned
#: Python release are not always on Maven Central when the Python SDK ships; the
#: portable job API is stable across these releases, so the newest resolvable
#: runner serves. Override with NEWSBEAM_FLINK_RUNNER=group:artifact:version.
FLINK_RUNNER_ARTIFACT = "org.apache.beam:beam-runners-flink-1.19:2.62.0"
FLINK_JOB_SERVER_MAIN = "org.apache.beam.runners.flink.FlinkJobServerDriver"


class RunnerSetupError(RuntimeError):
    """A runner's engine could not be installed; the message says what to install by hand."""


def cache_dir() -> Path:
    """Where runner engines live when the caller names no folder: the setting `runner.cache_dir`.

    Read from the environment and the configuration file `Configuration.load` finds
    (`$NEWSBEAM_CONFIG`, else ./newsbeam.toml); a command given `--config` passes its folder.
    """
    from newsbeam.config import Configuration

    return Configuration.load().value("runner.cache_dir")


def prism_release_url() -> str:
    """Beam's released Prism for BEAM_VERSION on this operating system and processor, as apache_beam's Prism runner names it."""
    from apache_beam.runners.portability.prism_runner import PrismJobServer

    tag = f"v{BEAM_VERSION}"
    return PrismJobServer._construct_download_url(tag, tag, platform.system(), platform.machine())


def prism_binary(install: bool = True, cache: Path | None = None, release_url: str | None = None) -> Path:
    """Path to the Prism binary for BEAM_VERSION, fetched or built on first use.

    Beam's released binary (`release_url`, default `prism_release_url()`) when it can
    be reached, else a build with `go install` from the Go module proxy; either way
    a line on stderr says which, and why. The binary is named after its version, so
    an upgrade of the pin fetches a new one instead of silently running an old engine.
    """
    target = (cache or cache_dir()) / "bin" / f"prism-{BEAM_VERSION}"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    if not install:
        raise RunnerSetupError(f"Prism {BEAM_VERSION} is not installed; run deploy/runners/install-prism.sh")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = release_url or prism_release_url()
    unreachable = _fetch_prism_release(url, target)
    if unreachable is None:
        _say(f"Prism {BEAM_VERSION}: Beam's released binary from {url}")
        return target
    # Go's official tarball installs to /usr/local/go, often not on a service's PATH.
    go = shutil.which("go") or shutil.which("go", path="/usr/local/go/bin")
    if go is None:
        raise RunnerSetupError(
            f"Prism's released binary could not be fetched from {url} ({unreachable}), and building it needs Go "
            f"(https://go.dev/dl/): GOBIN=... go install {PRISM_MODULE}@v{BEAM_VERSION}, or set "
            "runner.prism_release_url to a reachable copy of the release zip"
        )
    _say(f"Prism {BEAM_VERSION}: the released binary could not be fetched from {url} ({unreachable}); "
         "building it with Go instead")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".prism-build-") as gobin:
        env = {**os.environ, "GOBIN": gobin, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
        _run([go, "install", f"{PRISM_MODULE}@v{BEAM_VERSION}"], env=env, cwd=gobin, what="go install prism")
        # Rename into place last, so an interrupted build never leaves a half binary.
        os.replace(Path(gobin) / "prism", target)
    return target


#: Seconds to wait for the release host before building instead.
RELEASE_TIMEOUT = 15.0


def _fetch_prism_release(url: str, target: Path) -> str | None:
    """Put the released binary at `url` (a zip) at `target`; None on success, else why it could not.

    The download and unzipping are Beam's own (`PrismJobServer.local_bin`); a short
    request first, with a timeout, so an unreachable host costs seconds, not the
    socket's default wait.
    """
    from apache_beam.runners.portability.prism_runner import PrismJobServer

    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=RELEASE_TIMEOUT):
            pass
    except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors
        return str(getattr(error, "reason", None) or error)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".prism-release-") as work:
        try:
            binary = PrismJobServer.local_bin(url, bin_cache=work, ignore_cache=True)
        except (OSError, RuntimeError, KeyError, zipfile.BadZipFile) as error:
            return f"{type(error).__name__}: {error}"
        os.chmod(binary, 0o755)
        os.replace(binary, target)
    return None


def _say(message: str) -> None:
    print(f"newsbeam: {message}", file=sys.stderr, flush=True)


def flink_job_server_classpath(install: bool = True, cache: Path | None = None) -> str:
    """Java classpath of Beam's Flink job server with an embedded Flink, resolved by Maven.

    Maven Central carries the runner and its dependencies, not always the shaded
    job-server jar; resolving the dependency tree works with both.
    """
    artifact = os.environ.get("NEWSBEAM_FLINK_RUNNER", FLINK_RUNNER_ARTIFACT)
    group, name, version = artifact.split(":")
    lib = (cache or cache_dir()) / "flink" / f"{name}-{version}"
    done = lib / ".complete"
    if done.is_file():
        return str(lib / "*")
    if not install:
        raise RunnerSetupError(f"Flink job server {artifact} is not installed; run deploy/runners/install-flink.sh")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RunnerSetupError("The Flink job server is resolved with Maven: install `mvn` (Debian: maven)")
    lib.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsbeam-flink-") as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(_JOB_SERVER_POM.format(group=group, name=name, version=version))
        _run(
            [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={lib}"],
            env=os.environ.copy(),
            cwd=work,
            what="mvn dependency:copy-dependencies",
        )
    done.write_text(artifact + "\n")
    return str(lib / "*")


def java_binary() -> str:
    """The `java` the Flink job server runs on: `$JAVA_HOME/bin/java`, else the one on PATH."""
    if home := os.environ.get("JAVA_HOME"):
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file():
            return str(candidate)
    if found := shutil.which("java"):
        return found
    raise RunnerSetupError("The Flink runner needs a Java 11 or 17 runtime (Debian: openjdk-17-jre-headless)")


def _run(cmd: list[str], *, env: dict[str, str], cwd: str, what: str) -> None:
    _say(f"{what} (first use only) ...")
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-3000:]
        raise RunnerSetupError(f"{what} failed ({result.returncode}):\n{tail}")


_JOB_SERVER_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>newsbeam.local</groupId>
  <artifactId>flink-job-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>{group}</groupId>
      <artifactId>{name}</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def main(argv: list[str] | None = None) -> int:
    """`python -m newsbeam.pipelines.runner_cache prism|flink`: install and print the path."""
    args = argv if argv is not None else sys.argv[1:]
    if args not in (["prism"], ["flink"]):
        print("usage: python -m newsbeam.pipelines.runner_cache prism|flink", file=sys.stderr)
        return 2
    from newsbeam.config import Configuration

    try:
        release = Configuration.load().value("runner.prism_release_url")
        print(prism_binary(release_url=release) if args[0] == "prism" else flink_job_server_classpath())
    except RunnerSetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
