"""The Helios stand-in's model (tests/lab/helios/server.py) under a fake clock, its HTTP layer in-process,
and the lab service's key handling. The client-level behaviour is in tests/integration/test_lab_helios.py."""

from __future__ import annotations

import json
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lab.core import Context, LabError
from tests.lab.helios.server import (
    REGIONS,
    ApiError,
    HeliosServer,
    HeliosState,
    parse_auto_suspend,
    parse_expires_at,
    parse_firewall_ranges,
    parse_update_window,
    password_problem,
)
from tests.lab.services.helios import Helios

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> HeliosState:
    return HeliosState(delay=1.0, clock=clock)


AWS = REGIONS[0]


def new_group(state: HeliosState, name: str = "g", **extra: Any) -> str:
    body = {"name": name, "regionID": AWS.id, "firewallRanges": ["10.0.0.0/8"], **extra}
    return str(state.create_group(body)["workspaceGroupID"])


def new_workspace(state: HeliosState, group_id: str, name: str = "w", **extra: Any) -> str:
    return str(state.create_workspace({"name": name, "workspaceGroupID": group_id, **extra})["workspaceID"])


def error(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as exc:
        call(*args, **kwargs)
    return exc.value


# ----------------------------------------------------------------------------- pure parsers


def test_expires_at_forms() -> None:
    assert parse_expires_at("3h30m", T0) == "2023-11-15T01:43:20Z"
    assert parse_expires_at("2030-01-02", T0) == "2030-01-02T00:00:00Z"
    assert parse_expires_at("2030-01-02T03:04:05Z", T0) == "2030-01-02T03:04:05Z"
    assert parse_expires_at("2030-01-02T03:04:05-0100", T0) == "2030-01-02T04:04:05Z"
    assert parse_expires_at("2030-01-02T03:04:05", T0) == "2030-01-02T03:04:05Z"
    for bad in ("tomorrow", "", "2030-13-01", 5):
        assert error(parse_expires_at, bad, T0).status == 400


def test_firewall_ranges_are_cidrs_sorted() -> None:
    assert parse_firewall_ranges(["198.51.100.7/32", "10.0.0.0/8", "2001:db8::/32"]) == [
        "10.0.0.0/8",
        "198.51.100.7/32",
        "2001:db8::/32",
    ]
    assert parse_firewall_ranges([]) == []
    assert "CIDR notation" in error(parse_firewall_ranges, ["10.0.0.1"]).message
    assert "'10.0.0.300/32'" in error(parse_firewall_ranges, ["10.0.0.300/32"]).message
    assert "host bits" in error(parse_firewall_ranges, ["10.0.0.1/8"]).message
    assert error(parse_firewall_ranges, "10.0.0.0/8").status == 400


def test_update_window_bounds() -> None:
    assert parse_update_window({"day": 0, "hour": 23.0}) == {"day": 0, "hour": 23}
    assert "updateWindow.day" in error(parse_update_window, {"day": 7, "hour": 0}).message
    assert "updateWindow.hour" in error(parse_update_window, {"day": 1, "hour": 1.5}).message
    assert error(parse_update_window, {"day": True, "hour": 1}).status == 400


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Short-1a", "at least 14 characters"),
        ("lower-case-only-1", "uppercase"),
        ("UPPER-CASE-ONLY-1", "lowercase"),
        ("No-Digits-Here-At-All", "numeric"),
        ("NoSpecials1234567", "special"),
        ("Has-abc-Sequence-9", "sequential"),
        ("Has-aaaa-Repeat-9", "identical"),
    ],
)
def test_password_policy(password: str, rule: str) -> None:
    problem = password_problem(password)
    assert problem is not None and rule in problem


def test_password_policy_accepts_a_good_one() -> None:
    assert password_problem("Lab-Passw0rd-x9!Q") is None


