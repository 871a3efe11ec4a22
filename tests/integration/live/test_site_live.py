"""site.yml against a real SingleStore (`make test-live`, `pytest --live`; not collected otherwise).

inventories/live: the SingleStore of SINGLESTORE_*, the Kafka of KAFKA_BOOTSTRAP_SERVERS (else the lab's),
the producer in the lab's stack-host container. Everything the run creates is named tst_live_<run id>
and is removed at the end (the producer unit, the pipelines, the database, the reader, the topics
this run created); nothing else on the server or the broker is touched.

- `--check --diff` on a fresh run id changes nothing (no database, no topic);
- the first run converges (smoke checks included: probe rows through the pipeline, TEST PIPELINE);
- the second run reports changed=0 on every host and rows keep arriving;
- no secret of the environment appears in any output.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pymysql
import pytest
from confluent_kafka.admin import AdminClient

from tests.integration.live.target import kafka_bootstrap, new_run_id, run_names, secret_values, singlestore_target

REPO = Path(__file__).resolve().parents[3]
INVENTORY = "inventories/live"


class LiveSite:
    def __init__(self, env: dict[str, str], conn: dict[str, Any], names: dict[str, str], bootstrap: str) -> None:
        self.env, self.conn, self.names, self.bootstrap = env, conn, names, bootstrap
        self.topics_before: set[str] = set()

    def playbook(self, playbook: str, *extra: str) -> tuple[int, str, dict[str, dict[str, int]]]:
        ansible = str(Path(sys.executable).parent / "ansible-playbook")
        proc = subprocess.run([ansible, playbook, "-i", INVENTORY, *extra], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=1200)
        out = proc.stdout + proc.stderr
        for value in secret_values(self.env):
            assert value not in out, f"a secret of the environment is in the output of {playbook}"
        recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
                 for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", out, re.M)}
        return proc.returncode, out, recap

    def sql(self, statement: str, args: Any = None) -> list[tuple[Any, ...]]:
        with pymysql.connect(**self.conn, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(statement, args)
            return list(cur.fetchall())

    def database_exists(self) -> bool:
        return bool(self.sql("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (self.names["database"],)))

    def rows(self) -> int:
        return int(self.sql(f"SELECT COUNT(*) FROM `{self.names['database']}`.product_transactions")[0][0])

    def topics(self) -> set[str]:
        return set(AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=15).topics)

    def cleanup(self) -> list[str]:
        """Remove what this run created, each step on its own; return what could not be removed."""
        problems: list[str] = []
        rc, out, _ = self.playbook("playbooks/producer.yml", "-e", "producer_state=absent")
        if rc:
            problems.append(f"producer unit not removed (rc={rc}): {out[-800:]}")
        database = self.names["database"]
        try:
            if self.database_exists():
                for (name,) in self.sql("SELECT PIPELINE_NAME FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s",
                                        (database,)):
                    self.sql(f"DROP PIPELINE `{database}`.`{name}`")
                self.sql(f"DROP DATABASE `{database}`")
            self.sql("DROP USER IF EXISTS %s@%s", (self.names["reader"], "%"))
        except pymysql.MySQLError as exc:
            problems.append(f"SingleStore objects of {database} not all dropped: {exc}")
        created = sorted((self.topics() - self.topics_before) & {self.names["topic"], "test"})
        if created:
            admin = AdminClient({"bootstrap.servers": self.bootstrap})  # kept alive until every deletion is answered
            for topic, future in admin.delete_topics(created).items():
                try:
                    future.result(30)
                except Exception as exc:  # noqa: BLE001 - reported, the other deletions go on
                    problems.append(f"topic {topic} not deleted: {exc}")
        if self.database_exists():
            problems.append(f"{database} still exists")
        left = sorted(set(created) & self.topics())
        if left:
            problems.append(f"topics still there: {', '.join(left)}")
        return problems


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> Iterator[LiveSite]:
    target = singlestore_target()
    assert target is not None  # --live refuses to start without SINGLESTORE_HOST
    run_id = os.environ.get("LIVE_RUN_ID") or new_run_id()
    names = run_names(run_id)
    lab = request.getfixturevalue("lab")
    lab.require("docker", "stack_host")  # the producer's host
    bootstrap = kafka_bootstrap() or lab.kafka_bootstrap
    env = {**os.environ, **lab.env(), "LIVE_RUN_ID": run_id, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
           "LIVE_READER_PASSWORD": os.environ.get("LIVE_READER_PASSWORD") or "Rd-" + secrets.token_urlsafe(12),
           "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    live = LiveSite(env, target.conn_params(), names, bootstrap)
    assert not live.database_exists(), f"{names['database']} exists before the run: not a fresh run id"
    live.topics_before = live.topics()
    print(f"live site: run id {run_id}, SingleStore {target.address}, Kafka {bootstrap}")
    yield live
    problems = live.cleanup()
    assert not problems, "cleanup: " + "; ".join(problems)


def test_check_mode_changes_nothing(site: LiveSite) -> None:
    rc, out, recap = site.playbook("site.yml", "--check", "--diff")
    assert rc == 0, out[-4000:]
    assert "Traceback" not in out
    assert not site.database_exists(), "check mode created the database"
    assert site.names["topic"] not in site.topics(), "check mode created the topic"
    assert recap["live-controller"]["changed"] > 0, "check mode predicted no change on a fresh run"


def test_first_run_converges(site: LiveSite) -> None:
    rc, out, recap = site.playbook("site.yml")
    assert rc == 0, out[-4000:]
    assert recap["live-controller"]["changed"] > 0 and recap["live-stack-host"]["changed"] > 0, recap
    assert site.database_exists()
    assert site.rows() > 0, "the smoke probe's rows are not in product_transactions"


def test_second_run_changes_nothing_and_rows_keep_arriving(site: LiveSite) -> None:
    rc, out, recap = site.playbook("site.yml")
    assert rc == 0, out[-4000:]
    assert {h: c["changed"] for h, c in recap.items()} == {h: 0 for h in recap}, out[-4000:]
    assert {h: c["failed"] for h, c in recap.items()} == {h: 0 for h in recap}
    first = site.rows()
    deadline = time.monotonic() + 60
    while site.rows() <= first and time.monotonic() < deadline:
        time.sleep(1)
    assert site.rows() > first, "the producer's rows stopped arriving"
