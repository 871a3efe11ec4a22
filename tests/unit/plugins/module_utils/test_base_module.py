"""SingleStoreModule, the one skeleton of the singlestore_* modules: options, lazy connection, one failure path."""

from __future__ import annotations

from typing import Any

import pytest
from pymysql.err import OperationalError, ProgrammingError

from ansible_collections.transactions_st.realtime.plugins.module_utils import _base
from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    ManagedObject,
    ModuleError,
    SingleStoreModule,
    Statement,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import SingleStoreError
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import IdentifierError


class Exited(Exception):
    def __init__(self, kind: str, result: dict[str, Any]) -> None:
        super().__init__(kind)
        self.kind, self.result = kind, result


class FakeAnsibleModule:
    """Records the argument spec it was built with and turns exit_json/fail_json into an exception."""

    def __init__(self, argument_spec: dict[str, Any], **kwargs: Any) -> None:
        self.argument_spec, self.kwargs = argument_spec, kwargs
        self.params = {name: spec.get("default") for name, spec in argument_spec.items()}
        self.params.update(login_user="admin", login_password="s3cr3t-pass", name="db1")
        self.check_mode, self._diff = False, False
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def exit_json(self, **result: Any) -> None:
        raise Exited("exit", result)

    def fail_json(self, **result: Any) -> None:
        raise Exited("fail", result)


class FakeConnection:
    def __init__(self, error: Exception | None = None) -> None:
        self.error, self.closed, self.executed = error, False, []

    def execute(self, sql: str, params: Any = None) -> tuple[None, int]:
        if self.error is not None and "fails" in sql:
            raise self.error
        self.executed.append(sql)
        return None, 0

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> SingleStoreModule:
    monkeypatch.setattr(_base, "AnsibleModule", FakeAnsibleModule)
    return SingleStoreModule(dict(name=dict(type="str")))


def opened(module: SingleStoreModule, monkeypatch: pytest.MonkeyPatch, conn: FakeConnection) -> list[Any]:
    calls: list[Any] = []

    def fake_connect(params: Any, database: str | None = None) -> FakeConnection:
        calls.append(database)
        return conn

    monkeypatch.setattr(_base, "connect", fake_connect)
    return calls


def test_adds_the_connection_options_and_check_mode(module: SingleStoreModule) -> None:
    fake = module.module
    assert isinstance(fake, FakeAnsibleModule)
    assert {"login_host", "login_password", "ssl_mode", "name"} <= set(fake.argument_spec)
    assert fake.kwargs["supports_check_mode"] is True


def test_connects_only_when_asked_and_once(module: SingleStoreModule, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = FakeConnection()
    calls = opened(module, monkeypatch, conn)
    with pytest.raises(Exited) as exited:
        module.run(lambda: dict(changed=False))
    assert exited.value.kind == "exit" and calls == []  # nothing asked for a connection
    assert module.connect("db1") is module.conn is conn and calls == ["db1"]


@pytest.mark.parametrize(
    "error, message",
    [
        (ModuleError("bad plan", wanted=3), "bad plan"),
        (SingleStoreError("login_user is required"), "login_user is required"),
        (IdentifierError("bad name"), "bad name"),
        (ProgrammingError(1064, "syntax near s3cr3t-pass"), "returned error 1064: syntax near ********"),
    ],
)
def test_every_error_fails_cleanly_scrubbed_with_queries_and_closes(
    module: SingleStoreModule, monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    conn = FakeConnection()
    opened(module, monkeypatch, conn)

    def work() -> dict[str, Any]:
        module.conn.execute("CREATE DATABASE a")
        module.queries.append("CREATE DATABASE a")
        raise error

    with pytest.raises(Exited) as exited:
        module.run(work)
    assert exited.value.kind == "fail"
    assert message in exited.value.result["msg"] and "s3cr3t-pass" not in exited.value.result["msg"]
    assert exited.value.result["queries"] == ["CREATE DATABASE a"]
    if isinstance(error, ModuleError):
        assert exited.value.result["wanted"] == 3
    assert conn.closed


class Two(ManagedObject):
    result_key = "thing"

    def read(self) -> dict[str, Any] | None:
        return None

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        return [Statement("CREATE x"), Statement("CREATE y fails %(p)s", {"p": "pw-123456"}, secrets=("p",))]


def test_a_failed_statement_names_itself_and_the_statements_run_before(
    module: SingleStoreModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = FakeConnection(OperationalError(1146, "no such thing pw-123456"))
    opened(module, monkeypatch, conn)
    with pytest.raises(Exited) as exited:
        module.run_object(Two)
    result = exited.value.result
    assert exited.value.kind == "fail" and result["queries"] == ["CREATE x"]
    assert result["msg"].endswith("while running: CREATE y fails %(p)s after 1 successful statement(s)")
    assert "pw-123456" not in result["msg"] and conn.closed


def test_without_pymysql_fails_with_missing_required_lib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base, "AnsibleModule", FakeAnsibleModule)
    monkeypatch.setattr(_base, "HAS_PYMYSQL", False)
    with pytest.raises(Exited) as exited:
        SingleStoreModule({})
    assert exited.value.kind == "fail" and "PyMySQL" in exited.value.result["msg"]
    assert "Failed to import the required Python library" in exited.value.result["msg"]
