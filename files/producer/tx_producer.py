# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retail transaction producer for the transactions_st demo and for load tests.

Produces JSON transactions (the fields of the seed's tx-producer.py) to a Kafka topic with an
idempotent producer, at a fixed rate or as fast as possible, for a count and/or a duration.
Settings come from a JSON file, TX_PRODUCER_* environment variables and the command line, in
that increasing order of precedence. See README.md next to this file; `--help` lists options.

Exit codes: 0 every message produced was acknowledged by Kafka; 1 some were not (failed or
still unconfirmed when the flush timeout ran out, or a fatal producer error); 2 bad
configuration, or no broker / no topic at start.

Only the standard library and confluent-kafka are used (confluent-kafka is imported lazily so
that `--dry-run` and `--help` work without it).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import signal
import stat
import sys
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from operator import length_hint
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # imported lazily at run time (see the module docstring)
    from confluent_kafka import KafkaError as _KafkaError
    from confluent_kafka import Message, Producer
    from confluent_kafka.admin import ClusterMetadata

VERSION = "1.0.0"
PROG = "tx_producer"
ENV_PREFIX = "TX_PRODUCER_"

EXIT_OK = 0
EXIT_UNDELIVERED = 1
EXIT_CONFIG = 2

# ----------------------------------------------------------------------------- referential

# The seed's French stores and its products (transactions-st, tx-producer.py).
DEFAULT_STORES = (
    {"store_id": 1, "city": "Paris", "latitude": 48.8566, "longitude": 2.3522},
    {"store_id": 2, "city": "Lyon", "latitude": 45.7640, "longitude": 4.8357},
    {"store_id": 3, "city": "Marseille", "latitude": 43.2965, "longitude": 5.3698},
    {"store_id": 4, "city": "Toulouse", "latitude": 43.6047, "longitude": 1.4442},
    {"store_id": 5, "city": "Rennes", "latitude": 48.1147, "longitude": -1.6791},
    {"store_id": 6, "city": "Lille", "latitude": 50.6292, "longitude": 3.0573},
    {"store_id": 7, "city": "Strasbourg", "latitude": 48.5734, "longitude": 7.7521},
)
DEFAULT_PRODUCTS = (
    {"product_name": "Laptop", "brand": "TechCorp"},
    {"product_name": "Smartphone", "brand": "PhoneMaster"},
    {"product_name": "Headphones", "brand": "SoundMax"},
    {"product_name": "Tablet", "brand": "TabWorld"},
    {"product_name": "Camera", "brand": "PicPerfect"},
)
STORE_FIELDS = {"store_id": int, "city": str, "latitude": float, "longitude": float}
PRODUCT_FIELDS = {"product_name": str, "brand": str}

# Value ranges of the seed: quantity 1..5, total_amount 5.00..499.99 (the seed: round(uniform(5.0, 500.0), 2)),
# customer_id 1..5000.
QUANTITIES = range(1, 6)
AMOUNT_UNITS = range(5, 500)
CUSTOMER_IDS = range(1, 5001)
PAYMENT_TYPES = ("CASH", "CARD")

# Settings by option name (see OPTIONS); client properties by librdkafka name.
Settings = dict[str, Any]
# A store or a product of the referential.
Entry = dict[str, Any]

# Above this many store x product pairs, the two fragments are drawn separately.
MAX_PAIR_FRAGMENTS = 100_000
# The clock is read once per group of this many consecutive messages (a few tens of microseconds
# of work at full speed): formatting a date for every message would cost a quarter of the throughput.
DATE_GROUP = 64
# Local queue of the client: bounds memory (about 40 MB of messages) and the catch-up after an outage.
QUEUE_MAX_MESSAGES = 100_000
# How long to wait on a full local queue before looking again. Successful deliveries wake no
# poll() (delivery.report.only.error), so each wait lasts its whole timeout: keep it short.
QUEUE_FULL_WAIT = 0.005
# linger.ms unless set: at full speed longer batches save a tenth of the CPU (client and broker);
# at a set rate, a short linger keeps the latency low.
LINGER_MS_FULL_SPEED = 50.0
LINGER_MS_RATE = 5.0
# Seconds between two reports of the same kind of client error (a broker outage repeats them).
ERROR_REPORT_INTERVAL = 5.0


class ConfigError(Exception):
    """A setting or input file the user has to fix (exit code 2)."""


def _check_entries(entries: object, fields: Mapping[str, type], what: str) -> list[Entry]:
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"referential: '{what}' must be a non-empty list of objects")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"referential: {what}[{index}] must be an object")
        missing = [f for f in fields if f not in entry]
        extra = sorted(set(entry) - set(fields))
        if missing or extra:
            detail = "; ".join(
                x for x in (missing and f"missing {', '.join(missing)}", extra and f"unknown {', '.join(extra)}") if x
            )
            raise ConfigError(f"referential: {what}[{index}]: {detail} (fields: {', '.join(fields)})")
        for field, kind in fields.items():
            value = entry[field]
            if kind is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            elif kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, str) and value != ""
            if not ok:
                raise ConfigError(
                    f"referential: {what}[{index}].{field} must be a "
                    f"{'number' if kind is float else 'integer' if kind is int else 'non-empty string'}"
                )
    return [dict(e) for e in entries]


