"""The grafana role's templates, rendered by ansible-playbook, checked against what Grafana documents.

The templates are rendered by a real ``ansible.builtin.template`` run with the role's defaults and
vars (loaded as inventory variables, so each variant's play variables override them as a user's
would), for a few variants: defaults, TLS with a CA and awkward passwords, another bind address.
The provisioning YAML is held to an allow-list of the keys Grafana's provisioning docs list for data
sources and dashboard providers (https://grafana.com/docs/grafana/latest/administration/provisioning/); values that Grafana interpolates are checked by undoing
Grafana's own interpolation (``$$`` is a literal ``$``). The argument spec is checked against the
defaults, and a role run without the required variables must stop before its first task.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "grafana"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"

ADMIN_PASSWORD = "Adm1n-$ecret-${HOME}"          # a '$' and what looks like a variable
AWKWARD_PASSWORD = "p$a$$w{o}rd'\"$HOME é:@/x$"  # every kind of '$', quotes, non-ASCII, DSN punctuation
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {
        "grafana_admin_password": "plain-admin-password",
        "grafana_datasource_host": "svc-abc.aws-virginia-1.svc.singlestore.com",
        "grafana_datasource_user": "grafana_ro",
        "grafana_datasource_password": "plain-ds-password",
    },
    "tls": {
        "grafana_admin_password": ADMIN_PASSWORD,
        "grafana_datasource_host": "svc-abc.aws-virginia-1.svc.singlestore.com",
        "grafana_datasource_port": 3333,
        "grafana_datasource_database": "demo$db",
        "grafana_datasource_user": "grafana_ro",
        "grafana_datasource_password": AWKWARD_PASSWORD,
        "grafana_datasource_ca_cert": CA_PEM,
        "grafana_datasource_max_open_conns": 8,
    },
    "public": {
        "grafana_admin_password": "plain-admin-password",
        "grafana_datasource_host": "10.0.0.5",
        "grafana_datasource_user": "grafana_ro",
        "grafana_datasource_password": "plain-ds-password",
        "grafana_bind_address": "0.0.0.0",
        "grafana_port": 8443,
        "grafana_root_url": "https://grafana.example.com/",
        "grafana_cookie_secure": True,
        "grafana_extra_env": {"GF_LOG_LEVEL": "warn", "GF_X_DOLLAR": "a$b"},
        "grafana_dashboards_folder": "Retail",
        "grafana_image": "grafana/grafana:13.1.3",
        "grafana_mysql_plugin_version": "13.0.2",
        "grafana_plugins_auto_update": True,
    },
}
TEMPLATES = {"compose.yaml": "compose.yaml.j2", "datasource.yaml": "datasource.yaml.j2", "dashboards.yaml": "dashboards.yaml.j2"}

# https://grafana.com/docs/grafana/latest/administration/provisioning/ (data sources, dashboards)
DATASOURCE_FILE_KEYS = {"apiVersion", "datasources", "deleteDatasources"}
DATASOURCE_KEYS = {"name", "uid", "type", "access", "url", "user", "isDefault", "editable", "orgId", "jsonData",
                   "secureJsonData", "basicAuth", "withCredentials", "version"}
JSONDATA_KEYS = {"database", "maxOpenConns", "maxIdleConns", "maxIdleConnsAuto", "connMaxLifetime", "timezone",
                 "timeInterval", "tlsAuth", "tlsAuthWithCACert", "tlsSkipVerify"}
SECURE_KEYS = {"password", "tlsCACert", "tlsClientCert", "tlsClientKey"}
PROVIDER_FILE_KEYS = {"apiVersion", "providers"}
PROVIDER_KEYS = {"name", "orgId", "type", "folder", "folderUid", "disableDeletion", "allowUiUpdates",
                 "updateIntervalSeconds", "options"}
PROVIDER_OPTION_KEYS = {"path", "foldersFromFilesStructure"}


def ansible_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    if (REPO / "ansible.cfg").is_file():  # a clone: ./collections resolves transactions_st.realtime
        env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    else:  # an installed collection: <root>/ansible_collections/transactions_st/realtime
        env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([str(REPO.parents[2]), env.get("ANSIBLE_COLLECTIONS_PATH", "")])
    return env


def run_playbook(tmp: Path, plays: list[dict[str, Any]], inventory: Path | None = None) -> subprocess.CompletedProcess:
    playbook = tmp / f"play-{len(list(tmp.glob('play-*.yml')))}.yml"
    playbook.write_text(json.dumps(plays, indent=1))
    cmd = [str(ANSIBLE_PLAYBOOK), "-i", str(inventory) if inventory else "localhost,", "-c", "local",
           "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    return subprocess.run(cmd, cwd=REPO, env=ansible_env(tmp), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """{variant: {file name: rendered text}}, from one ansible-playbook run."""
    tmp = tmp_path_factory.mktemp("grafana-render")
    inventory = tmp / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts").write_text("localhost\n")
    # The role's defaults and vars at inventory level: below play vars, as role defaults are.
    shutil.copy(ROLE / "defaults" / "main.yml", inventory / "group_vars" / "all" / "10-defaults.yml")
    shutil.copy(ROLE / "vars" / "main.yml", inventory / "group_vars" / "all" / "20-vars.yml")
    (inventory / "group_vars" / "all" / "00-role-path.yml").write_text(json.dumps({"role_path": str(ROLE)}))
    plays = []
    for variant, variables in VARIANTS.items():
        out = tmp / variant
        out.mkdir()
        plays.append({
            "name": f"render {variant}", "hosts": "localhost", "gather_facts": False, "vars": variables,
            "tasks": [{"name": f"render {name}", "ansible.builtin.template": {
                "src": str(ROLE / "templates" / src), "dest": str(out / name), "mode": "0600"}} for name, src in TEMPLATES.items()],
        })
    proc = run_playbook(tmp, plays, inventory)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return {variant: {name: (tmp / variant / name).read_text(encoding="utf-8") for name in TEMPLATES} for variant in VARIANTS}


def grafana_interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Grafana's provisioning interpolation (pkg/services/provisioning/values/values.go), env part."""
    env = env or {}
    parts = value.split("$$")
    out = []
    for part in parts:
        part = re.sub(r"\$__env\{([^}]+)\}|\$\{([^}]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)",
                      lambda m: env.get(m.group(1) or m.group(2) or m.group(3), ""), part)
        out.append(part)
    return "$".join(out)


