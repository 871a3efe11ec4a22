"""The double's SORT KEY stand-in: a hidden MariaDB index (tests/lab/double/README.md, "SORT KEY as a hidden index").

A columnstore table's SORT KEY (cols) reaches MariaDB as KEY `__s2double_sort_key` (cols), so a range
on the sort key reads the matching rows only, as SingleStore's segment elimination does. Clients of
the double never see that index: STATISTICS, SHOW CREATE TABLE and SHOW INDEX look as before.
"""

from __future__ import annotations

import secrets
from typing import Any, Iterator

import pymysql
import pytest

HIDDEN = "__s2double_sort_key"


@pytest.fixture()
def db(double_conn_params: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    name = f"tst_sortidx_{secrets.token_hex(4)}x"
    conn = pymysql.connect(**double_conn_params, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
        cur.execute(f"USE `{name}`")
    try:
        yield conn, name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def q(conn: Any, sql: str, args: Any = None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def mariadb_indexes(params: dict[str, Any], db: str, table: str) -> list[tuple]:
    with pymysql.connect(**params) as conn, conn.cursor() as cur:
        cur.execute("SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, COLLATION FROM information_schema.STATISTICS "
                    "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX", (db, table))
        return list(cur.fetchall())


def test_sort_key_becomes_a_hidden_index(db: tuple[Any, str], mariadb_conn_params: dict[str, Any]) -> None:
    conn, name = db
    q(conn, "CREATE TABLE t (id BIGINT NOT NULL, ts DATETIME(6) NOT NULL, v INT, PRIMARY KEY (id), SHARD KEY (id), "
            "SORT KEY (ts DESC, v))")
    assert mariadb_indexes(mariadb_conn_params, name, "t") == [
        ("PRIMARY", 1, "id", "A"), (HIDDEN, 1, "ts", "D"), (HIDDEN, 2, "v", "A")]
    # what clients of the double see is unchanged
    assert q(conn, "SELECT INDEX_NAME, COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
                   "AND TABLE_NAME = 't' ORDER BY INDEX_TYPE, SEQ_IN_INDEX", (name,)) == [
        ("PRIMARY", "id", "BTREE"), ("ts", "ts", "CLUSTERED COLUMNSTORE"), ("ts", "v", "CLUSTERED COLUMNSTORE"),
        ("__SHARDKEY", "id", "SHARD")]
    text = q(conn, "SHOW CREATE TABLE t")[0][1]
    assert HIDDEN not in text
    lines = text.split("\n")
    assert lines[-4:-1] == ["  UNIQUE KEY `PRIMARY` (`id`) USING HASH,", "  SORT KEY `ts` (`ts` DESC,`v`),", "  SHARD KEY `__SHARDKEY` (`id`)"]
    for statement in ("SHOW INDEX FROM t", "SHOW KEYS FROM t", "SHOW INDEXES FROM t"):
        assert [r[2] for r in q(conn, statement)] == ["PRIMARY"], statement


def test_a_range_on_the_sort_key_uses_the_index(db: tuple[Any, str]) -> None:
    conn, _ = db
    q(conn, "CREATE TABLE ev (id BIGINT NOT NULL PRIMARY KEY, ts DATETIME(6) NOT NULL, SORT KEY (ts))")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO ev VALUES (%s, TIMESTAMPADD(SECOND, %s, '2026-01-01 00:00:00'))",
                        [(i, i) for i in range(5000)])
    q(conn, "ANALYZE TABLE ev")
    plan = q(conn, "EXPLAIN SELECT COUNT(*) FROM ev WHERE ts >= '2026-01-01 01:20:00'")
    assert plan[0][5] == HIDDEN, plan          # column `key`


def test_tables_without_a_usable_sort_key_get_no_index(db: tuple[Any, str], mariadb_conn_params: dict[str, Any]) -> None:
    conn, name = db
    q(conn, "CREATE TABLE txt (id INT, body TEXT, SORT KEY (body))")          # MariaDB needs a prefix for TEXT
    q(conn, "CREATE ROWSTORE TABLE rs (id INT PRIMARY KEY, ts DATETIME)")
    q(conn, "CREATE TABLE unordered (id INT, ts DATETIME, SORT KEY ())")
    for table in ("txt", "rs", "unordered"):
        assert not [r for r in mariadb_indexes(mariadb_conn_params, name, table) if r[0] == HIDDEN], table
    assert q(conn, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'txt' "
                   "AND INDEX_TYPE = 'CLUSTERED COLUMNSTORE'", (name,)) == [("body",)]


def test_the_index_follows_the_table(db: tuple[Any, str], mariadb_conn_params: dict[str, Any]) -> None:
    conn, name = db
    q(conn, "CREATE TABLE a (id INT NOT NULL, ts DATETIME, KEY (ts) USING CLUSTERED COLUMNSTORE, SHARD KEY (id))")
    q(conn, "CREATE TABLE b LIKE a")
    q(conn, "ALTER TABLE a RENAME TO c")
    for table in ("b", "c"):
        assert [r[0] for r in mariadb_indexes(mariadb_conn_params, name, table)] == [HIDDEN], table
        assert q(conn, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
                       "AND INDEX_TYPE = 'CLUSTERED COLUMNSTORE'", (name, table)) == [("ts",)]
