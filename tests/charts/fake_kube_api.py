"""A fake Kubernetes API server (Secrets only) over HTTPS on 127.0.0.1, for the chart's
in-cluster hook scripts. Certificates come from the openssl command line."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
TOKEN = "hook-token"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate, key)."""
    cert, key = directory / "ca.crt", directory / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=kubernetes", "-addext", f"subjectAltName=IP:{HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@dataclass
class FakeKubeAPI:
    token: str
    secrets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    # (method) -> status to answer instead of the real behaviour, e.g. {"GET": 403}
    fail: dict[str, int] = field(default_factory=dict)
    port: int = 0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _route(self, method: str) -> None:
                api.requests.append((method, self.path))
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._answer(401, {"kind": "Status", "code": 401})
                if method in api.fail:
                    return self._answer(api.fail[method], {"kind": "Status"})
                parts = self.path.strip("/").split("/")  # api v1 namespaces NS secrets [NAME]
                namespace = parts[3]
                if method == "GET":
                    found = api.secrets.get((namespace, parts[5]))
                    return self._answer(200 if found else 404, found or {"kind": "Status"})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = (namespace, body["metadata"]["name"])
                if key in api.secrets:
                    return self._answer(409, {"kind": "Status", "code": 409})
                api.secrets[key] = body
                return self._answer(201, body)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler


@contextmanager
def serve(api: FakeKubeAPI, cert: Path, key: Path) -> Iterator[FakeKubeAPI]:
    server = ThreadingHTTPServer((HOST, 0), api.handler())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def make_service_account(directory: Path, namespace: str) -> Path:
    """What the kubelet mounts into a pod: CA certificate, token and namespace."""
    make_certificate(directory)
    (directory / "token").write_text(f"{TOKEN}\n")
    (directory / "namespace").write_text(namespace)
    return directory


@contextmanager
def serve_for(service_account: Path) -> Iterator[FakeKubeAPI]:
    """A fake API server that trusts the service account's token and presents its certificate."""
    with serve(
        FakeKubeAPI(token=TOKEN), service_account / "ca.crt", service_account / "tls.key"
    ) as running:
        yield running


def run_hook_script(
    container: dict[str, Any], api: FakeKubeAPI, service_account: Path
) -> subprocess.CompletedProcess[str]:
    """Run a rendered hook container's `python3 -c` script against the fake API server."""
    command = container["command"]
    assert command[:2] == ["python3", "-c"]
    env = {e["name"]: e["value"] for e in container["env"]}
    env |= {"KUBERNETES_SERVICE_HOST": HOST, "KUBERNETES_SERVICE_PORT": str(api.port),
            "SERVICEACCOUNT_DIR": str(service_account), "PATH": os.environ["PATH"]}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", command[2]], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
