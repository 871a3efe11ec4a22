"""SingleStore DDL: read what SingleStore adds, check SingleStore's rules, strip it for MariaDB.

Everything here works on token positions of the client's text; what is not SingleStore-only stays
exactly as the client wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .catalog import COLUMNSTORE, DEFAULT_PARTITIONS, ROWSTORE, SORT_INDEX_NAME, TableMeta
from .sqllex import (
    NUMBER, LexError, Token, apply_edits, matching_paren, parse_name, quote_ident, split_top_level, unquote,
)
from .upstream import LocalError

# SingleStore reports unsupported distributed features as error 1744 (HY000) "Feature '...' is not
# supported by SingleStore". The code is from a SingleStore support article; the texts are the double's.
ER_DISTRIBUTED_FEATURE = 1744
ER_KEY_COLUMN_DOES_NOT_EXIST = 1072
ER_PARSE_ERROR = 1064

# A columnstore SORT KEY becomes this hidden secondary index in MariaDB, so that a range on the
# sort key's first column reads only the matching rows, as SingleStore's segment elimination skips
# the segments whose min/max lie outside the range. The double hides it from STATISTICS,
# SHOW CREATE TABLE and SHOW INDEX (README: "SORT KEY as a hidden index").
# Column types MariaDB cannot index without a prefix length: a sort key on one of them gets no index.
_UNINDEXABLE_TYPES = {"TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB",
                      "JSON", "GEOGRAPHY", "GEOGRAPHYPOINT", "VECTOR", "BSON"}


def feature_error(what: str) -> LocalError:
    return LocalError(ER_DISTRIBUTED_FEATURE, f"Feature '{what}' is not supported by SingleStore.", "HY000")


def _delete(edits: list, toks: list[Token], a: int, b: int) -> None:
    """Delete tokens a..b-1 (inclusive of the text between them)."""
    edits.append((toks[a].start, toks[b - 1].end, ""))


def _key_columns(toks: list[Token], a: int, b: int) -> tuple[list[tuple[str, bool]], int, int]:
    """The first ``( col [ASC|DESC], ... )`` group in toks[a:b]: columns, index of '(' and of ')'."""
    for j in range(a, b):
        if toks[j].is_op("("):
            close = matching_paren(toks, j)
            cols = []
            for x, y in split_top_level(toks, j + 1, close):
                if x >= y:
                    continue
                if not toks[x].is_name:
                    raise LocalError(ER_PARSE_ERROR, "You have an error in your SQL syntax near "
                                     f"'{toks[x].text}'", "42000")
                desc = any(t.is_word("DESC") for t in toks[x + 1:y])
                cols.append((unquote(toks[x]), desc))
            return cols, j, close
    raise LocalError(ER_PARSE_ERROR, "You have an error in your SQL syntax: a key without a column list", "42000")


_NOT_A_CONSTRAINT_NAME = {"PRIMARY", "UNIQUE", "SHARD", "FOREIGN", "CHECK", "KEY", "INDEX", "SORT"}


# ------------------------------------------------------------------------------- CREATE TABLE


@dataclass
class CreateTable:
    sql: str                                   # what MariaDB gets
    db: Optional[str]
    name: str
    rowstore: bool = False
    reference: bool = False
    temporary: bool = False
    if_not_exists: bool = False
    or_replace: bool = False
    like: Optional[tuple[Optional[str], str]] = None
    as_select: bool = False
    columns: list[str] = field(default_factory=list)
    primary_key: Optional[list[str]] = None
    uniques: list[list[str]] = field(default_factory=list)
    shard_key: Optional[list[str]] = None      # explicit SHARD KEY
    sort_key: Optional[list[tuple[str, bool]]] = None
    index_names: list[str] = field(default_factory=list)   # names MariaDB will give the other keys
    column_types: dict[str, str] = field(default_factory=dict)   # lower-case column -> first word of its type
    sort_index: bool = False                   # the SORT KEY went to MariaDB as the hidden SORT_INDEX_NAME index
    compression: Optional[str] = None          # COMPRESSION = SPARSE|NONE, printed back by SHOW CREATE TABLE

    def meta(self) -> TableMeta:
        if self.reference:
            shard = None
        elif self.shard_key is not None:
            shard = list(self.shard_key)
        else:
            shard = list(self.primary_key or [])
        sort = sort_name = None
        if not self.rowstore and self.sort_key:
            sort = [[c, d] for c, d in self.sort_key]
            # named after its first column, like an unnamed MariaDB key: first_2, first_3 ... if taken
            taken = {n.lower() for n in self.index_names}
            sort_name, n = sort[0][0], 2
            while sort_name.lower() in taken:
                sort_name, n = f"{sort[0][0]}_{n}", n + 1
        return TableMeta(storage=ROWSTORE if self.rowstore else COLUMNSTORE, reference=self.reference,
                         shard_key=shard, shard_explicit=self.shard_key is not None, sort_key=sort,
                         sort_name=sort_name, compression=self.compression)


def is_create_table(toks: list[Token]) -> bool:
    i = 1
    if len(toks) > 2 and toks[1].is_word("OR") and toks[2].is_word("REPLACE"):
        i = 3
    while i < len(toks) and toks[i].is_word("ROWSTORE", "REFERENCE", "TEMPORARY", "GLOBAL"):
        i += 1
    return i < len(toks) and toks[i].is_word("TABLE")


def parse_create_table(sql: str, toks: list[Token]) -> CreateTable:
    edits: list[tuple[int, int, str]] = []
    i = 1
    or_replace = False
    if toks[1].is_word("OR") and toks[2].is_word("REPLACE"):
        or_replace, i = True, 3
    rowstore = reference = temporary = False
    while toks[i].is_word("ROWSTORE", "REFERENCE", "TEMPORARY", "GLOBAL"):
        w = toks[i].upper
        if w == "ROWSTORE":
            rowstore = True
            _delete(edits, toks, i, i + 1)
        elif w == "REFERENCE":
            reference = True
            _delete(edits, toks, i, i + 1)
        elif w == "GLOBAL":
            _delete(edits, toks, i, i + 1)        # GLOBAL TEMPORARY: a plain temporary table for MariaDB
        else:
            temporary = True
        i += 1
    i += 1  # TABLE
    if_not_exists = False
    if i + 2 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("NOT") and toks[i + 2].is_word("EXISTS"):
        if_not_exists, i = True, i + 3
    db, name, i = parse_name(toks, i)
    ct = CreateTable(sql=sql, db=db, name=name, rowstore=rowstore, reference=reference, temporary=temporary,
                     if_not_exists=if_not_exists, or_replace=or_replace)

    if i < len(toks) and toks[i].is_word("LIKE"):
        ct.like = parse_name(toks, i + 1)[:2]
        ct.sql = apply_edits(sql, edits)
        return ct
    if i < len(toks) and toks[i].is_op("(") and i + 1 < len(toks) and toks[i + 1].is_word("LIKE"):
        ct.like = parse_name(toks, i + 2)[:2]
        ct.sql = apply_edits(sql, edits)
        return ct

    if i < len(toks) and toks[i].is_op("("):
        close = matching_paren(toks, i)
        _parse_definitions(ct, toks, i + 1, close, edits)
        i = close + 1
    ct.compression = _strip_table_options(toks, i, edits)
    ct.as_select = any(t.is_word("SELECT") for t in toks[i:])
    _check_rules(ct)
    ct.sql = apply_edits(sql, edits)
    return ct


def _parse_definitions(ct: CreateTable, toks: list[Token], start: int, end: int, edits: list) -> None:
    parts = split_top_level(toks, start, end)
    removed = [False] * len(parts)
    shard_seen = sort_seen = False
    sort_part = None
    for n, (a, b) in enumerate(parts):
        if a >= b:
            continue
        k = a
        if toks[k].is_word("CONSTRAINT"):
            k += 1
            if k < b and toks[k].is_name and not toks[k].is_word(*_NOT_A_CONSTRAINT_NAME):
                k += 1
        head = toks[k].upper if toks[k].kind == "word" else ""
        nxt = toks[k + 1] if k + 1 < b else None
        if head == "SHARD" and nxt is not None and nxt.is_word("KEY"):
            if shard_seen:
                raise feature_error("more than one SHARD KEY")
            shard_seen = True
            cols, _, _ = _key_columns(toks, k + 2, b)
            ct.shard_key = [c for c, _ in cols]
            removed[n] = True
        elif head == "SORT" and nxt is not None and nxt.is_word("KEY"):
            if sort_seen:
                raise feature_error("more than one SORT KEY")
            sort_seen = True
            cols, _, _ = _key_columns(toks, k + 2, b)
            ct.sort_key = cols
            removed[n] = True
            sort_part = n
        elif head in ("KEY", "INDEX") and any(
            toks[j].is_word("CLUSTERED") and toks[j + 1].is_word("COLUMNSTORE") for j in range(k, b - 1)
        ):
            if sort_seen:
                raise feature_error("more than one SORT KEY")
            sort_seen = True
            cols, _, _ = _key_columns(toks, k + 1, b)
            ct.sort_key = cols
            removed[n] = True
            sort_part = n
        elif head == "COLUMN" and nxt is not None and nxt.is_word("GROUP"):
            removed[n] = True
        elif head == "PRIMARY":
            cols, _, _ = _key_columns(toks, k + 1, b)
            ct.primary_key = [c for c, _ in cols]
        elif head == "UNIQUE":
            cols, _, _ = _key_columns(toks, k + 1, b)
            ct.uniques.append([c for c, _ in cols])
            ct.index_names.append(_index_name(toks, k + 1, b, cols))
        elif head == "FULLTEXT":
            for j in range(k + 1, b - 2):
                if toks[j].is_word("USING") and toks[j + 1].is_word("VERSION") and toks[j + 2].kind == NUMBER:
                    _delete(edits, toks, j, j + 3)
        elif head in ("KEY", "INDEX", "SPATIAL"):
            cols, _, _ = _key_columns(toks, k + 1, b)
            ct.index_names.append(_index_name(toks, k + 1, b, cols))
        elif head in ("FOREIGN", "CHECK", "PERIOD") or toks[a].is_word("CONSTRAINT"):
            pass
        elif toks[a].is_name:
            _column_definition(ct, toks, a, b, edits)
    if sort_part is not None and _sort_index_possible(ct):
        # the SORT KEY becomes the hidden index (same text position, so the commas stay right)
        a, b = parts[sort_part]
        removed[sort_part] = False
        edits.append((toks[a].start, toks[b - 1].end,
                      f"KEY {quote_ident(SORT_INDEX_NAME)} ({_cols(ct.sort_key or [])})"))
        ct.sort_index = True
    # remove SingleStore-only definitions together with one neighbouring comma
    first_kept = next((m for m in range(len(parts)) if not removed[m]), None)
    if first_kept is None:
        if any(removed):
            edits.append((toks[parts[0][0]].start, toks[parts[-1][1] - 1].end, ""))
        return
    if first_kept > 0:
        # leading SingleStore-only definitions, with the commas after them
        edits.append((toks[parts[0][0]].start, toks[parts[first_kept][0]].start, ""))
    for n in range(first_kept + 1, len(parts)):
        if removed[n]:
            a, b = parts[n]
            edits.append((toks[a - 1].start, toks[b - 1].end, ""))     # ", SHARD KEY (...)"


def _sort_index_possible(ct: CreateTable) -> bool:
    """A non-empty sort key of a columnstore table whose columns MariaDB can index without a prefix."""
    if ct.rowstore or not ct.sort_key:
        return False
    for col, _ in ct.sort_key:
        kind = ct.column_types.get(col.lower())
        if kind is None or kind in _UNINDEXABLE_TYPES:
            return False
    return True


def _index_name(toks: list[Token], i: int, b: int, cols: list[tuple[str, bool]]) -> str:
    """The name a key gets: the one written after KEY/INDEX, else its first column."""
    while i < b and toks[i].is_word("KEY", "INDEX"):
        i += 1
    if i < b and toks[i].is_name and not toks[i].is_word("USING"):
        return unquote(toks[i])
    return cols[0][0] if cols else ""


def _column_definition(ct: CreateTable, toks: list[Token], a: int, b: int, edits: list) -> None:
    col = unquote(toks[a])
    ct.columns.append(col)
    if a + 1 < b and toks[a + 1].kind == "word":
        ct.column_types[col.lower()] = toks[a + 1].upper
    j = a + 1
    while j < b:
        t = toks[j]
        if t.is_word("PRIMARY") and j + 1 < b and toks[j + 1].is_word("KEY"):
            ct.primary_key = [col]
            j += 2
            continue
        if t.is_word("UNIQUE"):
            ct.uniques.append([col])
            ct.index_names.append(col)
        elif t.is_word("SPARSE"):
            _delete(edits, toks, j, j + 1)
        elif t.is_word("SERIES") and j + 1 < b and toks[j + 1].is_word("TIMESTAMP"):
            _delete(edits, toks, j, j + 2)
            j += 2
            continue
        elif t.is_op("("):
            j = matching_paren(toks, j) + 1
            continue
        j += 1


_SS_TABLE_OPTIONS = re.compile(r"^(AUTOSTATS_[A-Z_]+|COMPRESSION|BACKGROUND_MERGER)$")


def _strip_table_options(toks: list[Token], i: int, edits: list) -> Optional[str]:
    """Remove SingleStore table options (AUTOSTATS_*=..., COMPRESSION=..., BACKGROUND_MERGER=...); the COMPRESSION value."""
    compression = None
    while i < len(toks):
        t = toks[i]
        if t.is_word("AS", "SELECT", "IGNORE", "REPLACE", "PARTITION", "WITH") or t.is_op("(", ";"):
            return compression
        if t.kind == "word" and _SS_TABLE_OPTIONS.match(t.upper):
            j = i + 1
            if j < len(toks) and toks[j].is_op("="):
                j += 1
            if t.is_word("COMPRESSION") and j < len(toks):
                compression = toks[j].text.upper()
            j += 1  # the value
            if j < len(toks) and toks[j].is_op(","):
                j += 1
            _delete(edits, toks, i, min(j, len(toks)))
            i = j
            continue
        i += 1
    return compression


def _check_rules(ct: CreateTable) -> None:
    """SingleStore's key rules for tables with a column list: the shard key within the primary key and every unique key
    ("Sharded tables do not support unique keys (unless the unique key contains all columns of the shard key)"), a
    reference table with a primary key and no shard key
    (https://docs.singlestore.com/db/v9.1/introduction/distributed-architecture/distributed-sql-surface-area/, 9.1)."""
    if ct.like or (not ct.columns and ct.as_select):
        return
    lower = {c.lower() for c in ct.columns}
    for cols in ([c for c, _ in ct.sort_key or []], ct.shard_key or []):
        for c in cols:
            if ct.columns and c.lower() not in lower:
                raise LocalError(ER_KEY_COLUMN_DOES_NOT_EXIST, f"Key column '{c}' doesn't exist in table", "42000")
    if ct.reference:
        if ct.shard_key is not None:
            raise feature_error("SHARD KEY on a reference table")
        if not ct.primary_key:
            raise feature_error("Reference table without a PRIMARY KEY")
        return
    if ct.rowstore and ct.sort_key is not None:
        raise feature_error("SORT KEY on a rowstore table")
    pk = {c.lower() for c in ct.primary_key or []}
    if ct.shard_key is not None and ct.primary_key is not None:
        missing = [c for c in ct.shard_key if c.lower() not in pk]
        if missing:
            raise feature_error("PRIMARY KEY that does not contain all the columns of the SHARD KEY")
    shard = ct.shard_key if ct.shard_key is not None else (ct.primary_key or [])
    for u in ct.uniques:
        ul = {c.lower() for c in u}
        if any(c.lower() not in ul for c in shard):
            raise feature_error("UNIQUE KEY that does not contain all the columns of the SHARD KEY")


# ------------------------------------------------------------------------------- other DDL


@dataclass
class CreateDatabase:
    sql: str
    name: str
    if_not_exists: bool
    partitions: int


_DB_OPTION_START = {"PARTITIONS", "SUB_PARTITIONS", "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "ON", "FOR",
                    "INTO", "COMMENT", "WITH"}


def parse_create_database(sql: str, toks: list[Token]) -> CreateDatabase:
    edits: list[tuple[int, int, str]] = []
    i = 2
    if_not_exists = False
    if i + 2 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("NOT") and toks[i + 2].is_word("EXISTS"):
        if_not_exists, i = True, i + 3
    if i >= len(toks) or not toks[i].is_name:
        raise LexError("database name expected")
    name = unquote(toks[i])
    i += 1
    partitions = DEFAULT_PARTITIONS
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.is_word("WITH"):
            j = i + 1
            while j < n and not (toks[j].kind == "word" and toks[j].upper in _DB_OPTION_START - {"WITH"}):
                j += 1
            _delete(edits, toks, i, j)
            i = j
        elif t.is_word("PARTITIONS", "SUB_PARTITIONS"):
            j = i + 1
            if j < n and toks[j].is_op("="):
                j += 1
            if j >= n or toks[j].kind != NUMBER:
                raise LocalError(ER_PARSE_ERROR, f"You have an error in your SQL syntax near '{t.text}'", "42000")
            if t.is_word("PARTITIONS"):
                partitions = int(toks[j].text)
                if partitions < 1:
                    raise LocalError(ER_PARSE_ERROR, "PARTITIONS must be at least 1", "42000")
            _delete(edits, toks, i, j + 1)
            i = j + 1
        elif t.is_word("ON") and i + 1 < n and toks[i + 1].is_word("WORKSPACE"):
            _delete(edits, toks, i, min(i + 3, n))
            i += 3
        elif t.is_word("FOR", "INTO", "ON") and i + 1 < n and toks[i + 1].is_word("S3", "AZURE", "GCS", "LINK"):
            j = n - 1 if toks[-1].is_op(";") else n
            _delete(edits, toks, i, j)
            i = j
        else:
            i += 1
    return CreateDatabase(sql=apply_edits(sql, edits), name=name, if_not_exists=if_not_exists, partitions=partitions)


def parse_drop_database(toks: list[Token]) -> str:
    i = 2
    if i + 1 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("EXISTS"):
        i += 2
    return unquote(toks[i])


@dataclass
class DropTable:
    temporary: bool
    names: list[tuple[Optional[str], str]]


def parse_drop_table(toks: list[Token]) -> DropTable:
    i = 1
    temporary = False
    if toks[i].is_word("TEMPORARY"):
        temporary, i = True, i + 1
    i += 1  # TABLE / TABLES
    if i + 1 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("EXISTS"):
        i += 2
    end = len(toks)
    while end > i and (toks[end - 1].is_word("RESTRICT", "CASCADE") or toks[end - 1].is_op(";")):
        end -= 1
    # MariaDB: DROP TABLE ... [WAIT n | NOWAIT]
    for j in range(i, end):
        if toks[j].is_word("WAIT", "NOWAIT"):
            end = j
            break
    names = []
    for a, b in split_top_level(toks, i, end):
        if a < b:
            db, name, _ = parse_name(toks, a)
            names.append((db, name))
    return DropTable(temporary=temporary, names=names)


@dataclass
class TableChanges:
    renames: list[tuple[tuple[Optional[str], str], tuple[Optional[str], str]]] = field(default_factory=list)
    column_renames: list[tuple[str, str]] = field(default_factory=list)
    table: Optional[tuple[Optional[str], str]] = None
    added_uniques: list[list[str]] = field(default_factory=list)   # columns of each ADD UNIQUE KEY / ADD CONSTRAINT ... UNIQUE


def parse_rename_table(toks: list[Token]) -> TableChanges:
    i = 2  # RENAME TABLE(S)
    if i + 1 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("EXISTS"):
        i += 2
    end = len(toks) - 1 if toks[-1].is_op(";") else len(toks)
    out = TableChanges()
    for a, b in split_top_level(toks, i, end):
        if a >= b:
            continue
        db1, n1, j = parse_name(toks, a)
        if j < b and toks[j].is_word("WAIT", "NOWAIT"):
            j += 2 if toks[j].is_word("WAIT") else 1
        db2, n2, _ = parse_name(toks, j + 1)   # skip TO
        out.renames.append(((db1, n1), (db2, n2)))
    return out


def parse_alter_table(toks: list[Token]) -> TableChanges:
    i = 1
    while toks[i].is_word("ONLINE", "IGNORE"):
        i += 1
    i += 1  # TABLE
    if i + 1 < len(toks) and toks[i].is_word("IF") and toks[i + 1].is_word("EXISTS"):
        i += 2
    db, name, i = parse_name(toks, i)
    out = TableChanges(table=(db, name))
    end = len(toks) - 1 if toks[-1].is_op(";") else len(toks)
    for a, b in split_top_level(toks, i, end):
        if a >= b:
            continue
        t0 = toks[a]
        if t0.is_word("ADD"):
            k = a + 1
            if k < b and toks[k].is_word("CONSTRAINT"):
                k += 1
                if k < b and toks[k].is_name and not toks[k].is_word(*_NOT_A_CONSTRAINT_NAME):
                    k += 1
            if k < b and toks[k].is_word("UNIQUE"):
                cols, _, _ = _key_columns(toks, k + 1, b)
                out.added_uniques.append([c for c, _ in cols])
            continue
        if t0.is_word("RENAME"):
            j = a + 1
            if j < b and toks[j].is_word("COLUMN"):
                old = unquote(toks[j + 1])
                new = unquote(toks[j + 3])
                out.column_renames.append((old, new))
                continue
            if j < b and toks[j].is_word("INDEX", "KEY"):
                continue
            if j < b and toks[j].is_word("TO", "AS"):
                j += 1
            ndb, nname, _ = parse_name(toks, j)
            out.renames.append(((db, name), (ndb, nname)))
        elif t0.is_word("CHANGE"):
            j = a + 1
            if j < b and toks[j].is_word("COLUMN"):
                j += 1
            if j < b and toks[j].is_word("IF") and toks[j + 1].is_word("EXISTS"):
                j += 2
            old, new = unquote(toks[j]), unquote(toks[j + 1])
            if old.lower() != new.lower() or old != new:
                out.column_renames.append((old, new))
    return out


def check_alter_table(ch: TableChanges, meta: Optional[TableMeta]) -> None:
    """SingleStore's refusals of ALTER TABLE (tests/conformance/singlestore/error/tables_*), before MariaDB sees it.

    * a unique key added to an existing columnstore table ("Adding or altering a unique index is not supported on
      existing columnstore tables", error/tables_add_unique_key_to_columnstore);
    * a unique key that lacks a shard-key column (error/tables_unique_key_without_shard_key_columns).
    No page shows these errors' code or text: 1744 and the texts are the double's own (README, "Invented or assumed").
    """
    if meta is None:
        return
    for cols in ch.added_uniques:
        if meta.storage == COLUMNSTORE:
            raise feature_error("Adding a UNIQUE KEY to an existing columnstore table")
        lower = {c.lower() for c in cols}
        if not meta.reference and any(c.lower() not in lower for c in meta.shard_key or []):
            raise feature_error("UNIQUE KEY that does not contain all the columns of the SHARD KEY")


# ------------------------------------------------------------------------------- SHOW CREATE TABLE

_OPTIONS_RE = {
    "charset": re.compile(r"DEFAULT CHARSET=(\w+)"),
    "collate": re.compile(r"COLLATE=(\w+)"),
    "comment": re.compile(r"COMMENT='((?:[^']|'')*)'"),
}


def _cols(cols) -> str:
    return ",".join(quote_ident(c) + (" DESC" if d else "") for c, d in cols)


def _is_sort_index_line(line: str) -> bool:
    return line.lstrip().startswith(f"KEY {quote_ident(SORT_INDEX_NAME)} ")


def primary_key_from_show(text: str) -> list[str]:
    m = re.search(r"^\s*PRIMARY KEY \(([^)]*)\)", text, re.M)
    if not m:
        return []
    return [c.strip().strip("`").replace("``", "`") for c in m.group(1).split(",") if c.strip()]


_MARIADB_PRIMARY = re.compile(r"^(\s*)PRIMARY KEY (\([^)]*\))(?: USING \w+)?(,?)$")
_MARIADB_KEY = re.compile(r"^(\s*(?:UNIQUE )?KEY `(?:[^`]|``)*` \([^)]*\))(?: USING \w+)?(,?)$")


def _columnstore_key_line(line: str) -> str:
    """A columnstore table's keys are hash keys; its primary key is printed as UNIQUE KEY `PRIMARY` (...) USING HASH
    (show_create_table/notebook_embeddings_unique_primary_hash, notebook_tpch_lineitem_legacy_sort_key)."""
    m = _MARIADB_PRIMARY.match(line)
    if m:
        return f"{m.group(1)}UNIQUE KEY `PRIMARY` {m.group(2)} USING HASH{m.group(3)}"
    m = _MARIADB_KEY.match(line)
    if m:
        return f"{m.group(1)} USING HASH{m.group(2)}"
    return line


def render_show_create_table(text: str, meta: Optional[TableMeta]) -> str:
    """MariaDB's SHOW CREATE TABLE text in the shape the cases of tests/conformance/singlestore/show_create_table print.

    First line CREATE [ROWSTORE] [REFERENCE] TABLE; a columnstore table's keys as hash keys, then its sort key
    (``SORT KEY `c` (...)``, or ``SORT KEY `__UNORDERED` ()``), then ``SHARD KEY `__SHARDKEY` (...)``; a keyless table
    ends with the line ``  , SHARD KEY () ``; the options line of the docs' examples, and COMPRESSION on a line of its own.
    """
    lines = text.split("\n")
    if len(lines) < 2 or not lines[0].startswith("CREATE TABLE ") or not lines[-1].startswith(")"):
        return text  # views, temporary tables, anything unexpected: unchanged
    if meta is None:
        meta = TableMeta(storage=COLUMNSTORE, shard_key=primary_key_from_show(text))
    kind = "CREATE " + ("ROWSTORE " if meta.storage == ROWSTORE else "") + ("REFERENCE " if meta.reference else "")
    first = kind + lines[0][len("CREATE "):]
    body = [ln for ln in lines[1:-1] if not _is_sort_index_line(ln)]
    if body and len(body) < len(lines) - 2 and body[-1].endswith(","):
        body[-1] = body[-1][:-1]       # the hidden index was the last definition
    if meta.storage == COLUMNSTORE:
        body = [_columnstore_key_line(ln) for ln in body]
    extra: list[str] = []
    if meta.storage == COLUMNSTORE:
        if meta.sort_key:
            extra.append(f"  SORT KEY {quote_ident(meta.sort_index_name or '')} ({_cols(meta.sort_key)})")
        else:
            extra.append("  SORT KEY `__UNORDERED` ()")
    keyless = not meta.reference and not meta.shard_key
    if not meta.reference and meta.shard_key:
        extra.append(f"  SHARD KEY `__SHARDKEY` ({_cols([(c, False) for c in meta.shard_key])})")
    if extra:
        if body and not body[-1].endswith(","):
            body[-1] += ","
        body += [e + "," for e in extra[:-1]] + [extra[-1]]
    if keyless:
        body.append("  , SHARD KEY () ")
    tail = lines[-1]
    opts = {k: (r.search(tail).group(1) if r.search(tail) else None) for k, r in _OPTIONS_RE.items()}
    if meta.storage == COLUMNSTORE:
        new_tail = (") AUTOSTATS_CARDINALITY_MODE=INCREMENTAL AUTOSTATS_HISTOGRAM_MODE=CREATE "
                    "AUTOSTATS_SAMPLING=ON SQL_MODE='STRICT_ALL_TABLES'")
    else:
        new_tail = ") AUTOSTATS_CARDINALITY_MODE=PERIODIC AUTOSTATS_HISTOGRAM_MODE=CREATE SQL_MODE='STRICT_ALL_TABLES'"
    if opts["charset"]:
        new_tail += f" CHARACTER SET={quote_ident(opts['charset'])}"
    if opts["collate"]:
        new_tail += f" COLLATE={quote_ident(opts['collate'])}"
    if opts["comment"] is not None:
        new_tail += f" COMMENT='{opts['comment']}'"
    if meta.compression:
        new_tail += f"\n  COMPRESSION={meta.compression}"
    return "\n".join([first] + body + [new_tail])
