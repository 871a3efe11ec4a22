# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SingleStore Kafka pipelines, the module's options: their argument spec, the CREATE PIPELINE statement they
render (``desired_statement()``, one clause per line as SHOW CREATE PIPELINE prints it), and the forms a parsed
definition (_pipeline_sql) takes in option terms: ``signature()`` to compare, ``public()`` to return; and
``pipeline_facts()``, what singlestore_info returns for one pipeline.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_topic import topic_name_problem
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import (
    CARRIED,
    PipelineStatement,
    tokenize,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import quote_identifier
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub_config, scrub_text

ON_DUPLICATE_CLAUSE = {"skip": "SKIP DUPLICATE KEY ERRORS", "replace": "REPLACE", "ignore": "IGNORE"}
CSV_DEFAULTS = {
    "fields_terminated_by": "\t",
    "enclosed_by": "",
    "escaped_by": "\\",
    "lines_terminated_by": "\n",
    "lines_starting_by": "",
}
DEFAULT_KAFKA_PORT = 9092
_BROKER = re.compile(r"^[A-Za-z0-9._\-\[\]:]+$")
_VARIABLE = re.compile(r"^@[A-Za-z_][A-Za-z0-9_]{0,63}$")


# ---------------------------------------------------------------------------------------------------
# Comparable and returned forms of a parsed definition
# ---------------------------------------------------------------------------------------------------
def broker_key(broker: str) -> str:
    broker = broker.strip().lower()
    return broker if re.search(r":\d+$", broker) else f"{broker}:{DEFAULT_KAFKA_PORT}"


def on_duplicate_of(d: dict[str, Any]) -> str:
    if d["odku"]:
        return "update" if not d["errors"] else "update + " + " ".join(d["errors"]).lower()
    if not d["errors"]:
        return "error"
    reverse = {v: k for k, v in ON_DUPLICATE_CLAUSE.items()}
    return reverse.get(" ".join(d["errors"]), " ".join(d["errors"]).lower())


def derived_mapping(d: dict[str, Any], table_columns: list[str] | None) -> bool:
    """Whether a JSON mapping is the one ``FORMAT JSON`` without a list stands for: every column of the target table,
    each from the JSON key of its own name (``c <- c``), nothing else. No public source shows whether
    SHOW CREATE PIPELINE prints such a pipeline bare or with this mapping spelled out, so both read as
    "no mapping" (corpus cases show_create_pipeline/json_no_mapping_*.yml)."""
    if not d["mapping"] or not table_columns or d["format"] != "json":
        return False
    targets = [m["column"].lower() for m in d["mapping"]]
    return all(
        m["column"].lower() == m["path"].lower() and not m["column"].startswith("@") for m in d["mapping"]
    ) and sorted(targets) == sorted(c.lower() for c in table_columns)


def signature(d: dict[str, Any], table_columns: list[str] | None = None) -> dict[str, Any]:
    """Everything but the tunables, the credentials and the clauses this module does not manage, in comparable form.

    ``table_columns`` (the target table's columns, when known) lets a mapping the server derived for ``FORMAT JSON``
    without a list compare equal to no mapping (``derived_mapping()``)."""
    csv = dict(CSV_DEFAULTS, **d["csv"]) if d["format"] == "csv" else {}
    mapping = [] if derived_mapping(d, table_columns) else d["mapping"]
    return {
        "aggregator": d["aggregator"],
        "source": d["source"],
        "brokers": sorted(broker_key(b) for b in d["brokers"]),
        "topic": d["topic"],
        "config": d["config"] or {},
        "errors": d["errors"],
        "target": [d["target_kind"], d["target"]],
        "format": d["format"],
        "csv": csv,
        "columns": [c.lower() for c in d["columns"]],
        "mapping": [[m["column"].lower(), m["path"], m.get("_default")] for m in mapping],
        "set": [[c.lower(), n] for c, _shown, n in d["set"]],
        "where": d["where"][1] if d["where"] else None,
        "odku": [[c.lower(), n] for c, _shown, n in d["odku"]],
    }  # d["defaults"] (clauses printed with their default values) and unmanaged clauses are not compared


def public(d: dict[str, Any]) -> dict[str, Any]:
    """The definition as the module returns it (no credentials, expressions as the server shows them)."""
    out: dict[str, Any] = {
        "brokers": [broker_key(b) for b in d["brokers"]],
        "topic": d["topic"],
        "config": scrub_config(d["config"]) if d["config"] else None,
        "has_credentials": d["has_credentials"],
        "format": d["format"],
        "on_duplicate": on_duplicate_of(d),
        "on_duplicate_update": {c: e for c, e, _norm in d["odku"]} or None,
        "set": {c: e for c, e, _norm in d["set"]} or None,
        "where": d["where"][0] if d["where"] else None,
        "mapping": [{k: v for k, v in m.items() if not k.startswith("_")} for m in d["mapping"]] or None,
        "csv": dict(CSV_DEFAULTS, **d["csv"], columns=d["columns"] or None) if d["format"] == "csv" else None,
        "table": d["target"] if d["target_kind"] == "table" else None,
        "procedure": d["target"] if d["target_kind"] == "procedure" else None,
        "stop_on_error": d["stop_on_error"],
        "unmanaged_clauses": d["other"] + d["other_tail"],
    }
    out.update({key: d[key] for key in CARRIED})
    return out


# ---------------------------------------------------------------------------------------------------
# The desired definition, rendered from the module's options
# ---------------------------------------------------------------------------------------------------
def _expression(text: Any, what: str) -> str:
    """A user SQL expression: refused with a statement separator outside quotes; ``%`` escaped for the driver."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        raise ModuleError(f"{what} must be a non-empty SQL expression")
    if any(t.text == ";" for t in tokenize(text)):
        raise ModuleError(f"{what} contains a ';' outside a string: one expression only")
    return text.strip().replace("%", "%%")


def _target_name(column: str, what: str) -> str:
    if column.startswith("@"):
        if not _VARIABLE.match(column):
            raise ModuleError(f"{what}: {column!r} is not a plain variable name (@ then letters, digits, underscore)")
        return column
    return quote_identifier(column, what)


def _path(path: Any) -> str:
    if not isinstance(path, str) or not path.strip():
        raise ModuleError("mapping: every entry needs a path ('%' or 'key::key')")
    segments = [s.strip() for s in path.strip().split("::")]
    if len(segments) > 1 and segments[0] == "%":
        segments = segments[1:]
    if segments == ["%"]:
        return "%%"
    return "::".join(quote_identifier(s, "JSON path key") for s in segments)


def desired_statement(
    params: dict[str, Any], carried: dict[str, Any], or_replace: bool, credentials: bool
) -> PipelineStatement:
    """CREATE [OR REPLACE] PIPELINE for the task (one clause per line, as SHOW CREATE PIPELINE prints it)."""
    kafka = params["kafka"] or {}
    brokers, topic = kafka.get("brokers") or [], kafka.get("topic")
    if not brokers:
        raise ModuleError("kafka.brokers must list at least one host[:port]")
    for broker in brokers:
        if not _BROKER.match(str(broker)):
            raise ModuleError(f"kafka.brokers: {broker!r} is not host[:port]")
    problem = topic_name_problem(topic)  # the rule kafka_topic checks too
    if problem:
        raise ModuleError(f"kafka.topic: {problem}")
    values: dict[str, Any] = {"endpoint": ",".join(str(b) for b in brokers) + f"/{topic}"}
    aggregator = "AGGREGATOR " if carried.get("aggregator") else ""  # not managed: kept as the server has it
    name = quote_identifier(params["name"], "pipeline name")
    lines = [
        f"CREATE {'OR REPLACE ' if or_replace else ''}{aggregator}PIPELINE {name}",
        "AS LOAD DATA KAFKA %(endpoint)s",
    ]
    if kafka.get("config"):
        values["config"] = json.dumps(kafka["config"], sort_keys=True)
        lines.append("CONFIG %(config)s")
    hidden: list[str] = []
    if credentials:
        values["credentials"] = json.dumps(kafka.get("credentials") or {}, sort_keys=True)
        hidden = [values["credentials"]] + [str(v) for v in (kafka.get("credentials") or {}).values()]
        lines.append("CREDENTIALS %(credentials)s")
    for key, keyword in CARRIED.items():
        value = params.get(key) if params.get(key) is not None else carried.get(key)
        if value is not None:
            lines.append(f"{keyword} {int(value)}")
    # Clauses of the server's definition this module does not manage (RESOURCE POOL, ENABLE OUT_OF_ORDER OPTIMIZATION,
    # WITH TRANSFORM ...), as the server printed them: in the grammar they stand after the batch settings and before the
    # error handling, where the server prints them too. '%' is doubled for the driver's format string.
    lines.extend(clause.replace("%", "%%") for clause in carried.get("other_raw") or [])
    on_duplicate = params["on_duplicate"]
    if on_duplicate in ON_DUPLICATE_CLAUSE:
        lines.append(ON_DUPLICATE_CLAUSE[on_duplicate])
    stop_on_error = params["stop_on_error"] if params["stop_on_error"] is not None else carried.get("stop_on_error")
    if stop_on_error is not None:
        lines.append(f"STOP_ON_ERROR {'ON' if stop_on_error else 'OFF'}")
    if params.get("procedure"):
        lines.append(f"INTO PROCEDURE {quote_identifier(params['procedure'], 'procedure name')}")
    else:
        lines.append(f"INTO TABLE {quote_identifier(params['table'], 'table name')}")
    lines.extend(_format_lines(params, values))
    if params.get("set"):
        lines.append(
            "SET "
            + ",\n".join(
                f"{_target_name(c, 'set column')} = {_expression(e, f'set[{c}]')}" for c, e in params["set"].items()
            )
        )
    if params.get("where") is not None:
        lines.append("WHERE " + _expression(params["where"], "where"))
    if on_duplicate == "update":
        if not params.get("on_duplicate_update"):
            raise ModuleError("on_duplicate=update needs on_duplicate_update (column: expression)")
        lines.append(
            "ON DUPLICATE KEY UPDATE "
            + ",\n".join(
                f"{quote_identifier(c, 'on_duplicate_update column')} = {_expression(e, f'on_duplicate_update[{c}]')}"
                for c, e in params["on_duplicate_update"].items()
            )
        )
    elif params.get("on_duplicate_update"):
        raise ModuleError("on_duplicate_update is only used with on_duplicate=update")
    return PipelineStatement("\n".join(lines), values, secrets=("credentials",) if credentials else (), hidden=hidden)


def _format_lines(params: dict[str, Any], values: dict[str, Any]) -> list[str]:
    lines = []
    if params["format"] == "json":
        if params.get("csv"):
            raise ModuleError("csv options are for format=csv; this pipeline is format=json")
        lines.append("FORMAT JSON")
        entries = []
        for i, entry in enumerate(params.get("mapping") or []):
            if not entry.get("column"):
                raise ModuleError("mapping: every entry needs a column (or @variable)")
            text = f"{_target_name(entry['column'], 'mapping column')} <- {_path(entry.get('path'))}"
            if entry.get("default") is not None:
                values[f"default{i}"] = entry["default"]
                text += f" DEFAULT %(default{i})s"
            entries.append(text)
        if entries:
            lines.append("(" + ",\n".join(entries) + ")")
        return lines
    if params.get("mapping"):
        raise ModuleError("mapping is for format=json; use csv.columns with format=csv")
    csv = params.get("csv") or {}
    fields = []
    for key, words in (
        ("fields_terminated_by", "TERMINATED BY"),
        ("enclosed_by", "ENCLOSED BY"),
        ("escaped_by", "ESCAPED BY"),
    ):
        if csv.get(key) is not None:
            values[key] = csv[key]
            fields.append(f"{words} %({key})s")
    if fields:
        lines.append("FIELDS " + " ".join(fields))
    if csv.get("lines_terminated_by") is not None:
        values["lines_terminated_by"] = csv["lines_terminated_by"]
        lines.append("LINES TERMINATED BY %(lines_terminated_by)s")
    if csv.get("columns"):
        lines.append("(" + ", ".join(_target_name(c, "csv column") for c in csv["columns"]) + ")")
    return lines


# ---------------------------------------------------------------------------------------------------
# What singlestore_info returns for a pipeline (read_pipelines in _pipeline.py reads the rows)
# ---------------------------------------------------------------------------------------------------
def _number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return str(value)


def pipeline_facts(
    row: dict[str, Any],
    definition: dict[str, Any] | None,
    definition_error: str | None,
    cursor_rows: list[dict[str, Any]],
    batches: list[dict[str, Any]],
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    """One pipeline's facts from its PIPELINES row, its public definition, and its PIPELINES_CURSORS,
    PIPELINES_BATCHES_SUMMARY and PIPELINES_ERRORS rows; credentials scrubbed."""
    partitions = []
    for cur in sorted(cursor_rows, key=lambda c: (len(str(c["SOURCE_PARTITION_ID"])), str(c["SOURCE_PARTITION_ID"]))):
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
    return {
        "database": row["DATABASE_NAME"],
        "name": row["PIPELINE_NAME"],
        "id": _number(row.get("PIPELINE_ID")),
        "state": row.get("STATE"),
        "config_json": scrub_config(row.get("CONFIG_JSON")),
        "definition": definition,
        "definition_error": definition_error,
        "skipped_batch_partitions": _number(row.get("SKIPPED_BATCH_PARTITIONS")),
        "create_time": str(row["CREATE_TIME"]) if row.get("CREATE_TIME") is not None else None,
        "alter_time": str(row["ALTER_TIME"]) if row.get("ALTER_TIME") is not None else None,
        "partitions": partitions,
        # Unknown (None) when any partition's is: EARLIEST_OFFSET / LATEST_OFFSET "may be NULL if data
        # extraction is still in progress or failed" (PIPELINES_CURSORS, cloud,
        # https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/).
        "lag": sum(p["lag"] for p in partitions)
        if partitions and all(p["lag"] is not None for p in partitions)
        else None,
        "batches": [
            {
                k.lower(): (str(v) if k == "START_TIME" and v is not None else _number(v))
                for k, v in b.items()
                if k not in ("DATABASE_NAME", "PIPELINE_NAME")
            }
            for b in batches
        ],
        "errors": [
            {k.lower(): scrub_text(_number(v)) for k, v in e.items() if k not in ("DATABASE_NAME", "PIPELINE_NAME")}
            for e in errors
        ],
    }
