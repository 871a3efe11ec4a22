"""singlestore_user and singlestore_info against the SingleStore double (or a real SingleStore, marker `live`):
SHOW GRANTS read back, SingleStore-only privileges, the pipeline views per privilege, the cluster-wide password
statement, and bad inputs refused with nothing changed. Each behaviour: check, real, check, real."""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator

import pymysql
import pytest

from _ansible import assert_clean_failure, login_options, query, run_steps, step, transition
from _pipelines import create_topic, delete_topics


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}x"


def show_grants(conn_params: dict[str, Any], user: str) -> list[str]:
    return [r[0] for r in query(conn_params, "SHOW GRANTS FOR %s@'%%'", (user,))]


def accounts_snapshot(conn_params: dict[str, Any], users: list[str]) -> dict[str, Any]:
    """What 'nothing changed' means here: which accounts exist and what SHOW GRANTS prints for them."""
    out: dict[str, Any] = {}
    for user in users:
        exists = query(conn_params, "SELECT COUNT(*) FROM information_schema.USERS WHERE USER = %s", (user,))[0][0]
        out[user] = show_grants(conn_params, user) if exists else None
    return out


def can_log_in(conn_params: dict[str, Any], user: str, password: str) -> bool:
    try:
        query(dict(conn_params, user=user, password=password), "SELECT 1")
    except pymysql.err.OperationalError:
        return False
    return True


def pipeline_rows(conn_params: dict[str, Any], user: str, password: str, db: str) -> dict[str, int]:
    login = dict(conn_params, user=user, password=password)
    return {view: query(login, f"SELECT COUNT(*) FROM information_schema.{view} WHERE DATABASE_NAME = %s", (db,))[0][0]
            for view in ("PIPELINES", "PIPELINES_CURSORS")}


