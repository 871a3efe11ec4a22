"""The lab's Helios Management API stand-in, driven through the official `singlestoredb` client.

Each behaviour asserted here is one the collection's Helios modules rely on; the sources that
document it are in tests/lab/helios/SOURCES.md. The client is the one the modules use
(`singlestoredb.manage_workspaces`, v1), so a shape the client cannot parse fails here first.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import HeliosLab

singlestoredb = pytest.importorskip("singlestoredb")
from singlestoredb.exceptions import ManagementError  # noqa: E402 - after the importorskip
from singlestoredb.management.workspace import WorkspaceManager  # noqa: E402

DELAY = 0.2  # seconds per asynchronous transition: long enough to see PENDING, short for the suite
POLL = 0.05
FIREWALL = ["198.51.100.7/32", "192.0.2.0/24"]


@pytest.fixture
def api(helios: HeliosLab) -> Iterator[WorkspaceManager]:
    helios.configure(delay=DELAY)
    with warnings.catch_warnings():
        # manage_workspaces() warns that v1 workspaces are deprecated in favour of v2 clusters (docs/helios.md).
        warnings.simplefilter("ignore", DeprecationWarning)
        yield singlestoredb.manage_workspaces(access_token=helios.api_key, base_url=helios.url)


def wait_until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(POLL)


def aws_region(api: WorkspaceManager) -> Any:
    return next(r for r in api.regions if r.provider == "AWS")


def test_regions_v1_and_v2(api: WorkspaceManager, helios: HeliosLab) -> None:
    regions = api.regions
    assert {r.provider for r in regions} >= {"AWS", "GCP", "Azure"}
    assert all(r.id and r.name for r in regions)
    # v2 adds the code name that create accepts as provider + regionName.
    v2 = api._get("../v2/regions").json()
    assert {"provider", "region", "regionName"} == set(v2[0])
    assert ("AWS", "us-east-1") in {(r["provider"], r["regionName"]) for r in v2}


def test_workspace_group_lifecycle(api: WorkspaceManager, helios: HeliosLab) -> None:
    group = api.create_workspace_group(
        "lab-group",
        region=aws_region(api),
        firewall_ranges=FIREWALL,
        admin_password="Lab-Passw0rd-x9!Q",
        expires_at="2030-01-02",
        update_window={"day": 2, "hour": 3},
    )
    assert group.state == "PENDING"
    assert group.firewall_ranges == sorted(FIREWALL)  # read back sorted
    assert group.region is not None and group.region.provider == "AWS"
    assert group.expires_at is not None and group.expires_at.year == 2030
    assert group.update_window == {"day": 2, "hour": 3}
    # outboundAllowList: one AWS account ID, not a list of addresses.
    assert isinstance(group.outbound_allow_list, str) and group.outbound_allow_list.isdigit()
    assert len(group.outbound_allow_list) == 12
    wait_until(lambda: group.refresh().state == "ACTIVE")

    assert [g.id for g in api.workspace_groups] == [group.id]

    # Firewall changes are asynchronous: the old ranges are reported until the change lands.
    group.update(firewall_ranges=["203.0.113.9/32"], name="lab-group-2")
    assert group.name == "lab-group-2"
    assert group.firewall_ranges == sorted(FIREWALL)
    wait_until(lambda: group.refresh().firewall_ranges == ["203.0.113.9/32"])
    # 0.0.0.0/0 comes back as allowAllTraffic without ranges.
    group.update(firewall_ranges=["0.0.0.0/0"])
    wait_until(lambda: group.refresh().allow_all_traffic)
    assert group.firewall_ranges == []

    group.terminate(wait_on_terminated=True, wait_interval=POLL, wait_timeout=5)
    assert group.state == "TERMINATED" and group.terminated_at is not None
    # Terminated groups are hidden unless asked for; GET by id still answers.
    assert list(api.workspace_groups) == []
    listed = api._get("workspaceGroups", params={"includeTerminated": "true"}).json()
    assert [g["workspaceGroupID"] for g in listed] == [group.id]
    assert api.get_workspace_group(group.id).state == "TERMINATED"


def test_create_by_provider_and_region_name_generates_password(api: WorkspaceManager) -> None:
    res = api._post(
        "workspaceGroups",
        json={
            "name": "by-code",
            "provider": "AWS",
            "regionName": "us-west-2",
            "firewallRanges": [],
        },
    )
    body = res.json()
    # Without (or with an invalid) adminPassword the API generates one and returns it once.
    assert set(body) == {"workspaceGroupID", "adminPassword"}
    group = api.get_workspace_group(body["workspaceGroupID"])
    assert group.region_name == "us-west-2" and group.firewall_ranges == []
    assert "adminPassword" not in api._get(f"workspaceGroups/{group.id}").json()


def test_workspace_lifecycle(api: WorkspaceManager, helios: HeliosLab) -> None:
    group = api.create_workspace_group("lab-ws-group", region=aws_region(api), firewall_ranges=FIREWALL)
    # The manager's create_workspace, not WorkspaceGroup.create_workspace: see the next test.
    workspace = api.create_workspace(
        "lab-ws",
        workspace_group=group,
        size="S-00",
        auto_suspend={"suspend_type": "IDLE", "suspend_after_seconds": 3600},
        wait_on_active=True,
        wait_interval=POLL,
        wait_timeout=5,
    )
    assert workspace.state == "ACTIVE"
    assert workspace.endpoint and workspace.endpoint.endswith(".svc.singlestore.com")
    # The client snake-cases the record's autoSuspend {suspendType, idleAfterSeconds, ...}.
    assert workspace.auto_suspend["suspend_type"] == "IDLE"
    assert workspace.auto_suspend["idle_after_seconds"] == 3600
    assert [w.id for w in group.workspaces] == [workspace.id]

    # Suspend: PENDING in between (the state enum has no SUSPENDING), then SUSPENDED.
    workspace.suspend()
    assert workspace.refresh().state == "PENDING"
    wait_until(lambda: workspace.refresh().state == "SUSPENDED")
    with pytest.raises(ManagementError) as exc:
        workspace.update(size="S-1")
    assert exc.value.errno == 400 and "suspended" in str(exc.value)
    workspace.resume(wait_on_resumed=True, wait_interval=POLL, wait_timeout=5)
    assert workspace.state == "ACTIVE" and workspace.last_resumed_at is not None

    # Resize: the old size is reported until the change lands.
    workspace.update(size="S-1", auto_suspend={"suspend_type": "DISABLED"})
    assert workspace.size == "S-00" and workspace.auto_suspend is None
    wait_until(lambda: workspace.refresh().size == "S-1")

    workspace.terminate(wait_on_terminated=True, wait_interval=POLL, wait_timeout=5)
    assert workspace.endpoint is None and workspace.terminated_at is not None
    assert list(group.workspaces) == []
    listed = api._get("workspaces", params={"workspaceGroupID": group.id, "includeTerminated": "true"}).json()
    assert [(w["workspaceID"], w["state"]) for w in listed] == [(workspace.id, "TERMINATED")]
    group.terminate(wait_on_terminated=True, wait_interval=POLL, wait_timeout=5)


def test_client_group_create_workspace_mangles_auto_suspend(api: WorkspaceManager, helios: HeliosLab) -> None:
    """singlestoredb 1.18.1: WorkspaceGroup.create_workspace camel-cases `auto_suspend` and the manager's
    create_workspace does it again, so `suspendType` goes out as `suspendtype` (snake_to_camel lower-cases
    first). The stand-in, strict about documented field names, refuses it; modules call the manager's method."""
    group = api.create_workspace_group("quirk", region=aws_region(api), firewall_ranges=[])
    message = expect_error(
        lambda: group.create_workspace("w", auto_suspend={"suspend_type": "IDLE", "suspend_after_seconds": 60}),
        400,
        "autoSuspend.suspendType",
    )
    assert "'suspendtype': 'IDLE'" in message  # the request as the client reports it
    assert list(group.workspaces) == []


