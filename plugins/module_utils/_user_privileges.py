# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Privileges: the task's ``db.table: [privs]`` dict, each flavour's privilege vocabulary, and reading grants back.

Where grants are read from:

* SingleStore: ``SHOW GRANTS FOR 'user'@'host'``, read by ``_grants_sql`` (the documented GRANT grammar).
  It wins over ``information_schema.USER_PRIVILEGES`` / ``SCHEMA_PRIVILEGES`` / ``TABLE_PRIVILEGES``: it is the
  documented per-account statement, it covers the SingleStore-only privileges, and whether the views list a
  grant made directly to a user is not settled by any source found (the 9.1 page "Inspect Permissions" names
  both). The views are still read: a privilege they report that SHOW GRANTS does not is a grant the module
  cannot explain, and the module then refuses to revoke anything (see ``unexplained``).
* MySQL/MariaDB: the three views (what they report is MariaDB's own documented behaviour). SHOW GRANTS is not
  used there: MariaDB prints the password hash in it.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import MySQLError
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    IdentifierError,
    quote_identifier,
    validate_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_sql import (
    SINGLESTORE_ONLY,
    SINGLESTORE_PRIVILEGES,
    AccountGrants,
    GrantsReadError,
    read_show_grants,
)

GRANT_OPTION = "GRANT OPTION"
ALL = "ALL PRIVILEGES"
_PRIV_RE = re.compile(r"^[A-Z][A-Z_]*(?: [A-Z_]+){0,3}$")

# What ALL PRIVILEGES expands to below the global level on MariaDB 10.x/11.x (its documented GRANT page).
# The global level is read from SHOW PRIVILEGES.
MARIADB_ALL_AT_LEVEL = {
    "database": frozenset(
        {
            "ALTER",
            "ALTER ROUTINE",
            "CREATE",
            "CREATE ROUTINE",
            "CREATE TEMPORARY TABLES",
            "CREATE VIEW",
            "DELETE",
            "DELETE HISTORY",
            "DROP",
            "EVENT",
            "EXECUTE",
            "INDEX",
            "INSERT",
            "LOCK TABLES",
            "REFERENCES",
            "SELECT",
            "SHOW VIEW",
            "TRIGGER",
            "UPDATE",
        }
    ),
    "table": frozenset(
        {
            "ALTER",
            "CREATE",
            "CREATE VIEW",
            "DELETE",
            "DELETE HISTORY",
            "DROP",
            "INDEX",
            "INSERT",
            "REFERENCES",
            "SELECT",
            "SHOW VIEW",
            "TRIGGER",
            "UPDATE",
        }
    ),
}
_NOT_IN_GLOBAL_ALL = {"USAGE", "GRANT OPTION", "PROXY"}

# Allowed scope "Cluster" only in the Permissions Matrix (self-managed 7.3 ... 9.1; "Workspace" on Helios):
# https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/permissions-matrix/ (9.1)
# https://docs.singlestore.com/cloud/reference/sql-reference/security-management-commands/permissions-matrix/ (cloud)
# (the rows read; the scopes of the other SingleStore privileges are left to the server to judge). The cloud page
# "Accessing the Information Schema" shows GRANT SHOW METADATA below *.* refused with error 1044.
SINGLESTORE_CLUSTER_ONLY = frozenset(
    {ALL, "PROCESS", "FILE READ", "FILE WRITE", "SHOW METADATA", "SUPER", "SYSTEM_VARIABLES_ADMIN"}
)


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
    """A task's privilege list (or comma separated string) -> upper-case set; ALL -> ALL PRIVILEGES;
    GRANT -> GRANT OPTION."""
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


def check_privileges(privs: set[str], level: str, singlestore: bool) -> None:
    """Refuse, before anything runs, what the server would refuse or what the module cannot compare."""
    kind = level_kind(level)
    if singlestore:
        unknown = sorted(privs - set(SINGLESTORE_PRIVILEGES))
        if unknown:
            raise IdentifierError(
                f"{', '.join(unknown)} on {level!r}: not a privilege of SingleStore's GRANT grammar "
                "(https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/grant/)"
            )
        if kind != "global":
            scoped = sorted(privs & SINGLESTORE_CLUSTER_ONLY)
            if scoped:
                hint = (
                    " (ALL is accepted at '*.*' only; list the privileges for a database or table)"
                    if ALL in scoped
                    else ""
                )
                raise IdentifierError(
                    f"{', '.join(scoped)} on {level!r}: SingleStore's Permissions Matrix allows it at the cluster "
                    f"level only, i.e. '*.*'{hint}"
                )
    else:
        foreign = sorted(privs & SINGLESTORE_ONLY)
        if foreign:
            raise IdentifierError(
                f"{', '.join(foreign)} on {level!r}: SingleStore-only privilege(s); this server is MySQL/MariaDB"
            )


def full_set(kind: str, singlestore: bool, global_all: frozenset[str]) -> frozenset[str]:
    """What ALL PRIVILEGES stands for at that level, when the module knows it (empty: compare ALL literally)."""
    if kind == "global":
        return global_all
    return frozenset() if singlestore else MARIADB_ALL_AT_LEVEL[kind]


def expand(privs: set[str], full: frozenset[str]) -> set[str]:
    if ALL not in privs or not full:
        return set(privs)
    return (set(privs) - {ALL}) | set(full)


def compress(privs: set[str], full: frozenset[str]) -> list[str]:
    """Sorted list with a full set shown as ALL PRIVILEGES (the form compared and returned)."""
    privs = set(privs) - {"USAGE"}
    if ALL in privs or (full and full <= privs):
        privs = (privs - set(full)) | {ALL}
    return sorted(privs)


def global_all_privileges(conn: Any) -> frozenset[str]:
    """MySQL/MariaDB: the global privileges SHOW PRIVILEGES lists. SingleStore documents no SHOW PRIVILEGES:
    ALL PRIVILEGES at ``*.*`` is compared as printed there (SHOW GRANTS prints ``GRANT ALL PRIVILEGES ON *.*``)."""
    if conn.is_singlestore:
        return frozenset()
    try:
        rows = conn.query("SHOW PRIVILEGES")
    except MySQLError:  # a server without SHOW PRIVILEGES: ALL at *.* is then compared literally
        return frozenset()
    names = {" ".join(str(row.get("Privilege", "")).upper().split()) for row in rows}
    return frozenset(names - _NOT_IN_GLOBAL_ALL - {""})


def grantee(user: str, host: str) -> str:
    return f"'{user}'@'{host}'"


_VIEW_QUERIES = (
    "SELECT '*' AS db, '*' AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES "
    "WHERE GRANTEE = %s",
    "SELECT TABLE_SCHEMA AS db, '*' AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.SCHEMA_PRIVILEGES "
    "WHERE GRANTEE = %s",
    "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS tbl, PRIVILEGE_TYPE, IS_GRANTABLE "
    "FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = %s",
)


def read_views(conn: Any, user: str, host: str) -> dict[str, set[str]]:
    """{level: set of privileges} as the *_PRIVILEGES views report them (USAGE dropped; GRANT OPTION kept)."""
    who = grantee(user, host)
    grants: dict[str, set[str]] = {}
    for sql in _VIEW_QUERIES:
        for row in conn.query(sql, (who,)):
            level = f"{row['db']}.{row['tbl']}"
            privs = grants.setdefault(level, set())
            name = " ".join(str(row["PRIVILEGE_TYPE"]).upper().split())
            if name != "USAGE":
                privs.add(name)
            if str(row.get("IS_GRANTABLE", "")).upper() == "YES":
                privs.add(GRANT_OPTION)
    return {level: privs for level, privs in grants.items() if privs}


def read_show_grants_rows(conn: Any, user: str, host: str) -> AccountGrants:
    """SingleStore: SHOW GRANTS FOR the account, every line read (GrantsReadError when one cannot be)."""
    rows = conn.query("SHOW GRANTS FOR %s@%s", (user, host))
    lines = []
    for row in rows:
        values = list(row.values())
        if len(values) != 1:
            raise GrantsReadError(f"SHOW GRANTS FOR '{user}'@'{host}' returned {len(values)} columns, expected one")
        value = values[0]
        lines.append(value.decode() if isinstance(value, bytes) else str(value))
    return read_show_grants(lines, user, host)


def unexplained(shown: dict[str, set[str]], views: dict[str, set[str]]) -> dict[str, list[str]]:
    """Privileges the views report that SHOW GRANTS does not (ALL PRIVILEGES at a level covers that level)."""
    out = {}
    for level, privs in views.items():
        have = shown.get(level, set())
        if ALL in have:
            continue
        extra = sorted(privs - have)
        if extra:
            out[level] = extra
    return out


def read_grants(conn: Any, user: str, host: str) -> dict[str, set[str]]:
    """{level: set of privileges} of an existing account, from the flavour's source (see the module docstring).

    SingleStore: raises GrantsReadError when SHOW GRANTS has a line the reader cannot read, or holds TRANSFERABLE
    rows, or when the views report a privilege SHOW GRANTS does not - the callers then change nothing.
    """
    if not conn.is_singlestore:
        return read_views(conn, user, host)
    account = read_show_grants_rows(conn, user, host)
    if account.transferable:
        levels = ", ".join(sorted(account.transferable))
        raise GrantsReadError(
            f"SHOW GRANTS FOR '{user}'@'{host}' has TRANSFERABLE grants on {levels} "
            "(privilege_transfer_mode = per_privilege), which this module does not manage"
        )
    extra = unexplained(account.privileges, read_views(conn, user, host))
    if extra:
        raise GrantsReadError(
            f"information_schema reports privileges of '{user}'@'{host}' that SHOW GRANTS does not print: {extra}; "
            "the module cannot tell where they come from"
        )
    return account.privileges
