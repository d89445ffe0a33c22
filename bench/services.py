"""Both services (and the comparison servers) started on free 127.0.0.1 ports, as wrk targets.

Shared by `make bench` and the reliability suite (tests/reliability), so both measure the same
thing. Every server runs in its own process group (tests/support/processes.ServerProcess) and is
stopped on exit, workers included.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
from meatyapis_chassis.database import Database
from meatyapis_chassis.migrations import upgrade

from tests.support.net import HOST, free_port
from tests.support.processes import ServerProcess

REPO = Path(__file__).resolve().parent.parent
TOKEN_SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - test key
PASSWORD = "correct horse battery"  # noqa: S105 - test user
# argon2id with the cheapest parameters the identity service allows: registering is not measured.
FAST_HASHING = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024"}
STACK_WORKERS = 2  # gunicorn workers of each service in identity_service / catalog_service


@dataclass
class Service:
    """One server under test: its process, base URL and working folder."""

    name: str
    process: ServerProcess
    port: int
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """`/metrics`, on the port of its own (METRICS_PORT) gunicorn's master serves it."""
        return self.process.metrics_url

    @property
    def metrics_dir(self) -> Path | None:
        directory = self.env.get("PROMETHEUS_MULTIPROC_DIR")
        return Path(directory) if directory else None

    def __enter__(self) -> Service:
        self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop()


def _base_env(workdir: Path, port: int, workers: int, metrics: bool) -> dict[str, str]:
    return {
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        "BIND_HOST": HOST,
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "METRICS_ENABLED": "true" if metrics else "false",
        "LOG_LEVEL": "INFO",
    }


def _service(
    name: str,
    argv: list[str],
    workdir: Path,
    env: dict[str, str],
    ready_path: str = "/readyz",
) -> Service:
    workdir.mkdir(parents=True, exist_ok=True)
    port = int(env["PORT"])
    process = ServerProcess(
        argv,
        log_path=workdir / "server.log",
        env=env,
        cwd=REPO,
        ready_url=f"http://{HOST}:{port}{ready_path}",
        ready_timeout=90,
    )
    return Service(name, process, port, workdir, env)


def flask_database_migrate(url: str) -> str:
    upgrade(url, "meatyapis_flask")
    return url


def fastapi_database_migrate(url: str) -> str:
    upgrade(url, "meatyapis_fastapi")
    return url


def flask_database(workdir: Path) -> str:
    """A migrated SQLite catalog database in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    return flask_database_migrate(f"sqlite:///{workdir / 'catalog.db'}")


def fastapi_database(workdir: Path) -> str:
    """A migrated SQLite identity database in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    return fastapi_database_migrate(f"sqlite:///{workdir / 'identity.db'}")


def flask_env(
    workdir: Path, database_url: str, *, workers: int = 2, metrics: bool = True, **extra: str
) -> dict[str, str]:
    return {
        **_base_env(workdir, free_port(), workers, metrics),
        "DATABASE_URL": database_url,
        **extra,
    }


def fastapi_env(
    workdir: Path, database_url: str, *, workers: int = 2, metrics: bool = True, **extra: str
) -> dict[str, str]:
    return {
        **_base_env(workdir, free_port(), workers, metrics),
        "DATABASE_URL": database_url,
        "TOKEN_SECRET": TOKEN_SECRET,
        **FAST_HASHING,
        **extra,
    }


def flask_gunicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """The catalog under the repo's gunicorn config (`meatyapis-flask serve`)."""
    argv = [sys.executable, "-m", "meatyapis_flask.cli", "serve"]
    return _service(name, argv, workdir, dict(env))


def identity_service(
    workdir: Path, database_url: str | None = None, *, workers: int = STACK_WORKERS, **env: str
) -> Service:
    """The identity service as in production (gunicorn), on a migrated SQLite database unless
    `database_url` names one."""
    database_url = database_url or fastapi_database(workdir / "db")
    return fastapi_gunicorn(
        "identity", workdir, {**fastapi_env(workdir, database_url, workers=workers), **env}
    )


def catalog_service(
    workdir: Path,
    identity_url: str,
    database_url: str | None = None,
    *,
    workers: int = STACK_WORKERS,
    **env: str,
) -> Service:
    """The catalog as in production (gunicorn), calling the identity service at `identity_url`."""
    database_url = database_url or flask_database(workdir / "db")
    environment = flask_env(workdir, database_url, workers=workers, IDENTITY_URL=identity_url)
    return flask_gunicorn("catalog", workdir, {**environment, **env})


