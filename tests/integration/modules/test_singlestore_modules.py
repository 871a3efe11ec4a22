"""SingleStore-only behaviour, against the lab's SingleStore test double (or a real SingleStore with the `live` marker)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from _ansible import assert_clean_failure, login_options, query, run_steps, snapshot, step, transition


@pytest.fixture
def db(singlestore: dict[str, Any]):
    name = f"ss_{uuid.uuid4().hex[:8]}x"  # no trailing _<digits>: SingleStore reserves that shape for partition databases
    yield name
    query(singlestore, f"DROP DATABASE IF EXISTS `{name}`")


def test_flavour_is_detected(tmp_path, singlestore) -> None:
    res = run_steps(tmp_path, login_options(singlestore), [step("singlestore_info", {"gather_subset": ["server"]})]).results[0]
    assert res["server"]["flavour"] == "singlestore" and res["server"]["memsql_version"]


def test_database_partitions(tmp_path, singlestore, db) -> None:
    login = login_options(singlestore)
    res = transition(tmp_path, login, "singlestore_database", {"name": db, "partitions": 2}, catalog=lambda: snapshot(singlestore))
    assert res[1]["queries"] == [f"CREATE DATABASE `{db}` PARTITIONS 2"]
    assert res[3]["database"]["partitions"] == 2
    before = snapshot(singlestore)
    fail = run_steps(tmp_path, login, [step("singlestore_database", {"name": db, "partitions": 3})]).results[0]
    assert_clean_failure(fail, "exists with 2 partitions", "asks for 3", "cannot change")
    assert snapshot(singlestore) == before


COLUMNS = [
    {"name": "id", "type": "BIGINT", "nullable": False},
    {"name": "store_id", "type": "INT", "nullable": False},
    {"name": "amount", "type": "DECIMAL(12,2)", "nullable": False, "default": 0},
    {"name": "created_at", "type": "DATETIME(6)", "nullable": False},
]


def test_table_keys_storage_and_rebuild(tmp_path, singlestore, db) -> None:
    login = login_options(singlestore)
    query(singlestore, f"CREATE DATABASE `{db}`")

    def snap() -> dict[str, Any]:
        return snapshot(singlestore)

    table = {"database": db, "name": "tx", "columns": COLUMNS, "primary_key": ["store_id", "id"], "shard_key": ["store_id"],
             "sort_key": ["created_at"]}
    res = transition(tmp_path, login, "singlestore_table", table, catalog=snap)
    assert "SHARD KEY (`store_id`)" in res[1]["queries"][0] and "SORT KEY (`created_at`)" in res[1]["queries"][0]
    state = res[3]["table"]
    assert state["shard_key"] == ["store_id"] and state["sort_key"] == ["created_at"] and state["storage"] == "columnstore"
    query(singlestore, f"INSERT INTO `{db}`.tx (id, store_id, amount, created_at) VALUES (1, 10, 2.5, NOW()), (2, 20, 3, NOW())")

    changed = dict(table, shard_key=["id"], primary_key=["id", "store_id"])
    before = snap()
    fail = run_steps(tmp_path, login, [step("singlestore_table", changed)]).results[0]
    assert_clean_failure(fail, "shard_key is ['store_id'] on the server", "asks for ['id']", "rebuild=true")
    assert snap() == before

    res = transition(tmp_path, login, "singlestore_table", dict(changed, rebuild=True), catalog=snap)
    assert any("RENAME TO `tx__backup_" in q for q in res[1]["queries"])
    assert res[3]["table"]["shard_key"] == ["id"] and len(res[3]["table"]["backups"]) == 1
    assert query(singlestore, f"SELECT id, store_id FROM `{db}`.tx ORDER BY id") == [(1, 10), (2, 20)]
    transition(tmp_path, login, "singlestore_table", dict(changed, drop_backup=True), catalog=snap)


@pytest.mark.parametrize("storage", ["rowstore", "reference"])
def test_table_storage(tmp_path, singlestore, db, storage) -> None:
    login = login_options(singlestore)
    query(singlestore, f"CREATE DATABASE `{db}`")
    table = {"database": db, "name": "dim", "columns": COLUMNS[:2], "primary_key": ["id"], "storage": storage}
    res = transition(tmp_path, login, "singlestore_table", table, catalog=lambda: snapshot(singlestore))
    assert res[1]["queries"][0].startswith(f"CREATE {storage.upper()} TABLE")
    assert res[3]["table"]["storage"] == storage
    other = "columnstore" if storage == "rowstore" else "rowstore"
    fail = run_steps(tmp_path, login, [step("singlestore_table", dict(table, storage=other))]).results[0]
    assert_clean_failure(fail, f"storage is '{storage}'", f"asks for '{other}'")


def test_info_tables(tmp_path, singlestore, db) -> None:
    query(singlestore, f"CREATE DATABASE `{db}`")
    query(singlestore, f"CREATE TABLE `{db}`.t (a INT NOT NULL, b DATETIME(6), SHARD KEY (a), SORT KEY (b))")
    args = {"gather_subset": ["databases", "tables"], "filter": [db]}
    res = run_steps(tmp_path, login_options(singlestore), [step("singlestore_info", args)]).results[0]
    assert res["databases"][db]["partitions"] and res["tables"][db]["t"]["shard_key"] == ["a"]
    assert res["tables"][db]["t"]["sort_key"] == ["b"]


def test_table_from_definition(tmp_path, singlestore, db) -> None:
    query(singlestore, f"CREATE DATABASE `{db}`")
    definition = ("CREATE TABLE whatever (\n  id BIGINT NOT NULL,\n  store_id INT NOT NULL,\n  created_at DATETIME(6) NOT NULL,\n"
                  "  SHARD KEY (store_id),\n  SORT KEY (created_at)\n)")
    res = transition(tmp_path, login_options(singlestore), "singlestore_table", {"database": db, "name": "events", "definition": definition},
                     catalog=lambda: snapshot(singlestore))
    assert res[3]["table"]["shard_key"] == ["store_id"] and res[3]["table"]["storage"] == "columnstore"


def test_user(tmp_path, singlestore, db) -> None:
    query(singlestore, f"CREATE DATABASE `{db}`")
    query(singlestore, f"CREATE TABLE `{db}`.t (a INT)")
    user = "u" + db[3:]
    login = login_options(singlestore)
    try:
        # SingleStore documents ALL PRIVILEGES at *.* only: a table's privileges are listed (test_singlestore_user_grants.py)
        args = {"user": user, "password": "Pw-ss-1x", "privileges": {f"{db}.*": ["SELECT"], f"{db}.t": ["INSERT", "UPDATE"]}}
        res = transition(tmp_path, login, "singlestore_user", args, catalog=lambda: snapshot(singlestore))
        assert res[3]["user"]["privileges"] == {f"{db}.*": ["SELECT"], f"{db}.t": ["INSERT", "UPDATE"]}
        transition(tmp_path, login, "singlestore_user", {"user": user, "state": "absent"}, catalog=lambda: snapshot(singlestore))
    finally:
        query(singlestore, f"DROP USER IF EXISTS '{user}'@'%'")
