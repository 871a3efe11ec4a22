#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_workspace_info
short_description: List SingleStore Helios workspace groups and their workspaces
version_added: 0.2.0
author:
  - transactions_st maintainers (@transactions-st)
description:
  - Reads the workspace groups of the organization the API key belongs to (or one of them) and their workspaces
    through the Management API v1, with their states, endpoints and outbound allow lists.
  - Terminated groups and workspaces are not listed (the API hides them).
options:
  workspace_group:
    description:
      - Report only this group, by name or by id. A group that does not exist gives an empty list.
    type: str
extends_documentation_fragment:
  - transactions_st.realtime.connection.helios
  - transactions_st.realtime.attributes
  - transactions_st.realtime.attributes.info_module
  - transactions_st.realtime.action_group.helios
seealso:
  - module: transactions_st.realtime.singlestore_workspace_group
  - module: transactions_st.realtime.singlestore_workspace
"""

EXAMPLES = r"""
- name: Every group and workspace
  transactions_st.realtime.singlestore_workspace_info:
  register: helios

- name: The endpoint of the demo's workspace
  ansible.builtin.debug:
    msg: "{{ (helios.workspace_groups | selectattr('name', '==', 'retail-demo') | first).workspaces[0].endpoint }}"
"""

RETURN = r"""
workspace_groups:
  description:
    - The groups sorted by name, each as singlestore_workspace_group returns its group
      (C(id), C(name), C(region), C(firewall_ranges), C(outbound_allow_list), C(state), C(expires_at),
      C(update_window)) with its workspaces.
  returned: always
  type: list
  elements: dict
  contains:
    workspaces:
      description:
        - The group's workspaces sorted by name, each with C(id), C(name), C(workspace_group_id), C(size), C(state),
          C(endpoint) and C(auto_suspend), as singlestore_workspace returns them.
      type: list
      elements: dict
      returned: always
  sample:
    - id: 3b4a3c8e-2a5e-4e69-9b8e-0d7c1e5f9a10
      name: retail-demo
      region: {id: 9c0f7a2e-4f6d-4d5b-a2a8-3c1e9b7d6f01, provider: AWS, name: US East 1 (N. Virginia)}
      firewall_ranges: ["198.51.100.0/24"]
      outbound_allow_list: "123456789012"
      state: ACTIVE
      expires_at: null
      update_window: null
      exists: true
      workspaces:
        - id: 6a0e2d4c-1b3f-4a5e-8c7d-9e0f1a2b3c4d
          name: retail
          workspace_group_id: 3b4a3c8e-2a5e-4e69-9b8e-0d7c1e5f9a10
          size: S-00
          state: SUSPENDED
          endpoint: svc-6a0e2d4c-dml.aws-virginia-1.svc.singlestore.com
          auto_suspend: {suspend_type: DISABLED, suspend_after_seconds: null}
          exists: true
"""

from ansible_collections.transactions_st.realtime.plugins.module_utils._helios import HeliosModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._workspace_group import read_workspace_groups


def main() -> None:
    module = HeliosModule(dict(workspace_group=dict(type="str")))
    module.run(
        lambda: dict(changed=False, workspace_groups=read_workspace_groups(module, module.params["workspace_group"]))
    )


if __name__ == "__main__":
    main()
