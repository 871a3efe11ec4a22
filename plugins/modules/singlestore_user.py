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

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._user import User


def argument_spec() -> dict[str, Any]:
    """The module's own options (SingleStoreModule adds the connection options)."""
    return dict(
        user=dict(type="str", required=True, aliases=["name"]),
        host=dict(type="str", default="%"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
        privileges=dict(type="dict"),
        append_privileges=dict(type="bool", default=False),
        require_ssl=dict(type="bool"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )


def main() -> None:
    SingleStoreModule(argument_spec()).run_object(User)


if __name__ == "__main__":
    main()
