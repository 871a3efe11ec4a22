"""Schema profiles of the singlestore role (docs/latency.md), with real ansible-playbook runs.

* test_switching_profiles_loses_no_row: the role (playbooks/singlestore.yml, lab inventory) against
  the SingleStore double and the lab's Kafka. Profile seed first; then files/producer/tx_producer.py
  produces COUNT messages at RATE/s while the role switches to optimized (the table is rebuilt: new
  sort key, DATETIME(6); the pipeline detached meanwhile) and then to rollup (a second pipeline and
  the per-second table, filled from the rows already loaded and started at the main pipeline's
  offsets). Every message must arrive once: COUNT(*) and COUNT(DISTINCT transaction_id) = COUNT,
  and the rollup table must hold exactly the per-second, per-store sums of the transactions. A
  last run with the same profile changes nothing.
* test_rollup_panels_answer_like_the_raw_panels: the rollup dashboard's queries
  (templates/sql/queries/rollup) on a rollup table filled by
  templates/sql/rollup/backfill_store_sales_per_second.sql give the raw queries' answers, with
  "now" on a whole second (the windows of both start on the same boundary then; see the queries'
  comments for the at most 1 s of difference otherwise).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pymysql
import pytest
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from tests.unit.grafana.grafana_sql import (
    expand, insert_messages, load_builder, producer_messages, run, table_ddl,
)

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "singlestore.yml"
INVENTORY = REPO / "inventories" / "lab"
PRODUCER = REPO / "files" / "producer" / "tx_producer.py"
TABLES = REPO / "templates" / "sql" / "tables"
BACKFILL = REPO / "templates" / "sql" / "rollup" / "backfill_store_sales_per_second.sql"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

COUNT = 15_000        # messages produced while the profiles switch
RATE = 250            # per second: 60 s of production, longer than the two switches on a loaded machine
PARTITIONS = 2


def unique(prefix: str) -> str:
    # no trailing _<digits>: SingleStore reserves that shape for partition databases
    return f"{prefix}_{secrets.token_hex(4)}x"


def strip_comments(sql: str) -> str:
    return re.sub(r"(?m)^[ \t]*--.*(\n|$)", "", sql).strip().rstrip(";")


def ansible_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_RETRY_FILES_ENABLED="0")
    return env


def query(params: dict[str, Any], sql: str, args: Any = None, database: str | None = None) -> list[tuple]:
    conn = pymysql.connect(**params, database=database, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    finally:
        conn.close()


class Role:
    """playbooks/singlestore.yml on the lab inventory, the connection and the profile as extra vars."""

    def __init__(self, tmp_path: Path, double: dict[str, Any], database: str, topic: str, bootstrap: str) -> None:
        self.tmp_path = tmp_path
        self.base = {
            "singlestore_login_host": double.get("host", "127.0.0.1"),
            "singlestore_login_port": int(double["port"]),
            "singlestore_login_user": double.get("user", "root"),
            "singlestore_login_password": double.get("password", ""),
            "singlestore_ssl_mode": "disabled",
            "singlestore_schema_database": database,
            "singlestore_schema_kafka_brokers": [bootstrap],
            "singlestore_schema_kafka_topic": topic,
            "singlestore_schema_batch_interval": 200,
            # only the profile's objects: the lab inventory's own demo objects are not this test's
            "singlestore_databases": [], "singlestore_tables": [], "singlestore_users": [], "singlestore_pipelines": [],
        }
        self.runs = 0

    def __call__(self, profile: str) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        path = self.tmp_path / f"vars-{self.runs}.json"
        path.write_text(json.dumps(dict(self.base, singlestore_schema_profile=profile)))
        path.chmod(0o600)
        return subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(INVENTORY), str(PLAYBOOK), "-e", f"@{path}", "-v"],
                              cwd=REPO, env=ansible_env(), capture_output=True, text=True, timeout=300)


def recap(done: subprocess.CompletedProcess[str]) -> dict[str, int]:
    match = re.search(r"lab-controller\s*:\s*(.*)", done.stdout.split("PLAY RECAP", 1)[-1])
    assert match, done.stdout[-3000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"rc={done.returncode}\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture()
def topic(kafka_bootstrap: str) -> Iterator[str]:
    name = unique("profiles")
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    for future in admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)]).values():
        future.result(30)
    yield name
    for future in admin.delete_topics([name]).values():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup only
            pass


@pytest.fixture()
def database(double_conn_params: dict[str, Any]) -> Iterator[str]:
    name = unique("tst_profiles")
    yield name
    for pipeline, in query(double_conn_params, "SELECT PIPELINE_NAME FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s",
                           (name,)):
        query(double_conn_params, f"DROP PIPELINE IF EXISTS `{pipeline}`", database=name)
    query(double_conn_params, f"DROP DATABASE IF EXISTS `{name}`")


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_switching_profiles_loses_no_row(tmp_path: Path, double_conn_params: dict[str, Any], kafka_bootstrap: str,
                                         topic: str, database: str) -> None:
    role = Role(tmp_path, double_conn_params, database, topic, kafka_bootstrap)

    def count() -> int:
        return query(double_conn_params, "SELECT COUNT(*) FROM product_transactions", database=database)[0][0]

    ok(role("seed"))
    assert query(double_conn_params, "SELECT PIPELINE_NAME, STATE FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s",
                 (database,)) == [("retails_kafka_consumer", "Running")]

    producer = subprocess.Popen([sys.executable, str(PRODUCER), "-b", kafka_bootstrap, "-t", topic, "-r", str(RATE),
                                 "-n", str(COUNT), "--progress-interval", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: count() >= COUNT // 20, 60, "the seed profile's pipeline to load the first messages")
        loaded_under_seed = count()

        optimized = ok(role("optimized"))
        assert "product_transactions__rebuild" in optimized, "the switch to optimized did not rebuild the table"
        assert "DETACH PIPELINE `retails_kafka_consumer`" in optimized
        assert producer.poll() is None, "the producer finished before the second switch: raise COUNT"
        loaded_after_optimized = count()

        rollup = ok(role("rollup"))
        assert "SET OFFSETS" in rollup and "INSERT INTO store_sales_per_second" in rollup
        producing_after_rollup = producer.poll() is None

        out, _ = producer.communicate(timeout=180)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.communicate()
    assert producer.returncode == 0, out
    assert f"delivered={COUNT} " in out, out

    wait_for(lambda: count() >= COUNT, 120, f"{COUNT} rows in product_transactions")
    time.sleep(2)  # anything more would be a duplicate: give it the chance to show
    total, distinct = query(double_conn_params, "SELECT COUNT(*), COUNT(DISTINCT transaction_id) FROM product_transactions",
                            database=database)[0]
    assert (total, distinct) == (COUNT, COUNT)
    assert 0 < loaded_under_seed < loaded_after_optimized < COUNT, (loaded_under_seed, loaded_after_optimized)

    # The rollup: every transaction counted once, in its (second, store) row.
    def rollup_sums() -> tuple:
        return query(double_conn_params, "SELECT COALESCE(SUM(transactions), 0), SUM(revenue), SUM(quantity) "
                                         "FROM store_sales_per_second", database=database)[0]
    wait_for(lambda: rollup_sums()[0] >= COUNT, 60, "the rollup pipeline to catch up")
    time.sleep(2)
    raw = query(double_conn_params, "SELECT COUNT(*), SUM(total_amount), SUM(quantity) FROM product_transactions",
                database=database)[0]
    assert rollup_sums() == (Decimal(COUNT), raw[1], Decimal(raw[2]))
    per_second = query(double_conn_params,
                       "SELECT DATE_FORMAT(transaction_date, '%%Y-%%m-%%d %%H:%%i:%%s') AS b, store_id, COUNT(*), "
                       "SUM(quantity), SUM(total_amount) FROM product_transactions GROUP BY 1, 2 ORDER BY 1, 2",
                       (), database=database)
    rolled = query(double_conn_params, "SELECT DATE_FORMAT(bucket, '%%Y-%%m-%%d %%H:%%i:%%s'), store_id, transactions, "
                                       "quantity, revenue FROM store_sales_per_second ORDER BY 1, 2", (), database=database)
    assert [(b, s, int(n), int(q), r) for b, s, n, q, r in rolled] == [(b, s, int(n), int(q), r) for b, s, n, q, r in per_second]

    # The shape the profile asks for, and what the switch left behind.
    keys = query(double_conn_params, "SELECT INDEX_TYPE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
                                     "AND TABLE_NAME = 'product_transactions' AND INDEX_TYPE IN ('SHARD', 'CLUSTERED COLUMNSTORE')",
                 (database,))
    assert sorted(keys) == [("CLUSTERED COLUMNSTORE", "transaction_date"), ("SHARD", "transaction_id")]
    pipelines = query(double_conn_params, "SELECT PIPELINE_NAME, STATE FROM information_schema.PIPELINES WHERE "
                                          "DATABASE_NAME = %s ORDER BY 1", (database,))
    assert pipelines == [("retails_kafka_consumer", "Running"), ("retails_rollup", "Running")]
    backups = [r[0] for r in query(double_conn_params, "SHOW TABLES", database=database) if "__backup_" in r[0]]
    assert len(backups) == 1, backups   # the seed-shaped table, kept until drop_backup

    again = role("rollup")
    ok(again)
    assert recap(again)["changed"] == 0, again.stdout[-4000:]
    print(f"seed: {loaded_under_seed} rows before the first switch, {loaded_after_optimized} after it; "
          f"producer still running after the second switch: {producing_after_rollup}")


def numbers(rows: list[tuple]) -> list[tuple]:
    """Integers and decimals compared as numbers (COUNT(*) is an integer, SUM(transactions) a DECIMAL)."""
    return [tuple(Decimal(str(v)) if isinstance(v, (int, Decimal)) else v for v in row) for row in rows]


@pytest.fixture()
def rollup_db(double_conn_params: dict[str, Any]) -> Iterator[str]:
    name = unique("tst_rollup")
    conn = pymysql.connect(**double_conn_params, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}`")
            cur.execute(f"USE `{name}`")
            cur.execute(table_ddl("singlestore"))
            cur.execute(strip_comments((TABLES / "store_sales_per_second.sql").read_text()))
        yield name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def test_rollup_panels_answer_like_the_raw_panels(double_conn_params: dict[str, Any], rollup_db: str) -> None:
    builder = load_builder()
    raw = {name: panel["targets"][0]["rawSql"] for name, panel in builder.panel_specs()}
    rolled = {name: panel["targets"][0]["rawSql"] for name, panel in builder.panel_specs(builder.QUERIES_DIR, builder.ROLLUP_DIR)}
    changed = sorted(name for name in raw if raw[name] != rolled[name])
    assert changed == ["revenue_per_city_60s", "total_transactions", "transactions_per_store"]

    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=30)
    # ages in seconds, several per second and store, across both windows' edges (±0.3 s) and beyond
    ages = [0.2, 0.7, 1.1, 5.5, 5.6, 30.0, 59.7, 60.3, 61.0, 120.4, 299.6, 300.4, 301.2, 900.0, 86400.5]
    messages = producer_messages(now, [a + k * 0.01 for a in ages for k in range(7)])
    conn = pymysql.connect(**double_conn_params, database=rollup_db, autocommit=True)
    try:
        insert_messages(conn, messages)
        with conn.cursor() as cur:
            cur.execute(strip_comments(BACKFILL.read_text()))
            cur.execute(f"SET timestamp = {int(now.timestamp())}")
        start, end = now - timedelta(minutes=5), now
        for name in changed:
            expected = sorted(run(conn, expand(raw[name], start, end))[1])
            got = sorted(run(conn, expand(rolled[name], start, end))[1])
            assert numbers(got) == numbers(expected), name
            assert got, f"{name}: no rows at all, the comparison proves nothing"
    finally:
        conn.close()
