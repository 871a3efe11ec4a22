"""site.yml with stack_provision_helios on a dev-like lab inventory (issue 15): the EC2 host on the lab's moto,
the Helios workspace group and workspace on the lab's Management API stand-in (tests/lab/helios), the SQL side on
the SingleStore test double (the stand-in's /_lab knob points the workspace's endpoint at it).

One sequence, in file order (each test is one step of the idiom, one playbook run each):
check mode on nothing -> first run -> site with the fed endpoint -> second run changed=0 -> check mode changed=0
and no write -> suspend.yml -> resume.yml (pipelines running again from the recorded offsets) -> resume's check failing on a
cursor behind the recorded offset -> teardown refused
without the confirmation -> teardown with it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import boto3
import pymysql
import pytest
from confluent_kafka import Producer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
INVENTORY = Path(__file__).resolve().parent / "inventory"
REGION = "us-east-1"
OPERATOR = "203.0.113.7/32"
EXTRA = "198.51.100.0/28"
DATABASE = "tst_helios"
TOPIC = "tst_helios_msgs"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}
RECAP = re.compile(r"^(\S+)\s+:\s+(ok=.*)$", re.M)


@dataclass
class Stack:
    """One run's names and handles: everything it creates carries a random suffix."""

    helios: Any
    moto_url: str
    lab_env: dict[str, str]
    conn_params: dict[str, Any]
    variables: dict[str, Any]
    admin_password: str
    offsets_file: Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def group_name(self) -> str:
        return str(self.variables["helios_workspace_group_name"])

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SINGLESTOREDB_"))}
        env.update(self.lab_env)
        env.update(
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_DEPRECATION_WARNINGS="0",
            AWS_CONFIG_FILE="/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
            AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=REGION,
            # The modules' environment fallbacks: nothing secret on a command line.
            SINGLESTOREDB_API_KEY=self.helios.api_key, SINGLESTOREDB_MANAGEMENT_BASE_URL=self.helios.url,
            HELIOS_IT_ADMIN_PASSWORD=self.admin_password,
        )
        return env

    def play(self, playbook: str, *args: str, extra: dict[str, Any] | None = None) -> tuple[int, str, dict]:
        cmd = [ANSIBLE_PLAYBOOK, playbook, "-i", str(INVENTORY), "-e", json.dumps({**self.variables, **(extra or {})},),
               *args]
        proc = subprocess.run(cmd, cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=600)
        out = proc.stdout + proc.stderr
        for secret in (self.helios.api_key, self.admin_password):
            assert secret not in out, f"{playbook} printed a secret"
        recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
                 for m in RECAP.finditer(out)}
        return proc.returncode, out, recap

    def api(self, path: str) -> Any:
        request = Request(self.helios.url.rstrip("/") + path, headers={"Authorization": f"Bearer {self.helios.api_key}"})
        with urlopen(request, timeout=10) as response:  # noqa: S310 - the lab's 127.0.0.1 stand-in
            return json.loads(response.read() or b"null")

    def groups(self) -> list[dict[str, Any]]:
        return [g for g in self.api("/v1/workspaceGroups") if g["name"] == self.group_name]

    def workspaces(self, group_id: str) -> list[dict[str, Any]]:
        return list(self.api(f"/v1/workspaces?workspaceGroupID={group_id}"))

    def writes(self) -> list[dict[str, str]]:
        return [r for r in self.helios.requests() if r["method"] in WRITES and not r["path"].startswith("/_lab")]

    def instances(self) -> list[dict[str, Any]]:
        client = boto3.client("ec2", endpoint_url=self.moto_url, region_name=REGION,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        f = [{"Name": "tag:Project", "Values": [self.variables["ec2_stack_project"]]},
             {"Name": "tag:Environment", "Values": [self.variables["ec2_stack_environment"]]}]
        return [i for r in client.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]
                if i["State"]["Name"] != "terminated"]

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with pymysql.connect(**self.conn_params, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall())


def changed(recap: dict[str, dict[str, int]]) -> dict[str, int]:
    return {host: counts["changed"] for host, counts in recap.items()}


def changed_tasks(out: str) -> list[str]:
    """The TASK lines followed by a `changed:` result, to say what a run that should change nothing changed."""
    tasks, current = [], ""
    for line in out.splitlines():
        if line.startswith("TASK ["):
            current = line
        elif line.startswith("changed:"):
            tasks.append(f"{current} {line}")
    return tasks


