"""The grafana role's checks before any change (roles/grafana/tasks/validate.yml), run as the role runs them.

* The refresh rule (templates/checks/refresh.j2): grafana_min_refresh_interval against each dashboard's
  ``refresh`` and ``timepicker.refresh_intervals``, on fixture dashboards, one case per play of a single
  ansible-playbook run (the role's validate tasks in a block; the rescue records the failure message).
* The GF_* check (templates/checks/environment.j2) against roles/grafana/files/gf_settings.txt: every
  key the role sets is in the list, a misspelt one is caught, ``__FILE``, AWS profiles and
  grafana_extra_env_unchecked pass, a key the role sets itself is refused in grafana_extra_env.
* The whole role with bad input: it fails before its first change (the project directory never appears).
* files/grafana/gf_settings.py, which writes the list from a defaults.ini.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.grafana.test_grafana_provisioning import REPO, ROLE, VARIANTS, run_playbook
from tests.unit.grafana.grafana_sql import load_builder

SETTINGS_LIST = ROLE / "files" / "gf_settings.txt"
GF_SETTINGS_PATH = REPO / "files" / "grafana" / "gf_settings.py"
SECRETS = dict(VARIANTS["defaults"])


def board(refresh: Any = "250ms", intervals: Any = "absent") -> dict[str, Any]:
    out: dict[str, Any] = {"uid": "t", "title": "t", "panels": []}
    if refresh is not None:
        out["refresh"] = refresh
    if intervals != "absent":
        out["timepicker"] = {"refresh_intervals": intervals}
    return out


# case: (grafana_min_refresh_interval, {file: dashboard} or None for the shipped dashboards, expected)
# expected: None (passes) or regular expressions that must all be in the failure message.
REFRESH_CASES: dict[str, tuple[str, Any, Any]] = {
    "shipped_250ms": ("250ms", None, None),
    "shipped_10s_floor": ("10s", None, [r"retail-realtime\.json: refresh 250ms is shorter than grafana_min_refresh_interval \(10s\)",
                                        r"retail-realtime-rollup\.json: refresh 250ms is shorter"]),
    "min_decimal": ("1.5s", None, [r"grafana_min_refresh_interval '1\.5s' is not a duration"]),
    "min_compound": ("1m30s", None, [r"'1m30s' is not a duration"]),
    "min_unitless": ("5", None, [r"'5' is not a duration"]),
    "min_zero": ("0s", None, [r"'0s' is not a duration"]),
    "min_negative": ("-5s", None, [r"'-5s' is not a duration"]),
    "min_week": ("1w", None, [r"'1w' is not a duration"]),
    "refresh_not_in_picker": ("250ms", {"a.json": board("250ms", ["1s", "5s"])},
                              [r"a\.json: refresh 250ms is not in timepicker\.refresh_intervals \(1s, 5s\): the browser never "
                               r"starts the refresh timer"]),
    "no_picker_default_list": ("250ms", {"a.json": board("250ms")},
                               [r"a\.json: refresh 250ms is not in timepicker\.refresh_intervals \(5s, 10s, 30s, 1m, 5m, 15m, "
                                r"30m, 1h, 2h, 1d\)"]),
    "no_picker_5s": ("5s", {"a.json": board("5s")}, None),
    "picker_all_below_min": ("1s", {"a.json": board("", ["250ms", "500ms"])},
                             [r"a\.json: no interval of timepicker\.refresh_intervals \(250ms, 500ms\) is at least "
                              r"grafana_min_refresh_interval \(1s\)"]),
    "picker_bad_entry": ("250ms", {"a.json": board("1s", ["1s", "1.5s", "auto"])},
                         [r"a\.json: timepicker\.refresh_intervals has 1\.5s, auto, not a duration"]),
    "refresh_auto": ("250ms", {"a.json": board("auto", ["1s"])},
                     [r"a\.json: refresh 'auto' is not a duration .* replaces it with grafana_min_refresh_interval \(250ms\)"]),
    "refresh_below_min_even_if_listed": ("1s", {"a.json": board("500ms", ["500ms", "1s"])},
                                         [r"refresh 500ms is shorter than grafana_min_refresh_interval \(1s\): Grafana's "
                                          r"provisioning raises it to 1s"]),
    "units_equal": ("60m", {"a.json": board("1h", ["1h", "1d"])}, None),
    "units_minutes": ("30s", {"a.json": board("1m", ["30s", "1m"])}, None),
    "day_below_hours": ("25h", {"a.json": board("1d", ["1d", "2d"])},
                        [r"refresh 1d is shorter than grafana_min_refresh_interval \(25h\)"]),
    "no_refresh_ok": ("1m", {"a.json": board(None, ["1m"])}, None),
    "two_files_each_named": ("250ms", {"a.json": board("250ms", ["500ms"]), "b.json": board("2s", ["1s"])},
                             [r"a\.json: refresh 250ms is not in", r"b\.json: refresh 2s is not in"]),
}

# case: (grafana_extra_env, grafana_extra_env_unchecked, expected as above)
ENV_CASES: dict[str, tuple[dict[str, str], list[str], Any]] = {
    "defaults": ({}, [], None),
    "known_keys": ({"GF_LOG_LEVEL": "warn", "GF_SMTP_PASSWORD__FILE": "/run/secrets/smtp",
                    "GF_PLUGIN_GRAFANA_IMAGE_RENDERER_RENDERING_TIMEZONE": "UTC", "GF_DEFAULT_INSTANCE_NAME": "x",
                    "TZ": "UTC"}, [], None),
    "misspelt": ({"GF_DASHBOARD_MIN_REFRESH_INTERVAL": "1s"}, [],
                 [r"GF_DASHBOARD_MIN_REFRESH_INTERVAL is not in the settings of Grafana 13\.2\.0 "
                  r"\(roles/grafana/files/gf_settings\.txt\): Grafana would ignore it without a word"]),
    "misspelt_file": ({"GF_SMTP_PASWORD__FILE": "/x"}, [], [r"GF_SMTP_PASWORD__FILE is not in the settings"]),
    "lower_case": ({"gf_log_level": "warn"}, [], [r"gf_log_level: Grafana reads GF_\* names in upper case only"]),
    "unchecked": ({"GF_FUTURE_SETTING": "1"}, ["GF_FUTURE_SETTING"], None),
    "aws_profiles": ({"GF_AWS_PROFILES": "prod dev", "GF_AWS_prod_REGION": "eu-west-1", "GF_AWS_dev_ACCESS_KEY_ID": "k"},
                     [], None),
    "aws_unlisted_profile": ({"GF_AWS_PROFILES": "prod", "GF_AWS_TEST_REGION": "x"}, [],
                             [r"GF_AWS_TEST_REGION is not in the settings"]),
    "role_key": ({"GF_DASHBOARDS_MIN_REFRESH_INTERVAL": "1s"}, [],
                 [r"grafana_extra_env sets GF_DASHBOARDS_MIN_REFRESH_INTERVAL, which the role sets itself"]),
    "role_key_as_file": ({"GF_SECURITY_ADMIN_PASSWORD": "x"}, [],
                         [r"grafana_extra_env sets GF_SECURITY_ADMIN_PASSWORD, which the role sets itself"]),
}


def _case_play(name: str, variables: dict[str, Any], results: Path) -> dict[str, Any]:
    """A play running the role's validate.yml; the failure message (or '') is written to results/<name>."""
    return {
        "name": name, "hosts": "localhost", "gather_facts": False, "vars": {**SECRETS, **variables},
        "tasks": [
            # facts outlive the play: forget the previous case's failure
            {"name": "reset", "ansible.builtin.set_fact": {"case_failure": ""}},
            {"name": "validate", "block": [{"ansible.builtin.include_role": {
                "name": "transactions_st.realtime.grafana", "tasks_from": "validate.yml"}}],
             "rescue": [{"ansible.builtin.set_fact": {"case_failure": "{{ ansible_failed_result.msg }}"}}]},
            {"name": "record", "ansible.builtin.copy": {
                "content": "{{ case_failure | default('') }}", "dest": str(results / name), "mode": "0600"}},
        ],
    }


