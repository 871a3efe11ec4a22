"""Helpers for running the dashboard's panel queries the way Grafana does.

* :func:`expand` turns a panel's ``rawSql`` into the statement Grafana's MySQL data source sends:
  first the substitutions every SQL data source makes (``$__interval_ms``, ``$__interval``,
  ``$__unixEpochFrom()``, ``$__unixEpochTo()``; grafana ``pkg/tsdb/sqleng/sql_engine.go``,
  ``Interpolate``), then the MySQL macros (``pkg/tsdb/mysql/macros.go``): the same regular
  expressions, the same output text, whole seconds from ``time.Unix()``, and the same refusal of
  ``user()``/``current_user``/``SHOW GRANTS``.
* :func:`grafana_session` opens a connection the way the data source's DSN does
  (``time_zone='+00:00'`` from ``jsonData.timezone``), or with another session zone to play a
  server that ignores it (SingleStore accepts ``SET time_zone`` and does nothing).
* :func:`table_ddl` reads ``templates/sql/tables/product_transactions.sql``; for MariaDB it drops the
  SingleStore-only ``SHARD KEY``/``SORT KEY`` clauses.
* :func:`producer_messages` builds rows in the producer's message format (JSON objects with UTC
  ``transaction_date`` strings, microseconds).
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Optional, Union

import pymysql

REPO = Path(__file__).resolve().parents[3]
BUILDER_PATH = REPO / "files" / "grafana" / "build_dashboard.py"
TABLE_SQL = REPO / "templates" / "sql" / "tables" / "product_transactions.sql"

# grafana pkg/tsdb/mysql/macros.go
MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
RESTRICTED_RE = re.compile(
    r"(?im)([\s]*show[\s]+grants|[\s,]session_user\([^\)]*\)|[\s,]current_user(\([^\)]*\))?"
    r"|[\s,]system_user\([^\)]*\)|[\s,]user\([^\)]*\))([\s,;]|$)"
)
# gtime.ParseInterval units (the ones a dashboard would use)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}

TimeLike = Union[datetime, float, int]


class MacroError(ValueError):
    """A query Grafana would refuse ("interpolation failed" / "invalid query")."""


def load_builder() -> ModuleType:
    """files/grafana/build_dashboard.py, imported by path (files/ is not a package)."""
    name = "transactions_st_build_dashboard"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BUILDER_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _epoch(value: TimeLike) -> int:
    """Go's ``t.UTC().Unix()``: whole seconds, rounded towards the past."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("give aware datetimes (UTC)")
        value = value.timestamp()
    return math.floor(value)


def parse_interval(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)\s*", text.strip("'\""))
    if not match:
        raise MacroError(f"error parsing interval {text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_interval(seconds: float) -> str:
    """gtime.FormatInterval: the largest unit that divides the interval (ms below one second)."""
    ms = round(seconds * 1000)
    for unit, size in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if ms >= size * 1000 and ms % (size * 1000) == 0:
            return f"{ms // (size * 1000)}{unit}"
    return f"{ms}ms"


def _go_float(value: float) -> str:
    """fmt's %v for a float64 (5 -> "5", 0.5 -> "0.5")."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def expand(sql: str, time_from: TimeLike, time_to: TimeLike, interval: float = 1.0) -> str:
    """The SQL Grafana's MySQL data source runs for ``sql`` over [time_from, time_to]."""
    start, end = _epoch(time_from), _epoch(time_to)
    # sqleng.Interpolate: plain string replacements, in this order.
    sql = sql.replace("$__interval_ms", str(int(round(interval * 1000))))
    sql = sql.replace("$__interval", format_interval(interval))
    sql = sql.replace("$__unixEpochFrom()", str(start))
    sql = sql.replace("$__unixEpochTo()", str(end))
    if RESTRICTED_RE.search(sql):
        raise MacroError("invalid query - show grants, session_user(), current_user(), system_user() or user() not allowed")

    def macro(match: re.Match) -> str:
        name, args = match.group(1), [a.strip(" ") for a in match.group(2).split(",")]
        return _evaluate(name, args, start, end)

    return MACRO_RE.sub(macro, sql)


def _evaluate(name: str, args: list, start: int, end: int) -> str:
    # Go's strings.Split("", ",") gives [""]: a macro written with "()" has one empty argument.
    if name in ("__timeEpoch", "__time"):
        return f"UNIX_TIMESTAMP({args[0]}) as time_sec"
    if name == "__timeFilter":
        if start < 0:
            return f"{args[0]} BETWEEN DATE_ADD(FROM_UNIXTIME(0), INTERVAL {start} SECOND) AND FROM_UNIXTIME({end})"
        return f"{args[0]} BETWEEN FROM_UNIXTIME({start}) AND FROM_UNIXTIME({end})"
    if name == "__timeFrom":
        return f"FROM_UNIXTIME({start})"
    if name == "__timeTo":
        return f"FROM_UNIXTIME({end})"
    if name in ("__timeGroup", "__timeGroupAlias"):
        if len(args) < 2:
            raise MacroError(f"macro {name} needs time column and interval")
        seconds = parse_interval(args[1])
        text = f"UNIX_TIMESTAMP({args[0]}) DIV {seconds:.0f} * {seconds:.0f}"
        return text + ' AS "time"' if name == "__timeGroupAlias" else text
    if name == "__unixEpochFilter":
        return f"{args[0]} >= {start} AND {args[0]} <= {end}"
    if name == "__unixEpochNanoFilter":
        return f"{args[0]} >= {start * 10**9} AND {args[0]} <= {end * 10**9}"
    if name == "__unixEpochNanoFrom":
        return str(start * 10**9)
    if name == "__unixEpochNanoTo":
        return str(end * 10**9)
    if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
        if len(args) < 2:
            raise MacroError(f"macro {name} needs time column and interval and optional fill value")
        seconds = _go_float(parse_interval(args[1]))
        text = f"{args[0]} DIV {seconds} * {seconds}"
        return text + ' AS "time"' if name == "__unixEpochGroupAlias" else text
    raise MacroError(f"unknown macro {name}")


# -- connections ---------------------------------------------------------------------------------

def grafana_session(conn_params: dict, database: Optional[str] = None, time_zone: str = "+00:00") -> Any:
    """A connection set up like the data source's: utf8mb4, session time zone from jsonData.timezone."""
    params = dict(conn_params)
    if database is not None:
        params["database"] = database
    return pymysql.connect(**params, charset="utf8mb4", autocommit=True,
                           init_command=f"SET time_zone = '{time_zone}'")


def run(conn: Any, sql: str) -> tuple:
    """(column names, rows) of one statement."""
    with conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description or ()]
        return names, list(cur.fetchall())


