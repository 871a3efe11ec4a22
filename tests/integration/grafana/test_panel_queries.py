"""Every panel query of the dashboard runs against the lab database, macros expanded as Grafana does.

The SQL is read from templates/sql/queries/ through files/grafana/build_dashboard.py (the same text the
dashboard JSON carries), expanded by grafana_sql.expand (Grafana's MySQL macros), and run on a
product_transactions table created from templates/sql/tables/product_transactions.sql and filled
with messages in the producer's format (UTC transaction_date with microseconds):

* MariaDB directly (``mariadb_conn_params``) and the SingleStore test double (``double_conn_params``)
  for the queries that use standard SQL only;
* the queries that read ``information_schema.PIPELINES_*`` only through the double (skipped with the
  reason when the double does not answer those views yet); their arithmetic is checked separately
  on MariaDB against tables with SingleStore's documented columns.

The data is anchored at the current UTC time and every row sits well away from a window's edge,
so the checks do not depend on how long a test takes. The time-zone tests run the queries in
sessions whose time zone is not UTC: SingleStore ignores ``SET time_zone`` (Grafana's
``jsonData.timezone``), so on a server not running in UTC the session zone is the server's.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

import pymysql
import pytest

from tests.unit.grafana.grafana_sql import (
    expand, grafana_session, insert_messages, load_builder, message_time, money, producer_messages, run,
    table_ddl,
)

BUILDER = load_builder()
SPECS = BUILDER.panel_specs()
SQL = {name: panel["targets"][0]["rawSql"] for name, panel in SPECS}
FORMAT = {name: panel["targets"][0]["format"] for name, panel in SPECS}
PIPELINE_QUERIES = sorted(name for name, sql in SQL.items() if "PIPELINES_" in sql.upper())
STANDARD_QUERIES = sorted(name for name in SQL if name not in PIPELINE_QUERIES)

# What each panel needs from its query (column names, in order).
COLUMNS = {
    "total_transactions": ["transactions"],
    "revenue_per_city_60s": ["city", "revenue"],
    "transactions_per_store": ["store_id", "city", "latitude", "longitude", "transactions"],
    "ingest_rate": ["time", "metric", "rows_per_second"],
    "pipeline_lag": ["pipeline", "offsets_behind"],
}

# Seconds before "now": within the last 60 s / in the 5-minute range only / outside both.
RECENT_AGES = [3, 8, 15, 22, 30, 42]            # stores 1..6: Strasbourg has nothing recent
RANGE_AGES = [75, 100, 150, 200, 240]
OLD_AGES = [400, 900, 3600, 86400, 30 * 86400]
RANGE = timedelta(minutes=5)
ZONES = ["+00:00", "+05:30", "-08:00"]



def test_every_query_is_covered() -> None:
    assert sorted(COLUMNS) == sorted(SQL), "a panel query without column expectations here (or the reverse)"
    assert PIPELINE_QUERIES == ["ingest_rate", "pipeline_lag"]


# -- databases ----------------------------------------------------------------------------------

def _create_database(conn_params: dict[str, Any], flavour: str) -> Iterator[str]:
    name = f"tst_grafana_{secrets.token_hex(4)}"
    conn = pymysql.connect(**conn_params, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"USE `{name}`")
            cur.execute(table_ddl(flavour))
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(scope="module")
def mariadb_db(mariadb_conn_params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """A database on the lab MariaDB with product_transactions (SingleStore-only clauses dropped)."""
    yield from ((mariadb_conn_params, name) for name in _create_database(mariadb_conn_params, "mariadb"))


@pytest.fixture(scope="module")
def double_db(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, Any], str]]:
    """A database through the SingleStore double, the table created from the SingleStore DDL as written."""
    params = request.getfixturevalue("double_conn_params")
    yield from ((params, name) for name in _create_database(params, "singlestore"))


def load(conn: Any, now: datetime) -> list[dict[str, Any]]:
    """Replace the table's rows by a fresh set anchored at ``now``; return the messages."""
    messages = producer_messages(now, RECENT_AGES + RANGE_AGES + OLD_AGES)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM product_transactions")
    insert_messages(conn, messages)
    return messages


# -- expectations, computed from the messages ----------------------------------------------------

def expected_revenue(messages: list[dict[str, Any]], now: datetime) -> dict[str, Decimal]:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for m in messages:
        if message_time(m) >= now - timedelta(seconds=60):
            revenue[m["city"]] += money(m["total_amount"])
    return dict(revenue)