def load_referential(path: Optional[str]) -> tuple[list[Entry], list[Entry]]:
    """Stores and products from a JSON file `{"stores": [...], "products": [...]}`.

    Either list may be left out to keep the seed's; returns `(stores, products)`.
    """
    stores, products = [dict(s) for s in DEFAULT_STORES], [dict(p) for p in DEFAULT_PRODUCTS]
    if not path:
        return stores, products
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"referential: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"referential: {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not set(data) <= {"stores", "products"} or not data:
        raise ConfigError(f"referential: {path} must be a JSON object with 'stores' and/or 'products'")
    if "stores" in data:
        stores = _check_entries(data["stores"], STORE_FIELDS, "stores")
    if "products" in data:
        products = _check_entries(data["products"], PRODUCT_FIELDS, "products")
    return stores, products


# ----------------------------------------------------------------------------- identifiers


class IdAllocator:
    """Hands out transaction ids unique across restarts and producer instances, as decimal strings.

    id = prefix * 1,000,000 + counter. A block is a prefix drawn uniformly from 1..9,223,372,036,853
    by the OS CSPRNG (os.urandom through random.SystemRandom; never the --seed generator) and its
    1,000,000 counter values, handed out in order. Each process draws a block at start and
    whenever one is used up, and never the same prefix twice: ids of one process never repeat.
    Ids of different processes (instances side by side, or one after another) can only collide
    if two blocks share a prefix; with n blocks drawn in all, the chance of any collision is at
    most n(n-1)/2 / 9,223,372,036,853: 1,000 blocks (a thousand runs, or a billion messages)
    -> 5.4e-8, 100,000 blocks -> 5.4e-4. Ids are 64-bit signed integers (0 < id < 2**63:
    BIGINT); no clock is involved. The decimal layout makes a key one concatenation of two cached
    strings instead of an int-to-str conversion (a tenth of the per-message cost).
    """

    BLOCK = 1_000_000
    PREFIX_LIMIT = (2**63 - 1) // BLOCK  # prefixes 1 .. PREFIX_LIMIT - 1: every id < 2**63
    _LOW = [f"{i:03d}" for i in range(1000)]

    def __init__(self, randbelow: Optional[Callable[[int], int]] = None) -> None:
        # A fresh SystemRandom per generator (not one shared default built at import time).
        self._randbelow = randbelow or random.SystemRandom().randrange
        self._used: set[int] = set()
        self._prefix = ""
        self._next = self.BLOCK
        self.blocks = 0

    def _new_block(self) -> None:
        while True:
            prefix = 1 + self._randbelow(self.PREFIX_LIMIT - 1)
            if prefix not in self._used:
                break
        self._used.add(prefix)
        self.blocks += 1
        self._prefix = str(prefix)
        self._next = 0

    def keys(self, count: int) -> list[str]:
        """At most `count` fresh ids as decimal strings, fewer at the end of a thousand."""
        if self._next >= self.BLOCK:
            self._new_block()
        high, low = divmod(self._next, 1000)
        count = min(count, 1000 - low)
        self._next += count
        return list(map(f"{self._prefix}{high:03d}".__add__, self._LOW[low : low + count]))


def collision_bound(blocks: int) -> float:
    """Upper bound of the probability that any two of `blocks` random id blocks share a prefix."""
    return blocks * (blocks - 1) / 2 / (IdAllocator.PREFIX_LIMIT - 1)


# ----------------------------------------------------------------------------- messages


def _utc_second(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S.", time.gmtime(seconds))


class Picker:
    """Uniform draws with replacement from a list, in bulk and in C (random.choices() loops in Python).

    Up to 256 items: random bytes go through bytes.translate() to an index (the bytes above the
    largest multiple of the size are mapped to 255 and dropped, so the draw stays exactly
    uniform) and index the population. Up to 65,536 items: a random low byte and a random high
    byte below ceil(size / 256), drawn the same way, are interleaved into 16-bit words indexing
    the population padded with None to whole rows of 256 (words past the end are dropped). Both
    keep the tables small enough to stay in cache. Larger populations use random.choices().
    """

    _xlat: Optional[bytes]
    _byte_keep: float
    _rows: Optional[list[Optional[str]]]
    _keep: float
    _swap: bool

    def __init__(self, population: Iterable[str], rng: random.Random) -> None:
        self.population = list(population)
        size = len(self.population)
        if not size or not all(self.population):
            raise ValueError("population must be non-empty and hold no empty/false items")
        self._bits = rng.getrandbits
        self._choices = rng.choices
        if size <= 256:
            self._xlat, self._byte_keep = self._byte_map(size)
            self._rows = None
            self._keep = 1.0  # rejection happens among the bytes only
        elif size <= 65536:
            rows = -(-size // 256)
            self._xlat, self._byte_keep = self._byte_map(rows)
            self._rows = [*self.population, *[None] * (rows * 256 - size)]
            self._keep = size / (rows * 256)  # share of words that make a draw
            self._swap = sys.byteorder != "little"
        else:
            self._xlat = None

    @staticmethod
    def _byte_map(size: int) -> tuple[bytes, float]:
        """translate() table: byte -> byte % size below the largest multiple of size, else 255 (dropped)."""
        limit = 256 - 256 % size
        return bytes(b % size if b < limit else 255 for b in range(256)), limit / 256

    def _bytes(self, count: int) -> bytes:
        """About `count` uniform indices as bytes (see _byte_map)."""
        want = int(count / self._keep / self._byte_keep) + 16
        raw = self._bits(8 * want).to_bytes(want, "little").translate(self._xlat)
        return raw.replace(b"\xff", b"") if self._byte_keep < 1.0 else raw

    def draw(self, count: int) -> list[str]:
        if self._xlat is None:
            return self._choices(self.population, k=count)
        out: list[str] = []
        while len(out) < count:
            need = count - len(out)
            if self._rows is None:
                out.extend(map(self.population.__getitem__, self._bytes(need)))
                continue
            high = self._bytes(need)
            low = self._bits(8 * len(high)).to_bytes(len(high), "little")
            words = bytearray(2 * len(high))
            words[0::2], words[1::2] = (high, low) if self._swap else (low, high)
            out.extend(filter(None, map(self._rows.__getitem__, array("H", words))))
        del out[count:]
        return out


class MessageFactory:
    """Builds message chunks fast: precomputed JSON fragments, bulk random draws, f-strings.

    A message is the seed's JSON object (same field order and separators as json.dumps):
    transaction_id, store_id, city, latitude, longitude, product_name, brand, transaction_date
    (UTC, "YYYY-MM-DD HH:MM:SS.ffffff"), quantity (1..5), total_amount (5.00..499.99, uniform
    over the cents, always two decimals), customer_id (1..5000), payment_type (CASH, CARD).
    The Kafka key is the id. The clock is read once per DATE_GROUP messages.
    """

    def __init__(
        self,
        stores: Sequence[Mapping[str, Any]] = DEFAULT_STORES,
        products: Sequence[Mapping[str, Any]] = DEFAULT_PRODUCTS,
        seed: Optional[int] = None,
        ids: Optional[IdAllocator] = None,
    ) -> None:
        rng = random.Random(seed)
        self.ids = ids or IdAllocator()
        store_parts = [", ".join(f"{json.dumps(k)}: {json.dumps(s[k])}" for k in STORE_FIELDS) for s in stores]
        product_parts = [
            ", ".join(f"{json.dumps(k)}: {json.dumps(p[k])}" for k in PRODUCT_FIELDS) + ', "transaction_date": "'
            for p in products
        ]
        self._pairs: Optional[Picker] = None
        self._split: Optional[tuple[Picker, Picker]] = None  # stores, products
        if len(store_parts) * len(product_parts) <= MAX_PAIR_FRAGMENTS:
            self._pairs = Picker([f"{s}, {p}" for s in store_parts for p in product_parts], rng)
        else:  # a large referential: draw the store and the product separately
            self._split = Picker([s + ", " for s in store_parts], rng), Picker(product_parts, rng)
        # quantity and the units of total_amount in one draw (2,475 short strings), then the cents:
        # small tables instead of 49,500 amount strings, whose random reads miss the cache.
        self._quantity_units = Picker([f'{q}, "total_amount": {u}' for q in QUANTITIES for u in AMOUNT_UNITS], rng)
        self._cents = Picker([f"{c:02d}" for c in range(100)], rng)
        self._customers = Picker([str(c) for c in CUSTOMER_IDS], rng)
        self._payments = Picker(list(PAYMENT_TYPES), rng)
        self._second: Optional[int] = None
        self._second_text = ""

    def _pair_fragments(self, count: int) -> list[str]:
        if self._pairs is not None:
            return self._pairs.draw(count)
        assert self._split is not None  # one of the two is set in __init__
        stores, products = self._split
        return list(map(str.__add__, stores.draw(count), products.draw(count)))

    def chunk(self, count: int) -> tuple[list[str], list[str]]:
        """Up to `count` messages as two lists, keys and JSON values (fewer at the end of an id thousand)."""
        keys = self.ids.keys(count)
        count = len(keys)
        rows = zip(
            keys,
            self._pair_fragments(count),
            self._quantity_units.draw(count),
            self._cents.draw(count),
            self._customers.draw(count),
            self._payments.draw(count),
        )
        values: list[str] = []
        extend, clock, date = values.extend, time.time_ns, self._date
        for _group in range(0, count, DATE_GROUP):
            stamp = date(clock())
            extend(
                [
                    f'{{"transaction_id": {k}, {p}{stamp}", "quantity": {qu}.{c}, '
                    f'"customer_id": {i}, "payment_type": "{t}"}}'
                    for k, p, qu, c, i, t in islice(rows, DATE_GROUP)
                ]
            )
        return keys, values

    def _date(self, ns: int) -> str:
        micros = ns // 1000
        second = micros // 1_000_000
        if second != self._second:
            self._second, self._second_text = second, _utc_second(second)
        return f"{self._second_text}{micros % 1_000_000:06d}"


# ----------------------------------------------------------------------------- rate control


class TokenBucket:
    """Allows `rate` messages per second on average, with bursts of at most `capacity`.

    Tokens accrue with the elapsed (monotonic) time, so oversleeping does not lower the rate;
    the capacity (a quarter second of traffic) bounds the catch-up after a stall.
    """

    def __init__(self, rate: float, now: float, capacity: Optional[float] = None) -> None:
        self.rate = float(rate)
        self.capacity = capacity if capacity is not None else max(self.rate * 0.25, 2.0)
        self.tokens = min(1.0, self.capacity)
        self.last = now

    def take(self, want: int, now: float) -> int:
        elapsed = now - self.last
        if elapsed > 0:
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.last = now
        granted = min(want, int(self.tokens))
        if granted > 0:
            self.tokens -= granted
        return granted

    def refund(self, count: int) -> None:
        self.tokens += count

    def wait(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1.0 - self.tokens) / self.rate)


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Option:
    name: str
    kind: str  # str | int | float | bool | path
    default: Any
    help: str
    short: str = ""
    cli: bool = True
    secret: bool = False
    choices: tuple[str, ...] = ()
    minimum: Optional[float] = None
    metavar: Optional[str] = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTIONS = (
    Option("brokers", "str", "localhost:9092", "Kafka bootstrap servers, host:port[,host:port...]", short="-b"),
    Option("topic", "str", "retails", "topic to produce to", short="-t"),
    Option("rate", "float", 1000.0, "messages per second; 0 = as fast as possible", short="-r", minimum=0),
    Option("count", "int", 0, "stop after this many messages; 0 = no limit", short="-n", minimum=0),
    Option("duration", "float", 0.0, "stop after this many seconds; 0 = no limit", short="-d", minimum=0),
    Option("referential", "path", None, "JSON file with 'stores' and/or 'products' lists replacing the seed's"),
    Option("seed", "int", None, "seed of the data generator (ids stay random)"),
    Option(
        "security_protocol",
        "str",
        "PLAINTEXT",
        "Kafka security.protocol",
        choices=("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    ),
    Option(
        "sasl_mechanism",
        "str",
        None,
        "Kafka sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)",
        choices=("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"),
    ),
    Option("sasl_username", "str", None, "Kafka sasl.username"),
    Option(
        "sasl_password", "str", None, "Kafka sasl.password (config file or environment only)", cli=False, secret=True
    ),
    Option("ssl_ca_location", "path", None, "Kafka ssl.ca.location: CA certificate(s) file (PEM)"),
    Option("compression", "str", "lz4", "compression.type", choices=("none", "gzip", "snappy", "lz4", "zstd")),
    Option(
        "linger_ms",
        "float",
        None,
        "linger.ms: how long the client waits to fill a batch "
        f"(default: {LINGER_MS_FULL_SPEED:g} at --rate 0, for throughput; {LINGER_MS_RATE:g} otherwise, for latency)",
        minimum=0,
    ),
    Option("progress_interval", "float", 5.0, "seconds between progress lines; 0 = none", minimum=0),
    Option("flush_timeout", "float", 30.0, "seconds to wait for outstanding acknowledgements at the end", minimum=0),
    Option("metadata_timeout", "float", 10.0, "seconds to wait for the brokers at start", minimum=0.1),
    Option("create_topic", "bool", False, "create the topic when it does not exist"),
    Option("partitions", "int", 1, "partitions of a topic created by --create-topic", minimum=1),
    Option("replication_factor", "int", 1, "replication factor of a topic created by --create-topic", minimum=1),
    Option(
        "dry_run",
        "bool",
        False,
        "print messages (one JSON per line) instead of sending; "
        "as fast as possible; 10 messages unless --count/--duration",
    ),
    Option("print_keys", "bool", False, "with --dry-run, print 'key<TAB>value' lines (for kcat -P -K '\\t')"),
)
OPTION_BY_NAME = {o.name: o for o in OPTIONS}
# Client properties the program sets itself: a `librdkafka` section of the file may not change them.
RESERVED_CLIENT_PROPERTIES = {
    "acks",
    "request.required.acks",
    "enable.idempotence",
    "bootstrap.servers",
    "metadata.broker.list",
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "ssl.ca.location",
    "compression.type",
    "compression.codec",
    "linger.ms",
    "queue.buffering.max.ms",
    "delivery.report.only.error",
    "on_delivery",
    "error_cb",
    "logger",
}
DRY_RUN_DEFAULT_COUNT = 10


def _normalize_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(".", "_")


def _convert(option: Option, value: Any, source: str) -> Any:
    """Convert a raw value (str from env/CLI, JSON value from the file) to the option's type."""
    where = f"{option.name} ({source})"
    result: Any
    try:
        if option.kind == "bool":
            if isinstance(value, bool):
                result = value
            elif isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
                result = True
            elif isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
                result = False
            else:
                raise ValueError
        elif option.kind == "int":
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError
            result = int(value)
        elif option.kind == "float":
            if isinstance(value, bool):
                raise ValueError
            result = float(value)
            if not math.isfinite(result):
                raise ValueError
        else:
            if not isinstance(value, str):
                raise ValueError
            result = value.strip() if option.kind == "path" else value
            if result == "":
                return None
    except (TypeError, ValueError):
        expected = {"bool": "true or false", "int": "an integer", "float": "a number"}.get(option.kind, "a string")
        shown = "<hidden>" if option.secret else repr(value)
        raise ConfigError(f"{where}: expected {expected}, got {shown}") from None
    if option.minimum is not None and result < option.minimum:
        raise ConfigError(f"{where}: must be >= {option.minimum:g}, got {result}")
    if option.choices:
        matches = [c for c in option.choices if c.lower() == str(result).lower()]
        if not matches:
            raise ConfigError(f"{where}: must be one of {', '.join(option.choices)}, got {result!r}")
        result = matches[0]
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        allow_abbrev=False,
        argument_default=argparse.SUPPRESS,
        description="Produce retail transactions (JSON) to Kafka. Precedence: defaults < --config file "
        f"< {ENV_PREFIX}* environment < command line.",
        epilog="The SASL password is read only from the config file (sasl_password) or "
        f"{ENV_PREFIX}SASL_PASSWORD, and never printed. Exit codes: 0 all acknowledged, "
        "1 messages failed or unconfirmed, 2 configuration or connection error at start.",
    )
    parser.add_argument(
        "-c",
        "--config",
        metavar="FILE",
        help=f"JSON file of settings (keys as the long options, '-' or '_'); also {ENV_PREFIX}CONFIG",
    )
    for option in OPTIONS:
        if not option.cli:
            continue
        names = [n for n in (option.short, option.flag) if n]
        default_text = "" if option.default in (None, False) else f" (default: {option.default})"
        if option.kind == "bool":
            parser.add_argument(
                *names, dest=option.name, action=argparse.BooleanOptionalAction, help=option.help + default_text
            )
        else:
            parser.add_argument(
                *names, dest=option.name, metavar=option.metavar or option.name.upper(), help=option.help + default_text
            )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    return parser


def _refuse_password_on_cli(argv: Iterable[str]) -> None:
    for arg in argv:
        if arg.lstrip("-").replace("_", "-").lower().startswith("sasl-password"):
            raise ConfigError(
                f"the SASL password is not accepted on the command line (it would show in the process "
                f"list); put sasl_password in the --config file or set {ENV_PREFIX}SASL_PASSWORD"
            )


def _load_file(path: str) -> tuple[Settings, Settings]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ConfigError(f"config: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"config: {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config: {path} must hold a JSON object")
    values: Settings = {}
    client: Settings = {}
    for raw_key, value in data.items():
        key = _normalize_key(raw_key)
        if key == "librdkafka":
            client = _check_client_properties(value, path)
        elif key in OPTION_BY_NAME:
            values[key] = _convert(OPTION_BY_NAME[key], value, f"file {path}")
        else:
            raise ConfigError(
                f"config: {path}: unknown setting {raw_key!r}; known: {', '.join(OPTION_BY_NAME)}, librdkafka"
            )
    if values.get("sasl_password") and mode & (stat.S_IRGRP | stat.S_IROTH):
        warn(f"config file {path} holds sasl_password and is readable by other users; chmod 600 it")
    return values, client


def _check_client_properties(value: object, path: str) -> Settings:
    if not isinstance(value, dict):
        raise ConfigError(f"config: {path}: 'librdkafka' must be an object of client properties")
    for key, item in value.items():
        if key in RESERVED_CLIENT_PROPERTIES:
            raise ConfigError(
                f"config: {path}: librdkafka property {key!r} is set by the program "
                "(use the matching setting, or it cannot change)"
            )
        if not isinstance(item, (str, int, float, bool)):
            raise ConfigError(f"config: {path}: librdkafka property {key!r} must be a string, number or boolean")
    return dict(value)


def load_config(
    argv: Optional[Sequence[str]] = None, environ: Optional[Mapping[str, str]] = None
) -> tuple[Settings, Settings, dict[str, str]]:
    """Merge defaults < config file < environment < command line; return (settings, client_properties, sources).

    `sources` maps each setting to where its value came from (default, file, env, cli).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    environ = os.environ if environ is None else environ
    _refuse_password_on_cli(argv)
    args = vars(build_parser().parse_args(argv))
    settings: Settings = {o.name: o.default for o in OPTIONS}
    sources = {o.name: "default" for o in OPTIONS}
    client: Settings = {}

    config_path = args.pop("config", None) or environ.get(ENV_PREFIX + "CONFIG") or None
    if config_path:
        values, client = _load_file(config_path)
        settings.update(values)
        sources.update(dict.fromkeys(values, "file"))

    for key in sorted(environ):
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if name not in OPTION_BY_NAME:
            warn(f"ignoring unknown environment variable {key}")
            continue
        settings[name] = _convert(OPTION_BY_NAME[name], environ[key], f"environment {key}")
        sources[name] = "env"

    for name, value in args.items():
        settings[name] = value if isinstance(value, bool) else _convert(OPTION_BY_NAME[name], value, "command line")
        sources[name] = "cli"

    _check_consistency(settings)
    return settings, client, sources


def _check_consistency(settings: Settings) -> None:
    sasl = settings["security_protocol"].startswith("SASL_")
    if not sasl and any(settings[k] for k in ("sasl_mechanism", "sasl_username", "sasl_password")):
        raise ConfigError(
            f"sasl_* settings need security_protocol SASL_PLAINTEXT or SASL_SSL (it is {settings['security_protocol']})"
        )
    if sasl and (settings["sasl_mechanism"] or "PLAIN") != "OAUTHBEARER":
        if not settings["sasl_username"] or not settings["sasl_password"]:
            raise ConfigError(
                f"security_protocol {settings['security_protocol']} needs sasl_username and "
                f"sasl_password (the password from the config file or {ENV_PREFIX}SASL_PASSWORD)"
            )
    if settings["ssl_ca_location"] and not os.path.exists(settings["ssl_ca_location"]):
        raise ConfigError(f"ssl_ca_location: {settings['ssl_ca_location']} does not exist")
    if settings["print_keys"] and not settings["dry_run"]:
        raise ConfigError("--print-keys only applies with --dry-run")


def describe(settings: Settings, sources: Mapping[str, str]) -> str:
    """One line of the effective settings; secrets show as <set>."""
    parts = []
    for option in OPTIONS:
        value = settings[option.name]
        if option.secret:
            shown = "<set>" if value else "<unset>"
        elif value is None:
            continue
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
        suffix = "" if sources.get(option.name) == "default" else f"[{sources[option.name]}]"
        parts.append(f"{option.name}={shown}{suffix}")
    return " ".join(parts)


def linger_ms(settings: Settings) -> float:
    if settings["linger_ms"] is not None:
        return float(settings["linger_ms"])
    return LINGER_MS_RATE if settings["rate"] else LINGER_MS_FULL_SPEED


def client_config(settings: Settings, extra: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """librdkafka properties of the producer (without callbacks)."""
    conf: dict[str, Any] = {
        "bootstrap.servers": settings["brokers"],
        "client.id": f"{PROG}-{os.getpid()}",
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": settings["compression"],
        "linger.ms": linger_ms(settings),
        "batch.num.messages": 10000,
        "batch.size": 1000000,
        "queue.buffering.max.messages": QUEUE_MAX_MESSAGES,
        "queue.buffering.max.kbytes": 131072,
        "delivery.report.only.error": True,
        # The first connection to a broker learned from the bootstrap one waits out half of this
        # (librdkafka's sparse-connection interval): 50 ms at the default 100. Backoff still grows
        # exponentially to reconnect.backoff.max.ms when a broker stays down.
        "reconnect.backoff.ms": 10,
        "security.protocol": settings["security_protocol"],
    }
    for key, prop in (
        ("sasl_mechanism", "sasl.mechanism"),
        ("sasl_username", "sasl.username"),
        ("sasl_password", "sasl.password"),
        ("ssl_ca_location", "ssl.ca.location"),
    ):
        if settings[key]:
            conf[prop] = settings[key]
    if settings["security_protocol"].startswith("SASL_") and "sasl.mechanism" not in conf:
        conf["sasl.mechanism"] = "PLAIN"
    conf.update(extra or {})
    return conf


# ----------------------------------------------------------------------------- output


def warn(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


class Stop:
    """SIGINT/SIGTERM: the first asks to stop producing and flush, a second abandons the flush."""

    def __init__(self) -> None:
        self.requested: Optional[str] = None
        self.abandon = False

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: Optional[FrameType]) -> None:
        name = signal.Signals(signum).name
        if self.requested is None:
            self.requested = name
            warn(f"{name} received: stopping, waiting for acknowledgements (again to give up)")
        else:
            self.abandon = True


# ----------------------------------------------------------------------------- sending


def _quiet_logger() -> logging.Logger:
    """librdkafka's log lines are dropped: errors reach us through error_cb, rate-limited."""
    quiet = logging.getLogger(f"{PROG}.librdkafka")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
    return quiet


class Counters:
    def __init__(self) -> None:
        self.produced = 0  # handed to the client
        self.failed = 0  # rejected by the client or reported failed by Kafka
        self.errors: dict[str, int] = {}  # error name -> count
        self.fatal: Optional[str] = None
        self.counting = True

    def failure(self, name: str, count: int = 1) -> None:
        if self.counting:
            self.failed += count
            self.errors[name] = self.errors.get(name, 0) + count


class Sender:
    CHUNK = 1000

    def __init__(
        self, settings: Settings, client_props: Settings, factory: MessageFactory, stop: Stop, out: IO[str] = sys.stderr
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.stop = stop
        self.out = out
        self.counters = Counters()
        self._last_error: dict[int, tuple[float, int]] = {}  # error code -> (last reported, repeats since)
        self.last_error_text = ""
        self.auth_failed = False
        self.stopped_by: Optional[str] = None
        self.elapsed = 0.0
        self.flush_seconds = 0.0
        self.unconfirmed = 0
        self.producer: Optional[Producer] = None
        self._client_props = client_props

    @property
    def client(self) -> Producer:
        """The producer connect() made."""
        if self.producer is None:
            raise RuntimeError("Sender.connect() has not run")
        return self.producer

    # -- callbacks (served by poll/flush in the main thread)

    def _on_delivery(self, err: Optional[_KafkaError], _msg: Message) -> None:
        if err is not None:
            self.counters.failure(err.name())

    def _on_error(self, err: _KafkaError) -> None:
        from confluent_kafka import KafkaError  # pylint: disable=import-outside-toplevel

        text = err.str()
        if err.code() != KafkaError._ALL_BROKERS_DOWN:  # pylint: disable=protected-access  # says less than the cause
            self.last_error_text = text
        if err.code() == KafkaError._AUTHENTICATION:  # pylint: disable=protected-access
            self.auth_failed = True
        if err.fatal():
            self.counters.fatal = text
            if self.stop.requested is None:
                self.stop.requested = "fatal-error"
        now = time.monotonic()
        last, repeats = self._last_error.get(err.code(), (-1e9, 0))
        if now - last >= ERROR_REPORT_INTERVAL or err.fatal():  # one line per kind of error per interval
            again = f" (and {repeats} more like it)" if repeats else ""
            self._last_error[err.code()] = (now, 0)
            warn(f"kafka: {text}{' (fatal)' if err.fatal() else ''}{again}")
        else:
            self._last_error[err.code()] = (last, repeats + 1)

    def connect(self) -> None:
        from confluent_kafka import KafkaException, Producer  # pylint: disable=import-outside-toplevel

        conf = client_config(self.settings, self._client_props)
        conf.update({"on_delivery": self._on_delivery, "error_cb": self._on_error, "logger": _quiet_logger()})
        try:
            self.producer = Producer(conf)
        except KafkaException as exc:
            raise ConfigError(f"invalid Kafka client configuration: {exc.args[0].str()}") from None
        self._check_topic()
        self._nudge_idempotence()

    def _nudge_idempotence(self) -> None:
        """One more metadata request, so the idempotent producer gets its producer id now.

        librdkafka >= 2.10 drops the bootstrap connection once it knows the brokers; when its
        producer-id request falls in that moment, it only retries 500 ms later, and until then
        nothing is sent (the local queue fills and waits). A metadata response from a known
        broker makes it retry at once. Measured with 2.16 (one message, start to exit): 0.58 s in 3
        runs of 8 without it, 0.10 s in 8 of 8 with it (and reconnect.backoff.ms=10).
        """
        from confluent_kafka import KafkaException  # pylint: disable=import-outside-toplevel

        try:
            self.client.list_topics(self.settings["topic"], timeout=1.0)
        except KafkaException:
            pass  # only an optimisation: produce() works without it

    def _metadata(self, deadline: float) -> ClusterMetadata:
        from confluent_kafka import KafkaException  # pylint: disable=import-outside-toplevel

        topic = self.settings["topic"]
        while True:
            left = deadline - time.monotonic()
            if self.stop.requested:
                raise ConfigError(f"stopped ({self.stop.requested}) while waiting for the brokers")
            try:
                metadata: ClusterMetadata = self.client.list_topics(topic, timeout=max(0.1, min(1.0, left)))
                return metadata
            except KafkaException as exc:
                self.client.poll(0)  # serve error_cb: its text says more (refused, TLS, SASL...)
                if time.monotonic() >= deadline:
                    detail = self.last_error_text or exc.args[0].str()
                    if self.auth_failed:
                        raise ConfigError(
                            f"Kafka authentication failed at {self.settings['brokers']} ({detail}); "
                            "check the sasl_* settings"
                        ) from None
                    raise ConfigError(
                        f"no Kafka broker reachable at {self.settings['brokers']} within "
                        f"{self.settings['metadata_timeout']:g}s ({detail}); check --brokers, the security settings "
                        "and that the brokers run"
                    ) from None

    def _check_topic(self) -> None:
        from confluent_kafka import KafkaError  # pylint: disable=import-outside-toplevel

        topic = self.settings["topic"]
        deadline = time.monotonic() + self.settings["metadata_timeout"]
        metadata = self._metadata(deadline)
        info = metadata.topics.get(topic)
        err = info.error if info is not None else None
        if info is not None and err is None:
            return
        if err is not None and err.code() not in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.LEADER_NOT_AVAILABLE):
            raise ConfigError(f"topic {topic!r}: {err.str()}")
        if err is not None and err.code() == KafkaError.LEADER_NOT_AVAILABLE:
            return  # being created (broker-side auto-creation): produce() waits for the leader
        if not self.settings["create_topic"]:
            raise ConfigError(
                f"topic {topic!r} does not exist on {self.settings['brokers']}; create it, or pass --create-topic"
            )
        self._create_topic(deadline)

    def _create_topic(self, deadline: float) -> None:
        from confluent_kafka import KafkaError, KafkaException  # pylint: disable=import-outside-toplevel
        from confluent_kafka.admin import AdminClient, NewTopic  # pylint: disable=import-outside-toplevel

        topic = self.settings["topic"]
        admin_conf: dict[str, Any] = {
            k: v
            for k, v in client_config(self.settings, self._client_props).items()
            if k in ("bootstrap.servers", "security.protocol", "ssl.ca.location") or k.startswith("sasl.")
        }
        admin_conf["logger"] = _quiet_logger()
        admin = AdminClient(admin_conf)
        new = NewTopic(
            topic, num_partitions=self.settings["partitions"], replication_factor=self.settings["replication_factor"]
        )
        try:
            admin.create_topics([new], request_timeout=max(1.0, deadline - time.monotonic()))[topic].result()
            warn(
                f"created topic {topic!r} ({self.settings['partitions']} partition(s), "
                f"replication factor {self.settings['replication_factor']})"
            )
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ConfigError(f"cannot create topic {topic!r}: {exc.args[0].str()}") from None

    # -- main loop

    def run(self) -> dict[str, Any]:
        settings = self.settings
        producer = self.client
        poll = producer.poll
        counters = self.counters
        factory = self.factory
        stop = self.stop
        qmax = QUEUE_MAX_MESSAGES - self.CHUNK
        start = time.monotonic()
        deadline = start + settings["duration"] if settings["duration"] else float("inf")
        remaining = settings["count"] or float("inf")
        bucket = TokenBucket(settings["rate"], start) if settings["rate"] else None
        progress = Progress(self, start, settings["progress_interval"])
        chunk_max = self.CHUNK
        while True:
            if stop.requested:
                self.stopped_by = stop.requested
                break
            now = time.monotonic()
            if now >= progress.next_at:
                progress.report(now)
            if now >= deadline:
                self.stopped_by = "duration"
                break
            if len(producer) > qmax:  # local queue full (broker slow or down): wait, keep reporting
                poll(QUEUE_FULL_WAIT)
                continue
            want = chunk_max if remaining > chunk_max else int(remaining)
            if bucket is not None:
                want = bucket.take(want, now)
                if want == 0:
                    poll(min(max(bucket.wait(), 0.001), 0.1, max(deadline - now, 0.0)))
                    continue
            keys, values = factory.chunk(want)
            got = len(keys)
            if bucket is not None and got < want:
                bucket.refund(want - got)
            counters.produced += self._produce(keys, values)
            remaining -= got
            if remaining <= 0:
                self.stopped_by = "count"
                break
            poll(0)
        self.elapsed = time.monotonic() - start
        self._flush(progress)
        return self.summary()

    def _produce(self, keys: list[str], values: list[str]) -> int:
        """produce() every message; return how many were handed to the client.

        The loop runs in C (map() consumed by a zero-length deque): a Python for loop costs a
        tenth more per message. When produce() raises, the iterators tell which message failed
        (map() has just taken it). A full local queue is waited out and the message retried;
        when asked to stop meanwhile, the rest of the chunk is dropped (never produced). Other
        refusals count as failed.
        """
        from confluent_kafka import KafkaException  # pylint: disable=import-outside-toplevel

        produce, topic = self.client.produce, self.settings["topic"]
        total, start = len(keys), 0
        while start < total:
            value_iter, key_iter = iter(values[start:] if start else values), iter(keys[start:] if start else keys)
            try:
                deque(map(produce, repeat(topic), value_iter, key_iter), maxlen=0)
                return total
            except BufferError:
                # Over queue.buffering.max.kbytes: rare, since run() keeps the count below its limit.
                start = total - length_hint(value_iter) - 1  # the message that was refused
                if self.stop.requested:
                    return start
                self.client.poll(QUEUE_FULL_WAIT)
            except KafkaException as exc:
                self.counters.failure(exc.args[0].name())
                start = total - length_hint(value_iter)  # skip the refused message
        return total

    def _flush(self, progress: Progress) -> None:
        producer = self.client
        began = time.monotonic()
        deadline = began + self.settings["flush_timeout"]
        while len(producer) > 0 and not self.stop.abandon:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            producer.flush(min(left, 0.5))
            now = time.monotonic()
            if now >= progress.next_at:
                progress.report(now)
        producer.poll(0)
        self.flush_seconds = time.monotonic() - began
        self.unconfirmed = len(producer)
        self.counters.counting = False  # what is purged below stays "unconfirmed", not "failed"
        if self.unconfirmed:
            producer.purge(in_queue=True, in_flight=True, blocking=False)
            producer.poll(0)

    def summary(self) -> dict[str, Any]:
        c = self.counters
        delivered = c.produced - c.failed - self.unconfirmed
        rate = c.produced / self.elapsed if self.elapsed > 0 else 0.0
        return {
            "produced": c.produced,
            "delivered": delivered,
            "failed": c.failed,
            "unconfirmed": self.unconfirmed,
            "elapsed": self.elapsed,
            "flush": self.flush_seconds,
            "rate": rate,
            "stopped_by": self.stopped_by or "-",
            "errors": dict(c.errors),
            "fatal": c.fatal,
            "id_blocks": self.factory.ids.blocks,
        }


class Progress:
    def __init__(self, sender: Sender, start: float, interval: float) -> None:
        self.sender = sender
        self.start = start
        self.interval = interval
        self.next_at = start + interval if interval else float("inf")
        self._last_time = start
        self._last_count = 0

    def report(self, now: float) -> None:
        sender = self.sender
        produced = sender.counters.produced
        span = now - self._last_time
        rate = (produced - self._last_count) / span if span > 0 else 0.0
        self._last_time, self._last_count = now, produced
        queued = len(sender.client)
        print(
            f"progress: t={now - self.start:.1f}s rate={rate:.0f} msg/s produced={produced} "
            f"delivered={produced - sender.counters.failed - queued} failed={sender.counters.failed} "
            f"queued={queued}",
            file=sender.out,
            flush=True,
        )
        while self.next_at <= now:
            self.next_at += self.interval


def format_summary(summary: Mapping[str, Any]) -> str:
    line = (
        f"summary: produced={summary['produced']} delivered={summary['delivered']} failed={summary['failed']} "
        f"unconfirmed={summary['unconfirmed']} elapsed={summary['elapsed']:.3f}s flush={summary['flush']:.3f}s "
        f"rate={summary['rate']:.0f} msg/s stopped_by={summary['stopped_by']} id_blocks={summary['id_blocks']}"
    )
    if summary["errors"]:
        line += " errors=" + ",".join(f"{name}:{count}" for name, count in sorted(summary["errors"].items()))
    if summary["fatal"]:
        line += f" fatal={summary['fatal']!r}"
    return line


# ----------------------------------------------------------------------------- dry run


def dry_run(settings: Settings, factory: MessageFactory, stop: Stop, out: Optional[IO[str]] = None) -> int:
    out = out or sys.stdout
    count = settings["count"]
    if not count and not settings["duration"]:
        count = DRY_RUN_DEFAULT_COUNT
    remaining = count or float("inf")
    deadline = time.monotonic() + settings["duration"] if settings["duration"] else float("inf")
    printed = 0
    write = out.write
    while remaining > 0 and not stop.requested and time.monotonic() < deadline:
        keys, values = factory.chunk(int(min(Sender.CHUNK, remaining)))
        if settings["print_keys"]:
            write("".join(f"{k}\t{v}\n" for k, v in zip(keys, values)))
        else:
            write("\n".join(values) + "\n")
        printed += len(keys)
        remaining -= len(keys)
    out.flush()
    return printed


# ----------------------------------------------------------------------------- main


def main(argv: Optional[Sequence[str]] = None, environ: Optional[Mapping[str, str]] = None) -> int:
    stop = Stop()
    try:
        settings, client_props, sources = load_config(argv, environ)
        stores, products = load_referential(settings["referential"])
        factory = MessageFactory(stores, products, seed=settings["seed"])
        stop.install()
        if settings["dry_run"]:
            try:
                dry_run(settings, factory, stop)
            except BrokenPipeError:
                # The reader went away (e.g. `| head`): not an error; keep Python's exit quiet.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        warn(f"{VERSION} {describe(settings, sources)}")
        sender = Sender(settings, client_props, factory, stop)
        sender.connect()
    except ConfigError as exc:
        warn(f"error: {exc}")
        return EXIT_CONFIG
    summary = sender.run()
    print(format_summary(summary), flush=True)
    if summary["failed"] or summary["unconfirmed"] or summary["fatal"]:
        return EXIT_UNDELIVERED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
