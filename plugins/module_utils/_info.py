# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What singlestore_info gathers: each subset through the reader of its object kind."""

from __future__ import annotations

import fnmatch
from typing import Any, Callable

from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import Connection
from ansible_collections.transactions_st.realtime.plugins.module_utils._database import read_database
from ansible_collections.transactions_st.realtime.plugins.module_utils._pipeline import read_pipelines
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import quote_qualified
from ansible_collections.transactions_st.realtime.plugins.module_utils._table import read_table
from ansible_collections.transactions_st.realtime.plugins.module_utils._user import list_accounts, read_user
from ansible_collections.transactions_st.realtime.plugins.module_utils._user_privileges import global_all_privileges

SYSTEM_DATABASES = {"information_schema", "mysql", "performance_schema", "sys", "memsql", "cluster"}
SUBSETS = ("server", "databases", "tables", "users", "pipelines")


class Gatherer:
    def __init__(self, conn: Connection, filters: list[str] | None, exact: bool) -> None:
        self.conn = conn
        self.filters = filters
        self.exact = exact

    def wanted(self, name: str) -> bool:
        return not self.filters or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.filters)

    def gather(self, subsets: list[str]) -> dict[str, Any]:
        """The module's result for ``gather_subset`` (``all`` stands for every subset)."""
        handlers: dict[str, Callable[[], dict[str, Any]]] = dict(
            server=self.server,
            databases=self.databases,
            tables=self.tables,
            users=self.users,
            pipelines=self.pipelines,
        )
        result: dict[str, Any] = dict(changed=False, queries=[])
        for subset in dict.fromkeys(SUBSETS if "all" in subsets else subsets):
            result[subset] = handlers[subset]()
        return result

    def server(self) -> dict[str, Any]:
        row = self.conn.query(
            "SELECT @@version_comment AS version_comment, @@time_zone AS time_zone, "
            "@@system_time_zone AS system_time_zone, "
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
        for name in self.database_names():
            state = read_database(self.conn, name)
            if state is not None:
                out[name] = dict(charset=state["charset"], collation=state["collation"], partitions=state["partitions"])
        return out

    def tables(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for database in self.database_names():
            rows = self.conn.query(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
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
                    count = self.conn.query(
                        f"SELECT COUNT(*) AS n FROM {quote_qualified(database, row['TABLE_NAME'])}", ()
                    )
                    state["rows"] = int(count[0]["n"])
                tables[row["TABLE_NAME"]] = state
            out[database] = tables
        return out

    def users(self) -> dict[str, Any]:
        global_all = global_all_privileges(self.conn)
        out = {}
        for user, host in list_accounts(self.conn):
            if not user or not self.wanted(user):
                continue
            state = read_user(self.conn, user, host, global_all)
            if state is not None:
                state.pop("require_ssl")  # not part of this module's documented user entries
                out[f"{user}@{host}"] = state
        return out

    def pipelines(self) -> dict[str, Any]:
        if not self.conn.is_singlestore:
            return {}
        return {f"{p['database']}.{p['name']}": p for p in read_pipelines(self.conn) if self.wanted(p["database"])}
