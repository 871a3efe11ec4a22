"""playbooks/provision_ec2.yml and playbooks/teardown_ec2.yml: real ansible-playbook runs against the lab's moto.

Each test uses its own Project/Environment tags, so tests (and earlier runs) never see each other's
resources. The public addresses moto hands out look real: nothing here connects to them
(ec2_stack_wait_for_ssh is off, and the only play on the new host runs `debug`, which needs no connection).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
INVENTORY = Path(__file__).resolve().parent / "inventory.yml"
PROVISION = REPO / "playbooks" / "provision_ec2.yml"
TEARDOWN = REPO / "playbooks" / "teardown_ec2.yml"
REGION = "us-east-1"
OPERATOR = "203.0.113.7/32"
SINGLESTORE = ["198.51.100.0/28", "192.0.2.10/32"]
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
    r"failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)",
    re.MULTILINE,
)
# Resources provision creates: VPC, subnet, internet gateway, route table, security group, key pair, instance.
RESOURCES = 7


@dataclass
class Run:
    rc: int
    output: str
    recap: dict[str, dict[str, int]]
    seconds: float

    @property
    def changed(self) -> int:
        return self.recap["localhost"]["changed"]

    def ok(self) -> Run:
        assert self.rc == 0 and self.recap.get("localhost", {}).get("failed") == 0, self.output[-6000:]
        return self


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_env(credentials: bool = True, region: bool = True) -> dict[str, str]:
    """The environment of an ansible-playbook run: no AWS settings of the caller leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        # No shared files, no instance metadata: the environment is the only source of credentials.
        AWS_CONFIG_FILE="/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    if region:
        env["AWS_REGION"] = REGION
    return env


def run(playbook: Path | str, extra_vars: dict[str, Any], *args: str, env: dict[str, str] | None = None) -> Run:
    cmd = [ANSIBLE_PLAYBOOK, str(playbook), "-i", str(INVENTORY), "-e", json.dumps(extra_vars), *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env or aws_env(), capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - start
    output = proc.stdout + proc.stderr
    recap = {m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"} for m in RECAP.finditer(output)}
    return Run(proc.returncode, output, recap, seconds)


def ec2(moto_url: str) -> Any:
    return boto3.client("ec2", endpoint_url=moto_url, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def tagged(client: Any, project: str, environment: str) -> dict[str, list[Any]]:
    """Everything in the account that carries the stack's Project and Environment tags (live instances only)."""
    f = [{"Name": "tag:Project", "Values": [project]}, {"Name": "tag:Environment", "Values": [environment]}]
    instances = [i for r in client.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]
                 if i["State"]["Name"] != "terminated"]
    return {
        "vpcs": client.describe_vpcs(Filters=f)["Vpcs"],
        "subnets": client.describe_subnets(Filters=f)["Subnets"],
        "internet_gateways": client.describe_internet_gateways(Filters=f)["InternetGateways"],
        "route_tables": client.describe_route_tables(Filters=f)["RouteTables"],
        "security_groups": client.describe_security_groups(Filters=f)["SecurityGroups"],
        "key_pairs": client.describe_key_pairs(Filters=f)["KeyPairs"],
        "instances": instances,
        "volumes": [v for v in client.describe_volumes(Filters=f)["Volumes"] if v["State"] != "deleted"],
    }


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


@dataclass
class Stack:
    project: str
    environment: str
    variables: dict[str, Any]
    public_key: str
    private_key_file: Path

    @property
    def name(self) -> str:
        return f"{self.project}-{self.environment}"


@pytest.fixture
def stack(moto_url: str, tmp_path: Path) -> Iterator[Stack]:
    """Variables of a stack with its own tags and key pair; whatever a test leaves behind is torn down."""
    suffix = uuid.uuid4().hex[:8]
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    public_file = tmp_path / "id_ed25519.pub"
    public_file.write_text(public.decode() + " pytest\n")
    private_file = tmp_path / "id_ed25519"
    private_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                               serialization.NoEncryption()))
    private_file.chmod(0o600)
    s = Stack(
        project=f"tst-it-{suffix}", environment=f"env{suffix}",
        variables={
            "ec2_stack_aws_endpoint_url": moto_url,
            "ec2_stack_project": f"tst-it-{suffix}",
            "ec2_stack_environment": f"env{suffix}",
            "ec2_stack_operator_cidr": OPERATOR,
            # The operator's CIDR repeated here must not give a duplicate rule.
            "ec2_stack_kafka_allowed_cidrs": [*SINGLESTORE, OPERATOR],
            "ec2_stack_public_key_file": str(public_file),
            "ec2_stack_ami_id": "ami-0123456789abcdef0",
            "ec2_stack_wait_for_ssh": False,
        },
        public_key=public.decode(),
        private_key_file=private_file,
    )
    yield s
    if any(tagged(ec2(moto_url), s.project, s.environment).values()):
        run(TEARDOWN, s.variables)


