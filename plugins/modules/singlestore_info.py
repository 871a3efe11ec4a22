#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_info
short_description: Gather facts about a SingleStore (or MySQL/MariaDB) server
version_added: 0.1.0
description:
  - Returns the server flavour and versions, time zone, databases, tables (storage type, shard and sort keys, row counts)
    and users with their privileges, all read from the catalog.
author:
  - transactions_st maintainers (@transactions-st)
options:
  gather_subset:
    description:
      - What to gather. V(all) is every subset; V(pipelines) reports nothing on MySQL/MariaDB, which have none.
    type: list
    elements: str
    choices: [all, server, databases, tables, users, pipelines]
    default: [all]
  filter:
    description:
      - Names (shell-style wildcards allowed) of the databases to report (for V(databases) and V(tables)) and of the
        users to report (for V(users)). Unset means all. System databases are never reported.
    type: list
    elements: str
  exact_row_counts:
    description:
      - Count rows with a C(COUNT) query instead of the catalog's C(TABLE_ROWS) estimate. Can be slow on big tables.
    type: bool
    default: false
extends_documentation_fragment:
  - transactions_st.realtime.connection.singlestore
  - transactions_st.realtime.attributes
  - transactions_st.realtime.attributes.info_module
  - transactions_st.realtime.action_group.singlestore
seealso:
  - module: transactions_st.realtime.singlestore_query
"""

EXAMPLES = r"""
- name: Everything
  transactions_st.realtime.singlestore_info:
  register: facts

- name: The retail tables only
  transactions_st.realtime.singlestore_info:
    gather_subset: [tables]
    filter: [retail]
"""

RETURN = r"""
server:
  description: Flavour (V(singlestore) or V(mysql), which includes MariaDB), C(memsql_version), C(version), C(version_comment),
    C(time_zone), C(system_time_zone), C(utc_offset_minutes), C(tls).
  returned: when O(gather_subset) has server
  type: dict
databases:
  description: By name, C(charset), C(collation) and C(partitions) (SingleStore).
  returned: when O(gather_subset) has databases
  type: dict
tables:
  description:
    - By database then table, C(storage), C(shard_key), C(sort_key), C(primary_key), C(keys), C(columns), C(rows).
    - C(unreadable) (fact -> what was seen) when a key or the storage type could not be read back on SingleStore;
      that fact is then null, never guessed.
  returned: when O(gather_subset) has tables
  type: dict
users:
  description:
    - By C(user@host), C(user), C(host) and C(privileges) by level, read like transactions_st.realtime.singlestore_user reads
      them (C(SHOW GRANTS FOR) on SingleStore, the C(*_PRIVILEGES) views on MySQL/MariaDB).
    - C(privileges) is null, with the reason in C(privileges_unreadable), for an account whose grants cannot be read.
  returned: when O(gather_subset) has users
  type: dict
pipelines:
  description:
    - By C(database.name), C(state), C(definition) (credentials never included), C(config_json) (scrubbed),
      C(partitions) with each partition's C(lag) (C(LATEST_OFFSET - CURSOR_OFFSET)), the total C(lag),
      the latest C(batches) and C(errors) (from C(PIPELINES_BATCHES_SUMMARY) and C(PIPELINES_ERRORS)).
    - C(definition) is read from C(SHOW CREATE PIPELINE) as singlestore_pipeline reads it (table-qualified targets, default
      clauses); when it cannot be read it is null and C(definition_error) says why.
    - A partition's C(lag) is null when C(EARLIEST_OFFSET)/C(LATEST_OFFSET) are NULL, which the documentation allows while
      extraction is in progress or failed (PIPELINES_CURSORS,
      U(https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/));
      the total C(lag) is then null too.
    - Only databases matching O(filter).
  returned: when O(gather_subset) has pipelines
  type: dict
queries:
  description: Always empty (nothing is changed).
  returned: always
  type: list
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._info import SUBSETS, Gatherer


def argument_spec() -> dict[str, Any]:
    """The module's own options (SingleStoreModule adds the connection options)."""
    return dict(
        gather_subset=dict(type="list", elements="str", default=["all"], choices=["all", *SUBSETS]),
        filter=dict(type="list", elements="str"),
        exact_row_counts=dict(type="bool", default=False),
    )


def main() -> None:
    module = SingleStoreModule(argument_spec())
    params = module.params
    module.run(
        lambda: Gatherer(module.conn, params["filter"], params["exact_row_counts"]).gather(params["gather_subset"])
    )


if __name__ == "__main__":
    main()
