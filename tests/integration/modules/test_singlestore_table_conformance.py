"""singlestore_table against what SingleStore refuses and how it prints keys (tests/conformance/singlestore), on the lab's
test double or a real SingleStore (marker `live`).

* A rowstore table with a shard key and rebuild=true converges and is then left alone (changed=0), in check mode too.
* A unique key added to an existing columnstore table is refused in the plan: nothing runs (queries empty), the table
  and its rows are unchanged, in check mode too; rebuild=true creates the table anew with it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from _ansible import assert_clean_failure, login_options, query, run_steps, snapshot, step, transition


@pytest.fixture
def db(singlestore: dict[str, Any]):
    name = f"tc_{uuid.uuid4().hex[:8]}x"
    query(singlestore, f"CREATE DATABASE `{name}`")
    yield name
    query(singlestore, f"DROP DATABASE IF EXISTS `{name}`")


def show_create(conn: dict[str, Any], db: str, table: str) -> str:
    return query(conn, f"SHOW CREATE TABLE `{db}`.`{table}`")[0][1]


def test_rowstore_shard_key_with_rebuild_converges_and_stays(tmp_path, singlestore, db) -> None:
    login = login_options(singlestore)
    table = {"database": db, "name": "r", "storage": "rowstore", "primary_key": ["store_id", "id"], "shard_key": ["store_id"],
             "rebuild": True, "columns": [{"name": "id", "type": "BIGINT", "nullable": False},
                                          {"name": "store_id", "type": "INT", "nullable": False}, {"name": "v", "type": "INT"}]}
    res = transition(tmp_path, login, "singlestore_table", table, catalog=lambda: snapshot(singlestore))
    assert res[1]["queries"][0].startswith(f"CREATE ROWSTORE TABLE `{db}`.`r`") and "SHARD KEY (`store_id`)" in res[1]["queries"][0]
    assert res[0]["diff"]["before"] == {"exists": False} and res[0]["diff"]["after"]["shard_key"] == ["store_id"]
    after = res[3]["table"]
    assert (after["storage"], after["shard_key"], after["sort_key"], after["primary_key"]) == ("rowstore", ["store_id"], None,
                                                                                               ["store_id", "id"])
    assert "unreadable" not in after and after["backups"] == []
    assert res[2]["diff"]["before"] == res[2]["diff"]["after"]          # the re-run's diff: nothing
    assert "SHARD KEY" in show_create(singlestore, db, "r")


def test_unique_key_on_a_columnstore_table_is_refused_in_the_plan(tmp_path, singlestore, db) -> None:
    login = login_options(singlestore)
    table = {"database": db, "name": "cs", "shard_key": ["id"], "sort_key": ["ts"],
             "columns": [{"name": "id", "type": "BIGINT", "nullable": False}, {"name": "ts", "type": "DATETIME(6)", "nullable": False},
                         {"name": "email", "type": "VARCHAR(64)"}]}
    transition(tmp_path, login, "singlestore_table", table, catalog=lambda: snapshot(singlestore))
    query(singlestore, f"INSERT INTO `{db}`.cs (id, ts, email) VALUES (1, NOW(6), 'a@x'), (2, NOW(6), 'b@x')")
    with_unique = dict(table, keys=[{"name": "u_email", "columns": ["id", "email"], "unique": True}])
    before, text = snapshot(singlestore), show_create(singlestore, db, "cs")
    for check in (True, False):
        fail = run_steps(tmp_path, login, [step("singlestore_table", with_unique, check=check)]).results[0]
        assert_clean_failure(fail, "key 'u_email' ('id', 'email')", "not supported on existing columnstore tables",
                             "Nothing was changed", "rebuild=true")
        assert fail["queries"] == []
        assert "docs.singlestore.com/cloud/reference/sql-reference/data-definition-language-ddl/create-index" in fail["msg"]
        assert snapshot(singlestore) == before and show_create(singlestore, db, "cs") == text
    assert query(singlestore, f"SELECT id, email FROM `{db}`.cs ORDER BY id") == [(1, "a@x"), (2, "b@x")]

    res = transition(tmp_path, login, "singlestore_table", dict(with_unique, rebuild=True), catalog=lambda: snapshot(singlestore))
    assert res[1]["queries"][1].startswith(f"CREATE TABLE `{db}`.`cs__rebuild`") and "UNIQUE KEY `u_email`" in res[1]["queries"][1]
    assert len(res[0]["diff"]["after"]["backups"]) == 1 and res[0]["diff"]["before"]["backups"] == []
    assert {"name": "u_email", "columns": ["id", "email"], "unique": True} in res[3]["table"]["keys"]
    assert query(singlestore, f"SELECT id, email FROM `{db}`.cs ORDER BY id") == [(1, "a@x"), (2, "b@x")]
    assert "UNIQUE KEY `u_email`" in show_create(singlestore, db, "cs")


def test_unique_key_without_the_shard_key_is_refused(tmp_path, singlestore, db) -> None:
    login = login_options(singlestore)
    query(singlestore, f"CREATE ROWSTORE TABLE `{db}`.rs (id BIGINT NOT NULL, email VARCHAR(64), PRIMARY KEY (id))")
    task = {"database": db, "name": "rs", "columns": [{"name": "id", "type": "BIGINT", "nullable": False},
                                                      {"name": "email", "type": "VARCHAR(64)"}],
            "keys": [{"name": "u_email", "columns": ["email"], "unique": True}]}
    before = show_create(singlestore, db, "rs")
    fail = run_steps(tmp_path, login, [step("singlestore_table", task)]).results[0]
    assert_clean_failure(fail, "must contain every column of the shard key", "lacks id", "Nothing was changed")
    assert fail["queries"] == [] and show_create(singlestore, db, "rs") == before
