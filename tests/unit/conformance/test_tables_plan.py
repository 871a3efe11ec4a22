"""singlestore_table's plan against tables as the corpus shows them: what it refuses before any statement runs.

The table read back is a corpus case (SHOW CREATE TABLE text through a fake connection); the plan must not
rebuild or alter on a key it could not read, and must refuse, naming the rule, the ALTER TABLE changes
SingleStore refuses on a columnstore table (tests/conformance/singlestore/error/tables_*).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

_COLLECTIONS = Path(__file__).resolve().parents[3] / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.module_utils._table import Table  # noqa: E402
from tests.conformance import corpus  # noqa: E402
from tests.unit.conformance.test_tables_readers import FakeConnection  # noqa: E402


class PlanConnection(FakeConnection):
    label = "SingleStore 8.9.24"

    def schema_exists(self, name: str) -> bool:
        return True

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        if "TABLE_NAME LIKE" in sql:      # list_backups
            return []
        return super().query(sql, params)


def _case(name: str) -> corpus.Case:
    return next(c for c in corpus.load("singlestore") if c.path.stem == name)


def params(**kw: Any) -> dict[str, Any]:
    base = dict(database="db", name="t", state="present", columns=None, primary_key=None, shard_key=None, sort_key=None,
                keys=None, storage=None, definition=None, allow_alter=False, rebuild=False, drop_backup=False)
    base.update(kw)
    return base


def plan(conn: PlanConnection, check_mode: bool = False, **kw: Any) -> tuple[Table, list[str]]:
    module = SimpleNamespace(params=params(**kw), check_mode=check_mode, warn=lambda msg: None)
    table = Table(module, conn)
    return table, [stmt.display() for stmt in table.plan(table.read())]


INT = "INT"
# the fake connection reports every column as a nullable int(11): the tasks below ask for just that, so that only keys differ
ROWSTORE = [{"name": "id", "type": INT}, {"name": "v", "type": INT}]


def rowstore_conn(text: str | None = None) -> PlanConnection:
    return PlanConnection(text if text is not None else _case("constructed_rowstore_shard_key").output, ["id", "v"])


# -- keys read back, keys not read back ---------------------------------------------------------

@pytest.mark.parametrize("check_mode", [False, True])
def test_rowstore_with_shard_key_and_rebuild_is_unchanged(check_mode: bool) -> None:
    _, queries = plan(rowstore_conn(), check_mode, columns=ROWSTORE, primary_key=["id"], shard_key=["id"], storage="rowstore",
                      rebuild=True)
    assert queries == []


NO_SHARD_CLAUSE = ("CREATE ROWSTORE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `v` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`)\n"
                   ") AUTOSTATS_CARDINALITY_MODE=PERIODIC AUTOSTATS_HISTOGRAM_MODE=CREATE SQL_MODE='STRICT_ALL_TABLES'")


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_managed_shard_key_that_cannot_be_read_fails_and_rebuilds_nothing(check_mode: bool) -> None:
    conn = rowstore_conn(NO_SHARD_CLAUSE)
    with pytest.raises(ModuleError) as exc:
        plan(conn, check_mode, columns=ROWSTORE, primary_key=["id"], shard_key=["id"], storage="rowstore", rebuild=True)
    msg = exc.value.msg
    assert "shard_key cannot be read back" in msg and "no SHARD KEY clause" in msg and "Nothing was changed" in msg
    assert "shard_key" in exc.value.extra["unreadable"]
    assert not any(q.startswith(("CREATE", "ALTER", "DROP", "INSERT", "RENAME")) for q in conn.queries)


def test_an_unmanaged_unreadable_shard_key_does_not_block_adding_a_column() -> None:
    _, queries = plan(rowstore_conn(NO_SHARD_CLAUSE), columns=ROWSTORE + [{"name": "note", "type": "VARCHAR(10)"}])
    assert queries == ["ALTER TABLE `db`.`t` ADD COLUMN `note` varchar(10) NULL"]


def test_a_rebuild_that_would_copy_an_unreadable_shard_key_is_refused() -> None:
    """The task changes the primary key (a rebuild) but leaves the shard key to the server's current one, unread."""
    with pytest.raises(ModuleError, match="a rebuild would have to copy its shard_key"):
        plan(rowstore_conn(NO_SHARD_CLAUSE), columns=ROWSTORE, primary_key=["id", "v"], rebuild=True)


def test_a_primary_key_lookalike_is_not_decided_on() -> None:
    case = _case("notebook_kai_unique_dunder_primary")
    conn = PlanConnection(case.output, case.expect["columns"])
    cols = [{"name": c, "type": INT} for c in case.expect["columns"]]
    with pytest.raises(ModuleError, match="primary_key cannot be read back .*__PRIMARY"):
        plan(conn, columns=cols, primary_key=["$_id"], rebuild=True)


# -- ALTER TABLE changes SingleStore refuses ------------------------------------------------------

COLUMNSTORE = [{"name": "id", "type": INT}, {"name": "ts", "type": INT}, {"name": "kind", "type": INT}]


