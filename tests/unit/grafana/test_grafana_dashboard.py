"""The provisioned dashboard: generated from the panel queries, and shaped as file provisioning needs.

files/grafana/dashboards/retail-realtime.json must be exactly what files/grafana/build_dashboard.py
generates from templates/sql/queries/*.sql (run the script after editing a query). The structural
checks follow Grafana's dashboard JSON model and provisioning docs
(https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/,
https://grafana.com/docs/grafana/latest/administration/provisioning/#dashboards): 250 ms needs both
``refresh`` and ``timepicker.refresh_intervals``, the panel and target model, and no
``__inputs``/``${DS_...}`` in provisioned files (file provisioning does not substitute them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.grafana.grafana_sql import RESTRICTED_RE, expand, load_builder

REPO = Path(__file__).resolve().parents[3]
BUILDER = load_builder()
DASHBOARD_FILE = REPO / "files" / "grafana" / "dashboards" / "retail-realtime.json"
DATASOURCE = {"type": "mysql", "uid": "singlestore"}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))


def targets(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for p in dashboard["panels"] for t in p["targets"]]


def test_committed_json_is_the_generated_one() -> None:
    generated = BUILDER.render(BUILDER.build())
    assert DASHBOARD_FILE.read_text(encoding="utf-8") == generated, (
        "files/grafana/dashboards/retail-realtime.json is stale: run python files/grafana/build_dashboard.py")
    assert BUILDER.main(["--check"]) == 0


def test_check_mode_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "dashboard.json"
    stale.write_text(DASHBOARD_FILE.read_text(encoding="utf-8").replace("250ms", "5s"))
    assert BUILDER.main(["--check", "--output", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert BUILDER.main(["--output", str(stale)]) == 0
    assert BUILDER.main(["--check", "--output", str(stale)]) == 0


def test_every_query_file_is_a_panel_and_back() -> None:
    names = [name for name, _ in BUILDER.panel_specs()]
    assert len(names) == len(set(names))
    assert sorted(names) == BUILDER.query_names()


def test_targets_carry_the_query_files_text(dashboard: dict[str, Any]) -> None:
    by_name = dict(BUILDER.panel_specs())
    for panel in dashboard["panels"]:
        (name,) = [n for n, p in by_name.items() if p["id"] == panel["id"]]
        assert panel["targets"][0]["rawSql"] == BUILDER.load_query(name)
        assert "--" not in panel["targets"][0]["rawSql"].splitlines()[0], "comment header left in rawSql"


def test_top_level(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "retail-realtime"
    assert dashboard["schemaVersion"] in (41, 42)
    assert dashboard["refresh"] == "250ms"
    assert "250ms" in dashboard["timepicker"]["refresh_intervals"]
    assert dashboard["time"]["to"] == "now"
    for key in ("__inputs", "__requires", "__elements", "id"):
        assert key not in dashboard, key


def test_no_exported_datasource_placeholders() -> None:
    text = DASHBOARD_FILE.read_text(encoding="utf-8")
    assert "${DS_" not in text and "DS_" not in text and "__inputs" not in text


def test_panel_types(dashboard: dict[str, Any]) -> None:
    types = [p["type"] for p in dashboard["panels"]]
    assert {"gauge", "barchart", "geomap"} <= set(types)
    assert {"timeseries", "stat"} & set(types)
    assert len({p["id"] for p in dashboard["panels"]}) == len(types)


def test_every_panel_and_target_names_the_datasource_uid(dashboard: dict[str, Any]) -> None:
    for panel in dashboard["panels"]:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]


def test_targets_are_raw_sql_in_code_mode(dashboard: dict[str, Any]) -> None:
    for target in targets(dashboard):
        assert target["rawQuery"] is True and target["editorMode"] == "code"
        assert target["format"] in ("table", "time_series")
        assert target["rawSql"].strip() and not target["rawSql"].rstrip().endswith(";")
        assert "sql" not in target and "table" not in target, "query-builder state would rewrite rawSql"


def test_layout_fits_the_grid(dashboard: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        g = panel["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24 and g["h"] > 0
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_panels_get_the_columns_they_use(dashboard: dict[str, Any]) -> None:
    for panel in dashboard["panels"]:
        sql = panel["targets"][0]["rawSql"]
        if panel["type"] == "geomap":
            (layer,) = panel["options"]["layers"]
            assert layer["location"]["mode"] == "coords"
            for field in (layer["location"]["latitude"], layer["location"]["longitude"], layer["config"]["style"]["size"]["field"]):
                assert re.search(rf"\b{field}\b", sql), field
        if panel["type"] == "barchart":
            assert re.search(rf"\b{panel['options']['xField']}\b", sql)
        if panel["targets"][0]["format"] == "time_series":
            assert re.search(r"\bAS\s+`?time`?", sql, re.IGNORECASE), "time_series needs a column named time"
            assert re.search(r"ORDER BY 1\b|ORDER BY\s+`?time`?", sql, re.IGNORECASE), "time series must be sorted by time"


def test_queries_pass_grafanas_filters_and_macros(dashboard: dict[str, Any]) -> None:
    for target in targets(dashboard):
        sql = target["rawSql"]
        assert not RESTRICTED_RE.search(sql), "Grafana's MySQL plugin refuses this query"
        expanded = expand(sql, 1_700_000_000, 1_700_000_300)
        assert "$__" not in expanded and "${" not in expanded


def test_utc_data_is_never_compared_with_local_time(dashboard: dict[str, Any]) -> None:
    """transaction_date is UTC: no NOW(), CONVERT_TZ, FROM_UNIXTIME or session-zone macros on it."""
    for target in targets(dashboard):
        sql = target["rawSql"]
        if "transaction_date" not in sql:
            continue
        for banned in (r"\bNOW\s*\(", r"\bCURRENT_TIMESTAMP\b", r"\bSYSDATE\s*\(", r"\bCONVERT_TZ\s*\(",
                       r"\bFROM_UNIXTIME\s*\(", r"\$__timeFilter\(", r"\$__timeGroup", r"\$__timeFrom\(", r"\$__timeTo\(",
                       r"UNIX_TIMESTAMP\s*\(\s*transaction_date"):
            assert not re.search(banned, sql, re.IGNORECASE), f"{banned} in {sql}"
    revenue = BUILDER.load_query("revenue_per_city_60s")
    assert re.search(r"transaction_date\s*>=\s*UTC_TIMESTAMP\(6\)\s*-\s*INTERVAL 60 SECOND", revenue)


def test_table_definition_matches_the_producer() -> None:
    ddl = (REPO / "templates" / "sql" / "tables" / "product_transactions.sql").read_text()
    assert re.search(r"transaction_id\s+BIGINT\s+NOT NULL", ddl), "the producer's ids are 63-bit"
    assert re.search(r"transaction_date\s+DATETIME\(6\)\s+NOT NULL", ddl), "microseconds are kept"
    assert re.search(r"SORT KEY \(transaction_date\)", ddl)


# -- built with Grafana's typed SDK (grafana-foundation-sdk) ----------------------------------------

ALL_DASHBOARDS = sorted((REPO / "files" / "grafana" / "dashboards").glob("*.json"))


@pytest.mark.parametrize("path", ALL_DASHBOARDS, ids=lambda p: p.name)
def test_the_sdk_reads_every_dashboard_back_unchanged(path: Path) -> None:
    """The SDK's own Dashboard model (and the MySQL target) parses the file and writes it back equal:
    no field the schema does not know, none dropped."""
    board = json.loads(path.read_text(encoding="utf-8"))
    assert BUILDER.reparse(board) == board


def test_targets_read_back_as_mysql_queries() -> None:
    from grafana_foundation_sdk.models import dashboard as dashboard_m
    board = dashboard_m.Dashboard.from_json(json.loads(DASHBOARD_FILE.read_text(encoding="utf-8")))
    targets_read = [t for p in board.panels for t in p.targets]
    assert targets_read and all(isinstance(t, BUILDER.MySQLQuery) for t in targets_read)
    assert all(t.raw_query is True and t.editor_mode == "code" for t in targets_read)


def test_mysql_query_refuses_what_the_data_source_does_not_know() -> None:
    with pytest.raises(ValueError, match="format"):
        BUILDER.MySQLQueryBuilder("SELECT 1").format("timeseries")
    with pytest.raises(ValueError, match="editorMode"):
        BUILDER.MySQLQuery(raw_sql="SELECT 1", editor_mode="visual")


def test_the_installed_sdk_is_the_pinned_one() -> None:
    from importlib.metadata import version
    pins = re.findall(r"^grafana-foundation-sdk==(\S+)$", (REPO / "requirements" / "test.txt").read_text(), re.M)
    assert pins == [version("grafana-foundation-sdk")]
