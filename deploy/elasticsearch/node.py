#!/usr/bin/env python3
"""A local single-node Elasticsearch for the test suite and for users without a cluster.

    python deploy/elasticsearch/node.py start  --data-dir DIR [--port 9200]
    python deploy/elasticsearch/node.py status --data-dir DIR
    python deploy/elasticsearch/node.py stop   --data-dir DIR

The node is Elasticsearch's own runnable test distribution from Maven Central
(`org.elasticsearch.distribution.integ-test-zip:elasticsearch`), because Maven Central is
reachable where the full download site and Docker are not. It is a *minimal* node: the
server plus the transport, security and APM modules. It has no `analysis-common` (so no
built-in `english` analyzer), no `lang-painless` (no scripts) and no `mapper-extras`;
the index templates and the backend are written to degrade to what it has (see
docs/elasticsearch.md). Everything the node writes — config, data, logs, pid file —
stays under `--data-dir`, so a test session can throw it away whole.

Elasticsearch refuses to run as root; when this script is run by root it runs the node
as the system user `newsbeam-es` (created on first use) and unpacks the distribution
under /var/cache/newsbeam, which that user can read, instead of root's private cache.

Standard library only: this runs before any project dependency is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ES_VERSION = os.environ.get("NEWSBEAM_ES_VERSION", "8.19.21")
MAVEN_BASE = "https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch"
#: Java majors this Elasticsearch line runs on, best first (8.19 needs 17+; 21 is its LTS
#: of choice; 25 is newer than the 8.19 support matrix, so it is the last resort).
SUPPORTED_JAVA = (21, 17, 24, 25)
JDK_PACKAGE = "openjdk-17-jre-headless"
RUN_AS_ROOT_USER = "newsbeam-es"
DEFAULT_HEAP = "1g"
PID_FILE = "node.pid"
INFO_FILE = "node.json"
CLUSTER_NAME = "newsbeam-local"


class NodeError(RuntimeError):
    """The node could not be fetched, started or stopped; the message says why."""


@dataclass(frozen=True)
class NodeInfo:
    """What `start` wrote about a running node, read back by `status` and `stop`."""

    pid: int
    port: int
    version: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def log(message: str) -> None:
    print(f"[es-node] {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    """Where the deploy scripts keep downloads: `$NEWSBEAM_CACHE_DIR`, else `$XDG_CACHE_HOME/newsbeam`,
    else ~/.cache/newsbeam, as the setting `runner.cache_dir` (read here without the project installed)."""
    base = os.environ.get("NEWSBEAM_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbeam"
    return Path(base)


def cache_dir() -> Path:
    """Where the Elasticsearch downloads are kept: `elasticsearch` in `cache_root()`."""
    return cache_root() / "elasticsearch"


def _is_root() -> bool:
    return os.geteuid() == 0


def _download(url: str, dest: Path) -> None:
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_distribution(version: str = ES_VERSION) -> Path:
    """The distribution zip in the cache, downloaded and checked against Maven's .sha1 on first use."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"elasticsearch-{version}.zip"
    archive = folder / name
    url = f"{MAVEN_BASE}/{version}/{name}"
    if archive.exists():
        return archive
    log(f"downloading {url}")
    try:
        expected = urllib.request.urlopen(f"{url}.sha1", timeout=60).read().decode().split()[0]
        _download(url, archive)
    except urllib.error.URLError as exc:
        raise NodeError(f"cannot download Elasticsearch {version} from Maven Central: {exc}") from exc
    actual = _sha1(archive)
    if actual != expected:
        archive.unlink()
        raise NodeError(f"checksum mismatch for {name}: got {actual}, Maven Central says {expected}")
    return archive


def _install_root() -> Path:
    # A root-owned home under /root is unreadable for the unprivileged user the node runs as.
    return Path("/var/cache/newsbeam/elasticsearch") if _is_root() else cache_dir()


def install(version: str = ES_VERSION) -> Path:
    """The unpacked Elasticsearch home, unpacked from the cached zip on first use."""
    home = _install_root() / f"elasticsearch-{version}"
    if (home / "bin" / "elasticsearch").exists():
        return home
    archive = fetch_distribution(version)
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=home.parent))
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                target = Path(zf.extract(member, staging))
                mode = member.external_attr >> 16
                if mode and not member.is_dir():
                    target.chmod(mode & 0o777)
        unpacked = staging / f"elasticsearch-{version}"
        _chmod_readable(unpacked)
        try:
            unpacked.rename(home)
        except OSError:
            if not (home / "bin" / "elasticsearch").exists():  # not a concurrent installer winning the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


