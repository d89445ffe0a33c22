"""Building blocks of the dashboards: data source, label matchers, panels, variables and the
queries, built as the recording rules build them (prometheus/generate.py): 0 for a group with
requests and no bad event, no data only without requests, whole-number buckets matched in both
spellings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from prometheus import generate as rules

DS = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
REQ = "http_request_duration_seconds_count"
BUCKET = "http_request_duration_seconds_bucket"
RATE = "[$__rate_interval]"
AVAILABILITY_BUDGET = 0.001  # 99.9 % availability SLO (docs/observability.md)
LATENCY_BUDGET = 0.01  # 99 % of requests within LATENCY_THRESHOLD
LATENCY_THRESHOLD = float(rules.LATENCY_THRESHOLD)
TAGS = ["meatyapis"]

# Label matchers, by how far the dashboard narrows down.
SVC = 'namespace=~"$namespace", service=~"$service"'
POD = f'{SVC}, pod=~"$pod"'
ROUTE = f'{POD}, handler=~"$route"'


# ---- building blocks ---------------------------------------------------------------------


def query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(DS)


def _thresholds(*steps: tuple[float | None, str]) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


def graph(
    title: str,
    unit: str,
    targets: Sequence[prometheus.Dataquery],
    *,
    description: str,
    span: int = 12,
    slo_line: float | None = None,
    stacked: bool = False,
    max_val: float | None = None,
) -> timeseries.Panel:
    """A time series panel; `slo_line` draws the SLO threshold as a dashed red line."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DS)
        .unit(unit)
        .min(0)
        .span(span)
        .height(8)
        .line_width(1)
        .fill_opacity(10 if not stacked else 60)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.RIGHT)
            .show_legend(True)
            .calcs(["mean", "max", "lastNotNull"])
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    if max_val is not None:
        panel = panel.max(max_val)
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL))
    if slo_line is not None:
        panel = panel.thresholds(
            _thresholds((None, "transparent"), (slo_line, "red"))
        ).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.DASHED
            )
        )
    for i, target in enumerate(targets):
        panel = panel.with_target(target.ref_id(chr(ord("A") + i)))
    return panel


def single(
    title: str,
    unit: str,
    target: prometheus.Dataquery,
    *,
    description: str,
    span: int = 6,
    thresholds: Sequence[tuple[float | None, str]] = ((None, "green"),),
) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DS)
        .unit(unit)
        .span(span)
        .height(4)
        .graph_mode(common.BigValueGraphMode.AREA)
        .color_mode(common.BigValueColorMode.VALUE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
        .thresholds(_thresholds(*thresholds))
        .with_target(target)
    )


def _ds_variable() -> db.DatasourceVariable:
    return db.DatasourceVariable("datasource").label("Data source").type("prometheus")


def _query_variable(
    name: str, label: str, expr: str, *, multi: bool = True, include_all: bool = True
) -> db.QueryVariable:
    var = (
        db.QueryVariable(name)
        .label(label)
        .datasource(DS)
        .query(expr)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
        .include_all(include_all)
    )
    if include_all:
        var = var.all_value(".*")
    return var


def variables(
    *, service_multi: bool = True, with_pod: bool = True, with_route: bool = True
) -> list[Any]:
    found = [
        _ds_variable(),
        _query_variable("namespace", "Namespace", f"label_values({REQ}, namespace)"),
        _query_variable(
            "service",
            "Service",
            f'label_values({REQ}{{namespace=~"$namespace"}}, service)',
            multi=service_multi,
            include_all=service_multi,
        ),
    ]
    if with_pod:
        found.append(_query_variable("pod", "Pod", f"label_values({REQ}{{{SVC}}}, pod)"))
    if with_route:
        found.append(
            _query_variable("route", "Route (handler)", f"label_values({REQ}{{{SVC}}}, handler)")
        )
    return found


def base(uid: str, title: str, description: str) -> db.Dashboard:
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .editable()
        .refresh("30s")
        .time("now-1h", "now")
        .timezone(common.TimeZoneBrowser)
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .link(
            db.DashboardLink("MeatyAPIs")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(TAGS)
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def rate(selector: str, by: str, extra: str = "") -> str:
    sel = f"{selector}, {extra}" if extra else selector
    return f"sum by ({by}) (rate({REQ}{{{sel}}}{RATE}))"


def ratio(selector: str, by: str, status: str) -> str:
    total = rate(selector, by)
    bad = rate(selector, by, f'status=~"{status}"')
    return rules.ratio(f"(\n{rules.or_zero(bad, total)}\n)", total)


def quantile(q: str, selector: str, by: str, metric: str = BUCKET) -> str:
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}{{{selector}}}{RATE})))"


def latency_targets(selector: str, by: str, legend: str) -> list[prometheus.Dataquery]:
    return [
        query(quantile(q, selector, by), f"{legend} p{int(float(q) * 100)}")
        for q in ("0.5", "0.95", "0.99")
    ]


# ---- the dashboards ----------------------------------------------------------------------
