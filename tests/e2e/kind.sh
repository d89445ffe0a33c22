#!/usr/bin/env bash
# End-to-end on a kind cluster: build both images, load them, install charts/monitoring and
# charts/meatyapis into namespaces that enforce the Pod Security "restricted" profile, wait,
# `helm test`, check through port-forwards that every MeatyAPIs target is up in Prometheus and that
# Grafana lists the MeatyAPIs dashboards, then `helm upgrade` to a changed configuration while an
# in-cluster load generator runs, with zero failed requests. With E2E_UPGRADE_FROM (an OCI chart
# repository, e.g. oci://ghcr.io/meatyapis/charts) the first install is the last released chart,
# so the upgrade is proven from it. Logs, events and descriptions are dumped on failure.
#
# Needs: docker, kind (a cluster: KIND_CLUSTER), kubectl, helm 3, make, curl, python3.
#   kind create cluster --name meatyapis-e2e && KIND_CLUSTER=meatyapis-e2e bash tests/e2e/kind.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

KIND_CLUSTER=${KIND_CLUSTER:-meatyapis-e2e}
NAMESPACE=${NAMESPACE:-meatyapis}
MONITORING_NAMESPACE=${MONITORING_NAMESPACE:-monitoring}
RELEASE=meatyapis
MONITORING_RELEASE=monitoring
IMAGE_REGISTRY=ghcr.io
IMAGE_REPO_PREFIX=meatyapis/
IMAGE_TAG=${IMAGE_TAG:-e2e}
E2E_ARTIFACTS=${E2E_ARTIFACTS:-$(mktemp -d)}
E2E_UPGRADE_FROM=${E2E_UPGRADE_FROM:-}
TIMEOUT=${E2E_TIMEOUT:-600s}
POSTGRES_IMAGE=$(sed -n 's/^    image: \(.*postgres:.*\)$/\1/p' compose.yaml)
mkdir -p "$E2E_ARTIFACTS"

pids=()
forwarded_port=
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "::group::e2e failed (exit $status): diagnostics in $E2E_ARTIFACTS"
    dump_diagnostics || true
    echo "::endgroup::"
  fi
  exit "$status"
}
trap cleanup EXIT

log() { printf '\n=== %s\n' "$*"; }

dump_diagnostics() {
  local ns
  for ns in "$NAMESPACE" "$MONITORING_NAMESPACE" "$DB_NAMESPACE"; do
    kubectl get all,pvc,networkpolicy,events -n "$ns" -o wide >"$E2E_ARTIFACTS/$ns-resources.txt" 2>&1
    kubectl get events -n "$ns" --sort-by=.lastTimestamp >"$E2E_ARTIFACTS/$ns-events.txt" 2>&1
    kubectl describe pods -n "$ns" >"$E2E_ARTIFACTS/$ns-pods-describe.txt" 2>&1
    for pod in $(kubectl get pods -n "$ns" -o name 2>/dev/null); do
      kubectl logs -n "$ns" "$pod" --all-containers --prefix --tail=500 \
        >"$E2E_ARTIFACTS/$ns-${pod#pod/}.log" 2>&1
      kubectl logs -n "$ns" "$pod" --all-containers --prefix --previous --tail=200 \
        >>"$E2E_ARTIFACTS/$ns-${pod#pod/}.log" 2>/dev/null
    done
    tail -n 40 "$E2E_ARTIFACTS/$ns-events.txt"
  done
  helm history "$RELEASE" -n "$NAMESPACE" >"$E2E_ARTIFACTS/helm-history.txt" 2>&1
}