def assert_only_literal_dollars(value: str) -> None:
    for part in value.split("$$"):
        assert "$" not in part, f"unescaped '$' in {value!r}"


# -- data source -----------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_datasource_keys_are_documented(rendered: dict[str, dict[str, str]], variant: str) -> None:
    doc = yaml.safe_load(rendered[variant]["datasource.yaml"])
    assert set(doc) <= DATASOURCE_FILE_KEYS and doc["apiVersion"] == 1
    assert len(doc["datasources"]) == 1
    ds = doc["datasources"][0]
    assert set(ds) <= DATASOURCE_KEYS, set(ds) - DATASOURCE_KEYS
    assert set(ds["jsonData"]) <= JSONDATA_KEYS, set(ds["jsonData"]) - JSONDATA_KEYS
    assert set(ds["secureJsonData"]) <= SECURE_KEYS, set(ds["secureJsonData"]) - SECURE_KEYS
    assert "database" not in ds and "password" not in ds, "deprecated top-level database/password"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_datasource_values(rendered: dict[str, dict[str, str]], variant: str) -> None:
    variables = VARIANTS[variant]
    ds = yaml.safe_load(rendered[variant]["datasource.yaml"])["datasources"][0]
    assert ds["uid"] == "singlestore" and ds["type"] == "mysql" and ds["access"] == "proxy"
    assert ds["isDefault"] is True and ds["editable"] is False
    assert ds["name"] == "SingleStore"
    port = variables.get("grafana_datasource_port", 3306)
    assert ds["url"] == f"{variables['grafana_datasource_host']}:{port}"
    assert ds["user"] == variables["grafana_datasource_user"]
    jd = ds["jsonData"]
    assert jd["timezone"] == "+00:00"
    assert grafana_interpolate(jd["database"]) == variables.get("grafana_datasource_database", "demo_retails")
    assert jd["maxOpenConns"] == variables.get("grafana_datasource_max_open_conns", 20)
    assert isinstance(jd["maxIdleConns"], int) and isinstance(jd["connMaxLifetime"], int)
    assert jd["tlsSkipVerify"] is False and jd["tlsAuth"] is False
    password = ds["secureJsonData"]["password"]
    assert_only_literal_dollars(password)
    assert grafana_interpolate(password, {"HOME": "/root"}) == variables["grafana_datasource_password"]
    for value in (ds["name"], ds["url"], ds["user"], jd["database"], jd["timeInterval"]):
        assert_only_literal_dollars(value)


