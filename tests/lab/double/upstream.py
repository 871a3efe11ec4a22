"""The per-session PyMySQL connection to MariaDB, and the replies it brings back unchanged.

Results are read with ``use_unicode=False`` and no converters, so every value stays the bytes
MariaDB sent; column definitions are kept as the raw packets MariaDB sent; errors keep their raw
error packet (errno, SQLSTATE and message). The double writes all of these back to its client as
they came, so a client cannot tell a forwarded statement from one sent to MariaDB directly.

Two narrow, type-dispatched patches of PyMySQL are installed on import:

* ``pymysql._auth.scramble_native_password`` answers MariaDB's challenge from a :class:`Stage1Hash`
  (SHA1 of the password, recovered from the client's own scramble) when it is given one as the
  password; any other password goes to PyMySQL's function unchanged.
* ``pymysql.err.raise_mysql_exception`` attaches the raw error packet to the exception it raises.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import pymysql
import pymysql.connections
from pymysql import _auth
from pymysql import err as pymysql_err
from pymysql.constants import COMMAND, SERVER_STATUS
from pymysql.protocol import EOFPacketWrapper

log = logging.getLogger("double.upstream")

MORE_RESULTS = SERVER_STATUS.SERVER_MORE_RESULTS_EXISTS
NO_BACKSLASH_ESCAPES = SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES


def sha1(data: bytes) -> bytes:
    return hashlib.sha1(data).digest()


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


class Stage1Hash(bytes):
    """SHA1(password): what a mysql_native_password scramble hides, and all MariaDB's challenge needs."""


_orig_scramble = _auth.scramble_native_password
_orig_raise = pymysql_err.raise_mysql_exception


def _scramble_native_password(password, message):
    if isinstance(password, Stage1Hash):
        stage1 = bytes(password)
        return xor(sha1(message[:20] + sha1(stage1)), stage1)
    return _orig_scramble(password, message)


def _raise_mysql_exception(data):
    try:
        _orig_raise(data)
    except pymysql_err.MySQLError as e:
        e.raw_packet = bytes(data)
        raise


if getattr(_auth.scramble_native_password, "__name__", "") != "_scramble_native_password":
    _auth.scramble_native_password = _scramble_native_password
if getattr(pymysql_err.raise_mysql_exception, "__name__", "") != "_raise_mysql_exception":
    pymysql_err.raise_mysql_exception = _raise_mysql_exception


def recover_stage1(scramble: bytes, nonce: bytes, stored_hash: str) -> Optional[Stage1Hash]:
    """SHA1(password) if ``scramble`` answers ``nonce`` for the account hash ``*HEX`` (double SHA1)."""
    if not scramble or len(scramble) != 20 or not stored_hash:
        return None
    try:
        stage2 = bytes.fromhex(stored_hash.lstrip("*"))
    except ValueError:
        return None
    if len(stage2) != 20:
        return None
    stage1 = xor(scramble, sha1(nonce[:20] + stage2))
    if sha1(stage1) == stage2:
        return Stage1Hash(stage1)
    return None


# --------------------------------------------------------------------------- replies


@dataclass
class Column:
    """A result column: MariaDB's raw definition packet, or the fields to build one."""

    name: str
    type_code: int = 253          # VAR_STRING
    charsetnr: int = 45           # utf8mb4_general_ci
    length: int = 1024
    flags: int = 0
    scale: int = 0                # "decimals"; 0x1f for non-numeric expressions in MariaDB
    db: str = ""
    table: str = ""
    org_table: str = ""
    org_name: str = ""
    raw: Optional[bytes] = None   # verbatim packet from MariaDB

    @classmethod
    def from_field(cls, f: Any) -> "Column":
        return cls(
            name=f.name, type_code=f.type_code, charsetnr=f.charsetnr, length=f.length, flags=f.flags,
            scale=f.scale, db=(f.db or b"").decode("utf-8", "replace"), table=f.table_name,
            org_table=f.org_table, org_name=f.org_name, raw=bytes(f._data),
        )

    def packet(self, encoding: str = "utf-8") -> bytes:
        if self.raw is not None:
            return self.raw
        from mysql_mimic.types import str_len, uint_1, uint_2, uint_4, uint_len

        def s(text: str) -> bytes:
            return str_len(text.encode(encoding, "surrogateescape"))

        return b"".join([
            s("def"), s(self.db), s(self.table), s(self.org_table or self.table), s(self.name),
            s(self.org_name or self.name), uint_len(0x0C), uint_2(self.charsetnr), uint_4(self.length),
            uint_1(self.type_code), uint_2(self.flags), uint_1(self.scale), uint_2(0),
        ])

    def renamed(self, name: str) -> "Column":
        """The same column under another label (a fresh packet is built)."""
        return Column(name=name, type_code=self.type_code, charsetnr=self.charsetnr, length=self.length,
                      flags=self.flags, scale=self.scale, db=self.db, table=self.table,
                      org_table=self.org_table, org_name=self.org_name)


