# `helm test`: both services ready; a registered user (a reader) logs in and is refused a write
# (403 insufficient_scope); the first administrator logs in and creates and deletes a product.
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
product = {"name": f"helm test {user}", "price": "1.50", "quantity": 1}
reader = {"Authorization": f"Bearer {body['access_token']}"}
status, body = call("POST", f"{FLASK}/products", product, reader)
assert status == 403, f"a reader's write: {status} {body}"
admin = {"username": os.environ["ADMIN_USERNAME"], "password": os.environ["ADMIN_PASSWORD"]}
status, body = call("POST", f"{FASTAPI}/login", admin)
assert status == 200, f"admin login: {status} {body}"
assert "catalog:write" in body["scope"].split(), f"admin scopes: {body['scope']!r}"
auth = {"Authorization": f"Bearer {body['access_token']}"}
status, body = call("POST", f"{FLASK}/products", product, auth)
assert status == 201, f"create product: {status} {body}"
assert body["created_by"] == admin["username"], f"created_by: {body['created_by']!r}"
status, body = call("DELETE", f"{FLASK}/products/{body['id']}", headers=auth)
assert status == 204, f"delete product: {status} {body}"
print("reader refused (403), admin creates and deletes a product: OK")
