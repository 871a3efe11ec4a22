"""The singlestore_dev role's compose file, rendered from the role's own templates, defaults and vars.

`docker compose config` (the compose plugin, no engine, no image) must accept it, and the layout the
`local` environment relies on must hold: only 127.0.0.1:3306 published, ROOT_PASSWORD nowhere in the
compose file (it comes from the 0600 env_file), the Kafka project's network joined as an external
network under the name role kafka gives it, data on a named volume, the image's healthcheck kept.
The Grafana override is checked against role grafana's real compose template.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from _roles import REPO, ROLES, compose_config, docker_cli, load_yaml, run_playbook

pytestmark = pytest.mark.skipif(docker_cli() is None, reason="needs the docker CLI with the compose v2 plugin")

ROLE = ROLES / "singlestore_dev"
# A password with the characters compose would interpolate or YAML would mangle.
SECRET = "Pw-$HOME-${X}-#1 \"q\" \\n"


def render(tmp_path: Path, templates: dict[str, str], role_vars: dict[str, Any] | None = None,
           role: Path = ROLE) -> Path:
    """Render `templates` ({template file: path in the project}) with the role's defaults, vars and `role_vars`."""
    project = tmp_path / "project"
    project.mkdir(parents=True, exist_ok=True)
    tasks = [{"name": f"Render {src}", "ansible.builtin.template": {
        "src": str(role / "templates" / src), "dest": str(project / dest), "mode": "0600"}}
        for src, dest in templates.items()]
    for dest in templates.values():
        (project / dest).parent.mkdir(parents=True, exist_ok=True)
    play = {"hosts": "localhost", "gather_facts": False,
            "vars_files": [str(role / "defaults" / "main.yml"), str(role / "vars" / "main.yml")], "tasks": tasks}
    done = run_playbook(tmp_path, [play], extra_vars=role_vars or {})
    assert done.returncode == 0, f"rendering failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    return project


def render_project(tmp_path: Path, **overrides: Any) -> Path:
    """compose.yaml and secrets/singlestore.env, as tasks/present.yml writes them."""
    values = {"singlestore_dev_root_password": SECRET}
    values.update(overrides)
    return render(tmp_path, {"compose.yaml.j2": "compose.yaml", "singlestore.env.j2": "secrets/singlestore.env"}, values)


def service(config: dict[str, Any]) -> dict[str, Any]:
    assert list(config["services"]) == ["singlestore"]
    return dict(config["services"]["singlestore"])


def test_default_compose_file(tmp_path: Path) -> None:
    project = render_project(tmp_path)
    compose = project / "compose.yaml"
    text = compose.read_text()
    config = compose_config(compose)
    svc = service(config)

    # Pinned image, amd64 only, fixed container name (the name Grafana connects to).
    assert svc["image"] == "ghcr.io/singlestore-labs/singlestoredb-dev:0.2.81"
    assert svc["platform"] == "linux/amd64"
    assert svc["container_name"] == "singlestore-dev"

    # Only the SQL port, only on loopback.
    assert svc["ports"] == [{"mode": "ingress", "host_ip": "127.0.0.1", "target": 3306, "published": "3306",
                             "protocol": "tcp"}]
    assert "expose" not in svc

    # The secret: in the env_file only, never in the compose file.
    assert "ROOT_PASSWORD" not in text
    assert SECRET not in text and "Pw-" not in text
    assert "environment:" not in text
    raw = load_yaml(compose)["services"]["singlestore"]
    assert raw["env_file"] == ["./secrets/singlestore.env"]
    # What compose will hand the container: the value exactly (config re-escapes "$" as "$$").
    assert svc["environment"]["ROOT_PASSWORD"].replace("$$", "$") == SECRET
    assert "SINGLESTORE_LICENSE" not in svc["environment"]

    # The Kafka project's network (role kafka's default project name), external; no network of its own.
    assert list(config["networks"]) == ["kafka"]
    assert config["networks"]["kafka"]["name"] == "kafka-stack_default"
    assert config["networks"]["kafka"]["external"] is True
    assert list(svc["networks"]) == ["kafka"]

    # Data on the named volume.
    assert svc["volumes"] == [{"type": "volume", "source": "singlestore-data", "target": "/data", "volume": {}}]
    assert "singlestore-data" in config["volumes"]

    # The image's own check, with its 90 s start period.
    health = svc["healthcheck"]
    assert health["test"] == ["CMD", "/scripts/healthcheck.sh"]
    assert health["start_period"] == "1m30s"
    assert health["interval"] == "5s" and health["timeout"] == "5s" and health["retries"] == 12
    assert svc["restart"] == "unless-stopped"
    assert "cpus" not in svc and "mem_limit" not in svc


