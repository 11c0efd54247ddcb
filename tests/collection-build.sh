#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path, and
# check that its roles, playbooks and plugins resolve by FQCN from there.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"; trap 'rm -rf "${tmp}"' EXIT
ansible-galaxy collection build --output-path "${tmp}/dist" . >/dev/null
tarball="$(ls "${tmp}"/dist/dockerops-host-*.tar.gz)"
echo "built $(basename "${tarball}") ($(du -k "${tarball}" | cut -f1) KiB)"
# Only the installed copy and the dependencies, and away from this checkout
# (ansible also finds collections on sys.path).
unset PYTHONPATH
deps="${ANSIBLE_COLLECTIONS_PATH#*:}"
export ANSIBLE_COLLECTIONS_PATH="${tmp}/installed:${deps}"
cd "${tmp}"
ansible-galaxy collection install --no-deps -p "${tmp}/installed" "${tarball}" >/dev/null
ansible-galaxy collection list dockerops.host 2>/dev/null | grep -q "^# ${tmp}/installed/ansible_collections" \
  || { echo "dockerops.host does not resolve from the installed copy" >&2; exit 1; }
ansible-playbook --syntax-check -i localhost, dockerops.host.site >/dev/null
ansible-doc -t filter dockerops.host.docker_repo >/dev/null
ansible-doc -t role dockerops.host.docker_install_ubuntu >/dev/null
ansible localhost -m ansible.builtin.debug \
  -a "msg={{ 'official' | dockerops.host.docker_mirror_url }}" 2>/dev/null | grep -q download.docker.com/linux
echo "dockerops.host resolves by FQCN from the installed tarball: site playbook, roles, filters"
