# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Helios layer: option checks, the wait helper, and the plans of the workspace group and workspace kinds.

The plans run against ``FakeClient``, an in-memory stand-in for ``HeliosClient`` (the one class that calls
singlestoredb): it answers reads from dicts and records the write requests as the real one does, so these tests
need no server. The client itself is driven against the lab's HTTP stand-in in
tests/integration/modules/test_helios_modules.py.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.transactions_st.realtime.plugins.module_utils import _helios
from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import (
    HeliosModule,
    validate_cidrs,
    wait_for_state,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace import (
    Workspace,
    auto_suspend_public,
    wanted_auto_suspend,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace_group import WorkspaceGroup, expiry
from ansible_collections.transactions_st.realtime.plugins.modules import (
    singlestore_workspace,
    singlestore_workspace_group,
)

API_KEY = "unit-test-api-key-0123456789"
PASSWORD = "Unit-Test-Passw0rd!x"
REGION = SimpleNamespace(
    id="11111111-1111-4111-8111-111111111111", name="US East 1", provider="AWS", region_name="us-east-1"
)
GROUP_ID = "22222222-2222-4222-8222-222222222222"
SPACE_ID = "33333333-3333-4333-8333-333333333333"


class FakeClient:
    """HeliosClient's methods over dicts; writes recorded in ``requests`` and applied at once (no PENDING)."""

    def __init__(self, requests: list[str]) -> None:
        self.requests = requests
        self.groups: dict[str, SimpleNamespace] = {}
        self.spaces: dict[str, SimpleNamespace] = {}

    def add_group(self, **fields: Any) -> SimpleNamespace:
        group = SimpleNamespace(
            id=GROUP_ID,
            name="g",
            region=REGION,
            provider="AWS",
            region_name="us-east-1",
            firewall_ranges=["10.0.0.0/8"],
            outbound_allow_list="123456789012",
            allow_all_traffic=False,
            state="ACTIVE",
            expires_at=None,
            update_window=None,
        )
        vars(group).update(fields)
        self.groups[group.id] = group
        return group

    def add_space(self, **fields: Any) -> SimpleNamespace:
        space = SimpleNamespace(
            id=SPACE_ID, name="w", group_id=GROUP_ID, size="S-00", state="ACTIVE", endpoint="svc-w", auto_suspend=None
        )
        vars(space).update(fields)
        space.suspend = lambda: None
        self.spaces[space.id] = space
        return space

    def regions(self) -> list[Any]:
        return [REGION]

    def workspace_groups(self) -> list[Any]:
        return [g for g in self.groups.values() if g.state != "TERMINATED"]

    def workspace_group(self, group_id: str, missing_ok: bool = False) -> Any:
        return self.groups.get(group_id)

    def workspaces(self, group: Any) -> list[Any]:
        return [s for s in self.spaces.values() if s.group_id == group.id and s.state != "TERMINATED"]

    def workspace(self, space_id: str, missing_ok: bool = False) -> Any:
        return self.spaces.get(space_id)

    def create_workspace_group(self, **kwargs: Any) -> Any:
        self.requests.append("POST /v1/workspaceGroups")
        self.created_group = kwargs
        return self.add_group(name=kwargs["name"], firewall_ranges=kwargs["firewall_ranges"])

    def update_workspace_group(self, group: Any, **kwargs: Any) -> None:
        self.requests.append(f"PATCH /v1/workspaceGroups/{group.id}")
        self.patched = kwargs
        if "firewall_ranges" in kwargs:
            group.firewall_ranges = kwargs["firewall_ranges"]
        if "update_window" in kwargs:
            group.update_window = kwargs["update_window"]

    def terminate_workspace_group(self, group: Any, force: bool) -> None:
        self.requests.append(f"DELETE /v1/workspaceGroups/{group.id}?force={str(force).lower()}")
        group.state = "TERMINATED"

    def create_workspace(self, **kwargs: Any) -> Any:
        self.requests.append("POST /v1/workspaces")
        self.created_space = kwargs
        return self.add_space(name=kwargs["name"], size=kwargs["size"] or "S-00")

    def update_workspace(self, space: Any, **kwargs: Any) -> None:
        self.requests.append(f"PATCH /v1/workspaces/{space.id}")
        self.patched = kwargs
        space.size = kwargs.get("size", space.size)
        wanted = kwargs.get("auto_suspend")
        if wanted:  # the read shape (Workspace.autoSuspend of management.go), as the client snake-cases it
            kind = wanted["suspend_type"]
            seconds = {f"{kind.lower()}_after_seconds": wanted.get("suspend_after_seconds")}
            space.auto_suspend = None if kind == "DISABLED" else {"suspend_type": kind, **seconds}

    def suspend_workspace(self, space: Any) -> None:
        self.requests.append(f"POST /v1/workspaces/{space.id}/suspend")
        space.state = "SUSPENDED"

    def resume_workspace(self, space: Any) -> None:
        self.requests.append(f"POST /v1/workspaces/{space.id}/resume")
        space.state = "ACTIVE"

    def terminate_workspace(self, space: Any) -> None:
        self.requests.append(f"DELETE /v1/workspaces/{space.id}?force=false")
        space.state = "TERMINATED"


def make(
    spec: Callable[[], dict[str, Any]], args: dict[str, Any], check_mode: bool = False, diff: bool = True
) -> tuple[HeliosModule, FakeClient]:
    full = {
        "api_key": API_KEY,
        "api_url": "http://127.0.0.1:9",
        "_ansible_check_mode": check_mode,
        "_ansible_diff": diff,
    }
    full.update(args)
    with patch_module_args(full):
        module = HeliosModule(spec())
    client = FakeClient(module.requests)
    module._client = client  # type: ignore[assignment]
    return module, client


def group_module(args: dict[str, Any], check_mode: bool = False) -> tuple[HeliosModule, FakeClient]:
    return make(singlestore_workspace_group.argument_spec, {"name": "g", **args}, check_mode)


def space_module(args: dict[str, Any], check_mode: bool = False) -> tuple[HeliosModule, FakeClient]:
    return make(singlestore_workspace.argument_spec, {"name": "w", "workspace_group": "g", **args}, check_mode)


# -- option checks ---------------------------------------------------------------------------
def test_cidrs_are_normalised_sorted_and_deduplicated() -> None:
    assert validate_cidrs(["10.0.0.0/8", "203.0.113.7/32", " 10.0.0.0/8", "2001:db8::/32"]) == [
        "10.0.0.0/8",
        "203.0.113.7/32",
        "2001:db8::/32",
    ]


@pytest.mark.parametrize("bad", ["203.0.113.7", "10.0.0.1/8", "300.1.1.1/32", "nonsense/8"])
def test_a_bad_cidr_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(ModuleError, match="not a CIDR range") as err:
        validate_cidrs(["10.0.0.0/8", bad])
    assert bad in err.value.msg and "nothing was sent" in err.value.msg


def test_expiry_accepts_timestamps_and_leaves_durations_to_the_api() -> None:
    assert expiry("2026-12-31T00:00:00Z") == expiry("2026-12-31")
    assert expiry("3h30m") is None
    with pytest.raises(ModuleError, match="neither a timestamp"):
        expiry("2026-13-45")


def test_auto_suspend_read_shape_maps_onto_the_write_shape() -> None:
    assert auto_suspend_public(None) == {"suspend_type": "DISABLED", "suspend_after_seconds": None}
    assert auto_suspend_public({"suspend_type": "IDLE", "idle_after_seconds": 3600.0}) == {
        "suspend_type": "IDLE",
        "suspend_after_seconds": 3600,
    }
    assert auto_suspend_public({"suspend_type": "SCHEDULED", "scheduled_after_seconds": 60}) == {
        "suspend_type": "SCHEDULED",
        "suspend_after_seconds": 60,
    }
    with pytest.raises(ModuleError, match="needs suspend_after_seconds"):
        wanted_auto_suspend({"suspend_type": "IDLE", "suspend_after_seconds": None})
    with pytest.raises(ModuleError, match="makes no sense"):
        wanted_auto_suspend({"suspend_type": "DISABLED", "suspend_after_seconds": 5})


# -- wait ------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_records_each_state_once_and_returns_the_target() -> None:
    states = iter(["PENDING", "PENDING", "PENDING", "ACTIVE"])
    clock = Clock()
    seen: list[str] = []
    obj = wait_for_state("w", lambda: SimpleNamespace(state=next(states)), ["ACTIVE"], 60, seen, 10, clock, clock.sleep)
    assert obj.state == "ACTIVE" and seen == ["PENDING", "ACTIVE"]
    assert clock.now == pytest.approx(0.25 + 0.5 + 1.0)  # the polls back off


def test_wait_times_out_with_the_states_seen_and_treats_gone_as_terminated() -> None:
    clock = Clock()
    seen: list[str] = []
    with pytest.raises(ModuleError, match=r"did not reach ACTIVE within 5 s \(states seen: PENDING\)") as err:
        wait_for_state("w", lambda: SimpleNamespace(state="PENDING"), ["ACTIVE"], 5, seen, 10, clock, clock.sleep)
    assert err.value.extra["states_seen"] == ["PENDING"]
    assert wait_for_state("w", lambda: None, ["TERMINATED"], 5, [], 10, clock, clock.sleep) is None


def test_wait_stops_at_failed() -> None:
    clock = Clock()
    with pytest.raises(ModuleError, match="is FAILED"):
        wait_for_state("w", lambda: SimpleNamespace(state="FAILED"), ["ACTIVE"], 60, [], 10, clock, clock.sleep)


# -- workspace group -------------------------------------------------------------------------
def test_group_creation_needs_password_and_ranges_and_a_known_region() -> None:
    module, client = group_module({"provider": "AWS", "region": "us-east-1"})
    with pytest.raises(ModuleError, match="needs firewall_ranges and admin_password"):
        WorkspaceGroup(module).run()
    module, client = group_module(
        {"provider": "GCP", "region": "us-east-1", "firewall_ranges": ["10.0.0.0/8"], "admin_password": PASSWORD}
    )
    with pytest.raises(ModuleError, match="unknown region 'us-east-1' of provider 'GCP': the API offers AWS US East 1"):
        WorkspaceGroup(module).run()
    assert client.requests == []


def test_group_creation_in_check_mode_predicts_and_sends_nothing() -> None:
    args = {"provider": "AWS", "region": "US EAST 1", "firewall_ranges": ["10.0.0.0/8"], "admin_password": PASSWORD}
    module, client = group_module(args, check_mode=True)
    result = WorkspaceGroup(module).run()
    assert result["changed"] and result["requests"] == ["POST /v1/workspaceGroups"] and client.requests == []
    assert result["workspace_group"]["region"]["id"] == REGION.id and result["workspace_group"]["id"] is None
    assert result["diff"]["before"] == {"exists": False, "name": "g"}
    module, client = group_module(args)
    result = WorkspaceGroup(module).run()
    assert client.requests == ["POST /v1/workspaceGroups"] and client.created_group["region"] == REGION.id
    assert client.created_group["admin_password"] == PASSWORD
    assert result["workspace_group"]["outbound_allow_list"] == "123456789012"


def test_group_update_sends_only_what_differs_and_never_the_password_by_default() -> None:
    module, client = group_module(
        {
            "firewall_ranges": ["203.0.113.7/32", "10.0.0.0/8"],
            "admin_password": PASSWORD,
            "update_window": {"day": 1, "hour": 2},
        }
    )
    client.add_group()
    result = WorkspaceGroup(module).run()
    assert client.patched == {
        "firewall_ranges": ["10.0.0.0/8", "203.0.113.7/32"],
        "update_window": {"day": 1, "hour": 2},
    }
    assert result["diff"]["before"]["firewall_ranges"] == ["10.0.0.0/8"]
    module, client = group_module({"firewall_ranges": ["10.0.0.0/8"], "admin_password": PASSWORD})
    client.add_group()
    assert WorkspaceGroup(module).run()["changed"] is False and client.requests == []
    module, client = group_module({"admin_password": PASSWORD, "update_password": "always"})
    client.add_group()
    assert WorkspaceGroup(module).run()["changed"] and client.patched == {"admin_password": PASSWORD}


def test_group_in_another_region_is_refused() -> None:
    module, client = group_module({"region_id": "99999999-9999-4999-8999-999999999999"})
    client.add_group()
    with pytest.raises(ModuleError, match="region of a group cannot be changed"):
        WorkspaceGroup(module).run()


def test_group_with_workspaces_is_not_deleted_without_force() -> None:
    module, client = group_module({"state": "absent"})
    client.add_group()
    client.add_space()
    with pytest.raises(
        ModuleError, match=r"still has 1 workspace\(s\): w \(ACTIVE\).*force: true.*nothing was deleted"
    ):
        WorkspaceGroup(module).run()
    assert client.requests == []
    module, client = group_module({"state": "absent", "force": True})
    client.add_group()
    client.add_space()
    result = WorkspaceGroup(module).run()
    assert result["changed"] and client.requests == [f"DELETE /v1/workspaceGroups/{GROUP_ID}?force=true"]
    assert result["workspace_group"] == {"exists": False, "name": "g"} and result["states_seen"] == ["TERMINATED"]


def test_two_groups_with_one_name_are_refused() -> None:
    module, client = group_module({})
    client.add_group()
    client.add_group(id="44444444-4444-4444-8444-444444444444")
    with pytest.raises(ModuleError, match="2 workspace groups are named 'g'"):
        WorkspaceGroup(module).run()


# -- workspace -------------------------------------------------------------------------------
def test_workspace_in_a_missing_group_fails_but_is_predicted_in_check_mode() -> None:
    module, client = space_module({})
    with pytest.raises(ModuleError, match="workspace group 'g' does not exist"):
        Workspace(module).run()
    module, client = space_module({"size": "S-1"}, check_mode=True)
    result = Workspace(module).run()
    assert result["changed"] and result["requests"] == ["POST /v1/workspaces"]
    assert result["workspace"]["size"] == "S-1" and result["workspace"]["state"] == "ACTIVE"


def test_workspace_create_sends_the_write_shape_of_auto_suspend() -> None:
    module, client = space_module({"auto_suspend": {"suspend_type": "IDLE", "suspend_after_seconds": 600}})
    client.add_group()
    result = Workspace(module).run()
    assert client.created_space["auto_suspend"] == {"suspend_type": "IDLE", "suspend_after_seconds": 600}
    assert client.created_space["workspace_group"] == GROUP_ID and result["states_seen"] == ["ACTIVE"]


@pytest.mark.parametrize(
    ("current", "target", "action"),
    [("ACTIVE", "suspended", "suspend"), ("SUSPENDED", "active", "resume")],
)
def test_suspend_and_resume_are_one_request_each_and_idempotent(current: str, target: str, action: str) -> None:
    module, client = space_module({"state": target}, check_mode=True)
    client.add_group()
    client.add_space(state=current)
    result = Workspace(module).run()
    assert result["requests"] == [f"POST /v1/workspaces/{SPACE_ID}/{action}"] and client.requests == []
    assert result["diff"]["after"]["state"] != current
    module, client = space_module({"state": target})
    client.add_group()
    space = client.add_space(state=current)
    assert Workspace(module).run()["changed"] and client.requests == [f"POST /v1/workspaces/{SPACE_ID}/{action}"]
    module, client = space_module({"state": target})
    client.add_group()
    client.add_space(state=space.state)
    assert Workspace(module).run()["changed"] is False and client.requests == []


def test_present_leaves_a_suspended_workspace_suspended_and_a_resize_of_it_is_refused() -> None:
    module, client = space_module({"state": "present"})
    client.add_group()
    client.add_space(state="SUSPENDED")
    assert Workspace(module).run()["changed"] is False
    module, client = space_module({"state": "present", "size": "S-2"})
    client.add_group()
    client.add_space(state="SUSPENDED")
    with pytest.raises(ModuleError, match="is SUSPENDED: resume it"):
        Workspace(module).run()


def test_workspace_resize_and_auto_suspend_change_are_one_patch() -> None:
    module, client = space_module({"size": "S-2", "auto_suspend": {"suspend_type": "DISABLED"}})
    client.add_group()
    client.add_space(auto_suspend={"suspend_type": "IDLE", "idle_after_seconds": 60})
    result = Workspace(module).run()
    assert client.requests == [f"PATCH /v1/workspaces/{SPACE_ID}"]
    assert client.patched == {"size": "S-2", "auto_suspend": {"suspend_type": "DISABLED"}}
    assert result["workspace"]["size"] == "S-2"


# -- the skeleton ----------------------------------------------------------------------------
def test_missing_api_key_and_client_errors_fail_with_secrets_scrubbed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SINGLESTOREDB_API_KEY", raising=False)
    with patch_module_args({"name": "g"}), pytest.raises(SystemExit):
        singlestore_workspace_group.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "SINGLESTOREDB_API_KEY" in out["msg"] and out["requests"] == []

    class Refused(Exception):
        errno = 401
        response = f'{{"message":"bad key {API_KEY}"}}'

    monkeypatch.setattr(_helios, "ManagementError", Refused)

    def manager(**kwargs: Any) -> Any:
        raise Refused()

    monkeypatch.setattr(_helios, "manage_workspaces", manager)
    args = {"name": "g", "api_key": API_KEY, "admin_password": PASSWORD}
    with patch_module_args(args), pytest.raises(SystemExit):
        singlestore_workspace_group.main()
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] and "HTTP 401" in out["msg"] and "the API key was refused" in out["msg"]
    assert API_KEY not in json.dumps(out) and PASSWORD not in json.dumps(out)


def test_api_url_comes_from_the_environment_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINGLESTOREDB_MANAGEMENT_BASE_URL", "http://127.0.0.1:1/")
    monkeypatch.setenv("SINGLESTOREDB_API_KEY", API_KEY)
    seen: dict[str, Any] = {}
    monkeypatch.setattr(_helios, "manage_workspaces", lambda **kwargs: seen.update(kwargs))
    with patch_module_args({"name": "g"}):
        module = HeliosModule(singlestore_workspace_group.argument_spec())
    assert module.client.api_url == "http://127.0.0.1:1"
    assert seen == {"access_token": API_KEY, "base_url": "http://127.0.0.1:1"}


def test_timestamps_come_back_as_utc_text_and_compare_with_the_option() -> None:
    import datetime

    naive = datetime.datetime(2026, 12, 31)  # what singlestoredb's to_datetime gives
    assert _helios.iso(naive) == "2026-12-31T00:00:00Z"
    assert expiry(str(_helios.iso(naive))) == expiry("2026-12-31T00:00:00Z")
    module, client = group_module({"expires_at": "2026-12-31T00:00:00Z"})
    client.add_group(expires_at=naive)
    assert WorkspaceGroup(module).run()["changed"] is False
    module, client = group_module({"expires_at": "3h"})
    client.add_group(expires_at=naive)
    assert WorkspaceGroup(module).run()["changed"] is False  # a duration is not compared with a set expiry


def test_ranges_read_back_in_another_order_are_not_a_change() -> None:
    module, client = group_module({"firewall_ranges": ["9.0.0.0/8", "10.0.0.0/8"]})
    client.add_group(firewall_ranges=["10.0.0.0/8", "9.0.0.0/8"])  # as text, "10" sorts before "9"
    assert WorkspaceGroup(module).run()["changed"] is False


def test_update_window_out_of_range_is_refused_before_any_request() -> None:
    module, client = group_module({"update_window": {"day": 7, "hour": 3}})
    client.add_group()
    with pytest.raises(ModuleError, match="day must be 0-6"):
        WorkspaceGroup(module).run()
    assert client.requests == []


def test_a_duration_is_sent_only_to_a_group_without_expiry() -> None:
    module, client = group_module({"expires_at": "3h30m"}, check_mode=True)
    client.add_group()
    result = WorkspaceGroup(module).run()
    assert result["changed"] and result["workspace_group"]["expires_at"] == "(in 3h30m)"


def test_absent_workspace_of_a_missing_group_is_unchanged() -> None:
    module, client = space_module({"state": "absent"})
    result = Workspace(module).run()
    assert result["changed"] is False and result["workspace"] == {"exists": False, "name": "w"}


def test_suspended_on_a_missing_workspace_creates_waits_and_suspends() -> None:
    module, client = space_module({"state": "suspended"}, check_mode=True)
    client.add_group()
    planned = Workspace(module).run()
    assert planned["requests"] == ["POST /v1/workspaces", "POST /v1/workspaces/(new id)/suspend"]
    assert planned["workspace"]["state"] == "SUSPENDED"
    module, client = space_module({"state": "suspended"})
    client.add_group()
    result = Workspace(module).run()
    assert client.requests == ["POST /v1/workspaces", f"POST /v1/workspaces/{SPACE_ID}/suspend"]
    assert result["workspace"]["state"] == "SUSPENDED" and result["states_seen"] == ["ACTIVE", "SUSPENDED"]
