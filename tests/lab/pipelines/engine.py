"""The pipeline engine of the SingleStore double: statements, state machine and batch workers.

State machine (START PIPELINE, STOP PIPELINE, TEST PIPELINE pages under
https://docs.singlestore.com/cloud/reference/sql-reference/pipelines-commands/, cloud): CREATE -> Stopped;
START -> Running (an error on a running pipeline unless IF NOT RUNNING); STOP -> Stopped (an error unless running, or
IF RUNNING); TEST / FOREGROUND on a running pipeline -> error; a batch that keeps failing with STOP_ON_ERROR
(default ON, like ``pipelines_stop_on_error``) -> Error. DROP deletes the cursors, so a new CREATE starts again from
the earliest offsets.

Assumed, not from a public source (tests/lab/double/README.md, "Pipelines"): CREATE OR REPLACE puts the cursors back
to the earliest offsets (the unfavourable reading; the collection sets them again itself). ``ALTER PIPELINE ... SET
CREDENTIALS`` is refused with 1064 when the double reports a version before 9.0, whose ALTER PIPELINE grammar has no
such clause (https://docs.singlestore.com/db/v8.9/reference/sql-reference/pipelines-commands/alter-pipeline/, 8.9).
PIPELINES_CURSORS shows NULL EARLIEST_OFFSET / LATEST_OFFSET for the partitions of a batch while it runs (they "may
be NULL if data extraction is still in progress or failed",
https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/, cloud).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable

from . import batch as b
from .catalog import BATCHES_TO_KEEP, SCHEMA_DDL
from .grammar import Mapping, PipelineDef, PipelineSyntaxError, Statement, apply_alter, as_created, parse, quote_ident, render
from .transform import RecordError

# Error codes: MySQL's where one fits; pipeline-specific ones are the double's own (documented).
ER_SYNTAX = 1064
ER_NO_DB = 1046
ER_BAD_DB = 1049
ER_NO_SUCH_TABLE = 1146
ER_PIPELINE_EXISTS = 1950
ER_PIPELINE_MISSING = 1951
ER_PIPELINE_STATE = 1952
ER_PIPELINE_SOURCE = 1953
ER_PIPELINE_LOAD = 1954

MAX_BACKOFF = 5.0


class EngineError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]
    affected: int = 0


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _definition_to_json(d: PipelineDef) -> str:
    data = asdict(d)
    data.pop("extra", None)
    return json.dumps(data)


def _definition_from_json(text: str) -> PipelineDef:
    data = json.loads(text)
    for key in ("brokers", "error_handling", "columns"):
        data[key] = tuple(data[key])
    data["mapping"] = tuple(Mapping(**m) for m in data["mapping"])
    return PipelineDef(**data)


def config_json(d: PipelineDef, running: bool) -> str:
    """CONFIG_JSON with the keys of the docs' Kafka example, without credentials.

    https://docs.singlestore.com/db/v8.5/reference/information-schema-reference/pipelines/pipelines/ (8.5)
    """
    policy = next((e for e in d.error_handling), None)
    return json.dumps({
        "name": d.name, "source_type": "KAFKA", "connection_string": d.connection_string,
        "config": d.config, "batch_interval": d.batch_interval if d.batch_interval is not None else 2500,
        "dup_key_policy": policy.lower() if policy else None, "table": d.target,
        "on_duplicate_key_update": d.on_duplicate_key_update, "running": running,
    })


class PipelineEngine:
    """Executes pipeline statements against MariaDB and runs one worker thread per running pipeline."""

    def __init__(self, connect: Callable[[], object], schema: str = "_s2double", log: Callable[[str], None] = print,
                 stop_on_error_default: bool = True, version: Callable[[], str] = lambda: "8.9.24"):
        self.connect = connect      # returns a new PyMySQL connection with admin rights
        self.version = version      # what @@memsql_version reports now (version gates of the grammar)
        self.schema = quote_ident(schema)
        self.log = log
        self.stop_on_error_default = stop_on_error_default
        self.lock = threading.RLock()
        self.workers: dict[tuple[str, str], Worker] = {}

    # --- setup -------------------------------------------------------------------------------
    def bootstrap(self) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {self.schema}")
            for ddl in SCHEMA_DDL:
                cur.execute(ddl.format(schema=self.schema))
            conn.commit()
            cur.execute(f"SELECT DATABASE_NAME, PIPELINE_NAME FROM {self.schema}._pipelines WHERE STATE = 'Running'")
            running = cur.fetchall()
        for db, name in running:  # resume after a restart of the double
            self._start_worker(db, name)

    def shutdown(self) -> None:
        with self.lock:
            workers = list(self.workers.values())
        for w in workers:
            w.stop(wait=True)

    def _conn(self):
        return self.connect()

    # --- statements ----------------------------------------------------------------------------
    def execute(self, sql: str, current_db: str | None) -> Result:
        try:
            st = parse(sql)
        except PipelineSyntaxError as exc:
            raise EngineError(ER_SYNTAX, f"You have an error in your SQL syntax: {exc}") from exc
        if st.verb == "SHOW_PIPELINES":
            return self._show_pipelines(self._db(current_db))
        db = self._db(st.database or current_db)
        with self.lock:
            handler = getattr(self, f"_{st.verb.lower()}")
            return handler(st, db)

    @staticmethod
    def _db(db: str | None) -> str:
        if not db:
            raise EngineError(ER_NO_DB, "No database selected")
        return db

    def _row(self, db: str, name: str):
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT DEFINITION, STATE FROM {self.schema}._pipelines WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (db, name))
            return cur.fetchone()

    def _require(self, db: str, name: str):
        row = self._row(db, name)
        if row is None:
            raise EngineError(ER_PIPELINE_MISSING, f"Pipeline '{name}' doesn't exist in database '{db}'")
        return _definition_from_json(row[0]), row[1]

    def _check_target(self, d: PipelineDef, db: str) -> list[str]:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME=%s", (db,))
            if cur.fetchone() is None:
                raise EngineError(ER_BAD_DB, f"Unknown database '{db}'")
            if d.target_kind == "PROCEDURE":
                raise EngineError(ER_SYNTAX, "INTO PROCEDURE is not imitated by the double (see tests/lab/double/README.md)")
            cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA=%s AND TABLE_NAME=%s "
                        "ORDER BY ORDINAL_POSITION", (db, d.target))
            columns = [r[0] for r in cur.fetchall()]
        if not columns:
            raise EngineError(ER_NO_SUCH_TABLE, f"Table '{db}.{d.target}' doesn't exist")
        return columns

    def _source_offsets(self, d: PipelineDef) -> dict[int, tuple[int, int]]:
        consumer = None
        try:
            consumer = b.open_consumer(d, "probe-" + uuid.uuid4().hex[:8])
            parts = b.topic_partitions(consumer, d)
            return b.watermarks(consumer, d.topic, parts)
        except b.SourceError as exc:
            raise EngineError(ER_PIPELINE_SOURCE, str(exc)) from exc
        finally:
            if consumer is not None:
                consumer.close()

    def _create(self, st: Statement, db: str) -> Result:
        d = as_created(st.definition)  # kept (and printed) as a current server keeps it
        existing = self._row(db, d.name)
        if existing is not None and not st.or_replace:
            if st.if_clause:
                return Result([], [])
            raise EngineError(ER_PIPELINE_EXISTS, f"Pipeline '{d.name}' already exists")
        self._check_target(d, db)
        offsets = self._source_offsets(d)
        now = _now()
        was_running = existing is not None and existing[1] == "Running"
        if was_running:
            self._stop_worker(db, d.name)
        with self._conn() as conn, conn.cursor() as cur:
            if existing is None:
                cur.execute(f"INSERT INTO {self.schema}._pipelines (DATABASE_NAME, PIPELINE_NAME, DEFINITION, CONFIG_JSON, "
                            "STATE, CREATE_TIME) VALUES (%s, %s, %s, %s, 'Stopped', %s)",
                            (db, d.name, _definition_to_json(d), config_json(d, False), now))
            else:
                cur.execute(f"UPDATE {self.schema}._pipelines SET DEFINITION=%s, CONFIG_JSON=%s, CREATE_TIME=%s "
                            "WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                            (_definition_to_json(d), config_json(d, was_running), now, db, d.name))
                # Whether CREATE OR REPLACE keeps the offsets is not stated in any public source we found: the double
                # takes the unfavourable reading (back to the earliest offsets), so that in the lab only a client that
                # sets them again itself (ALTER PIPELINE ... SET OFFSETS) avoids loading rows twice.
                cur.execute(f"DELETE FROM {self.schema}._cursors WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s", (db, d.name))
            for p, (low, high) in offsets.items():
                # Every partition starts at the earliest offset.
                cur.execute(f"INSERT IGNORE INTO {self.schema}._cursors (DATABASE_NAME, PIPELINE_NAME, SOURCE_PARTITION_ID, "
                            "EARLIEST_OFFSET, LATEST_OFFSET, CURSOR_OFFSET, SUCCESSFUL_CURSOR_OFFSET, UPDATED_UNIX_TIMESTAMP) "
                            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (db, d.name, str(p), low, high, low, low, time.time()))
            conn.commit()
        if was_running:
            self._start_worker(db, d.name)
        return Result([], [])

    def _alter(self, st: Statement, db: str) -> Result:
        d, state = self._require(db, st.name)
        changes = dict(st.alter)
        if "credentials" in changes and _version_tuple(self.version()) < (9, 0):
            raise EngineError(ER_SYNTAX, "You have an error in your SQL syntax: ALTER PIPELINE ... SET CREDENTIALS is not in the "
                                         f"grammar of SingleStore {self.version()} (9.0 and later)")
        running = state == "Running"
        if running:
            self._stop_worker(db, st.name)
        new = apply_alter(d, changes)
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"UPDATE {self.schema}._pipelines SET DEFINITION=%s, CONFIG_JSON=%s, ALTER_TIME=%s "
                        "WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (_definition_to_json(new), config_json(new, running), _now(), db, st.name))
            if "offsets" in changes:
                self._set_offsets(cur, new, db, changes["offsets"])
            conn.commit()
        if running:
            self._start_worker(db, st.name)
        return Result([], [])

    def _set_offsets(self, cur, d: PipelineDef, db: str, spec) -> None:
        offsets = self._source_offsets(d)
        for p, (low, high) in offsets.items():
            if spec == "EARLIEST":
                value = low
            elif spec == "LATEST":
                value = high
            elif p in spec:
                value = spec[p]
            else:
                continue
            cur.execute(f"INSERT INTO {self.schema}._cursors (DATABASE_NAME, PIPELINE_NAME, SOURCE_PARTITION_ID, EARLIEST_OFFSET, "
                        "LATEST_OFFSET, CURSOR_OFFSET, SUCCESSFUL_CURSOR_OFFSET, UPDATED_UNIX_TIMESTAMP) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
                        "ON DUPLICATE KEY UPDATE CURSOR_OFFSET=VALUES(CURSOR_OFFSET), SUCCESSFUL_CURSOR_OFFSET=VALUES(CURSOR_OFFSET), "
                        "EARLIEST_OFFSET=VALUES(EARLIEST_OFFSET), LATEST_OFFSET=VALUES(LATEST_OFFSET), "
                        "UPDATED_UNIX_TIMESTAMP=VALUES(UPDATED_UNIX_TIMESTAMP)",
                        (db, d.name, str(p), low, high, value, value, time.time()))

    def _start(self, st: Statement, db: str) -> Result:
        d, state = self._require(db, st.name)
        if st.foreground:
            if state == "Running":
                raise EngineError(ER_PIPELINE_STATE, f"Pipeline '{st.name}' is running; stop it before a FOREGROUND start")
            worker = Worker(self, db, st.name)
            rows = worker.run_foreground(st.limit)
            return Result([], [], affected=rows)
        if state == "Running":
            if st.if_clause:
                return Result([], [])
            raise EngineError(ER_PIPELINE_STATE, f"Pipeline '{st.name}' is already running")
        self._check_target(d, db)
        self._set_state(db, st.name, "Running")
        self._start_worker(db, st.name)
        return Result([], [])

    def _stop(self, st: Statement, db: str) -> Result:
        _, state = self._require(db, st.name)
        if state != "Running" and not st.detach:
            if st.if_clause or state == "Error":
                self._set_state(db, st.name, "Stopped")
                return Result([], [])
            raise EngineError(ER_PIPELINE_STATE, f"Pipeline '{st.name}' is not running")
        self._stop_worker(db, st.name)
        self._set_state(db, st.name, "Stopped")
        return Result([], [])

    def _drop(self, st: Statement, db: str) -> Result:
        if self._row(db, st.name) is None:
            if st.if_clause:
                return Result([], [])
            raise EngineError(ER_PIPELINE_MISSING, f"Pipeline '{st.name}' doesn't exist in database '{db}'")
        self._stop_worker(db, st.name)
        with self._conn() as conn, conn.cursor() as cur:
            for table in ("_pipelines", "_cursors", "_batches", "_errors"):
                cur.execute(f"DELETE FROM {self.schema}.{table} WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s", (db, st.name))
            conn.commit()
        return Result([], [])

    def _test(self, st: Statement, db: str) -> Result:
        d, state = self._require(db, st.name)
        if state == "Running":
            raise EngineError(ER_PIPELINE_STATE, f"Cannot TEST pipeline '{st.name}' while it is running")
        table_columns = self._check_target(d, db)
        worker = Worker(self, db, st.name)
        try:
            rows = worker.extract(d, table_columns, st.limit or 1)
        except b.SourceError as exc:
            raise EngineError(ER_PIPELINE_SOURCE, str(exc)) from exc
        except RecordError as exc:
            raise EngineError(ER_PIPELINE_LOAD, f"Leaf Error: {exc}") from exc
        columns = list(rows[0].columns) + sorted(rows[0].variables) if rows else \
            ([m.target for m in d.mapping] if d.mapping else list(d.columns or table_columns))
        return Result(columns, [tuple(r.values) + tuple(r.variables[k] for k in sorted(r.variables)) for r in rows])

    def _show_create(self, st: Statement, db: str) -> Result:
        d, _ = self._require(db, st.name)
        if not st.extended:
            return Result(["Pipeline", "Create Pipeline"], [(st.name, render(d))])
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT SOURCE_PARTITION_ID, CURSOR_OFFSET FROM {self.schema}._cursors WHERE DATABASE_NAME=%s "
                        "AND PIPELINE_NAME=%s ORDER BY CAST(SOURCE_PARTITION_ID AS UNSIGNED)", (db, st.name))
            offsets = {p: off for p, off in cur.fetchall()}
        alter = f"ALTER PIPELINE {quote_ident(st.name)} SET OFFSETS '{json.dumps(offsets, separators=(',', ':'))}'"
        return Result(["Pipeline", "Create Pipeline", "Alter Pipeline Offsets"], [(st.name, render(d), alter)])

    def _show_pipelines(self, db: str) -> Result:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT PIPELINE_NAME, STATE FROM {self.schema}._pipelines WHERE DATABASE_NAME=%s ORDER BY PIPELINE_NAME", (db,))
            rows = cur.fetchall()
        return Result([f"Pipelines_in_{db}", "State", "Scheduled"],
                      [(n, s, "True" if s == "Running" else "False") for n, s in rows])

    # --- state and workers -------------------------------------------------------------------
    def _set_state(self, db: str, name: str, state: str) -> None:
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(f"SELECT DEFINITION FROM {self.schema}._pipelines WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s", (db, name))
            row = cur.fetchone()
            if row is None:
                return
            cur.execute(f"UPDATE {self.schema}._pipelines SET STATE=%s, CONFIG_JSON=%s WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (state, config_json(_definition_from_json(row[0]), state == "Running"), db, name))
            conn.commit()

    def _start_worker(self, db: str, name: str) -> None:
        key = (db, name)
        old = self.workers.get(key)
        if old is not None and old.is_alive():
            return
        worker = Worker(self, db, name)
        self.workers[key] = worker
        worker.start()

    def _stop_worker(self, db: str, name: str) -> None:
        worker = self.workers.pop((db, name), None)
        if worker is not None:
            worker.stop(wait=True)

    def record_error(self, db: str, name: str, message: str, *, kind: str = "External", error_type: str = "Error",
                     code: int = ER_PIPELINE_LOAD, batch_id: int | None = None, partition: int | None = None,
                     line: str | None = None, line_number: int | None = None) -> None:
        try:
            with self._conn() as conn, conn.cursor() as cur:
                cur.execute(f"INSERT INTO {self.schema}._errors (DATABASE_NAME, PIPELINE_NAME, ERROR_UNIX_TIMESTAMP, ERROR_TYPE, "
                            "ERROR_CODE, ERROR_MESSAGE, ERROR_KIND, BATCH_ID, `PARTITION`, BATCH_SOURCE_PARTITION_ID, LOAD_DATA_LINE, "
                            "LOAD_DATA_LINE_NUMBER) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                            (db, name, time.time(), error_type, code, message[:4000], kind, batch_id, partition,
                             None if partition is None else str(partition), line, line_number))
                conn.commit()
        except Exception as exc:  # pylint: disable=broad-except  # MariaDB down: the log keeps it
            self.log(f"pipeline {db}.{name}: could not record error ({exc}): {message}")


class Worker(threading.Thread):
    """Runs the batches of one pipeline until stopped, or until STOP_ON_ERROR stops it."""

    def __init__(self, engine: PipelineEngine, db: str, name: str):
        super().__init__(name=f"pipeline-{db}.{name}", daemon=True)
        self.engine, self.db, self.name_ = engine, db, name
        self.stopping = threading.Event()

    def stop(self, wait: bool) -> None:
        self.stopping.set()
        if wait and self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=30)

    # --- helpers shared with TEST and FOREGROUND ---------------------------------------------
    def _load_state(self, conn) -> tuple[PipelineDef, dict[int, int], int]:
        schema = self.engine.schema
        with conn.cursor() as cur:
            cur.execute(f"SELECT DEFINITION FROM {schema}._pipelines WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (self.db, self.name_))
            row = cur.fetchone()
            if row is None:
                raise EngineError(ER_PIPELINE_MISSING, f"Pipeline '{self.name_}' doesn't exist")
            cur.execute(f"SELECT SOURCE_PARTITION_ID, CURSOR_OFFSET FROM {schema}._cursors WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (self.db, self.name_))
            cursors = {int(p): int(off) for p, off in cur.fetchall()}
            cur.execute(f"SELECT COALESCE(MAX(BATCH_ID), 0) FROM {schema}._batches WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s",
                        (self.db, self.name_))
            last_batch = int(cur.fetchone()[0])
        conn.commit()
        return _definition_from_json(row[0]), cursors, last_batch

    def extract(self, d: PipelineDef, table_columns: list[str], limit: int):
        """TEST PIPELINE: rows from the stored cursors on, nothing inserted, cursors untouched."""
        with self.engine.connect() as conn:
            _, cursors, _ = self._load_state(conn)
        consumer = b.open_consumer(d, "test-" + uuid.uuid4().hex[:8])
        try:
            b.topic_partitions(consumer, d)
            b.assign(consumer, d, cursors)
            messages = b.consume(consumer, d, len(cursors), wait=1.0, limit=limit)
            rows, _ = b.transform(d, messages, table_columns, skip_parser_errors=False)
            return [r for _, r in rows][:limit]
        finally:
            consumer.close()

    def run_foreground(self, batches: int | None) -> int:
        total = 0
        for _ in range(batches or 1):
            outcome = self._one_batch_or_raise()
            total += outcome.rows_inserted
            if outcome.rows_streamed == 0:
                break
        return total

    def _one_batch_or_raise(self) -> b.BatchOutcome:
        conn = self.engine.connect()
        consumer = None
        try:
            d, cursors, last_batch = self._load_state(conn)
            table_columns = self.engine._check_target(d, self.db)  # pylint: disable=protected-access
            consumer = b.open_consumer(d, f"{self.db}-{self.name_}-{uuid.uuid4().hex[:8]}")
            b.topic_partitions(consumer, d)
            b.assign(consumer, d, cursors)
            return self._batch(conn, consumer, d, table_columns, last_batch + 1, len(cursors))
        except b.SourceError as exc:
            raise EngineError(ER_PIPELINE_SOURCE, str(exc)) from exc
        except RecordError as exc:
            raise EngineError(ER_PIPELINE_LOAD, f"Leaf Error: {exc}") from exc
        finally:
            if consumer is not None:
                consumer.close()
            conn.close()

    def _batch(self, conn, consumer, d: PipelineDef, table_columns, batch_id: int, partitions: int) -> b.BatchOutcome:
        started, t0 = _now(), time.monotonic()
        wait = (d.batch_interval if d.batch_interval is not None else 2500) / 1000.0
        messages = b.consume(consumer, d, partitions, wait=wait)
        out = b.BatchOutcome()
        if not messages:
            return out
        skip_parser = any(e in ("SKIP PARSER ERRORS", "SKIP ALL ERRORS", "IGNORE PARSER ERRORS") for e in d.error_handling)
        skip_rows = any(e in ("SKIP ALL ERRORS", "SKIP CONSTRAINT ERRORS") for e in d.error_handling)
        rows, out.skipped_records = b.transform(d, messages, table_columns, skip_parser)
        for m in messages:
            p = m.partition()
            out.new_offsets[p] = max(out.new_offsets.get(p, -1), m.offset() + 1)
            out.bytes += len(m.value() or b"")
        out.rows_streamed, out.partitions = len(rows), len(out.new_offsets)
        schema = self.engine.schema
        self._mark_in_batch(conn, list(out.new_offsets), True)  # PIPELINES_CURSORS: NULL offsets while the batch runs
        try:
            conn.begin()
            out.rows_inserted, row_errors = b.load(conn, d, self.db, rows, skip_rows)
            with conn.cursor() as cur:
                for p, off in out.new_offsets.items():
                    cur.execute(f"UPDATE {schema}._cursors SET CURSOR_OFFSET=%s, SUCCESSFUL_CURSOR_OFFSET=%s, "
                                "LATEST_OFFSET=GREATEST(LATEST_OFFSET, %s), UPDATED_UNIX_TIMESTAMP=%s, IN_BATCH=0 "
                                "WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s AND SOURCE_PARTITION_ID=%s",
                                (off, off, off, time.time(), self.db, self.name_, str(p)))
                elapsed = max(time.monotonic() - t0, 1e-6)
                cur.execute(f"INSERT INTO {schema}._batches (DATABASE_NAME, PIPELINE_NAME, BATCH_ID, BATCH_STATE, START_TIME, "
                            "BATCH_TIME, ROWS_STREAMED, ROWS_INSERTED, NUM_PARTITIONS, ROWS_PER_SEC, MB_PER_SEC) "
                            "VALUES (%s,%s,%s,'Succeeded',%s,%s,%s,%s,%s,%s,%s)",
                            (self.db, self.name_, batch_id, started, elapsed, out.rows_streamed, out.rows_inserted,
                             out.partitions, out.rows_streamed / elapsed, out.bytes / elapsed / 1e6))
                cur.execute(f"DELETE FROM {schema}._batches WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s AND BATCH_ID <= %s",
                            (self.db, self.name_, batch_id - BATCHES_TO_KEEP))
            conn.commit()
        except Exception:
            _rollback(conn)
            self._mark_in_batch(conn, list(out.new_offsets), False)
            raise
        for rec in out.skipped_records:
            self.engine.record_error(self.db, self.name_, f"Skipped record: {rec}", error_type="Warning", batch_id=batch_id,
                                     partition=getattr(rec, "partition", None), line=rec.line, line_number=rec.line_number)
        for msg in row_errors:
            self.engine.record_error(self.db, self.name_, f"Skipped row: {msg}", error_type="Warning", batch_id=batch_id)
        return out

    # --- background loop ----------------------------------------------------------------------
    def run(self) -> None:  # noqa: C901  (one loop with its failure policy in one place)
        failures, conn, consumer, d = 0, None, None, None
        while not self.stopping.is_set():
            try:
                if conn is None:
                    conn = self.engine.connect()
                if consumer is None:
                    d, cursors, last_batch = self._load_state(conn)
                    table_columns = self.engine._check_target(d, self.db)  # pylint: disable=protected-access
                    consumer = b.open_consumer(d, f"{self.db}-{self.name_}-{uuid.uuid4().hex[:8]}")
                    partitions = b.topic_partitions(consumer, d)
                    cursors.update({p: 0 for p in partitions if p not in cursors})
                    b.assign(consumer, d, cursors)
                    batch_id = last_batch
                batch_id += 1
                out = self._batch(conn, consumer, d, table_columns, batch_id, len(cursors))
                if out.rows_streamed == 0 and not out.new_offsets:
                    batch_id -= 1
                failures = 0
            except Exception as exc:  # pylint: disable=broad-except  # every failure is recorded, none is silent
                failures += 1
                infrastructure = b.is_connection_error(exc)
                self.engine.log(f"pipeline {self.db}.{self.name_}: batch failed ({type(exc).__name__}: {exc})")
                if consumer is not None:
                    consumer.close()
                    consumer = None  # re-read the cursors and re-assign before the next try
                if infrastructure:
                    # MariaDB went away: nothing was committed; retry until it is back.
                    _close(conn)
                    conn = None
                    self.stopping.wait(min(0.2 * 2 ** min(failures, 5), MAX_BACKOFF))
                    continue
                line = getattr(exc, "line", None)
                self.engine.record_error(self.db, self.name_, _message(exc), batch_id=batch_id if d else None,
                                         partition=getattr(exc, "partition", None), line=line,
                                         line_number=getattr(exc, "line_number", None),
                                         kind="External" if isinstance(exc, b.SourceError) else "Internal",
                                         code=ER_PIPELINE_SOURCE if isinstance(exc, b.SourceError) else ER_PIPELINE_LOAD)
                retries = (d.max_retries_per_batch_partition if d and d.max_retries_per_batch_partition is not None else 4)
                if failures <= retries:
                    self.stopping.wait(min(0.5 * 2 ** (failures - 1), MAX_BACKOFF))
                    continue
                stop_on_error = (d.stop_on_error == "ON") if d and d.stop_on_error else self.engine.stop_on_error_default
                if stop_on_error or d is None:
                    self.engine._set_state(self.db, self.name_, "Error")  # pylint: disable=protected-access
                    self.engine.workers.pop((self.db, self.name_), None)
                    break
                self._skip_batch(conn, d)
                failures = 0
        if consumer is not None:
            consumer.close()
        _close(conn)

    def _mark_in_batch(self, conn, partitions: list[int], running: bool) -> None:
        """Flag (or clear) the partitions of the running batch, committed on its own so other sessions see it."""
        if not partitions:
            return
        try:
            with conn.cursor() as cur:
                cur.execute(f"UPDATE {self.engine.schema}._cursors SET IN_BATCH=%s WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s "
                            f"AND SOURCE_PARTITION_ID IN ({', '.join(['%s'] * len(partitions))})",
                            (1 if running else 0, self.db, self.name_, *[str(p) for p in partitions]))
            conn.commit()
        except Exception:  # pylint: disable=broad-except  # clearing after a failure: the connection may be gone
            if running:
                raise

    def _skip_batch(self, conn, d: PipelineDef) -> None:
        """STOP_ON_ERROR OFF: give up on the failing records, as SingleStore skips a batch partition."""
        consumer = b.open_consumer(d, f"skip-{uuid.uuid4().hex[:8]}")
        try:
            _, cursors, _ = self._load_state(conn)
            b.assign(consumer, d, cursors)
            messages = b.consume(consumer, d, len(cursors), wait=1.0)
            ends: dict[int, int] = {}
            for m in messages:
                ends[m.partition()] = max(ends.get(m.partition(), -1), m.offset() + 1)
            with conn.cursor() as cur:
                for p, off in ends.items():
                    cur.execute(f"UPDATE {self.engine.schema}._cursors SET CURSOR_OFFSET=%s WHERE DATABASE_NAME=%s AND "
                                "PIPELINE_NAME=%s AND SOURCE_PARTITION_ID=%s", (off, self.db, self.name_, str(p)))
                cur.execute(f"UPDATE {self.engine.schema}._pipelines SET SKIPPED_BATCH_PARTITIONS=SKIPPED_BATCH_PARTITIONS+%s "
                            "WHERE DATABASE_NAME=%s AND PIPELINE_NAME=%s", (len(ends), self.db, self.name_))
            conn.commit()
        finally:
            consumer.close()


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split(".")[:2] if part.isdigit())


def _message(exc: Exception) -> str:
    if isinstance(exc, RecordError):
        return f"Leaf Error: {exc}"
    if isinstance(exc, EngineError):
        return exc.message
    return str(exc)


def _rollback(conn) -> None:
    try:
        conn.rollback()
    except Exception:  # pylint: disable=broad-except  # the connection may be gone already
        pass


def _close(conn) -> None:
    if conn is None:
        return
    try:
        conn.close()
    except Exception:  # pylint: disable=broad-except
        pass
