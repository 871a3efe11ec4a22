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

import fnmatch
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.transactions_st.realtime.plugins.module_utils._argspec import connection_argument_spec
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import (
    Connection,
    SingleStoreError,
    connect,
    describe_error,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._grants_sql import GrantsReadError
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline_info import pipelines_info
from ansible_collections.transactions_st.realtime.plugins.module_utils._privileges import (
    compress,
    full_set,
    global_all_privileges,
    level_kind,
    read_grants,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import quote_qualified
from ansible_collections.transactions_st.realtime.plugins.module_utils._table import read_table

try:
    from pymysql.err import MySQLError
except ImportError:  # pragma: no cover
    MySQLError = Exception  # type: ignore[assignment,misc]

SYSTEM_DATABASES = {"information_schema", "mysql", "performance_schema", "sys", "memsql", "cluster"}


class Gatherer:
    def __init__(self, conn: Connection, filters: list[str] | None, exact: bool) -> None:
        self.conn = conn
        self.filters = filters
        self.exact = exact

    def wanted(self, name: str) -> bool:
        return not self.filters or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.filters)

    def server(self) -> dict[str, Any]:
        row = self.conn.query(
            "SELECT @@version_comment AS version_comment, @@time_zone AS time_zone, @@system_time_zone AS system_time_zone, "
            "TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS utc_offset_minutes"
        )[0]
        return dict(
            flavour=self.conn.flavour,
            memsql_version=self.conn.memsql_version,
            version=self.conn.version,
            version_comment=row["version_comment"],
            time_zone=row["time_zone"],
            system_time_zone=row["system_time_zone"],
            utc_offset_minutes=int(row["utc_offset_minutes"]),
            tls=self.conn.tls_in_use,
        )

    def database_names(self) -> list[str]:
        rows = self.conn.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME", ())
        return [
            row["SCHEMA_NAME"]
            for row in rows
            if row["SCHEMA_NAME"] not in SYSTEM_DATABASES and self.wanted(row["SCHEMA_NAME"])
        ]

    def databases(self) -> dict[str, Any]:
        out = {}
        for row in self.conn.query(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA",
            (),
        ):
            name = row["SCHEMA_NAME"]
            if name in SYSTEM_DATABASES or not self.wanted(name):
                continue
            partitions = None
            if self.conn.is_singlestore:
                count = self.conn.query(
                    "SELECT COUNT(*) AS n FROM information_schema.DISTRIBUTED_PARTITIONS WHERE DATABASE_NAME = %s "
                    "AND ROLE = 'Master'",
                    (name,),
                )
                partitions = int(count[0]["n"]) if count else None
            out[name] = dict(
                charset=row["DEFAULT_CHARACTER_SET_NAME"],
                collation=row["DEFAULT_COLLATION_NAME"],
                partitions=partitions,
            )
        return out

    def tables(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for database in self.database_names():
            rows = self.conn.query(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_TYPE = 'BASE TABLE' "
                "ORDER BY TABLE_NAME",
                (database,),
            )
            tables = {}
            for row in rows:
                state = read_table(self.conn, database, row["TABLE_NAME"])
                if state is None:
                    continue
                state.pop("database", None)
                state.pop("name", None)
                state.pop("_rowstore", None)
                if self.exact:
                    state["rows"] = int(
                        self.conn.query(
                            f"SELECT COUNT(*) AS n FROM {quote_qualified(database, row['TABLE_NAME'])}", ()
                        )[0]["n"]
                    )
                tables[row["TABLE_NAME"]] = state
            out[database] = tables
        return out

    def users(self) -> dict[str, Any]:
        if self.conn.is_singlestore:
            rows = self.conn.query(
                "SELECT USER AS user, HOST AS host FROM information_schema.USERS ORDER BY USER, HOST", ()
            )
        else:
            rows = self.conn.query("SELECT User AS user, Host AS host FROM mysql.user ORDER BY User, Host", ())
        global_all = global_all_privileges(self.conn)
        out = {}
        for row in rows:
            user, host = str(row["user"]), str(row["host"])
            if not user or not self.wanted(user):
                continue
            try:
                grants = read_grants(self.conn, user, host)
            except GrantsReadError as exc:
                out[f"{user}@{host}"] = dict(user=user, host=host, privileges=None, privileges_unreadable=str(exc))
                continue
            privileges = {
                lvl: compress(p, full_set(level_kind(lvl), self.conn.is_singlestore, global_all))
                for lvl, p in sorted(grants.items())
            }
            out[f"{user}@{host}"] = dict(user=user, host=host, privileges=privileges)
        return out

    def pipelines(self) -> dict[str, Any]:
        if not self.conn.is_singlestore:
            return {}
        return {f"{p['database']}.{p['name']}": p for p in pipelines_info(self.conn) if self.wanted(p["database"])}


def main() -> None:
    spec = connection_argument_spec()
    spec.update(
        gather_subset=dict(
            type="list",
            elements="str",
            default=["all"],
            choices=["all", "server", "databases", "tables", "users", "pipelines"],
        ),
        filter=dict(type="list", elements="str"),
        exact_row_counts=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    subsets = module.params["gather_subset"]
    if "all" in subsets:
        subsets = ["server", "databases", "tables", "users", "pipelines"]
    result: dict[str, Any] = dict(changed=False, queries=[])
    try:
        conn = connect(module.params)
    except SingleStoreError as exc:
        module.fail_json(msg=str(exc), queries=[])
    gatherer = Gatherer(conn, module.params["filter"], module.params["exact_row_counts"])
    handlers: dict[str, Callable[[], dict[str, Any]]] = dict(
        server=gatherer.server,
        databases=gatherer.databases,
        tables=gatherer.tables,
        users=gatherer.users,
        pipelines=gatherer.pipelines,
    )
    try:
        for subset in dict.fromkeys(subsets):
            result[subset] = handlers[subset]()
    except SingleStoreError as exc:
        module.fail_json(msg=str(exc), queries=[])
    except MySQLError as exc:
        module.fail_json(msg=describe_error(exc, module.params), queries=[])
    finally:
        conn.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
