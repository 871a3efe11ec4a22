#!/usr/bin/env python3
"""Run the live suite against a real SingleStore and/or Grafana and print a summary (`make test-live`).

Targets come from the environment only (tests/integration/live/target.py): SINGLESTORE_HOST, _PORT,
_USER, _PASSWORD, _SSL_MODE, _CA_CERT; KAFKA_BOOTSTRAP_SERVERS; GRAFANA_URL, GRAFANA_ADMIN_USER,
GRAFANA_ADMIN_PASSWORD. With neither SINGLESTORE_HOST nor GRAFANA_URL it prints one line and exits 0,
starting and importing nothing else.

Suites:
  singlestore  pytest tests/integration/modules --live: the module tests that target the lab's
               SingleStore double, run against the real server instead (tests/conftest.py)
  site         pytest tests/integration/live --live: site.yml on inventories/live, check / run / run
  grafana      pytest tests/integration/grafana -m live: the provisioned Grafana, its data source, panels
Pipelines need a Kafka that SingleStore reads: KAFKA_BOOTSTRAP_SERVERS, else the lab's Kafka on
127.0.0.1 (started here, stopped afterwards), which only a server sharing this machine's network
reaches. A probe pipeline checks it first; without one the pipeline tests and site.yml are not run,
and the run fails saying why.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.integration.live.target import (  # noqa: E402 - needs ROOT on sys.path; stdlib only
    MIN_WATCHED,
    LiveConfigError,
    SingleStoreTarget,
    grafana_url,
    kafka_bootstrap,
    new_run_id,
    run_names,
    secret_values,
    singlestore_target,
    unwatched_secrets,
)

SUITES = ("singlestore", "site", "grafana")
NO_TARGET = ("make test-live: no live target, nothing run: set SINGLESTORE_HOST (with SINGLESTORE_PORT, SINGLESTORE_USER, "
             "SINGLESTORE_PASSWORD) and/or GRAFANA_URL (with GRAFANA_ADMIN_PASSWORD); see docs/development.md, \"Live suite\"")
PYTEST_NO_TESTS = 5
SUMMARY_LINE = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s")
MASK = "********"


@dataclass
class Outcome:
    suite: str
    status: str  # passed | failed | not run
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Step:
    suite: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def pytest_argv(*args: str) -> list[str]:
    # -v: one line per test as it ends (the runner echoes whole lines, to mask secrets in them)
    return [sys.executable, "-m", "pytest", *args, "-v", "-p", "no:cacheprovider"]


def plan(suites: list[str], target: SingleStoreTarget | None, grafana: str | None, kafka_ok: bool,
         run_id: str) -> list[Step]:
    """The pytest invocations for the chosen suites; nothing secret is ever on a command line."""
    steps: list[Step] = []
    if target is not None and "singlestore" in suites:
        switches = ["--live"] if kafka_ok else ["--live", "--live-without-kafka"]
        steps.append(Step("singlestore", pytest_argv("tests/integration/modules", *switches)))
    if target is not None and "site" in suites and kafka_ok:
        steps.append(Step("site", pytest_argv("tests/integration/live", "--live"), {"LIVE_RUN_ID": run_id}))
    if grafana and "grafana" in suites:
        steps.append(Step("grafana", pytest_argv("tests/integration/grafana", "-m", "live")))
    return steps


def stream(argv: list[str], env: Mapping[str, str], hidden: list[str]) -> tuple[int, str, bool]:
    """Run ``argv`` in the repository, echoing its output with every secret masked.

    Returns the exit code, pytest's summary line ("12 passed, 40 deselected") and whether a secret
    had to be masked (which fails the suite: the tests must never print one).
    """
    shown = " ".join(argv[1:] if argv[0] == sys.executable else argv)
    for secret in hidden:  # never on a command line by construction; masked all the same
        shown = shown.replace(secret, MASK)
    print(f"\n$ {shown}", flush=True)
    proc = subprocess.Popen(argv, cwd=ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace")
    summary, leaked = "", False
    assert proc.stdout is not None
    for line in proc.stdout:
        for secret in hidden:
            if secret in line:
                line, leaked = line.replace(secret, MASK), True
        sys.stdout.write(line)
        sys.stdout.flush()
        found = SUMMARY_LINE.match(line.strip())
        if found:
            summary = found.group(1)
    return proc.wait(), summary, leaked


def probe(target: SingleStoreTarget, bootstrap: str, run_id: str) -> str | None:
    """Can SingleStore's pipelines read ``bootstrap``? None if so, else why not (one line).

    A throwaway topic with one message, a database with one table and a pipeline on that topic
    (all named tst_live_<run id>_probe), TEST PIPELINE, then everything dropped again.
    """
    import pymysql
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

    name = run_names(run_id)["probe"]
    quiet = {"bootstrap.servers": bootstrap, "log_level": 0}  # the one-line reason replaces librdkafka's retry log
    admin = AdminClient(quiet)
    try:
        admin.list_topics(timeout=15)
        admin.create_topics([NewTopic(name, num_partitions=1)])[name].result(30)
        producer = Producer(quiet)
        producer.produce(name, b"probe")
        if producer.flush(30):
            return f"this machine could not write to Kafka at {bootstrap}"
    except KafkaException as exc:
        return f"this machine cannot use Kafka at {bootstrap}: {exc}"
    try:
        conn = pymysql.connect(**target.conn_params(), autocommit=True, connect_timeout=15)
    except pymysql.MySQLError as exc:
        _delete_topic(admin, name)
        return f"cannot connect to SingleStore at {target.address}: {exc}"
    try:
        with conn.cursor() as cur:
            try:
                try:
                    cur.execute(f"CREATE DATABASE `{name}`")
                    cur.execute(f"USE `{name}`")
                    cur.execute("CREATE TABLE probe (line TEXT)")
                except pymysql.MySQLError as exc:
                    return f"cannot create the probe database {name} on SingleStore at {target.address}: {exc}"
                try:
                    cur.execute(f"CREATE PIPELINE p AS LOAD DATA KAFKA '{bootstrap}/{name}' INTO TABLE probe")
                    cur.execute("TEST PIPELINE p LIMIT 1")
                    cur.fetchall()
                except pymysql.MySQLError as exc:
                    return f"SingleStore at {target.address} cannot read Kafka at {bootstrap}: {exc}"
            finally:
                for statement in (f"DROP PIPELINE IF EXISTS `{name}`.p", f"DROP DATABASE IF EXISTS `{name}`"):
                    try:
                        cur.execute(statement)
                    except pymysql.MySQLError as exc:
                        print(f"make test-live: could not clean up the probe ({statement}): {exc}", flush=True)
    finally:
        conn.close()
        _delete_topic(admin, name)
    return None


def _delete_topic(admin: Any, name: str) -> None:
    try:
        admin.delete_topics([name])[name].result(30)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        print(f"make test-live: could not delete the probe topic {name}: {exc}", flush=True)


class LabKafka:
    """The lab's Kafka, started here when nobody runs it, stopped at the end if started here."""

    def __init__(self) -> None:
        from tests.lab.api import Lab
        from tests.lab.core import Context

        self.lab = Lab(Context.from_env())

    def start(self) -> str:
        self.lab.start(["kafka"])
        return str(self.lab.service("kafka").bootstrap)

    def stop(self) -> None:
        if self.lab.launched and not os.environ.get("LAB_KEEP"):
            self.lab.stop(self.lab.launched)


