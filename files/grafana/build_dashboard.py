# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generate the provisioned Grafana dashboards from the panel queries, with Grafana's typed SDK.

Each panel's SQL lives in ``templates/sql/queries/<panel>.sql``, so that the dashboard, the
integration tests and the benchmarks run the same text. This script holds everything else
(panel types, titles, layout, field options) and writes, under ``files/grafana/dashboards/``:

* ``retail-realtime.json``: the five panels on product_transactions, for the schema profiles
  ``seed`` and ``optimized`` (roles/singlestore; both have the same table and columns);
* ``retail-realtime-rollup.json``: the same panels for the profile ``rollup``; a panel whose
  query has a file in ``templates/sql/queries/rollup/`` reads the per-second table instead;
* ``singlestore-slow-queries.json``: the slow queries kept by the event trace
  (``templates/sql/queries/traces/``; SingleStore only, refreshed every 10 s, not 250 ms).

The dashboards, panels, field configs, options and data source references are built with the
builders of ``grafana-foundation-sdk`` (Grafana's own typed SDK, generated from Grafana's
schemas; the pinned version and why are in requirements/test.txt and docs/grafana.md), so a
field name or a value the schema does not know fails here, not silently in Grafana. The SDK has
no type for the MySQL data source's query, so :class:`MySQLQuery` below implements the SDK's
``Dataquery`` variant with the SQL data sources' target fields (refId, datasource, rawSql,
format, rawQuery, editorMode) and registers it, so the SDK reads the targets back too.

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
not start the refresh timer; roles/grafana checks both against grafana_min_refresh_interval).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from grafana_foundation_sdk.builders import barchart, common as common_b, dashboard as dashboard_b
from grafana_foundation_sdk.builders import gauge, geomap, stat, table, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder, runtime as cogruntime, variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common, dashboard as dashboard_m, geomap as geomap_m

REPO = Path(__file__).resolve().parents[2]
QUERIES_DIR = REPO / "templates" / "sql" / "queries"
ROLLUP_DIR = QUERIES_DIR / "rollup"
TRACES_DIR = QUERIES_DIR / "traces"
DASHBOARDS_DIR = REPO / "files" / "grafana" / "dashboards"
OUTPUT = DASHBOARDS_DIR / "retail-realtime.json"
ROLLUP_OUTPUT = DASHBOARDS_DIR / "retail-realtime-rollup.json"
SLOW_QUERIES_OUTPUT = DASHBOARDS_DIR / "singlestore-slow-queries.json"

DATASOURCE_TYPE = "mysql"
DATASOURCE_UID = "singlestore"
DASHBOARD_UID = "retail-realtime"
DASHBOARD_TITLE = "Retail real-time"
ROLLUP_UID = "retail-realtime-rollup"
ROLLUP_TITLE = "Retail real-time (rollup)"
SLOW_QUERIES_UID = "singlestore-slow-queries"
SLOW_QUERIES_TITLE = "SingleStore slow queries"
SLOW_QUERIES_REFRESH = "10s"
REFRESH = "250ms"
REFRESH_INTERVALS = ["250ms", "500ms", "1s", "2s", "5s", "10s", "30s", "1m"]
TIME_RANGE = ("now-5m", "now")


# -- the MySQL target ------------------------------------------------------------------------------

