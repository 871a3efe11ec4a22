"""The roles' preflight asserts: one rule per assert, each failing with its own message.

Every case runs the role (or the task file that holds its checks) in check mode on localhost, inside a
block whose rescue writes the failure message to a file: one ansible-playbook run per role covers all of
its cases. A case passes when the role failed with the rule's message, and with no other rule's.
Secrets given in a case never appear in the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _roles import run_playbook

KAFKA_SECRET = "kafka-Secret-42"
GRAFANA_SECRETS = {
    "grafana_admin_password": "plain-admin-password",
    "grafana_datasource_host": "db.example.test",
    "grafana_datasource_user": "grafana_ro",
    "grafana_datasource_password": "plain-ds-password",
}
SINGLESTORE_SECRET = "ss-Root-Pw-7"
PRODUCER_SECRET = "sasl-Pw-producer-9"
GRAFANA_LOGIN_SECRET = "ro-Pw-grafana-3"

# {case: (variables, the message of the one rule they break)}
Cases = dict[str, tuple[dict[str, Any], str]]

KAFKA: Cases = {
    "same-ports": ({"kafka_internal_port": 9092}, "kafka: the three listener ports must differ"),
    "tls-without-key": (
        {"kafka_tls_enabled": True, "kafka_tls_certificate": "PEM"},
        "kafka: kafka_tls_enabled needs kafka_tls_certificate and kafka_tls_private_key",
    ),
    "sasl-without-users": (
        {"kafka_sasl_enabled": True},
        "kafka: kafka_sasl_enabled needs at least one of kafka_scram_users",
    ),
    "user-without-name": (
        {"kafka_scram_users": [{"name": "", "password": KAFKA_SECRET}]},
        "kafka: every kafka_scram_users entry needs a non-empty name",
    ),
    "user-without-password": (
        {"kafka_scram_users": [{"name": "alice", "password": ""}]},
        "kafka: kafka_scram_users alice need a non-empty password",
    ),
    "password-with-comma": (
        {"kafka_scram_users": [{"name": "bob", "password": KAFKA_SECRET + ",x"}]},
        "kafka: the passwords of kafka_scram_users bob contain ',', '[' or ']'",
    ),
}

GRAFANA: Cases = {
    "empty-admin-password": ({"grafana_admin_password": ""}, "grafana_admin_password must not be empty."),
    "expandable-admin-password": (
        {"grafana_admin_password": "pw-${HOME}-x"},
        "grafana_admin_password must not contain '${...}' or '$__name{...}'",
    ),
    "empty-datasource-password": (
        {"grafana_datasource_password": ""},
        "grafana_datasource_password must not be empty.",
    ),
}

SINGLESTORE_DEV: Cases = {
    "relative-project-dir": (
        {"singlestore_dev_project_dir": "opt/sdb"},
        "singlestore_dev_project_dir must be an absolute path",
    ),
    "service-name": ({"singlestore_dev_service_name": "-bad"}, "singlestore_dev_service_name (-bad) is letters"),
    "container-name": (
        {"singlestore_dev_container_name": "bad name"},
        "singlestore_dev_container_name (bad name) is letters",
    ),
    "no-network": ({"singlestore_dev_kafka_network": ""}, "singlestore_dev_kafka_network must be set"),
    "port-range": ({"singlestore_dev_port": 70000}, "singlestore_dev_port (70000) must be a TCP port, 1 to 65535"),
    "studio-port-range": ({"singlestore_dev_studio_port": -1}, "singlestore_dev_studio_port (-1) must be a TCP port"),
    "same-ports": ({"singlestore_dev_studio_port": 3306}, "must be distinct TCP ports"),
    "global-name": (
        {"singlestore_dev_global_variables": {"bad-name": 1}},
        "singlestore_dev_global_variables keys are variable names (letters, digits, '_'): bad-name",
    ),
    "grafana-dir": (
        {"singlestore_dev_grafana_project_dir": "grafana"},
        "singlestore_dev_grafana_project_dir must be empty or an absolute path",
    ),
    "empty-password": ({"singlestore_dev_root_password": ""}, "singlestore_dev_root_password is required"),
    "quote-in-password": (
        {"singlestore_dev_root_password": SINGLESTORE_SECRET + "'"},
        "singlestore_dev_root_password must not contain a single quote",
    ),
    "newline-in-license": (
        {"singlestore_dev_license": "LIC\nENSE"},
        "singlestore_dev_license must not contain a single quote",
    ),
}

EC2_STACK: Cases = {
    "operator-cidr": (
        {"ec2_stack_operator_cidr": "203.0.113.7"},
        "ec2_stack_operator_cidr (203.0.113.7) must be an IPv4 CIDR such as 203.0.113.7/32",
    ),
    "kafka-cidr": (
        {"ec2_stack_kafka_allowed_cidrs": ["198.51.100.0/28", "10.0.0.300/32"]},
        "every entry of ec2_stack_kafka_allowed_cidrs must be an IPv4 CIDR such as 203.0.113.7/32, not 10.0.0.300/32",
    ),
    "ami-id": ({"ec2_stack_ami_id": "ami-XYZ"}, "ec2_stack_ami_id (ami-XYZ) must be an AMI id"),
    "volume-size": ({"ec2_stack_root_volume_size": 4}, "ec2_stack_root_volume_size (4) must be at least 8 (GiB)"),
    "private-key": ({"ec2_stack_public_key_file": "@PRIVATE"}, "a private key is refused and never sent to AWS"),
    "not-a-public-key": ({"ec2_stack_public_key_file": "@GARBAGE"}, "must hold one OpenSSH public key"),
}

PRODUCER: Cases = {
    "no-brokers": ({"producer_brokers": []}, "producer: producer_brokers must not be empty"),
    "no-topic": ({"producer_topic": ""}, "producer: producer_topic must not be empty"),
    "two-referentials": (
        {"producer_referential": {"stores": [{"store_id": 1}]}, "producer_referential_file": "/etc/ref.json"},
        "producer: set producer_referential or producer_referential_file, not both",
    ),
    "referential-without-lists": (
        {"producer_referential": {"shops": []}},
        "producer: producer_referential must list stores, products or both",
    ),
    "empty-stores": (
        {"producer_referential": {"stores": [], "products": [{"product_name": "Laptop"}]}},
        "producer: producer_referential.stores, when given, must not be empty",
    ),
    "empty-products": (
        {"producer_referential": {"products": []}},
        "producer: producer_referential.products, when given, must not be empty",
    ),
    "managed-key": ({"producer_settings": {"Flush-Timeout": 5}}, "producer: producer_settings may not set"),
    "password-argument": (
        {"producer_extra_args": ["--sasl-password=" + PRODUCER_SECRET]},
        "producer: producer_extra_args may not hold --sasl-password; use producer_sasl_password",
    ),
    "sasl-without-protocol": (
        {"producer_sasl_username": "alice", "producer_sasl_password": PRODUCER_SECRET},
        "producer: producer_sasl_mechanism, producer_sasl_username and producer_sasl_password need",
    ),
    "protocol-without-credentials": (
        {"producer_security_protocol": "SASL_SSL", "producer_sasl_username": "alice"},
        "producer: producer_security_protocol SASL_SSL needs producer_sasl_username and producer_sasl_password",
    ),
    "same-directories": (
        {"producer_install_dir": "/opt/tx", "producer_config_dir": "/opt/tx"},
        "producer: producer_install_dir and producer_config_dir must differ",
    ),
}

SINGLESTORE: Cases = {
    "unknown-profile": (
        {"singlestore_schema_profile": "fastest"},
        "singlestore: singlestore_schema_profile must be empty or one of seed, optimized, rollup (got fastest)",
    ),
    "profile-without-brokers": (
        {"singlestore_schema_profile": "seed", "singlestore_schema_kafka_brokers": []},
        "singlestore: singlestore_schema_profile needs singlestore_schema_kafka_brokers",
    ),
    "profile-without-topic": (
        {"singlestore_schema_profile": "seed", "singlestore_schema_kafka_topic": ""},
        "singlestore: singlestore_schema_profile needs singlestore_schema_kafka_topic",
    ),
    "object-name": (
        {"singlestore_schema_table": "sales-events"},
        "singlestore: singlestore_schema_database, _table, _pipeline, _rollup_table and _rollup_pipeline are",
    ),
    "slow-query-threshold": (
        {"singlestore_slow_query_threshold_ms": -5},
        "singlestore: singlestore_slow_query_threshold_ms is null, 0 or a number of milliseconds",
    ),
    "grafana-without-password": (
        {"singlestore_grafana_user": "grafana_ro"},
        "singlestore: singlestore_grafana_user needs singlestore_grafana_password",
    ),
    "grafana-also-in-users": (
        {
            "singlestore_grafana_user": "grafana_ro",
            "singlestore_grafana_password": GRAFANA_LOGIN_SECRET,
            "singlestore_users": [{"user": "grafana_ro", "password": GRAFANA_LOGIN_SECRET}],
        },
        "singlestore: grafana_ro@% is singlestore_grafana_user; do not declare it in singlestore_users too",
    ),
}

HELIOS: Cases = {
    "group-name": ({"helios_workspace_group_name": ""}, "helios_workspace_group_name is empty"),
    "workspace-name": ({"helios_workspace_name": ""}, "helios_workspace_name is empty"),
    "no-region": ({"helios_region": ""}, "Neither helios_region_id nor helios_region is set"),
    "bad-cidr": (
        {"helios_firewall_ranges": ["203.0.113.7/32", "10.0.0.1", "10.0.0.0/33"]},
        "helios_firewall_ranges has entries that are not IPv4 CIDRs (a.b.c.d/n): 10.0.0.1, 10.0.0.0/33",
    ),
}

ROLE_CASES: dict[str, tuple[str, dict[str, Any], Cases]] = {
    "kafka": ("main", {}, KAFKA),
    "grafana": ("validate.yml", GRAFANA_SECRETS, GRAFANA),
    "singlestore_dev": ("main", {"singlestore_dev_root_password": SINGLESTORE_SECRET}, SINGLESTORE_DEV),
    "ec2_stack": (
        "validate.yml",
        {
            "ec2_stack_operator_cidr": "203.0.113.7/32",
            "ec2_stack_ami_id": "ami-0123456789abcdef0",
            "ec2_stack_public_key_file": "@PUBLIC",
            "ec2_stack_aws_region": "eu-west-3",
        },
        EC2_STACK,
    ),
    "producer": ("validate.yml", {}, PRODUCER),
    "helios": ("validate.yml", {"helios_region": "us-east-1"}, HELIOS),
    "singlestore": (
        "validate.yml",
        {"singlestore_schema_kafka_brokers": ["kafka:9092"], "singlestore_login_password": SINGLESTORE_SECRET},
        SINGLESTORE,
    ),
}

KEY_FILES = {
    "@PUBLIC": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtestkeyonlyforthetestsuite00000000000000 test\n",
    "@PRIVATE": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtestbody\n-----END OPENSSH PRIVATE KEY-----\n"
    ),
    "@GARBAGE": "not a key\n",
}


def case_play(role: str, tasks_from: str, variables: dict[str, Any], name: str, results: Path) -> dict[str, Any]:
    include: dict[str, Any] = {"name": f"transactions_st.realtime.{role}"}
    if tasks_from != "main":
        include["tasks_from"] = tasks_from
    return {
        "name": name,
        "hosts": "localhost",
        "gather_facts": False,
        "vars": variables,
        "tasks": [
            {"name": "Forget the previous case's failure", "ansible.builtin.set_fact": {"case_failure": ""}},
            {
                "name": "Run the role",
                "block": [{"ansible.builtin.include_role": include}],
                "rescue": [{"ansible.builtin.set_fact": {"case_failure": "{{ ansible_failed_result.msg }}"}}],
            },
            {
                "name": "Record the failure",
                "ansible.builtin.copy": {"content": "{{ case_failure }}", "dest": str(results / name), "mode": "0600"},
                "check_mode": False,
            },
        ],
    }


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """{role: {case: failure message, '' when the role passed}} and the whole output under '_output'."""
    found: dict[str, dict[str, str]] = {}
    for role, (tasks_from, common, cases) in ROLE_CASES.items():
        tmp = tmp_path_factory.mktemp(f"preflight-{role}")
        results = tmp / "results"
        results.mkdir()
        for marker, content in KEY_FILES.items():
            (tmp / marker.strip("@")).write_text(content)

        def resolve(value: Any, tmp: Path = tmp) -> Any:
            return str(tmp / value.strip("@")) if isinstance(value, str) and value in KEY_FILES else value

        plays = [
            case_play(role, tasks_from, {k: resolve(v) for k, v in {**common, **variables}.items()}, name, results)
            for name, (variables, _) in cases.items()
        ]
        # Project directories of the roles point into tmp: nothing outside it is touched (check mode anyway).
        done = run_playbook(tmp, plays, check=True)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        found[role] = {name: (results / name).read_text() for name in cases}
        found[role]["_output"] = done.stdout + done.stderr
    return found


CASE_IDS = [(role, case) for role, (_, _, cases) in ROLE_CASES.items() for case in cases]


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_each_rule_fails_with_its_own_message(failures: dict[str, dict[str, str]], role: str, case: str) -> None:
    cases = ROLE_CASES[role][2]
    message = failures[role][case]
    assert cases[case][1] in message, f"{role} {case}: {message!r}"
    # Only this rule failed: no other case's message is in it.
    for other, (_, other_message) in cases.items():
        if other_message != cases[case][1]:
            assert other_message not in message, f"{role} {case} also reports {other}: {message!r}"


@pytest.mark.parametrize("role", list(ROLE_CASES))
def test_secrets_never_shown(failures: dict[str, dict[str, str]], role: str) -> None:
    output = failures[role]["_output"]
    secrets = (
        KAFKA_SECRET,
        SINGLESTORE_SECRET,
        GRAFANA_SECRETS["grafana_admin_password"],
        GRAFANA_SECRETS["grafana_datasource_password"],
        PRODUCER_SECRET,
        GRAFANA_LOGIN_SECRET,
        "testbody",
    )
    for secret in secrets:
        assert secret not in output, f"{role}: {secret!r} shown"
