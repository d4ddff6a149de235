#!/usr/bin/env bash
# Builds a local base image for the OpenScope image without any container registry: a minimal
# Debian root filesystem made with debootstrap (from the Debian mirror apt already uses), plus this
# machine's Node.js binary, imported with `docker import`.
#
#   scripts/make-base-image.sh [TAG]        default TAG: openscope-base:local
#
# Environment: SUITE (default: this machine's Debian codename, else bookworm), MIRROR (default:
# debootstrap's own), NODE_BIN (default: `command -v node`; an official, self-contained build),
# FORCE=1 to rebuild an existing tag.
set -euo pipefail

tag=${1:-openscope-base:local}
suite=${SUITE:-$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")}
suite=${suite:-bookworm}
node_bin=${NODE_BIN:-$(command -v node)}

if [[ -z "${FORCE:-}" ]] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already exists (FORCE=1 to rebuild)"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
fi
# The Node binary must not need a libnode from the host (Debian's nodejs package does).
if ldd "$node_bin" | grep -q libnode; then
  echo "error: $node_bin links libnode; give NODE_BIN an official self-contained node binary" >&2
  exit 1
fi

work=$(mktemp -d /tmp/openscope-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
# minbase + what the probe uses at run time: conntrack (short-lived connections), ca-certificates
# (TLS to apps and the Kubernetes API); util-linux (setpriv, nsenter) and procps are essential.
debootstrap --variant=minbase --include=ca-certificates,conntrack "$suite" "$rootfs" ${MIRROR:+"$MIRROR"}
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
"$rootfs/usr/local/bin/node" --version >/dev/null 2>&1 || chroot "$rootfs" /usr/local/bin/node --version >/dev/null
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*

tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$tag" >/dev/null
echo "built base image $tag ($(docker image inspect -f '{{.Size}}' "$tag") bytes)"