# port_forward NAMESPACE SERVICE PORTNAME: sets forwarded_port once the forward answers
# (not a $(…) subshell, so the background kubectl is remembered and stopped at exit)
port_forward() {
  local ns=$1 svc=$2 port_name=$3 local_port
  local_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  kubectl port-forward -n "$ns" "svc/$svc" "$local_port:$port_name" --address 127.0.0.1 \
    >"$E2E_ARTIFACTS/port-forward-$svc.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 60); do
    if curl -s -o /dev/null "http://127.0.0.1:$local_port/"; then
      forwarded_port=$local_port
      return 0
    fi
    sleep 1
  done
  echo "port-forward to $ns/$svc never answered" >&2
  return 1
}

# until_true SECONDS DESCRIPTION COMMAND... : retry a check every 5 s, bounded in time
until_true() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out after ${seconds}s: $what" >&2
      return 1
    fi
    sleep 5
  done
}

IMAGE_ARGS=()
for app in flask fastapi; do
  IMAGE_ARGS+=(--set "$app.image.tag=$IMAGE_TAG" --set "$app.image.pullPolicy=Never")
done
MONITORING_ARGS=(--set "watchNamespaces={$NAMESPACE}")
# Two replicas of each service for a rollout without downtime, so an external PostgreSQL (SQLite,
# the default, means one replica and the Recreate strategy).
DB_NAMESPACE=${DB_NAMESPACE:-e2e-db}
DB_HOST="postgres.$DB_NAMESPACE.svc"
DB_ARGS=()
for app in flask fastapi; do
  DB_ARGS+=(--set "$app.replicaCount=2" --set "$app.database.type=external"
    --set "$app.database.external.existingSecret=$RELEASE-$app-db")
done
MEATYAPIS_ARGS=("${IMAGE_ARGS[@]}" "${DB_ARGS[@]}")
# The changed configuration of the rollout under load: new ConfigMaps, so the pods roll.
UPGRADE_ARGS=("${MEATYAPIS_ARGS[@]}" --set flask.logLevel=DEBUG --set fastapi.logLevel=DEBUG)
FLASK_URL="http://$RELEASE-flask.$NAMESPACE.svc:8080"
FASTAPI_URL="http://$RELEASE-fastapi.$NAMESPACE.svc:8080"

postgres_manifest() {  # PostgreSQL for both services, databases as in compose.yaml, restricted
  cat <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: postgres-init
  namespace: $DB_NAMESPACE
data:
  10-identity.sql: |
$(sed 's/^/    /' compose/postgres/init.sql)
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
  namespace: $DB_NAMESPACE
spec:
  selector: {app: postgres}
  ports: [{name: postgres, port: 5432, targetPort: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: postgres
  namespace: $DB_NAMESPACE
spec:
  replicas: 1
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        runAsGroup: 999
        fsGroup: 999
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: postgres
          image: $POSTGRES_IMAGE
          env:
            - {name: POSTGRES_USER, value: meatyapis}
            - {name: POSTGRES_PASSWORD, value: meatyapis}
            - {name: POSTGRES_DB, value: catalog}
            - {name: PGDATA, value: /var/lib/postgresql/data/pgdata}
          ports: [{containerPort: 5432}]
          readinessProbe:
            exec: {command: [pg_isready, -h, 127.0.0.1, -U, meatyapis]}
            periodSeconds: 3
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql/data}
            - {name: run, mountPath: /var/run/postgresql}
            - {name: init, mountPath: /docker-entrypoint-initdb.d, readOnly: true}
      volumes:
        - {name: data, emptyDir: {}}
        - {name: run, emptyDir: {}}
        - {name: init, configMap: {name: postgres-init}}
YAML
}

database_secrets_manifest() {  # DATABASE_URL of each service, as the chart's existingSecret
  local app db
  for app in flask fastapi; do
    db=$([ "$app" = flask ] && echo catalog || echo identity)
    kubectl create secret generic "$RELEASE-$app-db" -n "$NAMESPACE" --dry-run=client -o yaml \
      --from-literal="DATABASE_URL=postgresql+psycopg://meatyapis:meatyapis@$DB_HOST:5432/$db"
    echo "---"
  done
}

load_pod_manifest() {  # the in-cluster load generator, restricted like everything else
  cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: e2e-load
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/instance: $RELEASE
    app.kubernetes.io/part-of: meatyapis
    app.kubernetes.io/name: e2e-load
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: load
      image: $IMAGE_REGISTRY/${IMAGE_REPO_PREFIX}meatyapis-flask:$IMAGE_TAG
      imagePullPolicy: Never
      command: [python3, /opt/load/load.py]
      env:
        - {name: TARGETS, value: "$FLASK_URL/hello $FASTAPI_URL/hello"}
        - {name: MAX_SECONDS, value: "900"}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: tmp, mountPath: /tmp}
        - {name: load, mountPath: /opt/load, readOnly: true}
  volumes:
    - {name: tmp, emptyDir: {}}
    - {name: load, configMap: {name: e2e-load}}
YAML
}

