"""Pipelines in the double: routes pipeline statements to the engine in tests/lab/pipelines and
points ``information_schema.PIPELINES*`` at the engine's views.

Pipeline statements run with the double's admin account (the double does not check SingleStore's
pipeline privileges); the views are readable by every account (granted to PUBLIC), as the
catalog views of SingleStore are.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

import pymysql

from ..pipelines.catalog import VIEWS
from ..pipelines.engine import EngineError, PipelineEngine
from ..pipelines.grammar import is_pipeline_statement, quote_ident
from .rewrite import SINGLESTORE_VARIABLES
from .sqllex import Token
from .upstream import ErrorReply, OkReply, Reply, RowsReply, text_column

if TYPE_CHECKING:
    from .server import DoubleServer
    from .session import DoubleSession

SCHEMA = "_s2double"
log = logging.getLogger("double.pipelines")


def view_sql(name: str) -> str:
    return f"SELECT * FROM {quote_ident(SCHEMA)}.{quote_ident(name)}"


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
