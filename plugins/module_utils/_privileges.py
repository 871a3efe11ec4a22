# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Privileges: parse the task's ``db.table: [privs]`` dict and read grants from information_schema.

Grants are read from ``USER_PRIVILEGES`` (``*.*``), ``SCHEMA_PRIVILEGES`` (``db.*``) and
``TABLE_PRIVILEGES`` (``db.table``) - never by parsing ``SHOW GRANTS`` text.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import IdentifierError, quote_identifier, validate_identifier

GRANT_OPTION = "GRANT OPTION"
ALL = "ALL PRIVILEGES"
_PRIV_RE = re.compile(r"^[A-Z][A-Z_]*(?: [A-Z_]+){0,3}$")

# What ALL PRIVILEGES expands to below the global level, as MariaDB 10.x/11.x and SingleStore's MySQL
# compatibility report it. The global level is read from SHOW PRIVILEGES when the server has it.
ALL_AT_LEVEL = {
    "database": frozenset({
        "ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES", "CREATE VIEW", "DELETE",
        "DELETE HISTORY", "DROP", "EVENT", "EXECUTE", "INDEX", "INSERT", "LOCK TABLES", "REFERENCES", "SELECT",
        "SHOW VIEW", "TRIGGER", "UPDATE"}),
    "table": frozenset({
        "ALTER", "CREATE", "CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "INDEX", "INSERT", "REFERENCES",
        "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE"}),
}
_NOT_IN_GLOBAL_ALL = {"USAGE", "GRANT OPTION", "PROXY"}


def level_kind(level: str) -> str:
    if level == "*.*":
        return "global"
    return "database" if level.endswith(".*") else "table"


def parse_level(level: str) -> tuple[str, str | None, str | None]:
    """``*.*`` / ``db.*`` / ``db.table`` -> (canonical text, db, table)."""
    if not isinstance(level, str) or "." not in level:
        raise IdentifierError(f"privilege level {level!r} must look like '*.*', 'db.*' or 'db.table'")
    if level.strip() == "*.*":
        return "*.*", None, None
    db, table = level.split(".", 1)
    db = validate_identifier(db.strip().strip("`"), f"database name in privilege level {level!r}")
    table = table.strip().strip("`")
    if table == "*":
        return f"{db}.*", db, None
    table = validate_identifier(table, f"table name in privilege level {level!r}")
    return f"{db}.{table}", db, table


def quote_level(level: str) -> str:
    text, db, table = parse_level(level)
    if db is None:
        return "*.*"
    return quote_identifier(db) + "." + ("*" if table is None else quote_identifier(table))


def normalise_privs(privs: Any, level: str) -> set[str]:
    """A task's privilege list (or comma separated string) -> upper-case set; ALL -> ALL PRIVILEGES; GRANT -> GRANT OPTION."""
    items = privs.split(",") if isinstance(privs, str) else list(privs or [])
    out = set()
    for item in items:
        name = " ".join(str(item).upper().split())
        if not name:
            continue
        name = {"ALL": ALL, "GRANT": GRANT_OPTION}.get(name, name)
        if not _PRIV_RE.match(name):
            raise IdentifierError(f"privilege {item!r} on {level!r} is not a privilege name")
        out.add(name)
    return out


def expand(privs: set[str], kind: str, global_all: frozenset[str]) -> set[str]:
    if ALL not in privs:
        return set(privs)
    return (set(privs) - {ALL}) | set(global_all if kind == "global" else ALL_AT_LEVEL[kind])


def compress(privs: set[str], kind: str, global_all: frozenset[str]) -> list[str]:
    """Sorted list with a full set shown as ALL PRIVILEGES (the form compared and returned)."""
    full = global_all if kind == "global" else ALL_AT_LEVEL[kind]
    privs = set(privs) - {"USAGE"}
    if ALL in privs or (full and full <= privs):
        privs = (privs - set(full)) | {ALL}
    return sorted(privs)


def global_all_privileges(conn: Any) -> frozenset[str]:
    try:
        rows = conn.query("SHOW PRIVILEGES")
    except Exception:  # noqa: BLE001 - a server without SHOW PRIVILEGES: ALL at *.* is then compared literally
        return frozenset()
    names = {" ".join(str(row.get("Privilege", "")).upper().split()) for row in rows}
    return frozenset(names - _NOT_IN_GLOBAL_ALL - {""})


def grantee(user: str, host: str) -> str:
    return f"'{user}'@'{host}'"


def read_grants(conn: Any, user: str, host: str) -> dict[str, set[str]]:
    """{level: set of privileges} as the server reports them (USAGE dropped; GRANT OPTION kept)."""
    who = grantee(user, host)
    grants: dict[str, set[str]] = {}
    queries = (
        ("SELECT '*' AS db, '*' AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = %s"),
        ("SELECT TABLE_SCHEMA AS db, '*' AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = %s"),
        ("SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.TABLE_PRIVILEGES "
         "WHERE GRANTEE = %s"),
    )
    for sql in queries:
        for row in conn.query(sql, (who,)):
            level = f"{row['db']}.{row['tbl']}"
            privs = grants.setdefault(level, set())
            name = " ".join(str(row["PRIVILEGE_TYPE"]).upper().split())
            if name != "USAGE":
                privs.add(name)
            if str(row.get("IS_GRANTABLE", "")).upper() == "YES":
                privs.add(GRANT_OPTION)
    return {level: privs for level, privs in grants.items() if privs}