def drop_database(conn_params: dict[str, Any]) -> None:
    with pymysql.connect(**conn_params, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (DATABASE,))
        if cur.fetchone():
            cur.execute(f"USE {DATABASE}")
            cur.execute("SHOW PIPELINES")
            for name, *_rest in cur.fetchall():
                cur.execute(f"DROP PIPELINE {name}")
            cur.execute(f"DROP DATABASE {DATABASE}")


@pytest.fixture(scope="module")
def stack(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    lab.require("mariadb", "double", "kafka", "moto", "helios")
    # The lab's handle itself: the `helios` fixture is per test, this sequence spans the module.
    helios = lab.helios
    helios.reset()
    helios.configure(delay=0.1)
    tmp = tmp_path_factory.mktemp("helios")
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp / "id_ed25519.pub").write_text(public.decode() + " pytest\n")
    suffix = uuid.uuid4().hex[:8]
    region = next(r for r in helios_regions(helios) if r.get("provider") == "AWS")
    s = Stack(
        helios=helios, moto_url=lab.moto_url, lab_env=dict(lab.env()), conn_params=lab.double_conn_params,
        variables={
            "ec2_stack_aws_endpoint_url": lab.moto_url,
            "ec2_stack_project": f"tst-helios-{suffix}",
            "ec2_stack_environment": f"env{suffix}",
            "ec2_stack_public_key_file": str(tmp / "id_ed25519.pub"),
            "helios_workspace_group_name": f"tst-helios-{suffix}",
            "helios_workspace_name": f"ws-{suffix}",
            "helios_region_id": region["regionID"],
            "helios_offsets_file": str(tmp / "offsets.json"),
        },
        admin_password="Aa1-" + secrets.token_urlsafe(16),
        offsets_file=tmp / "offsets.json",
    )
    drop_database(s.conn_params)
    yield s
    if s.instances() or s.groups():
        s.play("playbooks/teardown_ec2.yml",
               extra={"stack_teardown_helios": True, "helios_teardown_confirm": s.group_name})
    drop_database(s.conn_params)


def helios_regions(helios: Any) -> list[dict[str, Any]]:
    request = Request(helios.url.rstrip("/") + "/v1/regions", headers={"Authorization": f"Bearer {helios.api_key}"})
    with urlopen(request, timeout=10) as response:  # noqa: S310 - the lab's 127.0.0.1 stand-in
        return list(json.loads(response.read()))


def test_check_mode_on_nothing_predicts_and_sends_no_write(stack: Stack) -> None:
    rc, out, recap = stack.play("site.yml", "--check", "--diff", "--tags", "ec2,helios")
    assert rc == 0, out[-4000:]
    assert changed(recap)["localhost"] > 0, out[-4000:]
    assert "would be created in it as well" in out
    assert stack.writes() == [], stack.writes()
    assert stack.groups() == [] and stack.instances() == []


def test_first_run_creates_group_and_workspace_with_the_firewall(stack: Stack) -> None:
    rc, out, recap = stack.play("site.yml", "--tags", "ec2,helios")
    assert rc == 0, out[-4000:]
    assert changed(recap)["localhost"] > 0
    [group] = stack.groups()
    [instance] = stack.instances()
    assert group["state"] == "ACTIVE"
    assert sorted(group["firewallRanges"]) == sorted([f"{instance['PublicIpAddress']}/32", OPERATOR, EXTRA])
    [workspace] = stack.workspaces(group["workspaceGroupID"])
    assert workspace["name"] == stack.variables["helios_workspace_name"] and workspace["state"] == "ACTIVE"
    stack.ids.update(group=group["workspaceGroupID"], workspace=workspace["workspaceID"])
    # From here on the workspace's endpoint is the lab's SingleStore test double.
    stack.helios.set_endpoint(workspace["workspaceID"], "127.0.0.1")


def test_site_feeds_the_workspace_endpoint_to_the_singlestore_role(stack: Stack) -> None:
    rc, out, recap = stack.play("site.yml", "--skip-tags", "smoke")
    assert rc == 0, out[-4000:]
    assert changed(recap)["localhost"] == 0, changed_tasks(out)  # EC2 and Helios converged by the first run
    assert changed(recap)["controller"] > 0
    # The inventory's login host does not resolve: the schema exists only if the endpoint was fed.
    assert stack.sql(f"SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{DATABASE}'") == [(1,)]


