"""A running pipeline survives a restart of the database under it: no row lost, none loaded twice.

This test stops and starts the MariaDB service of the lab it runs against (the one of ``$LAB_STATE_DIR``) while the
double's pipeline is loading; run it on a lab nobody else is using at the same time.
"""

from __future__ import annotations

import threading
import time

from _ansible import query
from _pipelines import count, lag, pdb, produce, run, s2, state, topics, wait_for  # noqa: F401 - fixtures
from tests.lab.api import Lab
from tests.lab.core import Context

TOTAL, CHUNK = 40_000, 2_000


def test_mariadb_restart_while_running(tmp_path, s2, pdb, topics, kafka_bootstrap, lab) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.tx (tx_id BIGINT NOT NULL, store_id INT NOT NULL)")  # keyless: doubles would show
    topic = topics(4)
    args = dict(database=pdb, name="tx", kafka={"brokers": [kafka_bootstrap], "topic": topic}, table="tx", format="json",
                batch_interval=100, state="started")
    assert run(tmp_path, s2, args)[0]["changed"] is True

    failures: list[BaseException] = []

    def producer() -> None:  # about 8 s of steady traffic, across the restart
        try:
            for start in range(0, TOTAL, CHUNK):
                produce(kafka_bootstrap, topic, [{"tx_id": i, "store_id": i % 7} for i in range(start, start + CHUNK)],
                        key=lambda m: m["tx_id"])
                time.sleep(0.4)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            failures.append(exc)

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    wait_for("the first rows", lambda: count(s2, pdb, "tx") > 0, timeout=30)
    restarter = Lab(Context.from_env())
    with restarter.ctx.lock():
        assert restarter.service("mariadb").stop(), "the lab's MariaDB was not running"
    time.sleep(3)  # batches fail meanwhile; the double retries
    restarter.start(["mariadb"])
    thread.join(120)
    assert not thread.is_alive() and not failures, failures
    wait_for("every message", lambda: count(s2, pdb, "tx") >= TOTAL and lag(s2, pdb, "tx") == 0, timeout=180)
    time.sleep(1)
    assert count(s2, pdb, "tx") == TOTAL == count(s2, pdb, "tx", "tx_id"), "a row was lost or loaded twice"
    assert state(s2, pdb, "tx") == "Running"
    again = run(tmp_path, s2, args)[0]
    assert again["changed"] is False and again["pipeline"]["state"] == "Running", again
