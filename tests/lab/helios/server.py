"""SingleStore Helios Management API stand-in: `python -m tests.lab.helios.server --port N --api-key-file F`.

Serves the documented v1 endpoints the collection's Helios modules use (regions, workspace groups,
workspaces, suspend, resume) on 127.0.0.1, plus a few `/_lab/` knobs for tests. Every endpoint,
field, state and error body is cited in SOURCES.md next to this file; where the public sources are
silent the choice is marked there as the stand-in's own.

`HeliosState` is the model: plain data, no I/O, time from an injected clock. Asynchronous
transitions (PENDING -> ACTIVE, ... -> TERMINATED, a firewall or size change taking effect) are
scheduled `delay` seconds ahead and applied lazily whenever the state is read, so the model is
deterministic under a fake clock and needs no background thread.
"""

from __future__ import annotations

import argparse
import copy
import hmac
import ipaddress
import json
import os
import re
import secrets
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_DELAY = 0.3
Record = dict[str, Any]


class ApiError(Exception):
    """An error answer: the status and the plain-text body (SOURCES.md, "Errors")."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Region:
    id: str
    provider: str  # CloudProvider enum: AWS | GCP | Azure
    region: str  # display name (Region.region)
    region_name: str  # code name (RegionV2.regionName, WorkspaceGroup.regionName)

    def v1(self) -> Record:
        return {"provider": self.provider, "region": self.region, "regionID": self.id}

    def v2(self) -> Record:
        return {"provider": self.provider, "region": self.region, "regionName": self.region_name}


def _region(provider: str, display: str, code: str) -> Region:
    # Stable ids across restarts and labs, so a test or an inventory can name one.
    return Region(str(uuid.uuid5(uuid.NAMESPACE_URL, f"lab-helios:{provider}:{code}")), provider, display, code)


# Sample regions: the provider spellings are the CloudProvider enum, the code names the ones
# SingleStore's Terraform examples use (SOURCES.md, "Regions").
REGIONS: tuple[Region, ...] = (
    _region("AWS", "US East 1 (N. Virginia)", "us-east-1"),
    _region("AWS", "US West 2 (Oregon)", "us-west-2"),
    _region("AWS", "Europe Central 1 (Frankfurt)", "eu-central-1"),
    _region("GCP", "US Central 1 (Iowa)", "us-central1"),
    _region("Azure", "East US 2 (Virginia)", "eastus2"),
)

# Workspace sizes the stand-in offers (SOURCES.md, "Sizes"); anything else is "not offered".
SIZES: tuple[str, ...] = (
    "S-00",
    "S-0",
    "S-1",
    "S-2",
    "S-4",
    "S-6",
    "S-8",
    "S-12",
    "S-16",
    "S-20",
    "S-24",
    "S-28",
    "S-32",
    "S-40",
    "S-48",
    "S-56",
    "S-64",
)
DEFAULT_SIZE = "S-00"
SUSPEND_TYPES = ("IDLE", "SCHEDULED", "DISABLED")
ALL_TRAFFIC = "0.0.0.0/0"
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    """Inverse of `iso`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def parse_expires_at(value: Any, now: float) -> str:
    """expiresAt as the API documents it (timestamp, date or Go-style duration), normalised to UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "expiresAt must be a timestamp or a duration")
    text = value.strip()
    match = _DURATION.match(text)
    if match and any(match.groups()):
        hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return iso(now + hours * 3600 + minutes * 60 + seconds)
    # "Z07:00" in the documented example is Go's layout notation; a literal Z means UTC.
    candidate = text[:-1] + "+0000" if text.endswith("Z") else text
    for fmt in _TIMESTAMP_FORMATS:
        try:
            parsed = datetime.strptime(candidate, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return iso(parsed.timestamp())
    raise ApiError(
        400,
        f"invalid expiresAt {text!r}: expected a timestamp such as 2023-09-02T15:04:05Z or a duration such as 3h30m",
    )


def parse_firewall_ranges(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError(400, "firewallRanges must be a list of CIDR ranges")
    for item in value:
        if "/" not in item:
            raise ApiError(400, f"invalid firewall range {item!r}: expected CIDR notation such as 192.0.2.10/32")
        try:
            ipaddress.ip_network(item, strict=True)
        except ValueError as exc:
            raise ApiError(400, f"invalid firewall range {item!r}: {exc}") from None
    # The API reads ranges back sorted (SOURCES.md, "Firewall ranges").
    return sorted(value)


def parse_update_window(value: Any) -> Record:
    if not isinstance(value, dict):
        raise ApiError(400, "updateWindow must be an object with day (0-6) and hour (0-23)")
    window: Record = {}
    for name, top in (("day", 6), ("hour", 23)):
        number = value.get(name)
        # Numbers in the schema (float32), whole ones in practice: 2 and 2.0 are the same day.
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number):
            raise ApiError(400, f"updateWindow.{name} must be a whole number")
        if not 0 <= number <= top:
            raise ApiError(400, f"updateWindow.{name} must be between 0 and {top}")
        window[name] = int(number)
    return window


def password_problem(password: str) -> str | None:
    """The first rule of the documented admin password policy that `password` breaks, if any."""
    if len(password) < 14:
        return "password must contain at least 14 characters"
    if not any(c.isupper() for c in password):
        return "password must contain at least one uppercase character"
    if not any(c.islower() for c in password):
        return "password must contain at least one lowercase character"
    if not any(c.isdigit() for c in password):
        return "password must contain at least one numeric character"
    if all(c.isalnum() for c in password):
        return "password must contain at least one special character"
    for a, b, c in zip(password, password[1:], password[2:]):
        if ord(b) - ord(a) == 1 and ord(c) - ord(b) == 1:
            return "password must contain at most two consecutive sequential characters"
    for i in range(len(password) - 3):
        if len(set(password[i : i + 4])) == 1:
            return "password must contain at most three consecutive identical characters"
    return None


def generate_password() -> str:
    alphabet = string.ascii_letters + string.digits + "!#%*+-_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20))
        if password_problem(candidate) is None:
            return candidate


def parse_auto_suspend(value: Any) -> Record | None:
    """The create/update `autoSuspend` body, as the record's `autoSuspend` (None = disabled)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(400, "autoSuspend must be an object")
    kind = value.get("suspendType")
    after = value.get("suspendAfterSeconds")
    if kind not in SUSPEND_TYPES:
        raise ApiError(400, f"autoSuspend.suspendType must be one of {', '.join(SUSPEND_TYPES)}")
    if kind == "DISABLED":
        if after is not None:
            raise ApiError(400, "autoSuspend.suspendAfterSeconds must not be set when suspendType is DISABLED")
        return None
    if isinstance(after, bool) or not isinstance(after, (int, float)) or after <= 0:
        raise ApiError(400, f"autoSuspend.suspendAfterSeconds must be a positive number for suspendType {kind}")
    key = "idleAfterSeconds" if kind == "IDLE" else "scheduledAfterSeconds"
    return {"suspendType": kind, key: after}


