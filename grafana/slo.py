"""The SLO dashboard: availability and latency objectives, error budgets and burn rates."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from grafana.panels import (
    AVAILABILITY_BUDGET,
    LATENCY_BUDGET,
    SVC,
    base,
    graph,
    query,
    single,
    variables,
)
from prometheus import generate as rules


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
    burn_windows = (  # the alerts' window pairs, their threshold line and what it means
        ("paging", ("5m", "1h", "30m", "6h"), 6,
         "Budget burn rate (1 = spending exactly the budget over the window). Pages at 14.4 "
         "(1h and 5m) or 6 (6h and 30m)."),
        ("ticket", ("2h", "1d", "6h", "3d"), 1,
         "Opens a ticket at 3 (1d and 2h) or 1 (3d and 6h)."),
    )  # fmt: skip
    for name, bad, budget in slos:
        d = d.with_row(db.Row(f"{name} burn rate"))
        for kind, windows, line, description in burn_windows:
            d = d.with_panel(
                graph(
                    f"{name} burn rate: {kind} windows",
                    "short",
                    [
                        query(
                            f"namespace_service:{bad}:ratio_rate{w}{{{SVC}}} / {budget:g}",
                            f"{{{{service}}}} {w}",
                        )
                        for w in windows
                    ],
                    description=description,
                    slo_line=line,
                )
            )
    return d
