# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workspace kind (singlestore_workspace): read, plan, apply, wait; ``workspace_public()`` for
singlestore_workspace_info.

API shapes: ``Workspace``, ``WorkspaceCreate``, ``WorkspaceUpdate`` and ``WorkspaceResume`` of management.go
(singlestore-labs/singlestore-go, commit 9ab3497). Auto-suspend is written as ``{suspendType,
suspendAfterSeconds}`` but read back as ``{suspendType, idleAfterSeconds | scheduledAfterSeconds}``, and a
workspace without auto-suspend reports none (``DISABLED`` exists only on the write side): ``auto_suspend_public()``
maps the read shape onto the write shape so the two can be compared.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import (
    ACTIVE,
    FAILED,
    PENDING,
    SUSPENDED,
    TERMINATED,
    HeliosObject,
    diff_of,
    state_of,
    wait_for_state,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace_group import find_group

SUSPEND_TYPES = ("IDLE", "SCHEDULED", "DISABLED")


def auto_suspend_public(value: Any) -> dict[str, Any]:
    """The read shape (client: camel_to_snake of ``autoSuspend``) as ``{suspend_type, suspend_after_seconds}``."""
    if not value or not value.get("suspend_type"):
        return {"suspend_type": "DISABLED", "suspend_after_seconds": None}
    kind = str(value["suspend_type"]).upper()
    seconds = value.get("idle_after_seconds") if kind == "IDLE" else value.get("scheduled_after_seconds")
    return {"suspend_type": kind, "suspend_after_seconds": int(seconds) if seconds is not None else None}


def workspace_public(space: Any) -> dict[str, Any]:
    return {
        "exists": True,
        "id": space.id,
        "name": space.name,
        "workspace_group_id": space.group_id,
        "size": space.size,
        "state": state_of(space),
        "endpoint": space.endpoint,
        "auto_suspend": auto_suspend_public(space.auto_suspend),
    }


def wanted_auto_suspend(option: dict[str, Any] | None) -> dict[str, Any] | None:
    """The option checked and normalised; None when not given."""
    if not option:
        return None
    kind = str(option.get("suspend_type") or "").upper()
    seconds = option.get("suspend_after_seconds")
    if kind not in SUSPEND_TYPES:
        raise ModuleError(
            f"auto_suspend.suspend_type must be one of {', '.join(SUSPEND_TYPES)}, got {kind or 'nothing'}"
        )
    if kind == "DISABLED":
        if seconds is not None:
            raise ModuleError("auto_suspend.suspend_after_seconds makes no sense with suspend_type DISABLED")
        return {"suspend_type": kind, "suspend_after_seconds": None}
    if seconds is None or int(seconds) <= 0:
        raise ModuleError(f"auto_suspend.suspend_type {kind} needs suspend_after_seconds (a positive number)")
    return {"suspend_type": kind, "suspend_after_seconds": int(seconds)}


def api_auto_suspend(wanted: dict[str, Any]) -> dict[str, Any]:
    """The write shape, in the snake case the client turns into camel case (snake_to_camel_dict)."""
    out: dict[str, Any] = {"suspend_type": wanted["suspend_type"]}
    if wanted["suspend_after_seconds"] is not None:
        out["suspend_after_seconds"] = wanted["suspend_after_seconds"]
    return out


class Workspace(HeliosObject):
    """One workspace of a group: created, resized, re-configured, suspended, resumed or deleted."""

    def run(self) -> dict[str, Any]:
        params = self.params
        auto_suspend = wanted_auto_suspend(params.get("auto_suspend"))
        group = find_group(self.module, params["workspace_group"])
        space = None
        if group is not None:
            found = [s for s in self.module.client.workspaces(group) if s.name == params["name"]]
            if len(found) > 1:
                raise ModuleError(
                    f"{len(found)} workspaces of group {group.name!r} are named {params['name']!r}: "
                    f"{', '.join(s.id for s in found)}"
                )
            space = found[0] if found else None
        elif params["state"] != "absent" and not self.module.check_mode:
            raise ModuleError(
                f"workspace group {params['workspace_group']!r} does not exist: create it first "
                "(singlestore_workspace_group); nothing was created"
            )
        elif params["state"] != "absent":
            # check mode of a play that creates the group in an earlier task: predict instead of failing
            self.module.warn(
                f"workspace group {params['workspace_group']!r} does not exist (yet): predicting a creation"
            )
        before = workspace_public(space) if space is not None else {"exists": False, "name": params["name"]}
        if space is not None:
            self.states_seen.append(before["state"])
        if params["state"] == "absent":
            after = self.absent(space, before)
        elif space is None:
            after = self.create(group, before, auto_suspend)
        else:
            after = self.update(space, before, auto_suspend)
        result: dict[str, Any] = {"changed": bool(self.planned), "workspace": after, "states_seen": self.states_seen}
        if self.module.check_mode:
            result["requests"] = self.planned
        if self.module.diff:
            result["diff"] = diff_of(_diffable(before), _diffable(after))
        return result

    # -- helpers -----------------------------------------------------------------------------
    def wait(self, space_id: str, targets: list[str], timeout: float | None = None) -> Any:
        return wait_for_state(
            f"workspace {self.params['name']!r}",
            lambda: self.module.client.workspace(space_id, missing_ok=TERMINATED in targets),
            targets,
            self.params["wait_timeout"] if timeout is None else timeout,
            self.states_seen,
        )

    def plan(self, request: str) -> bool:
        """Record a write request; True when it should be sent (not check mode)."""
        self.planned.append(request)
        return not self.module.check_mode

    # -- targets -----------------------------------------------------------------------------
    def create(self, group: Any, before: dict[str, Any], auto_suspend: dict[str, Any] | None) -> dict[str, Any]:
        params = self.params
        target = params["state"]
        predicted = {
            "exists": True,
            "id": None,
            "name": params["name"],
            "workspace_group_id": getattr(group, "id", None),
            "size": params.get("size") or "S-00",
            "state": SUSPENDED if target == "suspended" else (ACTIVE if params["wait"] else PENDING),
            "endpoint": None,
            "auto_suspend": auto_suspend or {"suspend_type": "DISABLED", "suspend_after_seconds": None},
        }
        if not self.plan("POST /v1/workspaces"):
            if target == "suspended":
                self.planned.append("POST /v1/workspaces/(new id)/suspend")
            return predicted
        if state_of(group) != ACTIVE:
            # a group created with wait=false in an earlier task: the API refuses workspaces in a PENDING group
            wait_for_state(
                f"workspace group {group.name!r}",
                lambda: self.module.client.workspace_group(group.id),
                [ACTIVE],
                params["wait_timeout"],
                [],
            )
        space = self.module.client.create_workspace(
            name=params["name"],
            workspace_group=group.id,
            size=params.get("size"),
            auto_suspend=api_auto_suspend(auto_suspend) if auto_suspend else None,
        )
        self.states_seen.append(state_of(space))
        if target == "suspended":
            # a workspace can be suspended only once it is ACTIVE
            space = self.wait(space.id, [ACTIVE])
            self.plan(f"POST /v1/workspaces/{space.id}/suspend")
            self.module.client.suspend_workspace(space)
            return self.settle(space.id, [SUSPENDED])
        return self.settle(space.id, [ACTIVE])

    def settle(self, space_id: str, targets: list[str], after: dict[str, Any] | None = None) -> dict[str, Any]:
        """Wait for ``targets`` when asked to (and, given ``after``, until the size and auto-suspend settings show
        it: a resize takes effect asynchronously), else read once; the public state."""
        if not self.params["wait"]:
            return workspace_public(self.module.client.workspace(space_id))
        wanted = {k: after[k] for k in ("size", "auto_suspend")} if after is not None else {}

        def applied(space: Any) -> bool:
            shown = workspace_public(space)
            # an ACTIVE workspace is usable once it reports its endpoint (Workspace.endpoint of management.go)
            ready = shown["state"] != ACTIVE or bool(shown["endpoint"])
            return ready and all(shown[k] == v for k, v in wanted.items())

        return workspace_public(
            wait_for_state(
                f"workspace {self.params['name']!r}",
                lambda: self.module.client.workspace(space_id),
                targets,
                self.params["wait_timeout"],
                self.states_seen,
                until=applied,
            )
        )

    def update(self, space: Any, before: dict[str, Any], auto_suspend: dict[str, Any] | None) -> dict[str, Any]:
        params = self.params
        state = before["state"]
        if state == FAILED:
            raise ModuleError(f"workspace {space.name!r} ({space.id}) is FAILED: delete it and create it again")
        after = dict(before)
        changes: dict[str, Any] = {}
        if params.get("size") and params["size"] != before["size"]:
            changes["size"] = params["size"]
            after["size"] = params["size"]
        if auto_suspend and auto_suspend != before["auto_suspend"]:
            changes["auto_suspend"] = api_auto_suspend(auto_suspend)
            after["auto_suspend"] = auto_suspend
        target = {"active": ACTIVE, "suspended": SUSPENDED}.get(params["state"])
        if changes:
            if state == SUSPENDED:
                raise ModuleError(
                    f"workspace {space.name!r} is SUSPENDED: resume it (state: active) before changing "
                    f"{' and '.join(sorted(changes))}; nothing was changed"
                )
            if self.plan(f"PATCH /v1/workspaces/{space.id}"):
                if state != ACTIVE:
                    space = self.wait(space.id, [ACTIVE])
                self.module.client.update_workspace(space, **changes)
        if target is None or target == state:
            if not changes or self.module.check_mode:
                return after
            return self.settle(space.id, [ACTIVE], after)
        if target == SUSPENDED:
            if self.plan(f"POST /v1/workspaces/{space.id}/suspend"):
                if state_of(space) != ACTIVE or changes:
                    space = self.wait(space.id, [ACTIVE])
                self.module.client.suspend_workspace(space)
                return self.settle(space.id, [SUSPENDED])
        elif state == SUSPENDED:
            if self.plan(f"POST /v1/workspaces/{space.id}/resume"):
                self.module.client.resume_workspace(space)
                return self.settle(space.id, [ACTIVE])
        else:
            # PENDING (being created, resized or resumed): no request, the workspace gets there by itself
            if self.module.check_mode or not params["wait"]:
                return after
            return workspace_public(self.wait(space.id, [ACTIVE]))
        after["state"] = target
        return after

    def absent(self, space: Any, before: dict[str, Any]) -> dict[str, Any]:
        if space is None:
            return before
        gone = {"exists": False, "name": space.name}
        if self.plan(f"DELETE /v1/workspaces/{space.id}?force=false"):
            self.module.client.terminate_workspace(space)
            if self.params["wait"]:
                self.wait(space.id, [TERMINATED])
        return gone


def _diffable(state: dict[str, Any]) -> dict[str, Any]:
    """Fields a task sets or waits for; not the id and endpoint a check-mode creation cannot know."""
    return {k: v for k, v in state.items() if k not in ("id", "endpoint", "workspace_group_id")}
