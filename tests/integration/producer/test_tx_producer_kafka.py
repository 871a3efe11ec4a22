# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""files/producer/tx_producer.py against real Kafka brokers.

* a broker killed with SIGKILL and restarted mid-run: every message delivered exactly once.
  This test kills a broker, so it runs its own (same Kafka 4.1.1 jars as the lab, own ports
  and data dir) and never touches the lab's.
* SIGTERM mid-run (lab broker): everything produced is acknowledged before exit.
* SASL_PLAINTEXT/PLAIN on that broker: the password from the environment works and is never
  printed; a wrong one is a clear error.
* no broker at start: a clear error after the metadata timeout, exit code 2.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from tests.lab.services.kafka import KAFKA_VERSION, write_server_properties

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "files" / "producer" / "tx_producer.py"
# The lab's default Kafka ports, and every LAB_*_PORT set for a private lab (possibly not listening yet).
RESERVED_PORTS = {39092, 39093, 49092, 49093} | {
    int(value) for name, value in os.environ.items()
    if name.startswith("LAB_") and name.endswith("_PORT") and value.strip().isdigit()}
SASL_USER = "tx-producer"
SASL_PASSWORD = f"pw-{uuid.uuid4().hex}"  # generated per session; must never show in the producer's output


# ----------------------------------------------------------------------------- a broker of our own


def _libs_ok(path: Path) -> bool:
    return path.is_dir() and any(path.glob("kafka_2.13-*.jar"))


def kafka_libs() -> Path:
    """The Kafka jars: $KAFKA_LIBS, else the lab's cache entry, else fetched by `python -m tests.lab fetch kafka`."""
    explicit = os.environ.get("KAFKA_LIBS")
    if explicit:
        if not _libs_ok(Path(explicit)):
            pytest.fail(f"KAFKA_LIBS={explicit} holds no kafka_2.13-*.jar", pytrace=False)
        return Path(explicit)
    cache = Path(os.environ.get("TST_CACHE") or Path.home() / ".cache" / "transactions_st") / f"kafka-{KAFKA_VERSION}"
    if not (cache / ".complete").is_file():
        res = subprocess.run([sys.executable, "-m", "tests.lab", "fetch", "kafka"], cwd=ROOT, capture_output=True,
                             text=True, timeout=1200, check=False)
        if res.returncode != 0 or not (cache / ".complete").is_file():
            pytest.fail(f"Kafka jars unavailable: `python -m tests.lab fetch kafka` exited {res.returncode}: "
                        f"{(res.stderr or res.stdout).strip()[-2000:]} (or set KAFKA_LIBS)", pytrace=False)
    if not _libs_ok(cache / "libs"):
        pytest.fail(f"{cache}/libs holds no kafka_2.13-*.jar", pytrace=False)
    return cache / "libs"


def free_port(exclude: set[int]) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in RESERVED_PORTS and port not in exclude:
            return port


