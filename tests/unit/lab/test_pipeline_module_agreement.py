"""singlestore_pipeline and the test double agree on pipeline text: what the module renders, the double parses, and what
the double prints for SHOW CREATE PIPELINE, the module reads back as the same definition (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_options import argument_spec, desired_statement, public, signature
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import parse_definition
from tests.lab.pipelines import grammar


def params(**overrides: Any) -> dict[str, Any]:
    out = {key: spec.get("default") for key, spec in argument_spec().items()}
    out.update(database="db", name="p", kafka={"brokers": ["k1:9092"], "topic": "tx"}, table="t")
    out.update(overrides)
    return out


CASES = {
    "seed kafka_msg_consumer": params(kafka={"brokers": ["ec2.example"], "topic": "test"}, table="messages"),
    "seed retails_kafka_consumer": params(kafka={"brokers": ["ec2.example:9092"], "topic": "retails"}, table="product_transactions",
                                          format="json", on_duplicate="skip"),
    "everything json": params(format="json", batch_interval=100, max_partitions_per_batch=4, max_offsets_per_batch_partition=5000,
                              stop_on_error=False, on_duplicate="update", on_duplicate_update={"hits": "hits + 1", "v": "VALUES(v)"},
                              kafka={"brokers": ["a:1", "b"], "topic": "t.x-y", "config": {"client.id": "c", "x": 5},
                                     "credentials": {"sasl.password": "pw'\\\"%"}},
                              mapping=[{"column": "id", "path": "%::id"}, {"column": "@ts", "path": "meta::ts ms", "default": 0},
                                       {"column": "doc", "path": "%"}, {"column": "name", "path": "n", "default": "it's 100%"}],
                              set={"created_at": "FROM_UNIXTIME(@ts / 1000)", "label": "FORMAT(@ts, 2)"},
                              where="@ts > 0 AND name NOT LIKE '%x%'"),
    "csv options": params(csv={"fields_terminated_by": ",", "enclosed_by": '"', "escaped_by": "", "lines_terminated_by": "\r\n",
                               "columns": ["a", "@b", "c"]}, set={"b2": "UPPER(@b)"}, on_duplicate="replace"),
    "ignore": params(format="json", on_duplicate="ignore", stop_on_error=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("or_replace", [False, True])
def test_module_text_through_the_double(name: str, or_replace: bool) -> None:
    p = CASES[name]
    stmt = desired_statement(p, {}, or_replace, bool(p["kafka"].get("credentials")))
    parsed = grammar.parse(stmt.canonical())
    assert parsed.verb == "CREATE" and parsed.or_replace is or_replace
    shown = grammar.render(parsed.definition)  # SHOW CREATE PIPELINE of the double
    ours, server = parse_definition(stmt.canonical()), parse_definition(shown)
    assert signature(ours) == signature(server)
    assert public(ours) == public(server)
    for key in ("batch_interval", "max_partitions_per_batch", "max_offsets_per_batch_partition", "stop_on_error"):
        assert ours[key] == server[key] == p[key]
    assert "pw'" not in shown and ("<CREDENTIALS REDACTED>" in shown) == bool(p["kafka"].get("credentials"))


def test_alter_statements_parse_in_the_double() -> None:
    for sql in ("ALTER PIPELINE `p` SET BATCH_INTERVAL 250", "ALTER PIPELINE `p` SET MAX_PARTITIONS_PER_BATCH 2",
                "ALTER PIPELINE `p` SET MAX_OFFSETS_PER_BATCH_PARTITION 10", "ALTER PIPELINE `p` STOP_ON_ERROR OFF",
                "ALTER PIPELINE `p` SET OFFSETS LATEST", "ALTER PIPELINE `p` SET OFFSETS EARLIEST",
                "ALTER PIPELINE `p` SET CREDENTIALS '{}'"):
        assert grammar.parse(sql).verb == "ALTER", sql
    for sql in ("TEST PIPELINE `p` LIMIT 10", "START PIPELINE `p` FOREGROUND LIMIT 1 BATCHES", "START PIPELINE IF NOT RUNNING `p`",
                "STOP PIPELINE `p`", "DROP PIPELINE `p`"):
        assert grammar.parse(sql).name == "p", sql
