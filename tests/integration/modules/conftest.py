"""Fixtures of the module integration tests: targets (lab MariaDB, SingleStore double, live SingleStore)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.live.target import singlestore_target


@pytest.fixture(scope="session")
def maria(mariadb_conn_params: dict[str, Any]) -> dict[str, Any]:
    return dict(mariadb_conn_params)


def _double(request: pytest.FixtureRequest) -> dict[str, Any]:
    # A double that does not start fails the tests (the lab fixture says why): a skip would hide it.
    return dict(request.getfixturevalue("double_conn_params"))


def _live() -> dict[str, Any]:
    # SINGLESTORE_* read as `make test-live` reads them (TLS included): tests/integration/live/target.py
    target = singlestore_target()
    assert target is not None  # the `live` marker skips this case without SINGLESTORE_HOST
    return target.conn_params()


@pytest.fixture(params=["double", pytest.param("live", marks=pytest.mark.live("SINGLESTORE_HOST"))])
def singlestore(request: pytest.FixtureRequest) -> dict[str, Any]:
    """A SingleStore target: the lab's test double, or a real SingleStore when SINGLESTORE_HOST is set (marker `live`)."""
    if request.param == "live":
        return _live()
    return _double(request)
