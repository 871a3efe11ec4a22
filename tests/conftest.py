"""Shared pytest fixtures: the test lab (tests/lab) and the markers' behaviour.

Fixtures use a running lab when there is one (same `LAB_STATE_DIR`) and start only the services
a test asks for otherwise. At the end of the session they stop only what they started
(`LAB_KEEP=1` keeps it running for the next session); a lab started by hand is never stopped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.api import Lab
from tests.lab.core import Context, LabError

LAB_FIXTURES = {
    "lab", "kafka_bootstrap", "mariadb_conn_params", "double_conn_params", "moto_url", "lab_ca_cert", "docker_image",
}
LIVE_VARS = ("SINGLESTORE_HOST", "KAFKA_BOOTSTRAP_SERVERS", "GRAFANA_URL")


class LabHandle:
    """Addresses and credentials of the lab; each accessor starts its service on first use."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._ready: set[str] = set()

    @property
    def state_dir(self) -> Path:
        return self._lab.ctx.state_dir

    @property
    def started(self) -> list[str]:
        """Services this session launched (and will stop at its end)."""
        return list(self._lab.launched)

    def require(self, *names: str) -> None:
        todo = [n for n in names if n not in self._ready]
        if not todo:
            return
        try:
            self._lab.start(todo)
        except LabError as exc:
            pytest.fail(f"lab: {exc}", pytrace=False)
        self._ready.update(self._lab.with_dependencies(todo))

    def _svc(self, name: str) -> Any:
        self.require(name)
        return self._lab.service(name)

    @property
    def kafka_bootstrap(self) -> str:
        return str(self._svc("kafka").bootstrap)

    @property
    def mariadb_conn_params(self) -> dict[str, Any]:
        return dict(self._svc("mariadb").conn_params())

    @property
    def double_conn_params(self) -> dict[str, Any]:
        return dict(self._svc("double").conn_params())

    @property
    def moto_url(self) -> str:
        return str(self._svc("moto").url)

    @property
    def ca_cert(self) -> Path:
        return Path(self._svc("mariadb").ca_cert)

    @property
    def docker_image(self) -> str:
        return str(self._svc("docker").image)

    def env(self) -> dict[str, str]:
        """`LAB_*` variables of the running services, as `python -m tests.lab env` prints them."""
        return self._lab.env()


@pytest.fixture(scope="session")
def lab() -> Iterator[LabHandle]:
    lab = Lab(Context.from_env())
    handle = LabHandle(lab)
    yield handle
    if lab.launched and not os.environ.get("LAB_KEEP"):
        try:
            lab.stop(lab.launched)
        except LabError as exc:  # teardown must not mask test results
            print(f"lab: could not stop {', '.join(lab.launched)}: {exc}")


@pytest.fixture(scope="session")
def kafka_bootstrap(lab: LabHandle) -> str:
    return lab.kafka_bootstrap


@pytest.fixture(scope="session")
def mariadb_conn_params(lab: LabHandle) -> dict[str, Any]:
    """Keyword arguments for `pymysql.connect` (root over TCP to the lab MariaDB)."""
    return lab.mariadb_conn_params


@pytest.fixture(scope="session")
def double_conn_params(lab: LabHandle) -> dict[str, Any]:
    """Keyword arguments for `pymysql.connect` to the SingleStore test double."""
    return lab.double_conn_params


@pytest.fixture(scope="session")
def moto_url(lab: LabHandle) -> str:
    return lab.moto_url


@pytest.fixture(scope="session")
def lab_ca_cert(lab: LabHandle) -> Path:
    """The lab CA certificate (PEM) that signed the MariaDB server certificate."""
    return lab.ca_cert


@pytest.fixture(scope="session")
def docker_image(lab: LabHandle) -> str:
    """Tag of the local systemd test image (starts the Docker engine if needed)."""
    return lab.docker_image


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # Tests that use the lab get the `lab` marker, so `-m "not lab"` runs without one.
        if LAB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.lab)
        live = item.get_closest_marker("live")
        if live is not None:
            needed = list(live.args) or list(LIVE_VARS)
            missing = [v for v in needed if not os.environ.get(v)]
            # Named variables must all be set; a bare `live` needs at least one target.
            if (live.args and missing) or (not live.args and len(missing) == len(needed)):
                item.add_marker(pytest.mark.skip(reason=f"live target not configured (set {', '.join(missing)})"))
