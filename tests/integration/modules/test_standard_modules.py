"""singlestore_* modules through real ansible-playbook runs against the lab MariaDB: check, real, check, real."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from _ansible import login_options, query, run_steps, snapshot, step, transition


@pytest.fixture
def names() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"db": f"it_{tag}", "user": f"u_{tag}"}


@pytest.fixture
def cleanup(maria: dict[str, Any], names: dict[str, str]):
    yield
    query(maria, f"DROP DATABASE IF EXISTS `{names['db']}`")
    query(maria, "DROP USER IF EXISTS %s@%s", (names["user"], "%"))


def schemas(params: dict[str, Any], name: str) -> list[Any]:
    return query(params, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))


def test_database_present_then_absent(tmp_path, maria, names, cleanup) -> None:
    login = login_options(maria)
    res = transition(tmp_path, login, "singlestore_database", {"name": names["db"]}, catalog=lambda: snapshot(maria))
    assert res[1]["queries"] == [f"CREATE DATABASE `{names['db']}`"]
    assert res[3]["database"]["exists"] is True and res[1]["diff"]["before"] == {"exists": False}
    assert len(schemas(maria, names["db"])) == 1
    transition(tmp_path, login, "singlestore_database", {"name": names["db"], "state": "absent"}, catalog=lambda: snapshot(maria))
    assert schemas(maria, names["db"]) == []


def test_non_ascii_names_work(tmp_path, maria, cleanup, names) -> None:
    db = names["db"] + "_données"
    try:
        login = login_options(maria)
        transition(tmp_path, login, "singlestore_database", {"name": db})
        transition(tmp_path, login, "singlestore_table", {"database": db, "name": "straße", "columns": [{"name": "größe", "type": "int"}]})
        assert query(maria, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                     (db, "straße")) == [("größe",)]
    finally:
        query(maria, f"DROP DATABASE IF EXISTS `{db}`")


COLUMNS = [
    {"name": "id", "type": "BIGINT", "nullable": False},
    {"name": "store", "type": "VARCHAR(20)", "default": "it's"},
    {"name": "amount", "type": "DECIMAL(12,2)", "nullable": False, "default": 0},
    {"name": "created_at", "type": "DATETIME(6)", "nullable": False, "default": "CURRENT_TIMESTAMP(6)"},
]


def columns_of(params: dict[str, Any], db: str, table: str) -> list[tuple[Any, ...]]:
    return query(params, "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
                         "AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (db, table))


def test_table_lifecycle(tmp_path, maria, names, cleanup) -> None:
    db = names["db"]
    query(maria, f"CREATE DATABASE `{db}`")
    login = login_options(maria)

    def snap() -> dict[str, Any]:
        return snapshot(maria)

    table = {"database": db, "name": "tx", "columns": COLUMNS, "primary_key": ["id"], "keys": [{"name": "k_store", "columns": ["store"]}]}
    res = transition(tmp_path, login, "singlestore_table", table, catalog=snap)
    assert res[3]["table"]["primary_key"] == ["id"] and res[3]["table"]["keys"][0]["name"] == "k_store"
    assert [c[0] for c in columns_of(maria, db, "tx")] == ["id", "store", "amount", "created_at"]
    query(maria, f"INSERT INTO `{db}`.tx (id, store, amount) VALUES (1, 'a', 2.5), (2, 'b', 3)")

    # add a column
    wider = dict(table, columns=COLUMNS + [{"name": "note", "type": "text"}])
    res = transition(tmp_path, login, "singlestore_table", wider, catalog=snap)
    assert res[1]["queries"] == [f"ALTER TABLE `{db}`.`tx` ADD COLUMN `note` text NULL"]

    # drift fails, allow_alter modifies
    drift = dict(wider, columns=[dict(COLUMNS[0], type="INT")] + COLUMNS[1:])
    before = snap()
    fail = run_steps(tmp_path, login, [step("singlestore_table", drift)]).results[0]
    assert fail["failed"] and "column 'id': type bigint(20) -> int" in fail["msg"] and "allow_alter" in fail["msg"]
    assert snap() == before
    transition(tmp_path, login, "singlestore_table", dict(drift, allow_alter=True), catalog=snap)
    assert columns_of(maria, db, "tx")[0][1] == "int(11)"

    # primary key change: rebuild, rows kept, backup kept until drop_backup
    rebuilt = dict(drift, primary_key=["id", "created_at"], allow_alter=False, rebuild=True)
    res = transition(tmp_path, login, "singlestore_table", rebuilt, catalog=snap)
    assert any(q.startswith(f"RENAME TABLE `{db}`.`tx` TO `{db}`.`tx__backup_") for q in res[1]["queries"])
    assert res[3]["table"]["primary_key"] == ["id", "created_at"] and len(res[3]["table"]["backups"]) == 1
    assert res[3]["table"]["keys"][0]["name"] == "k_store"
    assert query(maria, f"SELECT id, store, amount FROM `{db}`.tx ORDER BY id") == [(1, "a", 2.5), (2, "b", 3)] or \
        [tuple(map(str, r)) for r in query(maria, f"SELECT id, store, amount FROM `{db}`.tx ORDER BY id")] == [("1", "a", "2.50"), ("2", "b", "3.00")]
    res = transition(tmp_path, login, "singlestore_table", dict(rebuilt, drop_backup=True), catalog=snap)
    assert res[1]["queries"][0].startswith(f"DROP TABLE `{db}`.`tx__backup_")
    assert query(maria, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", (db,)) == [(1,)]

    # absent
    transition(tmp_path, login, "singlestore_table", {"database": db, "name": "tx", "state": "absent"}, catalog=snap)
    assert columns_of(maria, db, "tx") == []


def test_table_from_definition(tmp_path, maria, names, cleanup) -> None:
    db = names["db"]
    query(maria, f"CREATE DATABASE `{db}`")
    definition = ("CREATE TABLE template_name (\n  id BIGINT NOT NULL AUTO_INCREMENT,\n  store_id INT NOT NULL DEFAULT 1,\n"
                  "  note VARCHAR(40) DEFAULT '100%',\n  PRIMARY KEY (id),\n  KEY k_store (store_id)\n)")
    res = transition(tmp_path, login_options(maria), "singlestore_table", {"database": db, "name": "events", "definition": definition},
                     catalog=lambda: snapshot(maria))
    assert res[1]["queries"][0].startswith(f"CREATE TABLE `{db}`.`events` (")
    assert [c[0] for c in columns_of(maria, db, "events")] == ["id", "store_id", "note"]


def test_user_lifecycle(tmp_path, maria, names, cleanup) -> None:
    db, user = names["db"], names["user"]
    query(maria, f"CREATE DATABASE `{db}`")
    query(maria, f"CREATE TABLE `{db}`.t (a int)")
    login = login_options(maria)

    def snap() -> dict[str, Any]:
        return snapshot(maria)

    args = {"user": user, "password": "Pw-one-ffee1", "privileges": {f"{db}.*": ["SELECT", "INSERT"], f"{db}.t": ["ALL"]}}
    res = transition(tmp_path, login, "singlestore_user", args, catalog=snap)
    assert res[1]["queries"][0] == f"CREATE USER '{user}'@'%' IDENTIFIED BY %(password)s"
    assert res[3]["user"]["privileges"] == {f"{db}.*": ["INSERT", "SELECT"], f"{db}.t": ["ALL PRIVILEGES"]}
    grants = sorted(r[0] for r in query(maria, "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = %s",
                                        (f"'{user}'@'%'",)))
    assert grants == ["INSERT", "SELECT"]
    # the new password works
    query(dict(maria, user=user, password="Pw-one-ffee1"), "SELECT 1")

    changed = {"user": user, "password": "Pw-two-ffee2", "update_password": "always", "privileges": {f"{db}.*": ["SELECT"], "*.*": ["PROCESS"]}}
    res = transition(tmp_path, login, "singlestore_user", changed, catalog=snap)
    assert res[1]["queries"][0] == f"SET PASSWORD FOR '{user}'@'%' = PASSWORD(%(password)s)"
    assert res[3]["user"]["privileges"] == {"*.*": ["PROCESS"], f"{db}.*": ["SELECT"]}
    query(dict(maria, user=user, password="Pw-two-ffee2"), "SELECT 1")

    appended = {"user": user, "privileges": {f"{db}.t": ["SELECT"]}, "append_privileges": True, "require_ssl": True}
    res = transition(tmp_path, login, "singlestore_user", appended, catalog=snap)
    assert res[3]["user"]["require_ssl"] is True and f"{db}.*" in res[3]["user"]["privileges"]

    transition(tmp_path, login, "singlestore_user", {"user": user, "state": "absent"}, catalog=snap)
    assert query(maria, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (user,)) == [(0,)]


def test_query_changed_is_honest(tmp_path, maria, names, cleanup) -> None:
    db = names["db"]
    query(maria, f"CREATE DATABASE `{db}`")
    query(maria, f"CREATE TABLE `{db}`.t (a int, b varchar(40))")
    login = login_options(maria)
    read = {"database": db, "query": ["SELECT COUNT(*) AS n FROM t WHERE b LIKE %s", "SHOW TABLES"], "positional_args": ["x%"]}
    write = {"database": db, "query": "INSERT INTO t (a, b) VALUES (%(a)s, %(b)s)", "named_args": {"a": 7, "b": "secret-value"}}
    res = run_steps(tmp_path, login, [step("singlestore_query", read, check=True), step("singlestore_query", read),
                                      step("singlestore_query", write, check=True)]).results
    assert [r["changed"] for r in res] == [False, False, True]
    assert res[1]["query_result"][0] == [{"n": 0}] and res[1]["query_result"][1] == [{f"Tables_in_{db}": "t"}]
    assert query(maria, f"SELECT COUNT(*) FROM `{db}`.t") == [(0,)], "check mode ran a write"
    res = run_steps(tmp_path, login, [step("singlestore_query", write)]).results[0]
    assert res["changed"] is True and res["rowcount"] == [1], res
    assert res["queries"] == ["INSERT INTO t (a, b) VALUES (%(a)s, %(b)s)"]
    assert "secret-value" not in str(res["queries"])
    assert query(maria, f"SELECT a, b FROM `{db}`.t") == [(7, "secret-value")]


def test_info(tmp_path, maria, names, cleanup) -> None:
    db = names["db"]
    query(maria, f"CREATE DATABASE `{db}`")
    query(maria, f"CREATE TABLE `{db}`.t (a int primary key, b int, key kb (b))")
    res = run_steps(tmp_path, login_options(maria), [step("singlestore_info", {"filter": [db]}, check=True),
                                                     step("singlestore_info", {"gather_subset": ["pipelines"]})]).results
    info = res[0]
    assert info["changed"] is False and info["server"]["flavour"] == "mysql" and info["server"]["memsql_version"] is None
    assert list(info["databases"]) == [db]
    assert info["tables"][db]["t"]["primary_key"] == ["a"] and info["tables"][db]["t"]["keys"][0]["name"] == "kb"
    # MySQL/MariaDB have no pipelines: the subset is there and empty.
    assert not res[1].get("failed") and res[1]["pipelines"] == {} and info["pipelines"] == {}
