# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one skeleton every singlestore_* module stands on.

``SingleStoreModule`` wraps ``AnsibleModule`` the way amazon.aws's ``AnsibleAWSModule`` does
(https://github.com/ansible-collections/amazon.aws/blob/main/plugins/module_utils/modules.py): it adds the
shared connection options, hands out a connection (opened at first use), turns every driver error into
one ``fail_json`` with secrets scrubbed and the statements already run in ``queries``, and always closes.
A module's ``main()`` builds it with its own options and calls ``run()`` (or ``run_object()``).

An object kind subclasses ``ManagedObject``: ``read()`` returns the current state from the catalog (None
when the object does not exist), ``plan(before)`` returns the statements that bring it to the desired
state, and ``predict(before)`` what the state would be after them (used in check mode). ``changed`` is
"the plan is not empty"; after a real apply the state is read again.
"""

from __future__ import annotations

import json
import sys
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, NoReturn, Sequence

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    HAS_PYMYSQL,
    PYMYSQL_IMPORT_ERROR,
    Connection,
    MySQLError,
    SingleStoreError,
    connect,
    connection_argument_spec,
    describe_error,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    IdentifierError,
    validate_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

try:
    from pymysql.converters import escape_item
except ImportError:  # pragma: no cover - SingleStoreModule fails with missing_required_lib
    escape_item = None


class ModuleError(Exception):
    """Raised anywhere in a module's work: the module fails with this message (and ``extra`` as result
    keys) and no traceback. Free of any driver import, so every module_utils file can raise it."""

    def __init__(self, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


@contextmanager
def driver_errors(login: Mapping[str, Any], on_error: Callable[[str], str], **extra: Any) -> Iterator[None]:
    """Turn a driver error inside the block into a ModuleError whose message is ``on_error`` of the described
    error: ``on_error`` adds what was being done and how far the work got, and scrubs its secrets."""
    try:
        yield
    except MySQLError as exc:
        raise ModuleError(on_error(describe_error(exc, login)), **extra) from None


def run_statement(
    conn: Connection,
    login: Mapping[str, Any],
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
    on_error: Callable[[str], str],
    **extra: Any,
) -> tuple[list[dict[str, Any]] | None, int]:
    """``conn.execute()`` inside ``driver_errors``."""
    with driver_errors(login, on_error, **extra):
        return conn.execute(sql, params)


class SingleStoreModule:
    """An AnsibleModule with the connection options, a lazy connection and one way to fail."""

    def __init__(self, argument_spec: dict[str, Any], **module_kwargs: Any) -> None:
        spec = connection_argument_spec()
        spec.update(argument_spec)
        module_kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **module_kwargs)
        self.params: dict[str, Any] = self.module.params
        self.check_mode: bool = self.module.check_mode
        self._diff: bool = self.module._diff
        #: the statements run so far (displayed, secrets as placeholders): reported as ``queries`` on failure
        self.queries: list[str] = []
        #: values scrubbed from every failure message
        self.secrets: list[str] = [self.params["login_password"]] if self.params.get("login_password") else []
        self._conn: Connection | None = None
        if not HAS_PYMYSQL:
            self.module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR, queries=[])

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def connect(self, database: str | None = None) -> Connection:
        """The connection, opened now (logged in to ``database``) unless it is open already."""
        if self._conn is None:
            self._conn = connect(self.params, database)
        return self._conn

    @property
    def conn(self) -> Connection:
        """The connection, opened at first use."""
        return self.connect()

    def execute(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] | None,
        on_error: Callable[[str], str],
        **extra: Any,
    ) -> tuple[list[dict[str, Any]] | None, int]:
        """Run one statement; see ``run_statement``."""
        return run_statement(self.conn, self.params, sql, params, on_error, **extra)

    def fail(self, msg: str, **extra: Any) -> NoReturn:
        extra.setdefault("queries", self.queries)
        self.module.fail_json(msg=scrub(msg, self.secrets), **extra)
        raise AssertionError("fail_json returned")  # pragma: no cover - it exits

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def run(self, work: Callable[[], dict[str, Any]]) -> NoReturn:
        """Run ``work`` and exit with its result, or fail cleanly on any driver or module error; close always."""
        try:
            result = work()
        except ModuleError as exc:
            self.fail(exc.msg, **exc.extra)
        except (SingleStoreError, IdentifierError) as exc:
            self.fail(str(exc))
        except MySQLError as exc:
            self.fail(describe_error(exc, self.params))
        finally:
            self.close()
        self.module.exit_json(**result)
        raise AssertionError("exit_json returned")  # pragma: no cover - it exits

    def run_object(self, object_class: type[ManagedObject]) -> NoReturn:
        """Read, plan and apply one object of ``object_class`` (see ManagedObject.run)."""
        self.run(lambda: object_class(self).run())


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

    def __init__(self, module: SingleStoreModule, conn: Connection | None = None) -> None:
        """``module``: the SingleStoreModule (tests give a stand-in with ``params``, ``check_mode``,
        ``_diff`` and ``warn``); ``conn``: a connection to use instead of the module's own (tests)."""
        self.module = module
        self._conn = conn
        self.params = module.params
        self.executed: list[str] = getattr(module, "queries", [])

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            self._conn = self.module.conn
        return self._conn

    # -- to implement -----------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        raise NotImplementedError

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        """The state expected after the plan, for check mode (default: unknown -> before)."""
        return before

    # -- common -----------------------------------------------------------------------
    def public_state(self, state: dict[str, Any] | None) -> dict[str, Any]:
        """What the module returns for a state (None -> ``{'exists': False}``)."""
        if state is None:
            return {"exists": False}
        out = dict(state)
        out["exists"] = True
        return dict(sorted_state(out))

    def progress(self) -> str:
        """How far the plan got, for the message of a statement that failed."""
        return f" after {len(self.executed)} successful statement(s)" if self.executed else " (nothing was changed)"

    def execute(self, stmt: Statement, on_error: Callable[[str], str]) -> tuple[list[dict[str, Any]] | None, int]:
        """Run one planned statement, recorded in ``executed`` once it succeeded; see ``run_statement``."""
        out = run_statement(self.conn, self.params, stmt.sql, stmt.params, on_error)
        self.executed.append(stmt.display())
        return out

    def while_running(self, stmt: Statement) -> Callable[[str], str]:
        """The ``on_error`` of a planned statement: what failed, on which statement, how far the plan got."""

        def message(error: str) -> str:
            return scrub(f"{error} while running: {stmt.display()}{self.progress()}", stmt.secret_values())

        return message

    def apply(self, plan: Sequence[Statement]) -> None:
        for stmt in plan:
            self.execute(stmt, self.while_running(stmt))

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