def _uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, f"invalid {what} ID {value!r}: must be a UUID") from None


def _body_str(body: Record, key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{key} must be a non-empty string")
    return value


class HeliosState:
    """Workspace groups and workspaces of one organization, with delayed state transitions."""

    def __init__(self, delay: float = DEFAULT_DELAY, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.initial_delay = delay
        self.reset()

    def reset(self) -> None:
        self.delay = self.initial_delay
        self.default_endpoint: str | None = None
        self.groups: dict[str, Record] = {}
        self.workspaces: dict[str, Record] = {}
        # (due time, "group" | "workspace", id, fields to set; None as a value removes the field)
        self.scheduled: list[tuple[float, str, str, Record]] = []
        self.requests: list[Record] = []

    def configure(self, delay: Any = None, default_endpoint: Any = ..., **unknown: Any) -> Record:
        if unknown:
            raise ApiError(400, f"unknown setting(s): {', '.join(sorted(unknown))}")
        if delay is not None:
            if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 3600:
                raise ApiError(400, "delay must be a number of seconds between 0 and 3600")
            self.delay = float(delay)
        if default_endpoint is not ...:
            if default_endpoint is not None and not isinstance(default_endpoint, str):
                raise ApiError(400, "default_endpoint must be a host name or null")
            self.default_endpoint = default_endpoint or None
        return {"delay": self.delay, "default_endpoint": self.default_endpoint}

    # ------------------------------------------------------------------ time

    def _schedule(self, kind: str, obj_id: str, fields: Record) -> None:
        self.scheduled.append((self.clock() + self.delay, kind, obj_id, fields))
        self.advance()  # a zero delay takes effect at once

    def advance(self) -> None:
        """Apply every scheduled change that is due, in order, then the expiry of groups past `expiresAt`."""
        now = self.clock()
        due = [entry for entry in self.scheduled if entry[0] <= now]
        self.scheduled = [entry for entry in self.scheduled if entry[0] > now]
        for when, kind, obj_id, fields in sorted(due, key=lambda entry: entry[0]):
            record = (self.groups if kind == "group" else self.workspaces).get(obj_id)
            if record is None or record["state"] == "TERMINATED":
                continue
            for key, value in fields.items():
                if value is None:
                    record.pop(key, None)
                else:
                    record[key] = value
            if kind == "workspace" and fields.get("state") == "ACTIVE" and "endpoint" not in record:
                record["endpoint"] = self._endpoint_for(record)
            if fields.get("state") == "TERMINATED":
                record["terminatedAt"] = iso(when)
        for group in self.groups.values():
            # "At expiration, the workspace group is terminated and all the data is lost" (SOURCES.md, "expiresAt").
            expires = group.get("expiresAt")
            if expires and group["state"] != "TERMINATED" and parse_iso(expires) <= now:
                self._terminate_now(group, expires)

    def _terminate_now(self, group: Record, when: str) -> None:
        group_id = group["workspaceGroupID"]
        for workspace in self.workspaces.values():
            if workspace["workspaceGroupID"] == group_id and workspace["state"] != "TERMINATED":
                workspace.update(state="TERMINATED", terminatedAt=when)
                workspace.pop("endpoint", None)
        group.update(state="TERMINATED", terminatedAt=when)

    def _cancel(self, kind: str, obj_id: str, key: str) -> None:
        """Drop pending changes of `key` (a newer request supersedes them)."""
        for i, (when, k, oid, fields) in enumerate(self.scheduled):
            if k == kind and oid == obj_id and key in fields:
                self.scheduled[i] = (when, k, oid, {f: v for f, v in fields.items() if f != key})

    def _endpoint_for(self, workspace: Record) -> str:
        if self.default_endpoint:
            return self.default_endpoint
        group = self.groups[workspace["workspaceGroupID"]]
        # The shape of a Helios endpoint host name (SOURCES.md, "Endpoint"); it does not resolve.
        return (
            f"svc-{workspace['workspaceID']}-dml.{group['provider'].lower()}-{group['regionName']}.svc.singlestore.com"
        )

    # ------------------------------------------------------------------ regions

    def list_regions(self) -> list[Record]:
        return [region.v1() for region in REGIONS]

    def list_regions_v2(self) -> list[Record]:
        return [region.v2() for region in REGIONS]

    def _find_region(self, body: Record) -> Region:
        region_id = body.get("regionID")
        provider, code = body.get("provider"), body.get("regionName")
        if region_id is not None:
            for region in REGIONS:
                if region.id == region_id:
                    return region
            raise ApiError(400, f"region {region_id} not found")
        if provider is not None and code is not None:
            for region in REGIONS:
                if region.provider.lower() == str(provider).lower() and region.region_name == code:
                    return region
            raise ApiError(400, f"region {code} not found for provider {provider}")
        raise ApiError(400, "either regionID or provider and regionName are required")

    # ------------------------------------------------------------------ workspace groups

    def _group(self, group_id: str) -> Record:
        self.advance()
        record = self.groups.get(_uuid(group_id, "workspace group"))
        if record is None:
            raise ApiError(404, f"workspace group {group_id} not found")
        return record

    def _live_group(self, group_id: str) -> Record:
        record = self._group(group_id)
        if record["state"] == "TERMINATED":
            raise ApiError(400, f"workspace group {group_id} is terminated")
        return record

    def list_groups(self, include_terminated: bool = False) -> list[Record]:
        self.advance()
        return [copy.deepcopy(g) for g in self.groups.values() if include_terminated or g["state"] != "TERMINATED"]

    def get_group(self, group_id: str) -> Record:
        return copy.deepcopy(self._group(group_id))

    def create_group(self, body: Record) -> Record:
        self.advance()
        name = _body_str(body, "name", required=True)
        if "firewallRanges" not in body or body["firewallRanges"] is None:
            raise ApiError(400, "firewallRanges is required")
        ranges = parse_firewall_ranges(body["firewallRanges"])
        region = self._find_region(body)
        now = self.clock()
        expires = parse_expires_at(body["expiresAt"], now) if body.get("expiresAt") is not None else None
        window = parse_update_window(body["updateWindow"]) if body.get("updateWindow") is not None else None
        if any(g["name"] == name and g["state"] != "TERMINATED" for g in self.groups.values()):
            # A name collision is a 500 whose wording says nothing was created (SOURCES.md, "Errors").
            raise ApiError(500, f"error creating workspace group ({name}): already exists")
        answer: Record = {}
        password = body.get("adminPassword")
        if not isinstance(password, str) or password_problem(password) is not None:
            # Documented: a missing or invalid password is replaced by a generated one, returned once.
            answer["adminPassword"] = generate_password()
        group_id = str(uuid.uuid4())
        record: Record = {
            "workspaceGroupID": group_id,
            "name": name,
            "regionID": region.id,
            "regionName": region.region_name,
            "provider": region.provider,
            "state": "PENDING",
            "createdAt": iso(now),
            "deploymentType": body.get("deploymentType") or "PRODUCTION",
        }
        self._set_ranges(record, ranges, bool(body.get("allowAllTraffic")))
        if expires:
            record["expiresAt"] = expires
        if window:
            record["updateWindow"] = window
        if region.provider == "AWS":
            # One AWS account ID (for PrivateLink), not a list of addresses (SOURCES.md, "outboundAllowList").
            record["outboundAllowList"] = str(uuid.UUID(group_id).int % 10**12).zfill(12)
        self.groups[group_id] = record
        self._schedule("group", group_id, {"state": "ACTIVE"})
        return {"workspaceGroupID": group_id, **answer}

    @staticmethod
    def _set_ranges(record: Record, ranges: list[str], allow_all: bool) -> None:
        # 0.0.0.0/0 is reported as allowAllTraffic with no firewallRanges (SOURCES.md, "Firewall ranges").
        if allow_all or ALL_TRAFFIC in ranges:
            record["allowAllTraffic"] = True
            record.pop("firewallRanges", None)
        else:
            record["allowAllTraffic"] = False
            record["firewallRanges"] = ranges

    def update_group(self, group_id: str, body: Record) -> Record:
        record = self._live_group(group_id)
        changes: Record = {}
        name = _body_str(body, "name")
        if name is not None and name != record["name"]:
            if any(g["name"] == name and g["state"] != "TERMINATED" for g in self.groups.values()):
                raise ApiError(500, f"error updating workspace group ({name}): already exists")
            changes["name"] = name
        password = body.get("adminPassword")
        if password is not None:
            problem = password_problem(password) if isinstance(password, str) else "password must be a string"
            if problem:
                raise ApiError(400, problem)
        if body.get("expiresAt") is not None:
            changes["expiresAt"] = parse_expires_at(body["expiresAt"], self.clock())
        if body.get("updateWindow") is not None:
            changes["updateWindow"] = parse_update_window(body["updateWindow"])
        if body.get("deploymentType") is not None:
            changes["deploymentType"] = body["deploymentType"]
        ranges = parse_firewall_ranges(body["firewallRanges"]) if body.get("firewallRanges") is not None else None
        allow_all = body.get("allowAllTraffic")
        record.update(changes)
        if ranges is not None or allow_all is not None:
            # Firewall changes take effect asynchronously: the record shows the old ranges until then.
            target: Record = {}
            current_ranges = record.get("firewallRanges", [ALL_TRAFFIC] if record.get("allowAllTraffic") else [])
            self._set_ranges(target, ranges if ranges is not None else current_ranges, bool(allow_all))
            self._cancel("group", record["workspaceGroupID"], "firewallRanges")
            self._cancel("group", record["workspaceGroupID"], "allowAllTraffic")
            self._schedule(
                "group",
                record["workspaceGroupID"],
                {
                    "allowAllTraffic": target["allowAllTraffic"],
                    "firewallRanges": target.get("firewallRanges"),
                },
            )
        return {"workspaceGroupID": record["workspaceGroupID"]}

    def delete_group(self, group_id: str, force: bool) -> Record:
        record = self._live_group(group_id)
        live = [
            w
            for w in self.workspaces.values()
            if w["workspaceGroupID"] == record["workspaceGroupID"] and w["state"] != "TERMINATED"
        ]
        if live and not force:
            raise ApiError(
                400,
                f"workspace group {group_id} has {len(live)} active workspace(s); "
                "terminate them first or set force=true",
            )
        for workspace in live:
            self._schedule("workspace", workspace["workspaceID"], {"state": "TERMINATED", "endpoint": None})
        self._schedule("group", record["workspaceGroupID"], {"state": "TERMINATED"})
        return {"workspaceGroupID": record["workspaceGroupID"]}

    # ------------------------------------------------------------------ workspaces

    def _workspace(self, workspace_id: str) -> Record:
        self.advance()
        record = self.workspaces.get(_uuid(workspace_id, "workspace"))
        if record is None:
            raise ApiError(404, f"workspace {workspace_id} not found")
        return record

    def _live_workspace(self, workspace_id: str) -> Record:
        record = self._workspace(workspace_id)
        if record["state"] == "TERMINATED":
            raise ApiError(400, f"workspace {workspace_id} is terminated")
        return record

    def list_workspaces(self, group_id: str | None, include_terminated: bool = False) -> list[Record]:
        if not group_id:
            raise ApiError(400, "workspaceGroupID is required")
        group = self._group(group_id)
        return [
            copy.deepcopy(w)
            for w in self.workspaces.values()
            if w["workspaceGroupID"] == group["workspaceGroupID"] and (include_terminated or w["state"] != "TERMINATED")
        ]

    def get_workspace(self, workspace_id: str) -> Record:
        return copy.deepcopy(self._workspace(workspace_id))

    def create_workspace(self, body: Record) -> Record:
        name = _body_str(body, "name", required=True)
        group_id = _body_str(body, "workspaceGroupID", required=True)
        assert group_id is not None
        group = self._group(group_id)
        if group["state"] in ("TERMINATED", "FAILED"):
            raise ApiError(400, f"workspace group {group_id} is {group['state'].lower()}")
        size = body.get("size") or DEFAULT_SIZE
        if size not in SIZES:
            raise ApiError(400, f"invalid workspace size {size!r}: offered sizes are {', '.join(SIZES)}")
        auto_suspend = parse_auto_suspend(body.get("autoSuspend"))
        if any(
            w["name"] == name and w["workspaceGroupID"] == group["workspaceGroupID"] and w["state"] != "TERMINATED"
            for w in self.workspaces.values()
        ):
            raise ApiError(500, f"error creating workspace ({name}): already exists")
        now = self.clock()
        workspace_id = str(uuid.uuid4())
        record: Record = {
            "workspaceID": workspace_id,
            "workspaceGroupID": group["workspaceGroupID"],
            "name": name,
            "size": size,
            "state": "PENDING",
            "createdAt": iso(now),
        }
        if auto_suspend:
            record["autoSuspend"] = {**auto_suspend, "suspendTypeChangedAt": iso(now)}
        self.workspaces[workspace_id] = record
        self._schedule("workspace", workspace_id, {"state": "ACTIVE"})
        return {"workspaceID": workspace_id}

    def update_workspace(self, workspace_id: str, body: Record) -> Record:
        record = self._live_workspace(workspace_id)
        if record["state"] == "SUSPENDED":
            raise ApiError(400, f"workspace {workspace_id} is suspended; resume it before updating it")
        size = body.get("size")
        if size is not None and size not in SIZES:
            raise ApiError(400, f"invalid workspace size {size!r}: offered sizes are {', '.join(SIZES)}")
        if "autoSuspend" in body and body["autoSuspend"] is not None:
            auto_suspend = parse_auto_suspend(body["autoSuspend"])
            if auto_suspend is None:
                record.pop("autoSuspend", None)
            else:
                record["autoSuspend"] = {**auto_suspend, "suspendTypeChangedAt": iso(self.clock())}
        if size is not None and size != record["size"]:
            # A resize takes effect asynchronously: the old size is reported until then.
            self._cancel("workspace", record["workspaceID"], "size")
            self._schedule("workspace", record["workspaceID"], {"size": size})
        return {"workspaceID": record["workspaceID"]}

    def delete_workspace(self, workspace_id: str) -> Record:
        record = self._live_workspace(workspace_id)
        self._schedule("workspace", record["workspaceID"], {"state": "TERMINATED", "endpoint": None})
        return {"workspaceID": record["workspaceID"]}

    def suspend_workspace(self, workspace_id: str) -> Record:
        record = self._live_workspace(workspace_id)
        if record["state"] != "ACTIVE":
            raise ApiError(
                400, f"workspace {workspace_id} is {record['state']}; only an ACTIVE workspace can be suspended"
            )
        # The state enum has no SUSPENDING: PENDING is its one transitional value (SOURCES.md, "States").
        record["state"] = "PENDING"
        self._schedule("workspace", record["workspaceID"], {"state": "SUSPENDED"})
        return {"workspaceID": record["workspaceID"]}

    def resume_workspace(self, workspace_id: str, body: Record) -> Record:
        record = self._live_workspace(workspace_id)
        if record["state"] != "SUSPENDED":
            raise ApiError(
                400, f"workspace {workspace_id} is {record['state']}; only a SUSPENDED workspace can be resumed"
            )
        if body.get("disableAutoSuspend") is True:
            record.pop("autoSuspend", None)
        record["state"] = "PENDING"
        self._schedule(
            "workspace", record["workspaceID"], {"state": "ACTIVE", "lastResumedAt": iso(self.clock() + self.delay)}
        )
        return {"workspaceID": record["workspaceID"]}

    def set_endpoint(self, workspace_id: str, endpoint: Any) -> Record:
        record = self._workspace(workspace_id)
        if not isinstance(endpoint, str) or not endpoint:
            raise ApiError(400, "endpoint must be a non-empty host name")
        record["endpoint"] = endpoint
        return copy.deepcopy(record)


# ---------------------------------------------------------------------------------------- HTTP

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(f"^{pattern}$"), action)
    for method, pattern, action in (
        ("GET", r"/v1/regions", "list_regions"),
        ("GET", r"/v2/regions", "list_regions_v2"),
        ("GET", r"/v1/workspaceGroups", "list_groups"),
        ("POST", r"/v1/workspaceGroups", "create_group"),
        ("GET", r"/v1/workspaceGroups/([^/]+)", "get_group"),
        ("PATCH", r"/v1/workspaceGroups/([^/]+)", "update_group"),
        ("DELETE", r"/v1/workspaceGroups/([^/]+)", "delete_group"),
        ("GET", r"/v1/workspaces", "list_workspaces"),
        ("POST", r"/v1/workspaces", "create_workspace"),
        ("GET", r"/v1/workspaces/([^/]+)", "get_workspace"),
        ("PATCH", r"/v1/workspaces/([^/]+)", "update_workspace"),
        ("DELETE", r"/v1/workspaces/([^/]+)", "delete_workspace"),
        ("POST", r"/v1/workspaces/([^/]+)/suspend", "suspend_workspace"),
        ("POST", r"/v1/workspaces/([^/]+)/resume", "resume_workspace"),
        ("POST", r"/_lab/reset", "lab_reset"),
        ("POST", r"/_lab/config", "lab_config"),
        ("GET", r"/_lab/config", "lab_get_config"),
        ("PUT", r"/_lab/workspaces/([^/]+)/endpoint", "lab_set_endpoint"),
        ("GET", r"/_lab/requests", "lab_requests"),
    )
]


