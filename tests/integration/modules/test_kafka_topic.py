# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kafka_topic driven by real ``ansible-playbook`` runs against a real Kafka broker.

Every transition runs check / real / check / real (changed, changed, unchanged, unchanged), the
broker is read back with an AdminClient after each run, and check mode must leave it untouched.
Bad inputs must fail the task with a clear message, no traceback, no secret, and no change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import KafkaException, TopicCollection  # noqa: E402
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
ANSIBLE_PLAYBOOK = str(Path(PYTHON).parent / "ansible-playbook")
MODULE = "transactions_st.realtime.kafka_topic"
SECRET = "S3cr3t-" + uuid.uuid4().hex


class Run:
    """One ansible-playbook run of one kafka_topic task: its registered result and its whole output."""

    def __init__(self, result: dict[str, Any], output: str, rc: int) -> None:
        self.result, self.output, self.rc = result, output, rc

    changed = property(lambda self: self.result.get("changed"))
    failed = property(lambda self: bool(self.result.get("failed")))
    msg = property(lambda self: str(self.result.get("msg", "")))


def run_task(workdir: Path, args: dict[str, Any], check: bool = False, verbosity: int = 0,
             group_defaults: dict[str, Any] | None = None) -> Run:
    """Write a playbook with the task (registered, errors ignored) and a copy of the result to JSON; run it.

    group_defaults: module_defaults for group/transactions_st.realtime.kafka.
    """
    run_dir = workdir / uuid.uuid4().hex[:8]
    run_dir.mkdir()
    out = run_dir / "result.json"
    play = [{"name": "kafka_topic test", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Task under test", MODULE: args, "register": "result", "ignore_errors": True},
        {"name": "Save the result", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out), "mode": "0600"},
         "check_mode": False, "diff": False},
    ]}]
    if group_defaults:
        play[0]["module_defaults"] = {"group/transactions_st.realtime.kafka": group_defaults}
    playbook = run_dir / "playbook.yml"
    playbook.write_text(json.dumps(play, indent=2))
    cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={PYTHON}",
           "--diff", str(playbook)]
    if check:
        cmd.append("--check")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCAL_TEMP=str(run_dir / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and out.exists(), f"ansible-playbook failed (rc {proc.returncode}):\n{output}"
    return Run(json.loads(out.read_text()), output, proc.returncode)


@pytest.fixture(scope="module")
def admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


def read_topic(admin: AdminClient, name: str) -> dict[str, Any] | None:
    """The topic as the broker reports it: partitions, replication factor and every config value."""
    try:
        desc = admin.describe_topics(TopicCollection([name]), request_timeout=15)[name].result()
    except KafkaException as exc:
        if exc.args[0].name() == "UNKNOWN_TOPIC_OR_PART":
            return None
        raise
    resource = ConfigResource(ResourceType.TOPIC, name)
    configs = admin.describe_configs([resource], request_timeout=15)[resource].result()
    return {"partitions": len(desc.partitions), "replication_factor": len(desc.partitions[0].replicas),
            "config": {key: entry.value for key, entry in configs.items()}}


def create_topic(admin: AdminClient, name: str, partitions: int, config: dict[str, str]) -> dict[str, Any]:
    admin.create_topics([NewTopic(name, partitions, 1, config=config)], request_timeout=15)[name].result()
    deadline = time.monotonic() + 30
    while (state := read_topic(admin, name)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state is not None
    return state


def topic_name(prefix: str) -> str:
    return f"tst-{prefix}-{uuid.uuid4().hex[:10]}"


def assert_clean(run: Run) -> None:
    text = run.output + json.dumps(run.result)
    assert "Traceback" not in text
    assert SECRET not in text


def four_steps(workdir: Path, admin: AdminClient, name: str, args: dict[str, Any]) -> list[Run]:
    """check / real / check / real; check mode must not change the broker; returns the four runs."""
    runs = []
    for check in (True, False, True, False):
        before = read_topic(admin, name)
        run = run_task(workdir, args, check=check)
        assert not run.failed, run.msg
        assert_clean(run)
        if check:
            assert read_topic(admin, name) == before, "check mode changed the topic"
        runs.append(run)
    assert [r.changed for r in runs] == [True, True, False, False], [r.result for r in runs]
    # --check --diff predicted exactly what the real run did
    assert runs[0].result["diff"] == runs[1].result["diff"]
    assert runs[0].result["operations"] == runs[1].result["operations"]
    assert runs[2].result["operations"] == runs[3].result["operations"] == []
    assert runs[2].result["diff"]["before"] == runs[2].result["diff"]["after"] == runs[1].result["diff"]["after"]
    return runs


def test_topic_lifecycle(tmp_path: Path, admin: AdminClient, kafka_bootstrap: str) -> None:
    name = topic_name("life")
    base = {"bootstrap_servers": [kafka_bootstrap], "name": name, "request_timeout": 20}

    # create (replication factor left to the broker default, which check mode predicts)
    runs = four_steps(tmp_path, admin, name, dict(base, partitions=2, config={"retention.ms": 3600000}))
    state = read_topic(admin, name)
    assert state is not None and state["partitions"] == 2 and state["replication_factor"] == 1
    assert state["config"]["retention.ms"] == "3600000"
    assert runs[1].result["diff"] == {"before": {}, "after": {
        "config": {"retention.ms": "3600000"}, "partitions": 2, "replication_factor": 1}}
    assert runs[1].result["topic"] == dict(state, name=name, exists=True)
    assert runs[1].result["operations"] == [f"create topic '{name}' with partitions=2, retention.ms=3600000"]

    # increase partitions
    runs = four_steps(tmp_path, admin, name, dict(base, partitions=5))
    after = read_topic(admin, name)
    assert after == dict(state, partitions=5)
    assert runs[1].result["diff"]["before"]["partitions"] == 2 and runs[1].result["diff"]["after"]["partitions"] == 5

    # change one config key; every other key keeps its value
    runs = four_steps(tmp_path, admin, name, dict(base, partitions=5, config={"retention.ms": 7200000, "cleanup.policy": "delete"}))
    changed = read_topic(admin, name)
    assert changed == dict(after, config=dict(after["config"], **{"retention.ms": "7200000"}))
    assert runs[1].result["diff"] == {
        "before": {"config": {"cleanup.policy": "delete", "retention.ms": "3600000"}, "partitions": 5, "replication_factor": 1},
        "after": {"config": {"cleanup.policy": "delete", "retention.ms": "7200000"}, "partitions": 5, "replication_factor": 1}}
    assert runs[1].result["operations"] == [f"set config of topic '{name}': retention.ms=7200000 (was 3600000)"]

    # absent
    runs = four_steps(tmp_path, admin, name, dict(base, state="absent"))
    assert read_topic(admin, name) is None
    assert runs[1].result["topic"] == {"name": name, "exists": False}
    assert runs[1].result["diff"]["after"] == {}


def test_connection_options_from_the_kafka_action_group(tmp_path: Path, admin: AdminClient, kafka_bootstrap: str) -> None:
    """module_defaults for group/transactions_st.realtime.kafka gives the connection options once."""
    name = topic_name("group")
    defaults = {"bootstrap_servers": [kafka_bootstrap], "request_timeout": 20}
    runs = [run_task(tmp_path, {"name": name, "partitions": 1}, check=check, group_defaults=defaults) for check in (False, False)]
    for run in runs:
        assert not run.failed, run.msg
    assert [r.changed for r in runs] == [True, False]
    state = read_topic(admin, name)
    assert state is not None and state["partitions"] == 1
    # without the group's defaults, the same task lacks its required option
    missing = run_task(tmp_path, {"name": name, "partitions": 1})
    assert missing.failed and "bootstrap_servers" in missing.msg
    run_task(tmp_path, {"name": name, "state": "absent"}, group_defaults=defaults)
    assert read_topic(admin, name) is None


@pytest.fixture
def existing_topic(admin: AdminClient) -> Any:
    name = topic_name("bad")
    state = create_topic(admin, name, 3, {"retention.ms": "86400000"})
    yield name, state
    admin.delete_topics([name], request_timeout=15)[name].result()


@pytest.mark.parametrize("check", [False, True], ids=["real", "check"])
@pytest.mark.parametrize("args, expected", [
    ({"partitions": 2}, ["partitions cannot be decreased", "has 3 partitions, 2 requested"]),
    ({"replication_factor": 2}, ["replication_factor cannot be changed", "has replication factor 1, 2 requested"]),
    ({"config": {"retention.msx": 5}}, ["unknown topic config key", "'retention.msx'", "did you mean 'retention.ms'?"]),
    ({"partitions": 6, "config": {"retention.ms": "soon"}}, ["Invalid value soon for configuration retention.ms"]),
], ids=["decrease-partitions", "change-replication", "unknown-config-key", "bad-value-with-growth"])
def test_refused_changes_leave_topic_untouched(tmp_path, admin, kafka_bootstrap, existing_topic, args, expected, check):
    name, state = existing_topic
    run = run_task(tmp_path, dict({"bootstrap_servers": [kafka_bootstrap], "name": name}, **args), check=check)
    assert run.failed
    for text in expected + ["nothing was changed"]:
        assert text in run.msg
    assert_clean(run)
    assert run.result["operations"] == []
    assert read_topic(admin, name) == state


def test_unknown_config_key_on_new_topic_creates_nothing(tmp_path, admin, kafka_bootstrap):
    name = topic_name("newbad")
    run = run_task(tmp_path, {"bootstrap_servers": [kafka_bootstrap], "name": name, "partitions": 1,
                              "config": {"retention.ms": 1000, "bogus.key": "1"}})
    assert run.failed
    assert f"unknown topic config key for topic '{name}': 'bogus.key'" in run.msg
    assert_clean(run)
    assert read_topic(admin, name) is None


@pytest.mark.parametrize("name, expected", [
    ("bad name!", "only ASCII letters, digits, '.', '_' and '-' are allowed (found ' ', '!')"),
    ("..", "'.' and '..' are not allowed"),
    ("x" * 250, "250 characters, at most 249 allowed"),
], ids=["bad-characters", "dot-dot", "too-long"])
def test_invalid_names_fail_before_connecting(tmp_path, admin, kafka_bootstrap, name, expected):
    run = run_task(tmp_path, {"bootstrap_servers": [kafka_bootstrap], "name": name, "partitions": 1})
    assert run.failed
    assert "invalid topic name" in run.msg and expected in run.msg
    assert_clean(run)
    assert run.result["operations"] == []
    assert name not in admin.list_topics(timeout=15).topics


def test_unreachable_broker_names_the_servers(tmp_path):
    run = run_task(tmp_path, {"bootstrap_servers": ["127.0.0.1:1"], "name": topic_name("nowhere"), "request_timeout": 3})
    assert run.failed
    assert "cannot reach Kafka at 127.0.0.1:1 (security_protocol PLAINTEXT) within 3 s" in run.msg
    assert "Connection refused" in run.msg
    assert_clean(run)


def test_secrets_never_shown(tmp_path, admin, kafka_bootstrap):
    """SASL against a PLAINTEXT listener fails; the password appears nowhere, even with -vvv."""
    name = topic_name("secret")
    run = run_task(tmp_path, {"bootstrap_servers": [kafka_bootstrap], "name": name, "security_protocol": "SASL_PLAINTEXT",
                              "sasl_mechanism": "PLAIN", "sasl_username": "ansible", "sasl_password": SECRET,
                              "request_timeout": 3}, verbosity=3)
    assert run.failed
    assert f"cannot reach Kafka at {kafka_bootstrap} (security_protocol SASL_PLAINTEXT)" in run.msg
    assert_clean(run)
    assert read_topic(admin, name) is None
