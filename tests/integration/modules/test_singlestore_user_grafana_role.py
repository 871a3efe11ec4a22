"""The singlestore role's Grafana login (singlestore_grafana_*), with real ansible-playbook runs of
playbooks/singlestore.yml on the lab inventory against the SingleStore double and the lab's Kafka: the login
sees the pipeline views the dashboard reads, holds nothing else, and a second run changes nothing.
The privileges per setting are checked from the role's own variables (defaults + vars, as the role evaluates them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import pymysql
import pytest

from _ansible import query
from _pipelines import create_topic, delete_topics

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "singlestore.yml"
INVENTORY = REPO / "inventories" / "lab"
ROLE = REPO / "roles" / "singlestore"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
PANEL_QUERIES = REPO / "templates" / "sql" / "queries"


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    return out


def run_role(tmp_path: Path, variables: dict[str, Any], check: bool = False) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"vars-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(variables))
    path.chmod(0o600)
    cmd = [ANSIBLE_PLAYBOOK, "-i", str(INVENTORY), str(PLAYBOOK), "-e", f"@{path}"] + (["--check", "--diff"] if check else [])
    return subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True, timeout=600)


def recap(done: subprocess.CompletedProcess[str]) -> dict[str, int]:
    match = re.search(r"lab-controller\s*:\s*(.*)", done.stdout.split("PLAY RECAP", 1)[-1])
    assert match, done.stdout[-3000:] + done.stderr[-2000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


@pytest.fixture
def setup(double_conn_params: dict[str, Any], kafka_bootstrap: str) -> Iterator[dict[str, Any]]:
    db = f"graf_{uuid.uuid4().hex[:8]}x"
    user = "gr" + uuid.uuid4().hex[:10]
    topic = create_topic(kafka_bootstrap)
    yield {"db": db, "user": user, "password": "Pw-grafana-" + uuid.uuid4().hex[:8], "topic": topic}
    for (pipeline,) in query(double_conn_params, "SELECT PIPELINE_NAME FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s", (db,)):
        query(double_conn_params, f"DROP PIPELINE IF EXISTS `{pipeline}`", database=db)
    query(double_conn_params, f"DROP DATABASE IF EXISTS `{db}`")
    query(double_conn_params, f"DROP USER IF EXISTS '{user}'@'%'")
    delete_topics(kafka_bootstrap, [topic])


def role_vars(double: dict[str, Any], s: dict[str, Any], kafka_bootstrap: str, **extra: Any) -> dict[str, Any]:
    out = {
        "singlestore_login_host": double.get("host", "127.0.0.1"), "singlestore_login_port": int(double["port"]),
        "singlestore_login_user": double["user"], "singlestore_login_password": double["password"], "singlestore_ssl_mode": "disabled",
        "singlestore_databases": [{"name": s["db"]}],
        "singlestore_tables": [{"database": s["db"], "name": "messages", "columns": [{"name": "id", "type": "text"}]}],
        "singlestore_users": [],
        "singlestore_pipelines": [{"database": s["db"], "name": "lines", "kafka": {"brokers": [kafka_bootstrap], "topic": s["topic"]},
                                   "table": "messages", "format": "csv", "state": "present"}],
        "singlestore_grafana_user": s["user"], "singlestore_grafana_password": s["password"], "singlestore_grafana_database": s["db"],
    }
    out.update(extra)
    return out


def test_role_grafana_login_sees_the_pipeline_views(tmp_path, double_conn_params, kafka_bootstrap, setup) -> None:
    s = setup
    variables = role_vars(double_conn_params, s, kafka_bootstrap)
    check = run_role(tmp_path, variables, check=True)
    assert check.returncode == 0, check.stdout[-4000:]
    assert not query(double_conn_params, "SELECT 1 FROM information_schema.USERS WHERE USER = %s", (s["user"],)), "check mode created the login"

    first = run_role(tmp_path, variables)
    assert first.returncode == 0, first.stdout[-4000:]
    assert recap(first)["changed"] > 0
    assert s["password"] not in first.stdout + first.stderr
    grants = [r[0] for r in query(double_conn_params, "SHOW GRANTS FOR %s@'%%'", (s["user"],))]
    assert grants == [f"GRANT USAGE ON *.* TO '{s['user']}'@'%'", f"GRANT SELECT, SHOW PIPELINE ON `{s['db']}`.* TO '{s['user']}'@'%'"]

    # the dashboard's pipeline panels, as the Grafana login: the pipeline is there
    grafana = dict(double_conn_params, user=s["user"], password=s["password"])
    admin_count = query(double_conn_params, "SELECT COUNT(*) FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s", (s["db"],))
    assert admin_count == [(1,)]
    assert query(grafana, "SELECT COUNT(*) FROM information_schema.PIPELINES WHERE DATABASE_NAME = DATABASE()", database=s["db"]) == admin_count
    for name in ("pipeline_lag", "ingest_rate"):
        sql = (PANEL_QUERIES / f"{name}.sql").read_text()
        sql = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        sql = sql.replace("$__unixEpochFrom()", "0").replace("$__unixEpochTo()", "4102444800").strip().rstrip(";")
        query(grafana, sql, database=s["db"])   # runs as the login (no privilege error)
    # and it cannot write
    with pytest.raises(pymysql.err.MySQLError, match="denied"):
        query(grafana, "INSERT INTO messages VALUES ('x')", database=s["db"])

    second = run_role(tmp_path, variables)
    assert second.returncode == 0 and recap(second)["changed"] == 0, second.stdout[-4000:]

    # a privilege granted behind the role's back is revoked on the next run
    query(double_conn_params, f"GRANT INSERT ON `{s['db']}`.* TO '{s['user']}'@'%'")
    third = run_role(tmp_path, variables)
    assert third.returncode == 0 and recap(third)["changed"] == 1, third.stdout[-4000:]
    assert query(double_conn_params, "SHOW GRANTS FOR %s@'%%'", (s["user"],))[1] == (
        f"GRANT SELECT, SHOW PIPELINE ON `{s['db']}`.* TO '{s['user']}'@'%'",)


def test_role_refuses_a_grafana_login_without_password_or_declared_twice(tmp_path, double_conn_params, kafka_bootstrap, setup) -> None:
    s = setup
    for extra in ({"singlestore_grafana_password": ""},
                  {"singlestore_users": [{"user": s["user"], "password": "x", "privileges": {"*.*": ["PROCESS"]}}]},
                  {"singlestore_grafana_pipeline_access": "select"}):
        done = run_role(tmp_path, role_vars(double_conn_params, s, kafka_bootstrap, **extra))
        assert done.returncode != 0 and recap(done)["changed"] == 0, done.stdout[-3000:]
        assert "singlestore_grafana" in done.stdout
    assert not query(double_conn_params, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (s["db"],))


def role_privileges(tmp_path: Path, **variables: Any) -> dict[str, Any]:
    """singlestore_grafana_privileges as the role computes it from its defaults and vars."""
    play = [{"hosts": "localhost", "gather_facts": False,
             "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml")],
             "tasks": [{"ansible.builtin.copy": {"content": "{{ singlestore_grafana_privileges | to_json }}", "dest": str(tmp_path / "out.json"),
                                                 "mode": "0600"}}]}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    done = subprocess.run([ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
                           "-e", f"@{tmp_path / 'vars.json'}", str(tmp_path / "play.yml")], cwd=tmp_path, env=env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    return json.loads((tmp_path / "out.json").read_text())


@pytest.mark.parametrize("settings, expected", [
    ({}, {"demo_retails.*": ["SELECT", "SHOW PIPELINE"]}),
    ({"singlestore_grafana_pipeline_access": "insert"}, {"demo_retails.*": ["SELECT", "INSERT"]}),
    ({"singlestore_grafana_pipeline_access": "none"}, {"demo_retails.*": ["SELECT"]}),
    ({"singlestore_slow_query_threshold_ms": 250}, {"demo_retails.*": ["SELECT", "SHOW PIPELINE"], "*.*": ["PROCESS"]}),
    ({"singlestore_slow_query_threshold_ms": 0}, {"demo_retails.*": ["SELECT", "SHOW PIPELINE"]}),
    ({"singlestore_grafana_database": "other"}, {"other.*": ["SELECT", "SHOW PIPELINE"]}),
])
def test_grafana_privileges_per_setting(tmp_path, settings, expected) -> None:
    assert role_privileges(tmp_path, **settings) == expected