def test_env_file_is_literal_and_private(tmp_path: Path) -> None:
    project = render_project(tmp_path, singlestore_dev_license="LIC$ENSE==")
    env_file = project / "secrets" / "singlestore.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    lines = [line for line in env_file.read_text().splitlines() if line and not line.startswith("#")]
    assert lines == [f"ROOT_PASSWORD='{SECRET}'", "SINGLESTORE_LICENSE='LIC$ENSE=='"]
    env = service(compose_config(project / "compose.yaml"))["environment"]
    assert env["SINGLESTORE_LICENSE"].replace("$$", "$") == "LIC$ENSE=="
    # The role writes the file with mode 0600 too.
    task = next(t for t in load_yaml(ROLE / "tasks" / "present.yml") if t["name"].startswith("Write the environment"))
    assert task["ansible.builtin.template"]["mode"] == "0600" and task["no_log"] is True


def test_network_follows_the_kafka_project_name(tmp_path: Path) -> None:
    """The network's default comes from kafka_project_name, as role kafka names its project."""
    project = render_project(tmp_path, kafka_project_name="my-kafka")
    network = compose_config(project / "compose.yaml")["networks"]["kafka"]
    assert network["name"] == "my-kafka_default" and network["external"] is True
    kafka_template = (ROLES / "kafka" / "templates" / "compose.yaml.j2").read_text()
    # Role kafka declares no network: its containers are on <project name>_default.
    assert "networks:" not in kafka_template and "name: {{ q(kafka_project_name) }}" in kafka_template


def test_options_studio_globals_limits(tmp_path: Path) -> None:
    project = render_project(tmp_path, singlestore_dev_port=3307, singlestore_dev_studio_port=8080,
                             singlestore_dev_global_variables={"pipelines_batch_interval": 100, "Snapshot_Trigger_Size": "1g"},
                             singlestore_dev_cpus=4, singlestore_dev_memory="8g",
                             singlestore_dev_image="registry.example.test/sdb-dev:0.2.81")
    text = (project / "compose.yaml").read_text()
    svc = service(compose_config(project / "compose.yaml"))
    assert svc["ports"] == [
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 3306, "published": "3307", "protocol": "tcp"},
        {"mode": "ingress", "host_ip": "127.0.0.1", "target": 8080, "published": "8080", "protocol": "tcp"},
    ]
    assert svc["environment"]["SINGLESTORE_SET_GLOBAL_PIPELINES_BATCH_INTERVAL"] == "100"
    assert svc["environment"]["SINGLESTORE_SET_GLOBAL_SNAPSHOT_TRIGGER_SIZE"] == "1g"
    assert svc["cpus"] == 4.0
    assert svc["mem_limit"] == "8589934592"
    assert svc["image"] == "registry.example.test/sdb-dev:0.2.81"
    assert "ROOT_PASSWORD" not in text


