"""The table readers of module_utils on every table case of the conformance corpus.

``parse_show_create_table`` reads each SHOW CREATE TABLE case, and ``read_table`` reads each case through a fake
connection that answers the case's text (or its catalog rows) and nothing else, so what the module concludes is
what the server's own output says, or a refusal to conclude.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_COLLECTIONS = Path(__file__).resolve().parents[3] / "collections"
if str(_COLLECTIONS) not in sys.path:  # the collection, importable as ansible_collections.transactions_st.realtime
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.transactions_st.realtime.plugins.module_utils._table import read_table  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_sql import (  # noqa: E402
    ShowCreateError, parse_show_create_table)
from tests.conformance import corpus  # noqa: E402

SHOW_CREATE = corpus.load("singlestore", "show_create_table")
TABLE_ROWS = [c for c in corpus.load("singlestore", "catalog_rows") if c.path.stem.startswith("tables_")]


class FakeConnection:
    """Answers read_table's queries from one case: SHOW CREATE TABLE text, STATISTICS rows, a TABLES row."""

    is_singlestore = True

    def __init__(self, text: str | None, columns: list[str], statistics: list[dict[str, Any]] | None = None,
                 table_row: dict[str, Any] | None = None) -> None:
        self.text, self.columns, self.statistics = text, columns, statistics or []
        self.table_row = dict(TABLE_NAME="t", TABLE_ROWS=0, **(table_row or {}))
        self.queries: list[str] = []

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        self.queries.append(sql)
        if sql.startswith("SHOW CREATE TABLE"):
            return [] if self.text is None else [{"Table": "t", "Create Table": self.text}]
        if "information_schema.TABLES" in sql:
            return [self.table_row]
        if "information_schema.COLUMNS" in sql:
            return [dict(COLUMN_NAME=c, COLUMN_TYPE="int(11)", IS_NULLABLE="YES", COLUMN_DEFAULT=None, ORDINAL_POSITION=i)
                    for i, c in enumerate(self.columns, 1)]
        if "information_schema.STATISTICS" in sql:
            return list(self.statistics)
        raise AssertionError(f"unexpected query {sql}")


def _keys(keys: list[dict[str, Any]]) -> list[tuple[str, list[str], bool]]:
    return sorted((k["name"], list(k["columns"]), bool(k["unique"])) for k in keys)


@pytest.mark.parametrize("case", SHOW_CREATE, ids=corpus.ids(SHOW_CREATE))
def test_show_create_table_reader(case: corpus.Case) -> None:
    parsed = parse_show_create_table(case.output)
    for fact in ("storage", "columns", "shard_key", "sort_key"):
        if fact in case.expect:
            assert parsed[fact] == case.expect[fact], (fact, case.citation)
    if "keys" in case.expect:
        assert _keys(parsed["keys"]) == _keys(case.expect["keys"]), case.citation
    if "primary_key" in case.expect:
        assert parsed["primary_key"] == case.expect["primary_key"], case.citation


@pytest.mark.parametrize("case", SHOW_CREATE, ids=corpus.ids(SHOW_CREATE))
def test_read_table_from_show_create_table_alone(case: corpus.Case) -> None:
    """Only the printed text: no STATISTICS rows, no STORAGE_TYPE in TABLES."""
    conn = FakeConnection(case.output, case.expect["columns"])
    state = read_table(conn, "db", "t")
    assert state is not None
    unreadable = state.get("unreadable", {})
    assert set(unreadable) <= {"primary_key"}, unreadable
    assert (state["storage"], state["shard_key"], state["sort_key"]) == (
        case.expect["storage"], case.expect["shard_key"], case.expect["sort_key"]), case.citation
    if "primary_key" in unreadable:
        # a unique key named like the primary key, but not PRIMARY: not taken for one, not taken for "none" either
        assert state["primary_key"] is None and "__PRIMARY" in unreadable["primary_key"]
    else:
        assert state["primary_key"] == case.expect["primary_key"]
    assert _keys(state["keys"]) == _keys(case.expect["keys"])
    assert any(q.startswith("SHOW CREATE TABLE `db`.`t`") for q in conn.queries)


def _statistics(case: corpus.Case) -> list[dict[str, Any]]:
    """The case's rows as STATISTICS rows (SHOW INDEX rows are STATISTICS' rows under other column names)."""
    rename = dict(Key_name="INDEX_NAME", Non_unique="NON_UNIQUE", Seq_in_index="SEQ_IN_INDEX", Column_name="COLUMN_NAME",
                  Index_type="INDEX_TYPE")
    return [{rename.get(k, k): v for k, v in row.items() if k != "Table"} for row in case.output["rows"]]


