#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_query
short_description: Run SQL statements on SingleStore (or MySQL/MariaDB)
version_added: 0.1.0
description:
  - Runs one statement or a list of statements, each with the same driver parameters, and returns the rows of each.
  - C(changed) is false when every statement is read-only (C(SELECT), C(SHOW), C(DESCRIBE), C(DESC), C(EXPLAIN), C(HELP), C(WITH ... SELECT))
    and true otherwise. Use the task keyword C(changed_when) when a write is known to be a no-op; prefer the object modules
    (M(transactions_st.realtime.singlestore_table) and friends), which derive C(changed) from the catalog.
  - One statement per list item; several statements in one string are refused by the server.
author:
  - transactions_st maintainers (@transactions-st)
options:
  query:
    description:
      - A statement or a list of statements. Use C(%s) (with O(positional_args)) or V(%(name\)s) (with O(named_args)) for values.
      - The parameters apply to every statement that has placeholders; such a statement writes a literal C(%) as C(%%).
        A statement without placeholders is sent as it is.
    type: raw
    required: true
  positional_args:
    description: Values for C(%s) placeholders, sent as driver parameters.
    type: list
    elements: raw
  named_args:
    description: Values for V(%(name\)s) placeholders, sent as driver parameters.
    type: dict
  database:
    description: Database to select when connecting. A missing database is a clean error.
    type: str
    aliases: [db, login_db]
extends_documentation_fragment:
  - transactions_st.realtime.connection.singlestore
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.singlestore
attributes:
  check_mode:
    support: full
    details:
      - In check mode read-only statements run and return rows; any other statement is not run, and the task reports changed.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - Read-only statements never report a change; other statements always do, whatever they did.
notes:
  - RV(queries) holds the statements with their placeholders, never the parameter values; pass secrets as parameters.
    Ansible still shows a task's arguments with C(-vvv), so mark a task with C(no_log) when a parameter is secret.
"""

EXAMPLES = r"""
- name: Count today's transactions
  transactions_st.realtime.singlestore_query:
    database: retail
    query: SELECT COUNT(*) AS n FROM transactions WHERE created_at >= %s
    positional_args: ["{{ '%Y-%m-%d' | strftime }}"]
  register: counted

- name: Several statements
  transactions_st.realtime.singlestore_query:
    database: retail
    query:
      - DELETE FROM staging WHERE loaded = 1
      - OPTIMIZE TABLE transactions FULL
"""

RETURN = r"""
queries:
  description: The statements as given (placeholders, not values), in the order run (or planned in check mode).
  returned: always
  type: list
  elements: str
query_result:
  description: Rows returned by each statement (a list per statement; empty for statements without a result set or not run).
  returned: always
  type: list
  elements: list
rowcount:
  description: Rows affected or returned by each statement (-1 when not run in check mode).
  returned: always
  type: list
  elements: int
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._query import run_queries


def argument_spec() -> dict[str, Any]:
    """The module's own options (SingleStoreModule adds the connection options)."""
    return dict(
        query=dict(type="raw", required=True),
        positional_args=dict(type="list", elements="raw"),
        named_args=dict(type="dict"),
        database=dict(type="str", aliases=["db", "login_db"]),
    )


def main() -> None:
    module = SingleStoreModule(argument_spec(), mutually_exclusive=[("positional_args", "named_args")])
    module.run(lambda: run_queries(module))


if __name__ == "__main__":
    main()
