"""singlestore_pipeline's SQL: rendering, reading SHOW CREATE PIPELINE text, comparison, scrubbing (no server needed).

The task options (``CASES``, ``params()``) come from pipeline_cases.py beside this file;
tests/unit/lab/test_pipeline_module_agreement.py checks the same renderings against the test double's parser.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_spec import desired_statement, public, signature
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import parse_definition
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub_config, scrub_text
from ansible_collections.transactions_st.realtime.tests.unit.plugins.module_utils.pipeline_cases import CASES, params


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_round_trips(name: str) -> None:
    p = CASES[name]
    stmt = desired_statement(p, {}, False, bool(p["kafka"].get("credentials")))
    ours = public(parse_definition(stmt.canonical()))
    for key in ("batch_interval", "max_partitions_per_batch", "max_offsets_per_batch_partition", "stop_on_error", "format",
                "on_duplicate", "table", "where"):
        assert ours[key] == p[key], key
    assert ours["topic"] == p["kafka"]["topic"] and ours["config"] == p["kafka"].get("config")
    assert ours["has_credentials"] == bool(p["kafka"].get("credentials"))
    assert ours["set"] == p["set"] and ours["on_duplicate_update"] == p["on_duplicate_update"]


def test_display_hides_credentials_and_keeps_percent() -> None:
    p = CASES["everything json"]
    stmt = desired_statement(p, {}, True, True)
    shown = stmt.display()
    assert shown.startswith("CREATE OR REPLACE PIPELINE `p`\nAS LOAD DATA KAFKA 'a:1,b/t.x-y'")
    assert "CREDENTIALS %(credentials)s" in shown and "pw'" not in shown
    assert "NOT LIKE '%x%'" in shown and "DEFAULT 'it\\'s 100%'" in shown
    assert set(stmt.secret_values()) >= {"pw'\\\"%", '{"sasl.password": "pw\'\\\\\\"%"}'}


def test_seed_statement_text() -> None:
    stmt = desired_statement(CASES["seed retails_kafka_consumer"], {}, False, False)
    assert stmt.display() == ("CREATE PIPELINE `p`\nAS LOAD DATA KAFKA 'ec2.example:9092/retails'\nSKIP DUPLICATE KEY ERRORS\n"
                              "INTO TABLE `product_transactions`\nFORMAT JSON")


def test_documented_show_create_text() -> None:
    """The SHOW CREATE PIPELINE example of the SingleStore docs (also corpus case show_create_pipeline/csv_docs_example.yml)."""
    text = ("CREATE PIPELINE `mypipeline`\nAS LOAD DATA KAFKA '127.0.0.1/my-topic'\nBATCH_INTERVAL 0\nIGNORE\nINTO TABLE `t`\n"
            "FIELDS TERMINATED BY ',' ENCLOSED BY '' ESCAPED BY '\\\\'\nLINES TERMINATED BY '\\n' STARTING BY ''\n"
            "(`data`,`col1`,`col2`)")
    d = public(parse_definition(text))
    assert d["brokers"] == ["127.0.0.1:9092"] and d["topic"] == "my-topic" and d["batch_interval"] == 0
    assert d["on_duplicate"] == "ignore" and d["table"] == "t" and d["format"] == "csv"
    assert d["csv"] == {"fields_terminated_by": ",", "enclosed_by": "", "escaped_by": "\\", "lines_terminated_by": "\n",
                        "lines_starting_by": "", "columns": ["data", "col1", "col2"]}
    wanted = params(kafka={"brokers": ["127.0.0.1"], "topic": "my-topic"}, on_duplicate="ignore",
                    csv={"fields_terminated_by": ",", "columns": ["data", "col1", "col2"]})
    assert signature(parse_definition(desired_statement(wanted, {}, False, False).canonical())) == signature(parse_definition(text))


def test_unmanaged_clauses_are_kept_visible() -> None:
    text = ("CREATE AGGREGATOR PIPELINE p AS LOAD DATA KAFKA 'k/t' CONFIG '{\"client.id\": \"x\"}' CREDENTIALS '{\"sasl.password\": "
            "\"s3\"}' RESOURCE POOL fast DISABLE OFFSETS METADATA GC INTO TABLE t FORMAT AVRO SCHEMA REGISTRY 'https://r' "
            "(a <- a)")
    d = parse_definition(text)
    assert d["aggregator"] and d["has_credentials"] and d["format"] == "avro"
    # a clause printed with its default value is neither kept nor shown; RESOURCE POOL is carried over and shown
    assert d["other"] == ["RESOURCE POOL fast"] and d["defaults"] == ["DISABLE OFFSETS METADATA GC"]
    assert public(d)["unmanaged_clauses"] == ["RESOURCE POOL fast", "SCHEMA REGISTRY 'https://r' (a <- a)"]
    assert "s3" not in repr(public(d))


@pytest.mark.parametrize("a, b", [
    ("SET `x` = CONCAT(@a, 'B')", "SET x=concat( @a ,'B' )"),
    ("WHERE @v <> 'x3'", "WHERE   @V<>'x3'"),
    ("(`id` <- `id`, `v` <- %::`v` DEFAULT 'z')", "(id <- id,\nv <- v DEFAULT 'z')"),
])
def test_normalisation(a: str, b: str) -> None:
    head = "CREATE PIPELINE p AS LOAD DATA KAFKA 'k:9092/t' INTO TABLE t FORMAT JSON "
    assert signature(parse_definition(head + a)) == signature(parse_definition(head + b))


def test_differences_that_matter() -> None:
    head = "CREATE PIPELINE p AS LOAD DATA KAFKA 'k:9092/t' INTO TABLE t FORMAT JSON "
    assert signature(parse_definition(head + "WHERE @v <> 'x3'")) != signature(parse_definition(head + "WHERE @v <> 'X3'"))
    assert signature(parse_definition(head)) != signature(parse_definition(head.replace("TABLE t", "TABLE T")))
    assert signature(parse_definition(head + "(a <- b)")) != signature(parse_definition(head + "(a <- B)"))


@pytest.mark.parametrize("overrides, message", [
    ({"where": "1; DROP TABLE t"}, "';' outside a string"),
    ({"on_duplicate": "update"}, "needs on_duplicate_update"),
    ({"on_duplicate_update": {"a": "1"}}, "only used with on_duplicate=update"),
    ({"format": "json", "csv": {"columns": ["a"]}}, "csv options are for format=csv"),
    ({"mapping": [{"column": "a", "path": "a"}]}, "mapping is for format=json"),
    ({"kafka": {"brokers": ["k/evil"], "topic": "t"}}, "is not host[:port]"),
    ({"kafka": {"brokers": ["k"], "topic": "t/x"}}, "invalid topic name"),
    ({"kafka": {"brokers": ["k"], "topic": ".."}}, "'.' and '..' are not allowed"),
    ({"kafka": {"brokers": ["k"], "topic": "t" * 250}}, "at most 249 allowed"),
    ({"format": "json", "mapping": [{"column": "@a b", "path": "a"}]}, "not a plain variable name"),
])
def test_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ModuleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        desired_statement(params(**overrides), {}, False, False)


def test_scrubbing() -> None:
    text = ("CREATE PIPELINE p CREDENTIALS '{\"sasl.password\": \"abc\"}' CONFIG '{\"sasl.username\": \"u\", \"ssl.key.password\": \"zz\", "
            "\"schema.registry.password\": \"yy\"}'")
    out = scrub_text(text, ["extra-secret"])
    assert "abc" not in out and "zz" not in out and "yy" not in out and '"sasl.username": "u"' in out
    assert scrub_text("boom extra-secret", ["extra-secret"]) == "boom ********"
    config = scrub_config('{"name": "p", "credentials": "{\\"a\\": 1}", "config": "{\\"sasl.password\\": \\"x\\", \\"client.id\\": \\"c\\"}"}')
    assert config == {"name": "p", "credentials": "********", "config": {"sasl.password": "********", "client.id": "c"}}


def test_replace_carries_what_the_module_does_not_manage() -> None:
    carried = {"aggregator": True, "max_retries_per_batch_partition": 7, "batch_interval": 2500, "stop_on_error": True}
    shown = desired_statement(params(batch_interval=100), carried, True, False).display()
    assert shown.startswith("CREATE OR REPLACE AGGREGATOR PIPELINE `p`")
    assert "BATCH_INTERVAL 100\nMAX_RETRIES_PER_BATCH_PARTITION 7\nSTOP_ON_ERROR ON\n" in shown  # the task's value wins
