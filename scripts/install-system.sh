#!/usr/bin/env bash
# Installs the system packages the test suite and `make run` need on a fresh Debian bookworm machine
# (run as root): servers the tests start for real, and the tools the checks call.
#   bash scripts/install-system.sh        everything `make test` needs
#   bash scripts/install-system.sh run    only what `make run` starts (Prometheus)
# A fast no-op when nothing is missing: apt is called only for missing packages.
set -euo pipefail

run_packages=(
  prometheus            # make run starts Prometheus beside the services
  curl                  # make run's readiness checks
)
test_packages=(
  postgresql            # initdb / pg_ctl: the tests start a real PostgreSQL
  prometheus            # prometheus + promtool: live scrape tests and rule unit tests
  prometheus-alertmanager
  debian-archive-keyring   # verifies Debian's Prometheus 3 packages (scripts/install-tools.sh)
  wrk                   # load generator for benchmarks and the reliability suite
  shellcheck
  podman buildah runc uidmap slirp4netns fuse-overlayfs debootstrap   # container images
  netavark aardvark-dns iptables   # podman networks (compose service names) and published ports
  unzip
  openssl               # certificates for the fake Kubernetes API server of the chart tests
  chromium chromium-driver   # real-browser tests of the docs and welcome pages (selenium)
)
case "${1:-test}" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

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
