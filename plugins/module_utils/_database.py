# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database kind: ``read_database()`` (also used by singlestore_info) and the ``Database`` object."""

from __future__ import annotations

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    ManagedObject,
    ModuleError,
    Statement,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import Connection
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    quote_identifier,
    validate_identifier,
)


def read_database(conn: Connection, name: str) -> dict[str, Any] | None:
    """The database ``name`` as the catalog shows it (None when it does not exist)."""
    rows = conn.query(
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
        "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        (name,),
    )
    rows = [row for row in rows if row["SCHEMA_NAME"] == name]  # case-insensitive collations on MariaDB
    if not rows:
        return None
    return dict(
        name=name,
        charset=rows[0].get("DEFAULT_CHARACTER_SET_NAME"),
        collation=rows[0].get("DEFAULT_COLLATION_NAME"),
        partitions=partition_count(conn, name) if conn.is_singlestore else None,
    )


def partition_count(conn: Connection, name: str) -> int | None:
    """Master partitions of the database, or None when the view shows none (a login that cannot see them,
    or a ROLE spelled otherwise than the docs' SHOW PARTITIONS example): unknown, never taken for a count."""
    rows = conn.query(
        "SELECT COUNT(*) AS n FROM information_schema.DISTRIBUTED_PARTITIONS "
        "WHERE DATABASE_NAME = %s AND ROLE = 'Master'",
        (name,),
    )
    count = int(rows[0]["n"]) if rows else 0
    return count or None


class Database(ManagedObject):
    """A database: exists / info / create / drop."""

    result_key = "database"

    def read(self) -> dict[str, Any] | None:
        return read_database(self.conn, self.params["name"])

    def create(self) -> Statement:
        sql = f"CREATE DATABASE {quote_identifier(self.params['name'], 'database name')}"
        if self.params["partitions"] is not None:
            sql += f" PARTITIONS {int(self.params['partitions'])}"
        return Statement(sql)

    def drop(self) -> Statement:
        return Statement(f"DROP DATABASE {quote_identifier(self.params['name'], 'database name')}")

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        name = validate_identifier(self.params["name"], "database name")
        partitions = self.params["partitions"]
        if self.params["state"] == "absent":
            return [self.drop()] if before is not None else []
        if partitions is not None:
            if not self.conn.is_singlestore:
                raise ModuleError(
                    f"partitions is a SingleStore option; the server is {self.conn.label} "
                    f"(database {name!r} was not changed)"
                )
            if partitions < 1:
                raise ModuleError(f"partitions must be at least 1, got {partitions}")
        if before is None:
            return [self.create()]
        if partitions is not None and before.get("partitions") is None:
            # Create-only, so there is nothing to change either way: say it was not compared rather than
            # fail on a guess.
            self.module.warn(
                f"the partition count of database {name!r} cannot be read from "
                "information_schema.DISTRIBUTED_PARTITIONS "
                f"(no master partition visible to this login); partitions={partitions} was not compared"
            )
            return []
        if partitions is not None and before.get("partitions") != partitions:
            raise ModuleError(
                f"database {name!r} exists with {before.get('partitions')} partitions "
                f"but the task asks for {partitions}; "
                "the partition count cannot change after creation: create a new database and move the data, "
                "or remove partitions from the task",
                current_partitions=before.get("partitions"),
                wanted_partitions=partitions,
            )
        return []

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent":
            return None
        return dict(name=self.params["name"], charset=None, collation=None, partitions=self.params["partitions"])
