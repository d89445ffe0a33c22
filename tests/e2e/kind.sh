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
mkdir -p "$E2E_ARTIFACTS"

pids=()
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
  for ns in "$NAMESPACE" "$MONITORING_NAMESPACE"; do
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

# port_forward NAMESPACE SERVICE PORTNAME -> prints the local port once it answers
port_forward() {
  local ns=$1 svc=$2 port_name=$3 local_port
  local_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  kubectl port-forward -n "$ns" "svc/$svc" "$local_port:$port_name" --address 127.0.0.1 \
    >"$E2E_ARTIFACTS/port-forward-$svc.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 60); do
    if curl -s -o /dev/null "http://127.0.0.1:$local_port/"; then
      echo "$local_port"
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

meatyapis_values() {  # common --set flags pointing the chart at the images built here
  local app
  for app in flask fastapi; do
    printf -- '--set %s.image.tag=%s --set %s.image.pullPolicy=Never ' "$app" "$IMAGE_TAG" "$app"
  done
}

log "build and load the images"
make images CONTAINER_ENGINE=docker PYTHON_BASE=docker.io/library/python:3.11-slim-bookworm \
  IMAGE_BUILD_FLAGS= IMAGE_PREFIX="$IMAGE_REGISTRY/$IMAGE_REPO_PREFIX" IMAGE_TAG="$IMAGE_TAG"
for app in flask fastapi; do
  kind load docker-image --name "$KIND_CLUSTER" "$IMAGE_REGISTRY/${IMAGE_REPO_PREFIX}meatyapis-$app:$IMAGE_TAG"
done

log "namespaces enforcing Pod Security 'restricted'"
for ns in "$NAMESPACE" "$MONITORING_NAMESPACE"; do
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
  kubectl label namespace "$ns" --overwrite \
    pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/enforce-version=latest \
    pod-security.kubernetes.io/warn=restricted
done

log "install charts/monitoring"
helm upgrade --install "$MONITORING_RELEASE" charts/monitoring -n "$MONITORING_NAMESPACE" \
  --set "watchNamespaces={$NAMESPACE}" --wait --timeout "$TIMEOUT"

# shellcheck disable=SC2046  # the flags are words on purpose
if [ -n "$E2E_UPGRADE_FROM" ]; then
  log "install the last released meatyapis chart from $E2E_UPGRADE_FROM"
  if helm show chart "$E2E_UPGRADE_FROM/meatyapis" >"$E2E_ARTIFACTS/released-chart.yaml" 2>&1; then
    helm install "$RELEASE" "$E2E_UPGRADE_FROM/meatyapis" -n "$NAMESPACE" --wait --timeout "$TIMEOUT"
    helm test "$RELEASE" -n "$NAMESPACE" --timeout 5m --logs
    log "upgrade from $(grep '^version:' "$E2E_ARTIFACTS/released-chart.yaml") to this chart"
    helm upgrade "$RELEASE" charts/meatyapis -n "$NAMESPACE" $(meatyapis_values) --wait --timeout "$TIMEOUT"
  else
    echo "no released chart at $E2E_UPGRADE_FROM/meatyapis yet (first release): installing this one"
    cat "$E2E_ARTIFACTS/released-chart.yaml"
    helm install "$RELEASE" charts/meatyapis -n "$NAMESPACE" $(meatyapis_values) --wait --timeout "$TIMEOUT"
  fi
else
  log "install charts/meatyapis"
  helm install "$RELEASE" charts/meatyapis -n "$NAMESPACE" $(meatyapis_values) --wait --timeout "$TIMEOUT"
fi

log "helm test"
helm test "$RELEASE" -n "$NAMESPACE" --timeout 5m --logs

log "Prometheus: every MeatyAPIs target up"
prometheus_port=$(port_forward "$MONITORING_NAMESPACE" "$MONITORING_RELEASE-prometheus" http)
targets_up() {
  curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/targets?state=active" \
    | python3 tests/e2e/check.py prometheus-targets "$NAMESPACE"
}
until_true 300 "every MeatyAPIs target up in Prometheus" targets_up

log "Grafana: the MeatyAPIs dashboards are listed"
grafana_port=$(port_forward "$MONITORING_NAMESPACE" "$MONITORING_RELEASE-grafana" http)
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
flask_url="http://$RELEASE-flask.$NAMESPACE.svc:8080"
fastapi_url="http://$RELEASE-fastapi.$NAMESPACE.svc:8080"
kubectl delete pod -n "$NAMESPACE" e2e-load --ignore-not-found --wait
kubectl create configmap -n "$NAMESPACE" e2e-load --from-file=load.py=tests/e2e/load.py \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -n "$NAMESPACE" -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: e2e-load
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
        - {name: TARGETS, value: "$flask_url/hello $fastapi_url/hello"}
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
kubectl wait -n "$NAMESPACE" --for=condition=Ready pod/e2e-load --timeout=120s
sleep 10 # traffic flowing before the rollout starts
before=$(kubectl get deploy -n "$NAMESPACE" -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.generation} {end}')
# shellcheck disable=SC2046
helm upgrade "$RELEASE" charts/meatyapis -n "$NAMESPACE" $(meatyapis_values) \
  --set flask.logLevel=DEBUG --set fastapi.logLevel=DEBUG --wait --timeout "$TIMEOUT"
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