def _run_cases(tmp: Path, plays: list[dict[str, Any]], results: Path) -> dict[str, str]:
    """{play name: failure message, or '' when validate.yml passed}."""
    proc = run_playbook(tmp, plays)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return {play["name"]: (results / play["name"]).read_text() for play in plays}


def _check(found: dict[str, str], name: str, expected: Any) -> None:
    message = found[name]
    if expected is None:
        assert message == "", f"{name}: {message}"
    else:
        assert message, f"{name}: passed, expected a failure"
        for pattern in expected:
            assert re.search(pattern, message), f"{name}: {pattern!r} not in {message!r}"


@pytest.fixture(scope="module")
def refresh_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("grafana-refresh")
    results = tmp / "results"
    results.mkdir()
    plays = []
    for name, (minimum, boards, _) in REFRESH_CASES.items():
        variables: dict[str, Any] = {"grafana_min_refresh_interval": minimum}
        if boards is not None:
            folder = tmp / name
            folder.mkdir()
            for file_name, content in boards.items():
                (folder / file_name).write_text(json.dumps(content))
            variables["grafana_dashboards_src_dir"] = str(folder)
        plays.append(_case_play(name, variables, results))
    return _run_cases(tmp, plays, results)


@pytest.fixture(scope="module")
def env_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("grafana-env")
    results = tmp / "results"
    results.mkdir()
    plays = [_case_play(name, {"grafana_extra_env": extra, "grafana_extra_env_unchecked": unchecked}, results)
             for name, (extra, unchecked, _) in ENV_CASES.items()]
    return _run_cases(tmp, plays, results)


