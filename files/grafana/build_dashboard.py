# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the provisioned Grafana dashboard from the panel queries.

Each panel's SQL lives in ``templates/sql/queries/<panel>.sql``, so that the dashboard, the
integration tests and the benchmarks run the same text. This script holds everything else
(panel types, titles, layout, field options) and writes, under ``files/grafana/dashboards/``:

* ``retail-realtime.json``: the five panels on product_transactions, for the schema profiles
  ``seed`` and ``optimized`` (roles/singlestore; both have the same table and columns);
* ``retail-realtime-rollup.json``: the same panels for the profile ``rollup``; a panel whose
  query has a file in ``templates/sql/queries/rollup/`` reads the per-second table instead;
* ``singlestore-slow-queries.json``: the slow queries kept by the event trace
  (``templates/sql/queries/traces/``; SingleStore only, refreshed every 10 s, not 250 ms).

One dashboard per query set, all provisioned: Grafana shows the three; use the one of the
profile in place (docs/latency.md). Edit a query or a panel here, then run::

    python files/grafana/build_dashboard.py          # rewrite the JSON files
    python files/grafana/build_dashboard.py --check  # exit 1 if a committed JSON is stale

A unit test (tests/unit/grafana) fails when a committed JSON differs from the generated one.

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
ROLLUP_DIR = QUERIES_DIR / "rollup"
TRACES_DIR = QUERIES_DIR / "traces"
DASHBOARDS_DIR = REPO / "files" / "grafana" / "dashboards"
OUTPUT = DASHBOARDS_DIR / "retail-realtime.json"
ROLLUP_OUTPUT = DASHBOARDS_DIR / "retail-realtime-rollup.json"
SLOW_QUERIES_OUTPUT = DASHBOARDS_DIR / "singlestore-slow-queries.json"

DATASOURCE = {"type": "mysql", "uid": "singlestore"}
DASHBOARD_UID = "retail-realtime"
DASHBOARD_TITLE = "Retail real-time"
ROLLUP_UID = "retail-realtime-rollup"
ROLLUP_TITLE = "Retail real-time (rollup)"
SLOW_QUERIES_UID = "singlestore-slow-queries"
SLOW_QUERIES_TITLE = "SingleStore slow queries"
SLOW_QUERIES_REFRESH = "10s"
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


def query_file(name: str, queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> Path:
    """``<overrides_dir>/<name>.sql`` when there is one, else ``<queries_dir>/<name>.sql``."""
    if overrides_dir is not None and (overrides_dir / f"{name}.sql").is_file():
        return overrides_dir / f"{name}.sql"
    return queries_dir / f"{name}.sql"


def _panel(panel_id: int, query: str, panel_type: str, title: str, description: str, fmt: str,
           grid: Dict[str, int], field_defaults: Dict[str, Any], options: Dict[str, Any],
           overrides: Optional[List[Dict[str, Any]]] = None, queries_dir: Path = QUERIES_DIR,
           overrides_dir: Optional[Path] = None) -> Tuple[str, Dict[str, Any]]:
    source = query_file(query, queries_dir, overrides_dir)
    if source.parent != queries_dir:
        description += f" Rollup profile: {ROLLUP_NOTE.get(query, 'reads the per-second table')}."
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
            "rawSql": load_query(query, source.parent),
        }],
        "fieldConfig": {"defaults": field_defaults, "overrides": overrides or []},
        "options": options,
    }


# How the rollup dashboard's panels answer (appended to their descriptions).
ROLLUP_NOTE = {
    "total_transactions": "the sum of store_sales_per_second.transactions (one row per store and second)",
    "revenue_per_city_60s": "store_sales_per_second, the whole seconds from UTC_TIMESTAMP() - 60 s on",
    "transactions_per_store": "store_sales_per_second, the seconds from the range's start up to its end",
}


def panel_specs(queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> List[Tuple[str, Dict[str, Any]]]:
    """(query name, panel) for each panel, in display order; the query is ``<name>.sql`` (from
    ``overrides_dir`` when that folder has the file)."""
    q = dict(queries_dir=queries_dir, overrides_dir=overrides_dir)
    return [
        _panel(
            1, "total_transactions", "gauge", "Transactions (total)",
            "Every transaction loaded into product_transactions.", "table",
            {"x": 0, "y": 0, "w": 6, "h": 8},
            {"unit": "short", "min": 0, "decimals": 0, "color": {"mode": "thresholds"}, "thresholds": GREEN_ONLY},
            {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "orientation": "auto", "showThresholdMarkers": False, "showThresholdLabels": False},
            **q,
        ),
        _panel(
            2, "revenue_per_city_60s", "barchart", "Revenue per city, last 60 s",
            "Sum of total_amount per city over the last 60 seconds (transaction_date is UTC).", "table",
            {"x": 6, "y": 0, "w": 10, "h": 8},
            {"unit": "currencyEUR", "min": 0, "color": {"mode": "palette-classic"}, "thresholds": GREEN_ONLY},
            {"xField": "city", "orientation": "horizontal", "showValue": "auto", "stacking": "none",
             "groupWidth": 0.7, "barWidth": 0.9, "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"},
             "tooltip": {"mode": "single", "sort": "none"}},
            **q,
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
            **q,
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
            **q,
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
            **q,
        ),
    ]