def test_second_run_changes_nothing(stack: Stack) -> None:
    rc, out, recap = stack.play("site.yml", "--skip-tags", "smoke")
    assert rc == 0, out[-4000:]
    assert changed(recap) == {host: 0 for host in recap}, changed_tasks(out)


def test_check_mode_on_the_converged_stack_changes_nothing_and_sends_no_write(stack: Stack) -> None:
    before = len(stack.writes())
    rc, out, recap = stack.play("site.yml", "--check", "--diff", "--skip-tags", "smoke")
    assert rc == 0, out[-4000:]
    assert changed(recap) == {host: 0 for host in recap}, changed_tasks(out)
    assert len(stack.writes()) == before, stack.writes()[before:]


def test_suspend_records_offsets_suspends_the_workspace_and_stops_the_host(stack: Stack) -> None:
    producer = Producer({"bootstrap.servers": stack.lab_env["LAB_KAFKA_BOOTSTRAP"]})
    for n in range(20):
        producer.produce(TOPIC, f"m{n}".encode(), partition=n % 2)
    assert producer.flush(10) == 0
    rc, out, recap = stack.play("playbooks/suspend.yml")
    assert rc == 0, out[-4000:]
    assert changed(recap)["localhost"] > 0
    [workspace] = stack.workspaces(stack.ids["group"])
    assert workspace["state"] == "SUSPENDED"
    assert [i["State"]["Name"] for i in stack.instances()] == ["stopped"]
    recorded = json.loads(stack.offsets_file.read_text())
    assert set(recorded[f"{DATABASE}.helios_msgs"]["cursors"]) == {"0", "1"}, recorded


def test_resume_brings_everything_back_with_offsets_intact(stack: Stack) -> None:
    rc, out, recap = stack.play("playbooks/resume.yml", "--skip-tags", "smoke")
    assert rc == 0, out[-4000:]
    [workspace] = stack.workspaces(stack.ids["group"])
    assert workspace["state"] == "ACTIVE"
    assert [i["State"]["Name"] for i in stack.instances()] == ["running"]
    assert "pipeline(s) running again from their recorded offsets" in out
    # The group's firewall follows the host's (possibly new) public address.
    [group] = stack.groups()
    [instance] = stack.instances()
    assert f"{instance['PublicIpAddress']}/32" in group["firewallRanges"]


def test_resume_fails_naming_the_partition_whose_cursor_went_back(stack: Stack) -> None:
    # A recorded offset beyond the pipeline's cursor is what a reset to the earliest offsets would look like.
    recorded = json.loads(stack.offsets_file.read_text())
    recorded[f"{DATABASE}.helios_msgs"]["cursors"]["0"] = 10**12
    stack.offsets_file.write_text(json.dumps(recorded))
    rc, out, _recap = stack.play("playbooks/resume.yml", "--tags", "helios_resume",
                                 extra={"helios_resume_retries": 1, "helios_resume_delay": 1})
    assert rc != 0, out[-4000:]
    assert f"{DATABASE}.helios_msgs partition 0: cursor" in out and "recorded 1000000000000" in out, out[-4000:]


def test_helios_teardown_refuses_without_the_confirmation(stack: Stack) -> None:
    before = len(stack.writes())
    rc, out, _recap = stack.play("playbooks/teardown_ec2.yml", "--tags", "helios_teardown",
                                 extra={"stack_teardown_helios": True})
    assert rc != 0 and f"helios_teardown_confirm={stack.group_name}" in out, out[-4000:]
    assert len(stack.writes()) == before and len(stack.groups()) == 1


def test_helios_teardown_with_the_confirmation_terminates_workspace_and_group(stack: Stack) -> None:
    extra = {"stack_teardown_helios": True, "helios_teardown_confirm": stack.group_name}
    rc, out, recap = stack.play("playbooks/teardown_ec2.yml", extra=extra)
    assert rc == 0, out[-4000:]
    assert stack.groups() == [] and stack.instances() == []
    rc, out, recap = stack.play("playbooks/teardown_ec2.yml", "--tags", "helios_teardown", extra=extra)
    assert rc == 0 and changed(recap) == {host: 0 for host in recap}, out[-4000:]