def summarize(outcomes: list[Outcome], notes: list[str]) -> int:
    print("\n" + "=" * 60 + "\nLive suite summary")
    for note in notes:
        print(f"  {note}")
    width = max([len(o.suite) for o in outcomes] + [5])
    for o in outcomes:
        print(f"  {o.suite:<{width}}  {o.status:<8}  {o.seconds:7.1f}s  {o.detail}")
    passed = sum(o.status == "passed" for o in outcomes)
    failed = sum(o.status != "passed" for o in outcomes)
    print(f"suites: {passed} passed, {failed} failed or not run")
    return 1 if failed else 0


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None,
         run: Callable[[list[str], Mapping[str, str], list[str]], tuple[int, str, bool]] = stream,
         check_kafka: Callable[[SingleStoreTarget, str, str], str | None] = probe,
         lab_kafka: Callable[[], Any] = LabKafka) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", choices=SUITES, help="run only these suites (default: all with a target)")
    args = parser.parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    try:
        target, grafana, given_kafka = singlestore_target(env), grafana_url(env), kafka_bootstrap(env)
        if target is None and grafana is None:
            print(NO_TARGET)
            return 0
        run_id = env.get("LIVE_RUN_ID") or new_run_id()
        run_names(run_id)  # refuses a malformed LIVE_RUN_ID before anything is created
    except LiveConfigError as exc:
        print(f"make test-live: {exc}")
        return 2

    suites = args.suite or list(SUITES)
    hidden = secret_values(env)
    outcomes: list[Outcome] = []
    notes: list[str] = []
    if target is not None:
        notes.append(f"run id {run_id}: everything created is named tst_live_{run_id}* and dropped at the end")
    short = unwatched_secrets(env)
    if short:
        notes.append(f"{', '.join(short)} shorter than {MIN_WATCHED} characters: the output is not checked for it")
    lab = None
    try:
        kafka_ok = False
        if target is not None and {"singlestore", "site"} & set(suites):
            notes.append(f"SingleStore {target.address} as {target.user}, ssl_mode {target.ssl_mode}")
            if given_kafka:
                bootstrap = given_kafka
                notes.append(f"Kafka {bootstrap} (KAFKA_BOOTSTRAP_SERVERS)")
            else:
                lab = lab_kafka()
                bootstrap = lab.start()
                notes.append(f"Kafka {bootstrap}: the lab's; SingleStore reaches it only if it shares this machine's "
                             "network (set KAFKA_BOOTSTRAP_SERVERS otherwise)")
            began = time.monotonic()
            reason = check_kafka(target, bootstrap, run_id)
            kafka_ok = reason is None
            outcomes.append(Outcome("kafka-probe", "passed" if kafka_ok else "failed", time.monotonic() - began,
                                    "a pipeline on the server read a topic" if kafka_ok else str(reason)))
            if not kafka_ok:
                notes.append("pipeline tests and site.yml not run: " + str(reason))
        for step in plan(suites, target, grafana, kafka_ok, run_id):
            began = time.monotonic()
            rc, summary, leaked = run(step.argv, {**env, **step.env}, hidden)
            status = "passed" if rc == 0 else "failed"
            detail = summary or ("no test selected" if rc == PYTEST_NO_TESTS else f"exit code {rc}")
            if leaked:
                status, detail = "failed", detail + "; a secret was in the output (masked above)"
            outcomes.append(Outcome(step.suite, status, time.monotonic() - began, detail))
        if target is not None and "site" in suites and not kafka_ok:
            outcomes.append(Outcome("site", "not run", 0.0, "no Kafka the SingleStore server reads (kafka-probe)"))
    finally:
        if lab is not None:
            lab.stop()
    return summarize(outcomes, notes)


if __name__ == "__main__":
    sys.exit(main())