def text_column(name: str, length: int = 1024) -> Column:
    return Column(name=name, type_code=253, charsetnr=45, length=length * 4, flags=0, scale=39)


def int_column(name: str) -> Column:
    # NOT_NULL | BINARY | NUM, charset binary, like MariaDB for an integer literal
    return Column(name=name, type_code=8, charsetnr=63, length=21, flags=0x0001 | 0x0080 | 0x8000, scale=0)


@dataclass
class OkReply:
    affected_rows: int = 0
    insert_id: int = 0
    status: int = SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT
    warnings: int = 0
    info: bytes = b""


@dataclass
class RowsReply:
    columns: list[Column]
    rows: list[Sequence[Any]]
    status: int = SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT
    warnings: int = 0


@dataclass
class ErrorReply:
    code: int
    message: str
    sqlstate: str = "HY000"
    raw: Optional[bytes] = None

    def packet(self, encoding: str = "utf-8") -> bytes:
        if self.raw is not None:
            return self.raw
        import struct

        return (b"\xff" + struct.pack("<H", self.code) + b"#" + self.sqlstate.encode("ascii")[:5]
                + self.message.encode(encoding, "replace"))

    @classmethod
    def from_exception(cls, e: pymysql_err.MySQLError) -> "ErrorReply":
        code = e.args[0] if e.args and isinstance(e.args[0], int) else 1105
        message = e.args[1] if len(e.args) > 1 else str(e)
        raw = getattr(e, "raw_packet", None)
        sqlstate = "HY000"
        if raw and len(raw) >= 9 and raw[3:4] == b"#":
            sqlstate = raw[4:9].decode("ascii", "replace")
        return cls(code=code, message=message, sqlstate=sqlstate, raw=raw)


Reply = OkReply | RowsReply | ErrorReply


class UpstreamLost(Exception):
    """The connection to MariaDB is gone; the client's connection must be dropped too."""


class LocalError(Exception):
    """An error the double itself reports (SingleStore rules, unsupported statements)."""

    def __init__(self, code: int, message: str, sqlstate: str = "HY000"):
        super().__init__(f"({code}) {message}")
        self.reply = ErrorReply(code=code, message=message, sqlstate=sqlstate)


# --------------------------------------------------------------------------- connection


class _Result(pymysql.connections.MySQLResult):
    """Also remembers the server status of the EOF packet that ends a result set."""

    eof_status: Optional[int] = None

    def _check_packet_is_eof(self, packet):
        if not packet.is_eof_packet():
            return False
        wp = EOFPacketWrapper(packet)
        self.warning_count = wp.warning_count
        self.has_next = wp.has_next
        self.eof_status = wp.server_status
        return True


class _Connection(pymysql.connections.Connection):
    def _read_query_result(self, unbuffered=False):
        self._result = None
        result = _Result(self)
        result.read()
        self._result = result
        status = result.server_status if result.server_status is not None else result.eof_status
        if status is not None:
            self.server_status = status
        return result.affected_rows


def _is_lost(e: Exception) -> bool:
    if isinstance(e, pymysql_err.InterfaceError):
        return True
    if isinstance(e, pymysql_err.OperationalError) and getattr(e, "raw_packet", None) is None:
        code = e.args[0] if e.args else 0
        return isinstance(code, int) and 2000 <= code < 3000
    return False


@dataclass
class ConnectSpec:
    host: str
    port: int
    user: str
    password: Any                   # str, or Stage1Hash
    database: Optional[str] = None
    charset: str = "utf8mb4"
    collation: Optional[str] = None
    client_flag: int = 0
    connect_attrs: dict = field(default_factory=dict)
    ssl: Optional[dict] = None      # None: plain TCP; a dict: TLS if MariaDB offers it
    connect_timeout: int = 10