def _flag(query: dict[str, list[str]], name: str) -> bool:
    value = (query.get(name) or ["false"])[-1].lower()
    if value not in ("true", "false"):
        raise ApiError(400, f"invalid value {value!r} for {name}: expected true or false")
    return value == "true"


def dispatch(state: HeliosState, action: str, args: tuple[str, ...], query: dict[str, list[str]], body: Record) -> Any:
    """Run one API action on `state`; raises ApiError for error answers."""
    if action == "list_regions":
        return state.list_regions()
    if action == "list_regions_v2":
        return state.list_regions_v2()
    if action == "list_groups":
        return state.list_groups(_flag(query, "includeTerminated"))
    if action == "create_group":
        return state.create_group(body)
    if action == "get_group":
        return state.get_group(args[0])
    if action == "update_group":
        return state.update_group(args[0], body)
    if action == "delete_group":
        return state.delete_group(args[0], _flag(query, "force"))
    if action == "list_workspaces":
        return state.list_workspaces((query.get("workspaceGroupID") or [""])[-1], _flag(query, "includeTerminated"))
    if action == "create_workspace":
        return state.create_workspace(body)
    if action == "get_workspace":
        return state.get_workspace(args[0])
    if action == "update_workspace":
        return state.update_workspace(args[0], body)
    if action == "delete_workspace":
        # The official client sends ?force=...; it changes nothing for a single workspace.
        _flag(query, "force")
        return state.delete_workspace(args[0])
    if action == "suspend_workspace":
        return state.suspend_workspace(args[0])
    if action == "resume_workspace":
        return state.resume_workspace(args[0], body)
    if action == "lab_reset":
        state.reset()
        return {"reset": True}
    if action == "lab_config":
        return state.configure(**body)
    if action == "lab_get_config":
        return state.configure()
    if action == "lab_set_endpoint":
        return state.set_endpoint(args[0], body.get("endpoint"))
    if action == "lab_requests":
        return list(state.requests)
    raise ApiError(404, "not found")