def test_wrong_api_key_is_401(helios: HeliosLab) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wrong = singlestoredb.manage_workspaces(access_token="0" * 64, base_url=helios.url)
    with pytest.raises(ManagementError) as exc:
        wrong.workspace_groups  # noqa: B018 - the property is the API call
    assert exc.value.errno == 401
    assert helios.requests() == [{"method": "GET", "path": "/v1/workspaceGroups", "status": 401}]


def expect_error(call: Callable[[], Any], status: int, text: str) -> str:
    with pytest.raises(ManagementError) as exc:
        call()
    assert exc.value.errno == status, exc.value
    assert text in str(exc.value)
    return str(exc.value)


def test_bad_input_is_4xx_and_creates_nothing(api: WorkspaceManager, helios: HeliosLab) -> None:
    region = aws_region(api)
    expect_error(
        lambda: api.create_workspace_group("x", region="00000000-0000-4000-8000-000000000000", firewall_ranges=[]),
        400,
        "region 00000000",
    )
    expect_error(
        lambda: api.create_workspace_group("x", region=region, firewall_ranges=["10.0.0.300/32"]),
        400,
        "invalid firewall range '10.0.0.300/32'",
    )
    expect_error(
        lambda: api.create_workspace_group("x", region=region, firewall_ranges=["10.0.0.1"]), 400, "CIDR notation"
    )
    expect_error(
        lambda: api.create_workspace_group("x", region=region, firewall_ranges=[], update_window={"day": 7, "hour": 0}),
        400,
        "updateWindow.day",
    )
    assert list(api.workspace_groups) == []
    assert {r["status"] for r in helios.writes()} == {400}

    group = api.create_workspace_group("lab-bad", region=region, firewall_ranges=[])
    expect_error(
        lambda: api.create_workspace_group("lab-bad", region=region, firewall_ranges=[]),
        500,
        "error creating workspace group (lab-bad): already exists",
    )
    expect_error(lambda: group.create_workspace("w", size="S-999"), 400, "invalid workspace size 'S-999'")
    expect_error(
        lambda: api.create_workspace("w", group, auto_suspend={"suspend_type": "IDLE"}), 400, "suspendAfterSeconds"
    )
    expect_error(lambda: group.update(admin_password="short"), 400, "password must contain at least 14 characters")
    assert list(group.workspaces) == []

    workspace = group.create_workspace("w", wait_on_active=True, wait_interval=POLL, wait_timeout=5)
    message = expect_error(lambda: group.terminate(), 400, "terminate them first or set force=true")
    assert "force" in message
    assert group.refresh().state == "ACTIVE" and workspace.refresh().state == "ACTIVE"
    group.terminate(force=True, wait_on_terminated=True, wait_interval=POLL, wait_timeout=5)
    assert workspace.refresh().state == "TERMINATED"

    expect_error(lambda: api.get_workspace("00000000-0000-4000-8000-000000000000"), 404, "not found")
    expect_error(lambda: api.get_workspace("not-a-uuid"), 400, "must be a UUID")


