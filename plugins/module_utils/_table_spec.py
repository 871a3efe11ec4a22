# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired table (the spec) of a singlestore_table task: from its options or its CREATE TABLE text."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    validate_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_coltypes import (
    canonical_type,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_sql import (
    closing_parenthesis,
    split_top_level,
)


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
        # "Reference tables must have explicit primary keys" (9.1,
        # https://docs.singlestore.com/db/v9.1/introduction/distributed-architecture/distributed-sql-surface-area/)
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


# -- what SingleStore refuses ----------------------------------------------------------------

# What SingleStore refuses in ALTER TABLE, checked in the plan so that nothing runs when the server would refuse
# a statement half-way through a plan. Each rule cites the page that states it.
UNIQUE_ON_COLUMNSTORE = (
    "SingleStore does not add or alter a unique key on an existing columnstore table "
    '("Adding or altering a unique index is not supported on existing columnstore tables", '
    "https://docs.singlestore.com/cloud/reference/sql-reference/data-definition-language-ddl/create-index/)"
)
UNIQUE_WITHOUT_SHARD = (
    "a unique key of a sharded table must contain every column of the shard key "
    "(https://docs.singlestore.com/db/v9.1/reference/troubleshooting-reference/query-errors/"
    "why-do-i-get-errors-about-unique-keys/)"
)
# "the maximum number of columns an index can contain is 32" (same CREATE INDEX page, on columnstore hash indexes)
MAX_COLUMNSTORE_KEY_COLUMNS = 32


def refused_alters(
    spec: dict[str, Any], before: dict[str, Any], changed_keys: list[dict[str, Any]], before_rowstore: bool
) -> list[tuple[str, bool]]:
    """The key changes of a planned ALTER TABLE that SingleStore refuses: (what and which rule, whether a
    rebuild, which creates the table anew with the key, avoids the refusal). ``before_rowstore``: the table
    on the server is a ROWSTORE (REFERENCE) table."""
    storage = before.get("storage")
    columnstore = storage == "columnstore" or (storage == "reference" and not before_rowstore)
    current = {key["name"]: key for key in before["keys"]}
    touched = [key for key in spec["keys"] if key["name"] not in current] + list(changed_keys)
    out = []
    for key in touched:
        label = f"key {key['name']!r} {tuple(key['columns'])}"
        old = current.get(key["name"])
        if columnstore and (key["unique"] or (old is not None and old["unique"])):
            out.append((f"{label}: {UNIQUE_ON_COLUMNSTORE}", True))
        if columnstore and len(key["columns"]) > MAX_COLUMNSTORE_KEY_COLUMNS:
            out.append((f"{label}: a columnstore key holds at most {MAX_COLUMNSTORE_KEY_COLUMNS} columns", False))
        if key["unique"] and storage not in (None, "reference"):
            shard = before.get("shard_key")
            if shard is None:
                unchecked = f"the table's shard key cannot be read back, so the rule that {UNIQUE_WITHOUT_SHARD}"
                out.append((f"{label}: {unchecked} cannot be checked", False))
            else:
                missing = [col for col in shard if col not in key["columns"]]
                if missing:
                    out.append((f"{label}: {UNIQUE_WITHOUT_SHARD}; it lacks {', '.join(missing)}", False))
    return out
