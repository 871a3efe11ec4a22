"""The test helpers' expansion of Grafana's MySQL macros matches grafana pkg/tsdb/mysql/macros.go.

Expected strings are written from the Go source (fmt formats, whole seconds from time.Unix()).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.unit.grafana.grafana_sql import MacroError, expand, format_interval, table_ddl

FROM = datetime(2018, 4, 12, 18, 0, 0, tzinfo=timezone.utc)
TO = FROM + timedelta(minutes=5)
F, T = int(FROM.timestamp()), int(TO.timestamp())


@pytest.mark.parametrize("sql, expected", [
    ("select $__time(time_column)", "select UNIX_TIMESTAMP(time_column) as time_sec"),
    ("select $__timeEpoch(time_column)", "select UNIX_TIMESTAMP(time_column) as time_sec"),
    ("GROUP BY $__timeGroup(time_column,'5m')", "GROUP BY UNIX_TIMESTAMP(time_column) DIV 300 * 300"),
    ("GROUP BY $__timeGroup(time_column , '5m')", "GROUP BY UNIX_TIMESTAMP(time_column) DIV 300 * 300"),
    ("GROUP BY $__timeGroup(time_column,'1s', NULL)", "GROUP BY UNIX_TIMESTAMP(time_column) DIV 1 * 1"),
    ("select $__timeGroupAlias(time_column,'5m')", 'select UNIX_TIMESTAMP(time_column) DIV 300 * 300 AS "time"'),
    ("WHERE $__timeFilter(time_column)", f"WHERE time_column BETWEEN FROM_UNIXTIME({F}) AND FROM_UNIXTIME({T})"),
    ("select $__timeFrom()", f"select FROM_UNIXTIME({F})"),
    ("select $__timeTo()", f"select FROM_UNIXTIME({T})"),
    ("select $__unixEpochFilter(time)", f"select time >= {F} AND time <= {T}"),
    ("select $__unixEpochNanoFilter(time)", f"select time >= {F}000000000 AND time <= {T}000000000"),
    ("select $__unixEpochFrom(), $__unixEpochTo()", f"select {F}, {T}"),
    ("select $__unixEpochNanoFrom(), $__unixEpochNanoTo()", f"select {F}000000000, {T}000000000"),
    ("select $__unixEpochGroup(t, '5m')", "select t DIV 300 * 300"),
    ("select $__unixEpochGroupAlias(t,'500ms')", 'select t DIV 0.5 * 0.5 AS "time"'),
    ("select $__interval_ms, '$__interval'", "select 1000, '1s'"),
    ("select 1 -- no macro", "select 1 -- no macro"),
])
def test_expansion(sql: str, expected: str) -> None:
    assert expand(sql, FROM, TO) == expected


def test_before_1970_uses_date_add() -> None:
    start = datetime(1960, 2, 1, 7, 0, tzinfo=timezone.utc)
    end = datetime(1980, 2, 3, 8, 0, tzinfo=timezone.utc)
    assert expand("WHERE $__timeFilter(c)", start, end) == (
        f"WHERE c BETWEEN DATE_ADD(FROM_UNIXTIME(0), INTERVAL {int(start.timestamp())} SECOND) "
        f"AND FROM_UNIXTIME({int(end.timestamp())})")


def test_whole_seconds_rounded_down() -> None:
    assert expand("$__unixEpochFrom()", FROM + timedelta(milliseconds=999), TO) == str(F)


def test_interval_formats() -> None:
    assert expand("$__interval $__interval_ms", FROM, TO, interval=0.25) == "250ms 250"
    assert [format_interval(s) for s in (1, 60, 300, 3600, 90)] == ["1s", "1m", "5m", "1h", "90s"]


@pytest.mark.parametrize("sql", [
    "SELECT user()", "SELECT 1, current_user", "SELECT current_user()", "show grants", "SELECT session_user()",
    "SELECT x FROM t WHERE y = system_user()",
])
def test_restricted_queries_are_refused(sql: str) -> None:
    with pytest.raises(MacroError):
        expand(sql, FROM, TO)


def test_lookalike_names_are_allowed() -> None:
    assert expand("SELECT current_user_id FROM t", FROM, TO) == "SELECT current_user_id FROM t"


@pytest.mark.parametrize("sql", ["select $__nope(x)", "select $__timeGroup(x)", "select $__timeGroup(x, 'often')"])
def test_bad_macros_are_errors(sql: str) -> None:
    with pytest.raises(MacroError):
        expand(sql, FROM, TO)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        expand("$__unixEpochFrom()", datetime(2024, 1, 1), TO)


def test_table_ddl_for_mariadb_drops_only_singlestore_clauses() -> None:
    singlestore, mariadb = table_ddl("singlestore"), table_ddl("mariadb")
    assert "SHARD KEY" in singlestore and "SORT KEY" in singlestore
    assert "SHARD KEY" not in mariadb and "SORT KEY" not in mariadb
    assert "PRIMARY KEY (transaction_id)" in mariadb
    assert mariadb.rstrip().endswith(")") and ",\n)" not in mariadb and "--" not in mariadb
    assert not singlestore.endswith(";")
