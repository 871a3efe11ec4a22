"""scripts/run_live.py (make test-live) and the live targets it reads, without any server.

The runner's collaborators (the subprocess runner, the Kafka probe, the lab's Kafka) are replaced by
recorders, so these tests see exactly which pytest invocations a set of variables leads to.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

import pytest

from tests.integration.live.target import run_names, secret_values, singlestore_target

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("run_live", ROOT / "scripts" / "run_live.py")
assert SPEC and SPEC.loader
run_live = importlib.util.module_from_spec(SPEC)
sys.modules["run_live"] = run_live  # dataclasses look their module up there
SPEC.loader.exec_module(run_live)

PASSWORD = "S3cret-live-pw"
SINGLESTORE = {"SINGLESTORE_HOST": "10.1.2.3", "SINGLESTORE_PORT": "3307", "SINGLESTORE_USER": "admin",
               "SINGLESTORE_PASSWORD": PASSWORD}


class Recorder:
    """Stands in for the subprocess runner, the probe and the lab's Kafka; fails the test on an unexpected call."""

    def __init__(self, rc: int = 0, probe: str | None = None, output: str = "") -> None:
        self.calls: list[tuple[list[str], dict[str, str], list[str]]] = []
        self.probes: list[tuple[Any, str, str]] = []
        self.lab_started = self.lab_stopped = 0
        self.rc, self.probe_answer, self.output = rc, probe, output

    def run(self, argv: list[str], env: Mapping[str, str], hidden: list[str]) -> tuple[int, str, bool]:
        self.calls.append((argv, dict(env), hidden))
        return self.rc, "3 passed, 2 deselected", any(h in self.output for h in hidden)

    def check_kafka(self, target: Any, bootstrap: str, run_id: str) -> str | None:
        self.probes.append((target, bootstrap, run_id))
        return self.probe_answer

    def lab(self) -> Any:
        recorder = self

        class Kafka:
            def start(self) -> str:
                recorder.lab_started += 1
                return "127.0.0.1:46092"

            def stop(self) -> None:
                recorder.lab_stopped += 1

        return Kafka()

    def main(self, env: dict[str, str], *argv: str) -> int:
        return run_live.main(list(argv), environ=env, run=self.run, check_kafka=self.check_kafka, lab_kafka=self.lab)

    def suites(self) -> list[list[str]]:
        return [argv[3:] for argv, _, _ in self.calls]  # after python -m pytest


