"""Shared pytest fixtures: the test lab (tests/lab), the markers' behaviour and the live switch.

Fixtures use a running lab when there is one (same `LAB_STATE_DIR`) and start only the services
a test asks for otherwise. At the end of the session they stop only what they started
(`LAB_KEEP=1` keeps it running for the next session); a lab started by hand is never stopped.

`--live` (used by `make test-live`, scripts/run_live.py): the SingleStore fixture of the lab
(`double_conn_params`, behind the `singlestore` and `s2` fixtures of the module tests) answers with
the real server of `SINGLESTORE_*` instead of the test double, and `kafka_bootstrap` with
`KAFKA_BOOTSTRAP_SERVERS` when it is set; only the tests that can target a real server are kept
(see `live_selection`). Without `--live` nothing changes.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.live.target import LiveConfigError, kafka_bootstrap as live_kafka, singlestore_target
from tests.lab.api import Lab
from tests.lab.core import Context, LabError

LAB_FIXTURES = {
    "lab", "kafka_bootstrap", "mariadb_conn_params", "double_conn_params", "moto_url", "lab_ca_cert", "docker_image",
    "helios",
}
LIVE_VARS = ("SINGLESTORE_HOST", "KAFKA_BOOTSTRAP_SERVERS", "GRAFANA_URL")
LIVE_DIR = Path(__file__).resolve().parent / "integration" / "live"
# Lab fixtures a test may ask for *directly* that tie it to the lab (its MariaDB behind the double, a
# restart of a lab service, the lab CA): such a test checks the lab, not a server, and --live leaves it out.
LAB_ONLY_ARGS = {"lab", "mariadb_conn_params", "maria", "lab_ca_cert", "docker_image", "moto_url", "helios"}
# Fixtures that reach the SingleStore double (`singlestore` asks for double_conn_params at run time).
SINGLESTORE_FIXTURES = {"double_conn_params", "singlestore"}
# What a --live session selected (count) and left out (count per reason), for the terminal summary.
LIVE_REPORT = pytest.StashKey[tuple[int, dict[str, int]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", default=False,
                     help="target the real SingleStore of SINGLESTORE_HOST/PORT/USER/PASSWORD (and KAFKA_BOOTSTRAP_SERVERS) "
                          "instead of the lab's test double; keep only the tests that can (make test-live)")
    parser.addoption("--live-without-kafka", action="store_true", default=False,
                     help="with --live: leave out the tests that need a Kafka the SingleStore server reads "
                          "(scripts/run_live.py sets it when its probe found none)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "double_only: checks a behaviour only the lab's test double can be put in "
                                       "(a faked version, a forced catalog state); --live leaves it out")
    if config.getoption("--live"):
        try:
            target = singlestore_target()
            live_kafka()
        except LiveConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        if target is None:
            raise pytest.UsageError("--live needs SINGLESTORE_HOST (and SINGLESTORE_PORT, SINGLESTORE_USER, SINGLESTORE_PASSWORD)")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # tests/integration/live runs site.yml against a real server: only `--live` collects it, so
    # `make test` neither runs nor lists it as skipped.
    if not config.getoption("--live") and (collection_path == LIVE_DIR or LIVE_DIR in collection_path.parents):
        return True
    return None


def live_selection(item: pytest.Item, without_kafka: bool) -> str | None:
    """Why ``item`` is left out of a --live run, or None when it runs against the real server.

    Kept: the tests that reach SingleStore through ``double_conn_params`` (directly, or through the
    module tests' ``singlestore`` and ``s2`` fixtures), and everything under tests/integration/live.
    """
    path = Path(str(item.path)).resolve()
    if path == LIVE_DIR or LIVE_DIR in path.parents:
        return None
    names = set(getattr(item, "fixturenames", ()))
    direct = set(getattr(getattr(item, "_fixtureinfo", None), "argnames", ()))
    params = getattr(getattr(item, "callspec", None), "params", {})
    if not names & SINGLESTORE_FIXTURES:
        return "does not target SingleStore"
    if params.get("singlestore") == "double":
        return "the [double] case of a test whose [live] case runs"
    if item.get_closest_marker("double_only"):
        return "marked double_only"
    if direct & LAB_ONLY_ARGS:
        return f"uses the lab itself ({', '.join(sorted(direct & LAB_ONLY_ARGS))})"
    if without_kafka and "kafka_bootstrap" in names:
        return "needs a Kafka the SingleStore server reads (--live-without-kafka)"
    return None


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

    @property
    def helios(self) -> HeliosLab:
        svc = self._svc("helios")
        return HeliosLab(str(svc.url), str(svc.api_key()))

    def env(self) -> dict[str, str]:
        """`LAB_*` variables of the running services, as `python -m tests.lab env` prints them."""
        return self._lab.env()


class HeliosLab:
    """The lab's Helios Management API stand-in: its address, key and `/_lab/` knobs (tests/lab/helios)."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url  # the client's base_url; the API answers under /v1/
        self.api_key = api_key

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def reset(self) -> None:
        """Forget every group, workspace and logged request; settings back to the service's start values."""
        self._call("POST", "/_lab/reset")

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change only the settings given: `delay` (seconds per asynchronous transition) and
        `default_endpoint` (what new workspaces report; None: a Helios-like host name). Returns all settings."""
        return dict(self._call("POST", "/_lab/config", settings))

    def requests(self) -> list[dict[str, Any]]:
        """`{"method", "path", "status"}` of every API request since the last reset (knobs excluded)."""
        return list(self._call("GET", "/_lab/requests"))

    def writes(self) -> list[dict[str, Any]]:
        """The requests that could change something (POST, PATCH, PUT, DELETE)."""
        return [r for r in self.requests() if r["method"] != "GET"]

    def set_endpoint(self, workspace_id: str, host: str) -> dict[str, Any]:
        """Make a workspace report `host` as its endpoint (e.g. 127.0.0.1 for the SingleStore double)."""
        return dict(self._call("PUT", f"/_lab/workspaces/{workspace_id}/endpoint", {"endpoint": host}))


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
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """The lab's Kafka; under --live, KAFKA_BOOTSTRAP_SERVERS when set (the lab's otherwise)."""
    if request.config.getoption("--live") and live_kafka():
        return str(live_kafka())
    return request.getfixturevalue("lab").kafka_bootstrap


@pytest.fixture(scope="session")
def mariadb_conn_params(lab: LabHandle) -> dict[str, Any]:
    """Keyword arguments for `pymysql.connect` (root over TCP to the lab MariaDB)."""
    return lab.mariadb_conn_params


@pytest.fixture(scope="session")
def double_conn_params(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keyword arguments for `pymysql.connect` to the SingleStore test double; under --live, to the real server."""
    if request.config.getoption("--live"):
        target = singlestore_target()
        assert target is not None  # pytest_configure refused --live without SINGLESTORE_HOST
        return target.conn_params()
    return request.getfixturevalue("lab").double_conn_params


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


@pytest.fixture
def helios(lab: LabHandle) -> HeliosLab:
    """The Helios Management API stand-in, reset for this test (no groups, no logged requests, start settings)."""
    handle = lab.helios
    handle.reset()
    return handle


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        kept, left_out = [], {}
        for item in items:
            reason = live_selection(item, config.getoption("--live-without-kafka"))
            if reason is None:
                kept.append(item)
            else:
                left_out.setdefault(reason, []).append(item)
        if left_out:
            config.hook.pytest_deselected(items=[i for group in left_out.values() for i in group])
            items[:] = kept
        config.stash[LIVE_REPORT] = (len(kept), {reason: len(group) for reason, group in left_out.items()})
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


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if LIVE_REPORT not in config.stash:
        return
    kept, left_out = config.stash[LIVE_REPORT]
    target = singlestore_target()
    where = target.address if target else "?"
    terminalreporter.write_line(f"live: {kept} test(s) selected against SingleStore at {where}"
                                + (f", Kafka {live_kafka()}" if live_kafka() else ", the lab's Kafka"))
    for reason, count in sorted(left_out.items()):
        terminalreporter.write_line(f"live: {count} left out: {reason}")
