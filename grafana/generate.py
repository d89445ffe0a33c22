"""The MeatyAPIs Grafana dashboards, as code (grafana-foundation-sdk).

`python -m grafana.generate` (make dashboards) writes grafana/dashboards/*.json (sorted keys,
deterministic) and copies them into the charts that package them (Helm cannot read files
outside a chart): charts/monitoring/files/dashboards/ and charts/meatyapis/files/dashboards/.

The queries follow docs/observability.md: rate, errors and latency all come from
`http_request_duration_seconds_count` / `_bucket`; `namespace`, `service` and `pod` are target
labels. Every panel uses the `${datasource}` variable, so the JSON imports into any Grafana.
The ratios are built as the recording rules build them (prometheus/generate.py): 0 for a group
with requests and no bad event, no data only without requests, whole-number buckets matched in
both spellings.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm

from prometheus import generate as rules

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "grafana" / "dashboards"
CHART_COPIES = (
    ROOT / "charts" / "monitoring" / "files" / "dashboards",
    ROOT / "charts" / "meatyapis" / "files" / "dashboards",
)

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


def overview() -> db.Dashboard:
    d = base(
        "meatyapis-overview",
        "MeatyAPIs overview",
        "RED per service and route: request rate, 5xx and 4xx ratios, latency quantiles from "
        "the histograms, in-flight requests, with the SLO thresholds drawn in.",
    ).variables(variables())
    d = (
        d.with_row(db.Row("Summary"))
        .with_panel(
            single(
                "Request rate",
                "reqps",
                query(rate(ROUTE, "service"), "{{service}}"),
                description="Requests per second answered by each service.",
            )
        )
        .with_panel(
            single(
                "5xx ratio",
                "percentunit",
                query(ratio(ROUTE, "service", "5.."), "{{service}}"),
                description="Share of requests answered with a 5xx (availability SLO: 99.9 %).",
                thresholds=((None, "green"), (AVAILABILITY_BUDGET, "red")),
            )
        )
        .with_panel(
            single(
                "p99 latency",
                "s",
                query(quantile("0.99", ROUTE, "service"), "{{service}}"),
                description="99th percentile of request duration (SLO: 99 % within 0.25 s).",
                thresholds=((None, "green"), (LATENCY_THRESHOLD, "red")),
            )
        )
        .with_panel(
            single(
                "Targets up",
                "short",
                query(f"sum by (service) (up{{{POD}}})", "{{service}}"),
                description="Pods Prometheus scrapes successfully, per service.",
            )
        )
        .with_row(db.Row("Rate"))
        .with_panel(
            graph(
                "Request rate by service",
                "reqps",
                [query(rate(ROUTE, "service"), "{{service}}")],
                description="Requests per second, all routes together.",
                span=8,
            )
        )
        .with_panel(
            graph(
                "Request rate by route",
                "reqps",
                [
                    query(
                        rate(ROUTE, "service, handler, method"),
                        "{{service}} {{method}} {{handler}}",
                    )
                ],
                description="Requests per second per route template and method.",
                span=16,
            )
        )
        .with_row(db.Row("Errors"))
        .with_panel(
            graph(
                "5xx ratio by service",
                "percentunit",
                [query(ratio(ROUTE, "service", "5.."), "{{service}}")],
                description="Server errors / all requests. Dashed line: the 0.1 % error budget.",
                slo_line=AVAILABILITY_BUDGET,
            )
        )
        .with_panel(
            graph(
                "4xx ratio by service",
                "percentunit",
                [query(ratio(ROUTE, "service", "4.."), "{{service}}")],
                description="Client errors / all requests (not counted against the SLO).",
            )
        )
        .with_panel(
            graph(
                "5xx ratio by route",
                "percentunit",
                [query(ratio(ROUTE, "service, handler", "5.."), "{{service}} {{handler}}")],
                description="Server errors / requests, per route.",
                slo_line=AVAILABILITY_BUDGET,
            )
        )
        .with_panel(
            graph(
                "4xx ratio by route",
                "percentunit",
                [query(ratio(ROUTE, "service, handler", "4.."), "{{service}} {{handler}}")],
                description="Client errors / requests, per route.",
            )
        )
        .with_row(db.Row("Duration"))
        .with_panel(
            graph(
                "Latency by service",
                "s",
                latency_targets(ROUTE, "service", "{{service}}"),
                description="p50, p95 and p99 from the request duration histogram. Dashed line: "
                "the 0.25 s latency SLO threshold.",
                slo_line=LATENCY_THRESHOLD,
            )
        )
        .with_panel(
            graph(
                "p99 latency by route",
                "s",
                [query(quantile("0.99", ROUTE, "service, handler"), "{{service}} {{handler}}")],
                description="99th percentile of request duration per route.",
                slo_line=LATENCY_THRESHOLD,
            )
        )
        .with_panel(
            graph(
                "Requests within 0.25 s",
                "percentunit",
                [
                    query(
                        rules.ratio(
                            f"sum by (service) (rate({BUCKET}"
                            f"{{{ROUTE}, {rules.le_matcher(rules.LATENCY_THRESHOLD)}}}{RATE}))",
                            rate(ROUTE, "service"),
                        ),
                        "{{service}}",
                    )
                ],
                description="Share of requests faster than the SLO threshold (objective: 99 %).",
                slo_line=1 - LATENCY_BUDGET,
                max_val=1,
            )
        )
        .with_panel(
            graph(
                "In-flight requests",
                "short",
                [query(f"sum by (service) (http_requests_inprogress{{{ROUTE}}})", "{{service}}")],
                description="Requests being processed right now (saturation).",
            )
        )
    )
    return d


def service_detail() -> db.Dashboard:
    d = base(
        "meatyapis-service",
        "MeatyAPIs service detail",
        "One service in depth: per route, per status, per pod; its outbound calls and circuit "
        "breaker; its pods' resources.",
    ).variables(variables(service_multi=False))
    d = (
        d.with_row(db.Row("Per route"))
        .with_panel(
            graph(
                "Request rate by route",
                "reqps",
                [query(rate(ROUTE, "handler, method"), "{{method}} {{handler}}")],
                description="Requests per second per route and method.",
            )
        )
        .with_panel(
            graph(
                "5xx ratio by route",
                "percentunit",
                [query(ratio(ROUTE, "handler", "5.."), "{{handler}}")],
                description="Server errors / requests per route. Dashed line: the error budget.",
                slo_line=AVAILABILITY_BUDGET,
            )
        )
        .with_panel(
            graph(
                "p50 latency by route",
                "s",
                [query(quantile("0.5", ROUTE, "handler"), "{{handler}}")],
                description="Median request duration per route.",
                slo_line=LATENCY_THRESHOLD,
            )
        )
        .with_panel(
            graph(
                "p99 latency by route",
                "s",
                [query(quantile("0.99", ROUTE, "handler"), "{{handler}}")],
                description="99th percentile of request duration per route.",
                slo_line=LATENCY_THRESHOLD,
            )
        )
        .with_row(db.Row("Per status"))
        .with_panel(
            graph(
                "Responses by status",
                "reqps",
                [query(rate(ROUTE, "status"), "{{status}}")],
                description="Responses per second by status code (stacked).",
                stacked=True,
            )
        )
        .with_panel(
            graph(
                "Responses by route and status",
                "reqps",
                [query(rate(ROUTE, "handler, status"), "{{status}} {{handler}}")],
                description="Responses per second by route and status code.",
            )
        )
        .with_row(db.Row("Per pod"))
        .with_panel(
            graph(
                "Request rate by pod",
                "reqps",
                [query(rate(ROUTE, "pod"), "{{pod}}")],
                description="Is the load balanced across the pods?",
                span=8,
            )
        )
        .with_panel(
            graph(
                "5xx ratio by pod",
                "percentunit",
                [query(ratio(ROUTE, "pod", "5.."), "{{pod}}")],
                description="One bad pod stands out here.",
                slo_line=AVAILABILITY_BUDGET,
                span=8,
            )
        )
        .with_panel(
            graph(
                "p99 latency by pod",
                "s",
                [query(quantile("0.99", ROUTE, "pod"), "{{pod}}")],
                description="99th percentile of request duration per pod.",
                slo_line=LATENCY_THRESHOLD,
                span=8,
            )
        )
        .with_panel(
            graph(
                "In-flight requests by pod",
                "short",
                [query(f"sum by (pod) (http_requests_inprogress{{{ROUTE}}})", "{{pod}}")],
                description="Requests being processed per pod (all workers together).",
                span=8,
            )
        )
        .with_panel(
            graph(
                "Scrape health by pod",
                "short",
                [query(f"min by (pod) (up{{{POD}}})", "{{pod}}")],
                description="1 = Prometheus scrapes the pod, 0 = the scrape fails.",
                span=8,
                max_val=1,
            )
        )
        .with_panel(
            graph(
                "Scrape duration by pod",
                "s",
                [query(f"max by (pod) (scrape_duration_seconds{{{POD}}})", "{{pod}}")],
                description="Time /metrics takes to answer (alert above 1 s on average).",
                span=8,
            )
        )
        .with_row(db.Row("Outbound calls"))
        .with_panel(
            graph(
                "Outbound calls by target and outcome",
                "reqps",
                [
                    query(
                        "sum by (target, outcome) "
                        f"(rate(meatyapis_outbound_requests_total{{{POD}}}{RATE}))",
                        "{{target}} {{outcome}}",
                    )
                ],
                description="Calls to other services: success, error, timeout, rejected (circuit "
                "open).",
                span=8,
            )
        )
        .with_panel(
            graph(
                "Outbound call latency",
                "s",
                [
                    query(
                        quantile(
                            q, POD, "target", "meatyapis_outbound_request_duration_seconds_bucket"
                        ),
                        f"{{{{target}}}} p{int(float(q) * 100)}",
                    )
                    for q in ("0.5", "0.99")
                ],
                description="p50 and p99 of the outbound call duration per target.",
                span=8,
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("Circuit breaker state")
            .description("Per target and pod: closed, half-open (probing) or open (failing fast).")
            .datasource(DS)
            .span(8)
            .height(8)
            .mappings(
                [
                    dm.ValueMap(
                        options={
                            "0": dm.ValueMappingResult(text="closed", color="green", index=0),
                            "1": dm.ValueMappingResult(text="half-open", color="yellow", index=1),
                            "2": dm.ValueMappingResult(text="open", color="red", index=2),
                        }
                    )
                ]
            )
            .with_target(
                query(
                    f"max by (target, pod) (meatyapis_circuit_breaker_state{{{POD}}})",
                    "{{target}} {{pod}}",
                )
            )
        )
        .with_row(db.Row("Resources (Kubernetes: cAdvisor, kube-state-metrics)"))
        .with_panel(
            graph(
                "CPU by pod",
                "short",
                [
                    query(
                        "sum by (pod) (rate(container_cpu_usage_seconds_total"
                        f'{{namespace=~"$namespace", pod=~"$pod", container!=""}}{RATE}))',
                        "{{pod}}",
                    )
                ],
                description="CPU cores used (cAdvisor; needs a kubelet scrape job).",
                span=8,
            )
        )
        .with_panel(
            graph(
                "Memory by pod",
                "bytes",
                [
                    query(
                        "sum by (pod) (container_memory_working_set_bytes"
                        '{namespace=~"$namespace", pod=~"$pod", container!=""})',
                        "{{pod}}",
                    )
                ],
                description="Working set memory (cAdvisor; needs a kubelet scrape job).",
                span=8,
            )
        )
        .with_panel(
            graph(
                "Container restarts by pod",
                "short",
                [
                    query(
                        "sum by (pod) (increase(kube_pod_container_status_restarts_total"
                        '{namespace=~"$namespace", pod=~"$pod"}[1h]))',
                        "{{pod}}",
                    )
                ],
                description="Restarts over the last hour (kube-state-metrics).",
                span=8,
            )
        )
    )
    return d


def slo() -> db.Dashboard:
    window = (
        db.CustomVariable("window")
        .label("SLO window")
        .values("30d,28d,7d")
        .current(dm.VariableOption(text="30d", value="30d", selected=True))
    )
    d = (
        base(
            "meatyapis-slo",
            "MeatyAPIs SLO",
            "Error budgets and burn rates of the availability (99.9 % without a 5xx) and latency "
            "(99 % within 0.25 s) SLOs, from the recording rules in prometheus/rules/.",
        )
        .variables([*variables(with_pod=False, with_route=False), window])
        .time("now-7d", "now")
    )
    slos = (
        ("Availability", "http_requests_5xx", AVAILABILITY_BUDGET),
        ("Latency", "http_requests_slow", LATENCY_BUDGET),
    )
    d = d.with_row(db.Row("Error budget"))
    for name, bad, budget in slos:
        over_window = rules.ratio(
            f"sum_over_time(namespace_service:{bad}:rate5m{{{SVC}}}[$window])",
            f"sum_over_time(namespace_service:http_requests:rate5m{{{SVC}}}[$window])",
        )
        spent = f"(\n{over_window}\n)"
        d = d.with_panel(
            single(
                f"{name}: error budget remaining",
                "percentunit",
                query(f"1 - {spent} / {budget:g}", "{{service}}"),
                description=f"Share of the {name.lower()} error budget ({budget:.1%} of requests) "
                "left over the SLO window, request-weighted.",
                thresholds=((None, "red"), (0, "orange"), (0.25, "green")),
            )
        ).with_panel(
            single(
                f"{name}: SLI over the window",
                "percentunit",
                query(f"1 - {spent}", "{{service}}"),
                description=f"Good requests / all requests over the SLO window (objective "
                f"{1 - budget:.1%}).",
                thresholds=((None, "red"), (1 - budget, "green")),
            )
        )
    for name, bad, budget in slos:
        d = (
            d.with_row(db.Row(f"{name} burn rate"))
            .with_panel(
                graph(
                    f"{name} burn rate: paging windows",
                    "short",
                    [
                        query(
                            f"namespace_service:{bad}:ratio_rate{w}{{{SVC}}} / {budget:g}",
                            f"{{{{service}}}} {w}",
                        )
                        for w in ("5m", "1h", "30m", "6h")
                    ],
                    description="Budget burn rate (1 = spending exactly the budget over the "
                    "window). Pages at 14.4 (1h and 5m) or 6 (6h and 30m).",
                    slo_line=6,
                )
            )
            .with_panel(
                graph(
                    f"{name} burn rate: ticket windows",
                    "short",
                    [
                        query(
                            f"namespace_service:{bad}:ratio_rate{w}{{{SVC}}} / {budget:g}",
                            f"{{{{service}}}} {w}",
                        )
                        for w in ("2h", "1d", "6h", "3d")
                    ],
                    description="Opens a ticket at 3 (1d and 2h) or 1 (3d and 6h).",
                    slo_line=1,
                )
            )
        )
    return d


DASHBOARDS = {
    "meatyapis-overview.json": overview,
    "meatyapis-service-detail.json": service_detail,
    "meatyapis-slo.json": slo,
}


def render(name: str) -> str:
    model = DASHBOARDS[name]().build()
    data = json.loads(JSONEncoder(sort_keys=True).encode(model))
    for number, panel in enumerate(data["panels"], 1):  # unique, stable ids (rows included)
        panel["id"] = number
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def main() -> int:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        (OUT_DIR / name).write_text(render(name))
    for copy_dir in CHART_COPIES:
        copy_dir.mkdir(parents=True, exist_ok=True)
        for name in DASHBOARDS:
            shutil.copyfile(OUT_DIR / name, copy_dir / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