def test_lab_knobs(api: WorkspaceManager, helios: HeliosLab) -> None:
    assert helios.configure()["delay"] == DELAY
    helios.configure(delay=0, default_endpoint="127.0.0.1")
    group = api.create_workspace_group("knobs", region=aws_region(api), firewall_ranges=[])
    assert group.state == "ACTIVE"  # delay 0: transitions land at once
    workspace = group.create_workspace("w")
    assert workspace.state == "ACTIVE" and workspace.endpoint == "127.0.0.1"
    helios.set_endpoint(workspace.id, "localhost")
    assert workspace.refresh().endpoint == "localhost"

    paths = [(r["method"], r["path"]) for r in helios.requests()]
    assert ("POST", "/v1/workspaceGroups") in paths and ("POST", "/v1/workspaces") in paths
    assert not any(path.startswith("/_lab/") for _, path in paths)
    assert {r["method"] for r in helios.writes()} == {"POST"}

    helios.reset()
    assert helios.requests() == []
    assert helios.configure()["default_endpoint"] is None
    assert list(api.workspace_groups) == []


# ----------------------------------------------------------------------------- parity with the real API

GROUP_FIELDS = {"workspaceGroupID", "name", "regionID", "provider", "state", "createdAt"}  # GO WorkspaceGroup, required
REGION_FIELDS = {"provider", "region", "regionID"}  # GO Region
REGION_V2_FIELDS = {"provider", "region", "regionName"}  # GO RegionV2


def read_only_shapes(api: WorkspaceManager, wrong: WorkspaceManager) -> None:
    """What the stand-in serves and the real API must agree on, checked with GETs only."""
    regions = api._get("regions").json()
    assert regions and all(REGION_FIELDS <= set(r) for r in regions)
    assert {r["provider"] for r in regions} <= {"AWS", "GCP", "Azure"}
    v2 = api._get("../v2/regions").json()
    assert v2 and all(REGION_V2_FIELDS <= set(r) for r in v2)
    for group in api._get("workspaceGroups").json():
        assert GROUP_FIELDS <= set(group)
        assert group["state"] in ("PENDING", "ACTIVE", "FAILED")  # TERMINATED only with includeTerminated
        assert isinstance(group.get("outboundAllowList", ""), str)
        assert "adminPassword" not in group
        for workspace in api._get("workspaces", params={"workspaceGroupID": group["workspaceGroupID"]}).json():
            assert workspace["state"] in ("PENDING", "ACTIVE", "SUSPENDED", "FAILED")
    with pytest.raises(ManagementError) as exc:
        wrong._get("workspaceGroups")
    assert exc.value.errno == 401


def managers(key: str, url: str | None) -> tuple[WorkspaceManager, WorkspaceManager]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return (
            singlestoredb.manage_workspaces(access_token=key, base_url=url),
            singlestoredb.manage_workspaces(access_token="0" * 64, base_url=url),
        )


def test_shapes_stand_in(api: WorkspaceManager, helios: HeliosLab) -> None:
    group = api.create_workspace_group("shapes", region=aws_region(api), firewall_ranges=[])
    api.create_workspace("w", workspace_group=group)
    read_only_shapes(*managers(helios.api_key, helios.url))
    assert helios.writes() == [
        {"method": "POST", "path": "/v1/workspaceGroups", "status": 200},
        {"method": "POST", "path": "/v1/workspaces", "status": 200},
    ]


@pytest.mark.live("SINGLESTOREDB_API_KEY")
def test_shapes_real_api() -> None:
    """The same read-only checks against the real Management API (GETs only: nothing is created)."""
    read_only_shapes(
        *managers(os.environ["SINGLESTOREDB_API_KEY"], os.environ.get("SINGLESTOREDB_MANAGEMENT_BASE_URL"))
    )
