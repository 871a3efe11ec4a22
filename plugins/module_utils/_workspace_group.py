# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workspace group kind (singlestore_workspace_group): read, plan, apply; ``read_workspace_groups()`` for
singlestore_workspace_info.

API shapes: ``WorkspaceGroup``, ``WorkspaceGroupCreate``, ``WorkspaceGroupUpdate``, ``UpdateWindow`` and
``Region`` of management.go (singlestore-labs/singlestore-go, commit 9ab3497, management/v1.2.162), as
singlestoredb 1.18.1 maps them (``management/v1/workspace.py``).
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Mapping

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import (
    ACTIVE,
    TERMINATED,
    HeliosModule,
    HeliosObject,
    diff_of,
    iso,
    sort_cidrs,
    state_of,
    validate_cidrs,
    wait_for_state,
)

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}")


def region_public(group: Any) -> dict[str, Any]:
    """``{id, provider, name}``; ``name`` is the region's name as ``GET /v1/regions`` lists it (the client finds the
    group's region there by id), else the code name the group carries (``regionName``)."""
    region = getattr(group, "region", None)
    name = getattr(region, "name", None)
    return {
        "id": getattr(region, "id", None),
        "provider": getattr(group, "provider", None) or getattr(region, "provider", None),
        "name": name if name and name != "<unknown>" else getattr(group, "region_name", None),
    }


def update_window_public(value: Any) -> dict[str, int] | None:
    if not value:
        return None
    # management.go's UpdateWindow is two float32 (day 0-6 from Sunday, hour 0-23 UTC): shown as integers
    return {"day": int(value.get("day", 0)), "hour": int(value.get("hour", 0))}


def group_public(group: Any) -> dict[str, Any]:
    """What the modules return for a group object of the client."""
    return {
        "exists": True,
        "id": group.id,
        "name": group.name,
        "region": region_public(group),
        # the API reports 0.0.0.0/0 as allowAllTraffic (the lab's SOURCES.md, "Firewall ranges")
        "firewall_ranges": sort_cidrs(
            (group.firewall_ranges or []) + (["0.0.0.0/0"] if group.allow_all_traffic else [])
        ),
        "outbound_allow_list": group.outbound_allow_list,
        "state": state_of(group),
        "expires_at": iso(group.expires_at),
        "update_window": update_window_public(group.update_window),
    }


def find_group(module: HeliosModule, ref: str) -> Any | None:
    """The one non-terminated group named ``ref`` (or with id ``ref``); None if there is none."""
    groups = module.client.workspace_groups()
    found = [g for g in groups if g.id == ref] if UUID.match(ref) else []
    found = found or [g for g in groups if g.name == ref]
    if len(found) > 1:
        raise ModuleError(
            f"{len(found)} workspace groups are named {ref!r} ({', '.join(g.id for g in found)}): "
            "give the id of the one to manage"
        )
    return found[0] if found else None


def read_workspace_groups(module: HeliosModule, ref: str | None = None) -> list[dict[str, Any]]:
    """Every group (or the one ``ref`` names) with its ``workspaces``, for singlestore_workspace_info."""
    from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace import workspace_public

    if ref:
        one = find_group(module, ref)
        groups = [one] if one is not None else []
    else:
        groups = module.client.workspace_groups()
    out = []
    for group in sorted(groups, key=lambda g: (g.name, g.id)):
        item = group_public(group)
        item["workspaces"] = [
            workspace_public(space) for space in sorted(module.client.workspaces(group), key=lambda s: (s.name, s.id))
        ]
        out.append(item)
    return out