def assert_nothing_tagged(moto_url: str, s: Stack) -> None:
    left = {kind: items for kind, items in tagged(ec2(moto_url), s.project, s.environment).items() if items}
    assert not left, f"resources with Project={s.project} Environment={s.environment} remain: {left}"


def assert_stack(moto_url: str, s: Stack) -> dict[str, Any]:
    """boto3's view of a provisioned stack, checked against what the role promises."""
    client = ec2(moto_url)
    found = tagged(client, s.project, s.environment)
    for kind in ("vpcs", "subnets", "internet_gateways", "route_tables", "security_groups", "key_pairs", "instances"):
        assert len(found[kind]) == 1, (kind, found[kind])
        assert tags_of(found[kind][0])["Project"] == s.project
        assert tags_of(found[kind][0])["Environment"] == s.environment
    vpc, subnet, igw = found["vpcs"][0], found["subnets"][0], found["internet_gateways"][0]
    rtb, sg, key, inst = found["route_tables"][0], found["security_groups"][0], found["key_pairs"][0], found["instances"][0]

    assert tags_of(vpc)["Name"] == s.name and vpc["CidrBlock"] == "10.42.0.0/16"
    assert subnet["VpcId"] == vpc["VpcId"] and subnet["CidrBlock"] == "10.42.1.0/24" and subnet["MapPublicIpOnLaunch"]
    assert [a["VpcId"] for a in igw["Attachments"]] == [vpc["VpcId"]]
    assert rtb["VpcId"] == vpc["VpcId"]
    assert [a["SubnetId"] for a in rtb["Associations"]] == [subnet["SubnetId"]]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw["InternetGatewayId"]} in [
        {k: r.get(k) for k in ("DestinationCidrBlock", "GatewayId")} for r in rtb["Routes"]]

    # Security group: exactly these ingress rules, nothing from 0.0.0.0/0; egress is AWS's default.
    assert sg["GroupName"] == s.name and sg["VpcId"] == vpc["VpcId"]
    ingress = sorted((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"])
                     for p in sg["IpPermissions"] for r in p.get("IpRanges", []))
    assert ingress == sorted([
        ("tcp", 22, 22, OPERATOR), ("tcp", 3000, 3000, OPERATOR), ("tcp", 9092, 9092, OPERATOR),
        *[("tcp", 9092, 9092, cidr) for cidr in SINGLESTORE],
    ])
    assert not any(p.get("Ipv6Ranges") or p.get("UserIdGroupPairs") or p.get("PrefixListIds")
                   for p in sg["IpPermissions"])
    egress = [(p["IpProtocol"], r["CidrIp"]) for p in sg["IpPermissionsEgress"] for r in p.get("IpRanges", [])]
    assert egress == [("-1", "0.0.0.0/0")]

    # Key pair: the public key we gave, imported (no private key was created by AWS).
    assert key["KeyName"] == s.name and key.get("KeyType") == "ed25519"

    # Instance: type, AMI, subnet, security group, key, public address, tags, IMDSv2.
    assert inst["State"]["Name"] == "running"
    assert inst["InstanceType"] == "t3.medium" and inst["ImageId"] == "ami-0123456789abcdef0"
    assert inst["SubnetId"] == subnet["SubnetId"] and inst["KeyName"] == s.name
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [sg["GroupId"]]
    assert inst.get("PublicIpAddress") and inst.get("PublicDnsName")
    assert tags_of(inst) == {"Name": s.name, "Project": s.project, "Environment": s.environment}
    assert inst["MetadataOptions"]["HttpTokens"] == "required"

    # Root volume: encrypted gp3 of 16 GiB, deleted with the instance.
    mappings = {m["DeviceName"]: m["Ebs"] for m in inst["BlockDeviceMappings"]}
    assert list(mappings) == ["/dev/sda1"] and mappings["/dev/sda1"]["DeleteOnTermination"]
    volume = client.describe_volumes(VolumeIds=[mappings["/dev/sda1"]["VolumeId"]])["Volumes"][0]
    assert (volume["Encrypted"], volume["VolumeType"], volume["Size"]) == (True, "gp3", 16)
    assert tags_of(volume)["Project"] == s.project
    return {"vpc": vpc, "instance": inst, "sg": sg}


def test_check_mode_on_fresh_account_creates_nothing(moto_url: str, stack: Stack) -> None:
    result = run(PROVISION, stack.variables, "--check", "--diff").ok()
    # It says what would change (the VPC, the key pair and what could not be simulated)...
    assert result.changed >= 3
    assert "would be created" in result.output
    # ... and changes nothing.
    assert_nothing_tagged(moto_url, stack)
    result = run(TEARDOWN, stack.variables, "--check").ok()
    assert result.changed == 0


def test_provision_is_idempotent_and_teardown_removes_everything(moto_url: str, stack: Stack, tmp_path: Path) -> None:
    first = run(PROVISION, stack.variables).ok()
    assert first.changed == RESOURCES, first.output[-6000:]
    found = assert_stack(moto_url, stack)

    second = run(PROVISION, stack.variables).ok()
    assert second.changed == 0, second.output[-6000:]
    assert assert_stack(moto_url, stack)["instance"]["InstanceId"] == found["instance"]["InstanceId"]

    # Check mode on the existing stack predicts no change; the host joins the groups with its public
    # name (the play on it only runs `debug`, which does not connect).
    wrapper = tmp_path / "provision_and_show.yml"
    wrapper.write_text(yaml.safe_dump([
        {"ansible.builtin.import_playbook": str(PROVISION)},
        {"name": "Show the new host", "hosts": "docker_hosts:&kafka:&grafana", "gather_facts": False,
         "tasks": [{"name": "Show", "ansible.builtin.debug": {
             "msg": "HOST={{ inventory_hostname }} ADDR={{ ansible_host }} USER={{ ansible_user }}"}}]},
    ]))
    check = run(wrapper, stack.variables, "--check", "--diff").ok()
    assert check.changed == 0, check.output[-6000:]
    public_dns = found["instance"]["PublicDnsName"]
    assert f"HOST={stack.name} ADDR={public_dns} USER=ubuntu" in " ".join(check.output.split())
    assert check.recap[stack.name]["failed"] == 0 and check.recap[stack.name]["unreachable"] == 0

    # The inventory example (inventories/dev/aws_ec2.yml) finds the same host by its tags.
    config = yaml.safe_load((REPO / "inventories" / "dev" / "aws_ec2.yml").read_text())
    config["regions"] = [REGION]
    config["filters"].update({"tag:Project": stack.project, "tag:Environment": stack.environment})
    inventory = tmp_path / "stack.aws_ec2.yml"
    inventory.write_text(yaml.safe_dump(config))
    env = aws_env() | {"AWS_URL": moto_url}
    proc = subprocess.run([ANSIBLE_INVENTORY, "-i", str(inventory), "--list"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    for group in ("docker_hosts", "kafka", "grafana"):
        assert listed[group]["hosts"] == [stack.name]
    address = listed["_meta"]["hostvars"][stack.name]["ansible_host"]
    # ansible-core 2.19 marks values composed from templates as unsafe in --list output.
    assert (address.get("__ansible_unsafe") if isinstance(address, dict) else address) == public_dns

    # Teardown: check mode changes nothing, a real run removes all of it, a second run nothing more.
    check = run(TEARDOWN, stack.variables, "--check").ok()
    assert check.changed == RESOURCES
    assert_stack(moto_url, stack)

    first = run(TEARDOWN, stack.variables).ok()
    assert first.changed == RESOURCES, first.output[-6000:]
    assert_nothing_tagged(moto_url, stack)
    assert ec2(moto_url).describe_instances(InstanceIds=[found["instance"]["InstanceId"]])[
        "Reservations"][0]["Instances"][0]["State"]["Name"] == "terminated"

    second = run(TEARDOWN, stack.variables).ok()
    assert second.changed == 0, second.output[-6000:]
    assert run(TEARDOWN, stack.variables, "--check").ok().changed == 0


def test_tags_select_parts(moto_url: str, stack: Stack) -> None:
    run(PROVISION, stack.variables, "--tags", "ec2_network,ec2_security_group").ok()
    found = tagged(ec2(moto_url), stack.project, stack.environment)
    assert {k: len(v) for k, v in found.items()} == {
        "vpcs": 1, "subnets": 1, "internet_gateways": 1, "route_tables": 1, "security_groups": 1,
        "key_pairs": 0, "instances": 0, "volumes": 0}
    # Key pair and instance, with the network looked up (discovery always runs) rather than created.
    run(PROVISION, stack.variables, "--tags", "ec2_key,ec2_instance").ok()
    assert_stack(moto_url, stack)
    # Teardown of the instance alone leaves the network.
    assert run(TEARDOWN, stack.variables, "--tags", "ec2_instance").ok().changed == 1
    found = tagged(ec2(moto_url), stack.project, stack.environment)
    assert not found["instances"] and len(found["vpcs"]) == 1 and len(found["key_pairs"]) == 1
    run(TEARDOWN, stack.variables).ok()
    assert_nothing_tagged(moto_url, stack)


@pytest.mark.parametrize(("operator", "kafka", "allow_world"), [
    ("0.0.0.0/0", [], False),
    (OPERATOR, ["198.51.100.0/28", "0.0.0.0/0"], False),
])
def test_world_cidr_fails_before_any_aws_call(stack: Stack, operator: str, kafka: list[str], allow_world: bool) -> None:
    # An endpoint nobody listens on: reaching the preflight would fail with "unreachable" instead.
    variables = stack.variables | {
        "ec2_stack_operator_cidr": operator, "ec2_stack_kafka_allowed_cidrs": kafka,
        "ec2_stack_allow_world": allow_world, "ec2_stack_aws_endpoint_url": f"http://127.0.0.1:{free_port()}"}
    result = run(PROVISION, variables)
    assert result.rc != 0
    assert "0.0.0.0/0 would open SSH/Grafana/Kafka to the whole internet" in result.output
    assert "ec2_stack_allow_world: true" in result.output
    assert "Ask EC2 for the region" not in result.output


def test_world_cidr_allowed_when_asked(stack: Stack) -> None:
    """ec2_stack_allow_world: true lets validation pass: the run goes on to the AWS preflight."""
    variables = stack.variables | {"ec2_stack_operator_cidr": "0.0.0.0/0", "ec2_stack_allow_world": True,
                                   "ec2_stack_aws_endpoint_url": f"http://127.0.0.1:{free_port()}"}
    result = run(PROVISION, variables)
    assert result.rc != 0 and "would open SSH/Grafana/Kafka" not in result.output
    assert "is unreachable" in result.output


@pytest.mark.parametrize("bad", ["not-a-cidr", "10.0.0.300/32", "203.0.113.7"])
def test_malformed_cidr_fails(stack: Stack, bad: str) -> None:
    result = run(PROVISION, stack.variables | {"ec2_stack_operator_cidr": bad})
    assert result.rc != 0 and "must be an IPv4 CIDR such as 203.0.113.7/32" in result.output


def test_private_key_is_refused_and_not_printed(stack: Stack) -> None:
    result = run(PROVISION, stack.variables | {"ec2_stack_public_key_file": str(stack.private_key_file)})
    assert result.rc != 0
    assert "a private key is refused and never sent to AWS" in result.output
    body = stack.private_key_file.read_text().splitlines()[1]
    assert body not in result.output


def test_missing_required_variables_fail(stack: Stack) -> None:
    variables = {k: v for k, v in stack.variables.items()
                 if k not in ("ec2_stack_operator_cidr", "ec2_stack_ami_id", "ec2_stack_public_key_file")}
    result = run(PROVISION, variables)
    assert result.rc != 0
    assert "missing required arguments: ec2_stack_ami_id, ec2_stack_operator_cidr, ec2_stack_public_key_file" in result.output


@pytest.mark.parametrize("playbook", [PROVISION, TEARDOWN], ids=["provision", "teardown"])
def test_missing_credentials_fail_fast(moto_url: str, stack: Stack, playbook: Path) -> None:
    result = run(playbook, stack.variables, env=aws_env(credentials=False))
    assert result.rc != 0
    assert "AWS preflight failed" in result.output and "Unable to locate credentials" in result.output
    assert "AWS_PROFILE" in result.output and "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in result.output
    assert result.seconds < 60, f"took {result.seconds:.0f}s"
    assert_nothing_tagged(moto_url, stack)


@pytest.mark.parametrize("playbook", [PROVISION, TEARDOWN], ids=["provision", "teardown"])
def test_missing_region_fails_fast(stack: Stack, playbook: Path) -> None:
    result = run(playbook, stack.variables, env=aws_env(region=False))
    assert result.rc != 0
    assert "No AWS region: set AWS_REGION" in result.output
    assert result.seconds < 60, f"took {result.seconds:.0f}s"


def test_unreachable_endpoint_fails_clearly(stack: Stack) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(PROVISION, stack.variables | {"ec2_stack_aws_endpoint_url": url})
    assert result.rc != 0
    assert f"The EC2 endpoint {url} is unreachable" in result.output
    assert result.seconds < 120, f"took {result.seconds:.0f}s"
