#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_user
short_description: Manage SingleStore (or MySQL/MariaDB) users and their privileges
version_added: 0.1.0
description:
  - Reads the account (C(information_schema.USERS) on SingleStore, C(mysql.user) on MySQL/MariaDB) and its grants, compares
    privileges as sets, plans C(CREATE USER), a password change, C(GRANT), C(REVOKE) or C(DROP USER), and runs them unless in check mode.
  - "Grants are read, on SingleStore, from C(SHOW GRANTS FOR 'user'@'host') by a reader of the documented GRANT grammar; it wins over
    C(information_schema.USER_PRIVILEGES), C(SCHEMA_PRIVILEGES) and C(TABLE_PRIVILEGES), which are read too: a privilege they report
    that SHOW GRANTS does not print, a line the reader cannot read, or C(TRANSFERABLE) rows (C(privilege_transfer_mode=per_privilege))
    make a task that manages privileges fail, with nothing changed. On MySQL/MariaDB grants are read from the three views."
  - On SingleStore a changed password is set with C(GRANT USAGE ON *.* ... IDENTIFIED BY), which the master aggregator propagates
    to every aggregator; C(SET PASSWORD) changes one node only there. C(SET PASSWORD) is used on MySQL/MariaDB.
  - Checked against SingleStore's documentation (pages GRANT, SHOW GRANTS, SET PASSWORD, Permissions Matrix, Synchronizing
    Permissions Across Your Cluster; 9.1 and Helios) and the conformance cases of C(tests/conformance/singlestore/show_grants);
    not run against a real SingleStore here (see C(docs/singlestore-conformance.md)).
author:
  - transactions_st maintainers (@transactions-st)
options:
  user:
    description: User name (at most 32 characters on SingleStore).
    type: str
    required: true
    aliases: [name]
  host:
    description: Host part of the account.
    type: str
    default: "%"
  password:
    description:
      - Password. Never shown in results, diffs, errors or C(queries) (recorded as V(%(password\)s)).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the user is created.
      - V(always) also sets it on an existing user when it differs. On MySQL/MariaDB the stored C(mysql_native_password)
        hash is compared; on SingleStore, which exposes no hash, the module tries to log in with the password.
      - The change is C(GRANT USAGE ON *.* TO ... IDENTIFIED BY) on SingleStore (cluster-wide) and C(SET PASSWORD) on MySQL/MariaDB.
    type: str
    choices: [on_create, always]
    default: on_create
  privileges:
    description:
      - Privileges by level, a dict whose keys are C(*.*), C(db.*) or C(db.table) and whose values are a list of privileges
        or a comma separated string; see the examples.
      - C(GRANT) means C(GRANT OPTION). C(ALL) means C(ALL PRIVILEGES).
      - On MySQL/MariaDB C(ALL) is compared with what the server expands it to at that level.
      - On SingleStore C(ALL) is accepted at C(*.*) only and compared as SHOW GRANTS prints it (C(ALL PRIVILEGES)); the
        Permissions Matrix documents C(ALL PRIVILEGES) at the cluster scope only, so the privileges of a database or table are
        listed one by one. C(PROCESS), C(SHOW METADATA), C(SUPER), C(SYSTEM_VARIABLES_ADMIN), C(FILE READ), C(FILE WRITE)
        are accepted at C(*.*) only for the same reason.
      - Privilege names are checked before anything runs - on SingleStore against its GRANT grammar (SingleStore-only names
        such as C(SHOW PIPELINE), C(SHOW METADATA), C(CREATE PIPELINE) included), on MySQL/MariaDB the SingleStore-only names
        are refused.
      - Unset means privileges are not managed. Without O(append_privileges), privileges the task does not list are revoked.
      - A table-level privilege on a table that does not exist makes the task fail before anything changes.
    type: dict
  append_privileges:
    description: Only add the listed privileges; never revoke.
    type: bool
    default: false
  require_ssl:
    description:
      - Require TLS for this account (C(REQUIRE SSL)). Unset means not managed.
      - On SingleStore the setting cannot be read back, so it is applied only when the user is created.
    type: bool
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - transactions_st.realtime.connection.singlestore
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.singlestore
attributes:
  check_mode:
    support: full
    details:
      - Nothing is executed in check mode (the password check on SingleStore only opens a read-only login).
  diff_mode:
    support: full
    details:
      - Returns the account and its privileges before and after; the password is never part of it.
  idempotent:
    support: full
    details:
      - Privileges are compared as sets. With O(update_password=always) on SingleStore the comparison relies on a test login.
seealso:
  - module: transactions_st.realtime.singlestore_info
  - name: GRANT (SingleStore)
    description: Privileges and levels.
    link: https://docs.singlestore.com/cloud/reference/sql-reference/security-management-commands/grant/
  - name: Permissions Matrix (SingleStore)
    description: The scope each privilege can be granted at.
    link: https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/permissions-matrix/
  - name: Synchronizing Permissions Across Your Cluster (SingleStore)
    description: Why a password change is a GRANT on SingleStore.
    link: https://docs.singlestore.com/db/v9.1/security/administration/synchronizing-permissions-across-your-cluster/
