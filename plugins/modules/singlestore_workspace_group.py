#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_workspace_group
short_description: Create, update or delete a SingleStore Helios workspace group
version_added: 0.2.0
author:
  - transactions_st maintainers (@transactions-st)
description:
  - Manages one workspace group of SingleStore Helios through the Management API v1 (C(/v1/workspaceGroups)). It
    creates the group in a region with its firewall ranges and admin password, updates its firewall ranges, expiry,
    update window and (on request) admin password, or deletes it.
  - The group is found by O(name) (or by id, when O(name) is one) among the groups the API lists. The API hides
    terminated groups, so a terminated group is not "present", and a task with O(state=present) creates a new one.
    Two live groups with the same name make the task fail and name their ids.
  - Every option is checked before the first request (CIDRs, update window, expiry); a region the API does not
    offer fails naming the regions it offers, and nothing is created.
  - The group's C(outboundAllowList) is returned unchanged as RV(workspace_group.outbound_allow_list). It is the
    AWS account ID to allow for outbound PrivateLink connections, not a list of the addresses SingleStore's
    pipelines connect from, so it cannot open a Kafka security group by itself (management.go of
    singlestore-labs/singlestore-go; the Terraform provider documents it the same way).
options:
  name:
    description:
      - Name of the workspace group, or its id (a UUID) to manage a group whose name is not unique.
    type: str
    required: true
  state:
    description:
      - V(present) creates the group if it does not exist and brings the options given to their values.
      - V(absent) deletes (terminates) the group. A group that still has workspaces is refused unless O(force).
    type: str
    choices: [present, absent]
    default: present
  region_id:
    description:
      - Id of the region to create the group in (C(regionID) of C(GET /v1/regions)).
      - Create-only. An existing group in another region makes the task fail.
      - Mutually exclusive with O(provider) and O(region).
    type: str
  provider:
    description:
      - Cloud provider of the region, with O(region), instead of O(region_id).
    type: str
    choices: [AWS, GCP, Azure]
  region:
    description:
      - Name of the region (as C(GET /v1/regions) lists it, for example C(US East 1 (N. Virginia)), or its code
        name such as C(us-east-1)), with O(provider). Compared without regard to case.
    type: str
  firewall_ranges:
    description:
      - The CIDR ranges admitted to the group's workspaces (SQL and HTTP), for example C(203.0.113.7/32).
      - Required to create a group. When given for an existing group, the group gets exactly this list (order and
        duplicates do not matter). An empty list admits no client.
      - A bare address or a range with host bits set is refused before any request.
    type: list
    elements: str
  admin_password:
    description:
      - Password of the C(admin) database user of the group's workspaces. Required to create a group.
      - The API requires at least 14 characters with upper and lower case letters, a digit and a special character.
      - Never shown in results, diffs or errors. The API never returns it, so it is only sent on creation, or on
        every run with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sends O(admin_password) only when the group is created.
      - V(always) sends it on every run (reported as a change, since the current password cannot be read).
    type: str
    choices: [always, on_create]
    default: on_create
  expires_at:
    description:
      - When the group expires; at expiry Helios terminates it and its data is lost.
      - A timestamp (V(2026-12-31T00:00:00Z), V(2026-12-31)) is compared with the group's and set when it
        differs. A duration (V(3h30m)) counts from the request, so it is sent only when the group has no expiry.
    type: str
  update_window:
    description: The weekly window in which Helios may apply updates.
    type: dict
    suboptions:
      day:
        description: Day of the week, 0 (Sunday) to 6.
        type: int
        required: true
      hour:
        description: Hour of the day, 0 to 23, UTC.
        type: int
        required: true
  force:
    description:
      - With O(state=absent), terminate the group even when it still has workspaces (they are terminated too).
      - Without it such a group is refused with the names of its workspaces, and nothing is deleted.
    type: bool
    default: false
  wait:
    description:
      - Wait until a new group is C(ACTIVE), or a deleted one C(TERMINATED).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 900
extends_documentation_fragment:
  - transactions_st.realtime.connection.helios
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.helios
attributes:
  check_mode:
    support: full
    details:
      - Only read requests are sent; the write requests that would be sent are returned in RV(requests), and
        the predicted group in RV(workspace_group) (without an id when it would be created).
  diff_mode:
    support: full
    details:
      - Before and after hold the name, region, firewall ranges, state, expiry and update window.
  idempotent:
    support: partial
    details:
      - Idempotent, except with O(update_password=always) (the password is sent on every run) and with an
        O(expires_at) duration given for a group without expiry.
