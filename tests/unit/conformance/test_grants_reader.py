"""The module's SHOW GRANTS reader (plugins/module_utils/_user_sql.py) on every show_grants case of the corpus,
and the rules of plugins/module_utils/_user_privileges.py that decide what the module may do with what it read."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._user_sql import GrantsReadError, read_line, read_show_grants
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_privileges import (
    check_privileges, compress, read_grants, unexplained)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import IdentifierError
from tests.conformance import corpus

CASES = corpus.load("singlestore", "show_grants")


def test_the_corpus_has_show_grants_cases() -> None:
    assert len(CASES) >= 5
    assert any(not c.constructed for c in CASES), "at least one case is a printed output"


@pytest.mark.parametrize("case", CASES, ids=corpus.ids(CASES))
def test_reader_on_corpus_case(case: corpus.Case) -> None:
    user, host = case.expect["account"]
    if case.expect.get("unreadable"):
        with pytest.raises(GrantsReadError):
            read_show_grants(case.output, user, host)
        return
    account = read_show_grants(case.output, user, host)
    assert {lvl: sorted(p) for lvl, p in account.privileges.items()} == case.expect["privileges"]
    assert {lvl: sorted(p) for lvl, p in account.transferable.items()} == case.expect.get("transferable", {})


@pytest.mark.parametrize("case", [c for c in CASES if not c.expect.get("unreadable")], ids=lambda c: c.name.split("/")[-1])
def test_reader_refuses_the_case_for_another_account(case: corpus.Case) -> None:
    user, host = case.expect["account"]
    with pytest.raises(GrantsReadError, match="is for"):
        read_show_grants(case.output, user + "x", host)


class FakeConn:
    """Answers SHOW GRANTS with a corpus case's lines and the *_PRIVILEGES views with given rows."""

    is_singlestore = True

    def __init__(self, lines: list[str], view_rows: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.lines, self.view_rows = lines, view_rows or {}

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        if sql.startswith("SHOW GRANTS"):
            return [{"Grants for x": line} for line in self.lines]
        for view, rows in self.view_rows.items():
            if view in sql:
                return rows
        return []


@pytest.mark.parametrize("case", [c for c in CASES if not c.expect.get("unreadable") and not c.expect.get("transferable")],
                         ids=lambda c: c.name.split("/")[-1])
def test_read_grants_on_singlestore_gives_the_case(case: corpus.Case) -> None:
    user, host = case.expect["account"]
    grants = read_grants(FakeConn(case.output), user, host)
    assert {lvl: compress(p, frozenset()) for lvl, p in grants.items()} == case.expect["privileges"]


def test_read_grants_refuses_transferable_rows() -> None:
    case = next(c for c in CASES if c.expect.get("transferable"))
    with pytest.raises(GrantsReadError, match="TRANSFERABLE"):
        read_grants(FakeConn(case.output), *case.expect["account"])


def test_read_grants_refuses_a_privilege_only_the_views_report() -> None:
    case = next(c for c in CASES if c.name.endswith("database_and_table_grants"))
    rows = {"SCHEMA_PRIVILEGES": [{"db": "retail", "tbl": "*", "PRIVILEGE_TYPE": "DELETE", "IS_GRANTABLE": "NO"}]}
    with pytest.raises(GrantsReadError, match="SHOW GRANTS does not print"):
        read_grants(FakeConn(case.output, rows), *case.expect["account"])
    # what the views report and SHOW GRANTS also prints is fine
    rows = {"SCHEMA_PRIVILEGES": [{"db": "retail", "tbl": "*", "PRIVILEGE_TYPE": "SELECT", "IS_GRANTABLE": "YES"}]}
    assert read_grants(FakeConn(case.output, rows), *case.expect["account"])["retail.*"] == {"SELECT", "INSERT", "GRANT OPTION"}


def test_all_privileges_at_a_level_covers_what_the_views_list() -> None:
    assert unexplained({"d.t": {"ALL PRIVILEGES"}}, {"d.t": {"SELECT", "ALTER"}}) == {}
    assert unexplained({"d.*": {"SELECT"}}, {"d.*": {"SELECT", "INSERT"}}) == {"d.*": ["INSERT"]}


@pytest.mark.parametrize("line, why", [
    ("GRANT SELECT ON mydb.* TO 'u'@'%'", "quoted"),                         # bare name: letter case unknown
    ("GRANT SELEKT ON *.* TO 'u'@'%'", "not a privilege"),
    ("GRANT SELECT ON *.* TO 'u'@'%' WITH MAX_QUERIES_PER_HOUR 1", "GRANT"),
    ("GRANT SELECT ON *.* TO ROLE 'r'", "account"),
    ("GRANT `r1` TO 'u'@'%'", "not a privilege"),
    ("GRANT ALL PRIVILEGES, SELECT ON *.* TO 'u'@'%'", "ALL PRIVILEGES listed"),
    ("GRANT SELECT ON `d`.`t` TO 'u'@'%' REQUIRE CIPHER", "REQUIRE"),
    ("GRANT SELECT ON `d`.* TO 'u'@'%' trailing", "unexpected"),
    ("GRANT SELECT ON `d TO 'u'@'%'", "never closed"),
])
def test_reader_refuses_what_is_not_the_documented_statement(line: str, why: str) -> None:
    with pytest.raises(GrantsReadError, match=why):
        read_line(line)


def test_reader_reads_quotes_and_options() -> None:
    g = read_line("GRANT SELECT, SHOW PIPELINE ON `we``ird`.`t 1` TO 'o''brien'@'10.0.%' WITH GRANT OPTION REQUIRE SSL")
    assert (g.db, g.table, g.user, g.host, g.grant_option, g.require) == ("we`ird", "t 1", "o'brien", "10.0.%", True, ["SSL"])
    assert g.privileges == ["SELECT", "SHOW PIPELINE"] and g.level == "we`ird.t 1"
    assert read_line("grant usage on *.* to 'u'@'%'").level == "*.*"


@pytest.mark.parametrize("privs, level, singlestore, fragment", [
    ({"ALL PRIVILEGES"}, "db.*", True, "'*.*' only"),
    ({"ALL PRIVILEGES"}, "db.t", True, "'*.*' only"),
    ({"SHOW METADATA"}, "db.*", True, "cluster level only"),
    ({"PROCESS"}, "db.*", True, "cluster level only"),
    ({"DELETE HISTORY"}, "db.*", True, "not a privilege of SingleStore's GRANT grammar"),
    ({"EVENT", "TRIGGER"}, "db.*", True, "not a privilege"),
    ({"SHOW PIPELINE"}, "db.*", False, "SingleStore-only"),
    ({"SHOW METADATA"}, "*.*", False, "SingleStore-only"),
])
def test_check_privileges_refuses(privs: set[str], level: str, singlestore: bool, fragment: str) -> None:
    with pytest.raises(IdentifierError, match=fragment):
        check_privileges(privs, level, singlestore)


@pytest.mark.parametrize("privs, level, singlestore", [
    ({"ALL PRIVILEGES"}, "*.*", True),
    ({"SELECT", "SHOW PIPELINE", "CREATE PIPELINE"}, "db.*", True),
    ({"PROCESS", "SHOW METADATA"}, "*.*", True),
    ({"ALL PRIVILEGES"}, "db.*", False),
    ({"DELETE HISTORY", "EVENT"}, "db.*", False),
])
def test_check_privileges_accepts(privs: set[str], level: str, singlestore: bool) -> None:
    check_privileges(privs, level, singlestore)