def panels(queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    return [spec[1] for spec in panel_specs(queries_dir, overrides_dir)]


def build(queries_dir: Path = QUERIES_DIR) -> Dict[str, Any]:
    """The dashboard of the schema profiles seed and optimized (every panel on product_transactions)."""
    return _dashboard(DASHBOARD_UID, DASHBOARD_TITLE,
                      "transactions_st.realtime: retail transactions from Kafka through SingleStore, refreshed every "
                      "250 ms.", panels(queries_dir))


def build_rollup(queries_dir: Path = QUERIES_DIR, rollup_dir: Path = ROLLUP_DIR) -> Dict[str, Any]:
    """The dashboard of the schema profile rollup: the same panels, reading store_sales_per_second where it answers."""
    return _dashboard(ROLLUP_UID, ROLLUP_TITLE,
                      "transactions_st.realtime, schema profile rollup: the panels read the per-store, per-second table "
                      "store_sales_per_second where it answers the same question. Refreshed every 250 ms.",
                      panels(queries_dir, rollup_dir), tags=["rollup"])


def build_slow_queries(traces_dir: Path = TRACES_DIR) -> Dict[str, Any]:
    """SingleStore only: the queries kept by the Query_completion event trace (singlestore_slow_query_threshold_ms)."""
    panel = {
        "id": 1,
        "type": "table",
        "title": "Slow queries",
        "description": "Queries of this database that ran longer than the event trace's threshold "
                       "(singlestore_slow_query_threshold_ms), newest first, from information_schema.MV_TRACE_EVENTS. "
                       "Empty until the role creates the trace. SingleStore only.",
        "gridPos": {"x": 0, "y": 0, "w": 24, "h": 20},
        "datasource": dict(DATASOURCE),
        "targets": [{
            "refId": "A",
            "datasource": dict(DATASOURCE),
            "rawQuery": True,
            "editorMode": "code",
            "format": "table",
            "rawSql": load_query("slow_queries", traces_dir),
        }],
        "fieldConfig": {
            "defaults": {"color": {"mode": "thresholds"}, "thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "orange", "value": 100}, {"color": "red", "value": 250}]},
                "custom": {"align": "auto", "cellOptions": {"type": "auto"}, "inspect": True}},
            "overrides": [
                {"matcher": {"id": "byName", "options": "duration_ms"},
                 "properties": [{"id": "unit", "value": "ms"}, {"id": "custom.width", "value": 110},
                                {"id": "custom.cellOptions", "value": {"type": "color-background"}}]},
                {"matcher": {"id": "byName", "options": "finished"},
                 "properties": [{"id": "custom.width", "value": 190}]},
            ],
        },
        "options": {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""},
                    "sortBy": [{"displayName": "finished", "desc": True}]},
    }
    return _dashboard(SLOW_QUERIES_UID, SLOW_QUERIES_TITLE,
                      "transactions_st.realtime: SingleStore queries slower than singlestore_slow_query_threshold_ms "
                      "(event trace Query_completion). SingleStore only; refreshed every 10 s, since "
                      "MV_TRACE_EVENTS asks every node.", [panel], refresh=SLOW_QUERIES_REFRESH,
                      time_range={"from": "now-1h", "to": "now"}, tags=["slow-queries"])


def _dashboard(uid: str, title: str, description: str, panel_list: List[Dict[str, Any]], refresh: str = REFRESH,
               time_range: Optional[Dict[str, str]] = None, tags: Optional[List[str]] = None) -> Dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["transactions_st", "singlestore"] + (tags or []),
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "graphTooltip": 0,
        "fiscalYearStartMonth": 0,
        "weekStart": "",
        "timezone": "browser",
        "liveNow": False,
        "time": dict(time_range or TIME_RANGE),
        "refresh": refresh,
        "timepicker": {"refresh_intervals": list(REFRESH_INTERVALS)},
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
        }]},
        "templating": {"list": []},
        "panels": panel_list,
    }


def dashboards() -> Dict[Path, Dict[str, Any]]:
    """Every dashboard this script writes, by output file."""
    return {OUTPUT: build(), ROLLUP_OUTPUT: build_rollup(), SLOW_QUERIES_OUTPUT: build_slow_queries()}


def render(dashboard: Dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _stale(path: Path, text: str) -> bool:
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if current == text:
        return False
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), str(path), "generated"))
    print(f"{path} is stale: run python {Path(__file__).relative_to(REPO)}", file=sys.stderr)
    return True


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing them")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"write (or check) only the main dashboard, to this file (default: every dashboard under "
                             f"{DASHBOARDS_DIR.relative_to(REPO)})")
    args = parser.parse_args(argv)
    if args.output is not None:
        targets = {args.output: render(build())}
    else:
        targets = {path: render(board) for path, board in dashboards().items()}
    if args.check:
        stale = [path for path, text in targets.items() if _stale(path, text)]
        return 1 if stale else 0
    for path, text in targets.items():
        _write(path, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
