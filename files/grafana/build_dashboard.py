# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the provisioned Grafana dashboard from the panel queries.

Each panel's SQL lives in ``templates/sql/queries/<panel>.sql``, so that the dashboard, the
integration tests and the benchmarks run the same text. This script holds everything else
(panel types, titles, layout, field options) and writes
``files/grafana/dashboards/retail-realtime.json``. Edit a query or a panel here, then run::

    python files/grafana/build_dashboard.py          # rewrite the JSON
    python files/grafana/build_dashboard.py --check  # exit 1 if the committed JSON is stale

A unit test (tests/unit/grafana) fails when the committed JSON differs from the generated one.

Rules the output follows (docs/grafana.md): every panel and every target names the provisioned
data source by its fixed uid (``singlestore``), never ``${DS_...}``, and there is no
``__inputs``/``__requires``/``id`` (file provisioning does not substitute them); targets are raw
SQL in code mode (``rawQuery``/``editorMode``), so Grafana's query builder never rewrites them;
``refresh`` is 250ms and 250ms is in ``timepicker.refresh_intervals`` (without it Grafana does
not start the refresh timer).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
QUERIES_DIR = REPO / "templates" / "sql" / "queries"
OUTPUT = REPO / "files" / "grafana" / "dashboards" / "retail-realtime.json"

DATASOURCE = {"type": "mysql", "uid": "singlestore"}
DASHBOARD_UID = "retail-realtime"
DASHBOARD_TITLE = "Retail real-time"
SCHEMA_VERSION = 41
REFRESH = "250ms"
REFRESH_INTERVALS = ["250ms", "500ms", "1s", "2s", "5s", "10s", "30s", "1m"]
TIME_RANGE = {"from": "now-5m", "to": "now"}

GREEN_ONLY = {"mode": "absolute", "steps": [{"color": "green", "value": None}]}


