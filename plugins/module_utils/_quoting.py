# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifier validation and quoting: the only place SQL identifiers are turned into text.

Values never pass through here; they go to the driver as parameters.
"""

from __future__ import annotations

import re

MAX_IDENTIFIER_LENGTH = 64
MAX_USER_LENGTH = 32

# Characters refused by policy even though quoting could carry some of them: a name holding
# them is nearly always a mistake or an injection attempt, and other tools handle them badly.
_FORBIDDEN = (
    ("\x00", "a NUL character"),
    ("\n", "a newline"),
    ("\r", "a carriage return"),
    ("`", "a backtick"),
    ("'", "a quote"),
    ('"', "a double quote"),
    (";", "a semicolon"),
    ("\\", "a backslash"),
)

_SESSION_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class IdentifierError(ValueError):
    """A name that cannot be used as an identifier; the message names it."""


def validate_identifier(name: object, kind: str = "identifier", max_length: int = MAX_IDENTIFIER_LENGTH) -> str:
    """Return ``name`` if it is an acceptable identifier, else raise IdentifierError.

    Letters outside ASCII are accepted (the servers store identifiers as UTF-8).
    """
    if not isinstance(name, str):
        raise IdentifierError(f"{kind} must be a string, got {type(name).__name__}: {name!r}")
    if name == "":
        raise IdentifierError(f"{kind} must not be empty")
    if len(name) > max_length:
        raise IdentifierError(f"{kind} {name!r} is {len(name)} characters long; the limit is {max_length}")
    for char, label in _FORBIDDEN:
        if char in name:
            raise IdentifierError(f"{kind} {name!r} contains {label}, which this collection refuses in names")
    if name != name.strip():
        raise IdentifierError(f"{kind} {name!r} has leading or trailing whitespace")
    if not name.isprintable():
        raise IdentifierError(f"{kind} {name!r} contains a control character")
    return name


def quote_identifier(name: str, kind: str = "identifier") -> str:
    """Validate ``name`` and return it in backticks (any backtick doubled).

    Every statement of this collection goes through the driver's ``%`` parameter formatting (with an
    empty tuple when it has no parameters), so a ``%`` in a name is doubled as well.
    """
    validate_identifier(name, kind)
    return "`" + name.replace("`", "``").replace("%", "%%") + "`"


def quote_qualified(*parts: str, kind: str = "identifier") -> str:
    """Quote each part and join them with dots: ``db``.``table``."""
    return ".".join(quote_identifier(part, kind) for part in parts)


def quote_column_list(columns: list[str]) -> str:
    """``(`a`, `b`)`` for a list of column names; ``()`` for an empty list."""
    return "(" + ", ".join(quote_identifier(col, "column name") for col in columns) + ")"


def validate_user(name: object, host: object) -> tuple[str, str]:
    """Validate a user name and host; both travel as driver parameters, never as text."""
    validate_identifier(name, "user name", MAX_USER_LENGTH)
    if not isinstance(host, str) or host == "":
        raise IdentifierError(f"host of user {name!r} must be a non-empty string")
    validate_identifier(host, f"host of user {name!r}", 255)
    return str(name), str(host)


def validate_session_var(name: str) -> str:
    """Session variable names are bare words: letters, digits, underscore."""
    if not isinstance(name, str) or not _SESSION_VAR.match(name):
        raise IdentifierError(f"session variable name {name!r} is not a plain name (letters, digits, underscore)")
    return name
