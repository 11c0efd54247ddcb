#!/usr/bin/env bash
# The README's quick start, as written, in a fresh project directory: its
# command lines are read from README.md and run one by one, against one lab
# container. Only the editor line is replaced: it writes the lab host, the
# fixture mirror and its key pin into the copied example inventory. Every
# command must exit 0 and print no [WARNING].
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
tmp="$(mktemp -d)"
host=dockerops-quickstart
cleanup() {
  "${DOCKER:-docker}" rm -f "${host}" >/dev/null 2>&1 || true
  "${DOCKER:-docker}" volume rm -f "${host}-docker" >/dev/null 2>&1 || true
  rm -rf "${tmp}"
}
trap cleanup EXIT

# The quick start's sh block: the first ```sh block after "## Quick start".
mapfile -t lines < <(awk '/^## Quick start/ {q=1} q && /^```sh$/ {b=1; next} b && /^```$/ {exit} b {print}' README.md)
((${#lines[@]} >= 8)) || { echo "README.md: no quick start block found" >&2; exit 1; }

# The tarball the README names, built from this checkout, beside the project directory.
ansible-galaxy collection build --output-path "${tmp}/dist" . >/dev/null
built="$(basename "$(ls "${tmp}"/dist/dockerops-host-*.tar.gz)")"
for line in "${lines[@]}"; do
  if [[ "${line}" == *dockerops-host-*.tar.gz* && "${line}" != *"../${built}"* ]]; then
    echo "README.md's quick start names another tarball than ${built}: ${line}" >&2; exit 1
  fi
done
mv "${tmp}/dist/${built}" "${tmp}/"

# A user whose home already holds the dependencies (so the install needs no
# Galaxy), and no environment of this checkout: ansible.cfg alone decides.
# (lab.env: this checkout first, then the dependency collections)
deps="${DOCKEROPS_COLLECTIONS_PATH##*:}"
[ -d "${deps}/ansible_collections/community/docker" ] || { echo "no dependency collections at ${deps}" >&2; exit 1; }
mkdir -p "${tmp}/home/.ansible"
ln -s "${deps}" "${tmp}/home/.ansible/collections"
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS PYTHONPATH ANSIBLE_CONFIG
export HOME="${tmp}/home" ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

# The lab host: a fresh Debian 12 container with the fixture mirror (the flags of extensions/molecule/shared/lab-host.yml).
"${DOCKER:-docker}" rm -f "${host}" >/dev/null 2>&1 || true
"${DOCKER:-docker}" run -d --name "${host}" --hostname "${host}" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_PTRACE --cap-add MKNOD --cap-add SYS_MODULE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cgroupns=host \
  -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock -v "${host}-docker:/var/lib/docker" \
  -v "${DOCKEROPS_FIXTURE_MIRROR}:/srv/docker-mirror:ro" dockerops-lab/debian:bookworm /lib/systemd/systemd >/dev/null

# What the user types in the editor: their host, their mirror and pin, a version
# the mirror has, and the group user the example names.
edit_inventory() {
  cat > inventory/hosts.yml <<EOF
---
all:
  children:
    docker_hosts:
      children:
        ubuntu_docker:
          hosts:
            ${host}:
              ansible_connection: community.docker.docker
              ansible_python_interpreter: /usr/bin/python3
EOF
  cat > inventory/group_vars/ubuntu_docker.yml <<EOF
---
docker_install_ubuntu_mirror: custom
docker_install_ubuntu_mirror_url: file:///srv/docker-mirror/linux
docker_install_ubuntu_key_fingerprint: "${DOCKEROPS_FIXTURE_FINGERPRINT}"
docker_install_ubuntu_version: "28.5.2"
docker_group_create_users: true
EOF
}

cd "${tmp}"
for line in "${lines[@]}"; do
  printf '\n\033[1;34m$ %s\033[0m\n' "${line}"
  case "${line}" in
    *EDITOR*) edit_inventory; continue ;;
  esac
  log="${tmp}/step.log"
  if ! bash -c "${line}" >"${log}" 2>&1; then
    tail -40 "${log}" >&2; echo "quick start step failed: ${line}" >&2; exit 1
  fi
  tail -3 "${log}"
  if grep -q '\[WARNING\]' "${log}"; then
    grep '\[WARNING\]' "${log}" >&2; echo "quick start step warned: ${line}" >&2; exit 1
  fi
  case "${line}" in
    # Each line runs in its own shell: keep the directory the first one made.
    "mkdir fleet && cd fleet") cd fleet ;;
    # The YAML callback wraps long lines: whitespace is collapsed first.
    # (grep reads a string, not a pipe: `| grep -q` can make the writer fail with SIGPIPE under pipefail.)
    *"--check --diff"*) grep -qF "${host} (check mode: what would change): engine installed or upgraded" <<<"$(tr -s ' \n' '  ' <"${log}")" \
                          || { echo "the check-mode summary does not name the engine install" >&2; exit 1; } ;;
    *dockerops_preflight*) ! grep -q 'changed:' "${log}" || { echo "the preflight changed something" >&2; exit 1; } ;;
  esac
done
version="$("${DOCKER:-docker}" exec "${host}" docker version --format '{{.Server.Version}}' 2>&1 || true)"
[[ "${version}" == 28.5.2* ]] || { echo "the quick start did not leave Engine 28.5.2 running: ${version}" >&2; exit 1; }
echo "README quick start: every step ran as written from ${built} in a fresh directory"
cd "${repo}"
