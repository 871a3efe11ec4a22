"""Dashboard panel latency per schema profile (issue 9): seed, optimized and rollup on the same data.

    python -m tests.bench.dashboard_latency [--rows 1000000 10000000] [--repeats 30]
    python -m tests.bench.dashboard_latency --host svc-...singlestore.com --user admin   # a real SingleStore
                                            (password from SINGLESTORE_PASSWORD)

What it does, for each size N of --rows (ascending; each size adds older history to the previous):

1. Tables. Two databases, created from the collection's own templates (templates/sql/tables):
   ``bench_dashboard_seed`` (product_transactions_seed.sql) and ``bench_dashboard_optimized``
   (product_transactions.sql plus store_sales_per_second.sql, the rollup profile's table: the
   rollup profile keeps the optimized table and adds the per-second table, so both profiles share
   that database). In the lab the DDL goes through the SingleStore double, which strips and
   records SHARD KEY / SORT KEY and turns the sort key into a hidden MariaDB index.
2. Rows in the producer's message shape (files/producer/README.md: the seed's 7 stores and 5
   products, quantity 1..5, amounts 5.00..499.99, ids = random 43-bit block prefix x 1,000,000 +
   counter, increasing in time within a block), one every 1/--rate s going back from an anchor
   (default 1,000 rows/s, the producer's default rate: the last 60 s hold 60,000 rows whatever N,
   i.e. 6 % of 1M and 0.6 % of 10M; the dashboard's 5-minute range 300,000). Loaded with
   LOAD DATA LOCAL INFILE, 1M-row files, in time order: in the lab directly into MariaDB (the
   double is not a bulk loader, and what is measured is the queries, not the load), on a real
   SingleStore into SingleStore. The same rows go into both tables. The rollup table is then
   filled from the optimized table by templates/sql/rollup/backfill_store_sales_per_second.sql
   (what the rollup pipeline would have written). ANALYZE TABLE on both; on a real SingleStore
   also OPTIMIZE TABLE (flush and merge, so the columnstore segments are sorted).
3. Timing. Every panel query of the dashboards (templates/sql/queries, and queries/rollup for the
   rollup profile, read through files/grafana/build_dashboard.py), with Grafana's macros expanded
   by tests/unit/grafana/grafana_sql.py for the dashboard's range (the last 5 minutes). One
   connection per profile, like Grafana's pool; --warmup untimed runs, then --repeats rounds, each
   round running every profile's panels (profiles in rotating order, so load drifts hit all alike).
   A run is execute + fetch of all rows, measured on the client: through the double in the lab.
   "Now": in the lab every session runs ``SET timestamp = <anchor>`` so UTC_TIMESTAMP() is the
   anchor (a whole second) and every round sees the same window of the same rows ("clock pinned";
   then the answers of the three profiles are compared too). Where the server ignores SET
   timestamp (SingleStore), a writer thread keeps adding rows at --rate with the current time
   to all three tables (the rollup by upsert, as its pipeline does) during the measurement, after
   writing the last 5 minutes ("clock live"); answers are then not compared, the writer's worst lag
   behind the clock is printed, with a warning above 1 s (the windows then hold fewer rows than
   --rate implies), and its rows stay: the next run starts again from empty tables.
4. Prints, per N, p50/p95/max per panel and profile, the ratios between profiles, and the issue's
   targets (rollup: every panel p95 < 100 ms; the panel slowest with seed at least 10x faster
   with rollup) with yes/NO. Nothing is asserted; exit code 0 unless something failed.

The slow-queries panel (queries/traces/slow_queries.sql) reads MV_TRACE_EVENTS, which the double
does not imitate: it is timed only against a real SingleStore (--host).

Data stay in the two databases for the next run (reused when --rate and the generator match;
--fresh drops them; --drop drops them at the end).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import pymysql

from tests.bench._common import machine, print_table
from tests.unit.grafana.grafana_sql import expand, load_builder

REPO = Path(__file__).resolve().parents[2]
TABLES = REPO / "templates" / "sql" / "tables"
BACKFILL = REPO / "templates" / "sql" / "rollup" / "backfill_store_sales_per_second.sql"
PRODUCER = REPO / "files" / "producer" / "tx_producer.py"

PROFILES = ("seed", "optimized", "rollup")
DB = {"seed": "bench_dashboard_seed", "optimized": "bench_dashboard_optimized", "rollup": "bench_dashboard_optimized"}
TABLE = "product_transactions"
ROLLUP = "store_sales_per_second"
COLUMNS = ("transaction_id", "store_id", "city", "latitude", "longitude", "product_name", "brand",
           "transaction_date", "quantity", "total_amount", "customer_id", "payment_type")
GENERATOR = "1"          # bump when the rows change shape: stored data of another version are not reused
CHUNK = 1_000_000        # rows per LOAD DATA file (= one id block of the producer)
RANGE_S = 300            # the dashboard's range: now-5m .. now (build_dashboard.TIME_RANGE)
TARGET_P95_MS = 100.0
TARGET_RATIO = 10.0


# --------------------------------------------------------------------------------------------- data

def _producer_referential() -> tuple[tuple, tuple]:
    """The stores and products of files/producer/tx_producer.py (the seed's)."""
    spec = importlib.util.spec_from_file_location("tx_producer_for_dashboard_bench", PRODUCER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.DEFAULT_STORES, module.DEFAULT_PRODUCTS


def write_chunk(path: Path, first: int, last: int, anchor: int, rate: float, seed: int) -> None:
    """Rows with age rank ``first`` .. ``last - 1`` (0 = newest), oldest first, as TSV.

    Row i happened (i + u) / rate seconds before ``anchor`` (u uniform in [0, 1)). Its id is
    block_prefix(i // CHUNK) * 1,000,000 + counter, the counter growing with time inside a block,
    as the producer's ids do (one block per million messages).
    """
    stores, products = _producer_referential()
    store_txt = [f"{s['store_id']}\t{s['city']}\t{s['latitude']}\t{s['longitude']}" for s in stores]
    product_txt = [f"{p['product_name']}\t{p['brand']}" for p in products]
    anchor_us = anchor * 1_000_000
    step_us = 1_000_000 / rate
    seconds: dict[int, str] = {}
    with path.open("w", encoding="utf-8") as out:
        i = last - 1
        while i >= first:
            block = i // CHUNK
            low = max(first, block * CHUNK)
            prefix = random.Random(f"{seed}-prefix-{block}").randrange(1, 9_223_372_036_854)
            rng = random.Random(f"{seed}-rows-{block}-{low}-{i}")
            lines = []
            for j in range(i, low - 1, -1):
                us = anchor_us - int((j + rng.random()) * step_us)
                sec, frac = divmod(us, 1_000_000)
                text = seconds.get(sec)
                if text is None:
                    text = seconds[sec] = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                lines.append(
                    f"{prefix * 1_000_000 + (CHUNK - 1 - j % CHUNK)}\t{store_txt[rng.randrange(7)]}\t"
                    f"{product_txt[rng.randrange(5)]}\t{text}.{frac:06d}\t{rng.randrange(1, 6)}\t"
                    f"{rng.randrange(500, 50000) / 100:.2f}\t{rng.randrange(1, 5001)}\t{'CASH' if rng.random() < 0.5 else 'CARD'}\n")
                if len(lines) >= 50_000:
                    out.writelines(lines)
                    lines = []
            out.writelines(lines)
            if len(seconds) > 100_000:
                seconds.clear()
            i = low - 1


def strip_comments(sql: str) -> str:
    return re.sub(r"(?m)^[ \t]*--.*(\n|$)", "", sql).strip().rstrip(";")


# ---------------------------------------------------------------------------------------- servers

@dataclass
class Target:
    label: str
    query_params: dict[str, Any]          # where the panel queries (and DDL) go
    load_params: dict[str, Any]           # where LOAD DATA goes
    singlestore: bool                     # a real SingleStore (OPTIMIZE TABLE, no SET timestamp)
    notes: list[str] = field(default_factory=list)


def lab_target() -> Target:
    from tests.lab.api import Lab

    lab = Lab()
    lab.start(["mariadb", "double"])
    double = lab.service("double").conn_params()
    maria = lab.service("mariadb").conn_params()
    return Target("lab (SingleStore double -> MariaDB)", dict(double), dict(maria), False)


def host_target(args: argparse.Namespace) -> Target:
    params: dict[str, Any] = dict(host=args.host, port=args.port, user=args.user,
                                  password=os.environ.get(args.password_env, ""))
    if args.ssl_ca:
        params["ssl"] = {"ca": args.ssl_ca}
    return Target(f"SingleStore at {args.host}:{args.port}", params, params, True)


def connect(params: dict[str, Any], database: Optional[str] = None, **extra: Any) -> Any:
    return pymysql.connect(**params, database=database, charset="utf8mb4", autocommit=True, **extra)


def run(conn: Any, sql: str, args: Any = None) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


# ------------------------------------------------------------------------------------------- setup

def meta_get(conn: Any) -> dict[str, str]:
    try:
        return {k: v for k, v in run(conn, f"SELECT k, v FROM `{DB['optimized']}`.bench_meta")}
    except pymysql.err.MySQLError:
        return {}


def meta_put(conn: Any, **values: Any) -> None:
    for k, v in values.items():
        run(conn, f"REPLACE INTO `{DB['optimized']}`.bench_meta (k, v) VALUES (%s, %s)", (k, str(v)))


def create_schema(conn: Any, fresh: bool) -> None:
    for db in sorted(set(DB.values())):
        if fresh:
            run(conn, f"DROP DATABASE IF EXISTS `{db}`")
        run(conn, f"CREATE DATABASE IF NOT EXISTS `{db}`")
    for db, template in ((DB["seed"], "product_transactions_seed.sql"), (DB["optimized"], "product_transactions.sql"),
                         (DB["optimized"], "store_sales_per_second.sql")):
        ddl = strip_comments((TABLES / template).read_text())
        ddl = re.sub(r"^CREATE (ROWSTORE )?TABLE ", lambda m: f"CREATE {m.group(1) or ''}TABLE IF NOT EXISTS ", ddl)
        run(conn, f"USE `{db}`")
        run(conn, ddl)
    run(conn, f"CREATE TABLE IF NOT EXISTS `{DB['optimized']}`.bench_meta (k VARCHAR(64) NOT NULL PRIMARY KEY, v TEXT)")


def fill(target: Target, conn: Any, have: int, want: int, anchor: int, rate: float, seed: int, tmp: Path) -> float:
    """Append rows ``have`` .. ``want - 1`` to both tables; returns the seconds it took."""
    began = time.perf_counter()
    load = connect(target.load_params, local_infile=True)
    try:
        start = have
        while start < want:
            end = min(want, (start // CHUNK + 1) * CHUNK)
            path = tmp / f"rows-{start}.tsv"
            t0 = time.perf_counter()
            write_chunk(path, start, end, anchor, rate, seed)
            t1 = time.perf_counter()
            for profile in ("seed", "optimized"):
                run(load, f"LOAD DATA LOCAL INFILE %s INTO TABLE `{DB[profile]}`.`{TABLE}` "
                          "FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' "
                          f"({', '.join(COLUMNS)})", (str(path),))
            path.unlink()
            meta_put(conn, rows=end)
            print(f"  loaded rows {start:,}..{end - 1:,}: generated in {t1 - t0:.1f} s, "
                  f"loaded into both tables in {time.perf_counter() - t1:.1f} s", flush=True)
            start = end
    finally:
        load.close()
    return time.perf_counter() - began


def refresh_rollup(conn: Any) -> float:
    began = time.perf_counter()
    run(conn, f"USE `{DB['optimized']}`")
    run(conn, f"DELETE FROM `{ROLLUP}`")
    run(conn, strip_comments(BACKFILL.read_text()))
    return time.perf_counter() - began


def settle(target: Target, conn: Any) -> None:
    for db, table in ((DB["seed"], TABLE), (DB["optimized"], TABLE), (DB["optimized"], ROLLUP)):
        if target.singlestore:
            # flush the in-memory segment and merge, so the sort key's order is on disk (columnstore only)
            if table == TABLE:
                run(conn, f"OPTIMIZE TABLE `{db}`.`{table}` FLUSH")
                run(conn, f"OPTIMIZE TABLE `{db}`.`{table}` FULL")
        run(conn, f"ANALYZE TABLE `{db}`.`{table}`")


# ------------------------------------------------------------------------------------------ timing

def panel_queries() -> dict[str, dict[str, str]]:
    """profile -> panel name -> SQL (with macros), as the dashboards carry it."""
    builder = load_builder()
    base = {name: panel["targets"][0]["rawSql"] for name, panel in builder.panel_specs()}
    rollup = {name: panel["targets"][0]["rawSql"]
              for name, panel in builder.panel_specs(builder.QUERIES_DIR, builder.ROLLUP_DIR)}
    return {"seed": base, "optimized": base, "rollup": rollup}


def pinned_clock_works(params: dict[str, Any]) -> bool:
    """Whether ``SET timestamp`` moves UTC_TIMESTAMP() (MariaDB: yes; SingleStore: not documented)."""
    conn = connect(params)
    try:
        run(conn, "SET timestamp = 1000000000")
        return run(conn, "SELECT UTC_TIMESTAMP()")[0][0] == datetime(2001, 9, 9, 1, 46, 40)
    except pymysql.err.MySQLError:
        return False
    finally:
        conn.close()


def normalise(rows: list[tuple]) -> list[tuple]:
    def norm(v: Any) -> Any:
        if isinstance(v, (int, float, Decimal)):
            return Decimal(str(v)).normalize()
        return v.decode() if isinstance(v, bytes) else v
    return sorted(tuple(norm(v) for v in row) for row in rows)


class LiveWriter(threading.Thread):
    """Clock live: rows at ``rate`` with the current UTC time into all three tables, as the pipelines would."""

    def __init__(self, params: dict[str, Any], rate: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.params, self.rate, self.seed = params, rate, seed
        self.stop = threading.Event()
        self.rows = 0                 # rows made (ids)
        self.written = 0              # rows committed during the measurement (after prime)
        self.written_until = 0.0      # time of the newest committed row
        self.max_lag = 0.0            # worst (now - written_until) seen by the measurement
        self.last = 0.0
        self.error: Optional[BaseException] = None
        self.stores, self.products = _producer_referential()
        self.rng = random.Random(f"{seed}-live")
        self.prefix = self.rng.randrange(1, 9_223_372_036_854)

    def rows_between(self, start: float, end: float) -> list[tuple]:
        out = []
        n = int((end - start) * self.rate)
        for k in range(n):
            t = start + (k + self.rng.random()) / self.rate
            s, p = self.rng.choice(self.stores), self.rng.choice(self.products)
            self.rows += 1
            out.append((self.prefix * 1_000_000 + self.rows, s["store_id"], s["city"], s["latitude"], s["longitude"],
                        p["product_name"], p["brand"],
                        datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
                        self.rng.randrange(1, 6), self.rng.randrange(500, 50000) / 100, self.rng.randrange(1, 5001),
                        self.rng.choice(("CASH", "CARD"))))
        return out

    def write(self, conn: Any, rows: list[tuple]) -> None:
        if not rows:
            return
        marks = ", ".join(["%s"] * len(COLUMNS))
        with conn.cursor() as cur:
            for profile in ("seed", "optimized"):
                cur.executemany(f"INSERT INTO `{DB[profile]}`.`{TABLE}` ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
            cur.executemany(
                f"INSERT INTO `{DB['optimized']}`.`{ROLLUP}` (bucket, store_id, city, latitude, longitude, transactions, "
                "quantity, revenue) VALUES (LEFT(%s, 19), %s, %s, %s, %s, 1, %s, %s) ON DUPLICATE KEY UPDATE "
                "transactions = transactions + VALUES(transactions), quantity = quantity + VALUES(quantity), "
                "revenue = revenue + VALUES(revenue)",
                [(r[7], r[1], r[2], r[3], r[4], r[8], r[9]) for r in rows])

    def prime(self) -> int:
        """The last RANGE_S seconds (up to now, however long writing them takes), before the measurement."""
        conn = connect(self.params)
        written = 0
        try:
            start = time.time() - RANGE_S
            while True:
                now = time.time()
                rows = self.rows_between(start, now)
                for k in range(0, len(rows), 5000):
                    self.write(conn, rows[k:k + 5000])
                written += len(rows)
                start = now
                if time.time() - now < 1.0:
                    break
            self.last = self.written_until = now
        finally:
            conn.close()
        return written

    def lag(self) -> float:
        """Seconds the table is behind the clock; remembered when worse than before."""
        lag = max(0.0, time.time() - self.written_until)
        self.max_lag = max(self.max_lag, lag)
        return lag

    def run(self) -> None:
        conn = connect(self.params)
        try:
            while not self.stop.wait(0.1):
                now = time.time()
                rows = self.rows_between(self.last, now)
                self.write(conn, rows)
                self.last = self.written_until = now
                self.written += len(rows)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
        finally:
            conn.close()


def measure(target: Target, queries: dict[str, dict[str, str]], anchor: Optional[int], repeats: int, warmup: int,
            skip: dict[str, str], writer: Optional[LiveWriter] = None
            ) -> tuple[dict[tuple[str, str], list[float]], dict[tuple[str, str], list[tuple]]]:
    times: dict[tuple[str, str], list[float]] = {}
    answers: dict[tuple[str, str], list[tuple]] = {}
    conns = {}
    for profile in PROFILES:
        conns[profile] = connect(target.query_params, DB[profile])
        if anchor is not None:
            run(conns[profile], f"SET timestamp = {anchor}")
    try:
        for rnd in range(warmup + repeats):
            order = PROFILES[rnd % 3:] + PROFILES[:rnd % 3]
            for profile in order:
                now = anchor if anchor is not None else time.time()
                if writer is not None:
                    writer.lag()
                for panel, raw in queries[profile].items():
                    if panel in skip:
                        continue
                    sql = expand(raw, now - RANGE_S, now)
                    t0 = time.perf_counter()
                    rows = run(conns[profile], sql)
                    elapsed = (time.perf_counter() - t0) * 1000
                    if rnd == 0:
                        answers[(profile, panel)] = rows
                    if rnd >= warmup:
                        times.setdefault((profile, panel), []).append(elapsed)
    finally:
        for conn in conns.values():
            conn.close()
    return times, answers


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def report(n: int, times: dict[tuple[str, str], list[float]], answers: dict[tuple[str, str], list[tuple]],
           pinned: bool, panels: list[str]) -> None:
    def stat(profile: str, panel: str, q: float) -> float:
        return pct(times[(profile, panel)], q)

    rows = []
    for panel in panels:
        if ("seed", panel) not in times:
            continue
        row: list[object] = [panel]
        for profile in PROFILES:
            row += [f"{stat(profile, panel, 50):.1f}", f"{stat(profile, panel, 95):.1f}"]
        row += [f"{stat('seed', panel, 95) / stat('optimized', panel, 95):.1f}",
                f"{stat('seed', panel, 95) / stat('rollup', panel, 95):.1f}"]
        if pinned:
            base = normalise(answers[("seed", panel)])
            same = [normalise(answers[(p, panel)]) == base for p in ("optimized", "rollup")]
            row.append("yes" if all(same) else "NO (" + ", ".join(p for p, s in zip(("optimized", "rollup"), same) if not s) + ")")
        else:
            row.append("n/a (clock live)")
        rows.append(row)
    headers = ["panel", "seed p50", "seed p95", "optimized p50", "optimized p95", "rollup p50", "rollup p95",
               "seed/optimized p95", "seed/rollup p95", "same answer"]
    print(f"\n{n:,} rows: milliseconds per panel query (execute + fetch), {len(next(iter(times.values())))} runs each")
    print_table(headers, rows)
    timed = [p for p in panels if ("seed", p) in times]
    slow_rollup = max(timed, key=lambda p: stat("rollup", p, 95))
    worst = stat("rollup", slow_rollup, 95)
    print(f"target: rollup, every panel p95 < {TARGET_P95_MS:.0f} ms: {'yes' if worst < TARGET_P95_MS else 'NO'} "
          f"(slowest: {slow_rollup} p95 {worst:.1f} ms)")
    slow_seed = max(timed, key=lambda p: stat("seed", p, 95))
    ratio = stat("seed", slow_seed, 95) / stat("rollup", slow_seed, 95)
    print(f"target: the panel slowest with seed ({slow_seed}, p95 {stat('seed', slow_seed, 95):.1f} ms) at least "
          f"{TARGET_RATIO:.0f}x faster with rollup (p95 {stat('rollup', slow_seed, 95):.1f} ms): {ratio:.1f}x "
          f"{'yes' if ratio >= TARGET_RATIO else 'NO'}")
    bound = {p: max(stat(p, panel, 95) for panel in timed) for p in PROFILES}
    print("slowest panel p95 per profile (what bounds the dashboard's refresh): "
          + ", ".join(f"{p} {bound[p]:.1f} ms" for p in PROFILES)
          + f"; seed/optimized {bound['seed'] / bound['optimized']:.1f}x, seed/rollup {bound['seed'] / bound['rollup']:.1f}x")


# -------------------------------------------------------------------------------------------- main

def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000], help="table sizes (default 1M 10M)")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs per panel and profile (default 30)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    parser.add_argument("--rate", type=float, default=1000.0, help="rows per second of history (default 1000)")
    parser.add_argument("--seed", type=int, default=20261128, help="seed of the data generator")
    parser.add_argument("--clock", choices=["auto", "pinned", "live"], default="auto",
                        help="pinned: SET timestamp = anchor in every session; live: a writer adds rows now (default: "
                             "pinned when the server honours SET timestamp)")
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark databases first")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark databases at the end")
    parser.add_argument("--host", default=os.environ.get("SINGLESTORE_HOST"),
                        help="a real SingleStore (default $SINGLESTORE_HOST; unset: the lab)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SINGLESTORE_PORT", "3306")))
    parser.add_argument("--user", default=os.environ.get("SINGLESTORE_USER", "admin"))
    parser.add_argument("--password-env", default="SINGLESTORE_PASSWORD",
                        help="environment variable holding the password (default SINGLESTORE_PASSWORD)")
    parser.add_argument("--ssl-ca", default=os.environ.get("SINGLESTORE_CA"),
                        help="CA bundle for TLS (singlestore_bundle.pem for Helios; default $SINGLESTORE_CA)")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.rows))

    target = host_target(args) if args.host else lab_target()
    conn = connect(target.query_params)
    version = run(conn, "SELECT @@memsql_version")[0][0]
    server = run(conn, "SELECT @@version_comment")[0][0]
    pinned = {"pinned": True, "live": False}.get(args.clock, None)
    if pinned is None:
        pinned = pinned_clock_works(target.query_params)
    elif pinned and not pinned_clock_works(target.query_params):
        print("dashboard_latency: the server does not honour SET timestamp; use --clock live", file=sys.stderr)
        return 2

    create_schema(conn, args.fresh)
    meta = meta_get(conn)
    if meta and (meta.get("generator") != GENERATOR or float(meta.get("rate", 0)) != args.rate
                 or int(meta.get("seed", 0)) != args.seed):
        print("  stored rows were made with other settings: starting again")
        create_schema(conn, True)
        meta = {}
    have = int(meta.get("rows", 0))
    counts = {p: run(conn, f"SELECT COUNT(*) FROM `{DB[p]}`.`{TABLE}`")[0][0] for p in ("seed", "optimized")}
    if counts["seed"] != have or counts["optimized"] != have:
        print(f"  stored rows incomplete ({counts}): starting again")
        create_schema(conn, True)
        have, meta = 0, {}
    anchor = int(meta["anchor"]) if meta.get("anchor") else int(time.time()) - 60
    meta_put(conn, generator=GENERATOR, rate=args.rate, seed=args.seed, anchor=anchor, rows=have)

    buffer_pool = ""
    if not target.singlestore:
        maria = connect(target.load_params)
        mb = int(run(maria, "SELECT @@innodb_buffer_pool_size")[0][0]) // 2**20
        buffer_pool = f"; MariaDB {run(maria, 'SELECT VERSION()')[0][0]}, InnoDB buffer pool {mb} MiB"
        maria.close()
    print(f"dashboard_latency on {target.label}: {server}, memsql_version {version}{buffer_pool}")
    print(f"rows every {1000 / args.rate:g} ms ({args.rate:g}/s): last 60 s = {int(60 * args.rate):,} rows, "
          f"dashboard range (5 min) = {int(RANGE_S * args.rate):,} rows; clock "
          + (f"pinned at {datetime.fromtimestamp(anchor, timezone.utc):%Y-%m-%d %H:%M:%S} UTC (SET timestamp)" if pinned
             else "live (a writer adds rows at the same rate during the measurement)"))

    queries = panel_queries()
    panels = list(queries["seed"])
    skip = {}
    if not target.singlestore:
        skip["slow_queries"] = "the double does not imitate MV_TRACE_EVENTS"
    else:
        traces = load_builder().build_slow_queries()["panels"][0]["targets"][0]["rawSql"]
        for profile in PROFILES:
            queries[profile]["slow_queries"] = traces
        panels.append("slow_queries")
    for name, why in skip.items():
        print(f"panel {name}: not timed ({why})")

    with tempfile.TemporaryDirectory(prefix="dashboard-latency-") as tmp:
        for n in sizes:
            print(f"\n== {n:,} rows ({machine()})", flush=True)
            if n > have:
                took = fill(target, conn, have, n, anchor, args.rate, args.seed, Path(tmp))
                print(f"  fill: {n - have:,} rows into both tables in {took:.0f} s", flush=True)
                have = n
            elif n < have:
                print(f"  the tables hold {have:,} rows already (more than {n:,}): skipped; use --fresh to measure it")
                continue
            print(f"  rollup table refilled from {n:,} rows in {refresh_rollup(conn):.1f} s", flush=True)
            settle(target, conn)
            rollup_rows = run(conn, f"SELECT COUNT(*) FROM `{DB['optimized']}`.`{ROLLUP}`")[0][0]
            print(f"  {ROLLUP}: {rollup_rows:,} rows", flush=True)
            writer = None
            if not pinned:
                writer = LiveWriter(target.load_params, args.rate, args.seed)
                primed = writer.prime()
                print(f"  live clock: {primed:,} rows written for the last {RANGE_S} s, then {args.rate:g}/s during "
                      "the measurement", flush=True)
                writer.start()
            try:
                times, answers = measure(target, queries, anchor if pinned else None, args.repeats, args.warmup, skip,
                                         writer)
            finally:
                if writer is not None:
                    writer.stop.set()
                    writer.join(60)
            if writer is not None:
                if writer.error:
                    raise writer.error
                print(f"  live writer: {writer.written:,} rows into each table during the measurement; worst lag "
                      f"behind the clock {writer.max_lag:.1f} s")
                if writer.max_lag > 1.0:
                    print(f"  WARNING: the writer fell {writer.max_lag:.1f} s behind: the 60 s and 5 min windows held "
                          "fewer rows than --rate implies, so the window panels' times below are too low. Use "
                          "--clock pinned where the server allows it, or a lower --rate.")
            report(n, times, answers, pinned, panels)
            print(f"({machine()})", flush=True)

    if args.drop:
        for db in sorted(set(DB.values())):
            run(conn, f"DROP DATABASE IF EXISTS `{db}`")
    conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
