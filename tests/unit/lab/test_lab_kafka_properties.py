"""server.properties written by tests/lab/services/kafka.py, shared by the lab and the producer's own broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.core import LabError
from tests.lab.services.kafka import server_properties, write_server_properties


def props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_lab_broker_plaintext_only():
    conf = props(server_properties(39092, 39093, Path("/state/kafka/data")))
    assert conf["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert conf["advertised.listeners"] == "PLAINTEXT://127.0.0.1:39092"
    assert conf["controller.quorum.voters"] == "1@127.0.0.1:39093"
    assert conf["listener.security.protocol.map"] == "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    assert conf["log.dirs"] == "/state/kafka/data"
    assert conf["offsets.topic.num.partitions"] == conf["transaction.state.log.num.partitions"] == "4"
    assert not any(key.startswith("sasl") or ".sasl." in key for key in conf)


def test_sasl_plain_listener_and_internal_partitions():
    conf = props(server_properties(1, 2, Path("/d"), sasl_plain_port=3, sasl_plain_users={"u": "p", "v": "q"},
                                   internal_partitions=1))
    assert conf["listeners"] == "PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2,SASL_PLAINTEXT://127.0.0.1:3"
    assert conf["advertised.listeners"] == "PLAINTEXT://127.0.0.1:1,SASL_PLAINTEXT://127.0.0.1:3"
    assert conf["listener.security.protocol.map"].endswith(",SASL_PLAINTEXT:SASL_PLAINTEXT")
    assert conf["sasl.enabled.mechanisms"] == "PLAIN"
    assert conf["listener.name.sasl_plaintext.plain.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_u="p" user_v="q";')
    assert conf["offsets.topic.num.partitions"] == conf["transaction.state.log.num.partitions"] == "1"


def test_sasl_listener_needs_a_user():
    with pytest.raises(LabError):
        server_properties(1, 2, Path("/d"), sasl_plain_port=3)


def test_write_server_properties(tmp_path):
    path = write_server_properties(tmp_path, 5, 6)
    assert path == tmp_path / "server.properties"
    assert props(path.read_text())["log.dirs"] == str(tmp_path / "data")
