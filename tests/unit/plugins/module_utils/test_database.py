"""singlestore_database's plan when the partition count cannot be read: never a failure or a change on a guess."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._database import Database


class FakeConn:
    is_singlestore = True
    label = "SingleStore 8.9.24"

    def __init__(self, masters: int) -> None:
        self.masters = masters

    def query(self, sql: str, args: Any = None) -> list[dict[str, Any]]:
        if "SCHEMATA" in sql:
            return [{"SCHEMA_NAME": args[0], "DEFAULT_CHARACTER_SET_NAME": "utf8mb4", "DEFAULT_COLLATION_NAME": "utf8mb4_general_ci"}]
        return [{"n": self.masters}]


class FakeModule:
    def __init__(self, **params: Any) -> None:
        self.params = {"name": "retail", "state": "present", "partitions": None, **params}
        self.check_mode = False
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def test_unreadable_partition_count_is_null_and_not_compared() -> None:
    module = FakeModule(partitions=8)
    database = Database(module, FakeConn(masters=0))
    before = database.read()
    assert before is not None and before["partitions"] is None
    assert not database.plan(before)
    assert "was not compared" in module.warnings[0]


def test_a_readable_different_count_still_fails_naming_both() -> None:
    database = Database(FakeModule(partitions=8), FakeConn(masters=4))
    with pytest.raises(ModuleError, match="exists with 4 partitions but the task asks for 8"):
        database.plan(database.read())
