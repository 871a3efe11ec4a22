"""meta/argument_specs.yml of the docker_host, kafka, compose_project and helios roles: a wrong type fails
before any role task.

Runs the role in check mode on localhost; the validation task is the role's first, so nothing on the
machine is looked at or changed when it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _roles import ROLES, load_yaml, run_playbook


def include_role(name: str, role_vars: dict[str, Any]) -> list[dict[str, Any]]:
    return [{
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "Run the role", "ansible.builtin.include_role": {"name": f"transactions_st.realtime.{name}"},
                   "vars": role_vars}],
    }]


CASES = [
    ("kafka", {"kafka_external_port": "not-a-port"}, "kafka_external_port"),
    ("kafka", {"kafka_sasl_enabled": "perhaps"}, "kafka_sasl_enabled"),
    ("kafka", {"kafka_pull": "sometimes"}, "kafka_pull"),
    ("kafka", {"kafka_topics": [{"partitions": 3}]}, "name"),
    ("kafka", {"kafka_scram_users": "alice"}, "kafka_scram_users"),
    ("docker_host", {"docker_host_daemon_options": "not-a-dict"}, "docker_host_daemon_options"),
    ("docker_host", {"docker_host_source": "snap"}, "docker_host_source"),
    # The internal role: its project directory is required, its pull policy one of compose's.
    ("compose_project", {}, "compose_project_dir"),
    ("compose_project", {"compose_project_dir": "/nonexistent", "compose_project_pull": "sometimes"},
     "compose_project_pull"),
    ("helios", {"helios_update_password": "sometimes"}, "helios_update_password"),
    ("helios", {"helios_workspace_state": "asleep"}, "helios_workspace_state"),
    ("helios", {"helios_firewall_ranges": "203.0.113.7/32 198.51.100.0/28", "helios_wait_timeout": "soon"},
     "helios_wait_timeout"),
]


@pytest.mark.parametrize(("role", "role_vars", "named"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_wrong_type_fails_before_any_task(tmp_path: Path, role: str, role_vars: dict[str, Any], named: str) -> None:
    done = run_playbook(tmp_path, include_role(role, role_vars), check=True)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out[-3000:]
    assert "Validating arguments against arg spec" in out
    assert named in out.split("Validating arguments against arg spec", 1)[1]
    # No task of the role ran after the validation task.
    first_task = load_yaml(ROLES / role / "tasks" / "main.yml")[0]["name"]
    assert first_task not in out, out[-3000:]


@pytest.mark.parametrize("role", ["docker_host", "kafka", "compose_project"])
def test_every_default_is_documented_with_its_type(role: str) -> None:
    """Each variable in defaults/main.yml is in the argument spec, and its default matches the spec's;
    a required option has no default."""
    defaults = load_yaml(ROLES / role / "defaults" / "main.yml")
    options = load_yaml(ROLES / role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    required = sorted(name for name, spec in options.items() if spec.get("required"))
    assert sorted(defaults) == sorted(set(options) - set(required))
    assert all("default" not in options[name] for name in required), required
    for name, value in defaults.items():
        assert name.startswith(f"{role}_"), name
        spec = options[name]
        if isinstance(value, str) and "{{" in value:
            continue  # a templated default; the spec documents the resulting value
        assert spec.get("default") == value, f"{name}: defaults/main.yml {value!r}, argument spec {spec.get('default')!r}"


def test_every_helios_default_is_documented_by_an_entry_point() -> None:
    """The helios role's variables are spread over four entry points (teardown's confirmation is not main's):
    each default is documented, with the same default, by every entry point that lists it, and by one at least."""
    defaults = load_yaml(ROLES / "helios" / "defaults" / "main.yml")
    specs = load_yaml(ROLES / "helios" / "meta" / "argument_specs.yml")["argument_specs"]
    assert set(specs) == {"main", "suspend", "resume", "teardown"}
    documented = {name for spec in specs.values() for name in spec["options"]}
    assert sorted(defaults) == sorted(documented)
    for entry, spec in specs.items():
        for name, option in spec["options"].items():
            assert option.get("default") == defaults[name], f"{entry}: {name}"
