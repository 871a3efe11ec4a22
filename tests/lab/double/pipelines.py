"""Pipelines in the double: routes pipeline statements to the engine in tests/lab/pipelines and
points ``information_schema.PIPELINES*`` at the engine's views.

Pipeline statements run with the double's admin account (the double does not check SingleStore's
pipeline privileges). The views show an account only the rows of the databases it may see the
pipelines of: "To access the Pipelines Views, users may have the CREATE PIPELINE, SHOW METADATA,
SHOW PIPELINE, or the ALTER PIPELINE permissions" (9.1, "Accessing the Information Schema",
https://docs.singlestore.com/db/v9.1/reference/information-schema-reference/accessing-the-information-schema/);
grants.visible_pipeline_databases decides, view_sql filters. The engine's tables themselves stay
readable by every MariaDB account (GRANT ... TO PUBLIC below), because the rewritten statement runs
as the client's own account; the SingleStore-facing name, information_schema.PIPELINES*, is filtered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

import pymysql

from ..pipelines.catalog import VIEWS
from ..pipelines.engine import EngineError, PipelineEngine
from ..pipelines.grammar import is_pipeline_statement, quote_ident
from .rewrite import SINGLESTORE_VARIABLES
from .sqllex import Token, quote_string
from .upstream import ErrorReply, OkReply, Reply, RowsReply, text_column

if TYPE_CHECKING:
    from .server import DoubleServer
    from .session import DoubleSession

SCHEMA = "_s2double"
log = logging.getLogger("double.pipelines")


def view_sql(name: str, databases: Optional[set[str]] = None, bs: bool = True) -> str:
    """The engine's view, limited to ``databases`` (None: all of them; empty: no row)."""
    base = f"SELECT * FROM {quote_ident(SCHEMA)}.{quote_ident(name)}"
    if databases is None:
        return base
    if not databases:
        return base + " WHERE FALSE"
    names = ", ".join(f"CAST({quote_string(db, bs)} AS BINARY)" for db in sorted(databases))
    return base + f" WHERE CAST(DATABASE_NAME AS BINARY) IN ({names})"


def install(server: "DoubleServer") -> PipelineEngine:
    """Create the engine (its catalog tables, workers of running pipelines) and route statements to it."""
    cfg = server.config

    def connect():
        return pymysql.connect(host=cfg.mariadb_host, port=cfg.mariadb_port, user=cfg.admin_user,
                               password=cfg.admin_password, charset="utf8mb4", autocommit=False,
                               connect_timeout=5, read_timeout=60, write_timeout=60)

    engine = PipelineEngine(connect, schema=SCHEMA, log=log.info, version=lambda: str(SINGLESTORE_VARIABLES["memsql_version"]))
    engine.bootstrap()
    with connect() as conn, conn.cursor() as cur:
        for view in VIEWS:
            cur.execute(f"GRANT SELECT ON {quote_ident(SCHEMA)}.{quote_ident(view)} TO PUBLIC")
        conn.commit()

    async def handle(session: "DoubleSession", sql: str, toks: list[Token]) -> Optional[list[Reply]]:
        if not is_pipeline_statement(sql):
            return None
        try:
            result = await session.call(engine.execute, sql, session.database)
        except EngineError as exc:
            return [ErrorReply(exc.code, exc.message)]
        if result.columns:
            return [RowsReply([text_column(c) for c in result.columns], result.rows, status=session.status)]
        return [OkReply(affected_rows=result.affected, status=session.status)]

    server.handlers.append(handle)
    return engine