class Handler(BaseHTTPRequestHandler):
    server: HeliosServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API and the client's session expect

    def _answer(self, status: int, payload: Any) -> None:
        if isinstance(payload, str):
            data, ctype = payload.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        srv = self.server
        is_lab = path.startswith("/_lab/")
        entry: Record = {"method": self.command, "path": path}
        if not is_lab:
            with srv.lock:
                srv.state.requests.append(entry)
        status, payload = self._outcome(path, url.query, raw, is_lab)
        # Recorded before the answer goes out: a client that reads /_lab/requests right after its
        # call must find the status there.
        with srv.lock:
            entry["status"] = status
        self._answer(status, payload)

    def _outcome(self, path: str, query: str, raw: bytes, is_lab: bool) -> tuple[int, Any]:
        """(status, JSON payload or plain-text error body) for one request."""
        srv = self.server
        if not self._authorized():
            return 401, "Unauthorized"
        route = next(
            (
                (action, m.groups())
                for method, rx, action in _ROUTES
                if (m := rx.match(path)) and method == self.command
            ),
            None,
        )
        try:
            if route is None:
                if any(rx.match(path) for _, rx, _ in _ROUTES):
                    raise ApiError(405, "method not allowed")
                raise ApiError(404, f"no route for {path}")
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise ApiError(400, "request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "request body must be a JSON object")
            if not is_lab:
                # JSON null means "not given": the official client sends every keyword, None included.
                body = {k: v for k, v in body.items() if v is not None}
            with srv.lock:
                return 200, dispatch(srv.state, route[0], route[1], parse_qs(query), body)
        except ApiError as exc:
            return exc.status, exc.message
        except Exception as exc:  # a bug in the stand-in: answer like the real API's 500, keep serving
            self.log_error("internal error: %r", exc)
            return 500, f"internal error: {type(exc).__name__}"

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.server.api_key.encode())

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        # Request line and status only: no headers (the bearer key) and no bodies (admin passwords).
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


class HeliosServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api_key: str, state: HeliosState) -> None:
        super().__init__(address, Handler)
        self.api_key = api_key
        self.state = state
        self.lock = threading.Lock()


def read_api_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise SystemExit(f"helios: {path} is empty; it must hold the API key")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.helios.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key-file", type=Path, required=True, help="file holding the bearer key (mode 0600)")
    parser.add_argument(
        "--delay",
        type=float,
        default=float(os.environ.get("LAB_HELIOS_DELAY") or DEFAULT_DELAY),
        help="seconds each asynchronous transition takes (default: LAB_HELIOS_DELAY or 0.3)",
    )
    args = parser.parse_args(argv)
    server = HeliosServer((args.host, args.port), read_api_key(args.api_key_file), HeliosState(delay=args.delay))
    sys.stderr.write(f"helios: Management API stand-in on http://{args.host}:{args.port} (delay {args.delay} s)\n")
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
