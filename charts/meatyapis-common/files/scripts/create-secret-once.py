# Creates a Secret if it does not exist yet and never changes an existing one, so a value
# generated here survives upgrades and GitOps syncs. Runs in a Helm hook Job whose ServiceAccount
# may get that one Secret and create Secrets; talks to the API server with urllib only.
#   SECRET_NAME          name of the Secret
#   SECRET_RANDOM_KEYS   comma-separated keys that get a fresh random value (64 URL-safe chars)
#   SECRET_LITERALS      JSON object of keys with given values (optional)
#   SECRET_LABELS        JSON object of labels (optional)
#   SERVICEACCOUNT_DIR   token, ca.crt and namespace (default: the mounted ServiceAccount)
import base64
import json
import os
import secrets
import ssl
import urllib.error
import urllib.request

sa = os.environ.get("SERVICEACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
name = os.environ["SECRET_NAME"]
with open(f"{sa}/namespace") as f:
    namespace = f.read().strip()
with open(f"{sa}/token") as f:
    token = f.read().strip()
host = os.environ["KUBERNETES_SERVICE_HOST"]
host = f"[{host}]" if ":" in host else host
port = os.environ["KUBERNETES_SERVICE_PORT"]
collection = f"https://{host}:{port}/api/v1/namespaces/{namespace}/secrets"
context = ssl.create_default_context(cafile=f"{sa}/ca.crt")


def call(method, url, body=None):
    request = urllib.request.Request(url, method=method, data=body)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, context=context, timeout=10):  # noqa: S310
        pass


def b64(text):
    return base64.b64encode(text.encode()).decode()


def create():
    values = json.loads(os.environ.get("SECRET_LITERALS") or "{}")
    for key in filter(None, os.environ.get("SECRET_RANDOM_KEYS", "").split(",")):
        values[key.strip()] = secrets.token_urlsafe(48)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": json.loads(os.environ.get("SECRET_LABELS") or "{}")},
        "type": "Opaque",
        "data": {key: b64(value) for key, value in values.items()},
    }
    try:
        call("POST", collection, json.dumps(secret).encode())
    except urllib.error.HTTPError as error:
        if error.code != 409:
            raise
        return "created meanwhile by another run: kept"  # keep the first one
    return "created"


try:
    call("GET", f"{collection}/{name}")
    outcome = "exists: kept"
except urllib.error.HTTPError as error:
    if error.code != 404:
        raise
    outcome = create()
print(f"Secret {namespace}/{name} {outcome}")
