"""Against a real Grafana set up by the grafana role (skipped unless GRAFANA_URL is set).

    GRAFANA_URL=http://127.0.0.1:3000 GRAFANA_ADMIN_PASSWORD=... pytest tests/integration/grafana -m live

(through an SSH tunnel when Grafana is published on the host's 127.0.0.1). GRAFANA_ADMIN_USER
defaults to admin. Checks what the lab cannot: Grafana's health, the provisioned data source's own
check against SingleStore, the provisioned dashboard as Grafana kept it (a refresh below the
server's floor would have been raised), and every panel query run by Grafana (/api/ds/query).
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.unit.grafana.grafana_sql import load_builder

pytestmark = pytest.mark.live("GRAFANA_URL")

BUILDER = load_builder()


def call(path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
    url = os.environ["GRAFANA_URL"].rstrip("/") + path
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if auth:
        user = os.environ.get("GRAFANA_ADMIN_USER", "admin")
        token = base64.b64encode(f"{user}:{os.environ.get('GRAFANA_ADMIN_PASSWORD', '')}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (operator-given URL)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_health() -> None:
    status, body = call("/api/health", auth=False)
    assert status == 200 and body["database"] == "ok", body


def test_datasource_reaches_singlestore() -> None:
    status, body = call("/api/datasources/uid/singlestore/health")
    assert status == 200 and body["status"] == "OK", body


def test_anonymous_access_is_off() -> None:
    status, _ = call("/api/dashboards/uid/retail-realtime", auth=False)
    assert status == 401


def test_dashboard_is_provisioned_with_250ms() -> None:
    status, body = call("/api/dashboards/uid/retail-realtime")
    assert status == 200, body
    dashboard = body["dashboard"]
    assert dashboard["refresh"] == "250ms", "raised to the server's floor: is GF_DASHBOARDS_MIN_REFRESH_INTERVAL 250ms?"
    assert "250ms" in dashboard["timepicker"]["refresh_intervals"]
    assert body["meta"].get("provisioned") is True


@pytest.mark.parametrize("name", [name for name, _ in BUILDER.panel_specs()])
def test_panel_query_through_grafana(name: str) -> None:
    panel = dict(BUILDER.panel_specs())[name]
    target = panel["targets"][0]
    query = {"refId": "A", "datasource": target["datasource"], "rawSql": target["rawSql"], "format": target["format"]}
    began = time.monotonic()
    status, body = call("/api/ds/query", {"from": "now-5m", "to": "now", "queries": [query]})
    elapsed_ms = (time.monotonic() - began) * 1000
    assert status == 200, body
    result = body["results"]["A"]
    assert not result.get("error"), result.get("error")
    print(f"{name}: {elapsed_ms:.0f} ms through Grafana (the dashboard refreshes every 250 ms)")
