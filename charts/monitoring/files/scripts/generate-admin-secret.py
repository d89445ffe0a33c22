# Creates the Grafana admin Secret if it does not exist yet; never changes an existing one.
# Runs in a Helm hook Job with a ServiceAccount allowed to get and create that one Secret.
import base64
import json
import os
import secrets
import ssl
import sys
import urllib.error
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"
name = os.environ["SECRET_NAME"]
with open(f"{SA}/namespace") as f:
    namespace = f.read().strip()
with open(f"{SA}/token") as f:
    token = f.read().strip()
host = os.environ["KUBERNETES_SERVICE_HOST"]
host = f"[{host}]" if ":" in host else host
base = (
    f"https://{host}:{os.environ['KUBERNETES_SERVICE_PORT']}/api/v1/namespaces/{namespace}/secrets"
)
context = ssl.create_default_context(cafile=f"{SA}/ca.crt")


def call(method, url, body=None):
    request = urllib.request.Request(url, method=method, data=body)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:  # noqa: S310
        return response.status


def b64(text):
    return base64.b64encode(text.encode()).decode()


try:
    call("GET", f"{base}/{name}")
    print(f"Secret {name} exists: kept")
    sys.exit(0)
except urllib.error.HTTPError as error:
    if error.code != 404:
        raise
secret = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": name, "labels": json.loads(os.environ["SECRET_LABELS"])},
    "type": "Opaque",
    "data": {
        os.environ["USER_KEY"]: b64(os.environ["ADMIN_USER"]),
        os.environ["PASSWORD_KEY"]: b64(secrets.token_urlsafe(24)),
    },
}
try:
    call("POST", base, json.dumps(secret).encode())
    print(f"Secret {name} created")
except urllib.error.HTTPError as error:
    if error.code != 409:  # created meanwhile by a concurrent run: keep that one
        raise
    print(f"Secret {name} exists: kept")
