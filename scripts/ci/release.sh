#!/usr/bin/env bash
# Release helpers called by .github/workflows/release.yaml (one place for every shell step there).
#
#   release.sh app-version APP              print version=<APP's version> (for $GITHUB_OUTPUT)
#   release.sh sign IMAGE@DIGEST            keyless cosign signature (GitHub OIDC)
#   release.sh verify IMAGE[:TAG|@DIGEST]   cosign verify against this repository's release workflow
#   release.sh git-identity                 commit identity for chart-releaser's gh-pages index
#   release.sh push-charts DIR REGISTRY     helm push every packaged chart in DIR to oci://REGISTRY
#
# Environment: GITHUB_REPOSITORY, GITHUB_ACTOR, GITHUB_TOKEN (push-charts), GITHUB_REF (verify).
set -euo pipefail
cd "$(dirname "$0")/../.."

usage() { sed -n '2,10p' "$0" >&2; exit 2; }

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

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
  app-version) [ $# -eq 1 ] || usage; app_version "$1" ;;
  sign) [ $# -eq 1 ] || usage; sign "$1" ;;
  verify) [ $# -eq 1 ] || usage; verify "$1" ;;
  git-identity) [ $# -eq 0 ] || usage; git_identity ;;
  push-charts) [ $# -eq 2 ] || usage; push_charts "$1" "$2" ;;
  *) usage ;;
esac