def test_grafana_override_joins_the_same_network(tmp_path: Path) -> None:
    """Role grafana's own compose file plus the override: compose merges them (no --file given, as
    docker_compose_v2 with project_src does) and Grafana is on its network and on Kafka's."""
    grafana = ROLES / "grafana"
    project = render(tmp_path, {"compose.yaml.j2": "compose.yaml"}, role=grafana,
                     role_vars={"grafana_admin_password": "x", "grafana_datasource_host": "singlestore-dev",
                                "grafana_datasource_user": "r", "grafana_datasource_password": "y"})
    (project / "secrets").mkdir(exist_ok=True)
    (project / "secrets" / "grafana_admin_password").write_text("x")
    override_project = render(tmp_path / "o", {"grafana-override.yaml.j2": "compose.override.yaml"},
                              {"singlestore_dev_grafana_project_dir": str(project)})
    (project / "compose.override.yaml").write_text((override_project / "compose.override.yaml").read_text())

    cli = docker_cli()
    assert cli
    done = subprocess.run([cli, "compose", "--project-directory", str(project), "config", "--format", "json"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert sorted(config["services"]["grafana"]["networks"]) == ["default", "singlestore_dev"]
    assert config["networks"]["singlestore_dev"]["name"] == "kafka-stack_default"
    assert config["networks"]["singlestore_dev"]["external"] is True
    assert config["networks"]["default"]["name"] == "grafana-stack_default"
    # Grafana keeps everything else of its own file (port on loopback, secrets).
    assert config["services"]["grafana"]["ports"][0]["host_ip"] == "127.0.0.1"


def test_defaults_are_documented() -> None:
    defaults = load_yaml(ROLE / "defaults" / "main.yml")
    options = load_yaml(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(options) == sorted([*defaults, "singlestore_dev_root_password"])
    assert "default" not in options["singlestore_dev_root_password"]
    assert options["singlestore_dev_root_password"]["no_log"] is True
    for name, value in defaults.items():
        assert name.startswith("singlestore_dev_"), name
        if isinstance(value, str) and "{{" in value:
            continue  # templated; the spec documents the usual result
        assert options[name].get("default") == value, name


@pytest.mark.parametrize(("role_vars", "named"), [
    ({"singlestore_dev_root_password": "it's"}, "singlestore_dev_root_password must not contain a single quote"),
    ({"singlestore_dev_root_password": ""}, "singlestore_dev_root_password is required"),
    ({"singlestore_dev_root_password": "pw", "singlestore_dev_pull": "sometimes"}, "singlestore_dev_pull"),
    ({"singlestore_dev_root_password": "pw", "singlestore_dev_studio_port": 3306}, "distinct TCP ports"),
], ids=["quote-in-password", "empty-password", "pull-choice", "same-ports"])
def test_bad_settings_fail_before_anything_runs(tmp_path: Path, role_vars: dict[str, Any], named: str) -> None:
    """Checked by the argument spec or the first asserts, in check mode: nothing on the host is looked at."""
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "Run the role", "ansible.builtin.include_role": {"name": "transactions_st.realtime.singlestore_dev"},
        "vars": role_vars}]}
    done = run_playbook(tmp_path, [play], check=True)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert "Gather the platform facts" not in out
    assert "it's" not in out


def test_local_inventory_pipelines_read_internal_listener() -> None:
    """inventories/local: pipelines use kafka:19092, the producer localhost:9092, SingleStore on loopback."""
    local = REPO / "inventories" / "local" / "group_vars" / "all"
    main = load_yaml(local / "main.yml")
    stack = load_yaml(local / "stack.yml")
    assert main["kafka_external_host"] == "localhost" and main["kafka_external_bind_address"] == "127.0.0.1"
    assert main["stack_pipeline_kafka_brokers"] == ["{{ kafka_service_name }}:{{ kafka_internal_port }}"]
    assert main["kafka_service_name"] == "kafka" and main["kafka_internal_port"] == 19092
    assert all(p["kafka"]["brokers"] == "{{ stack_pipeline_kafka_brokers }}" for p in stack["singlestore_pipelines"])
    assert main["stack_kafka_bootstrap_servers"] == "localhost:{{ kafka_external_port }}"
    assert main["singlestore_login_host"] == "127.0.0.1" and main["singlestore_login_user"] == "root"
    assert main["grafana_bind_address"] == "127.0.0.1"
    # Same objects as the lab.
    lab = load_yaml(REPO / "inventories" / "lab" / "group_vars" / "all" / "stack.yml")
    assert stack["kafka_topics"] == lab["kafka_topics"]
    assert stack["singlestore_databases"] == lab["singlestore_databases"]
    assert stack["singlestore_tables"] == lab["singlestore_tables"]
    assert [p["name"] for p in stack["singlestore_pipelines"]] == [p["name"] for p in lab["singlestore_pipelines"]]
    # No secret in clear in the inventory: every password-like value is a template or a placeholder.
    for path in sorted((REPO / "inventories" / "local").rglob("*")):
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?!update_)[\w.-]*password[\w.-]*:\s*(\S.*)$", line)
            if match:
                assert match.group(1).startswith(('"{{', ">-")) or match.group(1) == "CHANGE_ME", f"{path}: {line}"