class MySQLQuery(cogvariants.Dataquery):
    """A target of Grafana's MySQL data source (the SQL data sources' query model).

    ``format`` is ``table`` or ``time_series``; ``rawQuery: true`` with ``editorMode: code`` keeps
    Grafana's visual query builder from rewriting ``rawSql``.
    """

    FORMATS = ("table", "time_series")
    EDITOR_MODES = ("code", "builder")

    def __init__(self, ref_id: str = "A", datasource: Optional[common.DataSourceRef] = None, raw_sql: str = "",
                 format_val: str = "table", raw_query: bool = True, editor_mode: str = "code") -> None:
        if format_val not in self.FORMATS:
            raise ValueError(f"format {format_val!r} is not one of {self.FORMATS}")
        if editor_mode not in self.EDITOR_MODES:
            raise ValueError(f"editorMode {editor_mode!r} is not one of {self.EDITOR_MODES}")
        self.ref_id = ref_id
        self.datasource = datasource
        self.raw_sql = raw_sql
        self.format_val = format_val
        self.raw_query = raw_query
        self.editor_mode = editor_mode

    def to_json(self) -> Dict[str, object]:
        payload: Dict[str, object] = {"refId": self.ref_id}
        if self.datasource is not None:
            payload["datasource"] = self.datasource
        payload.update({"rawQuery": self.raw_query, "editorMode": self.editor_mode, "format": self.format_val,
                        "rawSql": self.raw_sql})
        return payload

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "MySQLQuery":
        return cls(ref_id=data.get("refId", "A"),
                   datasource=common.DataSourceRef.from_json(data["datasource"]) if "datasource" in data else None,
                   raw_sql=data.get("rawSql", ""), format_val=data.get("format", "table"),
                   raw_query=data.get("rawQuery", False), editor_mode=data.get("editorMode", "builder"))


class MySQLQueryBuilder(cogbuilder.Builder[cogvariants.Dataquery]):
    """Builder of :class:`MySQLQuery`, in the SDK's builder style."""

    def __init__(self, raw_sql: str) -> None:
        self._internal = MySQLQuery(raw_sql=raw_sql)

    def build(self) -> MySQLQuery:
        return self._internal

    def ref_id(self, ref_id: str) -> "MySQLQueryBuilder":
        self._internal.ref_id = ref_id
        return self

    def datasource(self, ref: common.DataSourceRef) -> "MySQLQueryBuilder":
        self._internal.datasource = ref
        return self

    def format(self, format_val: str) -> "MySQLQueryBuilder":
        if format_val not in MySQLQuery.FORMATS:
            raise ValueError(f"format {format_val!r} is not one of {MySQLQuery.FORMATS}")
        self._internal.format_val = format_val
        return self


# The SDK's runtime then reads a target whose datasource type is mysql back as a MySQLQuery.
cogruntime.Runtime().register_dataquery_variant(
    cogruntime.DataqueryConfig(identifier=DATASOURCE_TYPE, from_json_hook=MySQLQuery.from_json))


