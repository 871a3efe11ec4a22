"""What SingleStore knows about databases and tables that MariaDB does not, and the views built on it.

The double records, per database, the partition count, and per table the storage type, the
shard key and the sort key (all stripped from the DDL before MariaDB sees it). The record is a
JSON file under ``--state-dir`` (written to a temporary name, then renamed).

SingleStore's catalog views are answered by MariaDB itself: a reference to
``information_schema.TABLES|STATISTICS|DISTRIBUTED_PARTITIONS|USERS`` in a client's statement is
replaced by a derived table (``(SELECT ...) AS TABLES``) built here from MariaDB's own
information_schema plus the recorded facts as literal rows. The statement runs as the client's
MariaDB account, so MariaDB's privilege filtering of information_schema still applies, and no
schema or view of the double's is visible to clients.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .sqllex import quote_ident, quote_string

log = logging.getLogger("double.catalog")

DEFAULT_PARTITIONS = 8
# MariaDB index standing in for a columnstore SORT KEY (ddl.py); hidden from the catalog views.
SORT_INDEX_NAME = "__s2double_sort_key"
SYSTEM_SCHEMAS = ("information_schema", "mysql", "performance_schema", "sys")
COLUMNSTORE = "COLUMNSTORE"
ROWSTORE = "INMEMORY_ROWSTORE"


@dataclass
class TableMeta:
    storage: str = COLUMNSTORE                  # COLUMNSTORE | INMEMORY_ROWSTORE
    reference: bool = False
    shard_key: Optional[list[str]] = None       # effective shard key; [] keyless; None for reference tables
    shard_explicit: bool = False                # written as SHARD KEY (...) in the DDL
    sort_key: Optional[list[list]] = None       # [[column, desc], ...]; None: no sort key (columnstore: unordered)
    sort_name: Optional[str] = None             # index name of the sort key (its first column, made unique)
    compression: Optional[str] = None           # the table's COMPRESSION option (SPARSE / NONE), when given

    @classmethod
    def from_json(cls, d: dict) -> "TableMeta":
        return cls(storage=d.get("storage", COLUMNSTORE), reference=bool(d.get("reference")),
                   shard_key=d.get("shard_key"), shard_explicit=bool(d.get("shard_explicit")),
                   sort_key=d.get("sort_key"), sort_name=d.get("sort_name"), compression=d.get("compression"))

    @property
    def sort_index_name(self) -> Optional[str]:
        if not self.sort_key:
            return None
        return self.sort_name or self.sort_key[0][0]

    def rename_column(self, old: str, new: str) -> None:
        if self.shard_key:
            self.shard_key = [new if c.lower() == old.lower() else c for c in self.shard_key]
        if self.sort_key:
            self.sort_key = [[new if c.lower() == old.lower() else c, d] for c, d in self.sort_key]


@dataclass
class DbMeta:
    partitions: int = DEFAULT_PARTITIONS
    id: int = 0


@dataclass
class Catalog:
    path: Optional[Path] = None
    databases: dict[str, DbMeta] = field(default_factory=dict)
    tables: dict[tuple[str, str], TableMeta] = field(default_factory=dict)
    next_db_id: int = 1
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- persistence ------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Optional[Path]) -> "Catalog":
        cat = cls(path=path)
        if path is None or not path.exists():
            return cat
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            log.warning("ignoring unreadable catalog %s: %s", path, e)
            return cat
        for name, d in data.get("databases", {}).items():
            cat.databases[name] = DbMeta(partitions=int(d.get("partitions", DEFAULT_PARTITIONS)), id=int(d.get("id", 0)))
        for t in data.get("tables", []):
            cat.tables[(t["db"], t["table"])] = TableMeta.from_json(t)
        cat.next_db_id = int(data.get("next_db_id", 1 + max([d.id for d in cat.databases.values()] or [0])))
        return cat

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            data = {
                "databases": {k: asdict(v) for k, v in sorted(self.databases.items())},
                "tables": [{"db": db, "table": t, **asdict(m)} for (db, t), m in sorted(self.tables.items())],
                "next_db_id": self.next_db_id,
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".catalog.", dir=self.path.parent)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)

    # -- changes ----------------------------------------------------------------------------
    def add_database(self, name: str, partitions: int) -> None:
        with self._lock:
            self.databases[name] = DbMeta(partitions=partitions, id=self.next_db_id)
            self.next_db_id += 1
            for key in [k for k in self.tables if k[0] == name]:
                del self.tables[key]
            self.save()

    def drop_database(self, name: str) -> None:
        with self._lock:
            self.databases.pop(name, None)
            for key in [k for k in self.tables if k[0] == name]:
                del self.tables[key]
            self.save()

    def put_table(self, db: str, table: str, meta: TableMeta) -> None:
        with self._lock:
            self.tables[(db, table)] = meta
            self.save()

    def get_table(self, db: Optional[str], table: str) -> Optional[TableMeta]:
        if db is None:
            return None
        return self.tables.get((db, table))

    def drop_table(self, db: str, table: str) -> None:
        with self._lock:
            if self.tables.pop((db, table), None) is not None:
                self.save()

    def rename_table(self, old: tuple[str, str], new: tuple[str, str]) -> None:
        with self._lock:
            meta = self.tables.pop(old, None)
            if meta is not None:
                self.tables[new] = meta
                self.save()

    def prune(self, existing_dbs: Iterable[str], existing_tables: Iterable[tuple[str, str]]) -> None:
        """Forget what MariaDB no longer has (a data dir that was wiped while the state dir stayed)."""
        dbs, tabs = set(existing_dbs), set(existing_tables)
        with self._lock:
            gone_db = [d for d in self.databases if d not in dbs]
            gone_t = [k for k in self.tables if k not in tabs]
            for d in gone_db:
                del self.databases[d]
            for k in gone_t:
                del self.tables[k]
            if gone_db or gone_t:
                log.info("catalog: forgot %d databases and %d tables MariaDB no longer has", len(gone_db), len(gone_t))
                self.save()

    def partitions(self, db: str) -> int:
        meta = self.databases.get(db)
        return meta.partitions if meta else DEFAULT_PARTITIONS


# ------------------------------------------------------------------------------ derived tables


def _lit(v, bs: bool) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return quote_string(str(v), bs)


def literal_rows(names: Sequence[str], rows: Sequence[Sequence], bs: bool = True) -> str:
    """``SELECT v AS n, ... UNION ALL SELECT ...``; an empty, correctly named set when no rows."""
    if not rows:
        return "SELECT " + ", ".join(f"NULL AS {quote_ident(n)}" for n in names) + " FROM DUAL WHERE 0"
    parts = []
    for i, row in enumerate(rows):
        if i == 0:
            parts.append("SELECT " + ", ".join(f"{_lit(v, bs)} AS {quote_ident(n)}" for n, v in zip(names, row)))
        else:
            parts.append("SELECT " + ", ".join(_lit(v, bs) for v in row))
    return " UNION ALL ".join(parts)


def _beq(a: str, b: str) -> str:
    """Case- and accent-sensitive equality (SingleStore names are case-sensitive)."""
    return f"CAST({a} AS BINARY) = CAST({b} AS BINARY)"


_SYS = ", ".join(f"'{s}'" for s in SYSTEM_SCHEMAS)


def tables_view(cat: Catalog, bs: bool) -> str:
    rows = [(db, t, m.storage, 1 if m.reference else 0) for (db, t), m in sorted(cat.tables.items())]
    meta = literal_rows(("db", "tbl", "storage", "reference"), rows, bs)
    not_table = "t.TABLE_TYPE <> 'BASE TABLE' OR t.TABLE_SCHEMA IN (" + _SYS + ")"
    return (
        f"SELECT t.*, CASE WHEN {not_table} THEN NULL "
        f"ELSE COALESCE(m.storage, '{COLUMNSTORE}') END AS STORAGE_TYPE, "
        f"CASE WHEN {not_table} THEN NULL WHEN m.reference = 1 THEN 0 ELSE 1 END AS DISTRIBUTED "
        f"FROM information_schema.TABLES t LEFT JOIN ({meta}) m "
        f"ON {_beq('m.db', 't.TABLE_SCHEMA')} AND {_beq('m.tbl', 't.TABLE_NAME')}"
    )


def statistics_view(cat: Catalog, stat_columns: Sequence[str], bs: bool) -> str:
    """MariaDB's STATISTICS plus SHARD and CLUSTERED COLUMNSTORE rows for the recorded keys.

    Tables the double has no record of (created behind its back) get their PRIMARY KEY as shard
    key, as SingleStore does when no SHARD KEY is given.
    """
    key_rows = []
    known = []
    for (db, t), m in sorted(cat.tables.items()):
        known.append((db, t))
        if m.shard_key:
            for i, col in enumerate(m.shard_key, 1):
                key_rows.append((db, t, "__SHARDKEY", i, col, "A", "SHARD"))
        if m.storage == COLUMNSTORE and m.sort_key:
            name = m.sort_index_name
            for i, (col, desc) in enumerate(m.sort_key, 1):
                key_rows.append((db, t, name, i, col, "D" if desc else "A", "CLUSTERED COLUMNSTORE"))
    keys = literal_rows(("db", "tbl", "index_name", "seq", "col", "collation", "index_type"), key_rows, bs)
    known_sql = literal_rows(("db", "tbl"), known, bs)
    cols = list(stat_columns)

    def select(mapping: dict[str, str]) -> str:
        return ", ".join(f"{mapping.get(c, 'NULL')} AS {quote_ident(c)}" for c in cols)

    extra = select({
        "TABLE_CATALOG": "'def'", "TABLE_SCHEMA": "c.TABLE_SCHEMA", "TABLE_NAME": "c.TABLE_NAME",
        "NON_UNIQUE": "1", "INDEX_SCHEMA": "c.TABLE_SCHEMA", "INDEX_NAME": "k.index_name",
        "SEQ_IN_INDEX": "k.seq", "COLUMN_NAME": "c.COLUMN_NAME", "COLLATION": "k.collation",
        "NULLABLE": "IF(c.IS_NULLABLE = 'YES', 'YES', '')", "INDEX_TYPE": "k.index_type",
        "COMMENT": "''", "INDEX_COMMENT": "''", "IGNORED": "'NO'",
    })
    implicit = select({
        "TABLE_CATALOG": "s.TABLE_CATALOG", "TABLE_SCHEMA": "s.TABLE_SCHEMA", "TABLE_NAME": "s.TABLE_NAME",
        "NON_UNIQUE": "1", "INDEX_SCHEMA": "s.INDEX_SCHEMA", "INDEX_NAME": "'__SHARDKEY'",
        "SEQ_IN_INDEX": "s.SEQ_IN_INDEX", "COLUMN_NAME": "s.COLUMN_NAME", "COLLATION": "'A'",
        "NULLABLE": "s.NULLABLE", "INDEX_TYPE": "'SHARD'", "COMMENT": "''", "INDEX_COMMENT": "''",
        "IGNORED": "'NO'",
    })
    plain = ", ".join(f"s.{quote_ident(c)}" for c in cols)
    return (
        f"SELECT {plain} FROM information_schema.STATISTICS s WHERE s.INDEX_NAME <> {quote_string(SORT_INDEX_NAME, bs)} "
        f"UNION ALL SELECT {extra} FROM information_schema.COLUMNS c JOIN ({keys}) k "
        f"ON {_beq('k.db', 'c.TABLE_SCHEMA')} AND {_beq('k.tbl', 'c.TABLE_NAME')} "
        "AND c.COLUMN_NAME = k.col "
        f"UNION ALL SELECT {implicit} FROM information_schema.STATISTICS s "
        f"WHERE s.INDEX_NAME = 'PRIMARY' AND s.TABLE_SCHEMA NOT IN ({_SYS}) AND NOT EXISTS ("
        f"SELECT 1 FROM ({known_sql}) kt WHERE {_beq('kt.db', 's.TABLE_SCHEMA')} AND {_beq('kt.tbl', 's.TABLE_NAME')})"
    )


def distributed_partitions_view(cat: Catalog, host: str, port: int, node_id: int, bs: bool) -> str:
    dbs = [(name, m.partitions, m.id) for name, m in sorted(cat.databases.items())]
    meta = literal_rows(("db", "partitions", "id"), dbs, bs)
    top = max([DEFAULT_PARTITIONS] + [p for _, p, _ in dbs])
    ordinals = " UNION ALL ".join(f"SELECT {i}" if i else "SELECT 0 AS n" for i in range(top))
    return (
        "SELECT COALESCE(d.id, 0) AS DATABASE_ID, s.SCHEMA_NAME AS DATABASE_NAME, o.n AS ORDINAL, "
        f"{quote_string(host, bs)} AS HOST, {int(port)} AS PORT, 'Master' AS ROLE, 0 AS LOCKED, "
        f"{int(node_id)} AS NODE_ID, 0 AS IS_OFFLINE, 1 AS SYNC_DESIRED, 'online' AS STATE "
        f"FROM information_schema.SCHEMATA s LEFT JOIN ({meta}) d ON {_beq('d.db', 's.SCHEMA_NAME')} "
        f"JOIN ({ordinals}) o ON o.n < COALESCE(d.partitions, {DEFAULT_PARTITIONS}) "
        f"WHERE s.SCHEMA_NAME NOT IN ({_SYS})"
    )


USERS_COLUMNS = (
    "USER", "HOST", "TYPE", "CONNECTIONS", "IS_DELETED", "LAST_UPDATED", "DEFAULT_RESOURCE_POOL",
    "IS_LOCAL", "CREATED", "PASSWORD_EXPIRATION", "PASSWORD_UPDATED", "EFFECTIVE_FAILED_LOGIN_ATTEMPTS",
    "EFFECTIVE_PASSWORD_LOCK_TIME", "ACCOUNT_STATUS",
)


def users_view(accounts: Sequence[tuple], bs: bool) -> str:
    """``accounts``: (user, host, locked, password_changed_epoch or None, connections)."""
    names = ("USER", "HOST", "TYPE", "CONNECTIONS", "IS_DELETED", "DEFAULT_RESOURCE_POOL", "IS_LOCAL",
             "PW_CHANGED", "EFFECTIVE_FAILED_LOGIN_ATTEMPTS", "EFFECTIVE_PASSWORD_LOCK_TIME", "ACCOUNT_STATUS")
    rows = [(u, h, "Native", int(conns), 0, "default_pool", 0, pw, 0, 0, "LOCKED" if locked else "OPEN")
            for u, h, locked, pw, conns in accounts]
    lit = literal_rows(names, rows, bs)
    return (
        "SELECT u.USER, u.HOST, u.TYPE, u.CONNECTIONS, u.IS_DELETED, CAST(NULL AS DATETIME) AS LAST_UPDATED, "
        "u.DEFAULT_RESOURCE_POOL, u.IS_LOCAL, CAST(NULL AS DATETIME) AS CREATED, "
        "CAST(NULL AS DATETIME) AS PASSWORD_EXPIRATION, FROM_UNIXTIME(u.PW_CHANGED) AS PASSWORD_UPDATED, "
        "u.EFFECTIVE_FAILED_LOGIN_ATTEMPTS, u.EFFECTIVE_PASSWORD_LOCK_TIME, u.ACCOUNT_STATUS "
        f"FROM ({lit}) u WHERE EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES p "
        "WHERE p.PRIVILEGE_TYPE = 'CREATE USER') OR CONCAT(u.USER, '@', u.HOST) = CURRENT_USER()"
    )
