# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the keys of a table from the ``Create Table`` text that SingleStore's SHOW CREATE TABLE prints.

Every printed form this reader accepts is a case of ``tests/conformance/singlestore/show_create_table/``:

* the documented examples of "SHOW CREATE TABLE"
  (https://docs.singlestore.com/db/v9.1/reference/sql-reference/show-commands/show-create-table/, 9.1, and the
  /cloud/ page of the same name): a keyless table ends its definitions with a line ``  , SHARD KEY () ``, and a
  columnstore sort key is printed in the legacy form ``KEY `b` (`b`) USING CLUSTERED COLUMNSTORE``
  ("KEY() USING CLUSTERED COLUMNSTORE is a legacy syntax that is equivalent to SORT KEY()",
  https://docs.singlestore.com/db/v8.9/create-a-database/creating-a-columnstore-table/, 8.9);
* the newer form ``SORT KEY `c` (`c`)``, ``SORT KEY `__UNORDERED` ()``, ``SHARD KEY `__SHARDKEY` (`c`)`` and a
  columnstore primary key printed as ``UNIQUE KEY `PRIMARY` (...) USING HASH`` (the shard key's name
  ``__SHARDKEY`` is documented for SHOW INDEX on columnstore tables:
  https://docs.singlestore.com/cloud/reference/sql-reference/show-commands/show-index-show-indexes-show-keys/).

A clause that is absent is reported as absent (``None``), never as "empty": the caller decides what an
absent shard or sort key means, and refuses to act on a guess.
"""

from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(
    r"^\s*CREATE\s+(?P<words>(?:(?:ROWSTORE|REFERENCE|TEMPORARY|GLOBAL)\s+)*)TABLE\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?:`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(?:`(?:[^`]|``)+`|[\w$]+))?\s*\(",
    re.IGNORECASE,
)
_NAME = r"(?:`(?P<name>(?:[^`]|``)*)`|(?P<bare>[\w$]+))"
_SHARD = re.compile(
    r"^(?:CONSTRAINT\s+(?:`(?:[^`]|``)*`\s+|[\w$]+\s+)?)?SHARD\s+KEY\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
_SORT = re.compile(r"^SORT\s+KEY\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_PRIMARY = re.compile(
    r"^(?:CONSTRAINT\s+(?:`(?:[^`]|``)*`\s+|[\w$]+\s+)?)?PRIMARY\s+KEY\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
_KEY = re.compile(
    r"^(?:CONSTRAINT\s+(?:`(?:[^`]|``)*`\s+|[\w$]+\s+)?)?(?P<unique>UNIQUE\s+)?(?:KEY|INDEX)\b\s*(?:" + _NAME + r")?"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_IGNORED = re.compile(r"^(?:FULLTEXT|COLUMN\s+GROUP|MULTI\s+VALUE|FOREIGN\s+KEY|CHECK|SPATIAL)\b", re.IGNORECASE)


class ShowCreateError(ValueError):
    """The text is not a CREATE TABLE this reader understands; the message says why."""


def split_top_level(text: str, sep: str = ",") -> tuple[list[str], bool]:
    """(the parts of ``text`` split on ``sep`` outside parentheses, quotes and backticks; whether it was balanced)."""
    parts, depth, quote, buf = [], 0, None, []
    for char in text:
        if quote:
            buf.append(char)
            if char == quote:
                quote = None
            continue
        if char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == sep and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
            continue
        buf.append(char)
    parts.append("".join(buf).strip())
    return [part for part in parts if part], not quote and not depth


def closing_parenthesis(text: str, start: int) -> int | None:
    """Index of the ``)`` closing a ``(`` just before ``start`` (quotes and backticks respected), or None."""
    depth, quote = 1, None
    for pos in range(start, len(text)):
        char = text[pos]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos
    return None


def _split_definitions(body: str) -> list[str]:
    """The definitions between the outer parentheses, split on top-level commas (quotes and backticks respected)."""
    return split_top_level(body)[0]


def _body(text: str) -> tuple[str, str]:
    """(header words, text between the column list's parentheses)."""
    match = _HEADER.match(text)
    if not match:
        raise ShowCreateError("the text does not start with CREATE [ROWSTORE] [REFERENCE] TABLE <name> (")
    end = closing_parenthesis(text, match.end())
    if end is None:
        raise ShowCreateError("the column list is not closed")
    return " ".join(match.group("words").upper().split()), text[match.end() : end]


def _columns(rest: str) -> list[str] | None:
    """The column names of the first ``(...)`` group in ``rest`` (ASC/DESC and prefix lengths dropped); None if no group."""
    match = re.search(r"\((?P<cols>(?:[^()`]|`(?:[^`]|``)*`|\(\d+\))*)\)", rest)
    if not match:
        return None
    cols = []
    for part in _split_definitions(match.group("cols")):
        part = re.sub(r"\s+(?:ASC|DESC)$", "", part.strip(), flags=re.IGNORECASE)
        part = re.sub(r"\(\d+\)$", "", part).strip()
        cols.append(part[1:-1].replace("``", "`") if part.startswith("`") and part.endswith("`") else part)
    return cols


def _unquote(match: re.Match[str]) -> str | None:
    if match.group("name") is not None:
        return match.group("name").replace("``", "`")
    return match.group("bare")


def storage_from_header(words: str) -> str | None:
    """The module's storage kind for the words between CREATE and TABLE (None for temporary tables)."""
    if "TEMPORARY" in words.split():
        return None
    if "REFERENCE" in words.split():
        return "reference"
    return "rowstore" if "ROWSTORE" in words.split() else "columnstore"


def parse_show_create_table(text: str) -> dict[str, Any]:
    """The facts a ``Create Table`` text states.

    Returns ``storage`` (columnstore / rowstore / reference, from the first line), ``rowstore`` (bool),
    ``columns`` (names in order), ``primary_key`` (list; [] when none is printed), ``shard_key`` and
    ``sort_key`` (list, [] for an empty key, **None when the text has no such clause**) and ``keys``
    (other keys: name, columns, unique).
    """
    if not isinstance(text, str) or not text.strip():
        raise ShowCreateError("empty SHOW CREATE TABLE text")
    words, body = _body(text)
    out: dict[str, Any] = dict(
        storage=storage_from_header(words),
        rowstore="ROWSTORE" in words.split(),
        columns=[],
        primary_key=[],
        shard_key=None,
        sort_key=None,
        keys=[],
    )
    for item in _split_definitions(body):
        flat = " ".join(item.split())
        if _IGNORED.match(flat):
            continue
        shard = _SHARD.match(flat)
        if shard:
            out["shard_key"] = _columns(shard.group("rest")) or []
            continue
        sort = _SORT.match(flat)
        if sort:
            out["sort_key"] = _columns(sort.group("rest")) or []
            continue
        primary = _PRIMARY.match(flat)
        if primary:
            out["primary_key"] = _columns(primary.group("rest")) or []
            continue
        key = _KEY.match(flat)
        if key:
            cols = _columns(key.group("rest"))
            if cols is None:
                raise ShowCreateError(f"a key without a column list: {flat!r}")
            name = _unquote(key)
            if re.search(r"\bUSING\s+CLUSTERED\s+COLUMNSTORE\b", key.group("rest"), re.IGNORECASE):
                out["sort_key"] = cols
            elif key.group("unique") and name == "PRIMARY":
                out["primary_key"] = cols
            else:
                out["keys"].append(
                    dict(name=name if name is not None else cols[0], columns=cols, unique=bool(key.group("unique")))
                )
            continue
        column = re.match(_NAME, flat)
        if not column:
            raise ShowCreateError(f"cannot read the definition {flat!r}")
        out["columns"].append(_unquote(column))
    return out
