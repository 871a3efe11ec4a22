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

import datetime
import decimal
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.transactions_st.realtime.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    SingleStoreError,
    connect,
    describe_error,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

try:
    from pymysql.err import MySQLError
except ImportError:  # pragma: no cover - connect() reports the missing driver
    MySQLError = Exception  # type: ignore[assignment,misc]

_READ_ONLY = re.compile(r"^\s*(?:\(\s*)*(SELECT|SHOW|DESCRIBE|DESC|EXPLAIN|HELP|WITH)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*|#[^\n]*\n\s*)*", re.DOTALL)
_PLACEHOLDER = re.compile(r"%(?:s|\([^)]+\)s)")
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|INTO\s+OUTFILE|INTO\s+DUMPFILE)\b", re.IGNORECASE)


def is_read_only(statement: str) -> bool:
    body = _COMMENTS.sub("", statement, count=1)
    match = _READ_ONLY.match(body)
    if not match:
        return False
    if match.group(1).upper() in ("WITH", "SELECT") and _WRITES.search(body):
        return False
    return True


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return value.hex()
    return value


def main() -> None:
    spec = connection_argument_spec()
    spec.update(
        query=dict(type="raw", required=True),
        positional_args=dict(type="list", elements="raw"),
        named_args=dict(type="dict"),
        database=dict(type="str", aliases=["db", "login_db"]),
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, mutually_exclusive=[("positional_args", "named_args")]
    )
    queries = module.params["query"]
    if isinstance(queries, str):
        queries = [queries]
    if not isinstance(queries, list) or not queries or not all(isinstance(q, str) and q.strip() for q in queries):
        module.fail_json(msg="query must be a non-empty string or a list of non-empty strings")
    args: Any = (
        module.params["positional_args"]
        if module.params["positional_args"] is not None
        else module.params["named_args"]
    )
    if isinstance(args, list):
        args = tuple(args)
    secrets = [
        str(v) for v in (args.values() if isinstance(args, dict) else args or ()) if isinstance(v, str) and len(v) > 3
    ]
    try:
        conn = connect(module.params, module.params["database"])
    except SingleStoreError as exc:
        module.fail_json(msg=str(exc), queries=[])
    results: list[list[dict[str, Any]]] = []
    rowcounts: list[int] = []
    changed = False
    done: list[str] = []
    try:
        for query in queries:
            read_only = is_read_only(query)
            changed = changed or not read_only
            if module.check_mode and not read_only:
                results.append([])
                rowcounts.append(-1)
                done.append(query)
                continue
            try:
                rows, count = conn.execute(query, args if args is not None and _PLACEHOLDER.search(query) else None)
            except (TypeError, KeyError, ValueError) as exc:
                module.fail_json(
                    msg=f"statement {len(done) + 1} does not match its parameters ({type(exc).__name__}: {exc}): {query}",
                    queries=done,
                    changed=changed and bool(done),
                )
            except MySQLError as exc:
                module.fail_json(
                    msg=scrub(f"{describe_error(exc, module.params)} (statement {len(done) + 1}: {query})", secrets),
                    queries=done,
                    changed=changed and bool(done),
                )
            results.append([{key: jsonable(val) for key, val in row.items()} for row in rows or []])
            rowcounts.append(count)
            done.append(query)
    finally:
        conn.close()
    module.exit_json(changed=changed, queries=done, query_result=results, rowcount=rowcounts)


if __name__ == "__main__":
    main()