class OwnBroker:
    """One KRaft broker+controller in `workdir`; kill() and start() keep the data dir and ports."""

    def __init__(self, libs: Path, workdir: Path) -> None:
        self.java = shutil.which("java")
        self.libs = libs
        self.dir = workdir
        self.port = free_port(set())
        self.cport = free_port({self.port})
        self.sasl_port = free_port({self.port, self.cport})  # SASL_PLAINTEXT, mechanism PLAIN
        self.log = workdir / "kafka.out"
        self.proc: subprocess.Popen | None = None
        # The lab's broker configuration, plus the SASL listener; one partition per internal topic.
        self.props = write_server_properties(workdir, self.port, self.cport, sasl_plain_port=self.sasl_port,
                                             sasl_plain_users={SASL_USER: SASL_PASSWORD}, internal_partitions=1)
        base = [self.java, "-cp", f"{libs}/*"]
        cluster = subprocess.run([*base, "kafka.tools.StorageTool", "random-uuid"], capture_output=True, text=True,
                                 timeout=120, check=True).stdout.strip().splitlines()[-1]
        subprocess.run([*base, "kafka.tools.StorageTool", "format", "-t", cluster, "-c", str(self.props)],
                       capture_output=True, text=True, timeout=120, check=True)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [self.java, "-Xms256m", "-Xmx512m", "-cp", f"{self.libs}/*", "kafka.Kafka", str(self.props)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 2000, "log_level": 0})
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if admin.list_topics(timeout=2).brokers:
                    return
            except KafkaException:
                time.sleep(0.5)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        pytest.fail(f"own Kafka broker did not come up on {self.bootstrap} within {timeout:.0f}s:\n{tail}", pytrace=False)

    def kill(self) -> None:
        """SIGKILL: no controlled shutdown, no flush."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory):
    if not shutil.which("java"):
        pytest.skip("java not installed (apt-get install openjdk-17-jre-headless)")
    broker = OwnBroker(kafka_libs(), tmp_path_factory.mktemp("own-kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


# ----------------------------------------------------------------------------- helpers


class ProducerRun:
    """tx_producer.py in a subprocess; stderr lines are collected as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        env = dict({k: v for k, v in os.environ.items() if not k.startswith("TX_PRODUCER_")}, **(env or {}))
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.stderr_lines: list[str] = []
        self.stdout = ""
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def _read_stdout(self) -> None:
        self.stdout = self.proc.stdout.read()

    def progress(self) -> list[dict[str, str]]:
        return [dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
                for line in list(self.stderr_lines) if line.startswith("progress:")]

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"producer: {what} did not happen within {timeout}s; stderr:\n" + "\n".join(self.stderr_lines[-30:]))

    def finish(self, timeout: float, expect_summary: bool = True) -> tuple[int, dict[str, str]]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("producer did not exit in time; stderr:\n" + "\n".join(self.stderr_lines[-30:]))
        for reader in self._readers:
            reader.join(timeout=10)
        summary = [line for line in self.stdout.splitlines() if line.startswith("summary:")]
        if not expect_summary:
            return self.proc.returncode, {}
        assert summary, f"no summary line; stdout={self.stdout!r} stderr={self.stderr_lines[-20:]}"
        fields = dict(p.split("=", 1) for p in summary[-1].split()[1:] if "=" in p)
        return self.proc.returncode, fields

    def text(self) -> str:
        return "\n".join(self.stderr_lines)


