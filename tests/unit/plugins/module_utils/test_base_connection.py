"""Statements with placeholders for secrets; TLS contexts; privilege sets."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import Statement, sorted_state
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    FLAVOUR_MYSQL, FLAVOUR_SINGLESTORE, Connection, SingleStoreError, build_ssl_context, connect_kwargs, memsql_version_tuple)
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_privileges import (
    compress, expand, full_set, normalise_privs, parse_level, quote_level)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub


def test_secret_parameters_become_placeholders() -> None:
    stmt = Statement("CREATE USER %(user)s@%(host)s IDENTIFIED BY %(password)s", dict(user="app", host="%", password="s3cr3t!"),
                     secrets=("password",))
    assert stmt.display() == "CREATE USER 'app'@'%' IDENTIFIED BY %(password)s"
    assert "s3cr3t" not in stmt.display()
    assert stmt.secret_values() == ["s3cr3t!"]


def test_positional_display_and_percent() -> None:
    assert Statement("SELECT %s, '100%%'", ("o'k",)).display() == "SELECT 'o\\'k', '100%'"
    assert Statement("DROP TABLE `a%%b`").display() == "DROP TABLE `a%b`"


def test_scrub_and_sorted_state() -> None:
    assert scrub("bad near 'hunter2'", ["hunter2"]) == "bad near '********'"
    assert list(sorted_state({"b": 1, "a": {"d": 1, "c": 2}})) == ["a", "b"]


def test_ssl_modes(tmp_path) -> None:
    assert build_ssl_context("disabled") is None
    assert build_ssl_context("preferred") is None
    ctx = build_ssl_context("required")
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname
    ctx = build_ssl_context("verify_ca")
    assert ctx.verify_mode == ssl.CERT_REQUIRED and not ctx.check_hostname
    ctx = build_ssl_context("verify_identity")
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    with pytest.raises(SingleStoreError, match="does not exist"):
        build_ssl_context("verify_ca", ca_cert=str(tmp_path / "missing.pem"))
    with pytest.raises(SingleStoreError, match="disabled"):
        build_ssl_context("disabled", ca_cert="/etc/hosts")


def test_connect_kwargs() -> None:
    kw = connect_kwargs(dict(login_host="h", login_port=3307, login_user="u", login_password="p", ssl_mode="disabled"))
    assert kw["host"] == "h" and kw["port"] == 3307 and kw["ssl_disabled"] is True and kw["autocommit"] is True
    kw = connect_kwargs(dict(login_host="h", login_user="u", ssl_mode="required"))
    assert isinstance(kw["ssl"], ssl.SSLContext)
    with pytest.raises(SingleStoreError, match="config_file"):
        connect_kwargs(dict(login_user="u", config_file="/nonexistent/my.cnf"))


def test_privilege_sets() -> None:
    assert parse_level("*.*") == ("*.*", None, None)
    assert parse_level("retail.*") == ("retail.*", "retail", None)
    assert quote_level("retail.tx") == "`retail`.`tx`"
    assert normalise_privs("select, insert", "x") == {"SELECT", "INSERT"}
    assert normalise_privs(["all", "grant"], "x") == {"ALL PRIVILEGES", "GRANT OPTION"}
    with pytest.raises(ValueError):
        normalise_privs(["SELECT; DROP"], "x")
    # MySQL/MariaDB: ALL below *.* is MariaDB's set; SingleStore: no set below *.* (refused there), compared as printed
    full = full_set("table", False, frozenset())
    assert expand({"ALL PRIVILEGES"}, full) == set(full)
    assert compress(set(full) | {"GRANT OPTION", "USAGE"}, full) == ["ALL PRIVILEGES", "GRANT OPTION"]
    assert compress({"SELECT"}, full_set("database", False, frozenset())) == ["SELECT"]
    assert full_set("table", True, frozenset()) == frozenset()
    assert expand({"ALL PRIVILEGES"}, frozenset()) == {"ALL PRIVILEGES"}
    with pytest.raises(ValueError, match="backtick"):
        parse_level("re`tail.*")


@pytest.mark.parametrize("text, expected", [
    ("8.9.24", (8, 9, 24)), ("9.0.3-abc", (9, 0, 3)), ("9.1", (9, 1)), ("", ()), (None, ()), ("x.1", ()), ("10.0.0", (10, 0, 0)),
])
def test_memsql_version_tuple(text, expected) -> None:
    assert memsql_version_tuple(text) == expected


def test_version_at_least_is_false_on_mysql_and_compares_numerically() -> None:
    assert Connection(None, FLAVOUR_SINGLESTORE, "8.9.24", "5.7.32").version_at_least(8, 9)
    assert not Connection(None, FLAVOUR_SINGLESTORE, "8.9.24", "5.7.32").version_at_least(9, 0)
    assert Connection(None, FLAVOUR_SINGLESTORE, "10.0.1", "5.7.32").version_at_least(9, 0)
    assert not Connection(None, FLAVOUR_MYSQL, None, "10.11.6-MariaDB").version_at_least(0, 0)
