"""Column type allow-list and normalisation; default values."""

from __future__ import annotations

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._table_coltypes import (
    canonical_type, default_expression, normalise_server_default, normalise_user_default, types_equal)


@pytest.mark.parametrize("user, server", [
    ("int", "int(11)"), ("INT", "int(11)"), ("integer", "int(11)"), ("bigint", "bigint(20)"), ("BIGINT UNSIGNED", "bigint(20) unsigned"),
    ("VARCHAR(50)", "varchar(50)"), ("varchar( 50 )", "varchar(50)"), ("decimal", "decimal(10,0)"), ("DECIMAL(12, 2)", "decimal(12,2)"),
    ("numeric(5)", "decimal(5,0)"), ("boolean", "tinyint(1)"), ("datetime(6)", "datetime(6)"), ("DATETIME", "datetime"),
    ("char", "char(1)"), ("json", "longtext"), ("JSON", "json"), ("double precision", "double"), ("ENUM('A','b')", "enum('A','b')"),
])
def test_equal_after_normalisation(user: str, server: str) -> None:
    canonical_type(user)
    assert types_equal(user, server)


@pytest.mark.parametrize("a, b", [("int", "bigint(20)"), ("varchar(50)", "varchar(51)"), ("datetime(6)", "datetime"),
                                  ("enum('A')", "enum('a')"), ("int", "int(11) unsigned")])
def test_different(a: str, b: str) -> None:
    assert not types_equal(a, b)


@pytest.mark.parametrize("bad", ["intx", "varchar", "int; DROP TABLE x", "foo(3)", "", "varchar(50) character set latin1",
                                 "enum('a\\')", "text)", "int(11"])
def test_unknown_types_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        canonical_type(bad)


def test_defaults() -> None:
    assert default_expression("now()") == "CURRENT_TIMESTAMP"
    assert default_expression("CURRENT_TIMESTAMP(6)") == "CURRENT_TIMESTAMP(6)"
    assert default_expression("abc") is None
    assert normalise_user_default("now()") == normalise_server_default("current_timestamp()")
    assert normalise_user_default("CURRENT_TIMESTAMP(6)") == normalise_server_default("current_timestamp(6)")
    assert normalise_user_default(0) == normalise_server_default("0") == "0"
    assert normalise_user_default(1.5) == normalise_server_default("1.50")
    assert normalise_user_default("a'b") == normalise_server_default("'a''b'")
    assert normalise_user_default(True) == "1"
    assert normalise_user_default(None) is None
    assert normalise_server_default("NULL") is None
    assert normalise_server_default(None) is None
    assert normalise_server_default("'NULL'") == "NULL"