def consume_ids(bootstrap: str, topic: str, timeout: float = 180.0) -> list[int]:
    """Every transaction_id in the topic, from the beginning to the end (checking key == value id)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"tx-producer-test-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "enable.partition.eof": True, "log_level": 0})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        ids: list[int] = []
        done = {p for p, end in ends.items() if end == 0}
        deadline = time.monotonic() + timeout
        while len(done) < len(partitions):
            assert time.monotonic() < deadline, f"consumed only {len(ids)} messages of {sum(ends.values())} in {timeout}s"
            for msg in consumer.consume(10000, timeout=1.0):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:  # pylint: disable=protected-access
                        if msg.offset() >= ends[msg.partition()]:
                            done.add(msg.partition())
                        continue
                    raise KafkaException(msg.error())
                value_id = int(msg.value()[len(b'{"transaction_id": '):msg.value().index(b",")])
                assert int(msg.key()) == value_id
                ids.append(value_id)
        return ids
    finally:
        consumer.close()


def delete_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=60)
    except KafkaException:
        pass


# ----------------------------------------------------------------------------- tests


@pytest.mark.timeout(600)
def test_broker_killed_and_restarted_mid_run_every_message_exactly_once(own_broker):
    count = 150_000
    topic = f"tx-producer-kill-{uuid.uuid4().hex[:8]}"
    run = ProducerRun("--brokers", own_broker.bootstrap, "--topic", topic, "--create-topic", "--rate", "20000",
                      "--count", str(count), "--progress-interval", "0.5", "--flush-timeout", "240")

    def delivered_some() -> bool:
        return any(int(p["delivered"]) >= 20_000 for p in run.progress())

    run.wait_for(delivered_some, 60, "20,000 messages delivered")
    own_broker.kill()
    killed_at = run.progress()[-1]
    time.sleep(3)
    own_broker.start()
    code, summary = run.finish(timeout=400)
    print(run.text(), run.stdout, sep="\n")  # shown with -rP: the outage as the producer saw it

    assert int(killed_at["produced"]) < count, "the broker must die mid-run"
    assert "kafka: " in run.text(), "the outage should have been reported"
    assert code == 0, run.text()
    assert summary["produced"] == summary["delivered"] == str(count)
    assert summary["failed"] == summary["unconfirmed"] == "0"
    ids = consume_ids(own_broker.bootstrap, topic)
    assert len(ids) == count, f"{len(ids)} messages in the topic for {count} produced"
    assert len(set(ids)) == count, f"{len(ids) - len(set(ids))} duplicates"


@pytest.mark.timeout(300)
def test_sigterm_mid_run_everything_produced_is_acknowledged(kafka_bootstrap):
    topic = f"tx-producer-term-{uuid.uuid4().hex[:8]}"
    run = ProducerRun("--brokers", kafka_bootstrap, "--topic", topic, "--create-topic", "--rate", "0",
                      "--duration", "120", "--progress-interval", "0.5")
    try:
        run.wait_for(lambda: any(int(p["produced"]) > 0 for p in run.progress()), 60, "production")
        time.sleep(1.5)  # full speed: the local queue is full when the signal arrives
        run.proc.send_signal(signal.SIGTERM)
        code, summary = run.finish(timeout=120)
        assert code == 0, run.text()
        assert summary["stopped_by"] == "SIGTERM"
        assert summary["failed"] == summary["unconfirmed"] == "0"
        assert summary["delivered"] == summary["produced"]
        assert int(summary["delivered"]) > 10_000
        ids = consume_ids(kafka_bootstrap, topic)
        assert len(ids) == int(summary["delivered"])
        assert len(set(ids)) == len(ids)
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
        delete_topic(kafka_bootstrap, topic)


@pytest.mark.timeout(300)
def test_sasl_plain_with_the_password_from_the_environment(own_broker):
    topic = f"tx-producer-sasl-{uuid.uuid4().hex[:8]}"
    sasl = ["--brokers", f"127.0.0.1:{own_broker.sasl_port}", "--topic", topic, "--security-protocol", "SASL_PLAINTEXT",
            "--sasl-mechanism", "PLAIN", "--sasl-username", SASL_USER, "--metadata-timeout", "15"]
    run = ProducerRun(*sasl, "--create-topic", "--rate", "0", "--count", "5000", env={"TX_PRODUCER_SASL_PASSWORD": SASL_PASSWORD})
    code, summary = run.finish(timeout=120)
    assert code == 0, run.text()
    assert summary["delivered"] == "5000"
    assert "sasl_password=<set>[env]" in run.text()
    assert SASL_PASSWORD not in run.text() + run.stdout
    ids = consume_ids(own_broker.bootstrap, topic)  # read back over the PLAINTEXT listener
    assert len(ids) == len(set(ids)) == 5000

    wrong = "not-the-password"
    run = ProducerRun(*sasl, "--count", "10", "--metadata-timeout", "3", env={"TX_PRODUCER_SASL_PASSWORD": wrong})
    code = run.finish(timeout=60, expect_summary=False)[0]
    assert code == 2, run.text()
    assert "error: Kafka authentication failed" in run.text()
    assert wrong not in run.text() + run.stdout


@pytest.mark.timeout(120)
def test_no_broker_at_start_is_a_clear_error_after_the_timeout():
    port = free_port(set())  # nothing listens there
    began = time.monotonic()
    run = ProducerRun("--brokers", f"127.0.0.1:{port}", "--metadata-timeout", "3", "--count", "10")
    code = run.finish(timeout=60, expect_summary=False)[0]
    elapsed = time.monotonic() - began
    assert code == 2, run.text()
    assert 3 <= elapsed < 30
    assert re.search(rf"error: no Kafka broker reachable at 127\.0\.0\.1:{port} within 3s \(.*Connection refused",
                     run.text()), run.text()
    assert "Traceback" not in run.text()
