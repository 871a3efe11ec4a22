"""spec_from_definition and the column-type normalisation of _coltypes on every SHOW CREATE TABLE case.

A ``definition`` option may be pasted from SHOW CREATE TABLE, so the definition parser must read the printed forms
(keyless line, legacy sort key, ``UNIQUE KEY `PRIMARY```, computed columns) as the catalog reader does; and every
column type the server prints must be accepted by the allow-list and compare equal to itself once normalised.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_COLLECTIONS = Path(__file__).resolve().parents[3] / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.transactions_st.realtime.plugins.module_utils._table_coltypes import (  # noqa: E402
    canonical_type, normalise_type, types_equal)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_spec import SpecError, spec_from_definition  # noqa: E402
from tests.conformance import corpus  # noqa: E402

CASES = corpus.load("singlestore", "show_create_table")


@pytest.mark.parametrize("case", CASES, ids=corpus.ids(CASES))
def test_definition_parser_reads_the_printed_forms(case: corpus.Case) -> None:
    if case.output.startswith("CREATE ROWSTORE REFERENCE"):
        with pytest.raises(SpecError, match="ROWSTORE REFERENCE tables are not supported"):   # refused, clearly
            spec_from_definition(case.output)
        return
    spec = spec_from_definition(case.output)
    expect = case.expect
    assert [c["name"] for c in spec["columns"]] == expect["columns"], case.citation
    assert spec["shard_key"] == expect["shard_key"]
    if expect["storage"] != "rowstore":
        assert spec["sort_key"] == expect["sort_key"]
    if not case.path.stem.endswith("dunder_primary"):
        assert spec["primary_key"] == expect["primary_key"]
    assert sorted(k["name"] for k in spec["keys"]) == sorted(k["name"] for k in expect["keys"])
    assert spec["storage"] == {"columnstore": None, "rowstore": "rowstore", "reference": "reference"}[expect["storage"]]


# ROWSTORE REFERENCE tables are not created by the module (spec_from_definition refuses them); the other cases' types:
TYPES = sorted({col["type"] for case in CASES if not case.output.startswith("CREATE ROWSTORE REFERENCE")
                for col in spec_from_definition(case.output)["columns"]})


@pytest.mark.parametrize("printed", TYPES)
def test_every_printed_type_is_accepted_and_equal_to_itself(printed: str) -> None:
    canonical = canonical_type(printed)
    assert types_equal(printed, canonical)
    assert normalise_type(printed) == normalise_type(printed.upper())


def test_printed_widths_compare_equal_to_the_task_spelling() -> None:
    assert "int(11)" in TYPES and types_equal("INT", "int(11)")
    assert "bigint(11)" in TYPES and types_equal("BIGINT", "bigint(11)")
    assert "decimal(10,0)" in TYPES and types_equal("DECIMAL", "decimal(10,0)")
    assert "varbinary(50)" in TYPES and not types_equal("VARCHAR(50)", "varbinary(50)")