class Upstream:
    """One session's MariaDB connection. Blocking: call from a worker thread, one call at a time."""

    def __init__(self, spec: ConnectSpec):
        self.spec = spec
        kwargs: dict[str, Any] = dict(
            host=spec.host, port=spec.port, user=spec.user, password=spec.password,
            database=spec.database or None, charset=spec.charset, collation=spec.collation,
            client_flag=spec.client_flag, conv={}, use_unicode=False, autocommit=None,
            connect_timeout=spec.connect_timeout, defer_connect=True,
        )
        if spec.ssl is None:
            kwargs["ssl_disabled"] = True
        # else: PyMySQL's "preferred" mode, TLS whenever MariaDB offers it (no verification on loopback)
        self.conn = _Connection(**kwargs)
        self.conn._connect_attrs = dict(spec.connect_attrs)
        self.conn.connect()

    @property
    def encoding(self) -> str:
        return self.conn.encoding

    @property
    def status(self) -> int:
        return int(self.conn.server_status or 0)

    @property
    def backslash_escapes(self) -> bool:
        return not (self.status & NO_BACKSLASH_ESCAPES)

    @property
    def thread_id(self) -> int:
        return int(self.conn.thread_id() or 0)

    def _reply(self, result: _Result) -> Reply:
        if not result.field_count:
            return OkReply(
                affected_rows=int(result.affected_rows or 0), insert_id=int(result.insert_id or 0),
                status=int(result.server_status if result.server_status is not None else self.status),
                warnings=int(result.warning_count or 0), info=bytes(result.message or b""),
            )
        status = result.eof_status if result.eof_status is not None else self.status
        return RowsReply(
            columns=[Column.from_field(f) for f in result.fields], rows=list(result.rows or ()),
            status=int(status), warnings=int(result.warning_count or 0),
        )

    def run(self, sql: str | bytes) -> list[Reply]:
        """Send one COM_QUERY; every result it produced (CALL can produce several), or the error."""
        conn = self.conn
        try:
            conn.query(sql)
        except pymysql_err.MySQLError as e:
            if _is_lost(e):
                raise UpstreamLost(str(e)) from e
            return [ErrorReply.from_exception(e)]
        replies: list[Reply] = [self._reply(conn._result)]
        while conn._result is not None and conn._result.has_next:
            try:
                conn.next_result()
            except pymysql_err.MySQLError as e:
                if _is_lost(e):
                    raise UpstreamLost(str(e)) from e
                replies.append(ErrorReply.from_exception(e))
                break
            replies.append(self._reply(conn._result))
        return replies

    def rows(self, sql: str) -> list[tuple]:
        """Run an internal query; rows with bytes decoded as text. Raises LocalError on error."""
        replies = self.run(sql)
        last = replies[-1]
        if isinstance(last, ErrorReply):
            raise LocalError(last.code, last.message, last.sqlstate)
        if not isinstance(last, RowsReply):
            return []
        return [tuple(v.decode(self.encoding, "surrogateescape") if isinstance(v, bytes) else v for v in r)
                for r in last.rows]

    def init_db(self, database: str) -> Reply:
        try:
            self.conn.select_db(database)
        except pymysql_err.MySQLError as e:
            if _is_lost(e):
                raise UpstreamLost(str(e)) from e
            return ErrorReply.from_exception(e)
        return OkReply(status=self.status)

    def raw_command(self, command: int, payload: bytes, single: bool = False) -> list[bytes]:
        """Send a command and collect the raw reply packets up to and including EOF/OK/ERR
        (or just the first packet when ``single``)."""
        conn = self.conn
        try:
            conn._execute_command(command, payload)
            packets = []
            while True:
                pkt = conn._read_packet()
                packets.append(bytes(pkt._data))
                if single or pkt.is_eof_packet() or pkt.is_ok_packet():
                    return packets
        except pymysql_err.MySQLError as e:
            if _is_lost(e):
                raise UpstreamLost(str(e)) from e
            raw = getattr(e, "raw_packet", None)
            if raw is None:
                raise UpstreamLost(str(e)) from e
            return [raw]

    def field_list(self, payload: bytes) -> list[bytes]:
        return self.raw_command(COMMAND.COM_FIELD_LIST, payload)

    def reset(self) -> Reply:
        packets = self.raw_command(0x1F, b"")  # COM_RESET_CONNECTION (no PyMySQL constant)
        last = packets[-1]
        if last[:1] == b"\xff":
            import struct

            return ErrorReply(code=struct.unpack("<H", last[1:3])[0], message="", raw=last)
        return OkReply(status=self.status)

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - already gone is fine
            try:
                self.conn._force_close()
            except Exception:  # noqa: BLE001
                pass


class Admin:
    """The double's own administrative connection (hash look-ups, catalog data). Thread-safe."""

    def __init__(self, host: str, port: int, user: str, password: str):
        self._kw = dict(host=host, port=port, user=user, password=password, charset="utf8mb4",
                        autocommit=True, connect_timeout=10, ssl_disabled=True)
        self._lock = threading.Lock()
        self._conn: Optional[pymysql.connections.Connection] = None

    def _connection(self) -> pymysql.connections.Connection:
        if self._conn is None:
            self._conn = pymysql.connect(**self._kw)
        else:
            self._conn.ping(reconnect=True)
        return self._conn

    def query(self, sql: str, args: Any = None) -> list[tuple]:
        with self._lock:
            try:
                cur = self._connection().cursor()
                cur.execute(sql, args)
                return list(cur.fetchall())
            except pymysql_err.OperationalError:
                # one retry on a dropped connection
                self._conn = None
                cur = self._connection().cursor()
                cur.execute(sql, args)
                return list(cur.fetchall())

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except Exception:  # noqa: BLE001
                    pass
                self._conn = None