@pytest.fixture
def names(singlestore: dict[str, Any]) -> Iterator[dict[str, str]]:
    made = {"db": unique("grants"), "user": "g" + uuid.uuid4().hex[:10]}
    yield made
    query(singlestore, f"DROP USER IF EXISTS '{made['user']}'@'%'")
    for (pipeline,) in query(singlestore, "SELECT PIPELINE_NAME FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s", (made["db"],)):
        conn = pymysql.connect(**singlestore, database=made["db"], autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP PIPELINE `{pipeline}`")
        finally:
            conn.close()
    query(singlestore, f"DROP DATABASE IF EXISTS `{made['db']}`")


def test_singlestore_only_privileges_converge_and_read_back_from_show_grants(tmp_path, singlestore, names) -> None:
    db, user = names["db"], names["user"]
    query(singlestore, f"CREATE DATABASE `{db}`")
    login = login_options(singlestore)

    def snap() -> dict[str, Any]:
        return accounts_snapshot(singlestore, [user])

    args = {"user": user, "password": "Pw-grants-1x",
            "privileges": {f"{db}.*": ["SELECT", "SHOW PIPELINE"], "*.*": ["PROCESS", "SHOW METADATA"]}}
    res = transition(tmp_path, login, "singlestore_user", args, catalog=snap)
    assert res[1]["queries"] == [f"CREATE USER '{user}'@'%' IDENTIFIED BY %(password)s",
                                 f"GRANT PROCESS, SHOW METADATA ON *.* TO '{user}'@'%'",
                                 f"GRANT SELECT, SHOW PIPELINE ON `{db}`.* TO '{user}'@'%'"]
    assert res[0]["user"]["privileges"] == res[3]["user"]["privileges"] == {
        "*.*": ["PROCESS", "SHOW METADATA"], f"{db}.*": ["SELECT", "SHOW PIPELINE"]}
    assert show_grants(singlestore, user) == [f"GRANT PROCESS, SHOW METADATA ON *.* TO '{user}'@'%'",
                                              f"GRANT SELECT, SHOW PIPELINE ON `{db}`.* TO '{user}'@'%'"]

    # fewer privileges: the ones the task no longer lists are revoked, SingleStore-only ones included
    fewer = dict(args, privileges={f"{db}.*": ["SELECT"], "*.*": ["PROCESS"]})
    res = transition(tmp_path, login, "singlestore_user", fewer, catalog=snap)
    assert res[1]["queries"] == [f"REVOKE SHOW METADATA ON *.* FROM '{user}'@'%'", f"REVOKE SHOW PIPELINE ON `{db}`.* FROM '{user}'@'%'"]
    assert show_grants(singlestore, user) == [f"GRANT PROCESS ON *.* TO '{user}'@'%'", f"GRANT SELECT ON `{db}`.* TO '{user}'@'%'"]

    # append_privileges: added, nothing revoked
    more = {"user": user, "privileges": {f"{db}.*": ["CREATE PIPELINE"]}, "append_privileges": True}
    res = transition(tmp_path, login, "singlestore_user", more, catalog=snap)
    assert res[1]["queries"] == [f"GRANT CREATE PIPELINE ON `{db}`.* TO '{user}'@'%'"]
    assert res[3]["user"]["privileges"] == {"*.*": ["PROCESS"], f"{db}.*": ["CREATE PIPELINE", "SELECT"]}

    info = run_steps(tmp_path, login, [step("singlestore_info", {"gather_subset": ["users"], "filter": [user]})]).results[0]
    assert info["users"][f"{user}@%"]["privileges"] == res[3]["user"]["privileges"]

    transition(tmp_path, login, "singlestore_user", {"user": user, "state": "absent"}, catalog=snap)
    assert snap() == {user: None}


def test_pipeline_views_follow_the_documented_privileges(tmp_path, singlestore, names, kafka_bootstrap) -> None:
    """A SELECT-only login sees no pipeline row; SHOW PIPELINE on the database (or SHOW METADATA on *.*) shows them."""
    db, user, password = names["db"], names["user"], "Pw-views-1x"
    topic = create_topic(kafka_bootstrap)
    try:
        query(singlestore, f"CREATE DATABASE `{db}`")
        query(singlestore, f"CREATE TABLE `{db}`.msgs (line TEXT)")
        conn = pymysql.connect(**singlestore, database=db, autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE PIPELINE `p1` AS LOAD DATA KAFKA '{kafka_bootstrap}/{topic}' INTO TABLE `msgs`")
        finally:
            conn.close()
        admin_rows = pipeline_rows(singlestore, singlestore["user"], singlestore["password"], db)
        assert admin_rows["PIPELINES"] == 1

        login = login_options(singlestore)
        base = {"user": user, "password": password}
        transition(tmp_path, login, "singlestore_user", dict(base, privileges={f"{db}.*": ["SELECT"]}))
        assert pipeline_rows(singlestore, user, password, db) == {"PIPELINES": 0, "PIPELINES_CURSORS": 0}

        transition(tmp_path, login, "singlestore_user", dict(base, privileges={f"{db}.*": ["SELECT", "SHOW PIPELINE"]}))
        assert pipeline_rows(singlestore, user, password, db) == admin_rows

        transition(tmp_path, login, "singlestore_user", dict(base, privileges={f"{db}.*": ["SELECT"], "*.*": ["SHOW METADATA"]}))
        assert pipeline_rows(singlestore, user, password, db) == admin_rows

        transition(tmp_path, login, "singlestore_user", dict(base, privileges={f"{db}.*": ["SELECT"]}))
        assert pipeline_rows(singlestore, user, password, db) == {"PIPELINES": 0, "PIPELINES_CURSORS": 0}
    finally:
        delete_topics(kafka_bootstrap, [topic])


def test_password_change_is_the_cluster_wide_grant(tmp_path, singlestore, names) -> None:
    user = names["user"]
    login = login_options(singlestore)
    run_steps(tmp_path, login, [step("singlestore_user", {"user": user, "password": "Pw-first-1x"})])
    args = {"user": user, "password": "Pw-second-2x", "update_password": "always"}
    res = transition(tmp_path, login, "singlestore_user", args, catalog=lambda: can_log_in(singlestore, user, "Pw-first-1x"))
    assert res[0]["queries"] == res[1]["queries"] == [f"GRANT USAGE ON *.* TO '{user}'@'%' IDENTIFIED BY %(password)s"]
    assert can_log_in(singlestore, user, "Pw-second-2x") and not can_log_in(singlestore, user, "Pw-first-1x")
    assert "Pw-second-2x" not in json.dumps(res) and "Pw-first-1x" not in json.dumps(res)
    # the password statement gave no privilege
    assert show_grants(singlestore, user) == [f"GRANT USAGE ON *.* TO '{user}'@'%'"]


BAD = [
    ("ALL below *.*", {"{db}.*": ["ALL"]}, ["'*.*' only", "list the privileges"]),
    ("SHOW METADATA on a database", {"{db}.*": ["SHOW METADATA"]}, ["cluster level only"]),
    ("PROCESS on a table", {"{db}.t": ["PROCESS"]}, ["cluster level only"]),
    ("a MariaDB-only privilege", {"{db}.*": ["SELECT", "DELETE HISTORY"]}, ["DELETE HISTORY", "not a privilege of SingleStore"]),
    ("a name that is no privilege", {"{db}.*": ["SELEKT"]}, ["SELEKT"]),
]


@pytest.mark.parametrize("label, privileges, fragments", BAD, ids=[b[0] for b in BAD])
def test_bad_privileges_fail_before_anything_changes(tmp_path, singlestore, names, label, privileges, fragments) -> None:
    db, user = names["db"], names["user"]
    query(singlestore, f"CREATE DATABASE `{db}`")
    query(singlestore, f"CREATE TABLE `{db}`.t (a INT)")
    login = login_options(singlestore)
    run_steps(tmp_path, login, [step("singlestore_user", {"user": user, "password": "Pw-bad-1x", "privileges": {f"{db}.*": ["SELECT"]}})])
    before = accounts_snapshot(singlestore, [user])
    args = {"user": user, "privileges": {level.format(db=db): privs for level, privs in privileges.items()}}
    results = run_steps(tmp_path, login, [step("singlestore_user", args, check=True), step("singlestore_user", args)]).results
    for res in results:
        assert_clean_failure(res, *fragments)
        assert res["queries"] == []
    assert accounts_snapshot(singlestore, [user]) == before


def test_grants_the_reader_cannot_read_change_nothing(tmp_path, double_conn_params) -> None:
    """SHOW GRANTS with a line outside the GRANT grammar (made through the double with a MariaDB role, whose line
    the double passes on as MariaDB prints it): a task managing privileges fails naming the line and changes nothing;
    one that does not manage privileges still works, and reports them as unreadable."""
    singlestore = dict(double_conn_params)
    db, user = unique("unread"), "u" + uuid.uuid4().hex[:10]
    role = "r" + user
    query(singlestore, f"CREATE DATABASE `{db}`")
    login = login_options(singlestore)
    run_steps(tmp_path, login, [step("singlestore_user", {"user": user, "password": "Pw-role-1x", "privileges": {f"{db}.*": ["SELECT"]}})])
    query(singlestore, f"CREATE ROLE `{role}`")
    try:
        query(singlestore, f"GRANT `{role}` TO '{user}'@'%'")
        before = accounts_snapshot(singlestore, [user])
        args = {"user": user, "privileges": {f"{db}.*": ["INSERT"]}}
        results = run_steps(tmp_path, login, [step("singlestore_user", args, check=True), step("singlestore_user", args),
                                              step("singlestore_user", dict(args, append_privileges=True))]).results
        for res in results:
            assert_clean_failure(res, "cannot read the privileges", role, "Nothing was changed")
            assert res["queries"] == []
        assert accounts_snapshot(singlestore, [user]) == before
        # not managing privileges: the account is still reported, its privileges as unreadable
        res = run_steps(tmp_path, login, [step("singlestore_user", {"user": user})]).results[0]
        assert res["changed"] is False and res["user"]["privileges"] is None and role in res["user"]["privileges_unreadable"]
        info = run_steps(tmp_path, login, [step("singlestore_info", {"gather_subset": ["users"], "filter": [user]})]).results[0]
        assert info["users"][f"{user}@%"]["privileges"] is None
    finally:
        query(singlestore, f"DROP ROLE IF EXISTS `{role}`")
        query(singlestore, f"DROP USER IF EXISTS '{user}'@'%'")
        query(singlestore, f"DROP DATABASE IF EXISTS `{db}`")


def test_singlestore_only_privileges_are_refused_on_mariadb(tmp_path, maria) -> None:
    user = "m" + uuid.uuid4().hex[:10]
    args = {"user": user, "password": "Pw-maria-1x", "privileges": {"*.*": ["SHOW METADATA"]}}
    try:
        res = run_steps(tmp_path, login_options(maria), [step("singlestore_user", args)]).results[0]
        assert_clean_failure(res, "SHOW METADATA", "SingleStore-only", "MySQL/MariaDB")
        assert query(maria, "SELECT COUNT(*) FROM mysql.user WHERE User = %s", (user,)) == [(0,)]
    finally:
        query(maria, f"DROP USER IF EXISTS '{user}'@'%'")
