# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user kind: ``read_user()`` and its parts (also used by singlestore_info) and the ``User`` object.

The privilege model (levels, ALL PRIVILEGES, what each server grants) is in ``_user_privileges.py``,
the SHOW GRANTS reader in ``_user_sql.py``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    ManagedObject,
    ModuleError,
    Statement,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    Connection,
    SingleStoreError,
    connect,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import validate_user
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_privileges import (
    ALL,
    GRANT_OPTION,
    check_privileges,
    compress,
    expand,
    full_set,
    global_all_privileges,
    level_kind,
    normalise_privs,
    parse_level,
    quote_level,
    read_grants,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_sql import GrantsReadError


def list_accounts(conn: Connection) -> list[tuple[str, str]]:
    """Every (user, host) of the server, sorted."""
    if conn.is_singlestore:
        rows = conn.query("SELECT USER AS user, HOST AS host FROM information_schema.USERS ORDER BY USER, HOST", ())
    else:
        rows = conn.query("SELECT User AS user, Host AS host FROM mysql.user ORDER BY User, Host", ())
    return [(str(row["user"]), str(row["host"])) for row in rows]


def read_password_hash(conn: Connection, user: str, host: str) -> str | None:
    """MariaDB/MySQL: the account's ``authentication_string`` when its plugin is mysql_native_password
    (comparable with ``PASSWORD()``); None otherwise, and always on SingleStore, which does not show it."""
    if conn.is_singlestore:
        return None
    rows = conn.query(
        "SELECT plugin, authentication_string FROM mysql.user WHERE User = %s AND Host = %s", (user, host)
    )
    if not rows or str(rows[0].get("plugin") or "") not in ("", "mysql_native_password"):
        return None
    return str(rows[0].get("authentication_string") or "")


def read_privileges(conn: Connection, user: str, host: str, global_all: frozenset[str]) -> dict[str, Any]:
    """``{"privileges": {level: [privilege, ...]}}``, ALL PRIVILEGES where a level holds them all; when the
    grants cannot be read, ``privileges`` is None and ``privileges_unreadable`` says why (the plan then
    refuses to touch privileges: never revoke on what could not be read)."""
    try:
        grants = read_grants(conn, user, host)
    except GrantsReadError as exc:
        return dict(privileges=None, privileges_unreadable=str(exc))
    return dict(
        privileges={
            level: compress(privs, full_set(level_kind(level), conn.is_singlestore, global_all))
            for level, privs in sorted(grants.items())
        }
    )


def read_user(
    conn: Connection, user: str, host: str, global_all: frozenset[str] | None = None
) -> dict[str, Any] | None:
    """The account ``user@host`` as the module returns it (None when it does not exist); ``require_ssl`` is
    None on SingleStore, whose catalog does not show it."""
    require_ssl = None
    if conn.is_singlestore:
        rows = conn.query("SELECT USER, HOST FROM information_schema.USERS WHERE USER = %s AND HOST = %s", (user, host))
    else:
        rows = conn.query("SELECT User, Host, ssl_type FROM mysql.user WHERE User = %s AND Host = %s", (user, host))
        if rows:
            ssl_type = rows[0]["ssl_type"]
            text = ssl_type.decode() if isinstance(ssl_type, bytes) else str(ssl_type or "")
            require_ssl = text.upper() not in ("", "NONE")
    if not rows:
        return None
    state: dict[str, Any] = dict(user=user, host=host, require_ssl=require_ssl)
    state.update(read_privileges(conn, user, host, global_all_privileges(conn) if global_all is None else global_all))
    return state


class User(ManagedObject):
    """An account: exists / info / create / set password / grant / revoke / drop."""

    result_key = "user"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.user, self.host = validate_user(self.params["user"], self.params["host"])
        self.who = dict(user=self.user, host=self.host)
        self._global_all: frozenset[str] | None = None
        self._desired: dict[str, set[str]] | None = None

    @property
    def global_all(self) -> frozenset[str]:
        if self._global_all is None:
            self._global_all = global_all_privileges(self.conn)
        return self._global_all

    def full(self, level: str) -> frozenset[str]:
        return full_set(level_kind(level), self.conn.is_singlestore, self.global_all)

    def read(self) -> dict[str, Any] | None:
        return read_user(self.conn, self.user, self.host, self.global_all)

    def desired_privileges(self) -> dict[str, set[str]] | None:
        if self.params["privileges"] is None:
            return None
        if self._desired is not None:
            return self._desired
        out: dict[str, set[str]] = {}
        for level, privs in self.params["privileges"].items():
            canon, db, table = parse_level(level)
            out[canon] = normalise_privs(privs, level)
            check_privileges(out[canon], canon, self.conn.is_singlestore)
            if table is not None:
                rows = self.conn.query(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                    (db, table),
                )
                if not any(row["TABLE_NAME"] == table for row in rows):
                    raise ModuleError(
                        f"privileges on {canon!r}: table {table!r} does not exist in database {db!r} "
                        f"(nothing was changed for {self.user}@{self.host})"
                    )
        self._desired = out
        return out

    def password_differs(self) -> bool:
        password = self.params["password"]
        if not self.conn.is_singlestore:
            password_hash = read_password_hash(self.conn, self.user, self.host)
            if password_hash is None:
                return True
            rows = self.conn.query("SELECT PASSWORD(%s) AS h", (password,))
            return str(rows[0]["h"]) != password_hash
        probe = dict(self.params, login_user=self.user, login_password=password, session_vars={}, config_file=None)
        try:
            connect(probe).close()
        except SingleStoreError:
            return True
        return False

    def password_statement(self, password: str) -> Statement:
        params = dict(self.who, password=password)
        if self.conn.is_singlestore:
            # SET PASSWORD "only changes the user's password for that specific node" (9.1 and cloud pages of
            # SET PASSWORD). A GRANT changing the password is what the master aggregator propagates to every
            # aggregator (9.1 "Synchronizing Permissions Across Your Cluster"); GRANT ... IDENTIFIED BY is the
            # documented form (9.1 "Add a User"). USAGE adds no privilege (GRANT page: "synonym for no privileges").
            # https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/set-password/
            # https://docs.singlestore.com/db/v9.1/security/administration/synchronizing-permissions-across-your-cluster/
            # https://docs.singlestore.com/db/v9.1/security/configure-singlestore-user-accounts/add-a-user/
            return Statement(
                "GRANT USAGE ON *.* TO %(user)s@%(host)s IDENTIFIED BY %(password)s", params, secrets=("password",)
            )
        return Statement("SET PASSWORD FOR %(user)s@%(host)s = PASSWORD(%(password)s)", params, secrets=("password",))

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        if self.params["state"] == "absent":
            return [Statement("DROP USER %(user)s@%(host)s", self.who)] if before else []
        desired = self.desired_privileges()
        plan: list[Statement] = []
        password = self.params["password"]
        if before is None:
            sql = "CREATE USER %(user)s@%(host)s"
            params = dict(self.who)
            if password is not None:
                sql += " IDENTIFIED BY %(password)s"
                params["password"] = password
            if self.params["require_ssl"]:
                sql += " REQUIRE SSL"
            plan.append(Statement(sql, params, secrets=("password",)))
            current: dict[str, list[str]] = {}
        else:
            if desired is not None and before["privileges"] is None:
                raise ModuleError(
                    f"cannot read the privileges of {self.user}@{self.host}: {before['privileges_unreadable']}. "
                    "Nothing was changed (no privilege is granted or revoked on a guess)."
                )
            if password is not None and self.params["update_password"] == "always" and self.password_differs():
                plan.append(self.password_statement(password))
            wanted_ssl = self.params["require_ssl"]
            if wanted_ssl is not None and before["require_ssl"] is not None and wanted_ssl != before["require_ssl"]:
                plan.append(
                    Statement("ALTER USER %(user)s@%(host)s REQUIRE " + ("SSL" if wanted_ssl else "NONE"), self.who)
                )
            current = before["privileges"] or {}
        if desired is not None:
            plan += self.privilege_plan(desired, current)
        return plan

    def privilege_plan(self, desired: dict[str, set[str]], current: dict[str, list[str]]) -> list[Statement]:
        plan: list[Statement] = []
        levels = sorted(set(desired) | (set() if self.params["append_privileges"] else set(current)))
        for level in levels:
            full = self.full(level)
            if level in desired and level_kind(level) != "global" and ALL in current.get(level, []) and not full:
                raise ModuleError(
                    f"{self.user}@{self.host} holds ALL PRIVILEGES on {level!r}, which SingleStore does not document "
                    "below '*.*': the module cannot compare it with the task's list. Nothing was changed."
                )
            want = expand(desired.get(level, set()), full)
            have = expand(set(current.get(level, [])), full)
            grant = want - have
            revoke = set() if self.params["append_privileges"] else have - want
            target = quote_level(level)
            for privs, verb, prep in ((revoke, "REVOKE", "FROM"), (grant, "GRANT", "TO")):
                option = GRANT_OPTION in privs
                privs = privs - {GRANT_OPTION}
                if privs:
                    listed = ALL if (ALL in privs or (full and full <= privs)) else ", ".join(sorted(privs))
                    suffix = " WITH GRANT OPTION" if option and verb == "GRANT" else ""
                    plan.append(Statement(f"{verb} {listed} ON {target} {prep} %(user)s@%(host)s{suffix}", self.who))
                    option = option and verb == "REVOKE"
                if option:
                    what = "GRANT OPTION" if verb == "REVOKE" else "USAGE"
                    suffix = " WITH GRANT OPTION" if verb == "GRANT" else ""
                    plan.append(Statement(f"{verb} {what} ON {target} {prep} %(user)s@%(host)s{suffix}", self.who))
        return plan

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent":
            return None
        after = dict(before or dict(user=self.user, host=self.host, require_ssl=None, privileges={}))
        if self.params["require_ssl"] is not None and (before is None or before["require_ssl"] is not None):
            after["require_ssl"] = self.params["require_ssl"]
        desired = self.desired_privileges()
        if desired is not None:
            current = after["privileges"] or {}
            if self.params["append_privileges"]:
                privs = {k: set(v) for k, v in current.items()}
                for level, wanted in desired.items():
                    privs[level] = privs.get(level, set()) | wanted
            else:
                privs = {level: set(wanted) for level, wanted in desired.items()}
            after["privileges"] = {
                level: compress(expand(p, self.full(level)), self.full(level)) for level, p in privs.items() if p
            }
        return after
