"""The kafka role with cluster ids that start with "-" and "_", each on a fresh volume, run for real.

A cluster id is base64url, so "-" and "_" are ordinary first characters. Kafka's own ids never start
with "-" (apache/kafka, clients/src/main/java/org/apache/kafka/common/Uuid.java, randomUuid()), but an
older version of the role made 16 plain random bytes, and one id in 64 did; the role keeps an existing
id. Passed to `kafka-storage format` as the two arguments `--cluster-id <id>`, such an id is read as an
option and the broker never starts; the image passes `--cluster-id=<id>` as apache/kafka's does.

Each case puts the id in `cluster.id` as the older role would have, runs the role in check mode
(nothing written), for real (the broker formats a new volume with that id and becomes healthy) and
again (no change), then reads the id back from the volume's meta.properties and from a client.
"""

from __future__ import annotations

import logging
import re
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _roles import run_playbook
from tests.lab import docker_engine
from tests.lab.core import Context
from tests.lab.kafka_image import ensure_kafka_image

pytestmark = pytest.mark.docker

_QUIET = logging.getLogger("tests.roles.kafka_cluster_id")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

# Two ids as an older role could have written them (22 base64url characters): one with a leading "-",
# which an option parser takes for an option, and one with a leading "_".
CLUSTER_IDS = {"dash": "-Xc4vHq2TWa5u0-lF_Q3mA", "underscore": "_kQ8d3Rz-S0yBwG1n2PpVg"}


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


def recap_changed(output: str) -> int:
    found = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output)
    assert found, f"no play recap in:\n{output[-3000:]}"
    return int(found.group(1))


@pytest.fixture
def role_project(tmp_path: Path, docker_image: str) -> Iterator[dict[str, Any]]:
    del docker_image  # the fixture starts the engine
    image = ensure_kafka_image(Context.from_env().cache_dir, lambda msg: None)
    project = tmp_path / "project"
    port = free_port()
    role_vars = {
        "kafka_project_dir": str(project), "kafka_project_name": f"cid-{uuid.uuid4().hex[:8]}",
        "kafka_image": image, "kafka_pull": "never", "kafka_external_bind_address": "127.0.0.1",
        "kafka_external_port": port, "kafka_external_host": "localhost", "kafka_heap_opts": "-Xms256m -Xmx256m",
        "kafka_healthcheck_interval": "3s", "kafka_healthcheck_start_period": "5s", "kafka_wait_timeout": 180,
    }
    try:
        yield {"dir": project, "vars": role_vars, "bootstrap": f"127.0.0.1:{port}"}
    finally:
        if (project / "compose.yaml").is_file():
            logs = compose(project, "logs", "--no-color", "--tail", "40", check=False).stdout
            compose(project, "down", "--volumes", "--timeout", "30", check=False)
            print(logs)


def play(role_vars: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"hosts": "localhost", "gather_facts": False, "vars": role_vars,
             "roles": [{"role": "transactions_st.realtime.kafka"}]}]


@pytest.mark.parametrize("case", sorted(CLUSTER_IDS))
def test_a_kept_id_formats_a_fresh_volume_and_the_broker_starts(tmp_path: Path, role_project: dict[str, Any],
                                                                 case: str) -> None:
    from confluent_kafka.admin import AdminClient

    cluster_id = CLUSTER_IDS[case]
    project: Path = role_project["dir"]
    project.mkdir(mode=0o750)
    (project / "cluster.id").write_text(cluster_id + "\n")

    checked = run_playbook(tmp_path, play(role_project["vars"]), check=True)
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert sorted(p.name for p in project.iterdir()) == ["cluster.id"]  # check mode wrote nothing

    first = run_playbook(tmp_path, play(role_project["vars"]))
    assert first.returncode == 0, f"{first.stdout[-6000:]}\n{first.stderr[-2000:]}"
    assert recap_changed(first.stdout) > 0
    assert (project / "cluster.id").read_text() == cluster_id + "\n"  # kept, not regenerated

    meta = compose(project, "exec", "-T", "kafka", "cat", "/var/lib/kafka/data/meta.properties").stdout
    assert f"cluster.id={cluster_id}" in meta.splitlines()
    health = compose(project, "ps", "--format", "{{.Health}}", "kafka").stdout.strip()
    assert health == "healthy"

    admin = AdminClient({"bootstrap.servers": role_project["bootstrap"], "logger": _QUIET})
    metadata = admin.list_topics(timeout=30)
    assert metadata.cluster_id == cluster_id
    assert [f"{b.host}:{b.port}" for b in metadata.brokers.values()] == [
        f"localhost:{role_project['vars']['kafka_external_port']}"]

    second = run_playbook(tmp_path, play(role_project["vars"]))
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap_changed(second.stdout) == 0, second.stdout[-4000:]


def test_a_file_without_an_id_stops_the_role_before_compose(tmp_path: Path, role_project: dict[str, Any]) -> None:
    project: Path = role_project["dir"]
    project.mkdir(mode=0o750)
    (project / "cluster.id").write_text("not a cluster id\n")
    done = run_playbook(tmp_path, play(role_project["vars"]))
    assert done.returncode != 0
    assert f"{project}/cluster.id does not hold a Kafka cluster id" in done.stdout
    assert sorted(p.name for p in project.iterdir()) == ["cluster.id"]
    assert (project / "cluster.id").read_text() == "not a cluster id\n"