# -- the table and its rows --------------------------------------------------------------------

def table_ddl(flavour: str = "singlestore") -> str:
    """CREATE TABLE product_transactions, without comments or the final ';'.

    ``flavour="mariadb"`` drops the clauses MariaDB does not know (SHARD KEY, SORT KEY).
    """
    lines = [line for line in TABLE_SQL.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("--")]
    if flavour == "mariadb":
        lines = [line for line in lines if not re.match(r"\s*(SHARD|SORT)\s+KEY\b", line, re.IGNORECASE)]
    elif flavour != "singlestore":
        raise ValueError(flavour)
    sql = "\n".join(lines).strip().rstrip(";").rstrip()
    # a clause dropped at the end leaves "...,\n)": remove the dangling comma
    return re.sub(r",\s*\)\s*$", "\n)", sql)


STORES = (
    (1, "Paris", 48.8566, 2.3522), (2, "Lyon", 45.7640, 4.8357), (3, "Marseille", 43.2965, 5.3698),
    (4, "Toulouse", 43.6047, 1.4442), (5, "Rennes", 48.1147, -1.6791), (6, "Lille", 50.6292, 3.0573),
    (7, "Strasbourg", 48.5734, 7.7521),
)
PRODUCTS = (("Laptop", "TechCorp"), ("Smartphone", "PhoneMaster"), ("Headphones", "SoundMax"),
            ("Tablet", "TabWorld"), ("Camera", "PicPerfect"))
COLUMNS = ("transaction_id", "store_id", "city", "latitude", "longitude", "product_name", "brand",
           "transaction_date", "quantity", "total_amount", "customer_id", "payment_type")


def utc_text(moment: datetime) -> str:
    """The producer's transaction_date: UTC, "YYYY-MM-DD HH:MM:SS.ffffff"."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def producer_messages(now: datetime, ages: Iterable[float], seed: int = 7) -> list:
    """One JSON message per age (seconds before ``now``), stores and products cycled, as dicts.

    The messages go through json.dumps/json.loads, as they do through Kafka and FORMAT JSON.
    """
    rng = random.Random(seed)
    out = []
    for i, age in enumerate(ages):
        store_id, city, lat, lon = STORES[i % len(STORES)]
        product, brand = PRODUCTS[(i // len(STORES)) % len(PRODUCTS)]
        cents = rng.randint(500, 50000)
        message = {
            "transaction_id": (rng.getrandbits(40) << 23) | i, "store_id": store_id, "city": city,
            "latitude": lat, "longitude": lon, "product_name": product, "brand": brand,
            "transaction_date": utc_text(now - timedelta(seconds=age)), "quantity": rng.randint(1, 5),
            "total_amount": cents / 100, "customer_id": rng.randint(1, 5000),
            "payment_type": rng.choice(("CASH", "CARD")),
        }
        out.append(json.loads(json.dumps(message)))
    return out


def insert_messages(conn: Any, messages: list) -> None:
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    with conn.cursor() as cur:
        for message in messages:
            cur.execute(f"INSERT INTO product_transactions ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                        [message[c] for c in COLUMNS])


def message_time(message: dict) -> datetime:
    return datetime.strptime(message["transaction_date"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