@pytest.mark.parametrize("case", TABLE_ROWS, ids=corpus.ids(TABLE_ROWS))
def test_read_table_from_catalog_rows_alone(case: corpus.Case) -> None:
    """No SHOW CREATE TABLE text (an empty answer): the keys come from the case's STATISTICS rows."""
    conn = FakeConnection(None, ["id", "ts", "category"], _statistics(case), dict(STORAGE_TYPE="COLUMNSTORE", DISTRIBUTED=1))
    state = read_table(conn, "db", "t")
    assert state["storage"] == "columnstore"
    if "shard_key" in case.expect:
        assert state["shard_key"] == case.expect["shard_key"], case.citation
    if "sort_key" in case.expect:
        assert state["sort_key"] == case.expect["sort_key"], case.citation
    if "keys" in case.expect:
        assert _keys(state["keys"]) == _keys(case.expect["keys"]), case.citation
    assert "show_create_table" in state["unreadable"]


def _case(name: str) -> corpus.Case:
    return next(c for c in corpus.load("singlestore") if c.path.stem == name)


def test_text_and_statistics_agree() -> None:
    text = _case("constructed_columnstore_sort_and_shard_key")
    rows = _case("tables_statistics_shard_and_sort_index_types")
    state = read_table(FakeConnection(text.output, text.expect["columns"], _statistics(rows),
                                      dict(STORAGE_TYPE="COLUMNSTORE", DISTRIBUTED=1)), "db", "t")
    assert "unreadable" not in state
    assert (state["shard_key"], state["sort_key"], state["keys"]) == (["id"], ["ts", "id"], [])


def test_text_and_statistics_disagree_on_the_shard_key() -> None:
    text = _case("constructed_columnstore_sort_and_shard_key")
    rows = [dict(r, COLUMN_NAME="kind") if r["INDEX_TYPE"] == "SHARD" else r
            for r in _statistics(_case("tables_statistics_shard_and_sort_index_types"))]
    state = read_table(FakeConnection(text.output, text.expect["columns"], rows), "db", "t")
    assert state["shard_key"] is None
    assert "SHARD KEY ['id']" in state["unreadable"]["shard_key"] and "['kind']" in state["unreadable"]["shard_key"]


def test_storage_disagreement_is_not_guessed() -> None:
    text = _case("constructed_rowstore_shard_key")
    state = read_table(FakeConnection(text.output, ["id", "v"], [], dict(STORAGE_TYPE="COLUMNSTORE", DISTRIBUTED=1)), "db", "t")
    assert state["storage"] is None and "rowstore" in state["unreadable"]["storage"]


def test_a_shard_key_printed_nowhere_is_unreadable_not_empty() -> None:
    """Not a corpus case: a rowstore table whose text prints no SHARD KEY clause and whose STATISTICS has no shard rows.

    "Keyless" would be a guess (the documented keyless form prints ', SHARD KEY () '), so the key is reported unreadable.
    """
    text = "CREATE ROWSTORE TABLE `r` (\n  `id` int(11) NOT NULL,\n  PRIMARY KEY (`id`)\n) AUTOSTATS_CARDINALITY_MODE=PERIODIC"
    state = read_table(FakeConnection(text, ["id"]), "db", "t")
    assert state["shard_key"] is None and state["sort_key"] is None
    assert "no SHARD KEY clause" in state["unreadable"]["shard_key"]


def test_a_columnstore_sort_key_printed_nowhere_is_unreadable() -> None:
    text = "CREATE TABLE `c` (\n  `id` int(11) NOT NULL,\n  SHARD KEY `__SHARDKEY` (`id`)\n) AUTOSTATS_CARDINALITY_MODE=INCREMENTAL"
    state = read_table(FakeConnection(text, ["id"]), "db", "t")
    assert state["shard_key"] == ["id"] and state["sort_key"] is None and "sort_key" in state["unreadable"]


@pytest.mark.parametrize("text, fragment", [
    ("SELECT 1", "does not start with CREATE"),
    ("CREATE TABLE `t` (\n  `a` int", "not closed"),
    ("CREATE TABLE `t` (\n  `a` int,\n  KEY `k` USING HASH\n)", "without a column list"),
])
def test_texts_the_reader_refuses(text: str, fragment: str) -> None:
    with pytest.raises(ShowCreateError, match=fragment):
        parse_show_create_table(text)


def test_an_unreadable_text_leaves_the_keys_unread() -> None:
    state = read_table(FakeConnection("SELECT 1", ["id"], [], dict(STORAGE_TYPE="INMEMORY_ROWSTORE", DISTRIBUTED=1)), "db", "t")
    assert state["storage"] == "rowstore" and state["shard_key"] is None
    assert set(state["unreadable"]) == {"show_create_table", "shard_key"}
