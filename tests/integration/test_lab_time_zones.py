"""Named time zones in the lab: the lab MariaDB has its time zone tables, so CONVERT_TZ works as on SingleStore.

SingleStore takes IANA zone names in CONVERT_TZ without any setup and returns NULL only for an invalid
zone (docs v9.1, https://docs.singlestore.com/db/v9.1/reference/sql-reference/date-and-time-functions/convert-tz/).
MariaDB returns NULL for every named zone until its mysql.time_zone* tables are loaded, which
mariadb-install-db does not do; the lab loads them at start (tests/lab/services/mariadb.py). The double
forwards CONVERT_TZ to MariaDB unchanged.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pymysql
import pytest

from tests.lab.core import Context, port_is_free
from tests.lab.services.mariadb import MariaDB

pytestmark = pytest.mark.lab

PARIS_SUMMER = "SELECT CONVERT_TZ('2024-07-01 12:00:00', 'UTC', 'Europe/Paris')"
PARIS_WINTER = "SELECT CONVERT_TZ('2024-01-15 12:00:00', 'UTC', 'Europe/Paris')"

# The panel query of the seed walkthrough's dashboard ("Revenue per city, last 60 s"), as written
# there: Paris-time data compared with CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris').
SEED_QUERY = (
    "SELECT \n    city,\n    SUM(total_amount) AS total_revenue\nFROM \n    product_transactions\nWHERE \n"
    "    transaction_date > CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris') - INTERVAL 60 SECOND\nGROUP BY \n"
    "    city\nORDER BY total_revenue desc;\n"
)


def scalar(params: dict[str, Any], sql: str) -> Any:
    with pymysql.connect(**params) as conn, conn.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
        assert row is not None
        return row[0]


@pytest.mark.parametrize("target", ["mariadb", "double"])
def test_convert_tz_to_a_named_zone(target: str, mariadb_conn_params, double_conn_params) -> None:
    params = mariadb_conn_params if target == "mariadb" else double_conn_params
    assert scalar(params, PARIS_SUMMER) == dt.datetime(2024, 7, 1, 14, 0, 0)  # CEST, UTC+2
    assert scalar(params, PARIS_WINTER) == dt.datetime(2024, 1, 15, 13, 0, 0)  # CET, UTC+1: a zone, not an offset
    assert scalar(params, "SELECT CONVERT_TZ('2024-07-01 12:00:00', 'UTC', 'No/Such_Zone')") is None


def test_seed_dashboard_query_through_the_double(double_conn_params) -> None:
    db = f"tz_seed_{uuid.uuid4().hex[:10]}"
    with pymysql.connect(**double_conn_params, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris')")
        assert cur.fetchone()[0] is not None
        cur.execute(f"CREATE DATABASE {db}")
        try:
            cur.execute(f"USE {db}")
            cur.execute("CREATE TABLE product_transactions (transaction_id BIGINT PRIMARY KEY, city VARCHAR(64), "
                        "total_amount DECIMAL(10,2), transaction_date DATETIME(6))")
            # Paris-time rows, as the seed's producer wrote them: one now, one an hour old.
            cur.execute("INSERT INTO product_transactions VALUES "
                        "(1, 'Paris', 12.50, CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris')), "
                        "(2, 'Lyon', 7.25, CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris') - INTERVAL 1 HOUR)")
            cur.execute("SELECT COUNT(*) FROM product_transactions WHERE transaction_date IS NULL")
            assert cur.fetchone()[0] == 0
            cur.execute(SEED_QUERY)
            assert [(city, float(total)) for city, total in cur.fetchall()] == [("Paris", 12.5)]
        finally:
            cur.execute(f"DROP DATABASE {db}")


def test_a_data_dir_without_zone_tables_gets_them_at_its_next_start() -> None:
    """A lab MariaDB made before the tables were loaded: its next start loads them; a loaded one is left alone."""
    port = next(p for p in range(44380, 44400) if port_is_free(p))
    messages: list[str] = []
    # A short state dir: the server's socket path must stay under the 108-byte limit.
    with tempfile.TemporaryDirectory(prefix="tz-", dir="/tmp") as state:
        ctx = Context(Path(state), Context.from_env().cache_dir, {"LAB_MARIADB_PORT": str(port)}, messages.append)
        maria = MariaDB(ctx)
        try:
            maria.start()
            loading = [m for m in messages if m.startswith("loading the time zone tables")]
            assert len(loading) == 1
            params = maria.conn_params()
            assert scalar(params, PARIS_SUMMER) == dt.datetime(2024, 7, 1, 14, 0, 0)

            maria.stop()
            maria.start()  # tables present: not loaded again
            assert len([m for m in messages if m.startswith("loading the time zone tables")]) == 1

            # What a data dir made before this change looks like: empty time zone tables.
            with pymysql.connect(**params, database="mysql") as conn, conn.cursor() as cur:
                for table in ("time_zone", "time_zone_name", "time_zone_transition", "time_zone_transition_type"):
                    cur.execute(f"TRUNCATE TABLE {table}")
            maria.stop()
            maria.start()
            assert len([m for m in messages if m.startswith("loading the time zone tables")]) == 2
            assert scalar(params, "SELECT COUNT(*) FROM mysql.time_zone_name") > 500
            assert scalar(params, PARIS_SUMMER) == dt.datetime(2024, 7, 1, 14, 0, 0)
        finally:
            maria.stop()
