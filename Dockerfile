# syntax=docker/dockerfile:1
# Both MeatyAPIs service images, one build argument apart. Build from the repository root, where
# uv.lock lives:
#   docker build --build-arg APP=flask -t meatyapis-flask .      # the catalog service
#   docker build --build-arg APP=fastapi -t meatyapis-fastapi .  # the identity service
# APP (required) is the app under apps/; what differs between the two images is in its app-<APP>
# stage at the end. PYTHON_BASE picks the base image; any Debian-based image with python3 and
# venv works.
ARG APP
ARG PYTHON_BASE=python:3.11-slim-bookworm

FROM ${PYTHON_BASE} AS build
ARG APP
ARG UV_VERSION=0.13.9
# Set to 1 where TLS is intercepted and the trust root is in the system store (uv bundles its own).
ARG UV_SYSTEM_CERTS
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"
WORKDIR /src
# Third-party dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock ./
COPY libs/meatyapis-chassis/pyproject.toml libs/meatyapis-chassis/README.md libs/meatyapis-chassis/
COPY apps/flask/pyproject.toml apps/flask/README.md apps/flask/
COPY apps/fastapi/pyproject.toml apps/fastapi/README.md apps/fastapi/
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --package "meatyapis-${APP}" --no-install-workspace
COPY libs/meatyapis-chassis/src libs/meatyapis-chassis/src
COPY apps/${APP}/src apps/${APP}/src
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --package "meatyapis-${APP}" --no-editable

FROM ${PYTHON_BASE} AS runtime
ARG APP
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    BIND_HOST=0.0.0.0 \
    PORT=8080 \
    METRICS_PORT=9102 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus-multiproc
COPY --from=build /opt/venv /opt/venv
# OpenShift runs an arbitrary UID in group 0: what the server writes belongs to group 0,
# group-writable. The multiprocess-metrics dir is made at start under the writable /tmp.
RUN mkdir -p /data && chgrp 0 /data && chmod 2775 /data
VOLUME ["/data"]
# Labels last: a new revision does not invalidate the layers above.
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="meatyapis-${APP}" \
      org.opencontainers.image.source="https://github.com/meatyapis/meatyapis" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
USER 10001:0
# The API, and /metrics on a port of its own.
EXPOSE 8080 9102

# What is each app's own: its SQLite file, its description, its command (exec form: no ${APP}).
FROM runtime AS app-flask
ENV DATABASE_URL=sqlite:////data/catalog.db
LABEL org.opencontainers.image.description="MeatyAPIs catalog service: Flask served by gunicorn, instrumented for Prometheus"
CMD ["meatyapis-flask", "serve"]

FROM runtime AS app-fastapi
ENV DATABASE_URL=sqlite:////data/identity.db
LABEL org.opencontainers.image.description="MeatyAPIs identity service: FastAPI served by gunicorn with uvicorn workers, instrumented for Prometheus"
CMD ["meatyapis-fastapi", "serve"]

FROM app-${APP}
