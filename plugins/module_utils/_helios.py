# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SingleStore Helios (Management API v1) layer shared by singlestore_workspace_group, singlestore_workspace
and singlestore_workspace_info (connection options documented in doc_fragments/connection.py, HELIOS).

``HeliosModule`` is their one skeleton, built like ``KafkaModule`` (and amazon.aws's ``AnsibleAWSModule``): the
connection options added to the module's own, ``missing_required_lib('singlestoredb')``, the client built at first
use, and one way to fail. ``HeliosClient`` is the only code that calls the official client
(``singlestoredb.manage_workspaces``, singlestoredb 1.18.1, ``management/v1/workspace.py``); every error it raises
becomes a ModuleError naming what was being done, with the API key and the admin password scrubbed.

Where the client falls short and what is done instead (also in the modules' notes):

* it has no "list including terminated" and no wait that reports progress; ``wait_for_state()`` polls
  ``get_workspace``/``get_workspace_group`` itself and records every state it saw (``states_seen``);
* its own waits compare against mixed-case names (``'Active'``, ``'Resumed'``) and ``create_workspace(...,
  wait_on_active=True)`` then logs in to the database to test the endpoint, which a module that only manages the
  workspace must not need; so the modules never use its ``wait_on_*`` flags;
* ``create_workspace_group`` returns the group re-read with ``GET``, so a password the API generates (when none is
  given) is lost: the module requires ``admin_password`` to create a group;
* ``manage_workspaces()`` warns that workspaces are deprecated in favour of the v2 "clusters" API; the warning is
  silenced here (the modules document it) because it would otherwise reach every task's output.
"""

from __future__ import annotations

import ipaddress
import time
import traceback
import warnings
from typing import Any, Callable, Iterable, Mapping

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    ClientModule,
    ModuleError,
    sorted_state,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from singlestoredb.exceptions import ManagementError
        from singlestoredb.management.workspace import manage_workspaces
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_SINGLESTOREDB = False
    SINGLESTOREDB_IMPORT_ERROR: str | None = traceback.format_exc()

    class ManagementError(Exception):  # type: ignore[no-redef]
        errno: int | None = None
        response: str | None = None

    manage_workspaces = None  # type: ignore[assignment]
else:
    HAS_SINGLESTOREDB = True
    SINGLESTOREDB_IMPORT_ERROR = None

DEFAULT_API_URL = "https://api.singlestore.com"
#: States of a workspace group and of a workspace (management.go of singlestore-labs/singlestore-go at 9ab3497,
#: WorkspaceGroupState / WorkspaceState). A group has no SUSPENDED state.
TERMINATED = "TERMINATED"
FAILED = "FAILED"
ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
PENDING = "PENDING"


def helios_argument_spec() -> dict[str, dict[str, Any]]:
    """A fresh copy of the connection options (no ``default`` for api_url, so that its env fallback applies)."""
    return dict(
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["SINGLESTOREDB_API_KEY"])),
        api_url=dict(type="str", fallback=(env_fallback, ["SINGLESTOREDB_MANAGEMENT_BASE_URL"])),
    )


def validate_cidrs(values: Iterable[Any], option: str = "firewall_ranges") -> list[str]:
    """The CIDRs normalised (``ipaddress``), sorted and without duplicates; ModuleError naming every bad entry.

    A bare address is refused rather than widened to /32 so that what the task says is what the group gets.
    """
    good: set[str] = set()
    bad: list[str] = []
    for value in values:
        text = str(value).strip()
        try:
            if "/" not in text:
                raise ValueError("no prefix length")
            good.add(str(ipaddress.ip_network(text, strict=True)))
        except ValueError as exc:
            bad.append(f"{text!r} ({exc})")
    if bad:
        raise ModuleError(
            f"{option}: not a CIDR range: {'; '.join(bad)}. Give network/prefix, for example 203.0.113.7/32; "
            "nothing was sent to the Management API"
        )
    return sort_cidrs(good)


def sort_cidrs(values: Iterable[Any]) -> list[str]:
    """CIDRs in one order (IPv4 first, then by network), whatever order the API reads them back in, so that the
    wanted list and the group's compare equal when they hold the same ranges. An entry that does not parse sorts
    last, as text."""

    def key(value: str) -> tuple[int, Any, str]:
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return (9, None, value)
        return (net.version, (int(net.network_address), net.prefixlen), value)

    return sorted({str(v) for v in values}, key=key)


def state_of(obj: Any) -> str:
    return str(getattr(obj, "state", "") or "").strip().upper()


def iso(value: Any) -> str | None:
    """A timestamp the client parsed into a datetime, back as RFC 3339 text (UTC as Z).

    singlestoredb's ``to_datetime`` (management/utils.py) gives naive datetimes in UTC.
    """
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is None:
            return str(value.isoformat()) + "Z"
        text = str(value.isoformat())
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return str(value)


class HeliosClient:
    """The Management API through singlestoredb's WorkspaceManager: every call named, every error a ModuleError.

    ``requests`` lists the write requests sent (``METHOD /v1/path``), in order; reads are not listed.
    """

    def __init__(self, api_key: str, api_url: str, secrets: list[str], requests: list[str]) -> None:
        self.secrets = secrets
        self.requests = requests
        self.api_url = api_url
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.manager = self.call(
                "setting up the Management API client",
                lambda: manage_workspaces(access_token=api_key, base_url=api_url),
            )
        self._regions: list[Any] | None = None

    def describe(self, exc: BaseException) -> str:
        errno = getattr(exc, "errno", None)
        response = getattr(exc, "response", None)
        if errno is not None:
            text = f"HTTP {errno}: {response or getattr(exc, 'errmsg', '')}"
            if errno == 401:
                text += " (the API key was refused: check api_key or SINGLESTOREDB_API_KEY)"
            elif errno == 403:
                text += " (the API key's user lacks the permission for this request)"
            return text
        return str(getattr(exc, "errmsg", None) or exc)

    def call(self, what: str, fn: Callable[[], Any], write: str | None = None, missing_ok: bool = False) -> Any:
        """Run ``fn``; a client error becomes ModuleError("<what> failed: ..."). ``write``: the request to record;
        ``missing_ok``: a 404 returns None (an object read after its deletion)."""
        try:
            out = fn()
        except ManagementError as exc:
            if missing_ok and getattr(exc, "errno", None) == 404:
                return None
            done = f" (write requests sent before it: {', '.join(self.requests)})" if self.requests else ""
            failed = f" [{write}]" if write else ""
            raise ModuleError(
                scrub(f"{what}{failed} failed at {self.api_url}: {self.describe(exc)}{done}", self.secrets)
            ) from None
        if write:
            self.requests.append(write)
        return out

    # -- reads -------------------------------------------------------------------------------
    def regions(self) -> list[Any]:
        if self._regions is None:
            self._regions = list(self.call("listing the regions", lambda: self.manager.regions))
        return self._regions

    def workspace_groups(self) -> list[Any]:
        """Every group the API lists (it hides terminated ones), terminated ones dropped in case it does not."""
        groups = self.call("listing the workspace groups", lambda: list(self.manager.workspace_groups))
        return [group for group in groups if state_of(group) != TERMINATED]

    def workspace_group(self, group_id: str, missing_ok: bool = False) -> Any:
        return self.call(
            f"reading workspace group {group_id}",
            lambda: self.manager.get_workspace_group(group_id),
            missing_ok=missing_ok,
        )

    def workspaces(self, group: Any) -> list[Any]:
        spaces = self.call(f"listing the workspaces of group {group.name!r}", lambda: list(group.workspaces))
        return [space for space in spaces if state_of(space) != TERMINATED]

    def workspace(self, workspace_id: str, missing_ok: bool = False) -> Any:
        return self.call(
            f"reading workspace {workspace_id}", lambda: self.manager.get_workspace(workspace_id), missing_ok=missing_ok
        )

    # -- writes ------------------------------------------------------------------------------
    def create_workspace_group(self, **kwargs: Any) -> Any:
        return self.call(
            f"creating workspace group {kwargs['name']!r}",
            lambda: self.manager.create_workspace_group(**kwargs),
            write="POST /v1/workspaceGroups",
        )

    def update_workspace_group(self, group: Any, **kwargs: Any) -> None:
        self.call(
            f"updating workspace group {group.name!r}",
            lambda: group.update(**kwargs),
            write=f"PATCH /v1/workspaceGroups/{group.id}",
        )

    def terminate_workspace_group(self, group: Any, force: bool) -> None:
        self.call(
            f"deleting workspace group {group.name!r}",
            lambda: group.terminate(force=force),
            write=f"DELETE /v1/workspaceGroups/{group.id}?force={'true' if force else 'false'}",
        )

    def create_workspace(self, **kwargs: Any) -> Any:
        return self.call(
            f"creating workspace {kwargs['name']!r}",
            lambda: self.manager.create_workspace(**kwargs),
            write="POST /v1/workspaces",
        )

    def update_workspace(self, space: Any, **kwargs: Any) -> None:
        self.call(
            f"updating workspace {space.name!r}",
            lambda: space.update(**kwargs),
            write=f"PATCH /v1/workspaces/{space.id}",
        )

    def suspend_workspace(self, space: Any) -> None:
        self.call(
            f"suspending workspace {space.name!r}", space.suspend, write=f"POST /v1/workspaces/{space.id}/suspend"
        )

    def resume_workspace(self, space: Any) -> None:
        self.call(f"resuming workspace {space.name!r}", space.resume, write=f"POST /v1/workspaces/{space.id}/resume")

    def terminate_workspace(self, space: Any) -> None:
        self.call(
            f"deleting workspace {space.name!r}", space.terminate, write=f"DELETE /v1/workspaces/{space.id}?force=false"
        )


def wait_for_state(
    what: str,
    read: Callable[[], Any],
    targets: Iterable[str],
    timeout: float,
    states_seen: list[str],
    interval: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    until: Callable[[Any], bool] | None = None,
) -> Any:
    """Poll ``read()`` until its state is one of ``targets``; returns the last object read.

    ``read()`` returns an object with a ``state`` (None or TERMINATED count as ``"TERMINATED"``, so waiting for a
    deletion works). Every state seen is appended to ``states_seen`` once per run of equal states. FAILED (when
    not a target) and the timeout fail with the states seen. Polls start at 0.25 s and double up to ``interval``,
    so a short transition (the lab) is seen quickly and a long one (Helios takes minutes) costs few requests.
    ``until``: a further condition on the object read (a firewall or size change the API applies asynchronously
    and reports only once applied).
    """
    wanted = {t.upper() for t in targets}
    deadline = clock() + timeout
    pause = 0.25
    while True:
        obj = read()
        state = state_of(obj) if obj is not None else TERMINATED
        if not states_seen or states_seen[-1] != state:
            states_seen.append(state)
        if state in wanted and (until is None or until(obj)):
            return obj
        if state == FAILED:
            raise ModuleError(f"{what} is FAILED (states seen: {' -> '.join(states_seen)})", states_seen=states_seen)
        if clock() >= deadline:
            pending = " with the change applied" if state in wanted else ""
            raise ModuleError(
                f"{what} did not reach {' or '.join(sorted(wanted))}{pending} within {timeout:g} s "
                f"(states seen: {' -> '.join(states_seen)}); it is still {state}. Raise wait_timeout or run again "
                "later: the request was accepted and the change goes on",
                states_seen=states_seen,
            )
        sleep(min(pause, max(0.0, deadline - clock())))
        pause = min(pause * 2, interval)


class HeliosModule(ClientModule):
    """The Helios modules' one skeleton: an AnsibleModule plus the Management API client (``client``).

    ``run(task)`` is the one place a module exits or fails: a ModuleError fails with its message (and extra
    result keys), any other exception as an unexpected error; ``requests`` (the write requests sent so far) is
    always in the result, and the API key and ``admin_password`` are scrubbed from message and traceback.
    """

    def __init__(self, argument_spec: Mapping[str, Any], **kwargs: Any) -> None:
        spec = helios_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        module = AnsibleModule(argument_spec=spec, **kwargs)
        super().__init__(module, [str(module.params[k]) for k in ("api_key", "admin_password") if module.params.get(k)])
        self.requests: list[str] = []
        self._client: HeliosClient | None = None
        if not HAS_SINGLESTOREDB:
            self.module.fail_json(
                msg=missing_required_lib("singlestoredb"), exception=SINGLESTOREDB_IMPORT_ERROR, requests=[]
            )

    @property
    def client(self) -> HeliosClient:
        """The client, built at first use: a task refused for its own options never needs the API key."""
        if self._client is None:
            api_key = self.params.get("api_key")
            if not api_key:
                raise ModuleError("no API key: set api_key or the environment variable SINGLESTOREDB_API_KEY")
            api_url = str(self.params.get("api_url") or DEFAULT_API_URL).rstrip("/")
            self._client = HeliosClient(str(api_key), api_url, self.secrets, self.requests)
        return self._client

    def report(self) -> dict[str, Any]:
        return {"requests": list(self.requests)}


class HeliosObject:
    """Base of the Helios object classes (workspace group, workspace): the module, its options, the states seen
    while waiting and the write requests planned (all of them sent, unless in check mode)."""

    def __init__(self, module: HeliosModule) -> None:
        self.module = module
        self.params = module.params
        self.states_seen: list[str] = []
        self.planned: list[str] = []


def diff_of(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``diff`` with keys sorted at every level, so the displayed diff is stable."""
    return dict(before=sorted_state(dict(before)), after=sorted_state(dict(after)))
