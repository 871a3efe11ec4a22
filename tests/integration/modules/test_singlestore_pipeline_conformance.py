"""singlestore_pipeline and singlestore_info against the double printing what SingleStore prints (issue 13).

The double's SHOW CREATE PIPELINE qualifies mapping targets with the table and prints DISABLE OUT_OF_ORDER
OPTIMIZATION / DISABLE OFFSETS METADATA GC (held against the conformance corpus by
tests/unit/conformance/test_pipelines_double.py); its CREATE OR REPLACE puts the cursors back to the earliest offsets,
and PIPELINES_CURSORS shows NULL EARLIEST/LATEST offsets while a batch runs. Here the module meets all of it through
real ansible-playbook runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pymysql
import pytest

from _ansible import REPO, assert_clean_failure, login_options, query, run_steps, step
from _pipelines import (  # noqa: F401 - fixtures
    catalog, converge, count, cursors, lag, pdb, produce, run, s2, state, topics, wait_for,
)
from tests.lab.api import Lab
from tests.lab.core import Context


def kafka(bootstrap: str, topic: str, **extra: Any) -> dict[str, Any]:
    return dict(brokers=[bootstrap], topic=topic, **extra)


def show_create(conn: dict[str, Any], db: str, name: str) -> str:
    return query(conn, f"SHOW CREATE PIPELINE `{db}`.`{name}`")[0][1]


def settle(conn: dict[str, Any], db: str, name: str, table: str, rows: int) -> None:
    wait_for(f"{rows} rows in {db}.{table}", lambda: count(conn, db, table) >= rows and lag(conn, db, name) == 0, timeout=120)


def test_printed_form_reads_back_equal_and_info_has_the_definition(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.tx (transaction_id BIGINT NOT NULL PRIMARY KEY, store_id INT, amount DECIMAL(10,2))")
    topic = topics(1)
    mapping = [{"column": "transaction_id", "path": "transaction_id"}, {"column": "store_id", "path": "store::id"},
               {"column": "amount", "path": "total_amount", "default": 0}]
    args = dict(database=pdb, name="tx", kafka=kafka(kafka_bootstrap, topic), table="tx", format="json", mapping=mapping,
                on_duplicate="skip", batch_interval=100)
    converge(tmp_path, s2, args, pdb)  # check, create, check (unchanged), re-run (unchanged): the printed form reads equal
    shown = show_create(s2, pdb, "tx")
    assert "DISABLE OUT_OF_ORDER OPTIMIZATION\nDISABLE OFFSETS METADATA GC\nSKIP DUPLICATE KEY ERRORS\n" in shown, shown
    assert "(\n    `tx`.`transaction_id` <- `transaction_id`,\n    `tx`.`store_id` <- `store`::`id`,\n" in shown, shown
    assert "`tx`.`amount` <- `total_amount` DEFAULT   0\n)" in shown, shown

    info = run_steps(tmp_path, login_options(s2), [step("singlestore_info", {"gather_subset": ["pipelines"], "filter": [pdb]})]).results[0]
    facts = info["pipelines"][f"{pdb}.tx"]
    assert facts["definition_error"] is None and facts["definition"]["mapping"] == mapping
    assert facts["definition"]["unmanaged_clauses"] == [] and facts["definition"]["on_duplicate"] == "skip"

    # The text the server printed, given back as a CREATE statement, is accepted and is the same pipeline.
    query(s2, f"DROP PIPELINE `{pdb}`.tx")
    conn = pymysql.connect(**s2, database=pdb, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(shown)
    finally:
        conn.close()
    again = run(tmp_path, s2, args)[0]
    assert again["changed"] is False and again["queries"] == [], again


def test_unmanaged_clauses_are_carried_over_by_a_replace(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    produce(kafka_bootstrap, topic, [{"id": i, "v": f"v{i}"} for i in range(5)])
    conn = pymysql.connect(**s2, database=pdb, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE PIPELINE kv AS LOAD DATA KAFKA '{kafka_bootstrap}/{topic}' MAX_RETRIES_PER_BATCH_PARTITION 2 "
                        "RESOURCE POOL ingest ENABLE OUT_OF_ORDER OPTIMIZATION INTO TABLE kv FORMAT JSON (id <- id)")
    finally:
        conn.close()
    args = dict(database=pdb, name="kv", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json",
                mapping=[{"column": "id", "path": "id"}, {"column": "v", "path": "v"}], max_offsets_per_batch_partition=1000)
    res = converge(tmp_path, s2, args, pdb)
    replace = res[1]["queries"][0]
    assert replace.startswith("CREATE OR REPLACE PIPELINE `kv`"), res[1]["queries"]
    assert "MAX_RETRIES_PER_BATCH_PARTITION 2\nMAX_OFFSETS_PER_BATCH_PARTITION 1000\nRESOURCE POOL `ingest`\n" \
           "ENABLE OUT_OF_ORDER OPTIMIZATION\nINTO TABLE `kv`" in replace, replace
    assert not any("drops clauses" in w for w in res[1].get("warnings", []))
    shown = show_create(s2, pdb, "kv")
    assert "RESOURCE POOL `ingest`\nENABLE OUT_OF_ORDER OPTIMIZATION\nDISABLE OFFSETS METADATA GC\n" in shown, shown
    assert res[1]["pipeline"]["unmanaged_clauses"] == ["RESOURCE POOL `ingest`", "ENABLE OUT_OF_ORDER OPTIMIZATION"]
    assert res[1]["pipeline"]["max_retries_per_batch_partition"] == 2


def test_no_row_is_loaded_twice_across_replaces(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    """Keyless table: a message loaded twice is a second row. Two replaces while running; every message once."""
    query(s2, f"CREATE TABLE `{pdb}`.ev (id BIGINT NOT NULL, v VARCHAR(20), tag VARCHAR(20))")
    topic = topics(3)
    produce(kafka_bootstrap, topic, [{"id": i, "v": f"a{i}"} for i in range(300)], key=lambda m: m["id"])
    base = dict(database=pdb, name="ev", kafka=kafka(kafka_bootstrap, topic), table="ev", format="json", batch_interval=100,
                state="started", mapping=[{"column": "id", "path": "id"}, {"column": "v", "path": "v"}])
    converge(tmp_path, s2, base, pdb)
    settle(s2, pdb, "ev", "ev", 300)
    before = cursors(s2, pdb, "ev")
    res = run(tmp_path, s2, dict(base, mapping=base["mapping"] + [{"column": "tag", "path": "tag", "default": "x"}]))[0]
    assert [q.split("\n")[0].split(" '")[0] for q in res["queries"]] == [
        "STOP PIPELINE `ev`", "CREATE OR REPLACE PIPELINE `ev`", "ALTER PIPELINE `ev` SET OFFSETS", "START PIPELINE `ev`"], res["queries"]
    assert cursors(s2, pdb, "ev") == before
    produce(kafka_bootstrap, topic, [{"id": 300 + i, "v": f"b{i}", "tag": "new"} for i in range(100)], key=lambda m: m["id"])
    settle(s2, pdb, "ev", "ev", 400)
    res = run(tmp_path, s2, dict(base, on_duplicate="ignore"))[0]
    assert res["changed"] is True and res["queries"][1].startswith("CREATE OR REPLACE")
    produce(kafka_bootstrap, topic, [{"id": 400 + i, "v": f"c{i}"} for i in range(50)], key=lambda m: m["id"])
    settle(s2, pdb, "ev", "ev", 450)
    assert count(s2, pdb, "ev") == 450 == count(s2, pdb, "ev", "id"), "a message was loaded twice or lost across a replace"
    assert query(s2, f"SELECT COUNT(*) FROM `{pdb}`.ev WHERE tag = 'new'")[0][0] == 100


def test_null_offsets_while_a_batch_runs(tmp_path, s2, maria, pdb, topics, kafka_bootstrap) -> None:
    """A row lock held in MariaDB keeps a batch running; meanwhile PIPELINES_CURSORS has NULL offsets, and the info
    module, the dashboard's lag query and a reset in check mode all cope with them."""
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    produce(kafka_bootstrap, topic, [{"id": i, "v": f"v{i}"} for i in range(10)])
    args = dict(database=pdb, name="kv", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json", batch_interval=100)
    assert run(tmp_path, s2, args)[0]["changed"] is True
    blocker = pymysql.connect(**maria, autocommit=False)
    try:
        with blocker.cursor() as cur:
            cur.execute(f"INSERT INTO `{pdb}`.kv VALUES (5, 'held')")  # uncommitted: the batch waits on this row
        assert run(tmp_path, s2, dict(args, state="started"))[0]["changed"] is True
        wait_for("NULL offsets in PIPELINES_CURSORS", lambda: query(
            s2, "SELECT EARLIEST_OFFSET IS NULL AND LATEST_OFFSET IS NULL FROM information_schema.PIPELINES_CURSORS "
                "WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'kv'", (pdb,)) == [(1,)], timeout=30)

        info = run_steps(tmp_path, login_options(s2), [step("singlestore_info", {"gather_subset": ["pipelines"], "filter": [pdb]})]).results[0]
        facts = info["pipelines"][f"{pdb}.kv"]
        assert not info.get("failed") and facts["lag"] is None and facts["partitions"][0]["lag"] is None, facts
        assert facts["partitions"][0]["cursor_offset"] == 0

        sql = (REPO / "templates" / "sql" / "queries" / "pipeline_lag.sql").read_text()
        conn = pymysql.connect(**s2, database=pdb)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                assert cur.fetchall() == (("kv", None),), "the lag of a pipeline with unknown offsets is unknown"
        finally:
            conn.close()

        before = catalog(s2, pdb)()
        checked = run(tmp_path, s2, dict(args, state="started", reset_offsets=True), check=True)[0]
        assert checked["changed"] is True and "ALTER PIPELINE `kv` SET OFFSETS EARLIEST" in checked["queries"], checked
        assert any("are NULL in information_schema.PIPELINES_CURSORS" in w for w in checked.get("warnings", [])), checked
        assert catalog(s2, pdb)()["cursors"] == before["cursors"]
    finally:
        blocker.rollback()
        blocker.close()
    settle(s2, pdb, "kv", "kv", 10)
    assert query(s2, "SELECT COUNT(*) FROM information_schema.PIPELINES_CURSORS WHERE DATABASE_NAME = %s AND "
                     "EARLIEST_OFFSET IS NOT NULL AND LATEST_OFFSET = 10", (pdb,)) == [(1,)]
    assert query(s2, f"SELECT v FROM `{pdb}`.kv WHERE id = 5") == [("v5",)]


def test_alter_set_credentials_is_not_in_the_8_9_grammar(s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY)")
    topic = topics(1)
    conn = pymysql.connect(**s2, database=pdb, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE PIPELINE p AS LOAD DATA KAFKA '{kafka_bootstrap}/{topic}' INTO TABLE kv FORMAT JSON")
            with pytest.raises(pymysql.err.ProgrammingError, match="SET CREDENTIALS"):
                cur.execute("ALTER PIPELINE p SET CREDENTIALS '{}'")
    finally:
        conn.close()


# -- SingleStore 9.1.1: the lab's double restarted to report that version -----------------------------------------
def _restart_double(version: str | None) -> None:
    env = dict(os.environ)
    env.pop("LAB_DOUBLE_MEMSQL_VERSION", None)
    if version:
        env["LAB_DOUBLE_MEMSQL_VERSION"] = version
    lab = Lab(Context.from_env(env))
    lab.stop(["double"])
    lab.start(["double"])


@pytest.fixture
def s2_9_1(s2: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The lab's double reporting @@memsql_version 9.1.1 for one test, then what it reported before."""
    _restart_double("9.1.1")
    try:
        assert query(s2, "SELECT @@memsql_version") == [("9.1.1",)]
        yield s2
    finally:
        _restart_double(os.environ.get("LAB_DOUBLE_MEMSQL_VERSION"))


def test_credentials_sent_again_with_alter_on_9_1(tmp_path: Path, s2_9_1, pdb, topics, kafka_bootstrap) -> None:
    query(s2_9_1, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    secret = "Nine-One-" + pdb[-9:]
    args = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic, credentials={"sasl.password": secret}), table="kv",
                format="json", state="started")
    first, again = run(tmp_path, s2_9_1, args, dict(args, update_credentials="always"))
    assert first["changed"] is True and not first.get("failed"), first
    assert again["changed"] is True and again["queries"] == [
        "STOP PIPELINE `p`", "ALTER PIPELINE `p` SET CREDENTIALS %(credentials)s", "START PIPELINE `p`"], again
    assert secret not in str(first) + str(again) and state(s2_9_1, pdb, "p") == "Running"
    bad = run(tmp_path, s2_9_1, dict(args, update_credentials="always", kafka=kafka(kafka_bootstrap, "bad topic!",
                                                                                       credentials={"sasl.password": secret})))[0]
    assert_clean_failure(bad, "invalid topic name")
    assert secret not in str(bad)


def test_an_endpoint_that_cannot_be_read_changes_nothing(tmp_path, s2, maria, pdb, topics, kafka_bootstrap) -> None:
    """SHOW CREATE PIPELINE hides URLs from users without SUPER: an endpoint the module cannot read is never replaced."""
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    args = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json")
    assert run(tmp_path, s2, args)[0]["changed"] is True
    # Stand-in for a hidden endpoint: the double's stored definition without brokers prints '/<topic>'.
    row = query(maria, "SELECT DEFINITION FROM _s2double._pipelines WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'p'", (pdb,))[0][0]
    query(maria, "UPDATE _s2double._pipelines SET DEFINITION = %s WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'p'",
          (json.dumps(dict(json.loads(row), brokers=[])), pdb))
    assert f"AS LOAD DATA KAFKA '/{topic}'" in show_create(s2, pdb, "p")
    before = catalog(s2, pdb)()
    checked, real = run(tmp_path, s2, dict(args, batch_interval=5), check=True)[0], run(tmp_path, s2, dict(args, batch_interval=5))[0]
    for res in (checked, real):
        assert_clean_failure(res, f"cannot read the Kafka endpoint of pipeline {pdb}.p", "Nothing was changed")
        assert res["queries"] == []
    assert catalog(s2, pdb)() == before
