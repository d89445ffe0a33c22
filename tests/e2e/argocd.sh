#!/usr/bin/env bash
# End-to-end with Argo CD on a kind cluster: build both images and load them, serve this
# checkout to the cluster with `git daemon` — staging pinned (scripts/gitops/promote.py) to the
# images just built and to the checkout's chart versions, tagged as chart-releaser tags releases
# — then deploy/argocd/bootstrap.sh staging: Argo CD syncs staging from that repository, and it
# must become Synced and Healthy. A second sync must then change nothing: the application stays
# Synced and the signing key the PreSync hook generated the first time is the same Secret.
#
# Needs: docker, kind (a cluster: KIND_CLUSTER), kubectl, git, make, uv.
#   kind create cluster --name meatyapis-gitops && KIND_CLUSTER=meatyapis-gitops bash tests/e2e/argocd.sh
#   FLASK_DIGEST=sha256:… FASTAPI_DIGEST=sha256:… bash tests/e2e/argocd.sh --render DIR
#     (the served repository and the Argo CD objects, without a cluster; tests/e2e checks them)
set -euo pipefail
cd "$(dirname "$0")/../.."

KIND_CLUSTER=${KIND_CLUSTER:-meatyapis-gitops}
IMAGE_TAG=${IMAGE_TAG:-e2e}
IMAGE_PREFIX=ghcr.io/meatyapis/
E2E_ARTIFACTS=${E2E_ARTIFACTS:-$(mktemp -d)}
ENVIRONMENT=staging
work=$(mktemp -d)
pids=()
mkdir -p "$E2E_ARTIFACTS"

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] && [ -z "${render:-}" ]; then
    kubectl get applications -n argocd -o yaml >"$E2E_ARTIFACTS/applications.yaml" 2>&1 || true
    for ns in argocd meatyapis monitoring; do
      kubectl get all,events -n "$ns" -o wide >"$E2E_ARTIFACTS/$ns-resources.txt" 2>&1 || true
    done
    kubectl logs -n argocd statefulset/argocd-application-controller --tail=300 \
      >"$E2E_ARTIFACTS/argocd-application-controller.log" 2>&1 || true
    kubectl logs -n argocd deployment/argocd-applicationset-controller --tail=300 \
      >"$E2E_ARTIFACTS/argocd-applicationset-controller.log" 2>&1 || true
    echo "e2e failed (exit $status): diagnostics in $E2E_ARTIFACTS" >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

log() { printf '\n=== %s\n' "$*"; }

chart_version() { sed -n 's/^version: *//p' "charts/$1/Chart.yaml" | tr -d '"' | head -n 1; }

# the digest kind's containerd gave IMAGE when it was loaded (kind imports with digests)
image_digest() {
  docker exec "$KIND_CLUSTER-control-plane" ctr -n k8s.io images ls "name==$1" \
    | awk 'NR == 2 {print $3}'
}

# serve_repository OUT FLASK_DIGEST FASTAPI_DIGEST: OUT/meatyapis.git, a bare repository of this
# checkout (uncommitted changes included) whose main pins staging, with the release tags
serve_repository() {
  local out=$1 flask=$2 fastapi=$3 checkout="$work/checkout" chart
  mkdir -p "$checkout" "$out"
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$checkout"
  uv run --frozen python -m scripts.gitops.promote "$ENVIRONMENT" --root "$checkout" \
    --chart "meatyapis=$(chart_version meatyapis)" --chart "monitoring=$(chart_version monitoring)" \
    --image "flask=$flask" --image "fastapi=$fastapi"
  git -C "$checkout" init --quiet -b main
  git -C "$checkout" add -A
  git -C "$checkout" -c user.name=e2e -c user.email=e2e@example.invalid -c commit.gpgsign=false \
    commit --quiet -m "$ENVIRONMENT pinned to the images under test"
  for chart in meatyapis monitoring; do
    git -C "$checkout" tag "$chart-$(chart_version "$chart")"
  done
  git clone --quiet --bare "$checkout" "$out/meatyapis.git"
}

render=
if [ "${1:-}" = "--render" ]; then
  render=${2:?usage: argocd.sh --render DIR}
  serve_repository "$render/git" "${FLASK_DIGEST:?}" "${FASTAPI_DIGEST:?}"
  REPO_URL=git://127.0.0.1:9418/meatyapis.git bash deploy/argocd/bootstrap.sh --render \
    "$ENVIRONMENT" "$render/argocd"
  exit 0
fi

log "build and load the images"
bash tests/e2e/kind-images.sh "$KIND_CLUSTER" "$IMAGE_PREFIX" "$IMAGE_TAG"
flask_digest=$(image_digest "${IMAGE_PREFIX}meatyapis-flask:$IMAGE_TAG")
fastapi_digest=$(image_digest "${IMAGE_PREFIX}meatyapis-fastapi:$IMAGE_TAG")
echo "flask $flask_digest, fastapi $fastapi_digest"

log "serve this checkout to the cluster (git daemon on the kind network's gateway)"
serve_repository "$work/git" "$flask_digest" "$fastapi_digest"
gateway=$(docker network inspect kind -f '{{range .IPAM.Config}}{{.Gateway}} {{end}}' \
  | tr ' ' '\n' | grep -m 1 '\.')
git daemon --reuseaddr --export-all --base-path="$work/git" --listen="$gateway" --port=9418 \
  "$work/git" >"$E2E_ARTIFACTS/git-daemon.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 30); do
  git ls-remote "git://$gateway:9418/meatyapis.git" >/dev/null 2>&1 && break
  sleep 1
done
git ls-remote "git://$gateway:9418/meatyapis.git" | tee "$E2E_ARTIFACTS/served-refs.txt"

log "Argo CD syncs $ENVIRONMENT"
REPO_URL="git://$gateway:9418/meatyapis.git" REVISION=main \
  bash deploy/argocd/bootstrap.sh "$ENVIRONMENT"

log "a second sync changes nothing"
secret=meatyapis-fastapi-token
before=$(kubectl get secret -n meatyapis "$secret" -o jsonpath='{.metadata.uid} {.data.TOKEN_SECRET}')
app="$ENVIRONMENT-meatyapis"
kubectl patch application -n argocd "$app" --type merge \
  -p '{"operation":{"initiatedBy":{"username":"e2e"},"sync":{}}}'
deadline=$((SECONDS + 300))
until [ "$(kubectl get application -n argocd "$app" -o jsonpath='{.status.operationState.phase}')" = Succeeded ] \
  && [ -z "$(kubectl get application -n argocd "$app" -o jsonpath='{.operation}')" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "the second sync did not finish" >&2; exit 1; }
  sleep 5
done
state=$(kubectl get application -n argocd "$app" -o jsonpath='{.status.sync.status}/{.status.health.status}')
after=$(kubectl get secret -n meatyapis "$secret" -o jsonpath='{.metadata.uid} {.data.TOKEN_SECRET}')
echo "$app after the second sync: $state"
[ "$state" = "Synced/Healthy" ] || { echo "$app is $state after a second sync" >&2; exit 1; }
[ "$before" = "$after" ] || { echo "the second sync replaced Secret $secret" >&2; exit 1; }
log "Argo CD e2e passed"
