"""Fixtures of the module integration tests: targets (lab MariaDB, SingleStore double, live SingleStore)."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="session")
def maria(mariadb_conn_params: dict[str, Any]) -> dict[str, Any]:
    return dict(mariadb_conn_params)


def _double(request: pytest.FixtureRequest) -> dict[str, Any]:
    # A double that does not start fails the tests (the lab fixture says why): a skip would hide it.
    return dict(request.getfixturevalue("double_conn_params"))


def _live() -> dict[str, Any]:
    return {"host": os.environ["SINGLESTORE_HOST"], "port": int(os.environ.get("SINGLESTORE_PORT", "3306")),
            "user": os.environ.get("SINGLESTORE_USER", "admin"), "password": os.environ.get("SINGLESTORE_PASSWORD", "")}


@pytest.fixture(params=["double", pytest.param("live", marks=pytest.mark.live("SINGLESTORE_HOST"))])
def singlestore(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A SingleStore target: the lab's test double, or a real SingleStore when SINGLESTORE_HOST is set (marker `live`)."""
    if request.param == "live":
        return _live()
    return _double(request)