def test_auto_suspend_request_to_record() -> None:
    assert parse_auto_suspend({"suspendType": "IDLE", "suspendAfterSeconds": 600}) == {
        "suspendType": "IDLE",
        "idleAfterSeconds": 600,
    }
    assert parse_auto_suspend({"suspendType": "SCHEDULED", "suspendAfterSeconds": 60}) == {
        "suspendType": "SCHEDULED",
        "scheduledAfterSeconds": 60,
    }
    assert parse_auto_suspend({"suspendType": "DISABLED"}) is None
    assert error(parse_auto_suspend, {"suspendType": "DISABLED", "suspendAfterSeconds": 5}).status == 400
    assert error(parse_auto_suspend, {"suspendType": "IDLE"}).status == 400
    assert error(parse_auto_suspend, {"suspendtype": "IDLE", "suspendafterseconds": 5}).status == 400


# ----------------------------------------------------------------------------- model


def test_group_pending_then_active_after_delay(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state, expiresAt="1h", updateWindow={"day": 1, "hour": 2})
    group = state.get_group(group_id)
    assert group["state"] == "PENDING"
    assert group["createdAt"] == "2023-11-14T22:13:20Z"
    assert group["expiresAt"] == "2023-11-14T23:13:20Z"
    assert group["regionName"] == AWS.region_name and group["provider"] == "AWS"
    assert len(group["outboundAllowList"]) == 12 and group["outboundAllowList"].isdigit()
    clock.tick(0.99)
    assert state.get_group(group_id)["state"] == "PENDING"
    clock.tick(0.01)
    assert state.get_group(group_id)["state"] == "ACTIVE"


def test_group_by_provider_and_region_code(state: HeliosState) -> None:
    gcp = next(r for r in REGIONS if r.provider == "GCP")
    answer = state.create_group({"name": "g", "provider": "gcp", "regionName": gcp.region_name, "firewallRanges": []})
    group = state.get_group(answer["workspaceGroupID"])
    assert group["regionID"] == gcp.id
    assert "outboundAllowList" not in group  # AWS only
    assert "adminPassword" in answer and password_problem(answer["adminPassword"]) is None
    assert "adminPassword" not in group
    assert (
        "not found"
        in error(
            state.create_group, {"name": "h", "provider": "AWS", "regionName": "mars-1", "firewallRanges": []}
        ).message
    )
    assert error(state.create_group, {"name": "h", "firewallRanges": []}).status == 400
    assert error(state.create_group, {"name": "h", "regionID": AWS.id}).message == "firewallRanges is required"


def test_good_password_is_not_echoed(state: HeliosState) -> None:
    answer = state.create_group(
        {"name": "g", "regionID": AWS.id, "firewallRanges": [], "adminPassword": "Lab-Passw0rd-x9!Q"}
    )
    assert set(answer) == {"workspaceGroupID"}


def test_firewall_update_lands_after_delay(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state)
    state.update_group(group_id, {"firewallRanges": ["192.0.2.1/32", "10.1.0.0/16"]})
    assert state.get_group(group_id)["firewallRanges"] == ["10.0.0.0/8"]
    clock.tick(1)
    assert state.get_group(group_id)["firewallRanges"] == ["10.1.0.0/16", "192.0.2.1/32"]
    state.update_group(group_id, {"firewallRanges": ["0.0.0.0/0"]})
    clock.tick(1)
    group = state.get_group(group_id)
    assert group["allowAllTraffic"] is True and "firewallRanges" not in group
    state.update_group(group_id, {"firewallRanges": ["192.0.2.1/32"]})
    state.update_group(group_id, {"firewallRanges": ["192.0.2.2/32"]})  # supersedes the pending change
    clock.tick(1)
    group = state.get_group(group_id)
    assert group["allowAllTraffic"] is False and group["firewallRanges"] == ["192.0.2.2/32"]


def test_duplicate_names_are_500_until_terminated(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state, "same")
    exc = error(new_group, state, "same")
    assert (exc.status, exc.message) == (500, "error creating workspace group (same): already exists")
    state.delete_group(group_id, force=False)
    clock.tick(1)
    new_group(state, "same")


