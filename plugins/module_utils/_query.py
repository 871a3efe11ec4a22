# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What singlestore_query runs: statements in order, writes skipped in check mode, rows made JSON-safe."""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any, Callable

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError, SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

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


def _failed_statement(number: int, query: str, secrets: list[str]) -> Callable[[str], str]:
    """The ``on_error`` of statement ``number``: the error, then which statement, its secrets scrubbed."""

    def message(error: str) -> str:
        return scrub(f"{error} (statement {number}: {query})", secrets)

    return message


def run_queries(module: SingleStoreModule) -> dict[str, Any]:
    """Run the task's statements; the result, or a ModuleError naming the statement that failed."""
    params = module.params
    queries = params["query"]
    if isinstance(queries, str):
        queries = [queries]
    if not isinstance(queries, list) or not queries or not all(isinstance(q, str) and q.strip() for q in queries):
        raise ModuleError("query must be a non-empty string or a list of non-empty strings")
    args: Any = params["positional_args"] if params["positional_args"] is not None else params["named_args"]
    if isinstance(args, list):
        args = tuple(args)
    values = args.values() if isinstance(args, dict) else args or ()
    secrets = [str(v) for v in values if isinstance(v, str) and len(v) > 3]
    module.connect(params["database"])  # logged in to ``database``: unqualified names refer to it
    results: list[list[dict[str, Any]]] = []
    rowcounts: list[int] = []
    changed = False
    done = module.queries  # reported as ``queries`` on failure too
    for query in queries:
        read_only = is_read_only(query)
        changed = changed or not read_only
        if module.check_mode and not read_only:
            results.append([])
            rowcounts.append(-1)
            done.append(query)
            continue
        number = len(done) + 1
        try:
            rows, count = module.execute(
                query,
                args if args is not None and _PLACEHOLDER.search(query) else None,
                _failed_statement(number, query, secrets),
                changed=changed and bool(done),
            )
        except (TypeError, KeyError, ValueError) as exc:  # PyMySQL's own %-formatting of the parameters
            raise ModuleError(
                f"statement {number} does not match its parameters ({type(exc).__name__}: {exc}): {query}",
                changed=changed and bool(done),
            ) from None
        results.append([{key: jsonable(val) for key, val in row.items()} for row in rows or []])
        rowcounts.append(count)
        done.append(query)
    return dict(changed=changed, queries=done, query_result=results, rowcount=rowcounts)