class DatabaseObject(ManagedObject):
    """An object inside a database (a table, a pipeline): ``database`` and ``name`` validated as identifiers."""

    #: what the object is called in messages ("table name must ...")
    kind = "object"

    def __init__(self, module: SingleStoreModule, conn: Connection | None = None) -> None:
        super().__init__(module, conn)
        self.database = validate_identifier(self.params["database"], "database name")
        self.name = validate_identifier(self.params["name"], f"{self.kind} name")


class ClientModule:
    """The skeleton of a module that talks to a service through a client library rather than SQL (the Kafka admin
    client, the Helios Management API), after amazon.aws's AnsibleAWSModule: an AnsibleModule, the secrets scrubbed
    from every message and traceback, and ``run()``, the one place such a module exits or fails. A subclass adds its
    connection options and builds its client at first use; ``report()`` names the result keys that every exit and
    every failure carries (the requests sent so far ...), ``close()`` lets the client go before the module exits.
    """

    def __init__(self, module: AnsibleModule, secrets: list[str]) -> None:
        self.module = module
        #: values scrubbed from every message and traceback
        self.secrets = secrets

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.module.params
        return params

    @property
    def check_mode(self) -> bool:
        return bool(self.module.check_mode)

    @property
    def diff(self) -> bool:
        """Whether the task runs with --diff (AnsibleModule's ``_diff``)."""
        return bool(self.module._diff)

    def report(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        """Let go of the client (nothing by default)."""

    def warn(self, warning: str) -> None:
        self.module.warn(scrub(warning, self.secrets))

    def exit_json(self, **result: Any) -> NoReturn:
        self.close()
        self.module.exit_json(**dict(self.report(), **result))
        raise AssertionError("AnsibleModule.exit_json() returned")  # pragma: no cover - it exits

    def fail_json(self, msg: str, **result: Any) -> NoReturn:
        """Fail with ``msg``; the secrets are scrubbed from it and from the traceback.

        AnsibleModule shows a traceback (``exception``) only when tracebacks are turned on; left to itself it
        would format the pending exception, whose message is not scrubbed, so it is given here, scrubbed.
        """
        self.close()
        result = dict(self.report(), **result)
        if "exception" not in result and sys.exc_info()[1] is not None:
            result["exception"] = traceback.format_exc()
        if isinstance(result.get("exception"), str):
            result["exception"] = scrub(result["exception"], self.secrets)
        self.module.fail_json(msg=scrub(msg, self.secrets), **result)
        raise AssertionError("AnsibleModule.fail_json() returned")  # pragma: no cover - it exits

    def run(self, task: Callable[[], Mapping[str, Any]], **report: Any) -> NoReturn:
        """Exit with ``task()``'s result, or fail with a clean message.

        ``report``: result keys every failure carries as well, such as a list the task fills with the operations
        it completed (a ModuleError's extra keys take precedence).
        """
        try:
            result = dict(task())
        except ModuleError as exc:
            self.fail_json(exc.msg, **dict(report, **exc.extra))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a clear message instead of a traceback
            self.fail_json(f"unexpected error (please report it): {type(exc).__name__}: {exc}", **report)
        self.exit_json(**result)
