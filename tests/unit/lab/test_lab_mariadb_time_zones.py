"""The lab MariaDB loads its time zone tables when they are empty, and only then (tests/lab/services/mariadb.py).

The server itself is exercised in tests/integration/test_lab_time_zones.py; here the decisions and what
reaches a command line: mariadb-tzinfo-to-sql gets the zoneinfo directory and nothing else, the SQL goes
to the server inside the protocol, a missing tzdata or a failed conversion stops the service with a
message saying what to install or where to look.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.lab.core import Context, LabError
from tests.lab.services import mariadb as mariadb_module
from tests.lab.services.mariadb import MariaDB

PASSWORD = "s3cret-root-pw"


class FakeMariaDB(MariaDB):
    """MariaDB whose server side is a record: tables loaded or not, scripts run, stop called."""

    def __init__(self, ctx: Context, loaded: bool) -> None:
        super().__init__(ctx)
        self.loaded = loaded
        self.scripts: list[str] = []
        self.stopped = False

    def time_zones_loaded(self, password: str) -> bool:
        assert password == PASSWORD
        return self.loaded

    def _run_script(self, password: str, sql: str) -> None:
        assert password == PASSWORD
        self.scripts.append(sql)
        self.loaded = True

    def stop(self) -> bool:
        self.stopped = True
        return True


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    messages: list[str] = []
    context = Context(tmp_path, tmp_path / "cache", {}, messages.append)
    (tmp_path / "mariadb").mkdir()
    return context


@pytest.fixture
def tzinfo_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, stdout=b"INSERT INTO time_zone_name VALUES ('Europe/Paris', 1);\n",
                                           stderr=b"Warning: Unable to load 'leap-seconds.list'\n")

    monkeypatch.setattr(mariadb_module, "require_tool", lambda name, hint: f"/usr/bin/{name}")
    monkeypatch.setattr(mariadb_module.subprocess, "run", fake_run)
    return calls


def test_empty_tables_are_loaded_from_zoneinfo_without_the_password_on_a_command_line(ctx, tzinfo_calls) -> None:
    maria = FakeMariaDB(ctx, loaded=False)
    maria._ensure_time_zones(PASSWORD)
    assert tzinfo_calls == [["/usr/bin/mariadb-tzinfo-to-sql", "/usr/share/zoneinfo"]]
    assert maria.scripts == ["INSERT INTO time_zone_name VALUES ('Europe/Paris', 1);\n"]
    assert not any(PASSWORD in arg for argv in tzinfo_calls for arg in argv)
    assert "leap-seconds.list" in (ctx.state_dir / "mariadb" / "mariadb.out").read_text()  # skipped files logged
    assert not maria.stopped


def test_loaded_tables_are_left_alone(ctx, tzinfo_calls) -> None:
    maria = FakeMariaDB(ctx, loaded=True)
    maria._ensure_time_zones(PASSWORD)
    assert tzinfo_calls == [] and maria.scripts == []


def test_missing_tzdata_says_what_to_install(ctx, tzinfo_calls, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(mariadb_module, "ZONEINFO", tmp_path / "no-zoneinfo")
    maria = FakeMariaDB(ctx, loaded=False)
    with pytest.raises(LabError, match="apt-get install tzdata"):
        maria._ensure_time_zones(PASSWORD)
    assert tzinfo_calls == [] and maria.stopped


def test_a_failed_conversion_stops_the_service(ctx, monkeypatch) -> None:
    monkeypatch.setattr(mariadb_module, "require_tool", lambda name, hint: f"/usr/bin/{name}")
    monkeypatch.setattr(mariadb_module.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 1, stdout=b"", stderr=b"boom\n"))
    maria = FakeMariaDB(ctx, loaded=False)
    with pytest.raises(LabError, match="exit code 1"):
        maria._ensure_time_zones(PASSWORD)
    assert maria.stopped and maria.scripts == []


def test_tables_still_empty_after_loading_is_an_error(ctx, tzinfo_calls) -> None:
    class NeverLoads(FakeMariaDB):
        def _run_script(self, password: str, sql: str) -> None:
            self.scripts.append(sql)

    maria = NeverLoads(ctx, loaded=False)
    with pytest.raises(LabError, match="still empty"):
        maria._ensure_time_zones(PASSWORD)
    assert maria.stopped
