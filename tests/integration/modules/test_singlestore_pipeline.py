"""singlestore_pipeline against the SingleStore test double and the lab's Kafka, through real ansible-playbook runs.

Every pipeline here loads real Kafka messages into MariaDB tables through the double's pipeline engine; row counts,
cursors, batches and errors are read back from the catalog with plain PyMySQL.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from _ansible import assert_clean_failure, query
from _pipelines import (  # noqa: F401 - fixtures
    catalog, converge, count, cursors, errors, lag, pdb, produce, rows_streamed, run, s2, scalar, state, topics, wait_for,
)

TX_TABLE = ("CREATE TABLE `{db}`.tx (tx_id BIGINT NOT NULL, store_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, "
            "created_at DATETIME(6) NOT NULL)")  # keyless on purpose: a message loaded twice shows up as a second row


def tx_messages(n: int, start: int = 0) -> list[dict[str, Any]]:
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    return [{"tx_id": i, "store_id": i % 7 + 1, "amount": round((i % 500) + 0.99, 2),
             "created_at": (base + timedelta(microseconds=i)).strftime("%Y-%m-%d %H:%M:%S.%f")} for i in range(start, start + n)]


def kafka(bootstrap: str, topic: str, **extra: Any) -> dict[str, Any]:
    return dict(brokers=[bootstrap], topic=topic, **extra)


def settle(conn: dict[str, Any], db: str, name: str, rows: int, table: str = "tx", timeout: float = 120) -> None:
    """Wait until the pipeline caught up (no lag) and the table holds ``rows`` rows."""
    wait_for(f"{rows} rows in {db}.{table}", lambda: count(conn, db, table) >= rows and lag(conn, db, name) == 0, timeout)


def test_exactly_once_100k_then_idempotent_then_alter(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, TX_TABLE.format(db=pdb))
    topic = topics(4)
    total = produce(kafka_bootstrap, topic, tx_messages(100_000), key=lambda m: m["tx_id"])
    args = dict(database=pdb, name="tx_loader", kafka=kafka(kafka_bootstrap, topic), table="tx", format="json",
                batch_interval=100, state="started")
    res = converge(tmp_path, s2, args, pdb)
    assert res[1]["queries"][-1] == "START PIPELINE `tx_loader`" and res[3]["pipeline"]["state"] == "Running"
    settle(s2, pdb, "tx_loader", total)
    assert count(s2, pdb, "tx") == total == count(s2, pdb, "tx", "tx_id"), "a message was lost or loaded twice"
    assert sorted(int(p) for p in cursors(s2, pdb, "tx_loader")) == [0, 1, 2, 3]
    assert sum(cursors(s2, pdb, "tx_loader").values()) == total

    # The same playbook again: nothing to do, nothing lost, nothing loaded twice.
    before = catalog(s2, pdb)()
    again = run(tmp_path, s2, args)[0]
    assert again["changed"] is False and again["queries"] == [], again
    assert catalog(s2, pdb)() == before and count(s2, pdb, "tx") == total

    # A tunable: one ALTER (around a stop and a start), the offsets are kept.
    offsets = cursors(s2, pdb, "tx_loader")
    res = converge(tmp_path, s2, dict(args, batch_interval=250), pdb)
    assert res[1]["queries"] == ["STOP PIPELINE `tx_loader`", "ALTER PIPELINE `tx_loader` SET BATCH_INTERVAL 250",
                                 "START PIPELINE `tx_loader`"]
    assert res[1]["diff"]["before"]["batch_interval"] == 100 and res[1]["diff"]["after"]["batch_interval"] == 250
    assert cursors(s2, pdb, "tx_loader") == offsets and count(s2, pdb, "tx") == total
    produce(kafka_bootstrap, topic, tx_messages(1000, start=total), key=lambda m: m["tx_id"])
    settle(s2, pdb, "tx_loader", total + 1000)
    assert count(s2, pdb, "tx") == total + 1000 == count(s2, pdb, "tx", "tx_id")


def test_state_transitions(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, TX_TABLE.format(db=pdb))
    topic = topics(2)
    produce(kafka_bootstrap, topic, tx_messages(50))
    base = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic), table="tx", format="json", batch_interval=100)

    res = converge(tmp_path, s2, dict(base, state="present"), pdb)
    assert res[1]["pipeline"]["state"] == "Stopped" and res[1]["diff"]["before"] == {"exists": False}
    assert count(s2, pdb, "tx") == 0, "a created pipeline must not load before it is started"

    res = converge(tmp_path, s2, dict(base, state="started"), pdb)
    assert res[1]["queries"] == ["START PIPELINE `p`"] and state(s2, pdb, "p") == "Running"
    settle(s2, pdb, "p", 50)

    res = converge(tmp_path, s2, dict(base, state="stopped"), pdb)
    assert res[1]["queries"] == ["STOP PIPELINE `p`"] and state(s2, pdb, "p") == "Stopped"
    produce(kafka_bootstrap, topic, tx_messages(10, start=50))
    # present leaves a stopped pipeline stopped
    assert run(tmp_path, s2, dict(base, state="present"))[0]["changed"] is False
    assert count(s2, pdb, "tx") == 50 and state(s2, pdb, "p") == "Stopped"

    assert run(tmp_path, s2, dict(base, state="started"))[0]["queries"] == ["START PIPELINE `p`"]
    settle(s2, pdb, "p", 60)
    assert count(s2, pdb, "tx") == 60 == count(s2, pdb, "tx", "tx_id")

    res = converge(tmp_path, s2, {"database": pdb, "name": "p", "state": "absent"}, pdb)
    assert res[1]["queries"] == ["DROP PIPELINE `p`"] and res[1]["pipeline"] == {"exists": False}
    assert state(s2, pdb, "p") is None and cursors(s2, pdb, "p") == {}


def test_replace_keeps_offsets_mapping_then_topic(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.ev (id BIGINT NOT NULL, v VARCHAR(20), src VARCHAR(20))")
    first, second = topics(2), topics(1)
    produce(kafka_bootstrap, first, [{"id": i, "v": f"a{i}", "src": "one"} for i in range(20)])
    produce(kafka_bootstrap, second, [{"id": 100 + i, "v": f"b{i}", "src": "two"} for i in range(5)])
    mapping = [{"column": "id", "path": "id"}, {"column": "v", "path": "v"}]
    args = dict(database=pdb, name="ev", kafka=kafka(kafka_bootstrap, first), table="ev", format="json", mapping=mapping,
                batch_interval=100, stop_on_error=True, state="started")
    converge(tmp_path, s2, args, pdb)
    settle(s2, pdb, "ev", 20, "ev")
    offsets = cursors(s2, pdb, "ev")

    # Mapping change: structural -> CREATE OR REPLACE between a stop and a start, then the cursors read before it are set
    # again (the double puts them back to the earliest offsets on a replace): nothing is loaded twice.
    args = dict(args, mapping=mapping + [{"column": "src", "path": "src", "default": "none"}])
    res = converge(tmp_path, s2, args, pdb)
    planned = res[1]["queries"]
    carried = json.dumps({p: offsets[p] for p in sorted(offsets, key=lambda p: (len(p), p))}, separators=(",", ":"))
    assert planned[0] == "STOP PIPELINE `ev`" and planned[1].startswith("CREATE OR REPLACE PIPELINE `ev`") and \
        planned[2:] == ["ALTER PIPELINE `ev` SET OFFSETS '" + carried.replace('"', '\\"') + "'", "START PIPELINE `ev`"], planned
    assert "`src` <- `src` DEFAULT 'none'" in planned[1]
    assert res[1]["diff"]["after"]["mapping"][-1] == {"column": "src", "path": "src", "default": "none"}
    assert cursors(s2, pdb, "ev") == offsets
    produce(kafka_bootstrap, first, [{"id": 20 + i, "v": f"a{20 + i}", "src": "one"} for i in range(10)])
    settle(s2, pdb, "ev", 30, "ev")
    assert count(s2, pdb, "ev") == 30 == count(s2, pdb, "ev", "id")
    assert scalar(s2, f"SELECT COUNT(*) FROM `{pdb}`.ev WHERE src = 'one'") == 10, "only the new messages carry src"

    # Topic change: CREATE OR REPLACE; the new topic is read from its start (start_from), the old one is not replayed.
    res = converge(tmp_path, s2, dict(args, kafka=kafka(kafka_bootstrap, second)), pdb)
    assert res[1]["queries"][1].startswith("CREATE OR REPLACE PIPELINE") and res[1]["diff"]["before"]["topic"] == first
    assert res[1]["queries"][2:] == ["ALTER PIPELINE `ev` SET OFFSETS EARLIEST", "START PIPELINE `ev`"]
    settle(s2, pdb, "ev", 35, "ev")
    produce(kafka_bootstrap, first, [{"id": 999, "v": "late", "src": "one"}])
    assert count(s2, pdb, "ev") == 35 == count(s2, pdb, "ev", "id")
    assert list(cursors(s2, pdb, "ev")) == ["0"] and lag(s2, pdb, "ev") == 0


def test_reset_offsets_replays_deliberately(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(2)
    produce(kafka_bootstrap, topic, [{"id": i, "v": f"v{i}"} for i in range(10)])
    args = dict(database=pdb, name="kv", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json", on_duplicate="skip",
                batch_interval=100, state="started")
    converge(tmp_path, s2, args, pdb)
    settle(s2, pdb, "kv", 10, "kv")
    assert rows_streamed(s2, pdb, "kv") == 10

    # Stopped with reset_offsets: the offsets go back to the earliest once; then there is nothing more to reset.
    res = converge(tmp_path, s2, dict(args, state="stopped", reset_offsets=True), pdb)
    assert res[1]["queries"] == ["STOP PIPELINE `kv`", "ALTER PIPELINE `kv` SET OFFSETS EARLIEST"]
    assert set(cursors(s2, pdb, "kv").values()) == {0}
    converge(tmp_path, s2, args, pdb)  # started again: replays the topic, the duplicates are skipped
    wait_for("the replayed batches", lambda: rows_streamed(s2, pdb, "kv") == 20 and lag(s2, pdb, "kv") == 0)
    assert count(s2, pdb, "kv") == 10
    assert not [e for e in errors(s2, pdb, "kv") if e[0] == "Error"]


POLICIES = ["skip", "replace", "update", "ignore", "error"]


def test_duplicate_keys(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    """One pipeline per on_duplicate policy, all reading the same three messages (id 1 twice), created in one playbook."""
    topic = topics(1)
    produce(kafka_bootstrap, topic, [{"id": 1, "v": "first"}, {"id": 2, "v": "other"}, {"id": 1, "v": "last"}])
    tasks = []
    for policy in POLICIES:
        query(s2, f"CREATE TABLE `{pdb}`.kv_{policy} (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20), hits INT NOT NULL DEFAULT 1)")
        args = dict(database=pdb, name=f"kv_{policy}", kafka=kafka(kafka_bootstrap, topic), table=f"kv_{policy}", format="json",
                    batch_interval=100, mapping=[{"column": "id", "path": "id"}, {"column": "v", "path": "v"}],
                    on_duplicate=policy, stop_on_error=True, state="started")
        if policy == "update":
            args["on_duplicate_update"] = {"hits": "hits + 1"}
        tasks.append(args)
    results = run(tmp_path, s2, *tasks)
    assert [r["pipeline"]["on_duplicate"] for r in results] == POLICIES, results
    assert "ON DUPLICATE KEY UPDATE `hits` = hits + 1" in results[2]["queries"][0]
    expected = {"skip": (1, "first", 1), "ignore": (1, "first", 1), "replace": (1, "last", 1), "update": (1, "first", 2)}
    for policy, row in expected.items():
        settle(s2, pdb, f"kv_{policy}", 2, f"kv_{policy}")
        rows = query(s2, f"SELECT id, v, hits FROM `{pdb}`.kv_{policy} ORDER BY id")
        assert rows == [row, (2, "other", 1)], (policy, rows)
        assert state(s2, pdb, f"kv_{policy}") == "Running"

    # error: the batch fails as a whole (nothing loaded, cursor kept), the error is recorded, STOP_ON_ERROR -> Error.
    wait_for("the pipeline to go to Error", lambda: state(s2, pdb, "kv_error") == "Error", timeout=60)
    recorded = errors(s2, pdb, "kv_error")
    assert recorded and any("Duplicate entry" in e[2] for e in recorded), recorded
    assert count(s2, pdb, "kv_error") == 0 and set(cursors(s2, pdb, "kv_error").values()) == {0}, "a failed batch must load nothing"
    # stopped leaves an Error pipeline alone; started asks for Running and starts it again
    assert run(tmp_path, s2, dict(tasks[-1], state="stopped"))[0]["changed"] is False
    again = run(tmp_path, s2, tasks[-1])[0]
    assert again["changed"] is True and again["queries"] == ["START PIPELINE `kv_error`"], again


def test_bad_json_record_is_recorded_not_lost(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import connect
    from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline import read_pipelines

    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    produce(kafka_bootstrap, topic, [{"id": 1, "v": "a"}, "{not json", {"id": 2, "v": "b"}])
    args = dict(database=pdb, name="kv", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json", batch_interval=100,
                stop_on_error=True, state="started")
    converge(tmp_path, s2, args, pdb)
    wait_for("the pipeline to go to Error", lambda: state(s2, pdb, "kv") == "Error", timeout=60)
    recorded = errors(s2, pdb, "kv")
    assert any("Invalid JSON" in e[2] and e[3] == "{not json" for e in recorded), recorded
    assert cursors(s2, pdb, "kv")["0"] <= 1, "the cursor moved past a record that was not loaded"
    assert count(s2, pdb, "kv") + (3 - cursors(s2, pdb, "kv")["0"]) >= 3

    params = dict(login_host=s2["host"], login_port=s2["port"], login_user=s2["user"], login_password=s2["password"])
    conn = connect(params)
    try:
        info = read_pipelines(conn, pdb)
    finally:
        conn.close()
    assert [p["name"] for p in info] == ["kv"]
    facts = info[0]
    assert facts["state"] == "Error" and facts["lag"] == 3 - cursors(s2, pdb, "kv")["0"]
    assert facts["partitions"][0]["latest_offset"] == 3 and facts["definition"]["format"] == "json"
    assert any("Invalid JSON" in e["error_message"] for e in facts["errors"])
    assert facts["config_json"]["connection_string"].endswith("/" + topic)


def test_missing_table_and_database(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    topic = topics(1)
    args = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic), table="nope", format="json")
    before = catalog(s2, pdb)()
    checked, real = run(tmp_path, s2, args, check=True)[0], run(tmp_path, s2, args)[0]
    assert checked["changed"] is True and any("does not exist" in w for w in checked.get("warnings", [])), checked
    assert_clean_failure(real, f"target table {pdb}.nope does not exist", "nothing was changed")
    assert real["queries"] == [] and catalog(s2, pdb)() == before
    missing = run(tmp_path, s2, dict(args, database=pdb + "zz"))[0]
    assert_clean_failure(missing, f"database '{pdb}zz' does not exist")
    gone = run(tmp_path, s2, {"database": pdb + "zz", "name": "p", "state": "absent"})[0]
    assert gone["changed"] is False and not gone.get("failed")


def test_unreachable_broker(tmp_path, s2, pdb, topics, kafka_bootstrap, mariadb_conn_params) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    produce(kafka_bootstrap, topic, [{"id": 1, "v": "a"}])
    dead = "127.0.0.1:1"
    args = dict(database=pdb, name="p", kafka=kafka(dead, topic), table="kv", format="json", test=True)
    fail = run(tmp_path, s2, args)[0]
    assert_clean_failure(fail, "CREATE PIPELINE `p`", dead, "nothing was changed")
    assert "metadata" in fail["msg"].lower()
    assert state(s2, pdb, "p") is None

    # A pipeline whose broker went away after it was created: TEST fails clearly, nothing else changes.
    ok = run(tmp_path, s2, dict(args, kafka=kafka(kafka_bootstrap, topic)))[0]
    assert ok["changed"] is True and ok["test_rows"] == [{"id": "1", "v": "a"}], ok
    row = query(mariadb_conn_params, "SELECT DEFINITION FROM _s2double._pipelines WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'p'",
                (pdb,))[0][0]
    query(mariadb_conn_params, "UPDATE _s2double._pipelines SET DEFINITION = %s WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'p'",
          (json.dumps(dict(json.loads(row), brokers=[dead])), pdb))
    before = catalog(s2, pdb)()
    fail = run(tmp_path, s2, args)[0]
    assert_clean_failure(fail, "TEST PIPELINE `p` LIMIT 10", dead)
    assert fail["queries"] == [] and catalog(s2, pdb)() == before


def test_credentials_never_in_output(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import connect
    from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline import read_pipelines

    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    secret, other = "Pipe-Sekr3t-" + pdb[-9:], "Oth3r-" + pdb[-9:]
    creds = {"sasl.password": secret, "schema.registry.password": other}
    args = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic, config={"client.id": "tst"}, credentials=creds),
                table="kv", format="json", state="started")
    steps = [
        dict(args),                                              # create (check)
        dict(args),                                              # create
        dict(args),                                              # unchanged
        dict(args, update_credentials="always"),                 # re-sent: changed
        dict(args, mapping=[{"column": "id", "path": "id"}]),    # replaced with the credentials
        dict(args, kafka=dict(args["kafka"], topic="nope_missing")),  # fails after the STOP: the topic does not exist
    ]
    from _ansible import login_options, run_steps, step
    result = run_steps(tmp_path, login_options(s2), [step("singlestore_pipeline", a, check=(i == 0)) for i, a in enumerate(steps)],
                       verbosity=3)
    res = result.results
    assert [r["changed"] for r in res[:5]] == [True, True, False, True, True], [r.get("queries") for r in res]
    # The double reports 8.9.24, whose ALTER PIPELINE has no SET CREDENTIALS: they go in with CREATE OR REPLACE, the
    # offsets carried over (test_singlestore_pipeline_conformance.py runs the same on 9.1.1: ALTER ... SET CREDENTIALS).
    assert res[3]["queries"][1].startswith("CREATE OR REPLACE PIPELINE `p`") and "CREDENTIALS %(credentials)s" in res[3]["queries"][1]
    assert res[3]["queries"][2].startswith("ALTER PIPELINE `p` SET OFFSETS '{")
    assert "CREDENTIALS %(credentials)s" in res[1]["queries"][0] and "CREDENTIALS %(credentials)s" in res[4]["queries"][1]
    assert_clean_failure(res[5], "nope_missing", "after 1 successful statement(s)", "the pipeline was started again")
    assert res[4]["pipeline"]["has_credentials"] is True and state(s2, pdb, "p") == "Running"
    assert "ESTABLISH LOCAL CONNECTION" in result.output  # the real -vvv log
    for word in (secret, other):
        assert word not in result.output, "a credential is in the -vvv output"
        assert word not in json.dumps(res), "a credential is in a task result"
    show = query(s2, f"SHOW CREATE PIPELINE `{pdb}`.p")[0][1]
    assert secret not in show and "CREDENTIALS" in show
    conn = connect(dict(login_host=s2["host"], login_port=s2["port"], login_user=s2["user"], login_password=s2["password"]))
    try:
        info = json.dumps(read_pipelines(conn, pdb), default=str)
    finally:
        conn.close()
    assert secret not in info and other not in info and "tst" in info


def test_not_singlestore(tmp_path, maria) -> None:
    args = dict(database="mysql", name="p", kafka={"brokers": ["127.0.0.1:9092"], "topic": "t"}, table="user")
    fail = run(tmp_path, maria, args)[0]
    assert_clean_failure(fail, "pipelines are a SingleStore feature", "MySQL/MariaDB")


def test_bad_options_fail_before_anything(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.kv (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(20))")
    topic = topics(1)
    base = dict(database=pdb, name="p", kafka=kafka(kafka_bootstrap, topic), table="kv", format="json")
    cases = [
        (dict(base, on_duplicate="update"), "needs on_duplicate_update"),
        (dict(base, where="1 = 1; DROP TABLE kv"), "';' outside a string"),
        (dict(base, mapping=[{"column": "id`x", "path": "id"}]), "backtick"),
        (dict(base, format="csv", mapping=[{"column": "id", "path": "id"}]), "mapping is for format=json"),
        (dict(base, kafka=kafka(kafka_bootstrap, "bad topic!")), "invalid topic name"),
        (dict(base, batch_interval=-5), "batch_interval must be at least 0"),
        ({k: v for k, v in base.items() if k != "table"}, "any of the following are missing: table, procedure"),
    ]
    results = run(tmp_path, s2, *[c[0] for c in cases])
    for (_, fragment), res in zip(cases, results):
        assert_clean_failure(res, fragment)
    assert state(s2, pdb, "p") is None