@pytest.mark.parametrize("case", list(REFRESH_CASES))
def test_refresh_rule(refresh_results: dict[str, str], case: str) -> None:
    _check(refresh_results, case, REFRESH_CASES[case][2])


@pytest.mark.parametrize("case", list(ENV_CASES))
def test_environment_rule(env_results: dict[str, str], case: str) -> None:
    _check(env_results, case, ENV_CASES[case][2])


def test_the_generated_dashboards_follow_the_refresh_rule_they_claim() -> None:
    """build_dashboard.py's refresh and picker are the ones the shipped_250ms case passes with."""
    builder = load_builder()
    assert builder.REFRESH == "250ms" and builder.REFRESH in builder.REFRESH_INTERVALS
    assert builder.SLOW_QUERIES_REFRESH in builder.REFRESH_INTERVALS


# -- the settings list --------------------------------------------------------------------------------

def settings() -> set[str]:
    return {line.strip() for line in SETTINGS_LIST.read_text().splitlines() if line.strip() and not line.startswith("#")}


def role_keys() -> set[str]:
    """Every GF_* name grafana_environment_own (vars/main.yml) can set, the optional ones included."""
    text = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["grafana_environment_own"]
    return set(re.findall(r"'(GF_[A-Z0-9_]+)'", text))


def test_every_key_the_role_sets_is_a_known_setting() -> None:
    keys = role_keys()
    assert {"GF_DASHBOARDS_MIN_REFRESH_INTERVAL", "GF_PLUGINS_PREINSTALL_AUTO_UPDATE", "GF_PLUGINS_PREINSTALL_SYNC",
            "GF_SERVER_ROOT_URL", "GF_SECURITY_ADMIN_PASSWORD__FILE"} <= keys
    known = settings()
    missing = {key for key in keys if re.sub(r"__FILE$", "", key) not in known}
    assert not missing, missing


def test_the_compose_template_writes_grafana_environment_only() -> None:
    """No GF_* name is written into compose.yaml around the checked grafana_environment."""
    template = (ROLE / "templates" / "compose.yaml.j2").read_text()
    assert "grafana_environment | dictsort" in template
    assert not re.findall(r"^\s+GF_[A-Z_]+:", template, re.M)


