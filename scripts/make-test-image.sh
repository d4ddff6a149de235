#!/usr/bin/env bash
# Builds the local test image `localbb:latest` without any registry: a root filesystem holding a
# static busybox and one symlink per applet (sh, wget, httpd, nc, sleep…), piped into `docker import`.
# Idempotent: does nothing when the image already exists (pass --force to rebuild).
set -euo pipefail

IMAGE="${IMAGE:-localbb:latest}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

if [[ "${1:-}" != "--force" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already exists"
  exit 0
fi

if [[ ! -x "$BUSYBOX" ]]; then
  echo "$BUSYBOX not found (install busybox-static)" >&2
  exit 1
fi
# A dynamically linked busybox would not run in an empty root filesystem.
if ldd "$BUSYBOX" 2>/dev/null | grep -q '=>'; then
  echo "$BUSYBOX is not statically linked (install busybox-static)" >&2
  exit 1
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,www,var/log}
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
chmod 755 "$root/bin/busybox"
# One symlink per applet, in /bin (busybox resolves the applet from argv[0]).
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] && continue
  ln -sf busybox "$root/bin/$applet"
done
# The applets tests rely on, even if --list were to omit them.
for applet in sh wget httpd nc sleep cat echo ls ps mkdir; do
  ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
  docker import --change 'ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin' - "$IMAGE" >/dev/null
echo "built $IMAGE"
