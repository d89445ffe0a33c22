# `helm test`: Prometheus is ready and answers queries, Grafana is healthy, and Grafana's
# provisioned Prometheus datasource works (queried through Grafana with the admin account).
import base64
import json
import os
import sys
import urllib.request

prometheus, grafana = os.environ["PROMETHEUS_URL"], os.environ["GRAFANA_URL"]


def secret(key):
    with open(os.path.join(os.environ["ADMIN_DIR"], os.environ[key])) as f:
        return f.read().strip()


def get(url, authenticated=False):
    request = urllib.request.Request(url)  # noqa: S310
    if authenticated:
        auth = base64.b64encode(f"{secret('USER_KEY')}:{secret('PASSWORD_KEY')}".encode())
        request.add_header("Authorization", f"Basic {auth.decode()}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read().decode()


status, body = get(f"{prometheus}/-/ready")
assert status == 200, f"Prometheus /-/ready: {status} {body}"
status, body = get(f"{prometheus}/api/v1/query?query=up")
assert json.loads(body)["status"] == "success", body
print("prometheus: ready, answers queries")
if grafana:
    status, body = get(f"{grafana}/api/health")
    assert json.loads(body)["database"] == "ok", body
    status, body = get(f"{grafana}/api/datasources/uid/prometheus/health", authenticated=True)
    assert json.loads(body)["status"] == "OK", body
    print("grafana: healthy, Prometheus datasource OK")
sys.exit(0)
