"""singlestore_pipeline and singlestore_info (pipelines) read every pipeline case of the conformance corpus.

For each SHOW CREATE PIPELINE case: the reader accepts the text, finds what ``expect`` says, the module's own
rendering of ``expect.task`` compares equal to it, and the module plans nothing for that task against that server
text (no replace on every run). The catalog cases (PIPELINES_CURSORS with NULL offsets) go through the info reader
and the offset logic of the module. The server is a real ``Connection`` over a scripted PyMySQL stand-in.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import Connection
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline import Pipeline
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline import read_pipelines
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_spec import desired_statement, public, signature
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import TUNABLES, DefinitionError, parse_definition
from ansible_collections.transactions_st.realtime.tests.unit.plugins.module_utils.pipeline_cases import params
from tests.conformance import corpus

SHOW_CREATE = corpus.load("singlestore", "show_create_pipeline")
CURSORS = [c for c in corpus.load("singlestore", "catalog_rows") if c.output["view"] == "information_schema.PIPELINES_CURSORS"]
TASKED = [c for c in SHOW_CREATE if "task" in c.expect]


# -- a scripted server ----------------------------------------------------------------------------------
class _Cursor:
    def __init__(self, server: "FakeServer") -> None:
        self.server, self.rows, self.description, self.rowcount = server, [], None, 0

    def __enter__(self) -> "_Cursor":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def execute(self, sql: str, args: Any = None) -> None:
        self.server.statements.append(sql % tuple(repr(a) for a in args) if isinstance(args, tuple) and args and "%s" in sql else sql)
        self.rows = self.server.answer(sql, args)
        self.description = [("x",)] if self.rows is not None else None
        self.rowcount = len(self.rows or [])

    def fetchall(self) -> list[dict[str, Any]]:
        return list(self.rows or [])


class FakeServer:
    """Answers the catalog reads of the pipeline module from a SHOW CREATE PIPELINE text and cursor rows."""

    def __init__(self, create: str, name: str, cursors: list[dict[str, Any]] | None = None, columns: list[str] | None = None,
                 table: str = "", state: str = "Stopped", database: str = "db") -> None:
        self.create, self.name, self.cursors, self.columns, self.table, self.state = create, name, cursors or [], columns or [], table, state
        self.database = database
        self.statements: list[str] = []

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def select_db(self, _db: str) -> None:
        return None

    def answer(self, sql: str, args: Any) -> list[dict[str, Any]] | None:
        if "information_schema.SCHEMATA" in sql:
            return [{"SCHEMA_NAME": args[0]}]
        if "information_schema.PIPELINES_CURSORS" in sql:
            return [dict(r) for r in self.cursors]
        if "information_schema.PIPELINES " in sql or sql.rstrip().endswith("information_schema.PIPELINES"):
            return [{"PIPELINE_NAME": self.name, "STATE": self.state, "DATABASE_NAME": self.database, "PIPELINE_ID": 1, "CONFIG_JSON": None,
                     "SKIPPED_BATCH_PARTITIONS": 0, "CREATE_TIME": None, "ALTER_TIME": None}]
        if "information_schema.PIPELINES_" in sql:
            return []
        if sql.startswith("SHOW CREATE PIPELINE"):
            return [{"Pipeline": self.name, "Create Pipeline": self.create}]
        if "information_schema.COLUMNS" in sql:
            return [{"t": self.table, "c": c} for c in self.columns]
        return None  # a statement


class FakeModule:
    def __init__(self, task: dict[str, Any], check_mode: bool = False) -> None:
        self.params, self.check_mode, self._diff, self.warnings = task, check_mode, False, []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def pipeline_for(case_output: str, task: dict[str, Any], version: str = "8.9.24", **server: Any) -> tuple[Pipeline, FakeServer]:
    fake = FakeServer(case_output, task["name"], table=task["table"], **server)
    fake.columns = fake.columns or ["c"]  # the target table exists
    conn = Connection(fake, "singlestore", version, "5.7.32")
    return Pipeline(FakeModule(task), conn), fake


def task_of(case: corpus.Case, **overrides: Any) -> dict[str, Any]:
    d = parse_definition(case.output)
    task = dict(case.expect["task"])
    task.setdefault("table", d["target"])
    return params(name=d["name"], **dict(task, **overrides))


# -- SHOW CREATE PIPELINE cases -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", SHOW_CREATE, ids=corpus.ids(SHOW_CREATE))
def test_reader_finds_what_the_case_shows(case: corpus.Case) -> None:
    d = parse_definition(case.output)
    shown = public(d)
    for key, wanted in case.expect.items():
        if key in ("task", "table_columns", "secret"):
            continue
        if key == "mapping" and wanted is not None:
            wanted = [{k: v for k, v in m.items()} for m in wanted]
        assert shown[key] == wanted, (key, shown[key])
    assert d["defaults"] == [c for c in ("DISABLE OUT_OF_ORDER OPTIMIZATION", "DISABLE OFFSETS METADATA GC") if c in case.output]
    if "secret" in case.expect:  # printed to a SUPER user: read as present, never returned
        assert case.expect["secret"] not in json.dumps(shown)


@pytest.mark.parametrize("case", TASKED, ids=corpus.ids(TASKED))
def test_the_module_rendering_of_the_task_compares_equal(case: corpus.Case) -> None:
    task = task_of(case)
    ours = parse_definition(desired_statement(task, {}, False, bool(task["kafka"].get("credentials"))).canonical())
    server = parse_definition(case.output)
    columns = case.expect.get("table_columns")
    assert signature(ours, columns) == signature(server, columns)
    for key in TUNABLES:
        if task[key] is not None:
            assert server[key] == task[key]


@pytest.mark.parametrize("case", TASKED, ids=corpus.ids(TASKED))
def test_the_module_plans_nothing_against_the_printed_text(case: corpus.Case) -> None:
    """The pipeline exists as the case prints it and the task describes it: no statement, so a re-run is unchanged."""
    pipeline, fake = pipeline_for(case.output, task_of(case), columns=case.expect.get("table_columns"))
    before = pipeline.read()
    assert pipeline.plan(before) == [], [s.display() for s in pipeline.plan(before)]
    assert not [s for s in fake.statements if s.startswith(("CREATE", "ALTER", "START", "STOP", "DROP"))]


def test_a_derived_mapping_is_not_equal_once_the_table_has_another_column() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_no_mapping_derived"))
    server = parse_definition(case.output)
    ours = parse_definition(desired_statement(task_of(case), {}, False, False).canonical())
    assert signature(ours, case.expect["table_columns"] + ["extra"]) != signature(server, case.expect["table_columns"] + ["extra"])
    assert signature(ours, None) != signature(server, None)  # columns unknown: not assumed equal


@pytest.mark.parametrize("hidden", ["'<CREDENTIALS REDACTED>'", "'********'", "'{\"sasl.password\": \"***\"}'", "''"])
def test_any_hidden_credentials_form_reads_as_present(hidden: str) -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_credentials_hidden"))
    text = re.sub(r"CREDENTIALS '[^\n]*'", lambda _m: "CREDENTIALS " + hidden, case.output)
    assert parse_definition(text)["has_credentials"] is True


def test_a_qualifier_naming_another_table_is_refused() -> None:
    """As published in the notebook csv_qualified_columns.yml cites: its column list names `events`, its table `eventsdata`."""
    case = next(c for c in SHOW_CREATE if c.name.endswith("csv_qualified_columns"))
    with pytest.raises(DefinitionError, match="qualified with table 'events', not with the pipeline's table 'eventsdata'"):
        parse_definition(case.output.replace("`eventsdata`.`", "`events`.`"))
    mapped = next(c for c in SHOW_CREATE if c.name.endswith("json_set"))
    with pytest.raises(DefinitionError, match="'other'"):
        parse_definition(mapped.output.replace("`source` = 'kafka'", "`other`.`source` = 'kafka'"))


def test_an_unreadable_definition_fails_the_task_clearly() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    broken = case.output.replace("`product_transactions`.`store_id` <- `store`::`id`", "`product_transactions`.`store_id` `store`")
    pipeline, fake = pipeline_for(broken, task_of(case))
    with pytest.raises(ModuleError, match="cannot read the definition of pipeline db.retails_kafka_consumer"):
        pipeline.read()
    assert not [s for s in fake.statements if s.startswith(("CREATE", "ALTER"))]


def test_a_hidden_endpoint_changes_nothing() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    hidden = case.output.replace("'ec2-host.example:9092/retails'", "'<hidden>'")
    pipeline, _fake = pipeline_for(hidden, task_of(case))
    before = pipeline.read()
    with pytest.raises(ModuleError, match="cannot read the Kafka endpoint .* Nothing was changed"):
        pipeline.plan(before)


# -- replacing: clauses and offsets carried over --------------------------------------------------------------
CURSOR_ROWS = [{"SOURCE_PARTITION_ID": "1", "EARLIEST_OFFSET": 0, "LATEST_OFFSET": 90, "CURSOR_OFFSET": 80},
               {"SOURCE_PARTITION_ID": "0", "EARLIEST_OFFSET": 0, "LATEST_OFFSET": 120, "CURSOR_OFFSET": 120}]


def test_replace_carries_unmanaged_clauses_and_offsets() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_unmanaged_clauses"))
    task = task_of(case, mapping=[{"column": "transaction_id", "path": "id"}])
    pipeline, _fake = pipeline_for(case.output, task, cursors=CURSOR_ROWS)
    queries = [s.display() for s in pipeline.plan(pipeline.read())]
    assert len(queries) == 2, queries
    assert queries[0].startswith("CREATE OR REPLACE PIPELINE `tx`\nAS LOAD DATA KAFKA 'kafka:9092/retails'\n")
    assert ("BATCH_INTERVAL 250\nMAX_RETRIES_PER_BATCH_PARTITION 3\nMAX_OFFSETS_PER_BATCH_PARTITION 5000\n"
            "RESOURCE POOL `ingest`\nENABLE OUT_OF_ORDER OPTIMIZATION\nINTO TABLE") in queries[0]
    assert "DISABLE OFFSETS METADATA GC" not in queries[0]  # printed by default: not carried as a clause of its own
    assert queries[1] == "ALTER PIPELINE `tx` SET OFFSETS '{\\\"0\\\":120,\\\"1\\\":80}'"
    assert pipeline.desired["other"] == ["RESOURCE POOL `ingest`", "ENABLE OUT_OF_ORDER OPTIMIZATION"]


def test_replace_onto_another_topic_starts_from_start_from() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    for start_from in ("earliest", "latest"):
        task = task_of(case, kafka={"brokers": ["ec2-host.example:9092"], "topic": "other"}, start_from=start_from)
        pipeline, _fake = pipeline_for(case.output, task, cursors=CURSOR_ROWS)
        queries = [s.display() for s in pipeline.plan(pipeline.read())]
        assert queries[0].startswith("CREATE OR REPLACE") and queries[1:] == [f"ALTER PIPELINE `retails_kafka_consumer` SET OFFSETS "
                                                                             f"{start_from.upper()}"]


@pytest.mark.parametrize("rows", [[dict(CURSOR_ROWS[0], CURSOR_OFFSET=None), CURSOR_ROWS[1]]])
def test_replace_is_refused_when_a_cursor_is_unknown(rows: list[dict[str, Any]]) -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    pipeline, fake = pipeline_for(case.output, task_of(case, batch_interval=100, mapping=None), cursors=rows)
    with pytest.raises(ModuleError, match=r"cursor of partition\(s\) 1 is NULL .* nothing was changed"):
        pipeline.plan(pipeline.read())
    assert not [s for s in fake.statements if s.startswith(("CREATE", "ALTER", "STOP"))]


def test_replace_that_leaves_a_clause_behind_is_refused() -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("csv_docs_example"))
    text = case.output + "\nNULL DEFINED BY 'x'"
    pipeline, _fake = pipeline_for(text, task_of(case, batch_interval=None, csv={"columns": ["data"]}))
    with pytest.raises(ModuleError, match="clauses after INTO this module cannot carry over: NULL DEFINED BY 'x'. Nothing was changed"):
        pipeline.plan(pipeline.read())


@pytest.mark.parametrize("version, expected", [
    ("8.9.24", ["CREATE OR REPLACE", "ALTER PIPELINE `tx` SET OFFSETS '{"]),
    ("9.1.1", ["ALTER PIPELINE `tx` SET CREDENTIALS %(credentials)s"]),
])
def test_credentials_are_sent_again_by_alter_from_9_0_only(version: str, expected: list[str]) -> None:
    case = next(c for c in SHOW_CREATE if c.name.endswith("json_credentials_hidden"))
    pipeline, _fake = pipeline_for(case.output, task_of(case, update_credentials="always"), version=version, cursors=CURSOR_ROWS)
    plan = pipeline.plan(pipeline.read())
    queries = [s.display() for s in plan]
    assert len(queries) == len(expected) and all(q.startswith(e) for q, e in zip(queries, expected)), queries
    assert "not-a-real-secret" not in json.dumps(queries)
    assert any("not-a-real-secret" in json.dumps(s.params) for s in plan)  # sent as a driver parameter


# -- PIPELINES_CURSORS with NULL offsets ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CURSORS, ids=corpus.ids(CURSORS))
def test_info_reports_unknown_lag_as_null(case: corpus.Case) -> None:
    rows = case.output["rows"]
    text = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified")).output
    fake = FakeServer(text, rows[0]["PIPELINE_NAME"], cursors=rows, database=rows[0]["DATABASE_NAME"])
    info = read_pipelines(Connection(fake, "singlestore", "8.9.24", "5.7.32"), rows[0]["DATABASE_NAME"])
    assert {p["partition"]: p["lag"] for p in info[0]["partitions"]} == case.expect["lag"]
    assert info[0]["lag"] == case.expect["total_lag"]
    assert info[0]["definition"]["table"] == "product_transactions" and info[0]["definition_error"] is None


@pytest.mark.parametrize("case", CURSORS, ids=corpus.ids(CURSORS))
def test_reset_on_unknown_offsets_resets_and_says_so(case: corpus.Case) -> None:
    text = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    pipeline, _fake = pipeline_for(text.output, task_of(text, reset_offsets=True), cursors=case.output["rows"])
    queries = [s.display() for s in pipeline.plan(pipeline.read())]
    assert queries == ["ALTER PIPELINE `retails_kafka_consumer` SET OFFSETS EARLIEST"]
    assert any("NULL" in w and "partition(s) 0" in w for w in pipeline.module.warnings), pipeline.module.warnings


@pytest.mark.parametrize("case", CURSORS, ids=corpus.ids(CURSORS))
def test_offsets_are_carried_from_the_cursor_not_the_null_bounds(case: corpus.Case) -> None:
    text = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified"))
    pipeline, _fake = pipeline_for(text.output, task_of(text, mapping=None), cursors=case.output["rows"])
    queries = [s.display() for s in pipeline.plan(pipeline.read())]
    assert queries[1] == "ALTER PIPELINE `retails_kafka_consumer` SET OFFSETS '{\\\"0\\\":1200,\\\"1\\\":1400}'"


def test_info_survives_a_null_cursor_too() -> None:
    text = next(c for c in SHOW_CREATE if c.name.endswith("json_mapping_qualified")).output
    rows = [{"DATABASE_NAME": "db", "PIPELINE_NAME": "retails_kafka_consumer", "SOURCE_PARTITION_ID": "0", "EARLIEST_OFFSET": None,
             "LATEST_OFFSET": None, "CURSOR_OFFSET": None, "UPDATED_UNIX_TIMESTAMP": None}]
    info = read_pipelines(Connection(FakeServer(text, "retails_kafka_consumer", cursors=rows), "singlestore", "8.9.24", "5.7.32"), "db")
    assert info[0]["partitions"][0]["lag"] is None and info[0]["lag"] is None


def test_info_says_why_a_definition_is_missing() -> None:
    fake = FakeServer("CREATE PIPELINE `p` AS LOAD DATA KAFKA 'k/t' INTO TABLE `t` FORMAT JSON (`u`.`c` <- `c`)", "p")
    info = read_pipelines(Connection(fake, "singlestore", "8.9.24", "5.7.32"), "db")
    assert info[0]["definition"] is None and "qualified with table 'u'" in info[0]["definition_error"]
