#!/usr/bin/env bash
# Prints the Debian archive to fetch packages from: $DEBIAN_MIRROR when set, else the first
# Debian archive among the machine's own apt sources (deb822 `URIs:` or one-line `deb` entries).
# Used by base-image.sh (debootstrap) and install-tools.sh (Prometheus 3 from Debian unstable).
set -euo pipefail
if [ -n "${DEBIAN_MIRROR:-}" ]; then
  echo "${DEBIAN_MIRROR%/}"
  exit 0
fi
shopt -s nullglob
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -r "$file" ] || continue
  uri=$(awk '
    /^[[:space:]]*#/ { next }
    /^URIs:/ { for (i = 2; i <= NF; i++) print $i }
    /^deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
  ' "$file" | grep -E '/debian/?$' | head -n 1 || true)
  if [ -n "$uri" ]; then
    echo "${uri%/}"
    exit 0
  fi
done
echo "no Debian archive among the apt sources: set DEBIAN_MIRROR to one" >&2
exit 1