def test_datasource_tls_only_with_a_ca(rendered: dict[str, dict[str, str]]) -> None:
    with_ca = yaml.safe_load(rendered["tls"]["datasource.yaml"])["datasources"][0]
    assert with_ca["jsonData"]["tlsAuthWithCACert"] is True
    assert with_ca["secureJsonData"]["tlsCACert"] == CA_PEM
    without = yaml.safe_load(rendered["defaults"]["datasource.yaml"])["datasources"][0]
    assert without["jsonData"]["tlsAuthWithCACert"] is False
    assert "tlsCACert" not in without["secureJsonData"]


# -- dashboard provider ---------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_provider_keys_and_values(rendered: dict[str, dict[str, str]], variant: str) -> None:
    doc = yaml.safe_load(rendered[variant]["dashboards.yaml"])
    assert set(doc) <= PROVIDER_FILE_KEYS and doc["apiVersion"] == 1
    (provider,) = doc["providers"]
    assert set(provider) <= PROVIDER_KEYS, set(provider) - PROVIDER_KEYS
    assert set(provider["options"]) <= PROVIDER_OPTION_KEYS
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/etc/grafana/dashboards"
    assert provider["folder"] == VARIANTS[variant].get("grafana_dashboards_folder", "")
    assert provider["allowUiUpdates"] is False and isinstance(provider["updateIntervalSeconds"], int)


# -- compose file ---------------------------------------------------------------------------------

