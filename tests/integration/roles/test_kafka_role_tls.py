"""The kafka role's compose file with SASL/SCRAM and TLS (PEM keystore) on EXTERNAL, run for real.

Renders the role's template, brings it up on the lab's Docker engine with the local broker image
(tests/lab/kafka_image.py, apache/kafka's env contract), adds a SCRAM user through INTERNAL the way
the role does, then a client on the host talks SASL_SSL to the published EXTERNAL port.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from _roles import render_kafka_compose
from tests.lab import docker_engine
from tests.lab.core import Context
from tests.lab.kafka_image import ensure_kafka_image

pytestmark = pytest.mark.docker

_QUIET = logging.getLogger("tests.roles.kafka_tls")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compose(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([docker_engine.docker_cli(), "compose", "--project-directory", str(project), *args],
                          capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert done.returncode == 0, f"docker compose {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def tls_broker(tmp_path: Path, docker_image: str) -> Iterator[dict[str, str]]:
    del docker_image  # the fixture starts the engine
    image = ensure_kafka_image(Context.from_env().cache_dir, lambda msg: None)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    port = free_port()
    password = uuid.uuid4().hex
    compose_file = render_kafka_compose(
        tmp_path, kafka_image=image, kafka_pull="never", kafka_project_name=f"tls-{uuid.uuid4().hex[:8]}",
        kafka_external_bind_address="127.0.0.1", kafka_external_port=port, kafka_resolved_external_host="localhost",
        kafka_sasl_enabled=True, kafka_scram_users=[{"name": "admin", "password": password}],
        kafka_tls_enabled=True, kafka_tls_certificate=cert.read_text(), kafka_tls_private_key=key.read_text(),
        kafka_heap_opts="-Xms256m -Xmx256m", kafka_healthcheck_interval="3s",
    )
    project = compose_file.parent
    # What the role's tls.yml writes: key then chain, owned by the image's user, mode 0600.
    secrets = project / "secrets"
    secrets.mkdir(mode=0o750)
    keystore = secrets / "external-keystore.pem"
    keystore.write_text(key.read_text().strip() + "\n" + cert.read_text().strip() + "\n")
    os.chmod(keystore, 0o600)
    os.chown(secrets, 1000, 0)
    os.chown(keystore, 1000, 0)
    try:
        compose(project, "up", "--detach", "--wait", "--wait-timeout", "180", "--pull", "never")
        # What the role's scram.yml runs, through INTERNAL.
        compose(project, "exec", "-T", "-e", "KAFKA_HEAP_OPTS=-Xmx128m", "kafka", "/opt/kafka/bin/kafka-configs.sh",
                "--bootstrap-server", "kafka:19092", "--alter", "--add-config",
                f"SCRAM-SHA-512=[iterations=8192,password={password}]", "--entity-type", "users", "--entity-name", "admin")
        yield {"bootstrap": f"localhost:{port}", "password": password, "ca": str(cert)}
    finally:
        logs = compose(project, "logs", "--no-color", "--tail", "40", check=False).stdout
        compose(project, "down", "--volumes", "--timeout", "30", check=False)
        print(logs)


def client_conf(broker: dict[str, str], **overrides: str) -> dict[str, object]:
    conf: dict[str, object] = {
        "bootstrap.servers": broker["bootstrap"], "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "admin", "sasl.password": broker["password"], "ssl.ca.location": broker["ca"],
        "logger": _QUIET, "socket.timeout.ms": 5000,
    }
    conf.update(overrides)
    return conf


def test_sasl_ssl_on_external(tls_broker: dict[str, str]) -> None:
    from confluent_kafka import Consumer, KafkaException, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(client_conf(tls_broker))  # type: ignore[arg-type]
    brokers = admin.list_topics(timeout=15).brokers
    assert [f"{b.host}:{b.port}" for b in brokers.values()] == [tls_broker["bootstrap"]]
    for future in admin.create_topics([NewTopic("tls-check", 1, 1)]).values():
        future.result(timeout=30)

    producer = Producer(client_conf(tls_broker))  # type: ignore[arg-type]
    producer.produce("tls-check", b"over SASL_SSL")
    assert producer.flush(30) == 0

    consumer = Consumer(client_conf(tls_broker, **{"group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest",
                                                    "session.timeout.ms": "6000"}))  # type: ignore[arg-type]
    consumer.subscribe(["tls-check"])
    values = []
    for _ in range(30):
        msg = consumer.poll(1.0)
        if msg is not None and not msg.error():
            values.append(msg.value())
            break
    consumer.close()
    assert values == [b"over SASL_SSL"]

    # A CA that did not sign the broker's certificate, and a wrong password, are both refused.
    for overrides in ({"ssl.ca.location": "/etc/ssl/certs/ca-certificates.crt"}, {"sasl.password": "wrong"}):
        with pytest.raises(KafkaException):
            AdminClient(client_conf(tls_broker, **overrides)).list_topics(timeout=6)  # type: ignore[arg-type]