def expected_per_store(messages: list[dict[str, Any]], start: datetime, end: datetime) -> Counter:
    # Grafana sends whole seconds (time.Unix()); BETWEEN includes both ends.
    low = datetime.fromtimestamp(int(start.timestamp()), timezone.utc)
    high = datetime.fromtimestamp(int(end.timestamp()), timezone.utc)
    return Counter((m["store_id"], m["city"], coord(m["latitude"]), coord(m["longitude"]))
                   for m in messages if low <= message_time(m) <= high)


def coord(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def check_standard_query(name: str, conn: Any, messages: list[dict[str, Any]], now: datetime) -> None:
    start, end = now - RANGE, now + timedelta(seconds=5)
    names, rows = run(conn, expand(SQL[name], start, end))
    assert names == COLUMNS[name], f"{name}: columns {names}"
    if name == "total_transactions":
        assert len(rows) == 1 and int(rows[0][0]) == len(messages)
    elif name == "revenue_per_city_60s":
        revenue = {city: money(total) for city, total in rows}
        assert revenue == expected_revenue(messages, now)
        assert "Strasbourg" not in revenue, "a city with no transaction in the last 60 s is listed"
        assert [r[1] for r in rows] == sorted((r[1] for r in rows), reverse=True), "not ordered by revenue"
    elif name == "transactions_per_store":
        got = Counter({(int(s), c, coord(lat), coord(lon)): int(n) for s, c, lat, lon, n in rows})
        assert got == expected_per_store(messages, start, end)
        assert all(isinstance(v, (int, float, Decimal)) for r in rows for v in (r[2], r[3])), "lat/lon not numeric"
        assert [r[4] for r in rows] == sorted((r[4] for r in rows), reverse=True)
    else:  # pragma: no cover - guarded by test_every_query_is_covered
        raise AssertionError(name)


# -- MariaDB ------------------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", STANDARD_QUERIES)
def test_standard_query_on_mariadb(mariadb_db: tuple[dict[str, Any], str], name: str, zone: str) -> None:
    params, database = mariadb_db
    with grafana_session(params, database, time_zone=zone) as conn:
        now = datetime.now(timezone.utc)
        messages = load(conn, now)
        check_standard_query(name, conn, messages, now)


def test_now_based_window_is_wrong_off_utc(mariadb_db: tuple[dict[str, Any], str]) -> None:
    """Control: the seed's NOW()-based window misses UTC data when the session is not in UTC.

    Shows that the time-zone tests above can fail, and why the queries use UTC_TIMESTAMP(6).
    """
    params, database = mariadb_db
    seed_style = SQL["revenue_per_city_60s"].replace("UTC_TIMESTAMP(6)", "NOW(6)")
    assert seed_style != SQL["revenue_per_city_60s"]
    with grafana_session(params, database, time_zone="+05:30") as conn:
        now = datetime.now(timezone.utc)
        messages = load(conn, now)
        _, rows = run(conn, expand(seed_style, now - RANGE, now))
        assert {c: money(t) for c, t in rows} != expected_revenue(messages, now)


def test_pipeline_queries_on_documented_columns(mariadb_db: tuple[dict[str, Any], str]) -> None:
    """The lag and rate arithmetic, on MariaDB tables with SingleStore's documented view columns.

    MariaDB has no information_schema.PIPELINES_*: the queries are pointed at look-alike tables in a
    scratch schema with the columns of PIPELINES_CURSORS
    (https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/, cloud) and
    PIPELINES_BATCHES_SUMMARY (https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-batches-summary/,
    cloud). Rows of another database must not count.
    """
    params, database = mariadb_db
    views = f"tst_grafana_views_{secrets.token_hex(4)}"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with grafana_session(params, database) as conn:
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{views}`")
                cur.execute(f"""CREATE TABLE `{views}`.PIPELINES_CURSORS (
                    DATABASE_NAME VARCHAR(64), PIPELINE_NAME VARCHAR(64), SOURCE_TYPE VARCHAR(16),
                    SOURCE_PARTITION_ID VARCHAR(32), EARLIEST_OFFSET BIGINT, LATEST_OFFSET BIGINT,
                    CURSOR_OFFSET BIGINT, SUCCESSFUL_CURSOR_OFFSET BIGINT, UPDATED_UNIX_TIMESTAMP DOUBLE,
                    EXTRA_FIELDS TEXT)""")
                cur.execute(f"""CREATE TABLE `{views}`.PIPELINES_BATCHES_SUMMARY (
                    DATABASE_NAME VARCHAR(64), PIPELINE_NAME VARCHAR(64), BATCH_ID BIGINT, BATCH_STATE VARCHAR(16),
                    START_TIME DATETIME(6), BATCH_TIME DOUBLE, ROWS_STREAMED BIGINT, NUM_PARTITIONS INT,
                    ROWS_PER_SEC DOUBLE, MB_PER_SEC DOUBLE)""")
                cursors = [(database, "retails", "0", 0, 1500, 1200), (database, "retails", "1", 0, 900, 900),
                           (database, "returns", "0", 10, 40, 15), ("other_db", "retails", "0", 0, 99999, 0)]
                cur.executemany(
                    f"INSERT INTO `{views}`.PIPELINES_CURSORS VALUES (%s, %s, 'KAFKA', %s, %s, %s, %s, %s, 0, NULL)",
                    [(db, p, part, low, latest, cursor, cursor) for db, p, part, low, latest, cursor in cursors])
                # START_TIME: written by the engine in its zone; this session (like Grafana's) is in UTC.
                batches = [(database, "retails", 1, now - timedelta(seconds=62), 500), (database, "retails", 2, now - timedelta(seconds=61), 250),
                           (database, "retails", 3, now - timedelta(seconds=12), 1000), (database, "returns", 1, now - timedelta(seconds=12), 50),
                           (database, "retails", 0, now - timedelta(hours=2), 7777), ("other_db", "retails", 1, now - timedelta(seconds=12), 99)]
                cur.executemany(
                    f"INSERT INTO `{views}`.PIPELINES_BATCHES_SUMMARY VALUES (%s, %s, %s, 'Succeeded', %s, 0.1, %s, 1, 0, 0)",
                    [(db, p, bid, start.strftime("%Y-%m-%d %H:%M:%S.%f"), rows) for db, p, bid, start, rows in batches])

            def pointed(name: str) -> str:
                return SQL[name].replace("information_schema.", f"`{views}`.")

            names, rows = run(conn, expand(pointed("pipeline_lag"), now - RANGE, now))
            assert names == COLUMNS["pipeline_lag"]
            assert [(p, int(lag)) for p, lag in rows] == [("retails", 300), ("returns", 25)]

            names, rows = run(conn, expand(pointed("ingest_rate"), now - RANGE, now + timedelta(seconds=1)))
            assert names == COLUMNS["ingest_rate"]

            def bucket(age: int) -> int:
                return int((now - timedelta(seconds=age)).timestamp()) // 5 * 5

            expected: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
            for db, p, _, start, n in batches:
                if db == database and start >= now - RANGE:
                    expected[(bucket(int((now - start).total_seconds())), p)] += Decimal(n) / 5
            assert {(int(t), m): Decimal(v) for t, m, v in rows} == dict(expected)
            assert [int(r[0]) for r in rows] == sorted(int(r[0]) for r in rows), "time series not ordered by time"
        finally:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{views}`")


# -- the SingleStore double -----------------------------------------------------------------------

@pytest.mark.parametrize("name", STANDARD_QUERIES)
def test_standard_query_through_double(double_db: tuple[dict[str, Any], str], name: str) -> None:
    params, database = double_db
    with grafana_session(params, database) as conn:
        now = datetime.now(timezone.utc)
        messages = load(conn, now)
        check_standard_query(name, conn, messages, now)


@pytest.mark.parametrize("name", PIPELINE_QUERIES)
def test_pipeline_query_through_double(double_db: tuple[dict[str, Any], str], name: str) -> None:
    params, database = double_db
    with grafana_session(params, database) as conn:
        view = "PIPELINES_CURSORS" if "PIPELINES_CURSORS" in SQL[name] else "PIPELINES_BATCHES_SUMMARY"
        now = datetime.now(timezone.utc)
        names, rows = run(conn, expand(SQL[name], now - RANGE, now))
        assert names == COLUMNS[name]
        for row in rows:
            if FORMAT[name] == "time_series":
                assert isinstance(row[0], (int, Decimal)) and isinstance(row[1], str), row
            else:
                assert isinstance(row[0], str) and isinstance(row[1], (int, Decimal)), row

