"""The kafka role's compose file, rendered from the role's own template, defaults and vars.

`docker compose config` (the compose plugin, no engine needed) must accept it, and the listener layout
must hold: only EXTERNAL published, CONTROLLER never advertised, data on the named volume.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _roles import compose_config, docker_cli, load_yaml, render_kafka_compose

pytestmark = pytest.mark.skipif(docker_cli() is None, reason="needs the docker CLI with the compose v2 plugin")


def unescape(value: str) -> str:
    """`docker compose config` prints "$" as "$$" (its output is itself a compose file)."""
    return value.replace("$$", "$")


def kafka_service(config: dict) -> dict:
    assert list(config["services"]) == ["kafka"]
    return config["services"]["kafka"]


def test_default_compose_file_is_valid_and_publishes_only_external(tmp_path: Path) -> None:
    compose = render_kafka_compose(tmp_path)
    svc = kafka_service(compose_config(compose))
    env = svc["environment"]

    assert svc["image"] == "apache/kafka:4.1.1"
    assert svc["ports"] == [{"mode": "ingress", "host_ip": "0.0.0.0", "target": 9092, "published": "9092",
                             "protocol": "tcp"}]
    assert "expose" not in svc
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert [v for v in svc["volumes"] if v["target"] == "/var/lib/kafka/data"] == [
        {"type": "volume", "source": "kafka-data", "target": "/var/lib/kafka/data", "volume": {}}]
    assert "kafka-data" in compose_config(compose)["volumes"]

    assert env["KAFKA_LISTENERS"] == "INTERNAL://:19092,EXTERNAL://:9092,CONTROLLER://:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "INTERNAL://kafka:19092,EXTERNAL://kafka.example.test:9092"
    assert "CONTROLLER" not in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    assert env["CLUSTER_ID"] == "q1Sh-9_ODXmNsuvZH8wK1w"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_LOG_RETENTION_HOURS"] == "24"
    assert env["KAFKA_HEAP_OPTS"] == "-Xms512m -Xmx512m"
    assert not any("SASL" in key or "SSL" in key for key in env)

    # Healthcheck: INTERNAL listener, output searched for ERROR. `config` prints the model re-escaped
    # ("$" as "$$"), so unescape once to get what the container's shell receives.
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    shell = unescape(test[1])
    assert "--bootstrap-server kafka:19092" in shell
    assert "grep -q ERROR" in shell
    assert shell.startswith("out=$(") and '"$out"' in shell


def test_sasl_and_tls_stay_on_external(tmp_path: Path) -> None:
    compose = render_kafka_compose(
        tmp_path, kafka_sasl_enabled=True, kafka_tls_enabled=True,
        kafka_scram_users=[{"name": "singlestore", "password": "s3cret"}],
        kafka_tls_certificate="-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
        kafka_tls_private_key="-----BEGIN PRIVATE KEY-----\nY\n-----END PRIVATE KEY-----",
    )
    text = compose.read_text()
    svc = kafka_service(compose_config(compose))
    env = svc["environment"]

    assert env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == "CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_LISTENER_NAME_EXTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"] == (
        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
    assert env["KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_TYPE"] == "PEM"
    assert env["KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION"] == "/etc/kafka/secrets/external-keystore.pem"
    assert "KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEY_PASSWORD" not in env
    # The image's SSL/SASL helper scripts key on listener names, not protocols: EXTERNAL triggers neither.
    assert "SSL://" not in env["KAFKA_ADVERTISED_LISTENERS"] and "SASL_" not in env["KAFKA_ADVERTISED_LISTENERS"]
    assert any(v["target"] == "/etc/kafka/secrets" and v.get("read_only") for v in svc["volumes"])
    assert len(svc["ports"]) == 1
    # Neither the SCRAM password nor the key material is in the compose file.
    assert "s3cret" not in text and "PRIVATE KEY" not in text


def test_bind_address_port_and_ipv6_host(tmp_path: Path) -> None:
    compose = render_kafka_compose(tmp_path, kafka_external_bind_address="127.0.0.1", kafka_external_port=9094,
                                   kafka_resolved_external_host="2001:db8::7")
    svc = kafka_service(compose_config(compose))
    env = svc["environment"]
    assert svc["ports"] == [{"mode": "ingress", "host_ip": "127.0.0.1", "target": 9094, "published": "9094",
                             "protocol": "tcp"}]
    assert env["KAFKA_LISTENERS"] == "INTERNAL://:19092,EXTERNAL://:9094,CONTROLLER://:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "INTERNAL://kafka:19092,EXTERNAL://[2001:db8::7]:9094"


def test_extra_environment_is_literal(tmp_path: Path) -> None:
    """Values reach the container as given: `$` is not compose interpolation, YAML specials stay strings."""
    compose = render_kafka_compose(tmp_path, kafka_extra_environment={
        "KAFKA_MESSAGE_MAX_BYTES": 2097152, "KAFKA_SOMETHING": "a$b ${HOME}: #x", "KAFKA_LOG_RETENTION_HOURS": "6"})
    raw = load_yaml(compose)["services"]["kafka"]["environment"]
    assert all(isinstance(v, str) for v in raw.values())
    env = kafka_service(compose_config(compose))["environment"]
    assert env["KAFKA_MESSAGE_MAX_BYTES"] == "2097152"
    assert unescape(env["KAFKA_SOMETHING"]) == "a$b ${HOME}: #x"  # not interpolated
    assert env["KAFKA_LOG_RETENTION_HOURS"] == "6"  # extra environment wins over the role's own