def test_workspace_lifecycle_states(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state)
    ws = new_workspace(state, group_id, autoSuspend={"suspendType": "IDLE", "suspendAfterSeconds": 3600})
    record = state.get_workspace(ws)
    assert (record["state"], record["size"]) == ("PENDING", "S-00") and "endpoint" not in record
    assert record["autoSuspend"]["idleAfterSeconds"] == 3600
    clock.tick(1)
    record = state.get_workspace(ws)
    assert record["state"] == "ACTIVE"
    assert record["endpoint"] == f"svc-{ws}-dml.aws-{AWS.region_name}.svc.singlestore.com"

    state.suspend_workspace(ws)
    assert state.get_workspace(ws)["state"] == "PENDING"
    assert error(state.suspend_workspace, ws).status == 400
    clock.tick(1)
    assert state.get_workspace(ws)["state"] == "SUSPENDED"
    assert "suspended" in error(state.update_workspace, ws, {"size": "S-1"}).message
    state.resume_workspace(ws, {"disableAutoSuspend": True})
    clock.tick(1)
    record = state.get_workspace(ws)
    assert record["state"] == "ACTIVE" and "autoSuspend" not in record
    assert record["lastResumedAt"] == "2023-11-14T22:13:23Z"
    assert error(state.resume_workspace, ws, {}).status == 400

    state.update_workspace(ws, {"size": "S-2"})
    assert state.get_workspace(ws)["size"] == "S-00"
    clock.tick(1)
    assert state.get_workspace(ws)["size"] == "S-2"

    state.delete_workspace(ws)
    assert state.get_workspace(ws)["state"] == "ACTIVE"
    clock.tick(1)
    record = state.get_workspace(ws)
    assert record["state"] == "TERMINATED" and record["terminatedAt"] == "2023-11-14T22:13:25Z"
    assert "endpoint" not in record
    assert state.list_workspaces(group_id) == []
    assert [w["workspaceID"] for w in state.list_workspaces(group_id, include_terminated=True)] == [ws]
    assert "terminated" in error(state.delete_workspace, ws).message


def test_workspace_bad_input(state: HeliosState) -> None:
    group_id = new_group(state)
    assert "invalid workspace size 'S-3'" in error(new_workspace, state, group_id, "w", size="S-3").message
    assert error(state.create_workspace, {"name": "w"}).message == "workspaceGroupID is required"
    assert error(new_workspace, state, "00000000-0000-4000-8000-000000000000").status == 404
    assert error(new_workspace, state, "nope").status == 400
    assert error(state.list_workspaces, None).status == 400
    assert state.workspaces == {}


def test_group_delete_needs_force_with_workspaces(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state)
    ws = new_workspace(state, group_id)
    clock.tick(1)
    exc = error(state.delete_group, group_id, False)
    assert exc.status == 400 and "force=true" in exc.message
    state.delete_group(group_id, True)
    clock.tick(1)
    assert state.get_group(group_id)["state"] == "TERMINATED"
    assert state.get_workspace(ws)["state"] == "TERMINATED"
    assert state.list_groups() == []
    assert [g["workspaceGroupID"] for g in state.list_groups(include_terminated=True)] == [group_id]
    assert "terminated" in error(state.update_group, group_id, {"name": "x"}).message
    assert "terminated" in error(new_workspace, state, group_id, "w2").message


def test_group_expires(state: HeliosState, clock: Clock) -> None:
    group_id = new_group(state, expiresAt="10s")
    ws = new_workspace(state, group_id)
    clock.tick(9)
    assert state.get_workspace(ws)["state"] == "ACTIVE"
    clock.tick(1)
    group, workspace = state.get_group(group_id), state.get_workspace(ws)
    assert group["state"] == workspace["state"] == "TERMINATED"
    assert group["terminatedAt"] == workspace["terminatedAt"] == "2023-11-14T22:13:30Z"
    assert "endpoint" not in workspace and state.list_groups() == []


