"""The overview dashboard: every service at a glance."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana.panels import (
    AVAILABILITY_BUDGET,
    BUCKET,
    LATENCY_BUDGET,
    LATENCY_THRESHOLD,
    POD,
    RATE,
    ROUTE,
    base,
    graph,
    latency_targets,
    quantile,
    query,
    rate,
    ratio,
    single,
    variables,
)
from prometheus import generate as rules


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