def test_no_target_prints_one_line_starts_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    rec = Recorder()
    assert rec.main({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "SINGLESTORE_HOST" in out and "GRAFANA_URL" in out, out
    assert rec.calls == [] and rec.probes == [] and rec.lab_started == 0


def test_no_target_through_make_with_the_system_python() -> None:
    """The Makefile runs the no-target path with python3 before anything is installed: stdlib only."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    proc = subprocess.run([sys.executable, "-S", "-I", str(ROOT / "scripts" / "run_live.py")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("make test-live: no live target") and proc.stdout.count("\n") == 1
    assert proc.stderr == ""


def test_singlestore_without_kafka_uses_the_lab_kafka_probe_then_modules_and_site(capsys) -> None:
    rec = Recorder()
    assert rec.main(dict(SINGLESTORE)) == 0
    assert rec.lab_started == 1 and rec.lab_stopped == 1
    target, bootstrap, run_id = rec.probes[0]
    assert (target.host, target.port, target.user) == ("10.1.2.3", 3307, "admin") and bootstrap == "127.0.0.1:46092"
    assert rec.suites() == [["tests/integration/modules", "--live", "-v", "-p", "no:cacheprovider"],
                            ["tests/integration/live", "--live", "-v", "-p", "no:cacheprovider"]]
    site_env = rec.calls[1][1]
    assert site_env["LIVE_RUN_ID"] == run_id and run_names(run_id)["database"] == f"tst_live_{run_id}"
    assert "KAFKA_BOOTSTRAP_SERVERS" not in site_env  # the fixtures use the lab's Kafka, same LAB_STATE_DIR
    for argv, _env, hidden in rec.calls:
        assert PASSWORD not in " ".join(argv) and hidden == [PASSWORD]
    out = capsys.readouterr().out
    assert "shares this machine's network" in out and PASSWORD not in out
    assert "suites: 3 passed, 0 failed or not run" in out


def test_given_kafka_starts_no_lab_and_is_probed() -> None:
    rec = Recorder()
    assert rec.main(dict(SINGLESTORE, KAFKA_BOOTSTRAP_SERVERS="kafka.example:9092")) == 0
    assert rec.lab_started == 0 and rec.probes[0][1] == "kafka.example:9092"
    assert [s[0] for s in rec.suites()] == ["tests/integration/modules", "tests/integration/live"]


def test_unreachable_kafka_runs_modules_without_pipelines_and_fails(capsys) -> None:
    rec = Recorder(probe="SingleStore at 10.1.2.3:3307 cannot read Kafka at 127.0.0.1:46092: error 1933")
    assert rec.main(dict(SINGLESTORE)) == 1
    assert rec.suites() == [["tests/integration/modules", "--live", "--live-without-kafka", "-v", "-p", "no:cacheprovider"]]
    out = capsys.readouterr().out
    assert re.search(r"^  site\s+not run\s", out, re.M) and re.search(r"^  kafka-probe\s+failed\s", out, re.M), out
    assert "pipeline tests and site.yml not run: SingleStore at 10.1.2.3:3307 cannot read Kafka" in out
    assert rec.lab_stopped == 1


def test_grafana_only_runs_the_grafana_live_tests() -> None:
    rec = Recorder()
    assert rec.main({"GRAFANA_URL": "http://127.0.0.1:3000", "GRAFANA_ADMIN_PASSWORD": "Graf-admin-pw"}) == 0
    assert rec.suites() == [["tests/integration/grafana", "-m", "live", "-v", "-p", "no:cacheprovider"]]
    assert rec.probes == [] and rec.lab_started == 0 and rec.calls[0][2] == ["Graf-admin-pw"]


def test_suite_option_and_failures_give_a_non_zero_exit(capsys) -> None:
    rec = Recorder(rc=1)
    assert rec.main(dict(SINGLESTORE, GRAFANA_URL="http://g:3000"), "--suite", "grafana") == 1
    assert [s[0] for s in rec.suites()] == ["tests/integration/grafana"] and rec.probes == []
    assert re.search(r"^  grafana\s+failed\s", capsys.readouterr().out, re.M)


def test_a_secret_in_the_output_fails_the_suite(capsys) -> None:
    rec = Recorder(output=f"password={PASSWORD}")
    assert rec.main(dict(SINGLESTORE, KAFKA_BOOTSTRAP_SERVERS="k:9092"), "--suite", "singlestore") == 1
    assert "a secret was in the output" in capsys.readouterr().out


@pytest.mark.parametrize("env, fragment", [
    ({"SINGLESTORE_HOST": "h", "SINGLESTORE_PORT": "33o6"}, "SINGLESTORE_PORT='33o6' is not a TCP port"),
    ({"SINGLESTORE_HOST": "h", "SINGLESTORE_SSL_MODE": "on"}, "SINGLESTORE_SSL_MODE='on' is not one of"),
    ({"SINGLESTORE_HOST": "h", "SINGLESTORE_SSL_MODE": "verify_identity"}, "needs SINGLESTORE_CA_CERT"),
    ({"SINGLESTORE_HOST": "h", "SINGLESTORE_CA_CERT": "/nonexistent.pem"}, "is not a file"),
    ({"SINGLESTORE_HOST": "h", "KAFKA_BOOTSTRAP_SERVERS": "kafka"}, "'kafka' is not host:port"),
    ({"GRAFANA_URL": "grafana:3000"}, "is not an http(s) URL"),
    ({"SINGLESTORE_HOST": "h", "LIVE_RUN_ID": "../x"}, "is not r<8 hex digits>"),
])
def test_bad_variables_stop_before_anything(env, fragment, capsys) -> None:
    rec = Recorder()
    assert rec.main(env) == 2
    out = capsys.readouterr().out
    assert fragment in out and out.count("\n") == 1, out
    assert rec.calls == [] and rec.probes == [] and rec.lab_started == 0


def test_stream_masks_secrets_and_reads_the_pytest_summary(capsys) -> None:
    code = "print('login with S3cret-live-pw'); print('===== 4 passed, 1 deselected in 2.50s =====')"
    rc, summary, leaked = run_live.stream([sys.executable, "-c", code], {"PATH": "/usr/bin:/bin"}, [PASSWORD])
    out = capsys.readouterr().out
    assert rc == 0 and leaked and summary == "4 passed, 1 deselected"
    assert PASSWORD not in out and "login with ********" in out


def test_target_tls_translation(tmp_path: Path) -> None:
    ca = tmp_path / "bundle.pem"
    ca.write_text("x")
    base = {"SINGLESTORE_HOST": "svc-1.aws.singlestore.com", "SINGLESTORE_PASSWORD": PASSWORD}
    t = singlestore_target(dict(base, SINGLESTORE_SSL_MODE="verify_identity", SINGLESTORE_CA_CERT=str(ca)))
    assert t and t.conn_params()["ssl"] == {"ca": str(ca), "check_hostname": True} and t.user == "admin" and t.port == 3306
    assert t.login_options()["ssl_mode"] == "verify_identity" and t.login_options()["ca_cert"] == str(ca)
    t = singlestore_target(dict(base, SINGLESTORE_SSL_MODE="required"))
    assert t and t.conn_params()["ssl"]["check_hostname"] is False and "ca_cert" not in t.login_options()
    assert "ssl" not in singlestore_target(base).conn_params()  # preferred: PyMySQL's default, as the modules do
    assert singlestore_target(dict(base, SINGLESTORE_SSL_MODE="disabled")).conn_params()["ssl_disabled"] is True
    assert singlestore_target({}) is None


def test_login_options_of_the_module_tests_follow_the_target_tls(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "integration" / "modules"))
    try:
        from _ansible import login_options
    finally:
        sys.path.pop(0)
    ca = tmp_path / "bundle.pem"
    ca.write_text("x")
    for mode in ("disabled", "preferred", "required", "verify_ca", "verify_identity"):
        env = {"SINGLESTORE_HOST": "h", "SINGLESTORE_SSL_MODE": mode}
        if mode.startswith("verify"):
            env["SINGLESTORE_CA_CERT"] = str(ca)
        target = singlestore_target(env)
        assert target is not None
        # preferred is the modules' default: the helper leaves it out, the target states it
        assert {"ssl_mode": "preferred", **login_options(target.conn_params())} == target.login_options(), mode


def test_short_secrets_are_not_watched() -> None:
    assert secret_values({"SINGLESTORE_PASSWORD": "root", "GRAFANA_ADMIN_PASSWORD": "long-enough"}) == ["long-enough"]


def _pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SINGLESTORE_", "KAFKA_", "GRAFANA_"))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_live_selection_keeps_only_tests_that_target_a_server() -> None:
    """Collection only (no fixture runs, nothing is contacted): which tests --live would run."""
    proc = _pytest("tests/integration/modules", "tests/integration/live", "--live", "--collect-only", "-q",
                   env=dict(SINGLESTORE, KAFKA_BOOTSTRAP_SERVERS="kafka.example:9092"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    assert ids and all("test_singlestore_" in i or "tests/integration/live/" in i for i in ids), ids
    assert not [i for i in ids if "[double" in i], "the [double] cases must give way to the [live] ones"
    assert not [i for i in ids if "restart" in i or "test_unreachable_broker" in i], "tests that use the lab itself"
    assert any("test_site_live.py" in i for i in ids) and any("test_seed_retails_kafka_consumer" in i for i in ids)
    assert "live: " in proc.stdout and "left out: does not target SingleStore" in proc.stdout

    without = _pytest("tests/integration/modules", "--live", "--live-without-kafka", "--collect-only", "-q", env=dict(SINGLESTORE))
    kept = [line for line in without.stdout.splitlines() if "::" in line]
    assert kept and not [i for i in kept if "pipeline" in i], kept


def test_without_live_nothing_changes() -> None:
    proc = _pytest("tests/integration", "--collect-only", "-q", env={})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tests/integration/live" not in proc.stdout and "left out" not in proc.stdout
    assert "[double" in proc.stdout  # the double cases run as before
    refused = _pytest("tests/integration/modules", "--live", "--collect-only", "-q", env={})
    assert refused.returncode != 0 and "--live needs SINGLESTORE_HOST" in refused.stderr


def test_live_inventory_reads_the_environment_and_names_everything_after_the_run() -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SINGLESTORE_", "KAFKA_"))},
           **SINGLESTORE, "SINGLESTORE_SSL_MODE": "required", "KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
           "LIVE_RUN_ID": "r0123abcd", "LIVE_READER_PASSWORD": "Reader-pw-123", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    shown = "{{ [singlestore_login_host, singlestore_login_port, singlestore_login_user, singlestore_ssl_mode,"
    shown += " stack_kafka_bootstrap_servers, kafka_topics | map(attribute='name'), singlestore_databases | map(attribute='name'),"
    shown += " singlestore_grafana_user, singlestore_pipelines | map(attribute='kafka.topic'), producer_topic] }}"
    ansible = str(Path(sys.executable).parent / "ansible")
    proc = subprocess.run([ansible, "live-controller", "-i", "inventories/live", "-m", "ansible.builtin.debug", "-a", f"msg={shown}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for expected in ("10.1.2.3", "3307", "admin", "required", "kafka.example:9092", "tst_live_r0123abcd_retails", "test",
                     "tst_live_r0123abcd_reader"):
        assert expected in proc.stdout, (expected, proc.stdout)
    assert PASSWORD not in proc.stdout + proc.stderr and "Reader-pw-123" not in proc.stdout + proc.stderr
    missing = subprocess.run([ansible, "live-controller", "-i", "inventories/live", "-m", "ansible.builtin.debug", "-a",
                              "msg={{ singlestore_databases }}"], cwd=ROOT, env={k: v for k, v in env.items() if k != "LIVE_RUN_ID"},
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "LIVE_RUN_ID is not set" in missing.stdout + missing.stderr
