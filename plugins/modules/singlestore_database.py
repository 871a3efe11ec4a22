#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_database
short_description: Create or drop a SingleStore (or MySQL/MariaDB) database
version_added: 0.1.0
description:
  - Reads the database from C(information_schema.SCHEMATA) (and its partition count from
    C(information_schema.DISTRIBUTED_PARTITIONS) on SingleStore), plans C(CREATE DATABASE) or
    C(DROP DATABASE), and runs the plan unless in check mode.
  - The partition count of a SingleStore database cannot change after creation. When an existing
    database has a different count than O(partitions), the module fails and names both values.
author:
  - transactions_st maintainers (@transactions-st)
options:
  name:
    description:
      - Name of the database. Case-sensitive on SingleStore.
      - SingleStore advises against names ending in C(_<digits>) (they look like partition databases).
    type: str
    required: true
    aliases: [db]
  state:
    description:
      - V(present) creates the database if missing, V(absent) drops it (with every table in it).
    type: str
    choices: [present, absent]
    default: present
  partitions:
    description:
      - Number of partitions (C(CREATE DATABASE ... PARTITIONS n)). SingleStore only; an error on MySQL/MariaDB.
      - Create-only. An existing database with another count makes the task fail (it would need a new database).
      - Unset means the server's default. The SingleStore dev image always creates 2 partitions.
    type: int
extends_documentation_fragment:
  - transactions_st.realtime.connection.singlestore
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.singlestore
attributes:
  check_mode:
    support: full
    details:
      - Nothing is executed in check mode; the statements that would run are returned in RV(queries).
  diff_mode:
    support: full
    details:
      - Returns the database's state before and after (predicted after in check mode).
  idempotent:
    support: full
seealso:
  - module: transactions_st.realtime.singlestore_table
  - module: transactions_st.realtime.singlestore_info
  - name: CREATE DATABASE (SingleStore)
    description: Grammar of CREATE DATABASE, including PARTITIONS.
    link: https://docs.singlestore.com/cloud/reference/sql-reference/data-definition-language-ddl/create-database/
"""

EXAMPLES = r"""
- name: Create the analytics database with 8 partitions
  transactions_st.realtime.singlestore_database:
    login_host: svc-example-dml.aws-virginia-1.svc.singlestore.com
    login_user: admin
    login_password: "{{ singlestore_admin_password }}"
    ssl_mode: verify_identity
    ca_cert: /etc/ssl/singlestore_bundle.pem
    name: retail
    partitions: 8

- name: Drop a scratch database, connection options from module_defaults
  module_defaults:
    group/transactions_st.realtime.singlestore:
      login_host: 127.0.0.1
      login_user: root
      login_password: "{{ db_password }}"
  block:
    - name: Drop it
      transactions_st.realtime.singlestore_database:
        name: scratch
        state: absent
"""

RETURN = r"""
queries:
  description: Statements planned (and executed unless in check mode).
  returned: always
  type: list
  elements: str
  sample: ["CREATE DATABASE `retail` PARTITIONS 8"]
database:
  description: State of the database after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the database exists.
      type: bool
    name:
      description: Name of the database.
      type: str
    partitions:
      description: Partition count (SingleStore); null on MySQL/MariaDB, and when no master partition of the database is visible to the login.
      type: int
    charset:
      description: Default character set.
      type: str
    collation:
      description: Default collation.
      type: str
  sample: {"exists": true, "name": "retail", "partitions": 8, "charset": "utf8mb4", "collation": "utf8mb4_general_ci"}
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
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    quote_identifier,
    validate_identifier,
)


class Database(ManagedObject):
    """A database: exists / info / create / drop."""

    result_key = "database"

    def read(self) -> dict[str, Any] | None:
        name = self.params["name"]
        rows = self.conn.query(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
            "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (name,),
        )
        rows = [row for row in rows if row["SCHEMA_NAME"] == name]  # case-insensitive collations on MariaDB
        if not rows:
            return None
        state = dict(
            name=name,
            charset=rows[0].get("DEFAULT_CHARACTER_SET_NAME"),
            collation=rows[0].get("DEFAULT_COLLATION_NAME"),
            partitions=self.partition_count(name) if self.conn.is_singlestore else None,
        )
        return state

    def partition_count(self, name: str) -> int | None:
        """Master partitions of the database, or None when the view shows none (a login that cannot see them, or a
        ROLE spelled otherwise than the docs' SHOW PARTITIONS example): unknown, never taken for a count."""
        rows = self.conn.query(
            "SELECT COUNT(*) AS n FROM information_schema.DISTRIBUTED_PARTITIONS WHERE DATABASE_NAME = %s AND ROLE = 'Master'",
            (name,),
        )
        count = int(rows[0]["n"]) if rows else 0
        return count or None

    def create(self) -> Statement:
        sql = f"CREATE DATABASE {quote_identifier(self.params['name'], 'database name')}"
        if self.params["partitions"] is not None:
            sql += f" PARTITIONS {int(self.params['partitions'])}"
        return Statement(sql)

    def drop(self) -> Statement:
        return Statement(f"DROP DATABASE {quote_identifier(self.params['name'], 'database name')}")

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        name = validate_identifier(self.params["name"], "database name")
        partitions = self.params["partitions"]
        if self.params["state"] == "absent":
            return [self.drop()] if before is not None else []
        if partitions is not None:
            if not self.conn.is_singlestore:
                raise ModuleError(
                    f"partitions is a SingleStore option; the server is {self.conn.label} "
                    f"(database {name!r} was not changed)"
                )
            if partitions < 1:
                raise ModuleError(f"partitions must be at least 1, got {partitions}")
        if before is None:
            return [self.create()]
        if partitions is not None and before.get("partitions") is None:
            # Create-only, so there is nothing to change either way: say it was not compared rather than fail on a guess.
            self.module.warn(
                f"the partition count of database {name!r} cannot be read from information_schema.DISTRIBUTED_PARTITIONS "
                f"(no master partition visible to this login); partitions={partitions} was not compared"
            )
            return []
        if partitions is not None and before.get("partitions") != partitions:
            raise ModuleError(
                f"database {name!r} exists with {before.get('partitions')} partitions but the task asks for {partitions}; "
                "the partition count cannot change after creation: create a new database and move the data, "
                "or remove partitions from the task",
                current_partitions=before.get("partitions"),
                wanted_partitions=partitions,
            )
        return []

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent":
            return None
        return dict(name=self.params["name"], charset=None, collation=None, partitions=self.params["partitions"])


def main() -> None:
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["db"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
    )
    run_module(Database, argument_spec)


if __name__ == "__main__":
    main()
