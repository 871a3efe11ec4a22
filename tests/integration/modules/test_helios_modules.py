# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""singlestore_workspace_group, singlestore_workspace and singlestore_workspace_info in real ansible-playbook runs.

Against the lab's Management API stand-in (fixture ``helios``, tests/lab/helios/server.py), through the real
singlestoredb client: every transition runs check, real, check, real with --diff (changed, changed, unchanged,
unchanged), and the stand-in's request log (``/_lab/requests``) shows that check mode sent no write request.
Bad inputs fail with a clear message and change nothing. The ``live`` tests run the same modules against the real
Management API when SINGLESTOREDB_API_KEY is set, with uniquely named, short-lived objects that are always removed.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.integration.modules._ansible import Run, assert_clean_failure, run_steps, step

GROUP = "group/transactions_st.realtime.helios"
WRITES = {"POST", "PATCH", "DELETE", "PUT"}
PASSWORD = "Tst-" + uuid.uuid4().hex[:12] + "-Aa1!"


def writes(helios: Any) -> list[str]:
    """The write requests the stand-in received since its last reset (its own /_lab/ knobs left out)."""
    return [
        f"{r['method']} {r['path']}"
        for r in helios.requests()
        if r["method"] in WRITES and not r["path"].startswith("/_lab")
    ]


def login(helios: Any) -> dict[str, Any]:
    return {"api_key": helios.api_key, "api_url": helios.url}


def run(tmp_path: Path, helios: Any, steps: list[dict[str, Any]]) -> Run:
    out = run_steps(tmp_path, login(helios), steps, group=GROUP)
    assert helios.api_key not in out.output and PASSWORD not in out.output, "a secret reached the output"
    return out


