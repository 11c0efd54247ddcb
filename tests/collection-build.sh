#!/usr/bin/env bash
# Build the collection tarball, install it into an empty collections path, and
# check that its roles, playbooks and plugins resolve by FQCN from there.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"; trap 'rm -rf "${tmp}"' EXIT
ansible-galaxy collection build --output-path "${tmp}/dist" . >/dev/null
tarball="$(ls "${tmp}"/dist/dockerops-host-*.tar.gz)"
# requirements.yml lists the dependency collections; galaxy.yml must agree,
# and the lab's copies be in its ranges.
python tests/check-dependencies.py "${ANSIBLE_COLLECTIONS_PATH#*:}"
echo "built $(basename "${tarball}") ($(du -k "${tarball}" | cut -f1) KiB)"
# Only the installed copy and the dependencies, and away from this checkout
# (ansible also finds collections on sys.path).
unset PYTHONPATH
deps="${ANSIBLE_COLLECTIONS_PATH#*:}"
export ANSIBLE_COLLECTIONS_PATH="${tmp}/installed:${deps}"
cd "${tmp}"
ansible-galaxy collection install --no-deps -p "${tmp}/installed" "${tarball}" >/dev/null
# The listing goes to a file first: `| grep -q` would close the pipe at its first match, and tee, killed by
# SIGPIPE on a busy machine before it wrote the rest, would fail the pipeline (pipefail).
ansible-galaxy collection list dockerops.host >"${tmp}/list.txt" 2>/dev/null || true
awk -v path="# ${tmp}/installed/ansible_collections" '$0 == path {p = 1; next} /^# / {p = 0} p && $1 == "dockerops.host" {found = 1}
  END {exit !found}' "${tmp}/list.txt" \
  || { cat "${tmp}/list.txt" >&2; echo "dockerops.host does not resolve from the installed copy" >&2; exit 1; }
for playbook in $(ls "${OLDPWD}/playbooks" | sed -n 's/\.yml$//p'); do
  ansible-playbook --syntax-check -i localhost, "dockerops.host.${playbook}" >/dev/null \
    || { echo "playbook dockerops.host.${playbook} does not resolve" >&2; exit 1; }
done
# ansible-doc exits 0 for a name it does not know: compare listings instead.
roles="$(ansible-doc -t role -l dockerops.host 2>/dev/null | awk '/^dockerops.host/ {sub(":$", "", $1); print $1}')"
for role in $(ls "${OLDPWD}/roles"); do
  grep -qx "dockerops.host.${role}" <<<"${roles}" || { echo "role ${role} does not resolve" >&2; exit 1; }
done
filters="$(ansible-doc -t filter -l dockerops.host 2>/dev/null | awk '{print $1}')"
for filter in $(grep -hoE '^ +"[a-z_]+": ' "${OLDPWD}"/plugins/filter/*.py | cut -d'"' -f2); do
  grep -qx "dockerops.host.${filter}" <<<"${filters}" || { echo "filter ${filter} does not resolve" >&2; exit 1; }
done
for module in $(ls "${OLDPWD}/plugins/modules" | sed -n 's/\.py$//p'); do
  grep -q "OPTIONS" <<<"$(ansible-doc "dockerops.host.${module}")" || { echo "ansible-doc does not render ${module}" >&2; exit 1; }
done
grep -q download.docker.com/linux <<<"$(ansible localhost -m ansible.builtin.debug \
  -a "msg={{ 'official' | dockerops.host._docker_mirror_url }}" 2>/dev/null)"
# a public filter, and an old filter name through its meta/runtime.yml redirect (above)
grep -q '"13.81MB"' <<<"$(ansible localhost -m ansible.builtin.debug -a "msg={{ 13810000 | dockerops.host.docker_size }}" 2>/dev/null)"
echo "dockerops.host resolves by FQCN from the installed tarball: playbooks, roles, modules, filters"

# The example inventory sets only variables the roles take, with valid values.
ansible-playbook -i "${OLDPWD}/examples/inventory" "${OLDPWD}/tests/check-example-inventory.yml" >"${tmp}/example.log" \
  || { tail -30 "${tmp}/example.log" >&2; exit 1; }
echo "examples/inventory: every host's variables pass the roles' argument specs"

# CHANGELOG.rst is what antsibull-changelog generates from changelogs/.
cp -r "${OLDPWD}/changelogs" "${OLDPWD}/galaxy.yml" "${OLDPWD}/CHANGELOG.rst" "${tmp}/" && mkdir -p "${tmp}/plugins"
(cd "${tmp}" && antsibull-changelog generate >/dev/null && diff -u "${OLDPWD}/CHANGELOG.rst" CHANGELOG.rst) \
  || { echo "CHANGELOG.rst is not what antsibull-changelog generates" >&2; exit 1; }
echo "CHANGELOG.rst matches antsibull-changelog generate"

# The execution environment's build context (ansible-builder create needs no registry).
ansible-builder create -f "${OLDPWD}/execution-environment.yml" -c "${tmp}/ee" --output-filename Containerfile >/dev/null
grep -q "ansible-galaxy collection install" "${tmp}/ee/Containerfile" \
  && grep -q "dockerops.host" "${tmp}/ee/_build/requirements.yml" \
  && grep -q "^ARG EE_BASE_IMAGE=\"quay.io/fedora/fedora:41\"" "${tmp}/ee/Containerfile" \
  || { echo "ansible-builder create did not produce the expected context" >&2; exit 1; }
echo "execution environment: ansible-builder create wrote ${tmp##*/}/ee/Containerfile"
