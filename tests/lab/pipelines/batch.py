"""One pipeline batch: consume from Kafka at the stored cursors, transform, load in one transaction.

Exactly-once comes from keeping the cursors in MariaDB next to the target table: the rows of a
batch and the cursor update commit together, and a failed batch re-reads the cursors before it
is tried again (PIPELINES_CURSORS.CURSOR_OFFSET is "the next offset at which the pipeline will start
loading", https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/,
cloud). No consumer group offsets are used.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from .grammar import PipelineDef
from .transform import RecordError, Row, insert_plan, record_rows, row_params

# Keys SingleStore accepts in CONFIG that librdkafka does not know.
SINGLESTORE_ONLY_KEYS = {"spoof.dns", "operation.timeout.ms", "sasl.kerberos.disable.kinit"}
DEFAULT_MAX_OFFSETS = 100_000


class SourceError(Exception):
    """Kafka could not be reached or answered with an error."""


@dataclass
class BatchOutcome:
    rows_streamed: int = 0
    rows_inserted: int = 0
    partitions: int = 0
    bytes: int = 0
    skipped_records: list[RecordError] = field(default_factory=list)
    new_offsets: dict[int, int] = field(default_factory=dict)


def client_config(d: PipelineDef, group_suffix: str) -> dict:
    conf: dict = {
        "bootstrap.servers": ",".join(d.bootstrap),
        "group.id": f"s2double-{group_suffix}",   # required by librdkafka; never committed
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": False,
        "auto.offset.reset": "earliest",
        "socket.timeout.ms": 5000,
        "topic.metadata.refresh.interval.ms": 5000,
    }
    for text in (d.config, d.credentials):
        if text:
            try:
                extra = json.loads(text)
            except ValueError as exc:
                raise SourceError(f"CONFIG/CREDENTIALS is not valid JSON: {exc.msg}") from exc
            # schema.registry.* (Avro's schema registry, given to SingleStore in CONFIG/CREDENTIALS) are SingleStore's,
            # not librdkafka's.
            conf.update({k: v for k, v in extra.items() if k not in SINGLESTORE_ONLY_KEYS and not k.startswith("schema.registry.")})
    return conf


def open_consumer(d: PipelineDef, group_suffix: str) -> Consumer:
    try:
        return Consumer(client_config(d, group_suffix))
    except KafkaException as exc:
        raise SourceError(f"Invalid Kafka configuration: {exc.args[0].str() if exc.args else exc}") from exc


def topic_partitions(consumer: Consumer, d: PipelineDef, timeout: float = 10.0) -> list[int]:
    """Partition ids of the topic, or SourceError naming the brokers."""
    try:
        md = consumer.list_topics(d.topic, timeout=timeout)
    except KafkaException as exc:
        raise SourceError(
            "Cannot get source metadata for pipeline. Could not fetch Kafka metadata; are the Kafka brokers "
            f"reachable from the Master Aggregator? (brokers {','.join(d.brokers)}: {exc.args[0].str() if exc.args else exc})"
        ) from exc
    topic = md.topics.get(d.topic)
    if topic is None or topic.error is not None:
        reason = topic.error.str() if topic is not None and topic.error else "unknown topic"
        raise SourceError(f"Cannot get source metadata for pipeline: topic '{d.topic}' on {','.join(d.brokers)}: {reason}")
    return sorted(topic.partitions)


def watermarks(consumer: Consumer, topic: str, partitions: list[int], timeout: float = 5.0) -> dict[int, tuple[int, int]]:
    out = {}
    for p in partitions:
        try:
            out[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout, cached=False)
        except KafkaException as exc:
            raise SourceError(f"Could not read offsets of {topic}[{p}]: {exc}") from exc
    return out


def assign(consumer: Consumer, d: PipelineDef, cursors: dict[int, int]) -> None:
    """Point the consumer at the stored cursors (after start, and after any failed batch)."""
    consumer.assign([TopicPartition(d.topic, p, off) for p, off in sorted(cursors.items())])


def consume(consumer: Consumer, d: PipelineDef, partitions: int, wait: float, limit: int | None = None):
    """The next messages from the assigned positions: waits up to ``wait`` for the first one, then
    takes whatever is already there, up to ``limit`` (default: max offsets per batch partition
    times the partition count). Every message returned is part of the batch: none is dropped."""
    cap = limit if limit is not None else (d.max_offsets_per_batch_partition or DEFAULT_MAX_OFFSETS) * max(partitions, 1)
    messages = []
    deadline = time.monotonic() + wait
    while len(messages) < cap:
        timeout = max(deadline - time.monotonic(), 0) if not messages else 0
        batch = consumer.consume(num_messages=min(10_000, cap - len(messages)), timeout=timeout)
        if not batch:
            if messages or time.monotonic() >= deadline:
                break
            continue
        for msg in batch:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                raise SourceError(f"Kafka error on {d.topic}: {err.str()}")
            messages.append(msg)
    return messages


def transform(d: PipelineDef, messages, table_columns: list[str], skip_parser_errors: bool):
    rows: list[tuple[int, Row]] = []
    skipped: list[RecordError] = []
    for msg in messages:
        try:
            rows.extend((msg.partition(), r) for r in record_rows(d, msg.value(), table_columns))
        except RecordError as exc:
            if not skip_parser_errors:
                exc.partition = msg.partition()
                raise
            skipped.append(exc)
    return rows, skipped


def load(conn, d: PipelineDef, database: str, rows: list[tuple[int, Row]], skip_row_errors: bool) -> tuple[int, list[str]]:
    """Insert rows inside the caller's transaction; returns (rows written, per-row errors skipped)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for _, row in rows:
        groups.setdefault(row.columns, []).append(row)
    written, errors = 0, []
    with conn.cursor() as cur:
        for columns, group in groups.items():
            plan = insert_plan(d, database, columns)
            params = [row_params(plan, r) for r in group]
            if skip_row_errors or plan.per_row:
                for p in params:
                    try:
                        cur.execute(plan.sql, p)
                        written += 1
                    except Exception as exc:  # pylint: disable=broad-except  # recorded, per SKIP ... ERRORS
                        if not skip_row_errors or _is_connection_error(exc):
                            raise
                        errors.append(str(exc))
            else:
                cur.executemany(plan.sql, params)
                written += len(params)
    return written, errors


def _is_connection_error(exc: Exception) -> bool:
    import pymysql
    return isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError)) and (
        not exc.args or exc.args[0] in (0, 2003, 2006, 2013, 2014, 2055, 1927))


is_connection_error = _is_connection_error