def idiom(tmp_path: Path, helios: Any, module: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    """check, real, check, real (--diff): changed, changed, unchanged, unchanged; the first check sends no write."""
    sent = len(writes(helios))
    first = run(tmp_path, helios, [step(module, args, check=True)]).results[0]
    assert not first.get("failed"), first
    assert first["changed"] is True and first["requests"], first
    assert len(writes(helios)) == sent, f"check mode sent {writes(helios)[sent:]}"
    rest = run(tmp_path, helios, [step(module, args), step(module, args, check=True), step(module, args)]).results
    for res in rest:
        assert not res.get("failed"), res
    assert [r["changed"] for r in [first] + rest] == [True, True, False, False], [first] + rest
    # the check run planned exactly the write requests the real run sent (ids of new objects aside)
    assert [r.split("/v1/")[1].split("/")[0] for r in first["requests"]] == [
        r.split("/v1/")[1].split("/")[0] for r in rest[0]["requests"]
    ]
    assert [r.split(" ")[0] for r in rest[0]["requests"]] == [w.split(" ")[0] for w in writes(helios)[sent:]]
    assert rest[1]["requests"] == [] and rest[2]["requests"] == []
    for res in [first] + rest:
        assert set(res["diff"]) == {"before", "after"}
        assert list(res["diff"]["after"]) == sorted(res["diff"]["after"]), "diff keys are not sorted"
    assert first["diff"]["after"] == rest[0]["diff"]["after"], "check mode predicted another result than the run"
    return [first] + rest


def a_region(url: str, api_key: str) -> Any:
    """The first AWS region the API offers (read with the client the modules use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from singlestoredb.management.workspace import manage_workspaces

        regions = list(manage_workspaces(access_token=api_key, base_url=url).regions)
    return next(r for r in regions if r.provider == "AWS")


@pytest.fixture
def lab_api(helios: Any) -> Iterator[Any]:
    helios.reset()
    helios.configure(delay=0.2)
    yield helios
    helios.reset()


def group_args(where: Any, name: str, **extra: Any) -> dict[str, Any]:
    args = {
        "name": name,
        "provider": where.provider,
        "region": where.name,
        "firewall_ranges": ["203.0.113.7/32", "198.51.100.0/24"],
        "admin_password": PASSWORD,
    }
    args.update(extra)
    return args


def test_group_and_workspace_lifecycle(tmp_path: Path, lab_api: Any) -> None:
    helios = lab_api
    region = a_region(helios.url, helios.api_key)

    created = idiom(tmp_path, helios, "singlestore_workspace_group", group_args(region, "tst-group"))
    group = created[1]["workspace_group"]
    assert group["state"] == "ACTIVE" and group["region"]["id"] == region.id
    assert group["firewall_ranges"] == ["198.51.100.0/24", "203.0.113.7/32"]
    assert created[1]["states_seen"][-1] == "ACTIVE"
    assert created[0]["diff"]["before"] == {"exists": False, "name": "tst-group"}

    widened = idiom(
        tmp_path,
        helios,
        "singlestore_workspace_group",
        {
            "name": "tst-group",
            "firewall_ranges": ["203.0.113.7/32", "192.0.2.0/24"],
            "update_window": {"day": 0, "hour": 3},
        },
    )
    assert widened[1]["requests"] == [f"PATCH /v1/workspaceGroups/{group['id']}"]
    assert widened[1]["diff"]["before"]["firewall_ranges"] == ["198.51.100.0/24", "203.0.113.7/32"]
    assert widened[1]["workspace_group"]["firewall_ranges"] == ["192.0.2.0/24", "203.0.113.7/32"]
    assert widened[1]["workspace_group"]["update_window"] == {"day": 0, "hour": 3}

    space_args = {"name": "tst-ws", "workspace_group": "tst-group", "size": "S-00", "state": "active"}
    made = idiom(tmp_path, helios, "singlestore_workspace", space_args)
    space = made[1]["workspace"]
    assert space["state"] == "ACTIVE" and space["workspace_group_id"] == group["id"]
    assert made[1]["states_seen"][0] != "ACTIVE" and made[1]["states_seen"][-1] == "ACTIVE", made[1]["states_seen"]
    assert made[0]["workspace"]["id"] is None and space["id"]

    helios.set_endpoint(space["id"], "127.0.0.1")
    suspended = idiom(tmp_path, helios, "singlestore_workspace", dict(space_args, state="suspended"))
    assert suspended[1]["requests"] == [f"POST /v1/workspaces/{space['id']}/suspend"]
    assert suspended[1]["states_seen"][0] == "ACTIVE" and suspended[1]["states_seen"][-1] == "SUSPENDED"
    assert suspended[3]["states_seen"] == ["SUSPENDED"]

    # present leaves a suspended workspace as it is; info reports it with its endpoint
    both = run(
        tmp_path,
        helios,
        [
            step("singlestore_workspace", {"name": "tst-ws", "workspace_group": "tst-group"}),
            step("singlestore_workspace_info", {"workspace_group": "tst-group"}),
        ],
    ).results
    assert both[0]["changed"] is False and both[0]["workspace"]["state"] == "SUSPENDED"
    (listed,) = both[1]["workspace_groups"]
    assert listed["id"] == group["id"] and listed["outbound_allow_list"] == group["outbound_allow_list"]
    assert [(w["name"], w["state"], w["endpoint"]) for w in listed["workspaces"]] == [
        ("tst-ws", "SUSPENDED", "127.0.0.1")
    ]

    resumed = idiom(tmp_path, helios, "singlestore_workspace", space_args)
    assert resumed[1]["requests"] == [f"POST /v1/workspaces/{space['id']}/resume"]
    assert resumed[1]["states_seen"][0] == "SUSPENDED" and resumed[1]["states_seen"][-1] == "ACTIVE"
    assert resumed[1]["workspace"]["endpoint"] == "127.0.0.1"

    auto = idiom(
        tmp_path,
        helios,
        "singlestore_workspace",
        dict(space_args, auto_suspend={"suspend_type": "IDLE", "suspend_after_seconds": 3600}),
    )
    assert auto[1]["workspace"]["auto_suspend"] == {"suspend_type": "IDLE", "suspend_after_seconds": 3600}

    idiom(tmp_path, helios, "singlestore_workspace", dict(space_args, state="absent"))
    gone = idiom(tmp_path, helios, "singlestore_workspace_group", {"name": "tst-group", "state": "absent"})
    assert gone[1]["workspace_group"] == {"exists": False, "name": "tst-group"}
    # terminated objects are hidden: the group is no longer listed, a new one of the same name would be created
    final = run(tmp_path, helios, [step("singlestore_workspace_info", {})]).results[0]
    assert final["workspace_groups"] == []


def test_bad_inputs_fail_clearly_and_change_nothing(tmp_path: Path, lab_api: Any) -> None:
    helios = lab_api
    region = a_region(helios.url, helios.api_key)
    setup = run(
        tmp_path,
        helios,
        [
            # the group not waited for: the workspace module waits for it to be ACTIVE before creating in it
            step("singlestore_workspace_group", group_args(region, "tst-bad", wait=False)),
            step("singlestore_workspace", {"name": "tst-bad-ws", "workspace_group": "tst-bad", "wait": False}),
        ],
    ).results
    assert not any(r.get("failed") for r in setup), setup
    assert setup[0]["workspace_group"]["state"] == "PENDING" and setup[1]["workspace"]["state"] == "PENDING"
    sent = len(writes(helios))
    results = run(
        tmp_path,
        helios,
        [
            step("singlestore_workspace_group", group_args(region, "tst-x", provider="AWS", region="atlantis-9")),
            step("singlestore_workspace_group", group_args(region, "tst-x", firewall_ranges=["10.0.0.1/8", "1.2.3.4"])),
            step("singlestore_workspace_group", {"name": "tst-bad", "state": "absent"}),
            step("singlestore_workspace", {"name": "tst-too-big", "workspace_group": "tst-bad", "size": "S-999"}),
        ],
    ).results
    assert_clean_failure(results[0], "unknown region 'atlantis-9' of provider 'AWS'", "the API offers", region.name)
    assert_clean_failure(results[1], "not a CIDR range", "'10.0.0.1/8'", "'1.2.3.4'", "nothing was sent")
    assert_clean_failure(results[2], "still has 1 workspace(s): tst-bad-ws", "force: true", "nothing was deleted")
    assert_clean_failure(results[3], "creating workspace 'tst-too-big'", "HTTP 400", "S-999")
    for res in results:
        assert res["requests"] == [], res  # no write request succeeded
    # the only write that reached the API is the refused creation; it created nothing
    assert [w.split(" ")[0] + " " + w.split(" ")[1].split("?")[0] for w in writes(helios)[sent:]] == [
        "POST /v1/workspaces"
    ]

    wrong = run_steps(
        tmp_path,
        {"api_key": "not-the-key-" + uuid.uuid4().hex, "api_url": helios.url},
        [step("singlestore_workspace_group", {"name": "tst-bad", "state": "absent", "force": True})],
        group=GROUP,
    ).results[0]
    assert_clean_failure(wrong, "HTTP 401", "the API key was refused")
    assert "not-the-key-" not in json.dumps(wrong)

    info = run(tmp_path, helios, [step("singlestore_workspace_info", {})]).results[0]
    assert [(g["name"], [w["name"] for w in g["workspaces"]]) for g in info["workspace_groups"]] == [
        ("tst-bad", ["tst-bad-ws"])
    ]
    assert len(writes(helios)) == sent + 1


# -- live ------------------------------------------------------------------------------------
@pytest.mark.live("SINGLESTOREDB_API_KEY")
def test_live_group_and_workspace(tmp_path: Path) -> None:
    """Against the real Management API: a group that expires by itself in 2 h (a safety net), one S-00 workspace,
    suspended and resumed, then both removed. The firewall admits only a documentation range (192.0.2.0/24)."""
    api_key = os.environ["SINGLESTOREDB_API_KEY"]
    url = os.environ.get("SINGLESTOREDB_MANAGEMENT_BASE_URL", "https://api.singlestore.com")
    creds = {"api_key": api_key, "api_url": url}
    name = "tst-live-" + uuid.uuid4().hex[:8]
    region = a_region(url, api_key)
    try:
        made = run_steps(
            tmp_path,
            creds,
            [
                step(
                    "singlestore_workspace_group",
                    group_args(region, name, firewall_ranges=["192.0.2.0/24"], expires_at="2h"),
                ),
                step("singlestore_workspace", {"name": name, "workspace_group": name, "size": "S-00"}),
                step("singlestore_workspace", {"name": name, "workspace_group": name, "size": "S-00"}),
                step("singlestore_workspace", {"name": name, "workspace_group": name, "state": "suspended"}),
                step("singlestore_workspace", {"name": name, "workspace_group": name, "state": "active"}),
            ],
            group=GROUP,
        )
        assert api_key not in made.output and PASSWORD not in made.output
        group, created, again, suspended, resumed = made.results
        for res in made.results:
            assert not res.get("failed"), res
        assert group["workspace_group"]["state"] == "ACTIVE" and created["workspace"]["state"] == "ACTIVE"
        assert created["workspace"]["endpoint"] and again["changed"] is False
        assert suspended["workspace"]["state"] == "SUSPENDED" and resumed["workspace"]["state"] == "ACTIVE"
    finally:
        cleanup = run_steps(
            tmp_path,
            creds,
            [
                step("singlestore_workspace", {"name": name, "workspace_group": name, "state": "absent"}),
                step("singlestore_workspace_group", {"name": name, "state": "absent", "force": True}),
            ],
            group=GROUP,
        )
        assert not any(r.get("failed") for r in cleanup.results), cleanup.results
