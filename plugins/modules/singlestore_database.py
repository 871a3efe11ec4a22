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

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._database import Database


def argument_spec() -> dict[str, Any]:
    """The module's own options (SingleStoreModule adds the connection options)."""
    return dict(
        name=dict(type="str", required=True, aliases=["db"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
    )


def main() -> None:
    SingleStoreModule(argument_spec()).run_object(Database)


if __name__ == "__main__":
    main()
