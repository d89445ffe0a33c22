"""The service detail dashboard: one service, by pod and by route."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import statetimeline
from grafana_foundation_sdk.models import dashboard as dm

from grafana.panels import (
    AVAILABILITY_BUDGET,
    DS,
    LATENCY_THRESHOLD,
    POD,
    RATE,
    ROUTE,
    base,
    graph,
    quantile,
    query,
    rate,
    ratio,
    variables,
)


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