def columnstore_conn() -> PlanConnection:
    case = _case("constructed_columnstore_sort_and_shard_key")
    return PlanConnection(case.output, case.expect["columns"])


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_unique_key_on_a_columnstore_table_is_refused_in_the_plan(check_mode: bool) -> None:
    rule = _case("tables_add_unique_key_to_columnstore")
    conn = columnstore_conn()
    with pytest.raises(ModuleError) as exc:
        plan(conn, check_mode, columns=COLUMNSTORE, keys=[{"name": "u_kind", "columns": ["id", "kind"], "unique": True}])
    msg = exc.value.msg
    assert "key 'u_kind' ('id', 'kind')" in msg and rule.source["url"] in msg
    assert "Nothing was changed" in msg and "rebuild=true" in msg
    assert not any(q.startswith(("ALTER", "CREATE", "DROP")) for q in conn.queries)


def test_with_rebuild_the_unique_key_comes_with_a_new_table() -> None:
    _, queries = plan(columnstore_conn(), columns=COLUMNSTORE, keys=[{"name": "u_kind", "columns": ["id", "kind"], "unique": True}],
                      rebuild=True)
    assert queries[0] == "DROP TABLE IF EXISTS `db`.`t__rebuild`"
    create = queries[1]
    assert create.startswith("CREATE TABLE `db`.`t__rebuild`") and "UNIQUE KEY `u_kind` (`id`, `kind`) USING HASH" in create
    assert "SHARD KEY (`id`)" in create and "SORT KEY (`ts`, `id`)" in create      # carried over, as read
    assert not any(q.startswith("ALTER TABLE `db`.`t` ADD") for q in queries)


def test_a_plain_key_on_a_columnstore_table_is_added_in_place() -> None:
    _, queries = plan(columnstore_conn(), columns=COLUMNSTORE, keys=[{"name": "k_kind", "columns": ["kind"]}])
    assert queries == ["ALTER TABLE `db`.`t` ADD KEY `k_kind` (`kind`) USING HASH"]


def test_a_unique_key_without_the_shard_key_columns_is_refused() -> None:
    rule = _case("tables_unique_key_without_shard_key_columns")
    with pytest.raises(ModuleError) as exc:
        plan(rowstore_conn(), columns=ROWSTORE, keys=[{"name": "u_v", "columns": ["v"], "unique": True}])
    assert "lacks id" in exc.value.msg and rule.source["url"] in exc.value.msg


def test_a_unique_key_with_the_shard_key_columns_is_added_to_a_rowstore_table() -> None:
    _, queries = plan(rowstore_conn(), columns=ROWSTORE, keys=[{"name": "u_v", "columns": ["v", "id"], "unique": True}])
    assert queries == ["ALTER TABLE `db`.`t` ADD UNIQUE KEY `u_v` (`v`, `id`)"]


def test_a_unique_key_cannot_be_checked_against_an_unreadable_shard_key() -> None:
    with pytest.raises(ModuleError, match="shard key cannot be read back, so the rule"):
        plan(rowstore_conn(NO_SHARD_CLAUSE), columns=ROWSTORE, keys=[{"name": "u_v", "columns": ["v", "id"], "unique": True}])


def test_changing_a_unique_key_of_a_columnstore_table_is_refused() -> None:
    case = _case("notebook_tpch_lineitem_legacy_sort_key")
    conn = PlanConnection(case.output, case.expect["columns"])
    cols = [{"name": c, "type": INT} for c in case.expect["columns"]]
    with pytest.raises(ModuleError, match="key 'pk' .*not supported on existing columnstore tables"):
        plan(conn, columns=cols, keys=[{"name": "pk", "columns": ["l_orderkey"], "unique": True}], allow_alter=True)


def test_a_columnstore_key_over_32_columns_is_refused() -> None:
    cols = [{"name": f"c{i}", "type": INT} for i in range(33)]
    text = ("CREATE TABLE `t` (\n" + "".join(f"  `c{i}` int(11) DEFAULT NULL,\n" for i in range(33))
            + "  SORT KEY `__UNORDERED` ()\n  , SHARD KEY () \n) AUTOSTATS_CARDINALITY_MODE=INCREMENTAL")
    conn = PlanConnection(text, [c["name"] for c in cols])
    with pytest.raises(ModuleError, match="at most 32 columns"):
        plan(conn, columns=cols, keys=[{"name": "wide", "columns": [c["name"] for c in cols]}])


def test_a_reference_table_without_primary_key_is_refused_before_create() -> None:
    rule = _case("tables_reference_table_without_primary_key")
    conn = PlanConnection(None, [])
    conn.query = lambda sql, params=None: [] if "information_schema.TABLES" in sql else []  # the table does not exist
    with pytest.raises(ModuleError, match="a reference table needs a primary_key"):
        plan(conn, columns=[{"name": "a", "type": INT}], storage="reference")
    assert rule.source["url"].endswith("distributed-sql-surface-area/")


def test_rebuild_does_not_get_round_a_rule_a_new_table_would_break_too() -> None:
    """A unique key without the shard-key columns is refused by CREATE TABLE as well: no rebuild is planned for it."""
    conn = rowstore_conn()
    with pytest.raises(ModuleError, match="SingleStore refuses key 'u_v' .*lacks id.*change the key in the task"):
        plan(conn, columns=ROWSTORE, keys=[{"name": "u_v", "columns": ["v"], "unique": True}], rebuild=True)
    assert not any(q.startswith(("CREATE", "DROP", "ALTER")) for q in conn.queries)