def test_zero_delay_and_default_endpoint(state: HeliosState) -> None:
    state.configure(delay=0, default_endpoint="127.0.0.1")
    group_id = new_group(state)
    assert state.get_group(group_id)["state"] == "ACTIVE"
    ws = new_workspace(state, group_id)
    assert state.get_workspace(ws)["endpoint"] == "127.0.0.1"
    state.set_endpoint(ws, "localhost")
    assert state.get_workspace(ws)["endpoint"] == "localhost"
    assert error(state.set_endpoint, ws, "").status == 400
    assert state.configure(default_endpoint=None) == {"delay": 0.0, "default_endpoint": None}
    assert error(state.configure, delay=-1).status == 400
    assert error(state.configure, speed=1).status == 400
    state.reset()
    assert state.groups == {} and state.configure() == {"delay": 1.0, "default_endpoint": None}


# ----------------------------------------------------------------------------- HTTP layer


@pytest.fixture
def server() -> Iterator[str]:
    srv = HeliosServer(("127.0.0.1", 0), "k" * 64, HeliosState(delay=0))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def call(url: str, method: str, path: str, body: bytes | None = None, key: str = "k" * 64) -> tuple[int, str, str]:
    req = urllib.request.Request(f"{url}{path}", data=body, method=method, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_http_auth_routes_and_request_log(server: str) -> None:
    assert call(server, "GET", "/v1/regions", key="wrong") == (401, "text/plain; charset=utf-8", "Unauthorized")
    assert call(server, "GET", "/_lab/requests", key="")[0] == 401
    status, ctype, text = call(server, "GET", "/v1/regions")
    assert (status, ctype) == (200, "application/json") and len(json.loads(text)) == len(REGIONS)
    assert call(server, "GET", "/v1/nothing")[0] == 404
    assert call(server, "PUT", "/v1/workspaceGroups")[0] == 405
    assert call(server, "POST", "/v1/workspaceGroups", b"{not json")[:3:2] == (400, "request body is not valid JSON")
    assert call(server, "POST", "/v1/workspaceGroups", b"[1]")[0] == 400
    assert call(server, "DELETE", "/v1/workspaceGroups/00000000-0000-4000-8000-000000000000?force=maybe")[0] == 400
    # null means "not given", as the official client sends every keyword
    body = json.dumps({"name": "g", "regionID": AWS.id, "firewallRanges": [], "expiresAt": None, "smartDR": None})
    status, _, text = call(server, "POST", "/v1/workspaceGroups", body.encode())
    assert status == 200 and "workspaceGroupID" in json.loads(text)
    log = json.loads(call(server, "GET", "/_lab/requests")[2])
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/v1/regions", 401),
        ("GET", "/v1/regions", 200),
        ("GET", "/v1/nothing", 404),
        ("PUT", "/v1/workspaceGroups", 405),
        ("POST", "/v1/workspaceGroups", 400),
        ("POST", "/v1/workspaceGroups", 400),
        ("DELETE", "/v1/workspaceGroups/00000000-0000-4000-8000-000000000000", 400),
        ("POST", "/v1/workspaceGroups", 200),
    ]


# ----------------------------------------------------------------------------- lab service


def test_service_key_generated_once_private(tmp_path: Path) -> None:
    ctx = Context(tmp_path / "state", tmp_path / "cache", {"LAB_HELIOS_PORT": "35999"})
    svc = Helios(ctx)
    key = svc.api_key()
    assert len(key) == 64 and int(key, 16) >= 0
    assert stat.S_IMODE(svc.key_file.stat().st_mode) == 0o600
    assert Helios(ctx).api_key() == key
    assert svc.url == "http://127.0.0.1:35999"
    assert svc.env() == {"LAB_HELIOS_URL": "http://127.0.0.1:35999", "LAB_HELIOS_API_KEY": key}


def test_service_delay_validated(tmp_path: Path) -> None:
    ctx = Context(tmp_path, tmp_path, {"LAB_HELIOS_DELAY": "fast"})
    with pytest.raises(LabError, match="LAB_HELIOS_DELAY"):
        Helios(ctx).delay()
    assert Helios(Context(tmp_path, tmp_path, {})).delay() == "0.3"