def _single_process(env: Mapping[str, str]) -> dict[str, str]:
    """One process needs no multiprocess metrics directory (nothing would create it)."""
    return {
        k: v for k, v in env.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY")
    }


def flask_devserver(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """The catalog under `app.run()` (Werkzeug's development server, threaded)."""
    argv = [sys.executable, str(REPO / "bench" / "flask_devserver.py")]
    return _service(name, argv, workdir, _single_process(env))


def fastapi_gunicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """The identity service under the repo's config (`meatyapis-fastapi serve`)."""
    argv = [sys.executable, "-m", "meatyapis_fastapi.cli", "serve"]
    return _service(name, argv, workdir, dict(env))


def fastapi_uvicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """The source documents' way: plain `uvicorn meatyapis_fastapi.asgi:app`, one process."""
    argv = [
        sys.executable, "-m", "uvicorn", "meatyapis_fastapi.asgi:app",
        "--host", HOST, "--port", env["PORT"], "--no-access-log",
    ]  # fmt: skip
    return _service(name, argv, workdir, _single_process(env))


def under_service_config(
    name: str, workdir: Path, env: Mapping[str, str], service: str, app: str
) -> Service:
    """Another app (`app`, "module:attribute") under `service`'s gunicorn config and worker
    class: the bare-framework baselines and the raw ASGI ceiling, on the same server."""
    argv = [
        sys.executable, "-m", "gunicorn", "--config", f"python:meatyapis_{service}.gunicorn_conf",
        app,
    ]  # fmt: skip
    return _service(name, argv, workdir, dict(env), ready_path="/")


def raw_asgi_gunicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """bench/raw_asgi.py under the identity service's gunicorn config and worker class."""
    return under_service_config(name, workdir, env, "fastapi", "bench.raw_asgi:app")


def bare_fastapi_gunicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """bench/bare_fastapi.py under the identity service's gunicorn config and worker class."""
    return under_service_config(name, workdir, env, "fastapi", "bench.bare_fastapi:app")


def bare_flask_gunicorn(name: str, workdir: Path, env: Mapping[str, str]) -> Service:
    """bench/bare_flask.py under the catalog's gunicorn config (gthread workers)."""
    return under_service_config(name, workdir, env, "flask", "bench.bare_flask:app")


def seed_product(database_url: str, name: str = "bench-product", quantity: int = 0) -> int:
    """Insert one product straight into the catalog's database (no write token needed)."""
    from meatyapis_flask.models import Product

    database = Database(database_url)
    try:
        with database.write() as session:
            product = Product(name=name, price=Decimal("9.99"), quantity=quantity)
            session.add(product)
            session.flush()
            product_id: int = product.id
    finally:
        database.dispose()
    return product_id


def seed_user(database_url: str, username: str = "bench-reader") -> str:
    """Insert one user straight into the identity database and return a bearer token for it,
    signed with TOKEN_SECRET: what the service and the bare baseline both accept."""
    from meatyapis_fastapi.models import User
    from meatyapis_fastapi.security import Tokens
    from meatyapis_fastapi.usernames import canonical

    database = Database(database_url)
    try:
        with database.write() as session:
            user = User(
                username=username,
                username_key=canonical(username),
                email=f"{username}@example.com",
                password_hash="-",  # noqa: S106 - no login: the token is issued here
            )
            session.add(user)
            session.flush()
            user_id: int = user.id
    finally:
        database.dispose()
    return Tokens(TOKEN_SECRET, 3600, 3600).issue(user_id, username, generation=0).token


def grant_role(identity: Service, username: str, role: str) -> None:
    """`meatyapis-fastapi users grant`, on the identity service's database."""
    from meatyapis_fastapi.accounts import grant

    database = Database(identity.env["DATABASE_URL"])
    try:
        with database.session() as session:
            grant(session, username, role)
    finally:
        database.dispose()


def register_and_login(identity: Service, username: str = "bench", role: str = "editor") -> str:
    """Register `username` on the identity service, give it `role` (an editor may write the
    catalog) and return a bearer token for it."""
    with httpx.Client(base_url=identity.url, timeout=30) as client:
        registered = client.post(
            "/register",
            json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        )
        if registered.status_code not in (201, 409):
            raise RuntimeError(f"register: {registered.status_code} {registered.text}")
        if role != "reader":
            grant_role(identity, username, role)
        form = {"grant_type": "password", "username": username, "password": PASSWORD}
        login = client.post("/login", data=form)
        login.raise_for_status()
        token: str = login.json()["access_token"]
    return token
