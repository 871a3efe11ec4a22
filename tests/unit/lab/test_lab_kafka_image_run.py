"""The lab Kafka image's launcher (tests/lab/images/kafka/docker/run) formats storage as apache/kafka's image does.

apache/kafka's image formats with the single argument ``--cluster-id=<CLUSTER_ID>``
(apache/kafka, core/src/main/scala/kafka/docker/KafkaDockerWrapper.scala, formatStorageCmd, run by
docker/jvm/launch). Given as two arguments, an id that starts with "-" is taken for an option by
kafka-storage's argument parser ("argument --cluster-id/-t: expected one argument").
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN = Path(__file__).resolve().parents[2] / "lab" / "images" / "kafka" / "docker" / "run"


class Execd(Exception):
    """Stands for os.execv: the launcher hands over to the broker."""


def load_run() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("kafka_image_run", str(RUN))
    spec = importlib.util.spec_from_loader("kafka_image_run", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture
def launcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    run = load_run()
    home = tmp_path / "opt-kafka"
    (home / "config").mkdir(parents=True)
    monkeypatch.setattr(run, "KAFKA_HOME", home)
    monkeypatch.setattr(run, "SERVER_PROPERTIES", home / "config" / "server.properties")
    monkeypatch.setattr(run, "SHARED", tmp_path / "no-shared-config")
    for name in [n for n in os.environ if n.startswith("KAFKA_") or n == "CLUSTER_ID"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KAFKA_NODE_ID", "1")
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kwargs: Any) -> Any:
        calls.append(list(argv))
        return type("Done", (), {"returncode": 0})()

    def fake_execv(path: str, argv: list[str]) -> None:
        raise Execd(path)

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    monkeypatch.setattr(run.os, "execv", fake_execv)
    return run, calls


@pytest.mark.parametrize("cluster_id", ["-Xc4vHq2TWa5u0-lF_Q3mA", "_kQ8d3Rz-S0yBwG1n2PpVg", "q1Sh-9_ODXmNsuvZH8wK1w"])
def test_format_gets_the_id_as_one_argument(launcher, monkeypatch, cluster_id: str) -> None:
    run, calls = launcher
    monkeypatch.setenv("CLUSTER_ID", cluster_id)
    with pytest.raises(Execd):
        run.main()
    (argv,) = calls
    assert argv[1] == "format"
    assert f"--cluster-id={cluster_id}" in argv
    assert "--cluster-id" not in argv and "-t" not in argv and cluster_id not in argv


def test_without_cluster_id_the_images_fallback_is_used(launcher) -> None:
    run, calls = launcher
    with pytest.raises(Execd):
        run.main()
    assert f"--cluster-id={run.DEFAULT_CLUSTER_ID}" in calls[0]