# The charts' dependency (the meatyapis-common library chart) is packaged here, not committed.
make chart-deps >/dev/null

# --render DIR: write what would be applied (both charts with this script's values, the upgrade,
# the load pod) and stop, without a cluster; tests/e2e checks these offline.
if [ "${1:-}" = "--render" ]; then
  out=${2:?usage: kind.sh --render DIR}
  mkdir -p "$out"
  helm template "$MONITORING_RELEASE" charts/monitoring -n "$MONITORING_NAMESPACE" \
    "${MONITORING_ARGS[@]}" >"$out/monitoring.yaml"
  helm template "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${MEATYAPIS_ARGS[@]}" >"$out/meatyapis.yaml"
  helm template "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${UPGRADE_ARGS[@]}" \
    >"$out/meatyapis-upgrade.yaml"
  load_pod_manifest >"$out/load-pod.yaml"
  postgres_manifest >"$out/postgres.yaml"
  trap - EXIT
  exit 0
fi

log "build and load the images"
bash tests/e2e/kind-images.sh "$KIND_CLUSTER" "$IMAGE_REGISTRY/$IMAGE_REPO_PREFIX" "$IMAGE_TAG"

log "namespaces enforcing Pod Security 'restricted'"
for ns in "$NAMESPACE" "$MONITORING_NAMESPACE" "$DB_NAMESPACE"; do
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
  kubectl label namespace "$ns" --overwrite \
    pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/enforce-version=latest \
    pod-security.kubernetes.io/warn=restricted
done

log "PostgreSQL for both services"
postgres_manifest | kubectl apply -f -
database_secrets_manifest | kubectl apply -f -
kubectl rollout status -n "$DB_NAMESPACE" deployment/postgres --timeout=300s

log "install charts/monitoring"
helm upgrade --install "$MONITORING_RELEASE" charts/monitoring -n "$MONITORING_NAMESPACE" \
  "${MONITORING_ARGS[@]}" --wait --timeout "$TIMEOUT"

if [ -n "$E2E_UPGRADE_FROM" ]; then
  log "install the last released meatyapis chart from $E2E_UPGRADE_FROM"
  if helm show chart "$E2E_UPGRADE_FROM/meatyapis" >"$E2E_ARTIFACTS/released-chart.yaml" 2>&1; then
    # the released chart with its own (released, pulled) images, on the same database
    helm install "$RELEASE" "$E2E_UPGRADE_FROM/meatyapis" -n "$NAMESPACE" "${DB_ARGS[@]}" \
      --wait --timeout "$TIMEOUT"
    helm test "$RELEASE" -n "$NAMESPACE" --timeout 5m --logs
    log "upgrade from $(grep '^version:' "$E2E_ARTIFACTS/released-chart.yaml") to this chart"
    helm upgrade "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${MEATYAPIS_ARGS[@]}" --wait --timeout "$TIMEOUT"
  elif grep -qiE 'not found|manifest unknown|name unknown|404' "$E2E_ARTIFACTS/released-chart.yaml"; then
    echo "no released chart at $E2E_UPGRADE_FROM/meatyapis yet (first release): installing this one"
    cat "$E2E_ARTIFACTS/released-chart.yaml"
    helm install "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${MEATYAPIS_ARGS[@]}" --wait --timeout "$TIMEOUT"
  else
    cat "$E2E_ARTIFACTS/released-chart.yaml" >&2
    echo "cannot read the released chart from $E2E_UPGRADE_FROM" >&2
    exit 1
  fi
