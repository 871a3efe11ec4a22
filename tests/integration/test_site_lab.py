"""site.yml on the lab inventory, as users run it (issue 8).

- `--check --diff` on a fresh lab changes nothing;
- the first run changes, the second reports changed=0 for every host, and rows keep arriving;
- a run that fails half-way because a service is down converges once the service is back.

The lab's objects of the walkthrough (database demo_retails, topics retails and test, the producer
on the stack-host container) are removed first so that "fresh" means fresh.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pymysql
import pytest
from confluent_kafka.admin import AdminClient

REPO = Path(__file__).resolve().parents[1].parent
DATABASE = "demo_retails"
TOPICS = ("retails", "test")


def run_site(lab_env: dict[str, str], *extra: str) -> tuple[int, str, dict[str, dict[str, int]]]:
    env = {**os.environ, **lab_env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0"}
    proc = subprocess.run(["ansible-playbook", "site.yml", "-i", "inventories/lab", *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
             for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", out, re.M)}
    return proc.returncode, out, recap


def lab_env(lab) -> dict[str, str]:
    env = lab.env
    return dict(env() if callable(env) else env)


def count_rows(conn_params: dict) -> int:
    with pymysql.connect(**conn_params, database=DATABASE) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM product_transactions")
        return int(cur.fetchone()[0])


def database_exists(conn_params: dict) -> bool:
    with pymysql.connect(**conn_params) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (DATABASE,))
        return cur.fetchone() is not None


def reset(lab, conn_params: dict) -> None:
    """Back to a lab without the walkthrough's objects (and with a new stack-host container)."""
    with pymysql.connect(**conn_params, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (DATABASE,))
        if cur.fetchone():
            cur.execute(f"USE {DATABASE}")
            cur.execute("SHOW PIPELINES")
            for (name, *_rest) in cur.fetchall():
                cur.execute(f"DROP PIPELINE {name}")
            cur.execute(f"DROP DATABASE {DATABASE}")
    admin = AdminClient({"bootstrap.servers": lab.kafka_bootstrap})
    existing = set(admin.list_topics(timeout=10).topics)
    doomed = [t for t in TOPICS if t in existing]
    if doomed:
        for future in admin.delete_topics(doomed, operation_timeout=10).values():
            future.result()
        deadline = time.monotonic() + 30
        while set(doomed) & set(admin.list_topics(timeout=10).topics) and time.monotonic() < deadline:
            time.sleep(0.5)
    lab._lab.stop(["stack_host"])  # pylint: disable=protected-access
    lab._lab.start(["stack_host"])  # pylint: disable=protected-access


@pytest.fixture(scope="module")
def site_lab(lab):
    lab.require("mariadb", "double", "kafka", "docker", "stack_host")
    conn_params = lab.double_conn_params
    reset(lab, conn_params)
    return lab, conn_params


def test_check_mode_on_a_fresh_lab_changes_nothing(site_lab):
    lab, conn_params = site_lab
    rc, out, recap = run_site(lab_env(lab), "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "Traceback" not in out
    assert not database_exists(conn_params), "check mode created the database"
    topics = AdminClient({"bootstrap.servers": lab.kafka_bootstrap}).list_topics(timeout=10).topics
    assert not set(TOPICS) & set(topics), "check mode created topics"
    probe = subprocess.run(["docker", "exec", lab_env(lab)["LAB_STACK_HOST_CONTAINER"], "test", "-e", "/etc/systemd/system/tx-producer.service"])
    assert probe.returncode != 0, "check mode installed the producer unit"
    assert recap["lab-controller"]["changed"] > 0  # it did predict changes


def test_first_run_changes_second_changes_nothing_and_rows_keep_arriving(site_lab):
    lab, conn_params = site_lab
    rc, out, recap = run_site(lab_env(lab))
    assert rc == 0, out[-3000:]
    assert recap["lab-controller"]["changed"] > 0 and recap["lab-stack-host"]["changed"] > 0

    rc, out, recap = run_site(lab_env(lab))
    assert rc == 0, out[-3000:]
    assert {host: counts["changed"] for host, counts in recap.items()} == {host: 0 for host in recap}, out[-3000:]
    assert {host: counts["failed"] for host, counts in recap.items()} == {host: 0 for host in recap}

    first = count_rows(conn_params)
    deadline = time.monotonic() + 30
    while count_rows(conn_params) <= first and time.monotonic() < deadline:
        time.sleep(1)
    assert count_rows(conn_params) > first, "the producer's rows stopped arriving"


def test_a_run_failing_half_way_converges_when_rerun(site_lab):
    lab, conn_params = site_lab
    marker = f"interrupt_{uuid.uuid4().hex[:6]}"
    # A database added to the declared state, and the SingleStore endpoint down while the play runs.
    extra = ["-e", '{"singlestore_databases": [{"name": "demo_retails"}, {"name": "%s"}]}' % marker]
    lab._lab.stop(["double"])  # pylint: disable=protected-access
    try:
        rc, out, recap = run_site(lab_env(lab), *extra)
        assert rc != 0 and recap["lab-controller"]["failed"] == 1, out[-3000:]
        assert "Traceback" not in out
    finally:
        lab._lab.start(["double"])  # pylint: disable=protected-access
    rc, out, recap = run_site(lab_env(lab), *extra)
    assert rc == 0, out[-3000:]
    rc, out, recap = run_site(lab_env(lab), *extra)
    assert rc == 0 and all(c["changed"] == 0 for c in recap.values()), out[-3000:]
    with pymysql.connect(**conn_params, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {marker}")
