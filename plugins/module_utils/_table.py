# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table shapes: the desired spec (from options or a CREATE TABLE text), the catalog read, CREATE rendering."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._coltypes import (
    canonical_type,
    default_expression,
    normalise_server_default,
    normalise_type,
    normalise_user_default,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    quote_column_list,
    quote_identifier,
    quote_qualified,
    validate_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_sql import (
    ShowCreateError,
    closing_parenthesis,
    parse_show_create_table,
    split_top_level,
)

STORAGE_KINDS = ("columnstore", "rowstore", "reference")
_STORAGE_PREFIX = {None: "", "columnstore": "", "rowstore": "ROWSTORE ", "reference": "REFERENCE "}


class SpecError(ValueError):
    """The table described by the task is invalid; the message says why."""


def column_from_option(col: dict[str, Any]) -> dict[str, Any]:
    name = validate_identifier(col.get("name"), "column name")
    try:
        ctype = canonical_type(col.get("type") or "")
    except ValueError as exc:
        raise SpecError(f"column {name!r}: {exc}") from None
    return dict(name=name, type=ctype, nullable=bool(col.get("nullable", True)), default=col.get("default"))


def spec_from_options(params: dict[str, Any]) -> dict[str, Any]:
    columns = [column_from_option(col) for col in params.get("columns") or []]
    if not columns:
        raise SpecError("columns (or definition) is required with state=present")
    names = [col["name"] for col in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SpecError(f"columns listed twice: {', '.join(dupes)}")
    keys = []
    for key in params.get("keys") or []:
        keys.append(
            dict(
                name=validate_identifier(key.get("name"), "key name"),
                columns=list(key.get("columns") or []),
                unique=bool(key.get("unique")),
            )
        )
    spec = dict(
        columns=columns,
        primary_key=params.get("primary_key"),
        shard_key=params.get("shard_key"),
        sort_key=params.get("sort_key"),
        keys=keys,
        storage=params.get("storage"),
        definition=None,
    )
    check_key_columns(spec)
    return spec


def check_key_columns(spec: dict[str, Any]) -> None:
    names = {col["name"] for col in spec["columns"]}
    groups = [("primary_key", spec["primary_key"]), ("shard_key", spec["shard_key"]), ("sort_key", spec["sort_key"])]
    groups += [(f"key {key['name']!r}", key["columns"]) for key in spec["keys"]]
    for label, cols in groups:
        for col in cols or []:
            validate_identifier(col, f"column name in {label}")
            if col not in names:
                raise SpecError(f"{label} names column {col!r}, which is not in the table's columns")
    if spec["storage"] == "reference":
        # "Reference tables must have explicit primary keys"
        # (https://docs.singlestore.com/db/v9.1/introduction/distributed-architecture/distributed-sql-surface-area/, 9.1)
        if not spec["primary_key"]:
            raise SpecError("a reference table needs a primary_key")
        if spec["shard_key"]:
            raise SpecError("a reference table takes no shard_key")
    if spec["shard_key"]:
        # "Sharded tables do not support unique keys (unless the unique key contains all columns of the shard key)"
        # (same page); the primary key is a unique key.
        uniques = [("primary_key", spec["primary_key"])] if spec["primary_key"] else []
        uniques += [(f"unique key {key['name']!r}", key["columns"]) for key in spec["keys"] if key["unique"]]
        for label, cols in uniques:
            missing = [col for col in spec["shard_key"] if col not in cols]
            if missing:
                raise SpecError(
                    f"{label} {list(cols)} must contain every shard_key column (SingleStore refuses it): "
                    f"missing {', '.join(missing)}"
                )


# -- CREATE TABLE text -----------------------------------------------------------------------

_HEADER = re.compile(
    r"^\s*CREATE\s+(?P<kind>(?:ROWSTORE\s+)?(?:REFERENCE\s+)?)TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>(?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?)\s*\(",
    re.IGNORECASE | re.DOTALL,
)
_COLUMN_STOP = {
    "NOT",
    "NULL",
    "DEFAULT",
    "AUTO_INCREMENT",
    "PRIMARY",
    "UNIQUE",
    "KEY",
    "COMMENT",
    "COLLATE",
    "CHARACTER",
    "CHARSET",
    "ON",
    "SPARSE",
    "SERIES",
    "AS",
    "REFERENCES",
    "CHECK",
    "GENERATED",
    "INVISIBLE",
}


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside parentheses, quotes and backticks; an unbalanced text is refused."""
    parts, balanced = split_top_level(text, sep)
    if not balanced:
        raise SpecError("definition has an unbalanced quote or parenthesis")
    return parts


def _tokens(text: str) -> list[str]:
    return re.findall(r"`(?:[^`]|``)+`|'(?:[^'\\]|''|\\.)*'|\"[^\"]*\"|\([^()]*(?:\([^()]*\)[^()]*)*\)|[^\s(]+", text)


def _unquote(ident: str) -> str:
    ident = ident.strip()
    if ident.startswith("`") and ident.endswith("`"):
        return ident[1:-1].replace("``", "`")
    return ident


def _paren_columns(text: str) -> list[str]:
    match = re.search(r"\(([^()]*)\)", text)
    if not match:
        raise SpecError(f"cannot find the column list in {text!r}")
    cols = []
    for part in _split_top(match.group(1)):
        cols.append(_unquote(re.sub(r"\s+(ASC|DESC)$", "", part.strip(), flags=re.IGNORECASE)))
    return cols


def _key_name(text: str) -> str:
    toks = _tokens(text)
    for tok in toks:
        if tok.upper() not in ("UNIQUE", "KEY", "INDEX") and not tok.startswith("("):
            return _unquote(tok)
    raise SpecError(f"keys in a definition need a name: {text!r}")


def _parse_column(item: str) -> dict[str, Any]:
    toks = _tokens(item)
    name = _unquote(toks[0])
    type_toks, i = [], 1
    if len(toks) > 1 and toks[1].upper() == "AS":
        # a computed column, `c` AS <expression> PERSISTED <type> (CREATE TABLE grammar): its type follows PERSISTED
        persisted = next((j for j in range(2, len(toks)) if toks[j].upper() == "PERSISTED"), None)
        if persisted is None:
            raise SpecError(f"computed column {name!r} in the definition has no PERSISTED type")
        i = persisted + 1
    while i < len(toks) and toks[i].upper() not in _COLUMN_STOP:
        type_toks.append(toks[i])
        i += 1
    if not type_toks:
        raise SpecError(f"column {name!r} in the definition has no type")
    col: dict[str, Any] = dict(
        name=name, type=" ".join(type_toks).replace(" (", "("), nullable=True, default=None, inline_pk=False
    )
    rest = [tok.upper() for tok in toks[i:]]
    for j, tok in enumerate(rest):
        if tok == "NOT" and j + 1 < len(rest) and rest[j + 1] == "NULL":
            col["nullable"] = False
        elif tok == "PRIMARY":
            col["inline_pk"] = True
            col["nullable"] = False
        elif tok == "DEFAULT" and j + 1 < len(rest):
            raw = toks[i + j + 1]
            if raw.upper() == "NULL":
                col["default"] = None
            elif raw.startswith("'"):
                col["default"] = raw[1:-1].replace("''", "'")
            elif j + 2 < len(rest) and toks[i + j + 2].startswith("("):
                col["default"] = raw + toks[i + j + 2]
            else:
                col["default"] = raw
    return col


def spec_from_definition(text: str) -> dict[str, Any]:
    """Parse the subset of CREATE TABLE this collection manages (columns, PK, shard/sort keys, keys, storage)."""
    text = text.strip().rstrip(";").strip()
    match = _HEADER.match(text)
    if not match:
        raise SpecError("definition must start with CREATE [ROWSTORE] [REFERENCE] TABLE <name> (")
    kind = " ".join(match.group("kind").upper().split())
    if kind == "ROWSTORE REFERENCE":
        raise SpecError("ROWSTORE REFERENCE tables are not supported by this module")
    storage = {"": None, "ROWSTORE": "rowstore", "REFERENCE": "reference"}[kind]
    body_start = match.end()
    end = closing_parenthesis(text, body_start)
    if end is None:
        raise SpecError("definition: the column list is not closed")
    if ";" in text[end:]:
        raise SpecError("definition must hold exactly one CREATE TABLE statement")
    spec: dict[str, Any] = dict(
        columns=[],
        primary_key=[],
        shard_key=None,
        sort_key=None,
        keys=[],
        storage=storage,
        definition=text,
        definition_body=text[body_start - 1 :],
    )
    for item in _split_top(text[body_start:end]):
        upper = re.sub(r"\s+", " ", item.upper())
        upper_nc = re.sub(r"^CONSTRAINT (`[^`]*`|\w+ )?\s*", "", upper)
        if upper_nc.startswith("PRIMARY KEY"):
            spec["primary_key"] = _paren_columns(item)
        elif upper.startswith("SHARD KEY") or upper_nc.startswith("SHARD KEY"):
            spec["shard_key"] = _paren_columns(item)
        elif upper.startswith("SORT KEY") or (upper.startswith("KEY") and "CLUSTERED COLUMNSTORE" in upper):
            spec["sort_key"] = _paren_columns(item)
        elif upper_nc.startswith("UNIQUE") and _key_name(item) == "PRIMARY":
            spec["primary_key"] = _paren_columns(item)  # a columnstore primary key as SHOW CREATE TABLE prints it
        elif upper_nc.startswith("UNIQUE"):
            spec["keys"].append(dict(name=_key_name(item), columns=_paren_columns(item), unique=True))
        elif upper.startswith(("KEY", "INDEX")):
            spec["keys"].append(dict(name=_key_name(item), columns=_paren_columns(item), unique=False))
        elif upper.startswith(("FULLTEXT", "COLUMN GROUP", "CONSTRAINT", "FOREIGN", "CHECK", "SPATIAL")):
            continue
        else:
            col = _parse_column(item)
            if col.pop("inline_pk"):
                spec["primary_key"] = [col["name"]]
            spec["columns"].append(col)
    return spec


# -- catalog --------------------------------------------------------------------------------

# Which rows of information_schema.STATISTICS stand for a shard or sort key. SingleStore documents SHOW INDEX
# (whose rows are STATISTICS' rows) naming a columnstore shard key "__SHARDKEY" with Index_type "METADATA_ONLY"
# (https://docs.singlestore.com/cloud/reference/sql-reference/show-commands/show-index-show-indexes-show-keys/,
# cloud); SingleStore's own troubleshooting queries select INDEX_TYPE = 'SHARD' and 'CLUSTERED COLUMNSTORE'
# (singlestore-labs/spaces-notebooks, notebooks/performance-troubleshooting/assets/DB_PERFORMANCE_TROUBLESHOOT_QUERIES.csv).
# Either shape is read; SHOW CREATE TABLE is read first and the two must agree.
SHARD_INDEX_NAME = "__SHARDKEY"
_SHARD_TYPES = ("SHARD",)
_SORT_TYPES = ("CLUSTERED COLUMNSTORE",)


def show_create_text(conn: Any, database: str, name: str) -> str | None:
    """The ``Create Table`` text of SHOW CREATE TABLE, or None when the server returned none."""
    rows = conn.query(f"SHOW CREATE TABLE {quote_qualified(database, name)}", ())
    if not rows:
        return None
    row = rows[0]
    value = row.get("Create Table") if "Create Table" in row else list(row.values())[-1]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) if value is not None else None


def read_table(conn: Any, database: str, name: str) -> dict[str, Any] | None:
    """The table as the catalog reports it, or None.

    On SingleStore the shard key, sort key and storage kind come from SHOW CREATE TABLE (its documented
    printed forms, ``_table_sql``), checked against ``information_schema.STATISTICS``/``TABLES``. A fact
    neither source states, or on which they disagree, is not guessed: it is left ``None`` and named in
    ``state['unreadable']`` (fact -> why), and the plan refuses to act on it.
    """
    tables = [
        row
        for row in conn.query(
            "SELECT * FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (database, name)
        )
        if row.get("TABLE_NAME") == name
    ]
    if not tables:
        return None
    columns = []
    for row in conn.query(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, ORDINAL_POSITION FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (database, name),
    ):
        ctype = row["COLUMN_TYPE"].decode() if isinstance(row["COLUMN_TYPE"], bytes) else str(row["COLUMN_TYPE"])
        columns.append(
            dict(
                name=row["COLUMN_NAME"],
                type=ctype,
                nullable=str(row["IS_NULLABLE"]).upper() == "YES",
                default=normalise_server_default(row["COLUMN_DEFAULT"]),
            )
        )
    indexes: dict[str, dict[str, Any]] = {}
    for row in conn.query(
        "SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (database, name),
    ):
        entry = indexes.setdefault(
            row["INDEX_NAME"],
            dict(
                columns=[],
                unique=str(row["NON_UNIQUE"]) in ("0", "False"),
                type=str(row.get("INDEX_TYPE") or "").upper(),
            ),
        )
        if row["COLUMN_NAME"]:
            entry["columns"].append(row["COLUMN_NAME"])
    state: dict[str, Any] = dict(
        database=database,
        name=name,
        columns=columns,
        primary_key=[],
        keys=[],
        shard_key=None,
        sort_key=None,
        storage=None,
        rows=tables[0].get("TABLE_ROWS"),
    )
    if not conn.is_singlestore:
        for index_name, entry in sorted(indexes.items()):
            if index_name == "PRIMARY":
                state["primary_key"] = entry["columns"]
            else:
                state["keys"].append(dict(name=index_name, columns=entry["columns"], unique=entry["unique"]))
        return state
    return _singlestore_keys(state, indexes, tables[0], show_create_text(conn, database, name))


def _singlestore_keys(
    state: dict[str, Any], indexes: dict[str, dict[str, Any]], table_row: dict[str, Any], text: str | None
) -> dict[str, Any]:
    """Fill storage, primary/shard/sort keys and keys of a SingleStore table from SHOW CREATE TABLE and STATISTICS."""
    unreadable: dict[str, str] = {}
    parsed: dict[str, Any] | None = None
    try:
        parsed = parse_show_create_table(text) if text else None
    except ShowCreateError as exc:
        unreadable["show_create_table"] = str(exc)
    if text is None:
        unreadable["show_create_table"] = "SHOW CREATE TABLE returned no text"
    stat_shard = next(
        (e["columns"] for n, e in sorted(indexes.items()) if e["type"] in _SHARD_TYPES or n == SHARD_INDEX_NAME), None
    )
    sort_name, stat_sort = next(
        ((n, e["columns"]) for n, e in sorted(indexes.items()) if e["type"] in _SORT_TYPES), (None, None)
    )

    catalog_storage = storage_of(table_row)
    if (
        parsed
        and catalog_storage is not None
        and table_row.get("DISTRIBUTED") is None
        and parsed["storage"] == "reference"
    ):
        catalog_storage = "reference"  # a TABLES view without DISTRIBUTED cannot tell reference tables apart
    storage = parsed["storage"] if parsed else catalog_storage
    if parsed and catalog_storage is not None and parsed["storage"] != catalog_storage:
        unreadable["storage"] = (
            f"SHOW CREATE TABLE says {parsed['storage']} but information_schema.TABLES says {catalog_storage}"
        )
        storage = None
    elif storage is None:
        unreadable["storage"] = "neither SHOW CREATE TABLE nor information_schema.TABLES (STORAGE_TYPE) states it"
    state["storage"] = storage
    rowstore = parsed["rowstore"] if parsed else "ROWSTORE" in str(table_row.get("STORAGE_TYPE") or "").upper()

    state["primary_key"] = (
        parsed["primary_key"] if parsed and parsed["primary_key"] else indexes.get("PRIMARY", {}).get("columns", [])
    )
    lookalike = [
        key
        for key in (parsed["keys"] if parsed else [])
        if key["unique"] and key["name"].strip("_").upper() == "PRIMARY"
    ]
    if not state["primary_key"] and lookalike:
        # SingleStore's own notebooks print a unique key `__PRIMARY` (notebook_kai_unique_dunder_primary): whether the
        # server means it as the primary key is not documented, so a task managing primary_key must not decide on it.
        unreadable["primary_key"] = (
            f"SHOW CREATE TABLE prints no primary key but a unique key {lookalike[0]['name']!r} "
            f"on {lookalike[0]['columns']}"
        )
        state["primary_key"] = None

    if storage == "reference":
        state["shard_key"] = None  # reference tables are copied to every node and take no shard key
    elif parsed is not None and parsed["shard_key"] is not None:
        state["shard_key"] = parsed["shard_key"]
        if stat_shard is not None and stat_shard != parsed["shard_key"]:
            unreadable["shard_key"] = (
                f"SHOW CREATE TABLE shows SHARD KEY {parsed['shard_key']} but information_schema.STATISTICS "
                f"shows {stat_shard}"
            )
            state["shard_key"] = None
    elif stat_shard is not None:
        state["shard_key"] = stat_shard
    elif storage is not None:
        unreadable["shard_key"] = (
            "SHOW CREATE TABLE prints no SHARD KEY clause and information_schema.STATISTICS has no shard-key rows"
        )

    if storage is None or rowstore:
        state["sort_key"] = None  # rowstore tables have no sort key
    elif parsed is not None and parsed["sort_key"] is not None:
        state["sort_key"] = parsed["sort_key"]
    elif stat_sort is not None:
        state["sort_key"] = stat_sort
    else:
        unreadable["sort_key"] = (
            "SHOW CREATE TABLE prints no SORT KEY (nor KEY ... USING CLUSTERED COLUMNSTORE) and "
            "information_schema.STATISTICS has no sort-key rows"
        )

    hidden = {"PRIMARY", SHARD_INDEX_NAME, sort_name}
    keys = {key["name"]: key for key in (parsed["keys"] if parsed else [])}
    for index_name, entry in sorted(indexes.items()):
        if index_name in hidden or index_name in keys or entry["type"] in _SHARD_TYPES + _SORT_TYPES:
            continue
        keys[index_name] = dict(name=index_name, columns=entry["columns"], unique=entry["unique"])
    state["keys"] = [keys[n] for n in sorted(keys)]
    state["_rowstore"] = bool(rowstore)  # internal: a ROWSTORE REFERENCE table is "reference" but not columnstore
    if unreadable:
        state["unreadable"] = unreadable
    return state


def storage_of(row: dict[str, Any]) -> str | None:
    kind = str(row.get("STORAGE_TYPE") or "").upper()
    if row.get("DISTRIBUTED") is not None and str(row.get("DISTRIBUTED")) in ("0", "False"):
        return "reference"
    if kind == "COLUMNSTORE":
        return "columnstore"
    if "ROWSTORE" in kind:
        return "rowstore"
    return None


def list_backups(conn: Any, database: str, name: str) -> list[str]:
    pattern = name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_\\_backup\\_%"
    rows = conn.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s",
        (database, pattern),
    )
    rx = re.compile("^" + re.escape(name) + r"__backup_\d{14}$")
    return sorted(row["TABLE_NAME"] for row in rows if rx.match(row["TABLE_NAME"]))


# -- rendering ------------------------------------------------------------------------------


def column_sql(col: dict[str, Any], params: list[Any]) -> str:
    """`` `name` type [NOT] NULL [DEFAULT ...]``; a default value is appended to ``params``."""
    sql = f"{quote_identifier(col['name'], 'column name')} {col['type'].replace('%', '%%')}"
    sql += " NULL" if col["nullable"] else " NOT NULL"
    if col.get("default") is not None:
        expr = default_expression(col["default"])
        if expr:
            sql += f" DEFAULT {expr}"
        else:
            sql += " DEFAULT %s"
            params.append(col["default"])
    return sql


def key_sql(key: dict[str, Any], hash_keys: bool) -> str:
    sql = (
        ("UNIQUE KEY " if key["unique"] else "KEY ")
        + quote_identifier(key["name"], "key name")
        + " "
        + quote_column_list(key["columns"])
    )
    return sql + (" USING HASH" if hash_keys else "")


def create_sql(spec: dict[str, Any], database: str, name: str, singlestore: bool) -> tuple[str, list[Any]]:
    """CREATE TABLE for ``spec`` under ``database``.``name`` (a definition's body is kept verbatim)."""
    target = quote_qualified(database, name)
    prefix = _STORAGE_PREFIX[spec.get("storage")]
    if spec.get("definition"):
        return f"CREATE {prefix}TABLE {target} " + spec["definition_body"].replace("%", "%%"), []
    params: list[Any] = []
    lines = [column_sql(col, params) for col in spec["columns"]]
    if spec.get("primary_key"):
        lines.append("PRIMARY KEY " + quote_column_list(spec["primary_key"]))
    if singlestore and spec.get("shard_key") is not None:
        lines.append("SHARD KEY " + quote_column_list(spec["shard_key"]))
    if singlestore and spec.get("sort_key") is not None:
        lines.append("SORT KEY " + quote_column_list(spec["sort_key"]))
    hash_keys = singlestore and spec.get("storage") != "rowstore"
    lines += [key_sql(key, hash_keys) for key in spec.get("keys") or []]
    return f"CREATE {prefix}TABLE {target} (\n  " + ",\n  ".join(lines) + "\n)", params


def column_differences(wanted: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between a wanted column and the catalog's (empty list: same)."""
    out = []
    if normalise_type(wanted["type"]) != normalise_type(current["type"]):
        out.append(f"type {current['type']} -> {wanted['type']}")
    if bool(wanted["nullable"]) != bool(current["nullable"]):
        out.append(f"nullable {current['nullable']} -> {wanted['nullable']}")
    if normalise_user_default(wanted.get("default")) != current.get("default"):
        out.append(f"default {current.get('default')!r} -> {normalise_user_default(wanted.get('default'))!r}")
    return out
