#!/usr/bin/env bash
# Builds the OpenScope image without a container registry:
#   1. the local base image (scripts/make-base-image.sh) unless BASE_IMAGE names another one,
#   2. the build output (tsc to dist/, the web UI to web/dist/) unless SKIP_BUILD=1,
#   3. a staging directory with production node_modules only (copied from this checkout, so native
#      modules already built here are reused and nothing is downloaded),
#   4. `docker build` of the Dockerfile on that base.
#
#   scripts/build-image.sh [TAG]      default TAG: openscope:latest
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-openscope:latest}
base=${BASE_IMAGE:-openscope-base:local}

cd "$root"
if [[ "$base" == "openscope-base:local" ]]; then
  bash scripts/make-base-image.sh "$base"
fi
if [[ -z "${SKIP_BUILD:-}" ]]; then
  npx tsc -p tsconfig.json
  npm run --silent build:web
fi
[[ -f dist/cli/main.js ]] || { echo "error: dist/cli/main.js missing (npm run build)" >&2; exit 1; }

stage=$(mktemp -d /tmp/openscope-image.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/web"
cp package.json package-lock.json "$stage/"
cp -a dist "$stage/dist"
if [[ -d web/dist ]]; then cp -a web/dist "$stage/web/dist"; else mkdir -p "$stage/web/dist"; fi
cp -a node_modules "$stage/node_modules"
# Drop dev dependencies offline (prune only deletes); scripts never run.
(cd "$stage" && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline >/dev/null)
cp Dockerfile .dockerignore "$stage/"
# .dockerignore would hide web/dist's siblings only; the stage holds nothing else.
docker build --build-arg "BASE_IMAGE=$base" -t "$tag" "$stage"
echo "built $tag"
