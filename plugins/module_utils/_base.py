# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read -> plan -> apply shape every singlestore_* module follows.

A module subclasses ManagedObject: ``read()`` returns the current state from the catalog (None when
the object does not exist), ``plan(before)`` returns the statements that bring it to the desired
state, and ``predict(before)`` what the state would be after them (used in check mode). ``changed``
is "the plan is not empty"; after a real apply the state is read again.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.transactions_st.realtime.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    Connection,
    SingleStoreError,
    connect,
    describe_error,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import IdentifierError
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

try:
    from pymysql.converters import escape_item
    from pymysql.err import MySQLError
except ImportError:  # pragma: no cover - reported by connect()
    escape_item = None

    class MySQLError(Exception):  # type: ignore[no-redef]
        pass


class ModuleError(Exception):
    """Raised anywhere in read/plan/apply: the module fails with this message and no traceback."""

    def __init__(self, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class Statement:
    """One SQL statement with its driver parameters.

    ``sql`` is always a PyMySQL format string (literal ``%`` written ``%%``). Named parameters listed
    in ``secrets`` are shown as ``%(name)s`` in ``display()``; all other values are shown escaped.
    """

    __slots__ = ("sql", "params", "secrets")

    def __init__(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None, secrets: Iterable[str] = ()
    ) -> None:
        self.sql = sql
        self.params: Sequence[Any] | Mapping[str, Any] = params if params is not None else ()
        self.secrets = frozenset(secrets)

    def display(self) -> str:
        if isinstance(self.params, Mapping):
            shown = {
                key: (f"%({key})s" if key in self.secrets else _literal(value)) for key, value in self.params.items()
            }
            return self.sql % shown
        return self.sql % tuple(_literal(value) for value in self.params)

    def secret_values(self) -> list[str]:
        if isinstance(self.params, Mapping):
            return [str(self.params[key]) for key in self.secrets if self.params.get(key)]
        return []

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Statement({self.display()!r})"


def _literal(value: Any) -> str:
    if escape_item is None:  # pragma: no cover
        return repr(value)
    return str(escape_item(value, "utf8mb4"))


def sorted_state(value: Any) -> Any:
    """A copy with dict keys sorted (recursively) so diffs are stable."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


class ManagedObject:
    """Base of every module's object class (one class per object kind)."""

    #: key of the result that holds the object's state
    result_key = "state"

    def __init__(self, module: AnsibleModule, conn: Connection) -> None:
        self.module = module
        self.conn = conn
        self.params = module.params
        self.executed: list[str] = []

    # -- to implement -----------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        raise NotImplementedError

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        """The state expected after the plan, for check mode (default: unknown -> before)."""
        return before

    # -- common -----------------------------------------------------------------------
    def exists(self) -> bool:
        return self.read() is not None

    def info(self) -> dict[str, Any] | None:
        return self.read()

    def public_state(self, state: dict[str, Any] | None) -> dict[str, Any]:
        """What the module returns for a state (None -> ``{'exists': False}``)."""
        if state is None:
            return {"exists": False}
        out = dict(state)
        out["exists"] = True
        return sorted_state(out)

    def progress(self) -> str:
        """How far the plan got, for the message of a statement that failed."""
        return f" after {len(self.executed)} successful statement(s)" if self.executed else " (nothing was changed)"

    def apply(self, plan: Sequence[Statement]) -> None:
        for stmt in plan:
            try:
                self.conn.execute(stmt.sql, stmt.params)
            except MySQLError as exc:
                message = describe_error(exc, self.params)
                raise ModuleError(
                    scrub(f"{message} while running: {stmt.display()}{self.progress()}", stmt.secret_values())
                ) from None
            self.executed.append(stmt.display())

    def run(self) -> dict[str, Any]:
        before = self.read()
        plan = self.plan(before)
        queries = [stmt.display() for stmt in plan]
        if plan and not self.module.check_mode:
            self.apply(plan)
            after = self.read()
        elif plan:
            after = self.predict(before)
        else:
            after = before
        result: dict[str, Any] = dict(changed=bool(plan), queries=queries)
        result[self.result_key] = self.public_state(after)
        if self.module._diff:
            result["diff"] = dict(before=self.public_state(before), after=self.public_state(after))
        return result


def run_module(
    object_class: type[ManagedObject],
    argument_spec: dict[str, Any],
    database_param: str | None = None,
    **module_kwargs: Any,
) -> None:
    """Build the AnsibleModule (connection options + ``argument_spec``), connect, run, exit."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    conn = None
    handler: ManagedObject | None = None
    result: dict[str, Any] = {}
    try:
        conn = connect(module.params, module.params.get(database_param) if database_param else None)
        handler = object_class(module, conn)
        result = handler.run()
    except (SingleStoreError, IdentifierError) as exc:
        module.fail_json(msg=str(exc), queries=handler.executed if handler else [])
    except ModuleError as exc:
        module.fail_json(msg=exc.msg, queries=handler.executed if handler else [], **exc.extra)
    except MySQLError as exc:
        module.fail_json(msg=describe_error(exc, module.params), queries=handler.executed if handler else [])
    finally:
        if conn is not None:
            conn.close()
    module.exit_json(**result)
