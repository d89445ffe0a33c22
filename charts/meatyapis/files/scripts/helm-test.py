# `helm test`: both services ready, then register -> login -> create a product with the token.
import json
import os
import secrets
import time
import urllib.error
import urllib.request

FLASK, FASTAPI = os.environ["FLASK_URL"], os.environ["FASTAPI_URL"]


def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_ready(url, attempts=30):
    for _ in range(attempts):
        try:
            if call("GET", f"{url}/readyz")[0] == 200:
                print(f"{url}/readyz: 200")
                return
        except OSError:
            pass
        time.sleep(2)
    raise SystemExit(f"{url}/readyz never answered 200")


wait_ready(FASTAPI)
wait_ready(FLASK)
user = f"helmtest{secrets.token_hex(4)}"
password = secrets.token_urlsafe(16)
status, body = call(
    "POST",
    f"{FASTAPI}/register",
    {"username": user, "email": f"{user}@example.com", "password": password},
)
assert status == 201, f"register: {status} {body}"
status, body = call("POST", f"{FASTAPI}/login", {"username": user, "password": password})
assert status == 200, f"login: {status} {body}"
auth = {"Authorization": f"Bearer {body['access_token']}"}
product = {"name": f"helm test {user}", "price": "1.50", "quantity": 1}
status, body = call("POST", f"{FLASK}/products", product, auth)
assert status == 201, f"create product: {status} {body}"
status, body = call("DELETE", f"{FLASK}/products/{body['id']}", headers=auth)
assert status == 204, f"delete product: {status} {body}"
print("register -> login -> create product: OK")