class _Built(cogbuilder.Builder[Any]):
    """A typed model the SDK has no builder method for (the geomap view's ``id``), as a builder."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def build(self) -> Any:
        return self._model


def datasource_ref() -> common.DataSourceRef:
    return common.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)


# -- queries ---------------------------------------------------------------------------------------

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


# -- panels ----------------------------------------------------------------------------------------

def _thresholds(*steps: Tuple[Optional[float], str]) -> dashboard_b.ThresholdsConfig:
    return dashboard_b.ThresholdsConfig().mode(dashboard_m.ThresholdsMode.ABSOLUTE).steps(
        [dashboard_m.Threshold(value=value, color=color) for value, color in steps])


def _colors(mode: dashboard_m.FieldColorModeId) -> dashboard_b.FieldColor:
    return dashboard_b.FieldColor().mode(mode)


GREEN_ONLY = ((None, "green"),)

# How the rollup dashboard's panels answer (appended to their descriptions).
ROLLUP_NOTE = {
    "total_transactions": "the sum of store_sales_per_second.transactions (one row per store and second)",
    "revenue_per_city_60s": "store_sales_per_second, the whole seconds from UTC_TIMESTAMP() - 60 s on",
    "transactions_per_store": "store_sales_per_second, the seconds from the range's start up to its end",
}


def _with_query(panel: Any, panel_id: int, query: str, title: str, description: str, fmt: str,
                grid: Tuple[int, int, int, int], queries_dir: Path, overrides_dir: Optional[Path]) -> Any:
    """The settings every panel has: id, title, description, position, data source and its one target."""
    source = query_file(query, queries_dir, overrides_dir)
    if source.parent != queries_dir:
        description += f" Rollup profile: {ROLLUP_NOTE.get(query, 'reads the per-second table')}."
    x, y, w, h = grid
    return (panel.id(panel_id).title(title).description(description)
            .grid_pos(dashboard_m.GridPos(x=x, y=y, w=w, h=h))
            .datasource(datasource_ref())
            .with_target(MySQLQueryBuilder(load_query(query, source.parent)).ref_id("A").datasource(datasource_ref())
                         .format(fmt)))


def _total_transactions() -> Any:
    return (gauge.Panel().unit("short").min(0).decimals(0)
            .color_scheme(_colors(dashboard_m.FieldColorModeId.THRESHOLDS)).thresholds(_thresholds(*GREEN_ONLY))
            .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
            .orientation(common.VizOrientation.AUTO).show_threshold_markers(False).show_threshold_labels(False))


def _revenue_per_city() -> Any:
    return (barchart.Panel().unit("currencyEUR").min(0)
            .color_scheme(_colors(dashboard_m.FieldColorModeId.PALETTE_CLASSIC)).thresholds(_thresholds(*GREEN_ONLY))
            .x_field("city").orientation(common.VizOrientation.HORIZONTAL).show_value(common.VisibilityMode.AUTO)
            .stacking(common.StackingMode.NONE).group_width(0.7).bar_width(0.9)
            .legend(common_b.VizLegendOptions().show_legend(False).display_mode(common.LegendDisplayMode.LIST)
                    .placement(common.LegendPlacement.BOTTOM))
            .tooltip(common_b.VizTooltipOptions().mode(common.TooltipDisplayMode.SINGLE).sort(common.SortOrder.NONE)))


def _pipeline_lag() -> Any:
    return (stat.Panel().unit("short").min(0).decimals(0)
            .color_scheme(_colors(dashboard_m.FieldColorModeId.THRESHOLDS))
            .thresholds(_thresholds((None, "green"), (10000, "orange"), (100000, "red")))
            .reduce_options(common_b.ReduceDataOptions().calcs(["lastNotNull"]).fields("/^offsets_behind$/").values(True))
            .orientation(common.VizOrientation.AUTO).text_mode(common.BigValueTextMode.VALUE_AND_NAME)
            .color_mode(common.BigValueColorMode.BACKGROUND).graph_mode(common.BigValueGraphMode.NONE)
            .justify_mode(common.BigValueJustifyMode.AUTO))


# The markers layer's style has no type in the SDK (MapLayerOptions.config is an object).
STORE_MARKERS_STYLE = {
    "showLegend": False,
    "style": {
        "size": {"field": "transactions", "fixed": 5, "min": 8, "max": 40},
        "color": {"fixed": "dark-green"},
        "opacity": 0.6,
        "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
        "text": {"mode": "field", "field": "city", "fixed": ""},
        "textConfig": {"fontSize": 12, "offsetX": 0, "offsetY": -18, "textAlign": "center", "textBaseline": "middle"},
    },
}


def _transactions_per_store() -> Any:
    return (geomap.Panel().unit("short")
            .color_scheme(_colors(dashboard_m.FieldColorModeId.THRESHOLDS)).thresholds(_thresholds(*GREEN_ONLY))
            .view(_Built(geomap_m.MapViewConfig(id_val="fit", all_layers=True, padding=20, lat=0, lon=0, zoom=6)))
            .controls(geomap.ControlsOptions().show_zoom(True).mouse_wheel_zoom(True).show_attribution(True))
            .tooltip(geomap.TooltipOptions().mode(geomap_m.TooltipMode.DETAILS))
            # The SDK always writes a basemap; name Grafana's default base layer rather than an empty type.
            .basemap(common_b.MapLayerOptions().type("default").name("Basemap"))
            .layers([common_b.MapLayerOptions().type("markers").name("Stores").tooltip(True)
                     .location(common_b.FrameGeometrySource().mode(common.FrameGeometrySourceMode.COORDS)
                               .latitude("latitude").longitude("longitude"))
                     .config(STORE_MARKERS_STYLE)]))


def _ingest_rate() -> Any:
    return (timeseries.Panel().unit("short").min(0)
            .color_scheme(_colors(dashboard_m.FieldColorModeId.PALETTE_CLASSIC))
            .draw_style(common.GraphDrawStyle.LINE).line_width(1).fill_opacity(10)
            .show_points(common.VisibilityMode.NEVER).span_nulls(False)
            .legend(common_b.VizLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST)
                    .placement(common.LegendPlacement.BOTTOM).calcs([]))
            .tooltip(common_b.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)))


# (query, panel, title, description, target format, (x, y, w, h)), in display order.
PANELS = [
    ("total_transactions", _total_transactions, "Transactions (total)",
     "Every transaction loaded into product_transactions.", "table", (0, 0, 6, 8)),
    ("revenue_per_city_60s", _revenue_per_city, "Revenue per city, last 60 s",
     "Sum of total_amount per city over the last 60 seconds (transaction_date is UTC).", "table", (6, 0, 10, 8)),
    ("pipeline_lag", _pipeline_lag, "Pipeline lag (Kafka offsets behind)",
     "Per pipeline of this database: LATEST_OFFSET - CURSOR_OFFSET summed over the Kafka partitions "
     "(information_schema.PIPELINES_CURSORS).", "table", (16, 0, 8, 8)),
    ("transactions_per_store", _transactions_per_store, "Transactions per store",
     "Transactions per store in the dashboard's time range, at the store's latitude/longitude. "
     "Map tiles are fetched by the browser from the basemap provider.", "table", (0, 8, 12, 13)),
    ("ingest_rate", _ingest_rate, "Pipeline ingest rate (rows/s)",
     "Rows loaded per second by each pipeline of this database, in 5-second buckets "
     "(information_schema.PIPELINES_BATCHES_SUMMARY).", "time_series", (12, 8, 12, 13)),
]


def panel_builders(queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> List[Tuple[str, Any]]:
    """(query name, SDK panel builder) for each panel, in display order; the query is ``<name>.sql``
    (from ``overrides_dir`` when that folder has the file)."""
    return [(query, _with_query(make(), panel_id, query, title, description, fmt, grid, queries_dir, overrides_dir))
            for panel_id, (query, make, title, description, fmt, grid) in enumerate(PANELS, start=1)]


def to_dict(model: Any) -> Dict[str, Any]:
    """An SDK model as the JSON Grafana reads."""
    return json.loads(JSONEncoder().encode(model))


def panel_specs(queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> List[Tuple[str, Dict[str, Any]]]:
    """(query name, panel JSON) for each panel, in display order."""
    return [(query, to_dict(panel.build())) for query, panel in panel_builders(queries_dir, overrides_dir)]


def panels(queries_dir: Path = QUERIES_DIR, overrides_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    return [spec[1] for spec in panel_specs(queries_dir, overrides_dir)]


def _slow_queries_panel(traces_dir: Path) -> Any:
    return (table.Panel().id(1).title("Slow queries")
            .description("Queries of this database that ran longer than the event trace's threshold "
                         "(singlestore_slow_query_threshold_ms), newest first, from information_schema.MV_TRACE_EVENTS. "
                         "Empty until the role creates the trace. SingleStore only.")
            .grid_pos(dashboard_m.GridPos(x=0, y=0, w=24, h=20))
            .datasource(datasource_ref())
            .with_target(MySQLQueryBuilder(load_query("slow_queries", traces_dir)).ref_id("A").datasource(datasource_ref())
                         .format("table"))
            .color_scheme(_colors(dashboard_m.FieldColorModeId.THRESHOLDS))
            .thresholds(_thresholds((None, "green"), (100, "orange"), (250, "red")))
            .align(common.FieldTextAlignment.AUTO).cell_options(common.TableAutoCellOptions()).inspect(True)
            .override_by_name("duration_ms", [
                dashboard_m.DynamicConfigValue(id_val="unit", value="ms"),
                dashboard_m.DynamicConfigValue(id_val="custom.width", value=110),
                dashboard_m.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background"})])
            .override_by_name("finished", [dashboard_m.DynamicConfigValue(id_val="custom.width", value=190)])
            .show_header(True).cell_height(common.TableCellHeight.SM)
            .footer(common_b.TableFooterOptions().show(False).reducer(["sum"]).fields([]))
            .sort_by([common_b.TableSortByFieldState().display_name("finished").desc(True)]))


# -- dashboards ------------------------------------------------------------------------------------

def _dashboard(uid: str, title: str, description: str, panel_list: List[Any], refresh: str = REFRESH,
               time_range: Tuple[str, str] = TIME_RANGE, tags: Optional[List[str]] = None) -> Dict[str, Any]:
    board = (dashboard_b.Dashboard(title).uid(uid).description(description)
             .tags(["transactions_st", "singlestore"] + (tags or []))
             .version(1).readonly().tooltip(dashboard_m.DashboardCursorSync.OFF)
             .fiscal_year_start_month(0).week_start("").timezone("browser").live_now(False)
             .time(*time_range).refresh(refresh)
             .timepicker(dashboard_b.TimePicker().refresh_intervals(list(REFRESH_INTERVALS)))
             .links([]).variables([])
             .annotation(dashboard_b.AnnotationQuery().built_in(1)
                         .datasource(common.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
                         .enable(True).hide(True).icon_color("rgba(0, 211, 255, 1)").name("Annotations & Alerts")
                         .type("dashboard")))
    for panel in panel_list:
        board = board.with_panel(panel)
    return to_dict(board.build())


def build(queries_dir: Path = QUERIES_DIR) -> Dict[str, Any]:
    """The dashboard of the schema profiles seed and optimized (every panel on product_transactions)."""
    return _dashboard(DASHBOARD_UID, DASHBOARD_TITLE,
                      "transactions_st.realtime: retail transactions from Kafka through SingleStore, refreshed every "
                      "250 ms.", [spec[1] for spec in panel_builders(queries_dir)])


def build_rollup(queries_dir: Path = QUERIES_DIR, rollup_dir: Path = ROLLUP_DIR) -> Dict[str, Any]:
    """The dashboard of the schema profile rollup: the same panels, reading store_sales_per_second where it answers."""
    return _dashboard(ROLLUP_UID, ROLLUP_TITLE,
                      "transactions_st.realtime, schema profile rollup: the panels read the per-store, per-second table "
                      "store_sales_per_second where it answers the same question. Refreshed every 250 ms.",
                      [spec[1] for spec in panel_builders(queries_dir, rollup_dir)], tags=["rollup"])


def build_slow_queries(traces_dir: Path = TRACES_DIR) -> Dict[str, Any]:
    """SingleStore only: the queries kept by the Query_completion event trace (singlestore_slow_query_threshold_ms)."""
    return _dashboard(SLOW_QUERIES_UID, SLOW_QUERIES_TITLE,
                      "transactions_st.realtime: SingleStore queries slower than singlestore_slow_query_threshold_ms "
                      "(event trace Query_completion). SingleStore only; refreshed every 10 s, since "
                      "MV_TRACE_EVENTS asks every node.", [_slow_queries_panel(traces_dir)], refresh=SLOW_QUERIES_REFRESH,
                      time_range=("now-1h", "now"), tags=["slow-queries"])


def dashboards() -> Dict[Path, Dict[str, Any]]:
    """Every dashboard this script writes, by output file."""
    return {OUTPUT: build(), ROLLUP_OUTPUT: build_rollup(), SLOW_QUERIES_OUTPUT: build_slow_queries()}


def render(board: Dict[str, Any]) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def reparse(board: Dict[str, Any]) -> Dict[str, Any]:
    """``board`` read by the SDK's own model and written again: equal to ``board`` when every field is one the
    SDK's dashboard schema (and MySQLQuery) knows."""
    return to_dict(dashboard_m.Dashboard.from_json(board))


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
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
