# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One connection layer: the connection options, PyMySQL connect, TLS modes, session variables, flavour
detection, clean errors."""

from __future__ import annotations

import os
import ssl
import traceback
from typing import Any, Mapping, Sequence

from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    IdentifierError,
    validate_session_var,
)

try:
    import pymysql
    from pymysql.cursors import DictCursor

    HAS_PYMYSQL = True
    PYMYSQL_IMPORT_ERROR: str | None = None
except ImportError:  # pragma: no cover - depends on the target host; SingleStoreModule fails with missing_required_lib
    pymysql = None
    DictCursor = None
    HAS_PYMYSQL = False
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()


class DriverMissingError(Exception):
    """Stands in for PyMySQL's base error when PyMySQL is missing: nothing raises it, so ``except MySQLError``
    never catches anything else."""


#: PyMySQL's base error: the one name every other file catches driver errors by
MySQLError: type[Exception] = pymysql.err.MySQLError if HAS_PYMYSQL else DriverMissingError


SSL_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")

FLAVOUR_SINGLESTORE = "singlestore"
FLAVOUR_MYSQL = "mysql"

ER_ACCESS_DENIED = 1045
ER_BAD_DB = 1049
ER_UNKNOWN_SYSTEM_VARIABLE = 1193
CR_CONNECTION_ERROR = 2002
CR_CONN_HOST_ERROR = 2003
CR_SSL_CONNECTION_ERROR = 2026


class SingleStoreError(Exception):
    """A failure with a message fit for the user (no traceback, no secret)."""


def connection_argument_spec() -> dict[str, dict[str, Any]]:
    """A fresh copy of the connection options every singlestore_* module takes (documented in
    doc_fragments/connection.py, SINGLESTORE), to ``.update()`` with a module's own options."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="str"),
        config_file=dict(type="path"),
        connect_timeout=dict(type="int", default=10),
        session_vars=dict(type="dict", default={}),
        ssl_mode=dict(type="str", default="preferred", choices=list(SSL_MODES)),
        ca_cert=dict(type="path", aliases=["ssl_ca"]),
        client_cert=dict(type="path", aliases=["ssl_cert"]),
        client_key=dict(type="path", aliases=["ssl_key"], no_log=False),
    )


def build_ssl_context(
    mode: str, ca_cert: str | None = None, client_cert: str | None = None, client_key: str | None = None
) -> ssl.SSLContext | None:
    """The TLS context for ``ssl_mode``; None for ``disabled`` and ``preferred``.

    An SSLContext (rather than PyMySQL's ``ssl=`` dict) is built because the dict cannot express
    "verify the host name against the system CAs": PyMySQL turns ``check_hostname`` off whenever
    no CA file is given. Passing a context also makes PyMySQL refuse a server without TLS.
    """
    if mode in ("disabled", "preferred"):
        if client_cert or client_key or ca_cert:
            if mode == "disabled":
                raise SingleStoreError("ca_cert/client_cert/client_key are set but ssl_mode is 'disabled'")
        return None
    for label, path in (("ca_cert", ca_cert), ("client_cert", client_cert), ("client_key", client_key)):
        if path and not os.path.isfile(path):
            raise SingleStoreError(f"{label} file {path!r} does not exist")
    if client_key and not client_cert:
        raise SingleStoreError("client_key is set without client_cert")
    if mode == "required":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif mode in ("verify_ca", "verify_identity"):
        ctx = ssl.create_default_context(cafile=ca_cert)
        ctx.check_hostname = mode == "verify_identity"
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        raise SingleStoreError(f"unknown ssl_mode {mode!r}")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert:
        try:
            ctx.load_cert_chain(client_cert, keyfile=client_key)
        except (OSError, ssl.SSLError) as exc:
            raise SingleStoreError(f"cannot load client_cert/client_key: {exc}") from None
    return ctx


def connect_kwargs(params: Mapping[str, Any], database: str | None = None) -> dict[str, Any]:
    """Translate the module's connection options into ``pymysql.connect()`` keyword arguments."""
    kwargs: dict[str, Any] = dict(
        host=params.get("login_host") or "localhost",
        port=int(params.get("login_port") or 3306),
        connect_timeout=int(params.get("connect_timeout") or 10),
        autocommit=True,
        charset="utf8mb4",
        cursorclass=DictCursor,
    )
    if params.get("login_user"):
        kwargs["user"] = params["login_user"]
    if params.get("login_password") is not None:
        kwargs["password"] = params["login_password"]
    if params.get("login_unix_socket"):
        kwargs["unix_socket"] = params["login_unix_socket"]
    config_file = params.get("config_file")
    if config_file:
        if not os.path.isfile(os.path.expanduser(config_file)):
            raise SingleStoreError(f"config_file {config_file!r} does not exist")
        kwargs["read_default_file"] = os.path.expanduser(config_file)
    if database:
        kwargs["database"] = database
    mode = params.get("ssl_mode") or "preferred"
    ctx = build_ssl_context(mode, params.get("ca_cert"), params.get("client_cert"), params.get("client_key"))
    if mode == "disabled":
        kwargs["ssl_disabled"] = True
    elif ctx is not None:
        kwargs["ssl"] = ctx
    return kwargs