def expiry(value: str) -> datetime.datetime | None:
    """``expires_at`` as a datetime when it is a timestamp; None for a duration such as ``3h30m``."""
    if not _TIMESTAMP.match(value):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.datetime.fromisoformat(text) if "T" in text else datetime.datetime.fromisoformat(text[:10])
    except ValueError:
        raise ModuleError(
            f"expires_at: {value!r} is neither a timestamp (2026-12-31T00:00:00Z) nor a duration (3h30m)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


class WorkspaceGroup(HeliosObject):
    """One workspace group: read by name, planned against the options, applied through HeliosClient."""

    # -- desired state -----------------------------------------------------------------------
    def check_options(self) -> None:
        """Everything that can be refused without the API; runs before any request."""
        params = self.params
        if params.get("firewall_ranges") is not None:
            params["firewall_ranges"] = validate_cidrs(params["firewall_ranges"])
        window = params.get("update_window")
        if window:
            day, hour = window.get("day"), window.get("hour")
            if day is None or hour is None or not 0 <= day <= 6 or not 0 <= hour <= 23:
                raise ModuleError(f"update_window: day must be 0-6 (0 is Sunday) and hour 0-23 (UTC), got {window}")
        if params.get("expires_at"):
            expiry(params["expires_at"])

    def resolve_region(self) -> Any:
        """The Region object the options name; ModuleError listing the offered regions otherwise."""
        params = self.params
        regions = self.module.client.regions()
        if params.get("region_id"):
            found = [r for r in regions if r.id == params["region_id"]]
            wanted = f"region_id {params['region_id']!r}"
        else:
            provider, name = str(params.get("provider") or ""), str(params.get("region") or "")
            if not provider or not name:
                raise ModuleError("creating a workspace group needs region_id, or provider and region")
            found = [
                r
                for r in regions
                if str(r.provider).lower() == provider.lower()
                and name.lower() in {str(r.name).lower(), str(getattr(r, "region_name", "") or "").lower()}
            ]
            wanted = f"region {name!r} of provider {provider!r}"
        if not found:
            offered = ", ".join(f"{r.provider} {r.name} ({r.id})" for r in regions) or "none"
            raise ModuleError(f"unknown {wanted}: the API offers {offered}; nothing was created")
        return found[0]

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        params = self.params
        self.check_options()
        group = find_group(self.module, params["name"])
        before = group_public(group) if group is not None else {"exists": False, "name": params["name"]}
        if params["state"] == "absent":
            after = self.absent(group, before)
        else:
            after = self.present(group, before)
        result: dict[str, Any] = {"changed": bool(self.planned), "workspace_group": after}
        if self.module.check_mode:
            result["requests"] = self.planned
        if self.states_seen:
            result["states_seen"] = self.states_seen
        if self.module.diff:
            result["diff"] = diff_of(_diffable(before), _diffable(after))
        return result

    def plan(self, request: str) -> None:
        self.planned.append(request)

    def present(self, group: Any, before: dict[str, Any]) -> dict[str, Any]:
        params = self.params
        client = self.module.client
        if group is None:
            return self.create(before)
        if state_of(group) == "FAILED":
            raise ModuleError(f"workspace group {group.name!r} ({group.id}) is FAILED: delete it and create it again")
        region = region_public(group)
        if params.get("region_id") and params["region_id"] != region["id"]:
            raise ModuleError(
                f"workspace group {group.name!r} is in region {region['id']} ({region['provider']} {region['name']}), "
                f"not {params['region_id']}: the region of a group cannot be changed"
            )
        changes: dict[str, Any] = {}
        after = dict(before)
        if params.get("firewall_ranges") is not None and params["firewall_ranges"] != before["firewall_ranges"]:
            changes["firewall_ranges"] = params["firewall_ranges"]
            after["firewall_ranges"] = params["firewall_ranges"]
        window = params.get("update_window")
        if window and {"day": window["day"], "hour": window["hour"]} != before["update_window"]:
            changes["update_window"] = {"day": window["day"], "hour": window["hour"]}
            after["update_window"] = changes["update_window"]
        wanted_expiry = params.get("expires_at")
        if wanted_expiry:
            when = expiry(wanted_expiry)
            now = expiry(before["expires_at"]) if before["expires_at"] else None
            # a duration (3h30m) counts from the request, so it can only be compared with "no expiry at all"
            if (when is not None and when != now) or (when is None and now is None):
                changes["expires_at"] = wanted_expiry
                after["expires_at"] = iso(when) if when is not None else f"(in {wanted_expiry})"
        if params.get("admin_password") and params["update_password"] == "always":
            changes["admin_password"] = params["admin_password"]
        if not changes:
            return before
        self.plan(f"PATCH /v1/workspaceGroups/{group.id}")
        if self.module.check_mode:
            return after
        client.update_workspace_group(group, **changes)
        if not params["wait"]:
            return group_public(client.workspace_group(group.id))
        # firewall ranges take effect asynchronously: wait until the group reports what was asked for
        shown = [k for k in ("firewall_ranges", "update_window") if k in changes]
        applied = wait_for_state(
            f"workspace group {group.name!r}",
            lambda: client.workspace_group(group.id),
            [ACTIVE],
            params["wait_timeout"],
            self.states_seen,
            until=lambda g: all(group_public(g)[k] == after[k] for k in shown),
        )
        return group_public(applied)

    def create(self, before: dict[str, Any]) -> dict[str, Any]:
        params = self.params
        missing = [k for k in ("firewall_ranges", "admin_password") if params.get(k) is None]
        if missing:
            raise ModuleError(
                f"workspace group {params['name']!r} does not exist; creating it needs {' and '.join(missing)} "
                "(firewall_ranges: [] admits no client; the admin password is required because the API would "
                "otherwise generate one that the client does not return)"
            )
        region = self.resolve_region()
        window = params.get("update_window")
        kwargs: dict[str, Any] = dict(
            name=params["name"],
            region=region.id,
            firewall_ranges=params["firewall_ranges"],
            admin_password=params["admin_password"],
            expires_at=params.get("expires_at"),
            update_window={"day": window["day"], "hour": window["hour"]} if window else None,
        )
        self.plan("POST /v1/workspaceGroups")
        if self.module.check_mode:
            when = expiry(params["expires_at"]) if params.get("expires_at") else None
            return {
                "exists": True,
                "id": None,
                "name": params["name"],
                "region": {
                    "id": region.id,
                    "provider": region.provider,
                    "name": region.name,
                },
                "firewall_ranges": params["firewall_ranges"],
                "outbound_allow_list": None,
                "state": ACTIVE if params["wait"] else "PENDING",
                "expires_at": iso(when)
                if when
                else (f"(in {params['expires_at']})" if params.get("expires_at") else None),
                "update_window": kwargs["update_window"],
            }
        group = self.module.client.create_workspace_group(**kwargs)
        if params["wait"]:
            group = wait_for_state(
                f"workspace group {params['name']!r}",
                lambda: self.module.client.workspace_group(group.id),
                [ACTIVE],
                params["wait_timeout"],
                self.states_seen,
            )
        return group_public(group)

    def absent(self, group: Any, before: dict[str, Any]) -> dict[str, Any]:
        if group is None:
            return before
        client = self.module.client
        spaces = client.workspaces(group)
        if spaces and not self.params["force"]:
            names = ", ".join(f"{s.name} ({state_of(s)})" for s in spaces)
            raise ModuleError(
                f"workspace group {group.name!r} still has {len(spaces)} workspace(s): {names}. Delete them first "
                "(singlestore_workspace state=absent) or set force: true to terminate them with the group; "
                "nothing was deleted"
            )
        self.plan(f"DELETE /v1/workspaceGroups/{group.id}?force={'true' if self.params['force'] else 'false'}")
        gone = {"exists": False, "name": group.name}
        if self.module.check_mode:
            return gone
        client.terminate_workspace_group(group, self.params["force"])
        if self.params["wait"]:
            wait_for_state(
                f"workspace group {group.name!r}",
                lambda: client.workspace_group(group.id, missing_ok=True),
                [TERMINATED],
                self.params["wait_timeout"],
                self.states_seen,
            )
        return gone


def _diffable(state: Mapping[str, Any]) -> dict[str, Any]:
    """The state as shown in a diff: the fields a task sets, without the id a check-mode creation cannot know."""
    return {k: v for k, v in state.items() if k not in ("id", "outbound_allow_list")}
