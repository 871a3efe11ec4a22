# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pipeline kind (SingleStore Kafka pipelines): ``read_pipelines()``, the facts singlestore_info returns
(catalog views and SHOW CREATE PIPELINE of every pipeline, nothing holding credentials), and the
``Pipeline`` object: read (PIPELINES + SHOW CREATE PIPELINE) -> plan -> apply, honouring the pipeline's
state machine.

The module renders the CREATE PIPELINE statement it wants (_pipeline_spec), and both that text and the server's
``SHOW CREATE PIPELINE`` text go through the same tokenizer and clause parser (_pipeline_sql). Tokens are compared
without whitespace and backquotes (keywords and identifiers case-insensitively, string literals by their decoded value,
the table name exactly); the CREDENTIALS clause only counts as "present or not". Differences in tunables
(BATCH_INTERVAL, MAX_PARTITIONS_PER_BATCH, MAX_OFFSETS_PER_BATCH_PARTITION, STOP_ON_ERROR) become one ALTER PIPELINE
each; any other difference becomes CREATE OR REPLACE PIPELINE.

Offsets across CREATE OR REPLACE: no public source we found says whether it keeps them, so they are carried
explicitly. The cursors (PIPELINES_CURSORS.CURSOR_OFFSET, "the next offset at which the pipeline will start loading")
are read before the replace and set again after it with ``ALTER PIPELINE p SET OFFSETS '{"<partition>": <offset>}'``,
the form SHOW CREATE PIPELINE EXTENDED prints "to set a new pipeline's offsets to the same state as the current
pipeline" (https://docs.singlestore.com/cloud/reference/sql-reference/show-commands/show-create-pipeline/, cloud;
https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/, cloud).
A cursor that cannot be read (NULL, or the view cannot be read) refuses the replace: nothing is changed.
A replace onto another source (brokers or topic) starts from ``start_from`` instead (SET OFFSETS EARLIEST|LATEST).
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    DatabaseObject,
    ModuleError,
    Statement,
    driver_errors,
    run_statement,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import Connection, MySQLError
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_spec import (
    broker_key,
    desired_statement,
    pipeline_facts,
    public,
    signature,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import (
    CARRIED,
    TUNABLES,
    DefinitionError,
    PipelineStatement,
    parse_definition,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    quote_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub_text


def read_pipelines(
    conn: Connection, database: str | None = None, batches: int = 10, errors: int = 10
) -> list[dict[str, Any]]:
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
        definition, definition_error = None, None
        try:
            text = conn.query(
                f"SHOW CREATE PIPELINE {quote_identifier(key[0]).replace('%%', '%')}."
                f"{quote_identifier(key[1]).replace('%%', '%')}"
            )[0]
            definition = public(parse_definition(text.get("Create Pipeline") or list(text.values())[1]))
        except (MySQLError, DefinitionError, IndexError) as exc:  # reported in the facts, never a failure
            definition_error = scrub_text(str(exc) or type(exc).__name__)
        result.append(
            pipeline_facts(
                row,
                definition,
                definition_error,
                cursors.get(key, []),
                batch_rows.get(key, [])[:batches],
                error_rows.get(key, [])[:errors],
            )
        )
    return result


class Pipeline(DatabaseObject):
    """A Kafka pipeline: read (PIPELINES + SHOW CREATE PIPELINE) -> plan -> apply, honouring its state machine."""

    result_key = "pipeline"
    kind = "pipeline"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.qname = quote_identifier(self.name, "pipeline name")
        self.database_exists = False  # (read)
        self.definition: dict[str, Any] | None = None  # the server's, parsed (read)
        self.desired: dict[str, Any] = {}  # our rendering, parsed (plan)
        self.cursors: list[dict[str, Any]] = []
        self.table_columns: list[
            str
        ] = []  # the target table's (plan), for a mapping derived from FORMAT JSON without a list
        self.steps: list[tuple[str, PipelineStatement]] = []
        self.result: dict[str, Any] = {}
        self.secrets = [str(v) for v in ((self.params.get("kafka") or {}).get("credentials") or {}).values()]

    # -- read ------------------------------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        self.database_exists = self.conn.schema_exists(self.database)
        if not self.database_exists:
            return None
        self.conn.raw.select_db(self.database)
        rows = self.conn.query(
            "SELECT PIPELINE_NAME, STATE FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s AND "
            "PIPELINE_NAME = %s",
            (self.database, self.name),
        )
        rows = [r for r in rows if r["PIPELINE_NAME"] == self.name]
        if not rows:
            return None
        text = self.conn.query(f"SHOW CREATE PIPELINE {self.qname.replace('%%', '%')}")[0]
        create = text.get("Create Pipeline") or list(text.values())[1]
        try:
            self.definition = parse_definition(create)
        except DefinitionError as exc:
            raise ModuleError(f"cannot read the definition of pipeline {self.database}.{self.name}: {exc}") from None
        return dict(public(self.definition), database=self.database, name=self.name, state=str(rows[0]["STATE"]))

    def read_cursors(self) -> list[dict[str, Any]]:
        return self.conn.query(
            "SELECT SOURCE_PARTITION_ID, EARLIEST_OFFSET, LATEST_OFFSET, CURSOR_OFFSET FROM "
            "information_schema.PIPELINES_CURSORS WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s",
            (self.database, self.name),
        )

    def target_exists(self) -> bool:
        if self.params.get("procedure"):
            rows = self.conn.query(
                "SELECT ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s AND "
                "ROUTINE_NAME = %s",
                (self.database, self.params["procedure"]),
            )
            return any(r["n"] == self.params["procedure"] for r in rows)
        rows = self.conn.query(
            "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND "
            "TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (self.database, self.params["table"]),
        )
        self.table_columns = [str(r["c"]) for r in rows if r["t"] == self.params["table"]]
        return bool(self.table_columns)

    def carried_offsets(self, where: str) -> dict[str, int]:
        """The cursor of every partition (partition -> next offset to load), to set again after CREATE OR REPLACE.

        Refuses (ModuleError) when they cannot be read: PIPELINES_CURSORS may hold NULLs."""
        with driver_errors(
            self.params,
            lambda error: (
                f"{where} must be replaced (CREATE OR REPLACE PIPELINE) and its offsets carried over, "
                f"but information_schema.PIPELINES_CURSORS cannot be read ({error})"
            ),
        ):
            rows = self.read_cursors()
        unknown = sorted(str(r["SOURCE_PARTITION_ID"]) for r in rows if r["CURSOR_OFFSET"] is None)
        if unknown:
            raise ModuleError(
                f"{where} must be replaced (CREATE OR REPLACE PIPELINE) and its offsets carried over, "
                f"but the cursor of partition(s) {', '.join(unknown)} is NULL in information_schema.PIPELINES_CURSORS "
                "(try again once the running batch is over)"
            )
        return {str(r["SOURCE_PARTITION_ID"]): int(r["CURSOR_OFFSET"]) for r in rows}

    def offsets_statement(self, offsets: dict[str, int]) -> PipelineStatement:
        ordered = dict(sorted(offsets.items(), key=lambda kv: (len(kv[0]), kv[0])))
        return PipelineStatement(
            f"ALTER PIPELINE {self.qname} SET OFFSETS %(offsets)s",
            {"offsets": json.dumps(ordered, separators=(",", ":"))},
        )

    # -- plan ------------------------------------------------------------------------------------
    def stmt(self, sql: str) -> PipelineStatement:
        return PipelineStatement(sql.replace("{p}", self.qname))

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        p = self.params
        self.steps = []
        if p["state"] == "absent":
            if before is not None:
                self.steps.append(("config", self.stmt("DROP PIPELINE {p}")))
            return [stmt for _kind, stmt in self.steps]
        where = f"pipeline {self.database}.{self.name}"
        for key, low in (
            ("batch_interval", 0),
            ("max_partitions_per_batch", 1),
            ("max_offsets_per_batch_partition", 1),
            ("test_limit", 1),
            ("foreground_batches", 1),
        ):
            if p[key] is not None and p[key] < low:
                raise ModuleError(f"{key} must be at least {low}, got {p[key]}")
        if not self.database_exists or not self.target_exists():  # read() looked the database up
            what = (
                f"database {self.database!r}"
                if not self.database_exists
                else f"target {'procedure' if p.get('procedure') else 'table'} "
                f"{self.database}.{p.get('procedure') or p['table']}"
            )
            if not self.module.check_mode:
                raise ModuleError(f"{what} does not exist; create it before {where} (nothing was changed)")
            self.module.warn(f"{what} does not exist yet: the real run fails unless an earlier task creates it")
        running = before is not None and before["state"] == "Running"
        config = self.config_plan(before)
        actions = []
        if p["test"]:
            actions.append(("test", self.stmt(f"TEST PIPELINE {{p}} LIMIT {int(p['test_limit'])}")))
        if p["foreground_batches"]:
            actions.append(
                (
                    "foreground",
                    self.stmt(f"START PIPELINE {{p}} FOREGROUND LIMIT {int(p['foreground_batches'])} BATCHES"),
                )
            )
        stopped_here = running and bool(config or actions or p["state"] == "stopped")
        if stopped_here:
            self.steps.append(("state", self.stmt("STOP PIPELINE {p}")))
        self.steps += config + actions
        if p["state"] == "started" and (stopped_here or before is None or before["state"] != "Running"):
            self.steps.append(("state", self.stmt("START PIPELINE {p}")))
        elif p["state"] == "present" and stopped_here:
            self.steps.append(("state", self.stmt("START PIPELINE {p}")))
        return [stmt for _kind, stmt in self.steps]

    def config_plan(self, before: dict[str, Any] | None) -> list[tuple[str, PipelineStatement]]:
        p = self.params
        has_credentials = bool((p["kafka"] or {}).get("credentials"))
        where = f"pipeline {self.database}.{self.name}"
        if before is None:
            create = desired_statement(p, {}, False, has_credentials)
            self.desired = parse_definition(create.canonical())
            steps: list[tuple[str, PipelineStatement]] = [("config", create)]
            if p["start_from"] == "latest":
                steps.append(("config", self.stmt("ALTER PIPELINE {p} SET OFFSETS LATEST")))
            return steps
        current = self.definition
        if current is None:  # read() parses the definition of every pipeline it finds
            raise ModuleError(f"cannot read the definition of {where}")
        if not current["endpoint_readable"]:
            raise ModuleError(
                f"cannot read the Kafka endpoint of {where} from SHOW CREATE PIPELINE (it hides URLs and credentials "
                "from users without SUPER); compare it as a user with SUPER. Nothing was changed"
            )
        carried = {k: current[k] for k in CARRIED}
        carried.update(
            stop_on_error=current["stop_on_error"], aggregator=current["aggregator"], other_raw=current["other_raw"]
        )
        replace = desired_statement(p, carried, True, has_credentials)
        self.desired = parse_definition(replace.canonical())
        steps = []
        resend = has_credentials and p["update_credentials"] == "always"
        # ALTER PIPELINE ... SET CREDENTIALS is in the 9.0 grammar, not in 8.9's (ALTER PIPELINE, "Syntax",
        # https://docs.singlestore.com/db/v9.0/reference/sql-reference/pipelines-commands/alter-pipeline/ (9.0) and
        # https://docs.singlestore.com/db/v8.9/reference/sql-reference/pipelines-commands/alter-pipeline/ (8.9)):
        # before 9.0 new credentials go in with CREATE OR REPLACE PIPELINE, the offsets carried over as for any replace.
        resend_by_replace = resend and not self.conn.version_at_least(9, 0)
        differs = signature(self.desired, self.table_columns) != signature(current, self.table_columns)
        if differs or resend_by_replace:
            if current["has_credentials"] and not has_credentials:
                raise ModuleError(
                    f"{where} must be replaced (CREATE OR REPLACE PIPELINE) to match the task, and it has credentials "
                    "that cannot be read back; give kafka.credentials so they are kept. Nothing was changed"
                )
            if current["other_tail"]:
                raise ModuleError(
                    f"{where} must be replaced (CREATE OR REPLACE PIPELINE) to match the task, "
                    "and it has clauses after INTO this module cannot carry over: "
                    + "; ".join(scrub_text(c) for c in current["other_tail"])
                    + ". Nothing was changed"
                )
            steps.append(("replace", replace))
            if not p["reset_offsets"]:
                steps += self.offsets_after_replace(current, where)
        else:
            self.desired.update(has_credentials=current["has_credentials"])  # ALTER keeps them
            for key, keyword in TUNABLES.items():
                if p[key] is not None and p[key] != current[key]:
                    steps.append(("config", self.stmt(f"ALTER PIPELINE {{p}} SET {keyword} {int(p[key])}")))
            if p["stop_on_error"] is not None and p["stop_on_error"] != current["stop_on_error"]:
                steps.append(
                    ("config", self.stmt(f"ALTER PIPELINE {{p}} STOP_ON_ERROR {'ON' if p['stop_on_error'] else 'OFF'}"))
                )
            if resend:
                alter = PipelineStatement(
                    f"ALTER PIPELINE {self.qname} SET CREDENTIALS %(credentials)s",
                    {"credentials": replace.named["credentials"]},
                    ("credentials",),
                    replace.hidden,
                )
                steps.append(("credentials", alter))
                self.desired["has_credentials"] = True
        if p["reset_offsets"]:
            steps += self.reset_plan(where, replaced=any(kind == "replace" for kind, _stmt in steps))
        return steps

    def offsets_after_replace(self, current: dict[str, Any], where: str) -> list[tuple[str, PipelineStatement]]:
        """Where the replaced pipeline starts: the same cursors for the same source, ``start_from`` for another one."""
        same_source = (
            sorted(broker_key(b) for b in current["brokers"]) == sorted(broker_key(b) for b in self.desired["brokers"])
            and current["topic"] == self.desired["topic"]
        )
        if not same_source:
            return [("offsets", self.stmt(f"ALTER PIPELINE {{p}} SET OFFSETS {self.params['start_from'].upper()}"))]
        try:
            offsets = self.carried_offsets(where)
        except ModuleError as exc:
            raise ModuleError(f"{exc.msg}; nothing was changed") from None
        return [("carry", self.offsets_statement(offsets))] if offsets else []

    def reset_plan(self, where: str, replaced: bool) -> list[tuple[str, PipelineStatement]]:
        """reset_offsets: SET OFFSETS EARLIEST unless every cursor is known to be at the earliest offset already.

        PIPELINES_CURSORS' EARLIEST_OFFSET "may be NULL if data extraction is still in progress or failed"
        (https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/,
        cloud). With a NULL the module cannot tell, so it resets: the task asked for the earliest offsets, and a
        cursor already there loads nothing again."""
        self.cursors = self.read_cursors()
        unknown = [
            str(c["SOURCE_PARTITION_ID"])
            for c in self.cursors
            if c["CURSOR_OFFSET"] is None or c["EARLIEST_OFFSET"] is None
        ]
        if unknown:
            self.module.warn(
                f"{where}: the offsets of partition(s) {', '.join(sorted(unknown))} are NULL in "
                "information_schema.PIPELINES_CURSORS (a batch is running, or extraction failed); reset_offsets "
                "sets them to the earliest offsets anyway (a partition already there loads nothing again)"
            )
        if unknown or replaced or any(int(c["CURSOR_OFFSET"]) != int(c["EARLIEST_OFFSET"]) for c in self.cursors):
            return [("offsets", self.stmt("ALTER PIPELINE {p} SET OFFSETS EARLIEST"))]
        return []

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent":
            return None
        after = dict(public(self.desired), database=self.database, name=self.name)
        state = (before or {}).get("state", "Stopped")
        if self.params["state"] == "started":
            state = "Running"
        elif self.params["state"] == "stopped" and state != "Error":
            state = "Stopped"  # an Error pipeline is already stopped: left as it is
        after["state"] = state
        return after

    # -- apply -----------------------------------------------------------------------------------
    def apply(self, plan: Any = None) -> None:
        stopped = False
        for i in range(len(self.steps)):
            kind, stmt = self.steps[i]
            if kind == "replace" and any(k == "carry" for k, _s in self.steps):
                # Read the cursors again now that the pipeline is stopped (a running one moved on since the plan).
                carry = next(j for j, (k, _s) in enumerate(self.steps) if k == "carry")
                try:
                    self.steps[carry] = (
                        "carry",
                        self.offsets_statement(self.carried_offsets(f"pipeline {self.database}.{self.name}")),
                    )
                except ModuleError as exc:
                    raise ModuleError(f"{exc.msg}{self.progress()}{self.restart(stopped)}") from None
            rows, count = self.execute(stmt, self.while_running_stopped(stmt, stopped))
            stopped = stopped or stmt.sql.startswith("STOP PIPELINE")
            if kind == "test":
                self.result["test_rows"] = json.loads(json.dumps(rows or [], default=str))
            elif kind == "foreground":
                self.result["rows_loaded"] = max(int(count or 0), 0)

    def while_running_stopped(self, stmt: PipelineStatement, stopped: bool) -> Callable[[str], str]:
        """The ``on_error`` of a planned statement: as ManagedObject's, credentials scrubbed from the server's
        text, and the pipeline started again when this task stopped it."""

        def message(error: str) -> str:
            error = scrub_text(error, stmt.secret_values() + self.secrets)
            return f"{error} while running: {stmt.display()}{self.progress()}{self.restart(stopped)}"

        return message

    def restart(self, stopped: bool) -> str:
        """After a failure: start again a pipeline this task stopped (unless the task wants it stopped)."""
        if not stopped or self.params["state"] == "stopped":
            return ""
        try:
            run_statement(self.conn, self.params, f"START PIPELINE IF NOT RUNNING {self.qname}", (), str)
        except ModuleError as exc:
            return f"; the pipeline was stopped by this task and could not be started again: {exc.msg}"
        return "; the pipeline was started again"

    def run(self) -> dict[str, Any]:
        if not self.conn.is_singlestore:
            raise ModuleError(f"pipelines are a SingleStore feature; the server is {self.conn.label}")
        before = self.read()
        plan = self.plan(before)
        kinds = {kind for kind, _stmt in self.steps}
        if plan and not self.module.check_mode:
            self.apply(plan)
            after = self.read()
            changed = (
                self.public_state(before) != self.public_state(after)
                or bool(kinds & {"offsets", "credentials", "replace"})
                or self.result.get("rows_loaded", 0) > 0
            )
        else:
            after = self.predict(before) if plan else before
            changed = bool(kinds & {"config", "offsets", "credentials", "replace"}) or (before or {}).get("state") != (
                after or {}
            ).get("state")
            if kinds & {"test", "foreground"}:
                self.module.warn("TEST / FOREGROUND statements are planned but not run in check mode")
        queries = [stmt.display() for _kind, stmt in self.steps]  # as run (carried offsets read again after a stop)
        result: dict[str, Any] = dict(self.result, changed=changed, queries=queries)
        result[self.result_key] = self.public_state(after)
        if self.module._diff:
            result["diff"] = dict(before=self.public_state(before), after=self.public_state(after))
        return result
