# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SingleStore Kafka pipelines, facts for singlestore_info: ``pipelines_info()`` reads the catalog views and SHOW CREATE
PIPELINE of every pipeline; nothing it returns holds credentials.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import MySQLError
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_options import public
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import (
    DefinitionError,
    parse_definition,
    scrub_config,
    scrub_text,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import quote_identifier


def _number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return str(value)


def pipelines_info(conn: Any, database: str | None = None, batches: int = 10, errors: int = 10) -> list[dict[str, Any]]:
    """Every pipeline (of ``database``, or all): state, definition, scrubbed CONFIG_JSON, per-partition lag,
    the latest ``batches`` batches and ``errors`` errors. Nothing returned holds credentials.

    ``definition`` is None (and ``definition_error`` says why) when SHOW CREATE PIPELINE cannot be read or parsed."""
    where, args = ("WHERE DATABASE_NAME = %s", (database,)) if database else ("", ())

    def rows(view: str, order: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in conn.query(f"SELECT * FROM information_schema.{view} {where} ORDER BY {order}", args):
            out.setdefault((row["DATABASE_NAME"], row["PIPELINE_NAME"]), []).append(row)
        return out

    cursors = rows("PIPELINES_CURSORS", "DATABASE_NAME, PIPELINE_NAME, SOURCE_PARTITION_ID")
    batch_rows = rows("PIPELINES_BATCHES_SUMMARY", "BATCH_ID DESC")
    error_rows = rows("PIPELINES_ERRORS", "ERROR_UNIX_TIMESTAMP DESC")
    result = []
    for row in conn.query(
        f"SELECT * FROM information_schema.PIPELINES {where} ORDER BY DATABASE_NAME, PIPELINE_NAME", args
    ):
        key = (row["DATABASE_NAME"], row["PIPELINE_NAME"])
        partitions = []
        for cur in sorted(
            cursors.get(key, []), key=lambda c: (len(str(c["SOURCE_PARTITION_ID"])), str(c["SOURCE_PARTITION_ID"]))
        ):
            latest, cursor = _number(cur.get("LATEST_OFFSET")), _number(cur.get("CURSOR_OFFSET"))
            partitions.append(
                {
                    "partition": str(cur["SOURCE_PARTITION_ID"]),
                    "earliest_offset": _number(cur.get("EARLIEST_OFFSET")),
                    "latest_offset": latest,
                    "cursor_offset": cursor,
                    "lag": latest - cursor if isinstance(latest, int) and isinstance(cursor, int) else None,
                    "updated": _number(cur.get("UPDATED_UNIX_TIMESTAMP")),
                }
            )
        definition, definition_error = None, None
        try:
            text = conn.query(
                f"SHOW CREATE PIPELINE {quote_identifier(key[0]).replace('%%', '%')}."
                f"{quote_identifier(key[1]).replace('%%', '%')}"
            )[0]
            definition = public(parse_definition(text.get("Create Pipeline") or list(text.values())[1]))
        except (MySQLError, DefinitionError, IndexError) as exc:
            definition_error = scrub_text(str(exc) or type(exc).__name__)
        result.append(
            {
                "database": key[0],
                "name": key[1],
                "id": _number(row.get("PIPELINE_ID")),
                "state": row.get("STATE"),
                "config_json": scrub_config(row.get("CONFIG_JSON")),
                "definition": definition,
                "definition_error": definition_error,
                "skipped_batch_partitions": _number(row.get("SKIPPED_BATCH_PARTITIONS")),
                "create_time": str(row["CREATE_TIME"]) if row.get("CREATE_TIME") is not None else None,
                "alter_time": str(row["ALTER_TIME"]) if row.get("ALTER_TIME") is not None else None,
                "partitions": partitions,
                # Unknown (None) when any partition's is: EARLIEST_OFFSET / LATEST_OFFSET "may be NULL if data extraction is
                # still in progress or failed" (PIPELINES_CURSORS,
                # https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/, cloud).
                "lag": sum(p["lag"] for p in partitions)
                if partitions and all(p["lag"] is not None for p in partitions)
                else None,
                "batches": [
                    {
                        k.lower(): (str(v) if k == "START_TIME" and v is not None else _number(v))
                        for k, v in b.items()
                        if k not in ("DATABASE_NAME", "PIPELINE_NAME")
                    }
                    for b in batch_rows.get(key, [])[:batches]
                ],
                "errors": [
                    {
                        k.lower(): scrub_text(_number(v))
                        for k, v in e.items()
                        if k not in ("DATABASE_NAME", "PIPELINE_NAME")
                    }
                    for e in error_rows.get(key, [])[:errors]
                ],
            }
        )
    return result
