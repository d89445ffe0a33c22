#!/usr/bin/env bash
# Installs the system packages the test suite and `make run` need on a fresh Debian bookworm machine
# (run as root): servers the tests start for real, and the tools the checks call.
set -euo pipefail

packages=(
  postgresql            # initdb / pg_ctl: the tests start a real PostgreSQL
  prometheus            # prometheus + promtool: live scrape tests and rule unit tests
  prometheus-alertmanager
  wrk                   # load generator for benchmarks and the reliability suite
  shellcheck
  podman buildah runc uidmap slirp4netns fuse-overlayfs debootstrap   # container images
  netavark aardvark-dns iptables   # podman networks (compose service names) and published ports
  unzip
  openssl               # certificates for the fake Kubernetes API server of the chart tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
