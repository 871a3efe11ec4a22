"""Fixtures of the module integration tests: targets (lab MariaDB, SingleStore double, live SingleStore)."""

from __future__ import annotations

import os
from typing import Any

import pytest


@pytest.fixture(scope="session")
def maria(mariadb_conn_params: dict[str, Any]) -> dict[str, Any]:
    return dict(mariadb_conn_params)


def _double(request: pytest.FixtureRequest) -> dict[str, Any]:
    try:
        return dict(request.getfixturevalue("double_conn_params"))
    except (pytest.fail.Exception, Exception) as exc:  # noqa: BLE001 - any failure means the double is not usable yet
        pytest.skip(f"SingleStore test double not available: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


def _live() -> dict[str, Any]:
    return {"host": os.environ["SINGLESTORE_HOST"], "port": int(os.environ.get("SINGLESTORE_PORT", "3306")),
            "user": os.environ.get("SINGLESTORE_USER", "admin"), "password": os.environ.get("SINGLESTORE_PASSWORD", "")}


@pytest.fixture(params=["double", pytest.param("live", marks=pytest.mark.live("SINGLESTORE_HOST"))])
def singlestore(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A SingleStore target: the lab's test double, or a real SingleStore when SINGLESTORE_HOST is set (marker `live`)."""
    if request.param == "live":
        return _live()
    return _double(request)
