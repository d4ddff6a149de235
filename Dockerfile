# OpenScope image: one image for the app, the probe, or both (like weaveworks/scope).
#
# The base is a build argument so the image builds where no registry is reachable:
# scripts/make-base-image.sh makes a local Debian + Node.js base, scripts/build-image.sh stages
# the build output and builds this file on it. Any image with Node.js >= 20 on glibc works, e.g.
#   docker build --build-arg BASE_IMAGE=node:20-bookworm-slim -t openscope .
# from a context holding dist/, web/dist/, node_modules/ (production) and package.json.
ARG BASE_IMAGE=openscope-base:local
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="OpenScope" \
      org.opencontainers.image.description="Live network-topology monitoring for Docker hosts and Kubernetes clusters" \
      org.opencontainers.image.licenses="Apache-2.0"

# eBPF connection tracking (--probe.ebpf.connections, issue #10) runs bpftrace on kernel
# tracepoints; iproute2's ss gives sock_diag traffic figures when eBPF is off; nsenter and
# setpriv are util-linux's. Skipped on a base without apt (the probe then logs why and falls back).
RUN if command -v apt-get >/dev/null; then \
      (command -v bpftrace && command -v ss && command -v nsenter) >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends bpftrace iproute2 util-linux \
           && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; }; \
    fi

WORKDIR /opt/openscope
COPY package.json ./
COPY node_modules ./node_modules
COPY web/dist ./web/dist
COPY dist ./dist
RUN node --version \
 && printf '#!/bin/sh\nexec node --single-threaded-gc /opt/openscope/dist/cli/main.js "$@"\n' > /usr/local/bin/openscope \
 && chmod 0755 /usr/local/bin/openscope \
 && ln -s openscope /usr/local/bin/scope

ENV NODE_ENV=production
EXPOSE 4040
ENTRYPOINT ["node", "--single-threaded-gc", "/opt/openscope/dist/cli/main.js"]
