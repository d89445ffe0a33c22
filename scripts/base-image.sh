#!/usr/bin/env bash
# Builds the local Python base image the Dockerfile uses on machines that cannot pull from a
# registry: Debian bookworm (debootstrap --variant=minbase) with Debian's python3 and venv,
# imported with `podman import`. Real users keep the Dockerfile's default (python:3.11-slim-bookworm).
#
#   scripts/base-image.sh [image]     default image: localhost/meatyapis-base:bookworm
#
# Idempotent: an existing image is kept (set REBUILD=1 to replace it). Needs root, debootstrap, podman.
set -euo pipefail

image=${1:-localhost/meatyapis-base:bookworm}
root_dir=$(cd "$(dirname "$0")/.." && pwd)
mirror=$(bash "$root_dir/scripts/debian-mirror.sh")
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root_dir/scripts/podman/containers.conf}

if [ "${REBUILD:-0}" != 1 ] && podman image exists "$image"; then
  echo "base image $image present"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "debootstrap bookworm (minbase + python3, python3-venv) from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" >&2
  exit 1
}

# What a container image does not need: package caches, docs, logs.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/var/log/* "$rootfs"/tmp/*
# Stable, small apt sources for later `apt-get update` inside builds.
echo "deb $mirror bookworm main" >"$rootfs/etc/apt/sources.list"

tar --numeric-owner -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --message "debootstrap bookworm minbase + python3 + python3-venv" \
  - "$image" >/dev/null
podman image inspect --format '{{.Id}} {{.Size}}' "$image" | awk -v i="$image" '{printf "built %s (%s, %.0f MB)\n", i, substr($1,1,12), $2/1e6}'
