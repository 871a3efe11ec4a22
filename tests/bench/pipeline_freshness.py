"""End-to-end freshness of a Kafka pipeline (produce -> row visible) and its throughput, through the SingleStore double.

    python -m tests.bench.pipeline_freshness [--probes 300] [--interval-ms 50] [--rows 200000] [--batch-interval 100]

Uses the lab (started if needed, honouring LAB_STATE_DIR and the LAB_*_PORT variables). Both pipelines are declared
with transactions_st.realtime.singlestore_pipeline in one ansible-playbook run, with BATCH_INTERVAL --batch-interval.

Freshness: ``--probes`` single messages on a 4-partition topic, each carrying its id and the producer's UTC time; after
a probe is visible the next one follows after a random pause of 0..2 x ``--interval-ms`` (so the probes fall at random
points of the pipeline's batch cycle). Two measures per message:
  * visible: from just before produce() until ``SELECT ... WHERE id = ?`` through the double finds the row
    (polled every millisecond by the producing thread, so it includes the poll's own round trip);
  * loaded_at - produced_at: the row's UTC_TIMESTAMP(6) at insert (a SET clause of the pipeline) minus the time in the message.
Throughput: ``--rows`` JSON messages produced to a second 4-partition topic while its pipeline is stopped, then the
pipeline is started; rows/s = rows / (time of the last row - START). Also the mean of the batches' ROWS_PER_SEC.
Prints tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pymysql
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from tests.bench._common import machine, print_table
from tests.integration.modules._ansible import login_options, run_steps, step
from tests.lab.api import Lab


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def make_topic(bootstrap: str, partitions: int) -> str:
    name = f"bench_fresh_{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept referenced until the futures are done
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(30)
    return name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.pipeline_freshness", description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=300, help="messages timed one by one (default 300)")
    parser.add_argument("--interval-ms", type=float, default=50, help="mean random pause between probes (default 50 ms)")
    parser.add_argument("--rows", type=int, default=200_000, help="messages of the throughput run (default 200000)")
    parser.add_argument("--batch-interval", type=int, default=100, help="BATCH_INTERVAL of both pipelines (default 100 ms)")
    parser.add_argument("--keep", action="store_true", help="keep the database and topics")
    args = parser.parse_args(argv)

    lab = Lab()
    lab.start(["double", "kafka"])
    conn_params = lab.service("double").conn_params()
    bootstrap = str(lab.service("kafka").bootstrap)
    db = f"bench_fresh_{uuid.uuid4().hex[:8]}x"
    fresh_topic, bulk_topic = make_topic(bootstrap, 4), make_topic(bootstrap, 4)
    conn = pymysql.connect(**conn_params, autocommit=True)
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE `{db}`")
    cur.execute(f"CREATE TABLE `{db}`.fresh (id BIGINT NOT NULL PRIMARY KEY, produced_at DATETIME(6) NOT NULL, "
                "loaded_at DATETIME(6) NULL)")
    cur.execute(f"CREATE TABLE `{db}`.bulk (tx_id BIGINT NOT NULL, store_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, "
                "created_at DATETIME(6) NOT NULL)")
    common = dict(database=db, format="json", batch_interval=args.batch_interval)
    pipelines = [
        dict(common, name="fresh", kafka={"brokers": [bootstrap], "topic": fresh_topic}, table="fresh", state="started",
             mapping=[{"column": "id", "path": "id"}, {"column": "produced_at", "path": "produced_at"}],
             set={"loaded_at": "UTC_TIMESTAMP(6)"}),
        dict(common, name="bulk", kafka={"brokers": [bootstrap], "topic": bulk_topic}, table="bulk", state="present"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        results = run_steps(Path(tmp), login_options(conn_params), [step("singlestore_pipeline", p) for p in pipelines]).results
        playbook_s = time.perf_counter() - started
    failed = [r.get("msg") for r in results if r.get("failed")]
    if failed:
        print(f"pipeline tasks failed: {failed}", file=sys.stderr)
        return 1

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all", "enable.idempotence": True})
    visible: list[float] = []
    for i in range(args.probes):
        began = time.perf_counter()
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        producer.produce(fresh_topic, json.dumps({"id": i, "produced_at": stamp}), key=str(i))
        producer.flush(10)
        while True:
            cur.execute(f"SELECT 1 FROM `{db}`.fresh WHERE id = %s", (i,))
            if cur.fetchone():
                visible.append((time.perf_counter() - began) * 1000)
                break
            if time.perf_counter() - began > 30:
                print(f"probe {i} not visible after 30 s", file=sys.stderr)
                break
            time.sleep(0.001)
        time.sleep(random.uniform(0, 2 * args.interval_ms) / 1000)  # random phase against the batch cycle
    cur.execute(f"SELECT TIMESTAMPDIFF(MICROSECOND, produced_at, loaded_at) / 1000 FROM `{db}`.fresh")
    column = [float(r[0]) for r in cur.fetchall()]

    bulk = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "batch.num.messages": 10000,
                     "queue.buffering.max.messages": 500000})
    for i in range(args.rows):
        value = json.dumps({"tx_id": i, "store_id": i % 7 + 1, "amount": (i % 500) + 0.99, "created_at": "2025-01-01 00:00:00.000000"})
        while True:
            try:
                bulk.produce(bulk_topic, value, key=str(i))
                break
            except BufferError:
                bulk.poll(0.05)
    bulk.flush(120)
    began = time.perf_counter()
    cur.execute(f"START PIPELINE `{db}`.bulk")
    loaded, last = 0, began
    while loaded < args.rows and time.perf_counter() - began < 600:
        time.sleep(0.05)
        cur.execute(f"SELECT COUNT(*) FROM `{db}`.bulk")
        count = int(cur.fetchone()[0])
        if count != loaded:
            loaded, last = count, time.perf_counter()
    bulk_s = last - began
    cur.execute("SELECT COUNT(*), AVG(ROWS_PER_SEC), AVG(BATCH_TIME) FROM information_schema.PIPELINES_BATCHES_SUMMARY "
                "WHERE DATABASE_NAME = %s AND PIPELINE_NAME = 'bulk'", (db,))
    batches, batch_rate, batch_time = cur.fetchone()

    print(f"pipeline freshness and throughput through the SingleStore double ({machine()})")
    print(f"batch_interval {args.batch_interval} ms; {args.probes} probes, random pauses averaging {args.interval_ms:g} ms; "
          f"the two singlestore_pipeline tasks took {playbook_s:.1f} s (one ansible-playbook run)\n")
    rows = []
    for label, values in (("produce -> row visible (polled)", visible), ("loaded_at - produced_at (column)", column)):
        rows.append([label, len(values), f"{percentile(values, 50):.1f}", f"{percentile(values, 95):.1f}",
                     f"{percentile(values, 99):.1f}", f"{max(values) if values else float('nan'):.1f}",
                     f"{statistics.mean(values) if values else float('nan'):.1f}"])
    print_table(["freshness (ms)", "n", "p50", "p95", "p99", "max", "mean"], rows)
    print()
    print_table(["throughput", "rows", "seconds", "rows/s", "batches", "mean batch rows/s", "mean batch s"],
                [["START -> last row visible", loaded, f"{bulk_s:.2f}", f"{loaded / bulk_s if bulk_s else 0:,.0f}",
                  int(batches or 0), f"{float(batch_rate or 0):,.0f}", f"{float(batch_time or 0):.3f}"]])
    if loaded < args.rows:
        print(f"\nonly {loaded} of {args.rows} rows arrived within 600 s")

    if not args.keep:
        for name in ("fresh", "bulk"):
            cur.execute(f"DROP PIPELINE IF EXISTS `{db}`.`{name}`")
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for future in admin.delete_topics([fresh_topic, bulk_topic]).values():
            try:
                future.result(30)
            except Exception:  # noqa: BLE001 - cleanup only
                pass
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
