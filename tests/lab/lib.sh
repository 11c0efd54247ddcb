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

# debian_mirror : the Debian archive this machine's apt already uses, so the lab
# works behind whatever mirror the machine has. DEBIAN_MIRROR overrides it.
# Read from APT_ETC (default /etc/apt): sources.list, sources.list.d/*.list and
# deb822 sources.list.d/*.sources. The first `deb` entry with component `main`
# whose suite is this machine's own codename (not -security, -updates,
# -backports) is Debian's main archive.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "${DEBIAN_MIRROR%/}"; return 0; fi
  local codename found
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "${codename}" ] || die "no VERSION_CODENAME in /etc/os-release: set DEBIAN_MIRROR to a Debian archive URL"
  found="$(python3 - "${APT_ETC:-/etc/apt}" "${codename}" <<'PY'
import glob, os, re, sys
etc, codename = sys.argv[1], sys.argv[2]

def one_line(path):
    for line in open(path, errors="replace"):
        line = line.split("#", 1)[0].strip()
        line = re.sub(r"\[[^]]*\]", " ", line)  # [signed-by=... arch=...]
        f = line.split()
        if len(f) >= 4 and f[0] == "deb":
            yield [f[1]], [f[2]], f[3:]

def deb822(path):
    for stanza in re.split(r"\n\s*\n", open(path, errors="replace").read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
            continue
        yield fields.get("uris", "").split(), fields.get("suites", "").split(), fields.get("components", "").split()

paths = [os.path.join(etc, "sources.list")] + sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
sources = [p for p in paths if os.path.isfile(p)]
entries = [e for p in sources for e in one_line(p)]
entries += [e for p in sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources"))) for e in deb822(p)]
for uris, suites, components in entries:
    if codename in suites and "main" in components and uris:
        print(uris[0].rstrip("/"))
        break
PY
)"
  [ -n "${found}" ] || die "no Debian archive for ${codename} (a 'deb' entry with suite ${codename} and component main) in ${APT_ETC:-/etc/apt}/sources.list or sources.list.d/*.list|*.sources: set DEBIAN_MIRROR to a Debian archive URL"
  echo "${found}"
}

# image_current IMAGE HASH : true (and says so) when the engine holds IMAGE
# built from the recipe HASH (its dockerops.recipe label).
image_current() {
  local have
  have="$("${DOCKER}" image inspect -f '{{index .Config.Labels "dockerops.recipe"}}' "$1" 2>/dev/null || true)"
  [ "${have}" = "$2" ] || return 1
  log "image $1 is current (recipe $2)"
}

# apt_for NAME SUITE : a private apt configuration for one suite of the Debian
# archive at MIRROR (the machine's own sources untouched), under WORK; sets
# APT (apt-get options) and apt_root, and reads the suite's index.
apt_for() {
  apt_root="${WORK:?}/apt-$1"
  mkdir -p "${apt_root}"/{state/lists/partial,cache/archives/partial,debs}
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${MIRROR:?} $2 main" > "${apt_root}/sources.list"
  APT=(-o APT::Sandbox::User=root -o "Dir::Etc::SourceList=${apt_root}/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State=${apt_root}/state" -o "Dir::Cache=${apt_root}/cache"
       -o Dir::State::status=/dev/null -o APT::Architecture=amd64)
  apt-get "${APT[@]}" update -qq
}