def load_query(name: str, queries_dir: Path = QUERIES_DIR) -> str:
    """The SQL of ``<name>.sql`` without its leading comment block and trailing semicolon."""
    lines = (queries_dir / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    sql = "\n".join(line.rstrip() for line in lines).strip()
    return sql[:-1].rstrip() if sql.endswith(";") else sql


def query_names(queries_dir: Path = QUERIES_DIR) -> List[str]:
    return sorted(p.stem for p in queries_dir.glob("*.sql"))


def _panel(panel_id: int, query: str, panel_type: str, title: str, description: str, fmt: str,
           grid: Dict[str, int], field_defaults: Dict[str, Any], options: Dict[str, Any],
           overrides: Optional[List[Dict[str, Any]]] = None, queries_dir: Path = QUERIES_DIR) -> Tuple[str, Dict[str, Any]]:
    return query, {
        "id": panel_id,
        "type": panel_type,
        "title": title,
        "description": description,
        "gridPos": grid,
        "datasource": dict(DATASOURCE),
        "targets": [{
            "refId": "A",
            "datasource": dict(DATASOURCE),
            "rawQuery": True,
            "editorMode": "code",
            "format": fmt,
            "rawSql": load_query(query, queries_dir),
        }],
        "fieldConfig": {"defaults": field_defaults, "overrides": overrides or []},
        "options": options,
    }


def panel_specs(queries_dir: Path = QUERIES_DIR) -> List[Tuple[str, Dict[str, Any]]]:
    """(query name, panel) for each panel, in display order; the query is ``<name>.sql``."""
    return [
        _panel(
            1, "total_transactions", "gauge", "Transactions (total)",
            "Every transaction loaded into product_transactions.", "table",
            {"x": 0, "y": 0, "w": 6, "h": 8},
            {"unit": "short", "min": 0, "decimals": 0, "color": {"mode": "thresholds"}, "thresholds": GREEN_ONLY},
            {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "orientation": "auto", "showThresholdMarkers": False, "showThresholdLabels": False},
            queries_dir=queries_dir,
        ),
        _panel(
            2, "revenue_per_city_60s", "barchart", "Revenue per city, last 60 s",
            "Sum of total_amount per city over the last 60 seconds (transaction_date is UTC).", "table",
            {"x": 6, "y": 0, "w": 10, "h": 8},
            {"unit": "currencyEUR", "min": 0, "color": {"mode": "palette-classic"}, "thresholds": GREEN_ONLY},
            {"xField": "city", "orientation": "horizontal", "showValue": "auto", "stacking": "none",
             "groupWidth": 0.7, "barWidth": 0.9, "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"},
             "tooltip": {"mode": "single", "sort": "none"}},
            queries_dir=queries_dir,
        ),
        _panel(
            3, "pipeline_lag", "stat", "Pipeline lag (Kafka offsets behind)",
            "Per pipeline of this database: LATEST_OFFSET - CURSOR_OFFSET summed over the Kafka partitions "
            "(information_schema.PIPELINES_CURSORS).", "table",
            {"x": 16, "y": 0, "w": 8, "h": 8},
            {"unit": "short", "min": 0, "decimals": 0, "color": {"mode": "thresholds"},
             "thresholds": {"mode": "absolute", "steps": [
                 {"color": "green", "value": None}, {"color": "orange", "value": 10000}, {"color": "red", "value": 100000}]}},
            {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^offsets_behind$/", "values": True},
             "orientation": "auto", "textMode": "value_and_name", "colorMode": "background", "graphMode": "none",
             "justifyMode": "auto"},
            queries_dir=queries_dir,
        ),
        _panel(
            4, "transactions_per_store", "geomap", "Transactions per store",
            "Transactions per store in the dashboard's time range, at the store's latitude/longitude. "
            "Map tiles are fetched by the browser from the basemap provider.", "table",
            {"x": 0, "y": 8, "w": 12, "h": 13},
            {"unit": "short", "color": {"mode": "thresholds"}, "thresholds": GREEN_ONLY},
            {"view": {"id": "fit", "allLayers": True, "padding": 20, "lat": 0, "lon": 0, "zoom": 6},
             "controls": {"showZoom": True, "mouseWheelZoom": True, "showAttribution": True},
             "tooltip": {"mode": "details"},
             "layers": [{
                 "type": "markers", "name": "Stores", "tooltip": True,
                 "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
                 "config": {
                     "showLegend": False,
                     "style": {
                         "size": {"field": "transactions", "fixed": 5, "min": 8, "max": 40},
                         "color": {"fixed": "dark-green"},
                         "opacity": 0.6,
                         "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
                         "text": {"mode": "field", "field": "city", "fixed": ""},
                         "textConfig": {"fontSize": 12, "offsetX": 0, "offsetY": -18, "textAlign": "center",
                                        "textBaseline": "middle"},
                     },
                 },
             }]},
            queries_dir=queries_dir,
        ),
        _panel(
            5, "ingest_rate", "timeseries", "Pipeline ingest rate (rows/s)",
            "Rows loaded per second by each pipeline of this database, in 5-second buckets "
            "(information_schema.PIPELINES_BATCHES_SUMMARY).", "time_series",
            {"x": 12, "y": 8, "w": 12, "h": 13},
            {"unit": "short", "min": 0, "color": {"mode": "palette-classic"},
             "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                        "spanNulls": False}},
            {"legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []},
             "tooltip": {"mode": "multi", "sort": "desc"}},
            queries_dir=queries_dir,
        ),
    ]


def panels(queries_dir: Path = QUERIES_DIR) -> List[Dict[str, Any]]:
    return [spec[1] for spec in panel_specs(queries_dir)]


def build(queries_dir: Path = QUERIES_DIR) -> Dict[str, Any]:
    return {
        "uid": DASHBOARD_UID,
        "title": DASHBOARD_TITLE,
        "description": "transactions_st.realtime: retail transactions from Kafka through SingleStore, refreshed every 250 ms.",
        "tags": ["transactions_st", "singlestore"],
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "graphTooltip": 0,
        "fiscalYearStartMonth": 0,
        "weekStart": "",
        "timezone": "browser",
        "liveNow": False,
        "time": dict(TIME_RANGE),
        "refresh": REFRESH,
        "timepicker": {"refresh_intervals": list(REFRESH_INTERVALS)},
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "templating": {"list": []},
        "panels": panels(queries_dir),
    }


def render(dashboard: Dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"dashboard file (default {OUTPUT.relative_to(REPO)})")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current == text:
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   str(args.output), "generated"))
        print(f"{args.output} is stale: run python {Path(__file__).relative_to(REPO)}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
