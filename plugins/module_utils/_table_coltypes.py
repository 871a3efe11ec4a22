# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Column types and defaults: validation by an allow-list of SQL type shapes, and normalisation.

Both the user's type and the server's ``information_schema.COLUMNS.COLUMN_TYPE`` go through
``normalise_type`` before they are compared, so ``int`` equals ``int(11)`` and ``VARCHAR(50)``
equals ``varchar(50)``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_STRING = r"'(?:[^'\\\n]|'')*'"
_INT = r"(?:tinyint|smallint|mediumint|int|bigint)(?:\(\d{1,3}\))?(?: unsigned)?(?: zerofill)?"
_DEC = r"decimal(?:\(\d{1,2}(?:,\d{1,2})?\))?(?: unsigned)?(?: zerofill)?"
_FLT = r"(?:float|double)(?:\(\d{1,2}(?:,\d{1,2})?\))?(?: unsigned)?(?: zerofill)?"
_TYPE_SHAPES = (
    _INT,
    _DEC,
    _FLT,
    r"bit(?:\(\d{1,2}\))?",
    r"(?:time|datetime|timestamp)(?:\([0-6]\))?",
    r"date",
    r"year(?:\(4\))?",
    r"(?:char|binary)(?:\(\d{1,3}\))?",
    r"(?:varchar|varbinary)\(\d{1,5}\)",
    r"tinytext|text|mediumtext|longtext|tinyblob|blob|mediumblob|longblob",
    r"json|bson|geography|geographypoint|geometry|point",
    rf"(?:enum|set)\({_STRING}(?:,{_STRING})*\)",
)
_TYPE_RE = re.compile(r"^(?:" + "|".join(f"(?:{shape})" for shape in _TYPE_SHAPES) + r")$")

_SYNONYMS = (
    (re.compile(r"^integer\b"), "int"),
    (re.compile(r"^(?:bool|boolean)$"), "tinyint(1)"),
    (re.compile(r"^(?:dec|numeric|fixed)\b"), "decimal"),
    (re.compile(r"^double precision\b"), "double"),
    (re.compile(r"^real\b"), "double"),
    (re.compile(r"^character varying\b"), "varchar"),
    (re.compile(r"^character\b"), "char"),
)

_QUOTED = re.compile(_STRING)


def _canonical_text(type_text: str) -> str:
    """Lower-case outside quoted strings, single spaces, no spaces around parentheses and commas."""
    parts = []
    pos = 0
    for match in _QUOTED.finditer(type_text):
        parts.append(type_text[pos : match.start()].lower())
        parts.append(match.group(0))
        pos = match.end()
    parts.append(type_text[pos:].lower())
    text = "".join(parts)
    out = []
    pos = 0
    for match in _QUOTED.finditer(text):
        out.append(_squeeze(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_squeeze(text[pos:]))
    return "".join(out).strip()


def _squeeze(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s*([(,])\s*", r"\1", text)
    return re.sub(r"\s+\)", ")", text)


def canonical_type(type_text: str) -> str:
    """The user's type in canonical spelling (synonyms resolved); raise ValueError if it is not a known shape."""
    if not isinstance(type_text, str) or not type_text.strip():
        raise ValueError("a column type must be a non-empty string")
    text = _canonical_text(type_text)
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text, count=1)
    if not _TYPE_RE.match(text):
        raise ValueError(
            f"{type_text!r} is not a column type this collection recognises "
            "(integer, decimal, float/double, bit, date/time, char/varchar, binary, text/blob, json, enum/set)"
        )
    return text


def normalise_type(type_text: str) -> str:
    """A comparison key for a type: display widths dropped, implicit lengths made explicit."""
    text = _canonical_text(type_text)
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text, count=1)
    text = re.sub(r"^(tinyint|smallint|mediumint|int|bigint)\(\d+\)", r"\1", text)
    text = re.sub(r"^decimal(?=$| )", "decimal(10,0)", text)
    text = re.sub(r"^decimal\((\d+)\)", r"decimal(\1,0)", text)
    text = re.sub(r"^(time|datetime|timestamp)\(0\)", r"\1", text)
    text = re.sub(r"^(char|binary)(?=$| )", r"\1(1)", text)
    text = re.sub(r"^year\(4\)", "year", text)
    text = re.sub(r"^bit(?=$| )", "bit(1)", text)
    # MariaDB stores JSON as LONGTEXT (with a CHECK constraint)
    if text == "json":
        text = "longtext"
    return text


def types_equal(wanted: str, current: str) -> bool:
    return normalise_type(wanted) == normalise_type(current)


_DEFAULT_EXPRESSIONS = re.compile(
    r"^(?:current_timestamp|now|localtimestamp|localtime)(?:\(([0-6]?)\))?$", re.IGNORECASE
)


def default_expression(value: Any) -> str | None:
    """SQL text for a default that is a time function (rendered as-is), else None (a value: driver parameter)."""
    if isinstance(value, str):
        match = _DEFAULT_EXPRESSIONS.match(value.strip())
        if match:
            precision = match.group(1)
            return f"CURRENT_TIMESTAMP({precision})" if precision else "CURRENT_TIMESTAMP"
    return None


def normalise_user_default(value: Any) -> str | None:
    """Comparison key of a default given in a task."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    expr = default_expression(value)
    if expr is not None:
        return _normalise_expression(expr)
    return _number_key(str(value))


def normalise_server_default(value: Any) -> str | None:
    """Comparison key of ``COLUMN_DEFAULT`` as MariaDB ('abc' quoted, NULL as text) or MySQL/SingleStore
    (bare) report it."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    if text.upper() == "NULL":
        return None
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return _number_key(text[1:-1].replace("''", "'").replace("\\\\", "\\"))
    if _DEFAULT_EXPRESSIONS.match(text):
        return _normalise_expression(text)
    return _number_key(text)


def _normalise_expression(text: str) -> str:
    match = _DEFAULT_EXPRESSIONS.match(text)
    precision = match.group(1) if match else ""
    return f"current_timestamp({precision})" if precision and precision != "0" else "current_timestamp"


def _number_key(text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return format(number.normalize(), "f") if number == number.to_integral_value() else str(number.normalize())
