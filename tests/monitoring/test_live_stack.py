"""The live proof: both services (several gunicorn workers each) and a real Prometheus whose
configuration, rules and flags come from `helm template charts/monitoring` (Kubernetes pod
discovery swapped for the same pods as static targets, see prometheus/local.py), real traffic.
It runs on Debian's Prometheus 2.x and on Prometheus 3 (what the chart and compose.yaml deploy;
`.tools/bin/prometheus3`, installed by scripts/install-tools.sh).

First healthy traffic (reads, authenticated writes, 401s and 404s, no 5xx): every dashboard
query and recording rule has data, the error ratios are 0 and the error budget is whole. Then
errors are injected.

Alerts fire and resolve within the test's time by loading, next to the real rules, the same SLO
rules and alerts time-compressed 60x (`prometheus.generate.rule_groups(time_scale=60)`: windows
and `for:` divided by 60, e.g. 1h/5m -> 1m/5s) through the chart's `prometheus.extraRuleGroups`
value. The thresholds, expressions and rule structure are the real ones; the promtool unit tests
prove the real windows and durations.
"""

from __future__ import annotations

import email.message
from collections.abc import Iterator

import httpx
import pytest

from tests.monitoring.live_checks import (
    alert_rules,
    check_dashboards,
    check_healthy,
    check_recording_rules,
    inject_errors,
    serving,
)
from tests.monitoring.live_stack import (
    ACCEPT_PROBE,
    COMPRESSED_ALERTS,
    FASTAPI,
    FLASK,
    NAMESPACE,
    PROMETHEUS_BINARIES,
    Stack,
    running_stack,
    traffic,
)
from tests.support.processes import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXPOSITION_FORMATS = {
    "text/plain": {"0.0.4", "1.0.0"},
    "application/openmetrics-text": {"0.0.1", "1.0.0"},
}


@pytest.fixture(scope="module", params=sorted(PROMETHEUS_BINARIES))
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with running_stack(request.param, tmp_path_factory.mktemp(f"live-{request.param}")) as stack:
        yield stack


def test_metrics_content_type(stack: Stack) -> None:
    """Both services answer a real scrape (the Accept header this Prometheus sends) with a
    Content-Type Prometheus parses: Prometheus 3 fails a scrape with a missing or unknown one,
    and the chart's fallback_scrape_protocol is only a safety net for other pods."""
    assert wait_until(lambda: stack.accept.accept, timeout=30), "the probe target was not scraped"
    sent = stack.accept.accept[-1]
    assert "text/plain" in sent, sent
    for service in (stack.flask, stack.fastapi):
        response = httpx.get(service.metrics_url, headers={"Accept": sent}, timeout=10)
        assert response.status_code == 200, service.name
        header = email.message.Message()
        header["Content-Type"] = response.headers.get("Content-Type", "")
        media_type = header.get_content_type()
        assert media_type in EXPOSITION_FORMATS, f"{service.name}: {header['Content-Type']}"
        version = header.get_param("version")
        assert version in EXPOSITION_FORMATS[media_type], (
            f"{service.name}: {header['Content-Type']}"
        )
        assert str(header.get_param("charset", "utf-8")).lower() == "utf-8", service.name
        assert "meatyapis_build_info" in response.text, service.name


def test_live_stack(stack: Stack) -> None:
    # 1. every target is up, with the labels the chart's relabeling produces
    assert wait_until(lambda: len(stack.query("up == 1")) == 4, timeout=30), stack.query("up")
    jobs = {r["metric"]["job"] for r in stack.query("up")}
    assert jobs == {"prometheus", "kubernetes-pods", ACCEPT_PROBE}
    labels = {r["metric"]["service"]: r["metric"] for r in stack.query('up{service!=""}')}
    for pod in stack.pods:
        app = pod.labels["app.kubernetes.io/name"]
        assert labels[app]["namespace"] == NAMESPACE
        assert labels[app]["pod"] == f"{app}-0"
        assert labels[app]["instance"] == pod.address
    assert stack.query('prometheus_build_info{job="prometheus"}')[0]["metric"][
        "version"
    ].startswith(f"{stack.version}.")

    with traffic(stack):
        # 2. healthy traffic: every panel and recording rule has data; no error, a whole budget
        assert wait_until(lambda: serving(stack) == {FLASK, FASTAPI}, timeout=45), stack.query(
            "http_request_duration_seconds_count"
        )
        check_healthy(stack)

        # 3. inject errors: the availability alert fires (compressed copy) and the real alert's
        # condition holds on the real recordings
        inject_errors(stack.flask_db, on=True)
        try:
            assert wait_until(
                lambda: stack.firing(
                    COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FLASK
                ),
                timeout=60,
                interval=1,
            ), stack.alerts(COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast")
            assert not stack.firing(
                COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FASTAPI
            )
            fast = next(
                a for a in alert_rules() if a["alert"] == "MeatyAPIsAvailabilityBudgetBurnFast"
            )
            assert wait_until(
                lambda: FLASK in {r["metric"]["service"] for r in stack.query(fast["expr"])},
                timeout=30,
                interval=1,
            )

            # 4. with errors and 4xx in the data: every dashboard query and recording rule
            assert check_dashboards(stack) == []
            check_recording_rules(stack)
        finally:
            inject_errors(stack.flask_db, on=False)

        # 5. errors stop: the alert resolves once the short windows are clean
        assert wait_until(
            lambda: (
                not stack.firing(COMPRESSED_ALERTS, "MeatyAPIsAvailabilityBudgetBurnFast", FLASK)
            ),
            timeout=90,
            interval=1,
        )

        # 6. a service dies: target-down fires; it comes back: resolved
        stack.fastapi.kill()
        assert wait_until(
            lambda: stack.firing(COMPRESSED_ALERTS, "MeatyAPIsTargetDown", FASTAPI),
            timeout=45,
            interval=1,
        ), stack.alerts(COMPRESSED_ALERTS, "MeatyAPIsTargetDown")
        stack.fastapi.start()
        assert wait_until(
            lambda: not stack.firing(COMPRESSED_ALERTS, "MeatyAPIsTargetDown", FASTAPI),
            timeout=45,
            interval=1,
        )
        assert stack.query(f'up{{service="{FASTAPI}"}}')[0]["value"][1] == "1"