else
  log "install charts/meatyapis"
  helm install "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${MEATYAPIS_ARGS[@]}" --wait --timeout "$TIMEOUT"
fi

log "helm test"
helm test "$RELEASE" -n "$NAMESPACE" --timeout 5m --logs

log "Prometheus: every MeatyAPIs target up"
port_forward "$MONITORING_NAMESPACE" "$MONITORING_RELEASE-prometheus" http
prometheus_port=$forwarded_port
targets_up() {
  curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/targets?state=active" \
    | python3 tests/e2e/check.py prometheus-targets "$NAMESPACE"
}
until_true 300 "every MeatyAPIs target up in Prometheus" targets_up

log "Grafana: the MeatyAPIs dashboards are listed"
port_forward "$MONITORING_NAMESPACE" "$MONITORING_RELEASE-grafana" http
grafana_port=$forwarded_port
secret="$MONITORING_RELEASE-grafana-admin"
grafana_user=$(kubectl get secret -n "$MONITORING_NAMESPACE" "$secret" -o jsonpath='{.data.admin-user}' | base64 -d)
grafana_password=$(kubectl get secret -n "$MONITORING_NAMESPACE" "$secret" -o jsonpath='{.data.admin-password}' | base64 -d)
dashboards_listed() {
  curl -fsS -u "$grafana_user:$grafana_password" \
    "http://127.0.0.1:$grafana_port/api/search?type=dash-db&limit=500" \
    | python3 tests/e2e/check.py grafana-dashboards grafana/dashboards
}
until_true 180 "Grafana lists every dashboard of grafana/dashboards" dashboards_listed

log "helm upgrade to a changed configuration under load: zero failed requests"
kubectl delete pod -n "$NAMESPACE" e2e-load --ignore-not-found --wait
kubectl create configmap -n "$NAMESPACE" e2e-load --from-file=load.py=tests/e2e/load.py \
  --dry-run=client -o yaml | kubectl apply -f -
load_pod_manifest | kubectl apply -f -
kubectl wait -n "$NAMESPACE" --for=condition=Ready pod/e2e-load --timeout=120s
sleep 10 # traffic flowing before the rollout starts
before=$(kubectl get deploy -n "$NAMESPACE" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.generation} {end}')
helm upgrade "$RELEASE" charts/meatyapis -n "$NAMESPACE" "${UPGRADE_ARGS[@]}" \
  --wait --timeout "$TIMEOUT"
after=$(kubectl get deploy -n "$NAMESPACE" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.generation} {end}')
echo "deployment generations: before [$before] after [$after]"
[ "$before" != "$after" ] || { echo "the upgrade rolled no Deployment" >&2; exit 1; }
for deploy in $(kubectl get deploy -n "$NAMESPACE" -o name); do
  kubectl rollout status -n "$NAMESPACE" "$deploy" --timeout=300s
done
sleep 10 # and after it
kubectl exec -n "$NAMESPACE" e2e-load -- touch /tmp/stop
kubectl wait -n "$NAMESPACE" --for=jsonpath='{.status.phase}'=Succeeded pod/e2e-load --timeout=120s
kubectl logs -n "$NAMESPACE" e2e-load | tee "$E2E_ARTIFACTS/load.log" | tail -n 5
tail -n 1 "$E2E_ARTIFACTS/load.log" | python3 tests/e2e/check.py load-report

log "helm test after the upgrade"
helm test "$RELEASE" -n "$NAMESPACE" --timeout 5m --logs
log "e2e passed"
