"""Table specs: options, CREATE TABLE parsing, rendering."""

from __future__ import annotations

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._table_spec import (
    SpecError, spec_from_definition, spec_from_options)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_sql import column_differences, create_sql

DEFINITION = """
CREATE TABLE IF NOT EXISTS `anything` (
  id BIGINT NOT NULL,
  `store_id` INT NOT NULL,
  note VARCHAR(20) DEFAULT 'a,b',
  kind ENUM('x y','z') NOT NULL,
  amount DECIMAL(10, 2) DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (store_id, id),
  SHARD KEY (store_id),
  SORT KEY (created_at DESC),
  KEY k_note (note) USING HASH,
  UNIQUE KEY u_id (store_id, id)
) AUTOSTATS_ENABLED=TRUE;
"""


def test_parse_definition() -> None:
    spec = spec_from_definition(DEFINITION)
    assert [c["name"] for c in spec["columns"]] == ["id", "store_id", "note", "kind", "amount", "created_at"]
    assert spec["columns"][2]["default"] == "a,b"
    assert spec["columns"][3]["type"] == "ENUM('x y','z')"
    assert spec["columns"][3]["nullable"] is False
    assert spec["columns"][5]["default"] == "CURRENT_TIMESTAMP(6)"
    assert spec["primary_key"] == ["store_id", "id"]
    assert spec["shard_key"] == ["store_id"]
    assert spec["sort_key"] == ["created_at"]
    assert spec["keys"] == [{"name": "k_note", "columns": ["note"], "unique": False}, {"name": "u_id", "columns": ["store_id", "id"], "unique": True}]
    assert spec["storage"] is None


def test_definition_is_run_under_the_task_name() -> None:
    sql, params = create_sql(spec_from_definition(DEFINITION), "db", "t__rebuild", True)
    assert sql.startswith("CREATE TABLE `db`.`t__rebuild` (")
    assert "AUTOSTATS_ENABLED=TRUE" in sql and params == []


@pytest.mark.parametrize("text, fragment", [
    ("DROP TABLE x", "must start with CREATE"),
    ("CREATE TABLE t (a int); DROP TABLE u", "exactly one"),
    ("CREATE TABLE t (a int", "not closed"),
    ("CREATE ROWSTORE REFERENCE TABLE t (a int primary key)", "not supported"),
])
def test_bad_definitions(text: str, fragment: str) -> None:
    with pytest.raises(SpecError, match=fragment):
        spec_from_definition(text)


def test_storage_from_header() -> None:
    assert spec_from_definition("CREATE ROWSTORE TABLE t (a int)")["storage"] == "rowstore"
    assert spec_from_definition("CREATE REFERENCE TABLE t (a int PRIMARY KEY)")["primary_key"] == ["a"]


def options(**kw):
    base = dict(columns=[{"name": "id", "type": "bigint", "nullable": False, "default": None},
                         {"name": "note", "type": "varchar(10)", "nullable": True, "default": "x%"}],
                primary_key=["id"], shard_key=None, sort_key=None, keys=[], storage=None)
    base.update(kw)
    return base


def test_render_from_options_uses_parameters_for_defaults() -> None:
    sql, params = create_sql(spec_from_options(options(shard_key=["id"], storage="rowstore")), "db", "t", True)
    assert sql.startswith("CREATE ROWSTORE TABLE `db`.`t` (")
    assert "`note` varchar(10) NULL DEFAULT %s" in sql and params == ["x%"]
    assert "SHARD KEY (`id`)" in sql
    sql = create_sql(spec_from_options(options(shard_key=["id"])), "db", "t", False)[0]
    assert "SHARD KEY" not in sql


@pytest.mark.parametrize("kw, fragment", [
    (dict(primary_key=["nope"]), "not in the table's columns"),
    (dict(storage="reference", primary_key=None), "needs a primary_key"),
    (dict(columns=[{"name": "a", "type": "intx"}]), "not a column type"),
    (dict(columns=[{"name": "a", "type": "int"}, {"name": "a", "type": "int"}], primary_key=None), "twice"),
    (dict(columns=[]), "required"),
    (dict(shard_key=["note"]), "primary_key \\['id'\\] must contain every shard_key column"),
    (dict(primary_key=None, shard_key=["id"], keys=[{"name": "u", "columns": ["note"], "unique": True}]),
     "unique key 'u' \\['note'\\] must contain every shard_key column .*missing id"),
])
def test_invalid_options(kw, fragment) -> None:
    with pytest.raises(SpecError, match=fragment):
        spec_from_options(options(**kw))


def test_column_differences() -> None:
    wanted = {"name": "a", "type": "int", "nullable": False, "default": 0}
    assert column_differences(wanted, {"name": "a", "type": "int(11)", "nullable": False, "default": "0"}) == []
    diffs = column_differences(wanted, {"name": "a", "type": "bigint(20)", "nullable": True, "default": None})
    assert len(diffs) == 3 and "type bigint(20) -> int" in diffs[0]


def test_printed_forms_in_a_definition() -> None:
    spec = spec_from_definition("CREATE TABLE `t` (\n  `id` bigint(11) NOT NULL,\n  `k` as `id` + 1 PERSISTED bigint(20),\n"
                                "  UNIQUE KEY `PRIMARY` (`id`) USING HASH,\n  SHARD KEY `__SHARDKEY` (`id`),\n  SORT KEY `__UNORDERED` ()\n)")
    assert spec["primary_key"] == ["id"] and spec["keys"] == [] and spec["sort_key"] == [] and spec["shard_key"] == ["id"]
    assert [(c["name"], c["type"]) for c in spec["columns"]] == [("id", "bigint(11)"), ("k", "bigint(20)")]
    with pytest.raises(SpecError, match="no PERSISTED type"):
        spec_from_definition("CREATE TABLE t (a int, b AS a + 1)")
