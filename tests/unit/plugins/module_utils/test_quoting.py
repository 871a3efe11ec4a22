"""Identifier validation and quoting."""

from __future__ import annotations

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    IdentifierError, quote_column_list, quote_identifier, quote_qualified, validate_identifier, validate_session_var, validate_user)


@pytest.mark.parametrize("name", ["retail", "Transactions_2024x", "straße", "données", "日本語", "a b", "x" * 64, "with-dash", "$dollar"])
def test_valid_names_are_quoted(name: str) -> None:
    assert quote_identifier(name) == "`" + name + "`"


@pytest.mark.parametrize("name, fragment", [
    ("", "empty"),
    ("x" * 65, "65 characters"),
    ("a`b", "backtick"),
    ("a'b", "quote"),
    ('a"b', "double quote"),
    ("a;b", "semicolon"),
    ("a\nb", "newline"),
    ("a\x00b", "NUL"),
    ("a\\b", "backslash"),
    (" lead", "whitespace"),
    ("a\tb", "control character"),
])
def test_refused_names_say_why_and_name_the_identifier(name: str, fragment: str) -> None:
    with pytest.raises(IdentifierError) as err:
        quote_identifier(name, "table name")
    assert fragment in str(err.value)
    assert "table name" in str(err.value)
    if name:
        assert repr(name)[:20] in str(err.value)


def test_non_string_is_refused() -> None:
    with pytest.raises(IdentifierError, match="must be a string"):
        validate_identifier(5)


def test_percent_is_doubled_for_driver_formatting() -> None:
    assert quote_identifier("a%b") == "`a%%b`"
    assert quote_identifier("a%b") % () == "`a%b`"


def test_qualified_and_column_list() -> None:
    assert quote_qualified("db", "t") == "`db`.`t`"
    assert quote_column_list(["a", "b"]) == "(`a`, `b`)"
    assert quote_column_list([]) == "()"


def test_user_and_host() -> None:
    assert validate_user("app", "%") == ("app", "%")
    with pytest.raises(IdentifierError, match="32"):
        validate_user("u" * 33, "%")
    with pytest.raises(IdentifierError, match="quote"):
        validate_user("o'brien", "%")
    with pytest.raises(IdentifierError, match="host"):
        validate_user("app", "")


@pytest.mark.parametrize("name, ok", [("sql_mode", True), ("autocommit", True), ("x-y", False), ("a;b", False), ("1a", False)])
def test_session_var_names(name: str, ok: bool) -> None:
    if ok:
        assert validate_session_var(name) == name
    else:
        with pytest.raises(IdentifierError):
            validate_session_var(name)