def _chmod_readable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))


def _java_major(java_home: Path) -> int | None:
    release = java_home / "release"
    if not (java_home / "bin" / "java").exists() or not release.exists():
        return None
    for line in release.read_text(errors="replace").splitlines():
        if line.startswith("JAVA_VERSION="):
            version = line.split("=", 1)[1].strip().strip('"')
            head = version.split(".")[0]
            return int(version.split(".")[1]) if head == "1" else int(head)
    return None


def find_java() -> Path:
    """A JDK this Elasticsearch supports: ES_JAVA_HOME, JAVA_HOME, then /usr/lib/jvm; installed via apt as root."""
    for variable in ("ES_JAVA_HOME", "JAVA_HOME"):
        if value := os.environ.get(variable):
            major = _java_major(Path(value))
            if major in SUPPORTED_JAVA:
                return Path(value)
            log(f"ignoring {variable}={value}: Java {major} is not one of {SUPPORTED_JAVA}")
    found: dict[int, Path] = {}
    jvm_root = Path("/usr/lib/jvm")
    for candidate in sorted(jvm_root.iterdir()) if jvm_root.is_dir() else []:
        major = _java_major(candidate.resolve())
        if major in SUPPORTED_JAVA:
            found.setdefault(major, candidate.resolve())
    for major in SUPPORTED_JAVA:
        if major in found:
            return found[major]
    if not _is_root():
        raise NodeError(f"no supported JDK (Java {SUPPORTED_JAVA}) found; install {JDK_PACKAGE} or set ES_JAVA_HOME")
    log(f"no supported JDK found; installing {JDK_PACKAGE}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", JDK_PACKAGE], check=True, env=env)
    return find_java()


def _run_as_user() -> pwd.struct_passwd | None:
    """The account the node runs as when we are root (Elasticsearch refuses root)."""
    if not _is_root():
        return None
    try:
        return pwd.getpwnam(RUN_AS_ROOT_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS_ROOT_USER],
            check=True,
        )
        return pwd.getpwnam(RUN_AS_ROOT_USER)


def _node_settings(data_dir: Path, port: int) -> str:
    settings = {
        "cluster.name": CLUSTER_NAME,
        "node.name": CLUSTER_NAME,
        "network.host": "127.0.0.1",
        "http.port": port,
        "discovery.type": "single-node",
        "path.data": str(data_dir / "data"),
        "path.logs": str(data_dir / "logs"),
        "xpack.security.enabled": False,
        # A test node on a nearly full disk must still accept writes.
        "cluster.routing.allocation.disk.watermark.low": "97%",
        "cluster.routing.allocation.disk.watermark.high": "98%",
        "cluster.routing.allocation.disk.watermark.flood_stage": "99%",
        "action.destructive_requires_name": False,
    }
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items())


def _prepare_config(home: Path, data_dir: Path, port: int, heap: str) -> Path:
    config = data_dir / "config"
    if not config.exists():
        shutil.copytree(home / "config", config)
    (config / "elasticsearch.yml").write_text(_node_settings(data_dir, port))
    options = config / "jvm.options.d"
    options.mkdir(exist_ok=True)
    (options / "heap.options").write_text(f"-Xms{min_heap(heap)}\n-Xmx{heap}\n")
    for sub in ("data", "logs"):
        (data_dir / sub).mkdir(exist_ok=True)
    return config


def min_heap(heap: str) -> str:
    """Start at half the maximum (at least 256m): the machine is shared, so commit memory lazily."""
    units = {"g": 1024, "m": 1}
    megabytes = int(heap[:-1]) * units[heap[-1].lower()]
    return f"{max(256, megabytes // 2)}m"


def _chown_tree(root: Path, user: pwd.struct_passwd) -> None:
    for path in [root, *root.rglob("*")]:
        os.lchown(path, user.pw_uid, user.pw_gid)


