"""Unit tests of the lab core: port conflicts, cache entries, the state file, process tracking."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab import cli
from tests.lab.api import Lab
from tests.lab.core import (
    MARKER, Context, LabError, ProcessService, ServiceFailed, StateFile, cache_entry, check_port_free, is_ours,
    port_is_free, proc_start_time, read_secrets, spawn, terminate, write_secrets,
)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    messages: list[str] = []
    return Context(tmp_path / "state", tmp_path / "cache", {}, messages.append)


# ------------------------------------------------------------------ ports


def test_taken_port_is_detected(taken_port: int) -> None:
    assert not port_is_free(taken_port)
    with pytest.raises(LabError) as err:
        check_port_free(taken_port, "kafka", "LAB_KAFKA_PORT")
    msg = str(err.value)
    assert f"port {taken_port}" in msg and "LAB_KAFKA_PORT" in msg
    if shutil.which("ss") and os.geteuid() == 0:  # ss names other users' processes only for root
        assert f"pid {os.getpid()}" in msg


def test_free_port_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port_is_free(port)
    check_port_free(port, "moto", "LAB_MOTO_PORT")


def test_start_refuses_a_taken_port(ctx: Context, taken_port: int) -> None:
    ctx.environ = {"LAB_MOTO_PORT": str(taken_port)}
    with pytest.raises(LabError, match=f"port {taken_port} .*LAB_MOTO_PORT"):
        Lab(ctx).start(["moto"])
    assert ctx.state.read()["services"] == {}  # nothing launched, nothing recorded


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
def test_bad_port_variable(ctx: Context, value: str) -> None:
    ctx.environ = {"LAB_KAFKA_PORT": value}
    with pytest.raises(LabError, match="LAB_KAFKA_PORT"):
        ctx.port("LAB_KAFKA_PORT", 39092)


def test_port_variable_default_and_override(ctx: Context) -> None:
    assert ctx.port("LAB_KAFKA_PORT", 39092) == 39092
    ctx.environ = {"LAB_KAFKA_PORT": "40001"}
    assert ctx.port("LAB_KAFKA_PORT", 39092) == 40001


# ------------------------------------------------------------------ cache entries


def test_cache_entry_built_once(tmp_path: Path) -> None:
    calls: list[Path] = []

    def build(tmp: Path) -> None:
        calls.append(tmp)
        (tmp / "libs").mkdir()
        (tmp / "libs" / "a.jar").write_text("jar")

    entry = tmp_path / "kafka-4.1.1"
    assert cache_entry(entry, build, print) == entry
    assert (entry / MARKER).is_file() and (entry / "libs" / "a.jar").is_file()
    cache_entry(entry, build, print)
    assert len(calls) == 1
    assert calls[0] != entry  # built under a temporary name, then renamed


def test_half_written_cache_entry_is_redone(tmp_path: Path) -> None:
    entry = tmp_path / "kafka-4.1.1"
    (entry / "libs").mkdir(parents=True)
    (entry / "libs" / "partial.jar").write_text("half")  # no marker: an interrupted fetch
    log: list[str] = []

    def build(tmp: Path) -> None:
        (tmp / "libs").mkdir()
        (tmp / "libs" / "full.jar").write_text("jar")

    cache_entry(entry, build, log.append)
    assert any("half-written" in line for line in log)
    assert sorted(p.name for p in (entry / "libs").iterdir()) == ["full.jar"]
    assert (entry / MARKER).is_file()


def test_failed_build_leaves_nothing(tmp_path: Path) -> None:
    entry = tmp_path / "kafka-4.1.1"

    def build(tmp: Path) -> None:
        (tmp / "junk").write_text("x")
        raise LabError("mvn failed")

    with pytest.raises(LabError, match="mvn failed"):
        cache_entry(entry, build, print)
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_dirs_are_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / ".kafka-4.1.1.tmp-abc"
    stale.mkdir()
    cache_entry(tmp_path / "kafka-4.1.1", lambda tmp: None, print)
    assert not stale.exists()


# ------------------------------------------------------------------ state and secrets


def test_state_file_roundtrip(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "lab" / "state.json")
    assert state.read() == {"services": {}}
    state.update("kafka", {"pid": 1, "port": 39092})
    state.update("moto", {"pid": 2, "port": 35000})
    assert StateFile(state.path).service("kafka") == {"pid": 1, "port": 39092}
    state.update("kafka", None)
    assert json.loads(state.path.read_text())["services"] == {"moto": {"pid": 2, "port": 35000}}
    assert [p.name for p in state.path.parent.iterdir()] == ["state.json"]  # no temp files left


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"services": {"kafka": ')
    with pytest.raises(LabError, match="state file .* unreadable"):
        StateFile(path).read()


def test_secrets_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    write_secrets(path, {"mariadb_root_password": "s3cret"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_secrets(path) == {"mariadb_root_password": "s3cret"}


def test_stop_with_nothing_running_is_fine(ctx: Context) -> None:
    assert Lab(ctx).stop() == []


def test_env_lists_only_running_services(ctx: Context) -> None:
    ctx.state.update("kafka", {"pid": 2**22 + 7, "start_time": 1, "port": 39092})  # long gone
    assert Lab(ctx).env() == {}


# ------------------------------------------------------------------ processes


def test_pid_identity_includes_start_time() -> None:
    started = proc_start_time(os.getpid())
    assert started is not None
    me = {"pid": os.getpid(), "start_time": started}
    assert is_ours(me)
    assert not is_ours({**me, "start_time": started + 1})  # a recycled pid
    assert not is_ours({"pid": 2**22 + 7, "start_time": 1})
    assert not is_ours({})


def test_spawn_and_terminate(tmp_path: Path) -> None:
    entry = spawn(["sleep", "60"], tmp_path / "sleep.log", cwd=tmp_path)
    assert is_ours(entry)
    assert os.getpgid(entry["pid"]) == entry["pid"]  # own session: detached from the caller
    assert terminate(entry, grace=5)
    assert not is_ours(entry)
    assert not terminate(entry)  # already stopped: tolerated
    assert "starting: sleep 60" in (tmp_path / "sleep.log").read_text()


# ------------------------------------------------------------------ CLI


def test_cli_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["start", "nonsense"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lab: error: unknown service nonsense")


# ------------------------------------------------------------------ waiting for health


class _Sleeper(ProcessService):
    """Stands in for a real service: a process that never answers its health check."""

    name = "moto"
    start_timeout = 1.0
    cmd = ["sleep", "60"]

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.launch(self.cmd, self.dir / "fake.log")

    def healthy(self) -> bool:
        return False

    def log_files(self) -> list[Path]:
        return [self.dir / "fake.log"]


class _Crasher(_Sleeper):
    cmd = ["sh", "-c", "echo boom: bad config; exit 3"]


def test_unhealthy_service_is_stopped_and_reported(ctx: Context) -> None:
    lab = Lab(ctx)
    lab._services["moto"] = svc = _Sleeper(ctx)
    with pytest.raises(ServiceFailed, match="did not become healthy within 1 s") as err:
        lab.start(["moto"])
    assert "python -m tests.lab start moto" in str(err.value)
    assert ctx.state.read()["services"] == {} and svc.pid() is None  # nothing left running
    assert lab.launched == ["moto"]


def test_crashing_service_shows_its_log_tail(ctx: Context) -> None:
    lab = Lab(ctx)
    lab._services["moto"] = _Crasher(ctx)
    with pytest.raises(ServiceFailed, match="exited before it became healthy") as err:
        lab.start(["moto"])
    assert any("boom: bad config" in line for _path, tail in err.value.tails for line in tail)


def test_process_that_exits_at_once_is_not_running(tmp_path: Path) -> None:
    entry = spawn(["true"], tmp_path / "true.log", cwd=tmp_path)
    for _ in range(50):
        if not is_ours(entry):
            break
        time.sleep(0.05)
    assert not is_ours(entry)
    assert not is_ours({**entry, "start_time": None})  # unknown start time never matches