"""

EXAMPLES = r"""
- name: Grafana reader
  transactions_st.realtime.singlestore_user:
    user: grafana
    password: "{{ grafana_db_password }}"
    privileges:
      "retail.*": [SELECT]
    require_ssl: true

- name: Grafana reader that also sees the pipeline views (SingleStore, self-managed)
  transactions_st.realtime.singlestore_user:
    user: grafana
    password: "{{ grafana_db_password }}"
    update_password: always
    privileges:
      "retail.*": [SELECT, SHOW PIPELINE]
      "*.*": [PROCESS]

- name: Pipeline owner (SingleStore lists privileges per database; ALL is for *.* only)
  transactions_st.realtime.singlestore_user:
    user: ingest
    password: "{{ ingest_password }}"
    privileges:
      "retail.*": [SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, CREATE PIPELINE, ALTER PIPELINE, START PIPELINE, DROP PIPELINE]

- name: Remove an account
  transactions_st.realtime.singlestore_user:
    user: olduser
    state: absent
"""

RETURN = r"""
queries:
  description: Statements planned (and executed unless in check mode), with the password as the placeholder V(%(password\)s).
  returned: always
  type: list
  elements: str
  sample: ["CREATE USER 'grafana'@'%' IDENTIFIED BY %(password)s", "GRANT SELECT ON `retail`.* TO 'grafana'@'%'"]
user:
  description: The account after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the account exists.
      type: bool
    user:
      description: User name.
      type: str
    host:
      description: Host part.
      type: str
    require_ssl:
      description: Whether TLS is required (null when the server does not say).
      type: bool
    privileges:
      description: Privileges by level, sorted; a full set shows as C(ALL PRIVILEGES). Null when they could not be read.
      type: dict
    privileges_unreadable:
      description: Why the privileges could not be read (only then).
      type: str
diff:
  description: Before and after state, with O(ignore:--diff).
  returned: when diff mode is on
  type: dict
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    ManagedObject,
    ModuleError,
    Statement,
    run_module,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import SingleStoreError, connect
from ansible_collections.transactions_st.realtime.plugins.module_utils._grants_sql import GrantsReadError
from ansible_collections.transactions_st.realtime.plugins.module_utils._privileges import (
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
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import validate_user


class User(ManagedObject):
    """An account: exists / info / create / set password / grant / revoke / drop."""

    result_key = "user"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.user, self.host = validate_user(self.params["user"], self.params["host"])
        self.who = dict(user=self.user, host=self.host)
        self._global_all: frozenset[str] | None = None
        self._password_hash: str | None = None
        self._desired: dict[str, set[str]] | None = None

    @property
    def global_all(self) -> frozenset[str]:
        if self._global_all is None:
            self._global_all = global_all_privileges(self.conn)
        return self._global_all

    def full(self, level: str) -> frozenset[str]:
        return full_set(level_kind(level), self.conn.is_singlestore, self.global_all)

    def read(self) -> dict[str, Any] | None:
        require_ssl = None
        if self.conn.is_singlestore:
            rows = self.conn.query(
                "SELECT USER, HOST FROM information_schema.USERS WHERE USER = %s AND HOST = %s", (self.user, self.host)
            )
        else:
            rows = self.conn.query(
                "SELECT User, Host, ssl_type, plugin, authentication_string FROM mysql.user WHERE User = %s AND Host = %s",
                (self.user, self.host),
            )
            if rows:
                ssl_type = rows[0]["ssl_type"]
                require_ssl = (
                    ssl_type.decode() if isinstance(ssl_type, bytes) else str(ssl_type or "")
                ).upper() not in ("", "NONE")
                plugin = str(rows[0].get("plugin") or "")
                self._password_hash = (
                    str(rows[0].get("authentication_string") or "") if plugin in ("", "mysql_native_password") else None
                )
        if not rows:
            return None
        state: dict[str, Any] = dict(user=self.user, host=self.host, require_ssl=require_ssl)
        try:
            grants = read_grants(self.conn, self.user, self.host)
        except GrantsReadError as exc:
            # Reported, and the plan refuses to touch privileges (never revoke on what could not be read).
            state.update(privileges=None, privileges_unreadable=str(exc))
            return state
        state["privileges"] = {level: compress(privs, self.full(level)) for level, privs in grants.items()}
        return state

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
            if self._password_hash is None:
                return True
            rows = self.conn.query("SELECT PASSWORD(%s) AS h", (password,))
            return str(rows[0]["h"]) != self._password_hash
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
                    plan.append(
                        Statement(
                            f"{verb} {'GRANT OPTION' if verb == 'REVOKE' else 'USAGE'} ON {target} {prep} %(user)s@%(host)s"
                            + (" WITH GRANT OPTION" if verb == "GRANT" else ""),
                            self.who,
                        )
                    )
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


def main() -> None:
    argument_spec = dict(
        user=dict(type="str", required=True, aliases=["name"]),
        host=dict(type="str", default="%"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        privileges=dict(type="dict"),
        append_privileges=dict(type="bool", default=False),
        require_ssl=dict(type="bool"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    run_module(User, argument_spec)


if __name__ == "__main__":
    main()
