"""Bad inputs: each one a failed task with a clear message, no traceback, and the catalog unchanged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from _ansible import NoTlsServer, assert_clean_failure, login_options, query, run_steps, snapshot, step

TAG = uuid.uuid4().hex[:6]
DB = f"bad_{TAG}"


@pytest.fixture(scope="module")
def prepared(maria: dict[str, Any]):
    query(maria, f"CREATE DATABASE IF NOT EXISTS `{DB}`")
    query(maria, f"CREATE TABLE IF NOT EXISTS `{DB}`.t (id bigint primary key, v int)")
    yield maria
    query(maria, f"DROP DATABASE IF EXISTS `{DB}`")


CASES = [
    ("database name with a backtick", "singlestore_database", {"name": "a`b"}, ["backtick", "a`b"]),
    ("database name with a quote", "singlestore_database", {"name": "a'b"}, ["quote"]),
    ("database name with a semicolon", "singlestore_database", {"name": "x; DROP DATABASE mysql"}, ["semicolon"]),
    ("database name with a newline", "singlestore_database", {"name": "a\nb"}, ["newline"]),
    ("table name over 64 characters", "singlestore_table", {"database": DB, "name": "t" * 65, "columns": [{"name": "a", "type": "int"}]},
     ["65 characters", "limit is 64"]),
    ("column name with a backtick", "singlestore_table", {"database": DB, "name": "t2", "columns": [{"name": "a`", "type": "int"}]},
     ["column name", "backtick"]),
    ("user name with a quote", "singlestore_user", {"user": "o'brien"}, ["user name", "quote"]),
    ("unknown column type", "singlestore_table", {"database": DB, "name": "t2", "columns": [{"name": "a", "type": "intx"}]},
     ["'intx' is not a column type"]),
    ("unknown column type on an existing table", "singlestore_table",
     {"database": DB, "name": "t", "columns": [{"name": "id", "type": "bigint", "nullable": False}, {"name": "w", "type": "strange(1)"}]},
     ["strange(1)"]),
    ("partitions on MariaDB", "singlestore_database", {"name": DB, "partitions": 4}, ["partitions is a SingleStore option", "MariaDB"]),
    ("shard key on MariaDB", "singlestore_table", {"database": DB, "name": "t2", "columns": [{"name": "a", "type": "int"}], "shard_key": ["a"]},
     ["shard_key", "SingleStore-only"]),
    ("primary key change without rebuild", "singlestore_table",
     {"database": DB, "name": "t", "columns": [{"name": "id", "type": "bigint", "nullable": False}, {"name": "v", "type": "int"}],
      "primary_key": ["id", "v"]},
     ["cannot be changed in place", "primary_key is ['id']", "['id', 'v']", "rebuild=true"]),
    ("column drift without allow_alter", "singlestore_table", {"database": DB, "name": "t", "columns": [{"name": "v", "type": "varchar(5)"}]},
     ["column 'v'", "int(11) -> varchar(5)", "allow_alter"]),
    ("missing database for a table", "singlestore_table", {"database": f"{DB}_missing", "name": "t", "columns": [{"name": "a", "type": "int"}]},
     ["does not exist"]),
    ("missing database for a query", "singlestore_query", {"database": f"{DB}_missing", "query": "SELECT 1"},
     ["database does not exist", f"{DB}_missing"]),
    ("privilege on a missing table", "singlestore_user", {"user": f"u{TAG}", "privileges": {f"{DB}.nope": ["SELECT"]}},
     ["table 'nope' does not exist"]),
    ("privilege name that is not one", "singlestore_user", {"user": f"u{TAG}", "privileges": {f"{DB}.*": ["SELECT; DROP"]}},
     ["is not a privilege name"]),
    ("definition with two statements", "singlestore_table", {"database": DB, "name": "t3", "definition": "CREATE TABLE x (a int); DROP TABLE y"},
     ["exactly one"]),
    ("session variable name with a semicolon", "singlestore_info", {"session_vars": {"sql_mode; DROP": "x"}}, ["session variable"]),
]


def test_bad_inputs_fail_cleanly(tmp_path, prepared) -> None:
    """All cases in one playbook run (one task each, errors ignored)."""
    maria = prepared
    before = snapshot(maria)
    run = run_steps(tmp_path, login_options(maria), [step(module, args) for _, module, args, _ in CASES])
    assert len(run.results) == len(CASES)
    for (label, _, _, fragments), result in zip(CASES, run.results):
        try:
            assert_clean_failure(result, *fragments)
            assert result.get("changed") is False, result
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from None
    assert "Traceback" not in run.output
    assert snapshot(maria) == before, "a failed task changed the catalog"


def test_connection_failures(tmp_path, prepared) -> None:
    maria = prepared
    no_tls = NoTlsServer()
    before = snapshot(maria)
    try:
        cases = [
            ("wrong password", login_options(maria, login_password="definitely-wrong"),
             ["cannot log in", "access denied", f"{maria['host']}:{maria['port']}"]),
            ("unreachable host", login_options(maria, login_port=1, connect_timeout=3), ["cannot reach the server", f"{maria['host']}:1"]),
            ("TLS required, server without TLS", login_options(maria, login_port=no_tls.port, ssl_mode="required"),
             ["TLS failure", "ssl_mode=required", "doesn't support"]),
            ("verify_identity, server without TLS", login_options(maria, login_port=no_tls.port, ssl_mode="verify_identity"),
             ["TLS failure"]),
            ("missing CA file", login_options(maria, ssl_mode="verify_ca", ca_cert="/nonexistent/ca.pem"), ["ca_cert", "does not exist"]),
        ]
        steps = [step("singlestore_database", dict(login, name=f"{DB}_never")) for _, login, _ in cases]
        run = run_steps(tmp_path, {}, steps, module_defaults=False)
        for (label, _, fragments), result in zip(cases, run.results):
            try:
                assert_clean_failure(result, *fragments)
            except AssertionError as exc:
                raise AssertionError(f"{label}: {exc}") from None
            assert "definitely-wrong" not in result["msg"]
        assert "definitely-wrong" not in run.output
    finally:
        no_tls.close()
    assert snapshot(maria) == before


def test_tls_modes_against_the_lab(tmp_path, prepared, lab_ca_cert) -> None:
    """The lab MariaDB has TLS with the lab CA: required and verify_ca connect; verify_ca with the wrong CA fails."""
    maria = prepared
    steps = [
        step("singlestore_info", dict(login_options(maria, ssl_mode="required"), gather_subset=["server"])),
        step("singlestore_info", dict(login_options(maria, ssl_mode="verify_ca", ca_cert=str(lab_ca_cert)), gather_subset=["server"])),
        step("singlestore_info", dict(login_options(maria, ssl_mode="verify_ca", ca_cert="/etc/ssl/certs/ca-certificates.crt"),
                                      gather_subset=["server"])),
        step("singlestore_info", dict(login_options(maria, ssl_mode="disabled"), gather_subset=["server"])),
    ]
    res = run_steps(tmp_path, {}, steps, module_defaults=False).results
    assert res[0]["server"]["tls"] is True and res[1]["server"]["tls"] is True
    assert_clean_failure(res[2], "TLS failure", "certificate verify failed")
    assert res[3]["server"]["tls"] is False
