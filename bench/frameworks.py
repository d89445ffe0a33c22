"""Each service against its bare framework and against itself without metrics."""

from __future__ import annotations

from pathlib import Path

from bench import services
from bench.report import Report
from bench.rounds import WORKERS, Target, alternate, ratio_verdict, row, running, service_env
from bench.services import Service


def on_off_bare(app: str, work: Path, database_url: str) -> list[Service]:
    """The service as shipped, the service with METRICS_ENABLED=false, and the bare framework
    app, each with WORKERS workers of the service's own gunicorn config."""
    start = services.flask_gunicorn if app == "flask" else services.fastapi_gunicorn
    bare = services.bare_flask_gunicorn if app == "flask" else services.bare_fastapi_gunicorn
    return [
        start(f"{app}-on", work / f"{app}-on", service_env(app, work / f"{app}-on", database_url)),
        start(f"{app}-off", work / f"{app}-off",
              service_env(app, work / f"{app}-off", database_url, METRICS_ENABLED="false")),
        bare(f"{app}-bare", work / f"{app}-bare",
             service_env(app, work / f"{app}-bare", database_url)),
    ]  # fmt: skip


def frameworks(report: Report, work: Path) -> None:
    """Each service against its bare framework and against itself without metrics, access
    logs on everywhere; the catalog also against `app.run(threaded=True)`."""
    rows: list[list[object]] = []
    identity_db = services.fastapi_database(work / "identity")
    on, off, bare = on_off_bare("fastapi", work, identity_db)
    with running(on, off, bare):
        auth = (f"Authorization: Bearer {services.seed_user(identity_db)}",)
        for path, what, headers in (
            ("/hello", "/hello", ()),
            ("/users/me", "GET /users/me (JWT + user row)", auth),
        ):
            results = alternate(report, [Target(s.name, s, path, headers) for s in (on, off, bare)])
            r_on, r_off, r_bare = (results[s.name] for s in (on, off, bare))
            for server, result in (("service (metrics + access log on, as shipped)", r_on),
                                   ("service, METRICS_ENABLED=false", r_off),
                                   ("bare FastAPI (bench/bare_fastapi.py)", r_bare)):  # fmt: skip
                rows.append(row("FastAPI", what, server, result, r_on))
            ratio_verdict(report, f"FastAPI {what} ≥ 0.75 x bare FastAPI", 0.75, r_on, r_bare,
                          ("fastapi", "bare-fastapi", path))  # fmt: skip
            ratio_verdict(report, f"FastAPI {what}: metrics on / off ≥ 0.90", 0.90, r_on, r_off,
                          ("fastapi", "", path))  # fmt: skip

    catalog_db = services.flask_database(work / "catalog")
    product = f"/products/{services.seed_product(catalog_db)}"
    on, off, bare = on_off_bare("flask", work, catalog_db)
    dev = services.flask_devserver(
        "flask-app-run", work / "f-dev", services.flask_env(work / "f-dev", catalog_db)
    )
    with running(on, off, bare, dev):
        results = alternate(report, [Target(s.name, s, "/hello") for s in (on, off, bare, dev)])
        r_on, r_off, r_bare, r_dev = (results[s.name] for s in (on, off, bare, dev))
        for server, result in (("service (metrics + access log on, as shipped)", r_on),
                               ("service, METRICS_ENABLED=false", r_off),
                               ("bare Flask (bench/bare_flask.py)", r_bare),
                               ("the service under app.run(threaded=True)", r_dev)):  # fmt: skip
            rows.append(row("Flask", "/hello", server, result, r_on))
        ratio_verdict(report, "Flask /hello ≥ 0.80 x bare Flask", 0.80, r_on, r_bare,
                      ("flask", "bare-flask", "/hello"))  # fmt: skip
        ratio_verdict(report, "Flask /hello: metrics on / off ≥ 0.90", 0.90, r_on, r_off,
                      ("flask", "", "/hello"))  # fmt: skip
        ratio_verdict(report, "Flask (gunicorn) ≥ 4 x app.run(threaded=True), /hello", 4.0,
                      r_on, r_dev, ("flask", "", "/hello"))  # fmt: skip
        results = alternate(report, [Target(s.name, s, product) for s in (on, off)])
        r_on, r_off = results[on.name], results[off.name]
        for server, result in (("service (metrics + access log on, as shipped)", r_on),
                               ("service, METRICS_ENABLED=false", r_off)):  # fmt: skip
            rows.append(row("Flask", "GET /products/<id>", server, result, r_on))
        ratio_verdict(report, "Flask GET /products/<id>: metrics on / off ≥ 0.90", 0.90, r_on,
                      r_off, ("flask", "", "/products/<id>"))  # fmt: skip
    report.table(
        f"The services against their bare frameworks ({WORKERS} workers each, the service's "
        "gunicorn config on every side, MAX_REQUESTS=0, LOG_LEVEL=INFO)",
        ["service", "endpoint", "server", "req/s", "vs as shipped", "p99 ms", "CPU µs/req",
         "wrk errors"],
        rows,
    )  # fmt: skip
