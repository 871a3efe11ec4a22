"""Helpers for the role checks: run ansible-playbook on localhost and render role templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    cache = Path(env.get("TST_CACHE") or Path.home() / ".cache" / "transactions_st")
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=f"{REPO / 'collections'}:{cache / 'collections'}",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    return env


def run_playbook(tmp_path: Path, plays: list[dict[str, Any]], extra_vars: dict[str, Any] | None = None,
                 check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `plays` against localhost (local connection); return the finished process."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps(plays, indent=1))
    cmd = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local",
           "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    if extra_vars:
        vars_file = tmp_path / "extra-vars.json"
        vars_file.write_text(json.dumps(extra_vars))
        cmd += ["-e", f"@{vars_file}"]
    if check:
        cmd.append("--check")
    return subprocess.run(cmd, cwd=tmp_path, env=ansible_env(), capture_output=True, text=True, timeout=300)


def render_kafka_compose(tmp_path: Path, **overrides: Any) -> Path:
    """Render roles/kafka/templates/compose.yaml.j2 with the role's defaults and vars plus `overrides`.

    The role's two derived facts (the advertised host and the cluster id) get fixed test values unless
    given. Returns the path of the rendered compose.yaml in a project directory under tmp_path.
    """
    role = ROLES / "kafka"
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    values = {"kafka_resolved_external_host": "kafka.example.test", "kafka_resolved_cluster_id": "q1Sh-9_ODXmNsuvZH8wK1w"}
    values.update(overrides)
    play = {
        "hosts": "localhost",
        "gather_facts": False,
        "vars_files": [str(role / "defaults" / "main.yml"), str(role / "vars" / "main.yml")],
        "tasks": [{
            "name": "Render the compose file",
            "ansible.builtin.template": {"src": str(role / "templates" / "compose.yaml.j2"),
                                         "dest": str(project / "compose.yaml"), "mode": "0600"},
        }],
    }
    done = run_playbook(tmp_path, [play], extra_vars=values)
    assert done.returncode == 0, f"rendering failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    return project / "compose.yaml"


def docker_cli() -> str | None:
    for cli in ("/usr/bin/docker", shutil.which("docker")):
        if cli and os.access(cli, os.X_OK):
            done = subprocess.run([cli, "compose", "version", "--short"], capture_output=True, text=True, check=False)
            if done.returncode == 0:
                return cli
    return None


def compose_config(compose_file: Path) -> dict[str, Any]:
    """`docker compose config` of the file: fails the test when compose rejects it. Needs no engine."""
    cli = docker_cli()
    assert cli, "no docker CLI with the compose v2 plugin"
    done = subprocess.run(
        [cli, "compose", "--project-directory", str(compose_file.parent), "--file", str(compose_file),
         "config", "--format", "json"],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert done.returncode == 0, f"docker compose config rejected {compose_file}:\n{done.stderr}"
    return json.loads(done.stdout)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())
