"""Helpers of the singlestore_pipeline tests: Kafka topics and messages, waiting, catalog reads."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from _ansible import login_options, query, run_steps, step, transition

MODULE = "singlestore_pipeline"


def unique(prefix: str) -> str:
    # no trailing _<digits>: SingleStore reserves that shape for partition databases
    return f"{prefix}_{uuid.uuid4().hex[:8]}x"


def create_topic(bootstrap: str, partitions: int = 1, prefix: str = "pl") -> str:
    name = unique(prefix)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)]).values():
        future.result(30)
    return name


def delete_topics(bootstrap: str, topics: Iterable[str]) -> None:
    topics = list(topics)
    if topics:
        # The client must outlive the futures: destroyed first, it drops the requests unanswered.
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for future in admin.delete_topics(topics).values():
            try:
                future.result(30)
            except Exception:  # noqa: BLE001 - cleanup only
                pass


def produce(bootstrap: str, topic: str, values: Iterable[Any], key: Callable[[Any], Any] | None = None,
            partition: int | None = None) -> int:
    """Produce every value (dicts as JSON, str/bytes as they are), wait for all acknowledgements; return the count."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 200000, "enable.idempotence": True})
    errors: list[str] = []
    count = 0

    def ack(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    for value in values:
        payload = json.dumps(value) if isinstance(value, dict) else value
        kwargs: dict[str, Any] = {"on_delivery": ack}
        if key is not None:
            kwargs["key"] = str(key(value))
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                producer.produce(topic, payload, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
        if count % 10000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0, "messages still queued after 60 s"
    assert not errors, errors[:3]
    return count


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last value {last!r})")


def scalar(conn: dict[str, Any], sql: str, args: Any = None) -> Any:
    return query(conn, sql, args)[0][0]


def count(conn: dict[str, Any], db: str, table: str, column: str | None = None) -> int:
    expr = f"COUNT(DISTINCT `{column}`)" if column else "COUNT(*)"
    return int(scalar(conn, f"SELECT {expr} FROM `{db}`.`{table}`"))


def cursors(conn: dict[str, Any], db: str, name: str) -> dict[str, int]:
    rows = query(conn, "SELECT SOURCE_PARTITION_ID, CURSOR_OFFSET FROM information_schema.PIPELINES_CURSORS "
                       "WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s", (db, name))
    return {str(p): int(o) for p, o in rows}


def lag(conn: dict[str, Any], db: str, name: str) -> int:
    rows = query(conn, "SELECT COALESCE(SUM(LATEST_OFFSET - CURSOR_OFFSET), 0) FROM information_schema.PIPELINES_CURSORS "
                       "WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s", (db, name))
    return int(rows[0][0])


def state(conn: dict[str, Any], db: str, name: str) -> str | None:
    rows = query(conn, "SELECT STATE FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s", (db, name))
    return rows[0][0] if rows else None


def rows_streamed(conn: dict[str, Any], db: str, name: str) -> int:
    return int(scalar(conn, "SELECT COALESCE(SUM(ROWS_STREAMED), 0) FROM information_schema.PIPELINES_BATCHES_SUMMARY "
                            "WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s", (db, name)))


def errors(conn: dict[str, Any], db: str, name: str) -> list[tuple[Any, ...]]:
    return query(conn, "SELECT ERROR_TYPE, ERROR_CODE, ERROR_MESSAGE, LOAD_DATA_LINE, BATCH_SOURCE_PARTITION_ID "
                       "FROM information_schema.PIPELINES_ERRORS WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s "
                       "ORDER BY ERROR_UNIX_TIMESTAMP", (db, name))


def catalog(conn: dict[str, Any], db: str) -> Callable[[], dict[str, Any]]:
    """Everything a pipeline task could change in ``db``: rows of PIPELINES, definitions, cursors."""
    def read() -> dict[str, Any]:
        pipelines = query(conn, "SELECT PIPELINE_NAME, STATE, CONFIG_JSON, CREATE_TIME, ALTER_TIME FROM information_schema.PIPELINES "
                                "WHERE DATABASE_NAME = %s ORDER BY PIPELINE_NAME", (db,))
        creates = [query(conn, f"SHOW CREATE PIPELINE `{db}`.`{row[0]}`") for row in pipelines]
        offsets = query(conn, "SELECT PIPELINE_NAME, SOURCE_PARTITION_ID, CURSOR_OFFSET FROM information_schema.PIPELINES_CURSORS "
                              "WHERE DATABASE_NAME = %s ORDER BY 1, 2", (db,))
        return {"pipelines": pipelines, "creates": creates, "cursors": offsets}
    return read


def converge(tmp_path: Path, conn: dict[str, Any], args: dict[str, Any], db: str) -> list[dict[str, Any]]:
    """check / real / check / real: changed, changed, unchanged, unchanged; the first check changed nothing,
    planned the real run's statements and predicted its result."""
    results = transition(tmp_path, login_options(conn), MODULE, args, catalog=catalog(conn, db))
    predicted, real = results[0]["pipeline"], results[1]["pipeline"]
    assert predicted == real, f"check mode predicted {predicted}, the real run gave {real}"
    assert results[0]["diff"]["after"] == results[1]["diff"]["after"]
    assert results[1]["diff"]["before"] == results[0]["diff"]["before"]
    return results


def run(tmp_path: Path, conn: dict[str, Any], *steps_args: dict[str, Any], check: bool = False, verbosity: int = 0) -> list[dict[str, Any]]:
    return run_steps(tmp_path, login_options(conn), [step(MODULE, a, check=check) for a in steps_args], verbosity=verbosity).results


# -- fixtures (imported by the test modules) ----------------------------------------------------------


@pytest.fixture
def topics(kafka_bootstrap: str) -> Any:
    """``topics(partitions)`` creates a fresh topic; all are deleted at the end."""
    made: list[str] = []

    def make(partitions: int = 1) -> str:
        made.append(create_topic(kafka_bootstrap, partitions))
        return made[-1]

    yield make
    delete_topics(kafka_bootstrap, made)


@pytest.fixture
def s2(double_conn_params: dict[str, Any]) -> dict[str, Any]:
    """The SingleStore test double (pipelines read the lab's Kafka, which a real SingleStore could not reach)."""
    return dict(double_conn_params)


@pytest.fixture
def pdb(s2: dict[str, Any], topics: Any) -> Any:
    """A fresh database; its pipelines are dropped (before the topics go) and it is dropped at the end."""
    name = unique("pl")
    query(s2, f"CREATE DATABASE `{name}`")
    yield name
    for (pipeline,) in query(s2, "SELECT PIPELINE_NAME FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s", (name,)):
        query(s2, f"DROP PIPELINE IF EXISTS `{name}`.`{pipeline}`")
    query(s2, f"DROP DATABASE IF EXISTS `{name}`")