def compose_value(value: str) -> str:
    """What compose makes of a string in compose.yaml: `$$` is a literal `$`, any other `$` interpolates."""
    assert_only_literal_dollars(value)
    return value.replace("$$", "$")


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_compose_file(rendered: dict[str, dict[str, str]], variant: str) -> None:
    variables = VARIANTS[variant]
    text = rendered[variant]["compose.yaml"]
    doc = yaml.safe_load(text)
    assert doc["name"] == "grafana-stack"
    svc = doc["services"]["grafana"]
    assert svc["image"] == variables.get("grafana_image", "grafana/grafana:13.2.0")
    assert svc["user"] == "472:0"
    env = {k: compose_value(str(v)) for k, v in svc["environment"].items()}
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false" and env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_DASHBOARDS_MIN_REFRESH_INTERVAL"] == "250ms"
    assert env["GF_SECURITY_COOKIE_SECURE"] == str(variables.get("grafana_cookie_secure", False)).lower()
    for key, value in variables.get("grafana_extra_env", {}).items():
        assert env[key] == value
    # The MySQL data source plugin: auto-update off unless asked, a version pinned only when given.
    assert env["GF_PLUGINS_PREINSTALL_AUTO_UPDATE"] == str(variables.get("grafana_plugins_auto_update", False)).lower()
    if variables.get("grafana_mysql_plugin_version"):
        assert env["GF_PLUGINS_PREINSTALL_SYNC"] == f"mysql@{variables['grafana_mysql_plugin_version']}"
    else:
        assert "GF_PLUGINS_PREINSTALL_SYNC" not in env
    if variables.get("grafana_root_url"):
        assert env["GF_SERVER_ROOT_URL"] == variables["grafana_root_url"]
    else:
        assert "GF_SERVER_ROOT_URL" not in env
    bind = variables.get("grafana_bind_address", "127.0.0.1")
    assert svc["ports"] == [f"{bind}:{variables.get('grafana_port', 3000)}:3000"]
    assert "grafana-data:/var/lib/grafana" in svc["volumes"]
    assert "./provisioning/datasources:/etc/grafana/provisioning/datasources:ro" in svc["volumes"]
    assert "./provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro" in svc["volumes"]
    assert "./dashboards:/etc/grafana/dashboards:ro" in svc["volumes"]
    assert svc["secrets"] == ["grafana_admin_password"]
    assert doc["secrets"]["grafana_admin_password"]["file"] == "./secrets/grafana_admin_password"
    assert "grafana-data" in doc["volumes"]
    assert svc["healthcheck"]["test"][0] == "CMD-SHELL" and "/api/health" in svc["healthcheck"]["test"][1]
    for secret in (variables["grafana_admin_password"], variables["grafana_datasource_password"]):
        assert secret not in text, "a secret in compose.yaml"


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_compose_config_accepts_it(rendered: dict[str, dict[str, str]], variant: str, tmp_path: Path) -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("no docker compose plugin")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "grafana_admin_password").write_text("x")
    (tmp_path / "compose.yaml").write_text(rendered[variant]["compose.yaml"])
    proc = subprocess.run(["docker", "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "variable is not set" not in proc.stderr, proc.stderr


# -- argument spec and defaults ---------------------------------------------------------------------

def _spec() -> dict[str, Any]:
    return yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


def _defaults() -> dict[str, Any]:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def test_every_variable_is_specified_and_prefixed() -> None:
    spec, defaults = _spec(), _defaults()
    assert all(name.startswith("grafana_") for name in spec)
    required = {name for name, opt in spec.items() if opt.get("required")}
    assert required == {"grafana_admin_password", "grafana_datasource_host", "grafana_datasource_user",
                        "grafana_datasource_password"}
    assert set(defaults) == set(spec) - required, "defaults/main.yml and meta/argument_specs.yml disagree"
    for name, value in defaults.items():
        assert spec[name].get("default") == value, f"{name}: spec default {spec[name].get('default')!r} != {value!r}"
        assert spec[name].get("description"), name
    for name in ("grafana_admin_password", "grafana_datasource_password"):
        assert spec[name].get("no_log") is True and "default" not in spec[name]


def test_defaults_match_their_spec_types(tmp_path: Path) -> None:
    spec = _spec()
    provided = {**_defaults(), **VARIANTS["defaults"], "grafana_dashboards_src_dir": str(REPO / "files" / "grafana" / "dashboards")}
    # role_path: the spec's own default for grafana_dashboards_src_dir refers to it
    play = {"hosts": "localhost", "gather_facts": False, "vars": {"role_path": str(ROLE)}, "tasks": [{
        "name": "validate", "ansible.builtin.validate_argument_spec": {"argument_spec": spec, "provided_arguments": provided}}]}
    proc = run_playbook(tmp_path, [play])
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_role_stops_without_required_variables(tmp_path: Path) -> None:
    play = {"hosts": "localhost", "gather_facts": False,
            "tasks": [{"name": "grafana", "ansible.builtin.include_role": {"name": "transactions_st.realtime.grafana"}}]}
    proc = run_playbook(tmp_path, [play])
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "missing required arguments" in out, out[-3000:]
    for name in ("grafana_admin_password", "grafana_datasource_host", "grafana_datasource_user", "grafana_datasource_password"):
        assert name in out
    assert "Create the project directories" not in out, "the role ran tasks before validating its arguments"


def test_role_rejects_a_bad_pull_policy(tmp_path: Path) -> None:
    play = {"hosts": "localhost", "gather_facts": False, "vars": {**VARIANTS["defaults"], "grafana_pull": "sometimes"},
            "tasks": [{"name": "grafana", "ansible.builtin.include_role": {"name": "transactions_st.realtime.grafana"}}]}
    proc = run_playbook(tmp_path, [play])
    assert proc.returncode != 0
    assert "grafana_pull" in proc.stdout and "sometimes" in proc.stdout, proc.stdout[-3000:]
    assert "plain-ds-password" not in proc.stdout + proc.stderr, "a secret printed by the validation"