def describe_error(exc: BaseException, params: Mapping[str, Any]) -> str:
    """A one-line message for a driver error, naming the server but never a secret."""
    where = (
        params.get("login_unix_socket")
        or f"{params.get('login_host') or 'localhost'}:{params.get('login_port') or 3306}"
    )
    code = exc.args[0] if getattr(exc, "args", None) and isinstance(exc.args[0], int) else None
    text = str(exc.args[1]) if code is not None and len(exc.args) > 1 else str(exc)
    if code == ER_ACCESS_DENIED:
        return f"cannot log in to {where}: {text} (wrong login_user or login_password?)"
    tls_trouble = "SSL" in text or "certificate" in text.lower() or "TLS" in text
    if code in (CR_CONN_HOST_ERROR, CR_CONNECTION_ERROR) and not tls_trouble:
        return f"cannot reach the server at {where}: {text}"
    if code == CR_SSL_CONNECTION_ERROR or isinstance(exc, ssl.SSLError) or tls_trouble:
        return f"TLS failure with {where} (ssl_mode={params.get('ssl_mode')}): {text}"
    if code == ER_BAD_DB:
        return f"the database does not exist on {where}: {text}"
    if code is not None:
        return f"server {where} returned error {code}: {text}"
    return f"error talking to {where}: {text}"


def memsql_version_tuple(text: str | None) -> tuple[int, ...]:
    """``'8.9.24'`` -> ``(8, 9, 24)``; leading digits of each part only; ``()`` when there is none."""
    parts = []
    for part in str(text or "").strip().split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


class Connection:
    """A PyMySQL connection plus what the modules need to know about the server."""

    def __init__(self, raw: Any, flavour: str, memsql_version: str | None, version: str | None) -> None:
        self.raw = raw
        self.flavour = flavour
        self.memsql_version = memsql_version
        self.version = version

    @property
    def is_singlestore(self) -> bool:
        return self.flavour == FLAVOUR_SINGLESTORE

    def version_at_least(self, major: int, minor: int = 0) -> bool:
        """Whether this is SingleStore ``major.minor`` or later (from ``@@memsql_version``; False on MySQL/MariaDB).

        Feature gates use this, never ``VERSION()``: SingleStore reports a MySQL-compatible number there.
        """
        return self.is_singlestore and memsql_version_tuple(self.memsql_version) >= (major, minor)

    @property
    def label(self) -> str:
        """Human name of the server, for messages."""
        if self.is_singlestore:
            return f"SingleStore {self.memsql_version}"
        return f"MySQL/MariaDB {self.version}"

    @property
    def tls_in_use(self) -> bool:
        return isinstance(getattr(self.raw, "_sock", None), ssl.SSLSocket)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.raw.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        return [dict(row) for row in rows]

    def schema_exists(self, name: str) -> bool:
        rows = self.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
        return any(row["SCHEMA_NAME"] == name for row in rows)  # exact: MariaDB's catalog compares case-insensitively

    def execute(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]] | None, int]:
        """Run one statement; return (rows or None when it returns no result set, rowcount).

        With ``params`` None the text is sent as it is; otherwise it is a ``%`` format string.
        """
        with self.raw.cursor() as cur:
            cur.execute(sql, params)
            rows = [dict(row) for row in cur.fetchall()] if cur.description else None
            return rows, cur.rowcount

    def close(self) -> None:
        try:
            self.raw.close()
        except (MySQLError, OSError):  # closing a dead connection is not an error worth reporting
            pass


def detect_flavour(raw: Any) -> tuple[str, str | None, str | None]:
    """(flavour, memsql_version, version): SingleStore answers ``@@memsql_version``; MySQL/MariaDB fail with 1193."""
    with raw.cursor() as cur:
        try:
            cur.execute("SELECT @@memsql_version")
            row = cur.fetchone()
            memsql = list(row.values())[0] if isinstance(row, dict) else row[0]
            flavour = FLAVOUR_SINGLESTORE
        except MySQLError as exc:
            if exc.args and exc.args[0] == ER_UNKNOWN_SYSTEM_VARIABLE:
                memsql, flavour = None, FLAVOUR_MYSQL
            else:
                raise
        cur.execute("SELECT @@version")
        row = cur.fetchone()
        version = list(row.values())[0] if isinstance(row, dict) else row[0]
    return flavour, (str(memsql) if memsql is not None else None), (str(version) if version is not None else None)


def connect(params: Mapping[str, Any], database: str | None = None) -> Connection:
    """Open a connection, set session variables, detect the flavour; raise SingleStoreError with a clean message."""
    if not HAS_PYMYSQL:  # pragma: no cover - SingleStoreModule has already failed with missing_required_lib
        raise SingleStoreError("PyMySQL is required on the host running the module")
    kwargs = connect_kwargs(params, database)
    if "user" not in kwargs and "read_default_file" not in kwargs:
        raise SingleStoreError("login_user is required (or a config_file that names the user)")
    session_vars = params.get("session_vars") or {}
    try:
        for name in session_vars:
            validate_session_var(name)
    except IdentifierError as exc:
        raise SingleStoreError(str(exc)) from None
    try:
        raw = pymysql.connect(**kwargs)
    except (MySQLError, ssl.SSLError, OSError) as exc:
        raise SingleStoreError(describe_error(exc, params)) from None
    except ValueError as exc:
        raise SingleStoreError(f"invalid connection options: {exc}") from None
    try:
        with raw.cursor() as cur:
            for name, value in session_vars.items():
                cur.execute(f"SET SESSION {name} = %s", (value,))
        flavour, memsql, version = detect_flavour(raw)
    except MySQLError as exc:
        raw.close()
        raise SingleStoreError(describe_error(exc, params)) from None
    return Connection(raw, flavour, memsql, version)
