# Shared settings for the lab scripts. Sourced, not run.
# Everything slow to build (venv, images, fixture mirror, VM disks) is cached
# outside the checkout, keyed by a hash of its recipe, so a fresh clone on a
# machine that has built them before reuses them and a new machine builds them.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${LAB_DIR}/../.." && pwd)"
DOCKEROPS_CACHE="${DOCKEROPS_CACHE:-/var/cache/dockerops-lab}"
mkdir -p "${DOCKEROPS_CACHE}"

log() { printf '\033[1;34m[lab]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[lab] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# recipe_hash FILE... : short hash of the given files' contents (the recipe).
recipe_hash() { cat "$@" | sha256sum | cut -c1-12; }

# Debian's docker.io puts its client in /usr/bin; prefer it over any other
# client on PATH so client and engine versions match.
DOCKER="${DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker || echo docker)}"
export DOCKER
