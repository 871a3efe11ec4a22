"""Apache Kafka 4.1.1, one KRaft node that is broker and controller, jars from Maven Central."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core import HOST, LabError, Log, ProcessService, cache_entry, check_port_free, require_tool, run_checked

KAFKA_VERSION = "4.1.1"
# Kafka's own distribution ships this SLF4J binding; Maven's runtime scope does not pull it in,
# and without it the broker logs nothing at all (SLF4J falls back to its NOP logger).
LOG4J_VERSION = "2.24.3"
JAVA_HINT = "apt-get install openjdk-17-jre-headless maven"

POM = f"""\
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>transactions_st.lab</groupId><artifactId>kafka-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""

# Single node: every internal topic has replication factor 1; few partitions keep the first
# consumer-group join fast on a 2-core machine. Tests create their topics explicitly.
# Filled by server_properties(); the `extra_*` and `sasl` fields are empty unless a SASL listener is asked for.
SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{host}:{cport}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}{extra_listeners}
advertised.listeners=PLAINTEXT://{host}:{port}{extra_listeners}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT{extra_protocols}
{sasl}log.dirs={data}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions={internal_partitions}
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions={internal_partitions}
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


# librdkafka reports every refused connection while the broker boots; health probes stay silent.
_QUIET = logging.getLogger("tests.lab.kafka.health")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def java_major(version_text: str) -> int | None:
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_text)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8.0" means Java 8


