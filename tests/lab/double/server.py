"""The MySQL-protocol front of the double: mysql-mimic's wire handling, with the double's own
handshake (authentication pass-through) and result writing (MariaDB's packets relayed as they came).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import ssl as ssl_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from mysql_mimic import context, packets, types, utils
from mysql_mimic.auth import IdentityProvider
from mysql_mimic.connection import Connection
from mysql_mimic.constants import DEFAULT_SERVER_CAPABILITIES, KillKind
from mysql_mimic.control import LocalControl, TooManyConnections
from mysql_mimic.errors import ErrorCode, MysqlError
from mysql_mimic.packets import SSLRequest
from mysql_mimic.results import ResultColumn
from mysql_mimic.server import MysqlServer
from mysql_mimic.stream import ConnectionClosed, MysqlStream
from mysql_mimic.types import Capabilities, ColumnType, ServerStatus, str_len, uint_1, uint_2, uint_len

from .catalog import Catalog
from .rewrite import MYSQL_COMPAT_VERSION
from .session import DoubleSession, Handler
from .upstream import Admin, ErrorReply, OkReply, Reply, RowsReply, UpstreamLost

log = logging.getLogger("double.server")

NATIVE = "mysql_native_password"

# What the double's handshake offers. Not offered: CLIENT_MULTI_STATEMENTS (one statement per
# query), CLIENT_QUERY_ATTRIBUTES (MariaDB 10.11 has none), CLIENT_LOCAL_FILES, compression.
SERVER_CAPABILITIES = (
    (DEFAULT_SERVER_CAPABILITIES & ~Capabilities.CLIENT_QUERY_ATTRIBUTES)
    | Capabilities.CLIENT_FOUND_ROWS
    | Capabilities.CLIENT_TRANSACTIONS
    | Capabilities.CLIENT_MULTI_RESULTS
    | Capabilities.CLIENT_PS_MULTI_RESULTS
)


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 33307
    mariadb_host: str = "127.0.0.1"
    mariadb_port: int = 33306
    admin_user: str = "root"
    admin_password: str = ""
    state_dir: Optional[Path] = None
    leaf_host: str = "127.0.0.1"         # what DISTRIBUTED_PARTITIONS / SHOW PARTITIONS report
    leaf_port: int = 3307
    forward_set_time_zone: bool = False  # SingleStore accepts SET time_zone and ignores it
    tls_cert: Optional[str] = None
    tls_key: Optional[str] = None


class DoubleServer:
    """Shared state of all sessions: configuration, admin connection, catalog, worker threads."""

    def __init__(self, config: Config):
        self.config = config
        self.admin = Admin(config.mariadb_host, config.mariadb_port, config.admin_user, config.admin_password)
        path = config.state_dir / "catalog.json" if config.state_dir else None
        self.catalog = Catalog.load(path)
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="double")
        self.handlers: list[Handler] = []
        self.statistics_columns: list[str] = []
        self._mimic: Optional[MysqlServer] = None

    # ---------------------------------------------------------------- admin look-ups (blocking)
    def prepare(self) -> None:
        cols = self.admin.query(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'information_schema' "
            "AND TABLE_NAME = 'STATISTICS' ORDER BY ORDINAL_POSITION")
        self.statistics_columns = [c[0] for c in cols]
        dbs = [r[0] for r in self.admin.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")]
        tables = [(r[0], r[1]) for r in self.admin.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'")]
        self.catalog.prune(dbs, tables)

    def account_hashes(self, user: str) -> list[str]:
        rows = self.admin.query(
            "SELECT authentication_string, Password FROM mysql.user WHERE User = %s "
            "AND plugin IN ('mysql_native_password', '')", (user,))
        out = []
        for auth, pw in rows:
            for h in (auth, pw):
                if h and h not in out:
                    out.append(h)
        return out

    def accounts(self) -> list[tuple]:
        rows = self.admin.query(
            "SELECT User, Host, JSON_VALUE(Priv, '$.account_locked'), JSON_VALUE(Priv, '$.password_last_changed') "
            "FROM mysql.global_priv WHERE Host <> '' AND User <> 'mariadb.sys' "
            "AND COALESCE(JSON_VALUE(Priv, '$.is_role'), 'false') <> 'true' ORDER BY User, Host")
        conns: dict[str, int] = {}
        for user, count in self.admin.query(
                "SELECT USER, COUNT(*) FROM information_schema.PROCESSLIST GROUP BY USER"):
            conns[user] = int(count)
        out = []
        for user, host, locked, changed in rows:
            out.append((user, host, str(locked).lower() == "true", int(changed) if changed else None,
                        conns.get(user, 0)))
        return out

    def database_exists(self, name: str) -> bool:
        return bool(self.admin.query(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE CAST(SCHEMA_NAME AS BINARY) = CAST(%s AS BINARY)",
            (name,)))

    def table_exists(self, db: str, table: str) -> bool:
        return bool(self.admin.query(
            "SELECT 1 FROM information_schema.TABLES WHERE CAST(TABLE_SCHEMA AS BINARY) = CAST(%s AS BINARY) "
            "AND CAST(TABLE_NAME AS BINARY) = CAST(%s AS BINARY)", (db, table)))

    # ---------------------------------------------------------------- serving
    def ssl_context(self) -> Optional[ssl_module.SSLContext]:
        if not (self.config.tls_cert and self.config.tls_key):
            return None
        ctx = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.config.tls_cert, self.config.tls_key)
        return ctx

    async def start(self) -> None:
        self._mimic = _MimicServer(self)
        await self._mimic.start_server(host=self.config.host, port=self.config.port)

    async def serve_forever(self) -> None:
        assert self._mimic is not None
        await self._mimic.serve_forever()

    def close(self) -> None:
        if self._mimic is not None:
            self._mimic.close()
        self.admin.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def sockets(self):
        return self._mimic.sockets() if self._mimic else ()


class _MimicServer(MysqlServer):
    def __init__(self, double: DoubleServer):
        super().__init__(
            session_factory=lambda: DoubleSession(double), capabilities=SERVER_CAPABILITIES,
            control=LocalControl(), identity_provider=IdentityProvider(), ssl=double.ssl_context(),
        )
        self.double = double

    async def _client_connected_cb(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stream = MysqlStream(reader, writer)
        session = DoubleSession(self.double)
        connection = DoubleConnection(
            stream=stream, session=session, control=self.control, server_capabilities=self.capabilities,
            identity_provider=self.identity_provider, ssl=self.ssl,
        )
        try:
            connection_id = await self.control.add(connection)
            connection.connection_id = connection_id
        except TooManyConnections:
            await stream.write(connection.error(msg="Too many connections", code=ErrorCode.CON_COUNT_ERROR))
            writer.close()
            return
        try:
            await connection.start()
        except Exception:  # noqa: BLE001
            log.exception("connection %s failed", connection_id)
        finally:
            writer.close()
            await self.control.remove(connection_id)


class _LoginFailed(Exception):
    pass


class DoubleConnection(Connection):
    session: DoubleSession

    # ---------------------------------------------------------------- connection phase
    async def _start(self) -> None:
        context.connection_id.set(self.connection_id)
        try:
            await self.connection_phase()
        except (_LoginFailed, ConnectionClosed, asyncio.IncompleteReadError, ConnectionError):
            await self.session.close()
            return
        except Exception as e:  # noqa: BLE001
            log.exception("handshake failed")
            try:
                await self.stream.write(self.error(msg=e, code=ErrorCode.HANDSHAKE_ERROR))
            except Exception:  # noqa: BLE001
                pass
            await self.session.close()
            return
        try:
            await self.command_phase()
        except asyncio.CancelledError:
            if self._kill == KillKind.CONNECTION:
                await self.stream.write(self.error(msg="Session was killed", code=ErrorCode.SESSION_WAS_KILLED))
            else:
                raise
        except (UpstreamLost, _LoginFailed, ConnectionClosed, asyncio.IncompleteReadError, ConnectionError) as e:
            log.info("connection %s ends: %s", self.connection_id, e or type(e).__name__)
        finally:
            await self.session.close()

    async def connection_phase(self) -> None:
        nonce = utils.nonce(20)
        self.handshake_auth_data = nonce + b"\x00"
        self.handshake_auth_plugin = NATIVE
        self.status_flags = ServerStatus.SERVER_STATUS_AUTOCOMMIT
        await self.stream.write(packets.make_handshake_v10(
            capabilities=self.server_capabilities, server_charset=self.server_charset,
            server_version=MYSQL_COMPAT_VERSION, connection_id=self.connection_id,
            auth_data=self.handshake_auth_data, status_flags=self.status_flags, auth_plugin_name=NATIVE,
        ))
        data = await self.stream.read()
        response = packets.parse_handshake_response(self.server_capabilities, _known_collation(data))
        tls = False
        if isinstance(response, SSLRequest):
            if self.ssl is None:
                raise _LoginFailed("client asked for TLS, which this double was not started with")
            await _start_tls(self.stream, self.ssl)
            tls = True
            data = await self.stream.read()
            response = packets.parse_handshake_response_41(self.server_capabilities, _known_collation(data))
        collation_id = data[8] if len(data) > 8 else 45
        self.capabilities = response.capabilities
        self.max_packet_size = response.max_packet_size
        self.client_plugin_name = response.client_plugin
        self.client_connect_attrs = response.connect_attrs
        self.tls = tls
        self.collation_id = collation_id
        self.session.variables.set("external_user", response.username, force=True)
        await self._authenticate(response.username, response.auth_response, response.client_plugin, nonce,
                                 response.database, response.connect_attrs or {})
        self.stream.reset_seq()

    async def _authenticate(self, username: str, scramble: bytes, client_plugin: Optional[str], nonce: bytes,
                            database: Optional[str], attrs: dict) -> None:
        if client_plugin and client_plugin != NATIVE and Capabilities.CLIENT_PLUGIN_AUTH in self.capabilities:
            nonce = utils.nonce(20)
            await self.stream.write(packets.make_auth_switch_request(
                server_charset=self.server_charset, plugin_name=NATIVE, plugin_provided_data=nonce + b"\x00"))
            scramble = await self.stream.read()
        error = await self.session.login(
            username=username, scramble=scramble, nonce=nonce, database=database, connect_attrs=attrs,
            collation_id=self.collation_id, client_flags=int(self.capabilities), tls=self.tls,
        )
        if error is not None:
            await self.stream.write(error.packet())
            raise _LoginFailed(error.message)
        self.status_flags = ServerStatus(self.session.status)
        await self.stream.write(self.ok())

    async def handle_change_user(self, data: bytes) -> None:
        cu = packets.parse_com_change_user(self.capabilities, self.client_charset, data)
        nonce = (self.handshake_auth_data or b"").rstrip(b"\x00")
        await self._authenticate(cu.username, cu.auth_response, cu.client_plugin, nonce, cu.database or None,
                                 cu.connect_attrs or self.client_connect_attrs or {})

    # ---------------------------------------------------------------- commands
    async def command_phase(self) -> None:
        """mysql-mimic's command loop, except that a lost MariaDB connection ends the client's."""
        handlers = {
            types.Commands.COM_QUERY: self.handle_query,
            types.Commands.COM_STMT_PREPARE: self.handle_stmt_prepare,
            types.Commands.COM_STMT_SEND_LONG_DATA: self.handle_stmt_send_long_data,
            types.Commands.COM_STMT_EXECUTE: self.handle_stmt_execute,
            types.Commands.COM_STMT_FETCH: self.handle_stmt_fetch,
            types.Commands.COM_STMT_RESET: self.handle_stmt_reset,
            types.Commands.COM_STMT_CLOSE: self.handle_stmt_close,
            types.Commands.COM_PING: self.handle_ping,
            types.Commands.COM_CHANGE_USER: self.handle_change_user,
            types.Commands.COM_RESET_CONNECTION: self.handle_reset_connection,
            types.Commands.COM_DEBUG: self.handle_debug,
            types.Commands.COM_INIT_DB: self.handle_init_db,
            types.Commands.COM_FIELD_LIST: self.handle_field_list,
            types.Commands.COM_STATISTICS: self.handle_statistics,
        }
        while True:
            try:
                data = await self.stream.read()
            except ConnectionClosed:
                return
            try:
                if not data or data[0] == types.Commands.COM_QUIT:
                    return
                handler = handlers.get(data[0])
                if handler is None:
                    raise MysqlError(f"Unsupported Command: {hex(data[0])}", ErrorCode.UNKNOWN_COM_ERROR)
                await handler(data[1:])
            except (UpstreamLost, _LoginFailed):
                raise
            except MysqlError as e:
                log.info("%s", e)
                await self.stream.write(self.error(msg=e.msg, code=e.code))
            except asyncio.CancelledError:
                if self._kill == KillKind.QUERY:
                    if self._task and hasattr(self._task, "uncancel"):
                        self._task.uncancel()
                    await self.stream.write(self.error(msg="Query was killed", code=ErrorCode.SESSION_WAS_KILLED))
                    self._kill = None
                else:
                    raise
            except Exception as e:  # noqa: BLE001
                log.exception("command failed")
                await self.stream.write(self.error(msg=f"SingleStore test double: {e}"))
            finally:
                self.stream.reset_seq()

    async def handle_query(self, data: bytes) -> None:
        upstream = self.session.upstream
        encoding = upstream.encoding if upstream else "utf8"
        sql = data.decode(encoding, "surrogateescape")
        replies = await self.session.execute(sql)
        await self.write_replies(replies)

    async def handle_init_db(self, data: bytes) -> None:
        upstream = self.session.upstream
        name = data.decode(upstream.encoding if upstream else "utf8", "surrogateescape")
        await self.write_replies([await self.session.init_db(name)])

    async def handle_field_list(self, data: bytes) -> None:
        assert self.session.upstream is not None
        for pkt in await self.session.call(self.session.upstream.field_list, data):
            await self.stream.write(pkt, drain=False)
        await self.stream.drain()

    async def handle_statistics(self, data: bytes) -> None:
        assert self.session.upstream is not None
        for pkt in await self.session.call(self.session.upstream.raw_command, 0x09, b"", True):
            await self.stream.write(pkt)

    async def handle_reset_connection(self, data: bytes) -> None:
        await self.session.reset()
        self.status_flags = ServerStatus(self.session.status)
        await self.stream.write(self.ok())

    async def handle_ping(self, data: bytes) -> None:
        """COM_PING goes to MariaDB, so a client whose MariaDB session is gone finds out."""
        if self.session.upstream is not None:
            await self.session.call(self.session.upstream.raw_command, 0x0E, b"", True)
        await self.stream.write(self.ok())

    async def handle_stmt_execute(self, data: bytes) -> None:
        com = packets.parse_com_stmt_execute(
            capabilities=self.capabilities, client_charset=self.client_charset, data=data, get_stmt=self.get_stmt)
        com.stmt.param_buffers = None
        replies = await self.session.execute(com.sql)
        reply = replies[0]
        if not isinstance(reply, RowsReply):
            await self.write_replies([reply])
            return
        self.status_flags = ServerStatus(reply.status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS)
        await self.stream.write(uint_len(len(reply.columns)))
        for col in reply.columns:
            await self.stream.write(col.packet(self._encoding()), drain=False)
        cols = [_binary_column(c) for c in reply.columns]
        rows = [[_python_value(v, c) for v, c in zip(row, reply.columns)] for row in reply.rows]

        async def gen_rows() -> AsyncIterator[bytes]:
            for r in rows:
                yield packets.make_binary_resultrow(r, cols)

        if com.use_cursor:
            com.stmt.cursor = gen_rows()
            await self.stream.write(self.ok_or_eof(flags=ServerStatus.SERVER_STATUS_CURSOR_EXISTS))
            return
        if not self.deprecate_eof():
            await self.stream.write(self.eof(warnings=reply.warnings))
        async for row in gen_rows():
            await self.stream.write(row, drain=False)
        await self.stream.write(self.ok_or_eof(warnings=reply.warnings))

    # ---------------------------------------------------------------- writing replies
    def _encoding(self) -> str:
        up = self.session.upstream
        return up.encoding if up else "utf8"

    def _ok_packet(self, r: OkReply, more: bool, eof: bool = False) -> bytes:
        status = (r.status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS) | (
            ServerStatus.SERVER_MORE_RESULTS_EXISTS if more else 0)
        parts = [uint_1(0xFE if eof else 0), uint_len(r.affected_rows), uint_len(r.insert_id),
                 uint_2(status), uint_2(r.warnings)]
        if r.info:
            if Capabilities.CLIENT_SESSION_TRACK in self.capabilities:
                parts.append(str_len(r.info))
            else:
                parts.append(r.info)
        return b"".join(parts)

    async def write_replies(self, replies: list[Reply]) -> None:
        for n, r in enumerate(replies):
            more = n < len(replies) - 1
            if isinstance(r, ErrorReply):
                await self.stream.write(r.packet(self._encoding()))
                return
            if isinstance(r, OkReply):
                self.status_flags = ServerStatus(r.status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS)
                await self.stream.write(self._ok_packet(r, more))
                continue
            await self._write_rows(r, more)

    async def _write_rows(self, r: RowsReply, more: bool) -> None:
        enc = self._encoding()
        status = (r.status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS) | (
            ServerStatus.SERVER_MORE_RESULTS_EXISTS if more else 0)
        self.status_flags = ServerStatus(r.status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS)
        header = [packets.make_column_count(capabilities=self.capabilities, column_count=len(r.columns))]
        header += [c.packet(enc) for c in r.columns]
        if not self.deprecate_eof():
            header.append(uint_1(0xFE) + uint_2(0) + uint_2(status & ~ServerStatus.SERVER_MORE_RESULTS_EXISTS))
        self.stream.write_many(header)
        batch: list[bytes] = []
        for row in r.rows:
            batch.append(_text_row(row, enc))
            if len(batch) >= 1000:
                self.stream.write_many(batch)
                batch = []
                await self.stream.drain()
        if batch:
            self.stream.write_many(batch)
        if self.deprecate_eof():
            end = self._ok_packet(OkReply(affected_rows=0, insert_id=0, status=status, warnings=r.warnings), more,
                                  eof=True)
        else:
            end = uint_1(0xFE) + uint_2(r.warnings) + uint_2(status)
        await self.stream.write(end)


async def _start_tls(stream: MysqlStream, ctx: ssl_module.SSLContext) -> None:
    """mysql-mimic's start_tls, without losing a TLS ClientHello that arrived with the SSLRequest.

    Clients send both back to back; the bytes the StreamReader already buffered would never reach
    the TLS layer (the handshake then hangs). They are handed to the TLS protocol first.
    """
    from asyncio import sslproto

    reader, writer = stream.reader, stream.writer
    buffered = getattr(reader, "_buffer", None)
    if buffered is None:  # pragma: no cover - other asyncio internals
        await stream.start_tls(ctx)
        return
    leftover = bytes(buffered)
    buffered.clear()
    loop = asyncio.get_running_loop()
    transport = writer.transport
    waiter = loop.create_future()
    ssl_protocol = sslproto.SSLProtocol(loop, transport.get_protocol(), ctx, waiter, server_side=True,
                                        call_connection_made=False)
    transport.pause_reading()
    transport.set_protocol(ssl_protocol)
    if leftover:
        ssl_protocol._incoming.write(leftover)
    loop.call_soon(ssl_protocol.connection_made, transport)
    loop.call_soon(transport.resume_reading)
    await asyncio.wait_for(waiter, 30)
    new_transport = ssl_protocol._app_transport
    writer._transport = new_transport  # type: ignore[attr-defined]
    reader._transport = new_transport  # type: ignore[attr-defined]


def _known_collation(data: bytes) -> bytes:
    """mysql-mimic only parses collations it knows; give it utf8mb4_general_ci (the real id is kept)."""
    if len(data) > 8:
        return data[:8] + bytes([45]) + data[9:]
    return data


def _text_row(row, encoding: str) -> bytes:
    parts = []
    for v in row:
        if v is None:
            parts.append(b"\xfb")
            continue
        if isinstance(v, bytes):
            b = v
        elif isinstance(v, str):
            b = v.encode(encoding, "surrogateescape")
        elif isinstance(v, bool):
            b = b"1" if v else b"0"
        else:
            b = str(v).encode("ascii")
        parts.append(str_len(b))
    return b"".join(parts)


_INT_TYPES = {1, 2, 3, 8, 9, 13}
_FLOAT_TYPES = {4, 5}


def _binary_column(c) -> ResultColumn:
    try:
        t = ColumnType(c.type_code)
    except ValueError:
        t = ColumnType.VAR_STRING
    return ResultColumn(name=c.name, type=t)


def _python_value(v: Any, c) -> Any:
    """A text-protocol value as the Python value mysql-mimic's binary encoders expect."""
    if v is None or not isinstance(v, bytes):
        return v
    from pymysql import converters

    t = c.type_code
    s = v.decode("ascii", "replace") if c.charsetnr == 63 or t not in (15, 253, 254, 252, 245, 247, 248) else None
    try:
        if t in _INT_TYPES:
            return int(s)
        if t in _FLOAT_TYPES:
            return float(s)
        if t in (7, 12):
            return converters.convert_datetime(s)
        if t == 10:
            return converters.convert_date(s)
        if t == 11:
            return converters.convert_timedelta(s)
    except (TypeError, ValueError):
        return v
    return v
