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
for playbook in site; do ansible-playbook --syntax-check -i localhost, "dockerops.host.${playbook}" >/dev/null; done
# ansible-doc exits 0 for a name it does not know: compare listings instead.
roles="$(ansible-doc -t role -l dockerops.host 2>/dev/null | awk '/^dockerops.host/ {sub(":$", "", $1); print $1}')"
for role in $(ls "${OLDPWD}/roles"); do
  grep -qx "dockerops.host.${role}" <<<"${roles}" || { echo "role ${role} does not resolve" >&2; exit 1; }
done
filters="$(ansible-doc -t filter -l dockerops.host 2>/dev/null | awk '{print $1}')"
for filter in $(grep -hoE '^ +"[a-z_]+": ' "${OLDPWD}"/plugins/filter/*.py | cut -d'"' -f2); do
  grep -qx "dockerops.host.${filter}" <<<"${filters}" || { echo "filter ${filter} does not resolve" >&2; exit 1; }
done
for module in $(ls "${OLDPWD}/plugins/modules" | sed -n 's/\.py$//p'); do ansible-doc "dockerops.host.${module}" | grep -q "OPTIONS" || { echo "ansible-doc does not render ${module}" >&2; exit 1; }; done
ansible localhost -m ansible.builtin.debug \
  -a "msg={{ 'official' | dockerops.host.docker_mirror_url }}" 2>/dev/null | grep -q download.docker.com/linux
echo "dockerops.host resolves by FQCN from the installed tarball: site playbook, roles, modules, filters"