def test_settings_list_shape_and_version() -> None:
    lines = SETTINGS_LIST.read_text().splitlines()
    names = [line for line in lines if line and not line.startswith("#")]
    assert len(names) == len(set(names)), "a name listed twice"
    assert all(re.fullmatch(r"GF_[A-Z0-9_]+", name) for name in names)
    assert len(names) > 500
    version = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("# grafana:"))
    image = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())["grafana_image"]
    assert image.rsplit(":", 1)[1] == version, "grafana_image changed: regenerate files/gf_settings.txt for it"
    assert any(line.startswith("# source:") for line in lines)


def _load_gf_settings() -> Any:
    import importlib.util
    spec = importlib.util.spec_from_file_location("transactions_st_gf_settings", GF_SETTINGS_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


INI = '''# comment
instance_name = ${HOSTNAME}
;commented_out = 1
[server]
http_port = 3000
root_url = %(protocol)s://%(domain)s:%(http_port)s/
[auth.generic_oauth]
client_id = some_id
[plugin.grafana-image-renderer]
rendering_timezone =
[security]
content_security_policy_template = """script-src 'self';
object-src 'none';"""
cookie_secure = false
#exampleHeader1 = exampleValue1
[dataproxy]
dialTimeout = 10
[server.custom_response_headers]
'''


def test_gf_settings_maps_ini_keys_as_grafana_does() -> None:
    module = _load_gf_settings()
    assert module.ini_env_names(INI) == [
        "GF_DEFAULT_INSTANCE_NAME", "GF_SERVER_HTTP_PORT", "GF_SERVER_ROOT_URL", "GF_AUTH_GENERIC_OAUTH_CLIENT_ID",
        "GF_PLUGIN_GRAFANA_IMAGE_RENDERER_RENDERING_TIMEZONE", "GF_SECURITY_CONTENT_SECURITY_POLICY_TEMPLATE",
        "GF_SECURITY_COOKIE_SECURE", "GF_DATAPROXY_DIALTIMEOUT",
    ]


def test_gf_settings_writes_checks_and_keeps_the_marked_part(tmp_path: Path) -> None:
    module = _load_gf_settings()
    ini = tmp_path / "defaults.ini"
    ini.write_text(INI)
    out = tmp_path / "list.txt"
    out.write_text(f"# old header\nGF_OLD\n{module.KEPT_MARKER}\n# from elsewhere\nGF_KEPT\n")
    args = [str(ini), "--grafana", "9.9.9", "--source", "test", "--output", str(out)]
    assert module.main(args + ["--check"]) == 1
    assert module.main(args) == 0
    text = out.read_text()
    assert text.startswith("# grafana: 9.9.9\n# source: test\n")
    assert "GF_OLD" not in text and "GF_SERVER_HTTP_PORT\n" in text
    assert text.endswith(f"{module.KEPT_MARKER}\n# from elsewhere\nGF_KEPT\n")
    assert module.main(args + ["--check"]) == 0


# -- the whole role with bad input --------------------------------------------------------------------

BAD_INPUTS = {
    "min_refresh_interval": ({"grafana_min_refresh_interval": "2s"}, "refresh 250ms is shorter than grafana_min_refresh_interval (2s)"),
    "unknown_key": ({"grafana_extra_env": {"GF_SERVER_ROOTURL": "https://x/"}}, "GF_SERVER_ROOTURL is not in the settings"),
    "plugin_version": ({"grafana_mysql_plugin_version": "latest"}, "grafana_mysql_plugin_version 'latest' is not a plugin version"),
}


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_role_fails_before_changing_anything(tmp_path: Path, case: str, check_mode: bool) -> None:
    variables, message = BAD_INPUTS[case]
    project = tmp_path / "project"
    play = {"hosts": "localhost", "gather_facts": False, "check_mode": check_mode,
            "vars": {**SECRETS, "grafana_project_dir": str(project), **variables},
            "tasks": [{"name": "grafana", "ansible.builtin.include_role": {"name": "transactions_st.realtime.grafana"}}]}
    proc = run_playbook(tmp_path, [play])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert message in out, out[-3000:]
    assert "changed=0" in out
    assert "Create the project directories" not in out, "a task ran after the failed check"
    assert not project.exists()
    assert SECRETS["grafana_datasource_password"] not in out and SECRETS["grafana_admin_password"] not in out