def _read_info(data_dir: Path) -> NodeInfo | None:
    try:
        info = json.loads((data_dir / INFO_FILE).read_text())
        pid = int((data_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    return NodeInfo(pid=pid, port=int(info["port"]), version=info["version"])


def _is_node_process(pid: int) -> bool:
    """True when `pid` is alive and is an Elasticsearch JVM (a stale pid file may name a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"org.elasticsearch" in cmdline


def _health(url: str, timeout: float = 5.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def log_tail(data_dir: Path, lines: int = 40) -> str:
    log_file = data_dir / "logs" / f"{CLUSTER_NAME}.log"
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log_file})"


def status(data_dir: Path) -> NodeInfo | None:
    """The running node started from `data_dir`, or None."""
    info = _read_info(Path(data_dir))
    if info is None or not _is_node_process(info.pid):
        return None
    return info


def start(data_dir: Path, port: int = 9200, heap: str = DEFAULT_HEAP, timeout: float = 180.0) -> NodeInfo:
    """Start a node (or find the one already running) and return once it is green or yellow."""
    data_dir = Path(data_dir).resolve()
    if (running := status(data_dir)) is not None:
        log(f"already running: pid {running.pid} at {running.url}")
        return running
    data_dir.mkdir(parents=True, exist_ok=True)
    home = install()
    java_home = find_java()
    config = _prepare_config(home, data_dir, port, heap)
    pid_file = data_dir / PID_FILE
    pid_file.unlink(missing_ok=True)
    (data_dir / INFO_FILE).write_text(json.dumps({"port": port, "version": ES_VERSION}))
    user = _run_as_user()
    if user is not None:
        _chown_tree(data_dir, user)
    env = {k: v for k, v in os.environ.items() if k not in ("ES_JAVA_OPTS", "JAVA_TOOL_OPTIONS")}
    env.update(ES_JAVA_HOME=str(java_home), ES_PATH_CONF=str(config))
    log(f"starting Elasticsearch {ES_VERSION} (Java at {java_home}) on 127.0.0.1:{port}, data in {data_dir}")
    deadline = time.monotonic() + timeout
    try:
        # `-d` daemonizes: the launcher returns once the node has booted (or failed to).
        launched = subprocess.run(
            [str(home / "bin" / "elasticsearch"), "-d", "-p", str(pid_file)],
            env=env,
            cwd=str(data_dir),
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise NodeError(f"Elasticsearch launcher did not return within {timeout:.0f}s; log tail:\n{log_tail(data_dir)}") from exc
    if launched.returncode != 0:
        raise NodeError(
            f"Elasticsearch exited with {launched.returncode}: {launched.stderr.strip()[-2000:]}\nlog tail:\n{log_tail(data_dir)}"
        )
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        health = _health(url)
        if health and health.get("status") in ("green", "yellow"):
            info = status(data_dir)
            if info is None:
                break
            log(f"running: pid {info.pid} at {url} ({health['status']})")
            return info
        time.sleep(1.0)
    stop(data_dir)
    raise NodeError(f"Elasticsearch at {url} did not reach yellow within {timeout:.0f}s; log tail:\n{log_tail(data_dir)}")


def stop(data_dir: Path, timeout: float = 60.0) -> bool:
    """Stop the node started from `data_dir` (SIGTERM, then SIGKILL past `timeout`); False if none ran."""
    data_dir = Path(data_dir).resolve()
    info = status(data_dir)
    if info is None:
        (data_dir / PID_FILE).unlink(missing_ok=True)
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _is_node_process(info.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _is_node_process(info.pid):
        log(f"pid {info.pid} ignored SIGTERM for {timeout:.0f}s; killing it")
        os.kill(info.pid, signal.SIGKILL)
    (data_dir / PID_FILE).unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "fetch"])
    parser.add_argument("--data-dir", type=Path, help="where the node keeps config, data, logs and pid file")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--heap", default=DEFAULT_HEAP, help="maximum JVM heap, e.g. 512m or 1g (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for the node")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(install())
            print(find_java())
            return 0
        if args.data_dir is None:
            parser.error("--data-dir is required")
        if args.command == "start":
            print(start(args.data_dir, args.port, args.heap, args.timeout).url)
        elif args.command == "stop":
            print("stopped" if stop(args.data_dir, args.timeout) else "not running")
        else:
            info = status(args.data_dir)
            print(f"running: pid {info.pid} at {info.url} (Elasticsearch {info.version})" if info else "not running")
            return 0 if info else 3
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
