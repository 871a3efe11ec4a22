"""singlestore_pipeline and the test double agree on pipeline text: what the module renders, the double parses, and what
the double prints for SHOW CREATE PIPELINE (in the form of the conformance corpus: qualified targets, default clauses),
the module reads back as the same definition (no server needed). What the double prints is itself held against the
corpus by tests/unit/conformance/test_pipelines_double.py, so this is not two readings of the same notes agreeing."""

from __future__ import annotations

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_spec import desired_statement, public, signature
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_sql import parse_definition
from ansible_collections.transactions_st.realtime.tests.unit.plugins.module_utils.pipeline_cases import CASES
from tests.lab.pipelines import grammar


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("or_replace", [False, True])
def test_module_text_through_the_double(name: str, or_replace: bool) -> None:
    p = CASES[name]
    stmt = desired_statement(p, {}, or_replace, bool(p["kafka"].get("credentials")))
    parsed = grammar.parse(stmt.canonical())
    assert parsed.verb == "CREATE" and parsed.or_replace is or_replace
    shown = grammar.render(grammar.as_created(parsed.definition))  # SHOW CREATE PIPELINE of the double
    assert "DISABLE OUT_OF_ORDER OPTIMIZATION\nDISABLE OFFSETS METADATA GC\n" in shown
    ours, server = parse_definition(stmt.canonical()), parse_definition(shown)
    assert signature(ours) == signature(server)
    assert public(ours) == public(server)
    for key in ("batch_interval", "max_partitions_per_batch", "max_offsets_per_batch_partition", "stop_on_error"):
        assert ours[key] == server[key] == p[key]
    assert "pw'" not in shown and ("<CREDENTIALS REDACTED>" in shown) == bool(p["kafka"].get("credentials"))


def test_alter_statements_parse_in_the_double() -> None:
    for sql in ("ALTER PIPELINE `p` SET BATCH_INTERVAL 250", "ALTER PIPELINE `p` SET MAX_PARTITIONS_PER_BATCH 2",
                "ALTER PIPELINE `p` SET OFFSETS '{\\\"0\\\":120,\\\"1\\\":80}'",
                "ALTER PIPELINE `p` SET MAX_OFFSETS_PER_BATCH_PARTITION 10", "ALTER PIPELINE `p` STOP_ON_ERROR OFF",
                "ALTER PIPELINE `p` SET OFFSETS LATEST", "ALTER PIPELINE `p` SET OFFSETS EARLIEST",
                "ALTER PIPELINE `p` SET CREDENTIALS '{}'"):
        assert grammar.parse(sql).verb == "ALTER", sql
    for sql in ("TEST PIPELINE `p` LIMIT 10", "START PIPELINE `p` FOREGROUND LIMIT 1 BATCHES", "START PIPELINE IF NOT RUNNING `p`",
                "STOP PIPELINE `p`", "DROP PIPELINE `p`"):
        assert grammar.parse(sql).name == "p", sql
