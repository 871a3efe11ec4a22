"""The test double's privileges (tests/lab/double/grants.py) held against the corpus directly: what it prints for
SHOW GRANTS, from its own record and from MariaDB's lines, and the error it gives. No module code is used here."""

from __future__ import annotations

import pytest

from tests.conformance import corpus
from tests.lab.double import grants
from tests.lab.double.sqllex import sig_tokens

CASES = [c for c in corpus.load("singlestore", "show_grants") if not c.expect.get("unreadable") and not c.expect.get("transferable")]


def levels_of(expect: dict) -> dict:
    out = {}
    for level, privs in expect["privileges"].items():
        db, table = level.split(".", 1)
        out[(db, table)] = {"privs": set(privs) - {"GRANT OPTION"}, "grant_option": "GRANT OPTION" in privs}
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name.split("/")[-1])
def test_show_grants_rendering_is_the_corpus_output(case: corpus.Case) -> None:
    user, host = case.expect["account"]
    assert grants.render_show_grants(user, host, levels_of(case.expect)) == case.output


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name.split("/")[-1])
def test_recorded_singlestore_privileges_merge_with_mariadb_lines(case: corpus.Case) -> None:
    """Split each case as the double stores it (SingleStore-only names in its record, the rest in MariaDB, printed
    the way MariaDB 10.11 prints them, hash included), then merge: SingleStore's lines come out."""
    user, host = case.expect["account"]
    maria_lines = [f"GRANT USAGE ON *.* TO `{user}`@`{host}` IDENTIFIED BY PASSWORD '*6891F9D51EB5A38D1BB310DDBC6379A189A4F575'"]
    recorded = {}
    for (db, table), g in levels_of(case.expect).items():
        theirs = g["privs"] - grants.SINGLESTORE_ONLY
        ours = g["privs"] & grants.SINGLESTORE_ONLY
        level = "*.*" if db == "*" else f"`{db}`." + ("*" if table == "*" else f"`{table}`")
        if theirs or g["grant_option"]:
            maria_lines.append(f"GRANT {', '.join(sorted(theirs)) or 'USAGE'} ON {level} TO `{user}`@`{host}`"
                               + (" WITH GRANT OPTION" if g["grant_option"] else ""))
        if ours:
            recorded[(db, table)] = {"privs": ours, "grant_option": False}
    levels, others = grants.merged_levels(maria_lines, recorded)
    assert others == []
    shown = grants.render_show_grants(user, host, levels)
    assert shown == case.output
    assert not any("PASSWORD" in line or "*6891" in line for line in shown)


def test_mariadb_only_lines_are_not_privileges_of_singlestore() -> None:
    levels, others = grants.merged_levels(["GRANT PROXY ON ''@'%' TO `root`@`localhost` WITH GRANT OPTION",
                                           "GRANT `reader_role` TO `u`@`%`",
                                           "GRANT SELECT ON `_s2double`.`PIPELINES` TO PUBLIC"], {})
    assert levels == {} and others == ["GRANT `reader_role` TO `u`@`%`"]


ERRORS = [c for c in corpus.load("singlestore", "error") if c.name.split("/")[-1].startswith("users_")]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c.name.split("/")[-1])
def test_refused_grant_gives_the_corpus_error(case: corpus.Case) -> None:
    st = grants.parse_privilege_statement(sig_tokens(case.statement))
    assert set(st.privileges) & grants.CLUSTER_ONLY and st.level != grants.GLOBAL
    # the account that ran the GRANT in the source is the workspace's admin
    reply = grants.scope_error(st, ("admin", "%"))
    assert (reply.code, reply.message) == (case.output["code"], case.output["message"])


def test_statement_split_keeps_everything_but_the_privilege_list() -> None:
    sql = "GRANT SELECT, SHOW PIPELINE ON `demo`.* TO 'u'@'%', u2@localhost IDENTIFIED BY 'x' WITH GRANT OPTION"
    st = grants.parse_privilege_statement(sig_tokens(sql))
    assert st.privileges == ["SELECT", "SHOW PIPELINE"] and st.level == ("demo", "*") and st.grant_option
    assert st.accounts == [("u", "%"), ("u2", "localhost")]
    assert sql[:st.priv_span[0]] + "SELECT" + sql[st.priv_span[1]:] == sql.replace("SELECT, SHOW PIPELINE", "SELECT")
    with pytest.raises(grants.LocalGrammarError):
        grants.parse_privilege_statement(sig_tokens("GRANT EVENT ON `d`.* TO 'u'@'%'"))
