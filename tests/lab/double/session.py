"""One client session: log in to MariaDB as the client's own account, then route each statement.

Routing (first significant word):

* statements the double answers or rewrites: ``CREATE DATABASE/SCHEMA``, ``CREATE ... TABLE``,
  ``DROP DATABASE/SCHEMA``, ``DROP TABLE``, ``ALTER TABLE``, ``RENAME TABLE``, ``SHOW CREATE TABLE``,
  ``SHOW PARTITIONS``, ``SHOW USERS``, ``SHOW VARIABLES``, ``SET`` (time_zone), ``USE``;
* privileges (grants.py): ``GRANT``/``REVOKE`` naming SingleStore-only privileges, ``DROP USER``,
  ``SHOW GRANTS`` (SingleStore's format), and which pipeline view rows an account sees;
* any statement that mentions a SingleStore variable or catalog view is rewritten (rewrite.py);
* everything else goes to MariaDB unchanged, and MariaDB's answer comes back unchanged.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from mysql_mimic.session import BaseSession
from mysql_mimic.variables import GlobalVariables, SessionVariables
from pymysql import err as pymysql_err
from pymysql.charset import charset_by_id, charset_by_name
from pymysql.constants import CLIENT

from . import ddl, grants, pipelines
from .catalog import distributed_partitions_view, statistics_view, tables_view, users_view
from .rewrite import (
    MYSQL_COMPAT_VERSION, SHOW_VARIABLES_EXTRA, SINGLESTORE_VARIABLES, RewriteContext, like_regex,
    parse_show_variables, rewrite_references, strip_set_time_zone,
)
from .sqllex import LexError, Token, parse_name, quote_string, sig_tokens, statement_count, unquote
from .upstream import (
    ConnectSpec, ErrorReply, LocalError, OkReply, Reply, RowsReply, Stage1Hash, Upstream, recover_stage1,
)

if TYPE_CHECKING:
    from .server import DoubleServer

log = logging.getLogger("double.session")

MULTI_STATEMENT_MESSAGE = (
    "You have an error in your SQL syntax; the SingleStore test double takes one statement per query "
    "(multi-statement queries are not supported)"
)
# Statements whose body may contain ';' (stored programs): sent to MariaDB as one statement.
_COMPOUND_OBJECTS = {"PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE"}
# Client capabilities that change MariaDB's answers; passed on to the session's MariaDB connection.
FORWARDED_CLIENT_FLAGS = CLIENT.FOUND_ROWS | CLIENT.IGNORE_SPACE | CLIENT.INTERACTIVE

Handler = Callable[["DoubleSession", str, list[Token]], Awaitable[Optional[list[Reply]]]]


def _is_compound(toks: list[Token]) -> bool:
    if toks[0].is_word("BEGIN") and len(toks) > 1 and toks[1].is_word("NOT"):
        return True
    if toks[0].is_word("CREATE", "ALTER"):
        return any(t.is_word(*_COMPOUND_OBJECTS) for t in toks[1:8])
    return False


class DoubleSession(BaseSession):
    def __init__(self, server: "DoubleServer"):
        self.server = server
        self.variables = SessionVariables(GlobalVariables())
        self.variables.set("version", MYSQL_COMPAT_VERSION, force=True)
        self.username: Optional[str] = None
        self.database: Optional[str] = None
        self.upstream: Optional[Upstream] = None

    # ------------------------------------------------------------------ plumbing
    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.server.executor, fn, *args)

    async def forward(self, sql: str) -> list[Reply]:
        assert self.upstream is not None
        log.debug("-> MariaDB: %s", sql)
        return await self.call(self.upstream.run, sql)

    @property
    def bs(self) -> bool:
        return self.upstream.backslash_escapes if self.upstream else True

    @property
    def status(self) -> int:
        return self.upstream.status if self.upstream else 2

    def ok(self) -> list[Reply]:
        return [OkReply(status=self.status)]

    # ------------------------------------------------------------------ login
    async def login(
        self, username: str, scramble: bytes, nonce: bytes, database: Optional[str],
        connect_attrs: dict, collation_id: int, client_flags: int, tls: bool,
    ) -> Optional[ErrorReply]:
        """Open the session's MariaDB connection as ``username``; an error reply if MariaDB refuses."""
        password: Any = ""
        if scramble:
            stage1 = None
            try:
                hashes = await self.call(self.server.account_hashes, username)
            except Exception as e:  # noqa: BLE001 - MariaDB will refuse the random hash below
                log.warning("could not read the account hashes of %r: %s", username, e)
                hashes = []
            for h in hashes:
                stage1 = recover_stage1(scramble, nonce, h)
                if stage1 is not None:
                    break
            # A wrong password (or an unknown user) still goes to MariaDB, with a hash that cannot
            # match, so the refusal the client gets is MariaDB's own (1045, same message).
            password = stage1 if stage1 is not None else Stage1Hash(os.urandom(20))
        charset, collation = "utf8mb4", None
        try:
            cs = charset_by_id(collation_id)
            if cs.encoding:
                charset, collation = cs.name, cs.collation
        except KeyError:
            pass
        spec = ConnectSpec(
            host=self.server.config.mariadb_host, port=self.server.config.mariadb_port, user=username,
            password=password, database=database or None, charset=charset, collation=collation,
            client_flag=int(client_flags) & FORWARDED_CLIENT_FLAGS, connect_attrs=connect_attrs,
            ssl={"check_hostname": False} if tls else None,
        )
        try:
            upstream = await self.call(Upstream, spec)
        except pymysql_err.MySQLError as e:
            reply = ErrorReply.from_exception(e)
            if reply.raw is None:  # could not reach MariaDB at all
                reply = ErrorReply(1105, f"the SingleStore test double cannot reach MariaDB: {e}", "HY000")
            log.info("login of %r refused: %s %s", username, reply.code, reply.message)
            return reply
        old, self.upstream = self.upstream, upstream
        if old is not None:
            await self.call(old.close)
        self.username = username
        self.database = database or None
        log.info("session for %r (MariaDB thread %s)", username, upstream.thread_id)
        return None

    async def close(self) -> None:
        if self.upstream is not None:
            up, self.upstream = self.upstream, None
            await self.call(up.close)

    async def reset(self) -> None:
        """COM_RESET_CONNECTION: reset MariaDB's session too."""
        if self.upstream is not None:
            await self.call(self.upstream.reset)

    async def init_db(self, name: str) -> Reply:
        assert self.upstream is not None
        reply = await self.call(self.upstream.init_db, name)
        if isinstance(reply, OkReply):
            self.database = name
        return reply

    # mysql-mimic's BaseSession entry point (used only for prepared statements by the connection)
    async def handle_query(self, sql: str, attrs: dict) -> Any:  # pragma: no cover - not used
        raise NotImplementedError

    # ------------------------------------------------------------------ statements
    async def execute(self, sql: str) -> list[Reply]:
        if self.upstream is None:
            return [ErrorReply(1105, "not logged in")]
        try:
            return await self._dispatch(sql)
        except LocalError as e:
            log.info("refused: %s (%s)", e, sql[:200])
            return [e.reply]

    async def _dispatch(self, sql: str) -> list[Reply]:
        try:
            toks = sig_tokens(sql, self.bs)
        except LexError:
            return await self.forward(sql)
        if not toks:
            return await self.forward(sql)
        if statement_count(toks) > 1 and not _is_compound(toks):
            return [ErrorReply(1064, MULTI_STATEMENT_MESSAGE, "42000")]
        while len(toks) > 1 and toks[-1].is_op(";"):
            toks = toks[:-1]

        for handler in self.server.handlers:
            replies = await handler(self, sql, toks)
            if replies is not None:
                return replies

        head = toks[0].upper
        second = toks[1].upper if len(toks) > 1 else ""
        if head in ("GRANT", "REVOKE") or (head == "DROP" and second == "USER") or (head == "SHOW" and second == "GRANTS"):
            replies = await grants.handle(self, sql, toks)
            if replies is not None:
                return replies
        try:
            if head == "CREATE" and second in ("DATABASE", "SCHEMA"):
                return await self._create_database(sql, toks)
            if head == "CREATE" and ddl.is_create_table(toks):
                return await self._create_table(sql, toks)
            if head == "DROP" and second in ("DATABASE", "SCHEMA"):
                return await self._drop_database(sql, toks)
            if head == "DROP" and (second in ("TABLE", "TABLES") or
                                   (second == "TEMPORARY" and len(toks) > 2 and toks[2].is_word("TABLE"))):
                return await self._drop_table(sql, toks)
            if head == "ALTER" and any(t.is_word("TABLE") for t in toks[1:4]):
                return await self._alter_table(sql, toks)
            if head == "RENAME" and second in ("TABLE", "TABLES"):
                return await self._rename_table(sql, toks)
            if head == "SHOW":
                replies = await self._show(sql, toks)
                if replies is not None:
                    return replies
            if head == "USE" and len(toks) >= 2:
                replies = await self.forward(sql)
                if isinstance(replies[-1], OkReply):
                    self.database = unquote(toks[1])
                return replies
            if head == "SET":
                return await self._set(sql, toks)
        except (LexError, IndexError) as e:
            # not in a shape the double understands: let MariaDB judge the original text
            log.debug("no SingleStore handling (%s) for: %s", e, sql[:200])
            return await self.forward(sql)
        return await self._generic(sql, toks)

    async def _generic(self, sql: str, toks: list[Token], in_set: bool = False) -> list[Reply]:
        rewritten = await self.rewrite(sql, toks, in_set=in_set)
        return await self.forward(rewritten if rewritten is not None else sql)

    async def rewrite(self, sql: str, toks: list[Token], in_set: bool = False) -> Optional[str]:
        views: dict[str, str] = {}
        if not any(t.is_name and unquote(t).lower() == "information_schema" for t in toks) and not (
                self.database and self.database.lower() == "information_schema"):
            # no catalog view can be meant; only variables may need replacing
            if not any(t.kind == "var" or t.is_word("VERSION") for t in toks):
                return None
        names = {unquote(t).upper() for t in toks if t.is_name}
        if "USERS" in names:
            accounts = await self.call(self.server.accounts)
            views["USERS"] = users_view(accounts, self.bs)
        if "STATISTICS" in names:
            views["STATISTICS"] = statistics_view(self.server.catalog, self.server.statistics_columns, self.bs)
        visible: Optional[set[str]] = None
        if any(name.startswith("PIPELINES") for name in names):
            # rows of the databases the account may see the pipelines of (grants.visible_pipeline_databases)
            visible = await grants.visible_pipeline_databases(self)

        def view_sql(name: str) -> str:
            if name in views:
                return views[name]
            if name == "TABLES":
                return tables_view(self.server.catalog, self.bs)
            if name.startswith("PIPELINES"):
                return pipelines.view_sql(name, visible, self.bs)
            if name == "DISTRIBUTED_PARTITIONS":
                cfg = self.server.config
                return distributed_partitions_view(self.server.catalog, cfg.leaf_host, cfg.leaf_port, 2, self.bs)
            raise KeyError(name)

        ctx = RewriteContext(backslash_escapes=self.bs, current_db=self.database, view_sql=view_sql,
                             local_variables=SINGLESTORE_VARIABLES)
        return rewrite_references(sql, toks, ctx, in_set=in_set)

    # ------------------------------------------------------------------ DDL
    async def _create_database(self, sql: str, toks: list[Token]) -> list[Reply]:
        cd = ddl.parse_create_database(sql, toks)
        existed = await self.call(self.server.database_exists, cd.name)
        replies = await self.forward(cd.sql)
        if isinstance(replies[-1], OkReply) and not existed:
            self.server.catalog.add_database(cd.name, cd.partitions)
        return replies

    async def _drop_database(self, sql: str, toks: list[Token]) -> list[Reply]:
        name = ddl.parse_drop_database(toks)
        replies = await self.forward(sql)
        if isinstance(replies[-1], OkReply):
            self.server.catalog.drop_database(name)
            if self.database == name:
                self.database = None
        return replies

    async def _create_table(self, sql: str, toks: list[Token]) -> list[Reply]:
        ct = ddl.parse_create_table(sql, toks)
        db = ct.db or self.database
        if ct.temporary or db is None:
            return await self.forward(ct.sql)
        existed = await self.call(self.server.table_exists, db, ct.name)
        replies = await self.forward(ct.sql)
        if isinstance(replies[-1], OkReply) and (not existed or ct.or_replace):
            cat = self.server.catalog
            if ct.like is not None:
                src = cat.get_table(ct.like[0] or self.database, ct.like[1])
                if src is not None:
                    cat.put_table(db, ct.name, copy.deepcopy(src))
                else:
                    cat.drop_table(db, ct.name)
            else:
                cat.put_table(db, ct.name, ct.meta())
        return replies

    async def _drop_table(self, sql: str, toks: list[Token]) -> list[Reply]:
        dt = ddl.parse_drop_table(toks)
        replies = await self.forward(sql)
        if not dt.temporary and isinstance(replies[-1], OkReply):
            for db, name in dt.names:
                db = db or self.database
                if db is not None:
                    self.server.catalog.drop_table(db, name)
        return replies

    def _apply_changes(self, ch: ddl.TableChanges) -> None:
        cat = self.server.catalog
        if ch.table and ch.column_renames:
            db = ch.table[0] or self.database
            meta = cat.get_table(db, ch.table[1])
            if meta is not None and db is not None:
                for old, new in ch.column_renames:
                    meta.rename_column(old, new)
                cat.put_table(db, ch.table[1], meta)
        for (db1, n1), (db2, n2) in ch.renames:
            db1 = db1 or self.database
            db2 = db2 or self.database   # MariaDB: an unqualified new name is in the current database
            if db1 is not None and db2 is not None:
                cat.rename_table((db1, n1), (db2, n2))

    async def _alter_table(self, sql: str, toks: list[Token]) -> list[Reply]:
        ch = ddl.parse_alter_table(toks)
        ddl.check_alter_table(ch, self.server.catalog.get_table(ch.table[0] or self.database, ch.table[1]) if ch.table else None)
        replies = await self.forward(sql)
        if isinstance(replies[-1], OkReply):
            self._apply_changes(ch)
        return replies

    async def _rename_table(self, sql: str, toks: list[Token]) -> list[Reply]:
        ch = ddl.parse_rename_table(toks)
        replies = await self.forward(sql)
        if isinstance(replies[-1], OkReply):
            self._apply_changes(ch)
        return replies

    # ------------------------------------------------------------------ SET
    async def _set(self, sql: str, toks: list[Token]) -> list[Reply]:
        if not self.server.config.forward_set_time_zone:
            stripped = strip_set_time_zone(sql, toks)
            if stripped == "":
                return self.ok()
            if stripped is not None:
                sql = stripped
                toks = sig_tokens(sql, self.bs)
        replies = await self._generic(sql, toks, in_set=True)
        if isinstance(replies[-1], OkReply):
            self._track_charset(toks)
        return replies

    def _track_charset(self, toks: list[Token]) -> None:
        """After ``SET NAMES x`` / ``SET CHARACTER SET x``, read and write in x like MariaDB will."""
        if len(toks) < 3 or self.upstream is None:
            return
        name = None
        if toks[1].is_word("NAMES"):
            name = unquote(toks[2])
        elif toks[1].is_word("CHARSET"):
            name = unquote(toks[2])
        elif toks[1].is_word("CHARACTER") and toks[2].is_word("SET") and len(toks) > 3:
            name = unquote(toks[3])
        if not name or name.upper() == "DEFAULT":
            return
        try:
            cs = charset_by_name(name.lower())
        except KeyError:
            return
        if cs.encoding:
            self.upstream.conn.charset = cs.name
            self.upstream.conn.encoding = cs.encoding

    # ------------------------------------------------------------------ SHOW
    async def _show(self, sql: str, toks: list[Token]) -> Optional[list[Reply]]:
        second = toks[1].upper if len(toks) > 1 else ""
        if second == "CREATE" and len(toks) > 3 and toks[2].is_word("TABLE"):
            return await self._show_create_table(sql, toks)
        if second == "PARTITIONS":
            return await self._show_partitions(toks)
        if second == "USERS" and len(toks) == 2:
            return await self._show_users()
        if second in ("INDEX", "INDEXES", "KEYS") or (
                second in ("EXTENDED", "FULL") and len(toks) > 2 and toks[2].is_word("INDEX", "INDEXES", "KEYS")):
            return await self._show_index(sql)
        sv = parse_show_variables(toks)
        if sv is not None:
            return await self._show_variables(sql, *sv)
        return None

    async def _show_create_table(self, sql: str, toks: list[Token]) -> list[Reply]:
        db, name, _ = parse_name(toks, 3)
        replies = await self.forward(sql)
        last = replies[-1]
        if not isinstance(last, RowsReply) or len(last.columns) != 2 or not last.rows:
            return replies
        if last.columns[1].name != "Create Table":
            return replies  # a view
        meta = self.server.catalog.get_table(db or self.database, name)
        enc = self.upstream.encoding if self.upstream else "utf-8"
        rows = []
        for row in last.rows:
            text = row[1].decode(enc, "surrogateescape") if isinstance(row[1], bytes) else row[1]
            rows.append((row[0], ddl.render_show_create_table(text, meta).encode(enc, "surrogateescape")))
        last.rows = rows
        return replies

    async def _show_index(self, sql: str) -> list[Reply]:
        """MariaDB's answer without the hidden index that stands in for a SORT KEY (ddl.SORT_INDEX_NAME)."""
        replies = await self.forward(sql)
        last = replies[-1]
        if isinstance(last, RowsReply):
            names = [c.name for c in last.columns]
            if "Key_name" in names:
                k = names.index("Key_name")
                hidden = ddl.SORT_INDEX_NAME.encode()
                last.rows = [r for r in last.rows if (r[k] if isinstance(r[k], bytes) else str(r[k]).encode()) != hidden]
        return replies

    async def _show_partitions(self, toks: list[Token]) -> list[Reply]:
        i = 2
        if i < len(toks) and toks[i].is_word("EXTENDED"):
            i += 1
        if i >= len(toks) or not toks[i].is_word("ON"):
            if self.database is None:
                return [ErrorReply(1046, "No database selected", "3D000")]
            db = self.database
        else:
            db = unquote(toks[i + 1])
        cfg = self.server.config
        view = distributed_partitions_view(self.server.catalog, cfg.leaf_host, cfg.leaf_port, 2, self.bs)
        q = (f"SELECT ORDINAL AS `Ordinal`, HOST AS `Host`, PORT AS `Port`, ROLE AS `Role`, LOCKED AS `Locked` "
             f"FROM ({view}) p WHERE CAST(DATABASE_NAME AS BINARY) = CAST({quote_string(db, self.bs)} AS BINARY) "
             "ORDER BY ORDINAL")
        replies = await self.forward(q)
        last = replies[-1]
        if isinstance(last, RowsReply) and not last.rows:
            return [ErrorReply(1049, f"Unknown database '{db}'", "42000")]
        return replies

    async def _show_users(self) -> list[Reply]:
        accounts = await self.call(self.server.accounts)
        view = users_view(accounts, self.bs)
        q = ("SELECT CONCAT('''', USER, '''@''', HOST, '''') AS `User`, TYPE AS `Type`, "
             "CONNECTIONS AS `Connections`, IS_DELETED AS `Is deleted`, "
             "DEFAULT_RESOURCE_POOL AS `Default resource pool`, IS_LOCAL AS `Is local` "
             f"FROM ({view}) u ORDER BY USER, HOST")
        return await self.forward(q)

    async def _show_variables(self, sql: str, pattern: Optional[str], has_where: bool) -> list[Reply]:
        replies = await self.forward(sql)
        last = replies[-1]
        if not isinstance(last, RowsReply) or len(last.columns) != 2:
            return replies
        enc = self.upstream.encoding if self.upstream else "utf-8"

        def text(v: Any) -> str:
            return v.decode(enc, "surrogateescape") if isinstance(v, bytes) else str(v)

        rows = {}
        for name, value in last.rows:
            key = text(name)
            if key.lower() in ("version", "version_comment"):
                value = str(SINGLESTORE_VARIABLES[key.lower()]).encode(enc)
            rows[key] = (name, value)
        if not has_where:
            rx = like_regex(pattern) if pattern is not None else None
            for var in SHOW_VARIABLES_EXTRA:
                if rx is None or rx.match(var):
                    rows[var] = (var.encode(enc), str(SINGLESTORE_VARIABLES[var]).encode(enc))
        last.rows = [rows[k] for k in sorted(rows, key=str.lower)]
        return replies

