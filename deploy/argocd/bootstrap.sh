#!/usr/bin/env bash
# Argo CD for one environment, on the cluster of the current kubectl context: installs Argo CD
# (ARGOCD_VERSION), turns on progressive syncs (the ApplicationSet's rollout steps: monitoring
# first), registers this cluster under the environment's name (the AppProject and the
# ApplicationSet name clusters by environment), applies deploy/argocd/ for that environment and
# waits until its Applications are Synced and Healthy.
#
#   bash deploy/argocd/bootstrap.sh staging
#   bash deploy/argocd/bootstrap.sh --render staging DIR   write what it would apply, and stop
#
# Environment: REPO_URL, REVISION — where Argo CD reads the environments and the charts' release
# tags (default: this repository on GitHub, main; a fork's URL, or a local `git daemon`);
# TIMEOUT — seconds to wait for Synced and Healthy (default 900). Needs kubectl, and the cluster
# and this machine to reach GitHub (Argo CD's install manifest, the images).
set -euo pipefail
cd "$(dirname "$0")/../.."

ARGOCD_VERSION=${ARGOCD_VERSION:-v3.1.9}
UPSTREAM_REPO=https://github.com/meatyapis/meatyapis.git
REPO_URL=${REPO_URL:-$UPSTREAM_REPO}
REVISION=${REVISION:-main}
TIMEOUT=${TIMEOUT:-900}

render=
if [ "${1:-}" = "--render" ]; then
  render=${3:?usage: bootstrap.sh --render ENV DIR}
  shift
fi
env=${1:?usage: bootstrap.sh ENV (an environment of deploy/environments/)}
[ -f "deploy/environments/$env/release.yaml" ] || { echo "no environment $env" >&2; exit 2; }

# deploy/argocd/ for this environment only, reading from REPO_URL at REVISION
argocd_objects() {
  sed -e "s#$UPSTREAM_REPO#$REPO_URL#g" \
    -e "s#^\( *\)\(revision\|targetRevision\): main\$#\1\2: $REVISION#" \
    -e "s#deploy/environments/\*/release.yaml#deploy/environments/$env/release.yaml#" \
    deploy/argocd/appproject.yaml
  echo "---"
  sed -e "s#$UPSTREAM_REPO#$REPO_URL#g" \
    -e "s#^\( *\)\(revision\|targetRevision\): main\$#\1\2: $REVISION#" \
    -e "s#deploy/environments/\*/release.yaml#deploy/environments/$env/release.yaml#" \
    deploy/argocd/applicationset.yaml
}

# this cluster, registered in Argo CD under the environment's name
cluster_secret() {
  cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: cluster-$env
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
stringData:
  name: $env
  server: https://kubernetes.default.svc
YAML
}

if [ -n "$render" ]; then
  mkdir -p "$render"
  argocd_objects >"$render/argocd.yaml"
  cluster_secret >"$render/cluster-secret.yaml"
  exit 0
fi

echo "=== Argo CD $ARGOCD_VERSION"
kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f -
# server-side: the ApplicationSet CRD is too large for client-side apply's annotation
kubectl apply -n argocd --server-side --force-conflicts \
  -f "https://raw.githubusercontent.com/argoproj/argo-cd/$ARGOCD_VERSION/manifests/install.yaml"
kubectl patch configmap argocd-cmd-params-cm -n argocd --type merge \
  -p '{"data":{"applicationsetcontroller.enable.progressive.syncs":"true"}}'
kubectl rollout restart -n argocd deployment/argocd-applicationset-controller
for workload in deployment/argocd-repo-server deployment/argocd-applicationset-controller \
  statefulset/argocd-application-controller; do
  kubectl rollout status -n argocd "$workload" --timeout=300s
done

echo "=== $env: this cluster, the project and the ApplicationSet (from $REPO_URL at $REVISION)"
cluster_secret | kubectl apply -f -
argocd_objects | kubectl apply -f -

echo "=== waiting for $env's Applications to be Synced and Healthy (at most ${TIMEOUT}s)"
applications=$(sed -n 's/^ *- chart: //p' deploy/argocd/applicationset.yaml | sed "s/^/$env-/")
deadline=$((SECONDS + TIMEOUT))
while :; do
  ready=0 total=0
  for app in $applications; do
    total=$((total + 1))
    state=$(kubectl get application -n argocd "$app" \
      -o jsonpath='{.status.sync.status}/{.status.health.status}' 2>/dev/null || true)
    echo "  $app: ${state:-not generated yet}"
    [ "$state" = "Synced/Healthy" ] && ready=$((ready + 1))
  done
  [ "$ready" -eq "$total" ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "timed out after ${TIMEOUT}s" >&2
    kubectl get applications -n argocd -o yaml >&2 || true
    exit 1
  fi
  sleep 15
done
echo "=== $env is Synced and Healthy: $(echo "$applications" | paste -sd' ' -)"