seealso:
  - module: transactions_st.realtime.singlestore_workspace
  - module: transactions_st.realtime.singlestore_workspace_info
  - name: Management API reference
    description: The v1 endpoints for workspace groups and workspaces.
    link: https://docs.singlestore.com/cloud/reference/management-api/
  - name: singlestore-go management client
    description: The API's types (WorkspaceGroup, WorkspaceGroupCreate, WorkspaceGroupUpdate), generated from its OpenAPI document.
    link: https://github.com/singlestore-labs/singlestore-go/blob/master/management/management.go
"""

EXAMPLES = r"""
- name: A workspace group for the demo, reachable from the stack host and the operator
  transactions_st.realtime.singlestore_workspace_group:
    name: retail-demo
    provider: AWS
    region: us-east-1
    firewall_ranges:
      - "{{ stack_host_public_ip }}/32"
      - 198.51.100.0/24
    admin_password: "{{ vault_singlestore_admin_password }}"
    update_window: {day: 0, hour: 3}
  register: group

- name: The same, API key and URL from module_defaults, checked only
  module_defaults:
    group/transactions_st.realtime.helios:
      api_key: "{{ vault_singlestore_api_key }}"
  transactions_st.realtime.singlestore_workspace_group:
    name: retail-demo
    firewall_ranges: ["198.51.100.0/24"]
  check_mode: true

- name: Delete the group and whatever workspaces are left in it
  transactions_st.realtime.singlestore_workspace_group:
    name: retail-demo
    state: absent
    force: true
"""

RETURN = r"""
workspace_group:
  description: The group after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the group exists (not terminated).
      type: bool
      returned: always
    id:
      description: The group's id (C(workspaceGroupID)); null for a group created in check mode.
      type: str
      returned: when the group exists
    name:
      description: The group's name.
      type: str
      returned: always
    region:
      description: The region, as C(id), C(provider) and C(name) (as C(GET /v1/regions) lists it).
      type: dict
      returned: when the group exists
    firewall_ranges:
      description: The CIDR ranges admitted, sorted.
      type: list
      elements: str
      returned: when the group exists
    outbound_allow_list:
      description:
        - C(outboundAllowList) as the API reports it, unchanged; the AWS account ID to allow for outbound
          (PrivateLink) connections, null where the API gives none. Not a list of egress addresses.
      type: str
      returned: when the group exists
    state:
      description: C(PENDING), C(ACTIVE) or C(FAILED).
      type: str
      returned: when the group exists
    expires_at:
      description: When the group expires (RFC 3339), or null.
      type: str
      returned: when the group exists
    update_window:
      description: The update window as C(day) and C(hour), or null.
      type: dict
      returned: when the group exists
  sample:
    exists: true
    id: 3b4a3c8e-2a5e-4e69-9b8e-0d7c1e5f9a10
    name: retail-demo
    region: {id: 9c0f7a2e-4f6d-4d5b-a2a8-3c1e9b7d6f01, provider: AWS, name: US East 1 (N. Virginia)}
    firewall_ranges: ["198.51.100.0/24", "203.0.113.7/32"]
    outbound_allow_list: "123456789012"
    state: ACTIVE
    expires_at: null
    update_window: {day: 0, hour: 3}
requests:
  description:
    - The write requests (C(POST), C(PATCH), C(DELETE)) sent, or in check mode those that would be sent; on
      failure, those sent before it.
  returned: always
  type: list
  elements: str
  sample: ["PATCH /v1/workspaceGroups/3b4a3c8e-2a5e-4e69-9b8e-0d7c1e5f9a10"]
states_seen:
  description: The states the group went through while the module waited (O(wait)).
  returned: when the module waited
  type: list
  elements: str
  sample: [PENDING, ACTIVE]
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import HeliosModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace_group import WorkspaceGroup


def argument_spec() -> dict[str, Any]:
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        region_id=dict(type="str"),
        provider=dict(type="str", choices=["AWS", "GCP", "Azure"]),
        region=dict(type="str"),
        firewall_ranges=dict(type="list", elements="str"),
        admin_password=dict(type="str", no_log=True),
        update_password=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
        expires_at=dict(type="str"),
        update_window=dict(
            type="dict", options=dict(day=dict(type="int", required=True), hour=dict(type="int", required=True))
        ),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )


def main() -> None:
    module = HeliosModule(
        argument_spec(),
        mutually_exclusive=[("region_id", "provider"), ("region_id", "region")],
        required_together=[("provider", "region")],
    )
    module.run(lambda: WorkspaceGroup(module).run())


if __name__ == "__main__":
    main()
