#!/usr/bin/env bash
# Release helpers called by .github/workflows/release.yaml (one place for every shell step there).
#
#   release.sh app-version APP              print version=<APP's version> (for $GITHUB_OUTPUT)
#   release.sh sign IMAGE@DIGEST            keyless cosign signature (GitHub OIDC)
#   release.sh verify IMAGE[:TAG|@DIGEST]   cosign verify against this repository's release workflow
#   release.sh git-identity                 commit identity for chart-releaser's gh-pages index
#   release.sh push-charts DIR REGISTRY     helm push every packaged chart in DIR to oci://REGISTRY
#   release.sh promote-release REGISTRY     pin staging to this commit's images and charts, and
#                                           open (or update) the promotion pull request
#   release.sh promote ENV FROM             copy FROM's pins to ENV, and open (or update) its PR
#
# Environment: GITHUB_REPOSITORY, GITHUB_ACTOR, GITHUB_TOKEN (push-charts, promote*: also for
# gh), GITHUB_REF (verify), GITHUB_SHA (promote-release).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { sed -n '2,15p' "$0" >&2; exit 2; }

app_version() {
  local app=$1 file="apps/$1/pyproject.toml"
  [ -f "$file" ] || { echo "unknown app: $app" >&2; exit 2; }
  sed -n 's/^version = "\(.*\)"/version=\1/p' "$file" | head -n 1
}

sign() {
  cosign sign --yes "$1"
}

verify() {
  local ref=${GITHUB_REF:-refs/heads/main}
  cosign verify "$1" \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --certificate-identity "https://github.com/${GITHUB_REPOSITORY}/.github/workflows/release.yaml@${ref}" \
    >/dev/null
  echo "verified: $1"
}

git_identity() {
  git config user.name "$GITHUB_ACTOR"
  git config user.email "$GITHUB_ACTOR@users.noreply.github.com"
}

push_charts() {
  local dir=$1 registry=$2 pushed=0 chart
  printf '%s' "$GITHUB_TOKEN" | helm registry login ghcr.io --username "$GITHUB_ACTOR" --password-stdin
  for chart in "$dir"/*.tgz; do
    [ -e "$chart" ] || continue
    helm push "$chart" "oci://$registry"
    pushed=$((pushed + 1))
  done
  echo "pushed $pushed chart(s) to oci://$registry"
}

digest() {  # the manifest digest of IMAGE:TAG in its registry
  docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])'
}

chart_version() {
  sed -n 's/^version: *//p' "charts/$1/Chart.yaml" | tr -d '"' | head -n 1
}

# promotion_pr ENV SUMMARY: commit the environment's changed pins on promote/ENV and open or
# update its pull request against main (one open PR per environment, force-pushed).
promotion_pr() {
  local env=$1 summary=$2 branch="promote/$1" title body
  if git diff --quiet -- "deploy/environments/$env"; then
    echo "$env: already pinned, no pull request"
    return 0
  fi
  title="Promote $env: $(printf '%s' "$summary" | sed -n '2,$p' | sed 's/^ *//' | paste -sd, - | cut -c1-200)"
  git_identity
  git switch -C "$branch"
  git add -- "deploy/environments/$env"
  git commit --quiet -m "$title" -m "$summary"
  git push --force --quiet origin "$branch"
  body="$summary

Written by scripts/gitops/promote.py. On this branch, \`make gitops-diff REF=origin/main\`
shows the manifests Argo CD and Flux will apply once it is merged."
  if [ -n "$(gh pr list --head "$branch" --state open --json number --jq '.[].number')" ]; then
    gh pr edit "$branch" --title "$title" --body "$body"
  else
    gh pr create --base main --head "$branch" --title "$title" --body "$body"
  fi
}

promote_release() {
  local registry=$1 args=() chart app summary
  for chart in monitoring meatyapis; do
    args+=(--chart "$chart=$(chart_version "$chart")")
  done
  for app in flask fastapi; do
    args+=(--image "$app=$(digest "$registry/meatyapis-$app:sha-$GITHUB_SHA")")
  done
  summary=$(uv run --frozen python -m scripts.gitops.promote staging "${args[@]}")
  promotion_pr staging "$summary"
}

promote() {
  local env=$1 from=$2 summary
  summary=$(uv run --frozen python -m scripts.gitops.promote "$env" --from "$from")
  promotion_pr "$env" "$summary"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
  app-version) [ $# -eq 1 ] || usage; app_version "$1" ;;
  sign) [ $# -eq 1 ] || usage; sign "$1" ;;
  verify) [ $# -eq 1 ] || usage; verify "$1" ;;
  git-identity) [ $# -eq 0 ] || usage; git_identity ;;
  push-charts) [ $# -eq 2 ] || usage; push_charts "$1" "$2" ;;
  promote-release) [ $# -eq 1 ] || usage; promote_release "$1" ;;
  promote) [ $# -eq 2 ] || usage; promote "$1" "$2" ;;
  *) usage ;;
esac