def fetch_libs(cache_dir: Path, log: Log) -> Path:
    """Return `$TST_CACHE/kafka-<v>/libs`, resolving the jars with Maven on first use."""
    entry = cache_dir / f"kafka-{KAFKA_VERSION}"

    def build(tmp: Path) -> None:
        mvn = require_tool("mvn", JAVA_HINT)
        log(f"fetching Kafka {KAFKA_VERSION} jars from Maven Central into {entry}")
        with tempfile.TemporaryDirectory(prefix="lab-kafka-pom-") as pom_dir:
            (Path(pom_dir) / "pom.xml").write_text(POM)
            run_checked(
                [mvn, "-q", "-B", "-Dstyle.color=never", "dependency:copy-dependencies",
                 "-DincludeScope=runtime", f"-DoutputDirectory={tmp / 'libs'}"],
                "mvn dependency:copy-dependencies (Kafka jars)", log_path=tmp.parent / "kafka-mvn.log",
                cwd=pom_dir,
            )
        if not (tmp / "libs" / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
            raise LabError(
                f"Maven did not deliver kafka_2.13-{KAFKA_VERSION}.jar; see {tmp.parent / 'kafka-mvn.log'}"
            )

    return cache_entry(entry, build, log) / "libs"


def server_properties(port: int, cport: int, data: Path, *, host: str = HOST, sasl_plain_port: int | None = None,
                      sasl_plain_users: Mapping[str, str] | None = None, internal_partitions: int = 4) -> str:
    """The server.properties of one KRaft node that is broker and controller, PLAINTEXT on `port`.

    `sasl_plain_port` adds a SASL_PLAINTEXT listener, mechanism PLAIN, that accepts `sasl_plain_users`
    (name to password). `internal_partitions` is the partition count of the offsets and transaction topics.
    """
    extra_listeners = extra_protocols = sasl = ""
    if sasl_plain_port is not None:
        if not sasl_plain_users:
            raise LabError("a SASL_PLAINTEXT listener needs at least one user")
        users = " ".join(f'user_{name}="{password}"' for name, password in sasl_plain_users.items())
        extra_listeners = f",SASL_PLAINTEXT://{host}:{sasl_plain_port}"
        extra_protocols = ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        sasl = ("sasl.enabled.mechanisms=PLAIN\n"
                "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};\n")
    return SERVER_PROPERTIES.format(host=host, port=port, cport=cport, data=data, extra_listeners=extra_listeners,
                                    extra_protocols=extra_protocols, sasl=sasl,
                                    internal_partitions=internal_partitions)


def write_server_properties(directory: Path, port: int, cport: int, **options: Any) -> Path:
    """Write `directory/server.properties` (data in `directory/data`) and return its path.

    `options` are those of server_properties().
    """
    props = directory / "server.properties"
    props.write_text(server_properties(port, cport, directory / "data", **options))
    return props


class Kafka(ProcessService):
    name = "kafka"
    start_timeout = 120.0  # JVM + KRaft election on 2 cores
    stop_grace = 30.0  # controlled shutdown flushes logs

    @property
    def port(self) -> int:
        return int(self.entry().get("port") or self.ctx.port("LAB_KAFKA_PORT", 39092))

    def fetch(self) -> None:
        fetch_libs(self.ctx.cache_dir, self.ctx.log)

    def log_files(self) -> list[Path]:
        return [self.dir / "kafka.log", self.dir / "kafka.out"]

    def start(self) -> None:
        java = require_tool("java", JAVA_HINT)
        self._check_java(java)
        libs = fetch_libs(self.ctx.cache_dir, self.ctx.log)
        port = self.ctx.port("LAB_KAFKA_PORT", 39092)
        cport = self.ctx.port("LAB_KAFKA_CONTROLLER_PORT", 39093)
        if port == cport:
            raise LabError("LAB_KAFKA_PORT and LAB_KAFKA_CONTROLLER_PORT must differ")
        check_port_free(port, "kafka", "LAB_KAFKA_PORT")
        check_port_free(cport, "kafka (controller)", "LAB_KAFKA_CONTROLLER_PORT")

        self.dir.mkdir(parents=True, exist_ok=True)
        data = self.dir / "data"
        props = write_server_properties(self.dir, port, cport)
        log4j = self.dir / "log4j2.properties"
        log4j.write_text(LOG4J2.format(log=self.dir / "kafka.log"))
        # `libs/*` is expanded by java itself (no shell involved).
        jvm_args = [f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*"]
        base = [java, *jvm_args]

        if not (data / "meta.properties").is_file():
            # A data dir without meta.properties is a format that never finished: start over.
            shutil.rmtree(data, ignore_errors=True)
            cluster_id = self._cluster_id(base)
            run_checked(
                [*base, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
                "kafka storage format", log_path=self.dir / "kafka.out", cwd=self.dir,
            )
        self.launch(
            [java, "-Xms256m", "-Xmx512m", *jvm_args, "kafka.Kafka", str(props)],
            self.dir / "kafka.out", port=port, controller_port=cport,
        )

    def _check_java(self, java: str) -> None:
        try:
            res = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            raise LabError(f"cannot run {java}: {exc}; {JAVA_HINT}") from None
        major = java_major(res.stderr + res.stdout)
        if major is not None and major < 17:
            raise LabError(f"Kafka {KAFKA_VERSION} needs Java 17 or later, {java} is Java {major}; {JAVA_HINT}")

    def _cluster_id(self, base: list[str]) -> str:
        """Generated once and kept in the state dir, so a re-format keeps the same cluster."""
        path = self.dir / "cluster.id"
        if path.is_file() and path.read_text().strip():
            return path.read_text().strip()
        out = run_checked([*base, "kafka.tools.StorageTool", "random-uuid"], "kafka random-uuid")
        cluster_id = out.strip().splitlines()[-1].strip()
        path.write_text(cluster_id + "\n")
        return cluster_id

    def healthy(self) -> bool:
        if not self.running():
            return False
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient

        conf = {"bootstrap.servers": self.bootstrap, "logger": _QUIET, "socket.timeout.ms": 3000}
        admin = AdminClient(conf)  # type: ignore[arg-type]  # the stubs do not know the `logger` key
        try:
            return bool(admin.list_topics(timeout=3).brokers)
        except KafkaException:
            return False

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def address(self) -> str:
        return self.bootstrap

    def env(self) -> dict[str, str]:
        return {"LAB_KAFKA_BOOTSTRAP": self.bootstrap}
