#!/usr/bin/env python3
"""A local single-node Apache Kafka broker (KRaft) for the test suite and for trying `newsbeam run --kafka`.

    python deploy/kafka/broker.py start  --data-dir DIR [--port 9092]
    python deploy/kafka/broker.py status --data-dir DIR
    python deploy/kafka/broker.py stop   --data-dir DIR

The broker is Apache Kafka's own server (`org.apache.kafka:kafka_2.13`) and its
dependencies, fetched from Maven Central by Maven (`mvn dependency:copy-dependencies`
on a generated pom, so the dependency list is Kafka's own) into
`kafka/<version>/libs` of the cache the Elasticsearch node uses (`$NEWSBEAM_CACHE_DIR`, else
`~/.cache/newsbeam`) once. It runs in KRaft mode, one process
being broker and controller, on 127.0.0.1 only: the client port `--port`, and a
controller port picked free on first start and kept (the storage names it). Everything it writes (config, the log directories,
its own log, the pid file) stays under `--data-dir`. The JDK is found as for the
Elasticsearch node (`deploy/elasticsearch/node.py`); Kafka 4 needs Java 17 or later.

Standard library only: this runs before any project dependency is installed.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

KAFKA_VERSION = os.environ.get("NEWSBEAM_KAFKA_VERSION", "4.1.1")
#: Kafka logs through SLF4J 1.7; the simple binding writes its lines to the broker's log file.
SLF4J_VERSION = "1.7.36"
PID_FILE = "broker.pid"
INFO_FILE = "broker.json"
LOG_FILE = "broker.log"
DEFAULT_HEAP = "512m"
START_SECONDS = 90

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.newsbeam</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>{slf4j}</version></dependency>
  </dependencies>
</project>
"""

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={logs}
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
"""


class BrokerError(RuntimeError):
    """The broker could not be fetched, started or stopped; the message says why."""


def log(message: str) -> None:
    print(f"[kafka-broker] {message}", file=sys.stderr, flush=True)


def _node_script():
    """deploy/elasticsearch/node.py, for the one way the deploy scripts find a JDK and their cache."""
    path = Path(__file__).resolve().parent.parent / "elasticsearch" / "node.py"
    spec = importlib.util.spec_from_file_location("newsbeam_es_node", path)
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def find_java() -> Path:
    return _node_script().find_java() / "bin" / "java"


def _maven() -> str:
    if found := shutil.which("mvn"):
        return found
    if os.geteuid() != 0:
        raise BrokerError("Maven (mvn) is needed to fetch Kafka's jars; install it (apt-get install maven)")
    log("Maven not found; installing it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "maven"], check=True, env=env)
    return shutil.which("mvn") or "mvn"


def fetch_jars(version: str = KAFKA_VERSION) -> Path:
    """The folder of Kafka `version`'s jars and their dependencies, fetched once."""
    home = _node_script().cache_root() / "kafka" / version
    libs = home / "libs"
    if (home / "complete").exists():
        return libs
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "pom.xml").write_text(POM.format(kafka=version, slf4j=SLF4J_VERSION), encoding="utf-8")
    log(f"fetching Apache Kafka {version} and its dependencies from Maven Central")
    result = subprocess.run(
        [_maven(), "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
        cwd=home, capture_output=True, text=True)
    if result.returncode != 0:
        raise BrokerError(f"Maven could not fetch Kafka {version}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
    (home / "complete").write_text("ok\n")
    return libs


def _pid(data_dir: Path) -> int | None:
    try:
        pid = int((data_dir / PID_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _controller_port(config: Path) -> int:
    """The controller port of an existing config (its storage was formatted with it), else a free one."""
    if config.exists():
        for line in config.read_text(encoding="utf-8").splitlines():
            if line.startswith("controller.quorum.bootstrap.servers="):
                return int(line.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(data_dir: Path, port: int = 9092, heap: str = DEFAULT_HEAP) -> dict:
    """Start the broker (formatting its storage on first use); returns its info once it takes connections."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if _pid(data_dir) is not None:
        info = json.loads((data_dir / INFO_FILE).read_text())
        log(f"already running: pid {info['pid']} at {info['bootstrap']}")
        return info
    libs = fetch_jars()
    java = find_java()
    config = data_dir / "server.properties"
    config.write_text(SERVER_PROPERTIES.format(port=port, controller=_controller_port(config),
                                               logs=data_dir / "logs"), encoding="utf-8")
    classpath = f"{libs}/*"
    if not (data_dir / "logs" / "meta.properties").exists():
        # Kafka's cluster ids are 16 random bytes in URL-safe base64 (`-t=` keeps a leading "-" an id).
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        formatted = subprocess.run([str(java), "-cp", classpath, "kafka.tools.StorageTool", "format",
                                    f"--cluster-id={cluster_id}", "-c", str(config), "--standalone"],
                                   capture_output=True, text=True)
        if formatted.returncode != 0:
            raise BrokerError(f"could not format the broker's storage:\n{formatted.stdout[-2000:]}{formatted.stderr[-2000:]}")
    log(f"starting Apache Kafka {KAFKA_VERSION} (Java at {java}) on 127.0.0.1:{port}, data in {data_dir}")
    with open(data_dir / LOG_FILE, "ab") as output:
        process = subprocess.Popen(
            [str(java), f"-Xms{heap}", f"-Xmx{heap}", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
             "-cp", classpath, "kafka.Kafka", str(config)],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    (data_dir / PID_FILE).write_text(str(process.pid))
    deadline = time.monotonic() + START_SECONDS
    while not _accepts(port):
        if process.poll() is not None:
            raise BrokerError(f"the broker exited with {process.returncode}; see {data_dir / LOG_FILE}")
        if time.monotonic() > deadline:
            stop(data_dir)
            raise BrokerError(f"the broker did not take connections within {START_SECONDS} s")
        time.sleep(0.5)
    info = {"pid": process.pid, "bootstrap": f"127.0.0.1:{port}", "version": KAFKA_VERSION}
    (data_dir / INFO_FILE).write_text(json.dumps(info))
    log(f"running: pid {process.pid} at {info['bootstrap']}")
    return info


def stop(data_dir: Path, seconds: float = 30.0) -> None:
    """Stop the broker of `data_dir` (SIGTERM, then SIGKILL after `seconds`)."""
    data_dir = data_dir.resolve()
    pid = _pid(data_dir)
    if pid is None:
        log("not running")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while _pid(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.3)
    if _pid(data_dir) is not None:
        os.kill(pid, signal.SIGKILL)
    (data_dir / PID_FILE).unlink(missing_ok=True)
    log(f"stopped pid {pid}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "status", "stop", "fetch"))
    parser.add_argument("--data-dir", type=Path, help="where the broker's config, data and log live")
    parser.add_argument("--port", type=int, default=9092, help="client port")
    args = parser.parse_args(argv)
    try:
        if args.action == "fetch":
            print(fetch_jars())
            return 0
        if args.data_dir is None:
            parser.error("--data-dir is required")
        if args.action == "start":
            print(start(args.data_dir, args.port)["bootstrap"])
        elif args.action == "stop":
            stop(args.data_dir)
        else:
            pid = _pid(args.data_dir.resolve())
            print(json.loads((args.data_dir / INFO_FILE).read_text())["bootstrap"] if pid else "not running")
            return 0 if pid else 1
    except BrokerError as error:
        log(str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
