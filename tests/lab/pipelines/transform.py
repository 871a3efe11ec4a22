"""Turn Kafka records into rows and rows into MariaDB statements, as a pipeline batch would.

Parsing follows CREATE PIPELINE's JSON and CSV load options
(https://docs.singlestore.com/cloud/reference/sql-reference/pipelines-commands/create-pipeline/, cloud): JSON paths
``a::b`` (``%`` is the whole record), ``DEFAULT`` for a missing path, JSON null -> NULL, true/false -> "1"/"0", objects and arrays as JSON
text; CSV with the pipeline's FIELDS/LINES settings. ``@var`` targets feed ``SET`` and ``WHERE``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

from .grammar import PipelineDef, quote_ident, split_top_level, unquote_ident

_MISSING = object()


class RecordError(Exception):
    """A record that cannot be parsed or mapped (a parser error in SingleStore's terms)."""

    def __init__(self, message: str, line: str = "", line_number: int = 0):
        super().__init__(message)
        self.line = line
        self.line_number = line_number


@dataclass(frozen=True)
class Row:
    columns: tuple[str, ...]        # target columns, in order
    values: tuple                   # one per column
    variables: dict                 # "@var" -> value


def _sql_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def _literal(text: str | None):
    """A DEFAULT literal of a mapping entry, as a Python value."""
    if text is None:
        return _MISSING
    text = text.strip()
    if text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def extract(document, path: str):
    if path == "%":
        return json.dumps(document, separators=(",", ":"))
    value = document
    for key in path.split("::"):
        if isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return _MISSING
    return value


def json_rows(d: PipelineDef, payload: bytes, table_columns: list[str]) -> list[Row]:
    text = payload.decode("utf-8", errors="strict") if payload is not None else ""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RecordError(f"Invalid JSON value: {exc}", text[:200], 1) from exc
    if not d.mapping:
        if not isinstance(document, dict):
            raise RecordError("FORMAT JSON without a mapping needs a JSON object per record", text[:200], 1)
        present = [c for c in table_columns if c in document]
        return [Row(tuple(present), tuple(_sql_value(document[c]) for c in present), {})]
    columns, values, variables = [], [], {}
    for entry in d.mapping:
        value = extract(document, entry.path)
        if value is _MISSING:
            value = _literal(entry.default)
            if value is _MISSING:
                raise RecordError(f"Path '{entry.path}' not found in the JSON record and no DEFAULT given", text[:200], 1)
        value = _sql_value(value)
        if entry.target.startswith("@"):
            variables[entry.target] = value
        else:
            columns.append(entry.target)
            values.append(value)
    return [Row(tuple(columns), tuple(values), variables)]


def csv_rows(d: PipelineDef, payload: bytes, table_columns: list[str]) -> list[Row]:
    text = payload.decode("utf-8", errors="replace") if payload is not None else ""
    targets = list(d.columns) if d.columns else list(table_columns)
    rows = []
    lines = [ln for ln in text.split(d.lines_terminated_by) if ln != ""] if d.lines_terminated_by else [text]
    for number, line in enumerate(lines, start=1):
        if d.lines_starting_by:
            if d.lines_starting_by not in line:
                continue
            line = line.split(d.lines_starting_by, 1)[1]
        if d.fields_enclosed_by or d.fields_escaped_by not in ("", "\\") or len(d.fields_terminated_by) == 1:
            reader = csv.reader(io.StringIO(line), delimiter=d.fields_terminated_by[:1] or "\t",
                                quotechar=d.fields_enclosed_by[:1] or None,
                                escapechar=d.fields_escaped_by[:1] or None, quoting=csv.QUOTE_MINIMAL if d.fields_enclosed_by else csv.QUOTE_NONE)
            try:
                fields = next(reader, [])
            except csv.Error as exc:
                raise RecordError(f"Invalid CSV record: {exc}", line[:200], number) from exc
        else:
            fields = line.split(d.fields_terminated_by)
        columns, values, variables = [], [], {}
        for i, target in enumerate(targets):
            value = fields[i] if i < len(fields) else None
            if value == "\\N":
                value = None
            if target.startswith("@"):
                variables[target] = value
            else:
                columns.append(target)
                values.append(value)
        rows.append(Row(tuple(columns), tuple(values), variables))
    return rows


def record_rows(d: PipelineDef, payload: bytes, table_columns: list[str]) -> list[Row]:
    return json_rows(d, payload, table_columns) if d.fmt == "JSON" else csv_rows(d, payload, table_columns)


_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|`[^`]*`|@[A-Za-z0-9_$]+")


def bind_variables(expression: str) -> tuple[str, list[str]]:
    """Replace ``@var`` (outside quotes) by ``%s`` and escape every literal ``%``.

    Returns the new text and the variable names in placeholder order.
    """
    names: list[str] = []
    out, last = [], 0
    for m in _TOKEN.finditer(expression):
        out.append(expression[last:m.start()].replace("%", "%%"))
        token = m.group(0)
        if token.startswith("@"):
            names.append(token)
            out.append("%s")
        else:
            out.append(token.replace("%", "%%"))
        last = m.end()
    out.append(expression[last:].replace("%", "%%"))
    return "".join(out), names


@dataclass(frozen=True)
class InsertPlan:
    sql: str
    # How to build the parameters of one row: ("col", index) or ("var", "@name").
    params: tuple[tuple[str, object], ...]
    per_row: bool                     # True when executemany cannot fold rows into one VALUES list


def _set_pairs(set_clause: str | None) -> list[tuple[str, str]]:
    pairs = []
    for item in split_top_level(set_clause or ""):
        col, _, expr = item.partition("=")
        pairs.append((unquote_ident(col.strip()), expr.strip()))
    return pairs


def insert_plan(d: PipelineDef, database: str, columns: tuple[str, ...]) -> InsertPlan:
    """The statement that loads rows with these target columns into the pipeline's table."""
    set_pairs = _set_pairs(d.set_clause)
    overridden = {c for c, _ in set_pairs}
    target_cols: list[str] = []
    exprs: list[str] = []
    params: list[tuple[str, object]] = []
    for i, col in enumerate(columns):
        if col not in overridden:  # a SET expression wins over the mapped value
            target_cols.append(col)
            exprs.append("%s")
            params.append(("col", i))
    for col, expr in set_pairs:
        sql_expr, names = bind_variables(expr)
        target_cols.append(col)
        exprs.append(sql_expr)
        params.extend(("var", n) for n in names)

    verb, suffix, suffix_params = "INSERT", "", []
    if "REPLACE" in d.error_handling and not d.on_duplicate_key_update:
        verb = "REPLACE"
    elif any(e.startswith("IGNORE") for e in d.error_handling):
        verb = "INSERT IGNORE"
    if d.on_duplicate_key_update:
        upd, names = bind_variables(d.on_duplicate_key_update)
        suffix, suffix_params = f" ON DUPLICATE KEY UPDATE {upd}", [("var", n) for n in names]
    elif "SKIP DUPLICATE KEY ERRORS" in d.error_handling and target_cols:
        # A no-op update skips a duplicate key without hiding any other error (unlike IGNORE).
        first = quote_ident(target_cols[0])
        suffix = f" ON DUPLICATE KEY UPDATE {first} = {first}"

    table = f"{quote_ident(database)}.{quote_ident(d.target)}"
    col_list = ", ".join(quote_ident(c) for c in target_cols)
    if d.where_clause:
        where, names = bind_variables(d.where_clause)
        sql = f"{verb} INTO {table} ({col_list}) SELECT {', '.join(exprs)} FROM DUAL WHERE {where}{suffix}"
        return InsertPlan(sql, tuple(params + [("var", n) for n in names] + suffix_params), True)
    sql = f"{verb} INTO {table} ({col_list}) VALUES ({', '.join(exprs)}){suffix}"
    return InsertPlan(sql, tuple(params + suffix_params), False)


def row_params(plan: InsertPlan, row: Row) -> tuple:
    out = []
    for kind, ref in plan.params:
        out.append(row.values[ref] if kind == "col" else row.variables.get(ref))
    return tuple(out)
