#!/usr/bin/env bash
# `make run`: the services with their production servers on 127.0.0.1, plus Prometheus.
# Ctrl-C (or SIGTERM) stops everything cleanly. Ports and data folder are overridable:
#   FLASK_PORT (8001), FASTAPI_PORT (8002), FLASK_METRICS_PORT (9101), FASTAPI_METRICS_PORT
#   (9102), PROMETHEUS_PORT (9090), RUN_DIR (.run), PROMETHEUS (the Prometheus binary, default:
#   Debian's `prometheus`), ADMIN_PASSWORD (the identity service's first admin, `admin`;
#   default: a random one, kept in $RUN_DIR/admin-password)
set -euo pipefail
cd "$(dirname "$0")/.."

FLASK_PORT=${FLASK_PORT:-8001}
FASTAPI_PORT=${FASTAPI_PORT:-8002}
FLASK_METRICS_PORT=${FLASK_METRICS_PORT:-9101}
FASTAPI_METRICS_PORT=${FASTAPI_METRICS_PORT:-9102}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9090}
RUN_DIR=$(mkdir -p "${RUN_DIR:-.run}" && cd "${RUN_DIR:-.run}" && pwd)
export PATH="$PWD/.venv/bin:$PATH"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped"
}
trap stop_all INT TERM EXIT

wait_ready() {  # wait_ready <name> <url>: bounded wait for a 200
  local name=$1 url=$2
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$name did not become ready at $url (log: $RUN_DIR/$name.log)" >&2
  return 1
}

# start_service <name> <port> <metrics port> <command> <db file> [database URL]: migrate first
# (with migrate_env too), then serve (with extra_env), logging to $RUN_DIR/<name>.log
start_service() {
  local name=$1 port=$2 metrics_port=$3 cli=$4 db=$5
  local env=(PORT="$port" METRICS_PORT="$metrics_port" WEB_CONCURRENCY="${WEB_CONCURRENCY:-4}"
             DATABASE_URL="${6:-sqlite:///$RUN_DIR/$db}"
             PROMETHEUS_MULTIPROC_DIR="$RUN_DIR/$name-metrics" FORWARDED_ALLOW_IPS=127.0.0.1)
  if ! env "${env[@]}" "${extra_env[@]}" "${migrate_env[@]}" "$cli" migrate >>"$RUN_DIR/$name.log" 2>&1; then
    echo "$name: migrations failed (log: $RUN_DIR/$name.log)" >&2
    tail -n 20 "$RUN_DIR/$name.log" >&2
    return 1
  fi
  env "${env[@]}" "${extra_env[@]}" BIND_HOST=127.0.0.1 "$cli" serve >>"$RUN_DIR/$name.log" 2>&1 &
  pids+=($!)
}

extra_env=(IDENTITY_URL="http://127.0.0.1:$FASTAPI_PORT") migrate_env=()
start_service flask "$FLASK_PORT" "$FLASK_METRICS_PORT" meatyapis-flask catalog.db "${FLASK_DATABASE_URL:-}"

# The identity service signs tokens with TOKEN_SECRET: a fresh random one per run unless given.
# Its first admin is `admin`, with ADMIN_PASSWORD or a random password kept in the run folder
# (never a default one); only `migrate` sees it.
if [ -z "${ADMIN_PASSWORD:-}" ]; then
  admin_file="$RUN_DIR/admin-password"
  if [ ! -s "$admin_file" ]; then
    (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(24))' >"$admin_file")
  fi
  ADMIN_PASSWORD=$(cat "$admin_file")
  admin_hint="password in $admin_file"
else
  admin_hint="password from ADMIN_PASSWORD"
fi
identity_database=${FASTAPI_DATABASE_URL:-sqlite:///$RUN_DIR/identity.db}
extra_env=(TOKEN_SECRET="${TOKEN_SECRET:-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')}")
migrate_env=(BOOTSTRAP_ADMIN_USERNAME=admin BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD")
start_service fastapi "$FASTAPI_PORT" "$FASTAPI_METRICS_PORT" meatyapis-fastapi identity.db "$identity_database"

# Prometheus with the monitoring chart's configuration, rules and flags (the live test's setup):
# the chart's pod discovery swapped for the two services as static targets (prometheus/local.py),
# the configuration made for the version of $PROMETHEUS (Debian's 2.x unless given, e.g.
# PROMETHEUS=.tools/bin/prometheus3 after `make tools`).
mapfile -t prometheus_cmd < <(python -m prometheus.local --out "$RUN_DIR/prometheus" \
  --port "$PROMETHEUS_PORT" --binary "${PROMETHEUS:-prometheus}" \
  --pod "meatyapis-flask=127.0.0.1:$FLASK_METRICS_PORT" \
  --pod "meatyapis-fastapi=127.0.0.1:$FASTAPI_METRICS_PORT")
[ ${#prometheus_cmd[@]} -gt 1 ] || { echo "prometheus/local.py printed no command" >&2; exit 1; }
"${prometheus_cmd[@]}" >>"$RUN_DIR/prometheus.log" 2>&1 &
pids+=($!)

wait_ready flask "http://127.0.0.1:$FLASK_PORT/readyz"
wait_ready fastapi "http://127.0.0.1:$FASTAPI_PORT/readyz"
wait_ready prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"

cat <<MSG

MeatyAPIs is running (logs in $RUN_DIR/):
  catalog  (Flask)    http://127.0.0.1:$FLASK_PORT/          docs: /docs  API: /openapi.json  metrics: http://127.0.0.1:$FLASK_METRICS_PORT/metrics
  identity (FastAPI)  http://127.0.0.1:$FASTAPI_PORT/          docs: /docs  API: /openapi.json  metrics: http://127.0.0.1:$FASTAPI_METRICS_PORT/metrics
  Prometheus          http://127.0.0.1:$PROMETHEUS_PORT/          alerts: /alerts  targets: /targets
  identity admin      admin ($admin_hint)
Try it — register on identity, make ada an editor, log in, create a product with the token:
  curl -s http://127.0.0.1:$FASTAPI_PORT/register -H 'Content-Type: application/json' -d '{"username": "ada", "email": "ada@example.com", "password": "correct-horse"}'
  DATABASE_URL='$identity_database' $PWD/.venv/bin/meatyapis-fastapi users grant ada editor
  TOKEN=\$(curl -s http://127.0.0.1:$FASTAPI_PORT/login -d 'grant_type=password&username=ada&password=correct-horse' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  curl -s http://127.0.0.1:$FLASK_PORT/products -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '{"name": "Ribeye", "price": "24.50", "quantity": 3}'
Press Ctrl-C to stop.
MSG
wait
