#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_workspace
short_description: Create, resize, suspend, resume or delete a SingleStore Helios workspace
version_added: 0.2.0
author:
  - transactions_st maintainers (@transactions-st)
description:
  - Manages one workspace of a Helios workspace group through the Management API v1 (C(/v1/workspaces)). It
    creates the workspace with a size and auto-suspend settings, changes them, suspends or resumes it, or deletes it,
    and waits until it reaches the state asked for, returning its endpoint.
  - The workspace is found by O(name) among the workspaces the API lists for the group; terminated workspaces
    are hidden by the API and are not "present".
  - A suspended workspace costs storage only; O(state=suspended) and O(state=active) suspend and resume it
    (C(POST /v1/workspaces/{id}/suspend), C(.../resume)).
options:
  name:
    description: Name of the workspace, unique in its group.
    type: str
    required: true
  workspace_group:
    description:
      - The group the workspace belongs to, by name or by id.
      - A group that does not exist fails the task, except with O(state=absent) (nothing to delete) and in
        check mode (a play that creates the group in an earlier task), where a creation is predicted with a warning.
    type: str
    required: true
  size:
    description:
      - The workspace size, such as V(S-00), V(S-1) or V(S-2). A new workspace without it gets the API's default
        (V(S-00)). A size the API does not offer fails with the API's message.
      - For an existing workspace, a different size resizes it (C(PATCH)); a suspended workspace is refused, so
        resume it first.
    type: str
  state:
    description:
      - V(present) creates the workspace if it does not exist and brings O(size) and O(auto_suspend) to their
        values, leaving a suspended workspace suspended.
      - V(active) does the same and resumes a suspended workspace; V(suspended) suspends an active one (a new
        workspace is created, waited for and suspended).
      - V(absent) deletes (terminates) it.
    type: str
    choices: [present, absent, active, suspended]
    default: present
  auto_suspend:
    description:
      - Automatic suspension. When omitted, a new workspace has none and an existing one keeps its settings.
    type: dict
    suboptions:
      suspend_type:
        description: V(IDLE) (after that many idle seconds), V(SCHEDULED) (that many seconds after resuming) or V(DISABLED).
        type: str
        required: true
        choices: [IDLE, SCHEDULED, DISABLED]
      suspend_after_seconds:
        description: Seconds for V(IDLE) and V(SCHEDULED); not with V(DISABLED).
        type: int
  wait:
    description:
      - Wait until the workspace reaches the state asked for (C(ACTIVE) with its endpoint and any new size
        applied, C(SUSPENDED), or gone), polling it and recording every state seen in RV(states_seen).
      - A workspace is only created in an C(ACTIVE) group; a group still C(PENDING) (created with C(wait=false))
        is waited for first, whatever this option says.
      - Without it the module returns once the API accepted the request (suspending a new workspace still waits
        for it to be C(ACTIVE), since only an active workspace can be suspended).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait). Creating or resuming a workspace takes minutes on Helios.
    type: int
    default: 1200
extends_documentation_fragment:
  - transactions_st.realtime.connection.helios
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.helios
attributes:
  check_mode:
    support: full
    details:
      - Only read requests are sent; the write requests that would be sent are returned in RV(requests) and the
        predicted workspace in RV(workspace) (without id and endpoint when it would be created).
  diff_mode:
    support: full
    details:
      - Before and after hold the name, size, state and auto-suspend settings.
  idempotent:
    support: full
seealso:
  - module: transactions_st.realtime.singlestore_workspace_group
  - module: transactions_st.realtime.singlestore_workspace_info
  - name: Management API reference
    description: The v1 endpoints for workspaces, suspend and resume.
    link: https://docs.singlestore.com/cloud/reference/management-api/
"""

EXAMPLES = r"""
- name: The demo's workspace, waited for, its endpoint handed to the singlestore role
  transactions_st.realtime.singlestore_workspace:
    name: retail
    workspace_group: retail-demo
    size: S-00
    auto_suspend: {suspend_type: IDLE, suspend_after_seconds: 3600}
    state: active
  register: ws

- name: Use the endpoint
  ansible.builtin.set_fact:
    singlestore_login_host: "{{ ws.workspace.endpoint }}"

- name: Suspend it for the night (storage is still billed, compute is not)
  transactions_st.realtime.singlestore_workspace:
    name: retail
    workspace_group: retail-demo
    state: suspended
"""

RETURN = r"""
workspace:
  description: The workspace after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the workspace exists (not terminated).
      type: bool
      returned: always
    id:
      description: The workspace's id; null for one created in check mode.
      type: str
      returned: when the workspace exists
    name:
      description: The workspace's name.
      type: str
      returned: always
    workspace_group_id:
      description: The id of its group.
      type: str
      returned: when the workspace exists
    size:
      description: Its size.
      type: str
      returned: when the workspace exists
    state:
      description: C(PENDING), C(ACTIVE), C(SUSPENDED) or C(FAILED).
      type: str
      returned: when the workspace exists
    endpoint:
      description: The host name SQL clients connect to (port 3306); null until the API reports one.
      type: str
      returned: when the workspace exists
    auto_suspend:
      description: C(suspend_type) (C(IDLE), C(SCHEDULED) or C(DISABLED)) and C(suspend_after_seconds).
      type: dict
      returned: when the workspace exists
  sample:
    exists: true
    id: 6a0e2d4c-1b3f-4a5e-8c7d-9e0f1a2b3c4d
    name: retail
    workspace_group_id: 3b4a3c8e-2a5e-4e69-9b8e-0d7c1e5f9a10
    size: S-00
    state: ACTIVE
    endpoint: svc-6a0e2d4c-dml.aws-virginia-1.svc.singlestore.com
    auto_suspend: {suspend_type: IDLE, suspend_after_seconds: 3600}
states_seen:
  description: The workspace's states, in order, from the first read to the last poll (each run of equal states once).
  returned: always
  type: list
  elements: str
  sample: [SUSPENDED, PENDING, ACTIVE]
requests:
  description:
    - The write requests sent, or in check mode those that would be sent; on failure, those sent before it.
  returned: always
  type: list
  elements: str
  sample: ["POST /v1/workspaces/6a0e2d4c-1b3f-4a5e-8c7d-9e0f1a2b3c4d/resume"]
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import HeliosModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace import Workspace


def argument_spec() -> dict[str, Any]:
    return dict(
        name=dict(type="str", required=True),
        workspace_group=dict(type="str", required=True),
        size=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent", "active", "suspended"]),
        auto_suspend=dict(
            type="dict",
            options=dict(
                suspend_type=dict(type="str", required=True, choices=["IDLE", "SCHEDULED", "DISABLED"]),
                suspend_after_seconds=dict(type="int"),
            ),
        ),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )


def main() -> None:
    module = HeliosModule(argument_spec())
    module.run(lambda: Workspace(module).run())


if __name__ == "__main__":
    main()
