#!/usr/bin/env bash
# Creates (once per recipe) a virtualenv with the Python tools and a
# collections directory with the dependency collections, then links this
# checkout in as dockerops.host. Prints the venv path and the collections
# directory, on one line.
source "$(dirname "$0")/lib.sh"

PYTHON="${PYTHON:-python3}"
pyver="$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# The venv is keyed by tests/requirements.txt (bump VENV_RECIPE when the steps below change).
VENV_RECIPE=2
VENV="${DOCKEROPS_CACHE}/venv-py${pyver}-$( (echo "${VENV_RECIPE}"; cat "${REPO_ROOT}/tests/requirements.txt") | sha256sum | cut -c1-12)"

if [ ! -x "${VENV}/.complete" ]; then
  log "building venv ${VENV}"
  rm -rf "${VENV}"
  "${PYTHON}" -m venv "${VENV}"
  "${VENV}/bin/pip" install -q --upgrade pip >"${VENV}.log" 2>&1 || { tail -20 "${VENV}.log" >&2; die "pip failed"; }
  "${VENV}/bin/pip" install -q -r "${REPO_ROOT}/tests/requirements.txt" >>"${VENV}.log" 2>&1 || { tail -20 "${VENV}.log" >&2; die "pip install failed (see ${VENV}.log)"; }
  printf '#!/bin/sh\n' > "${VENV}/.complete" && chmod +x "${VENV}/.complete"
fi

# The dependency collections: the repository's requirements.yml, keyed by the
# list it holds (names and ranges; comments and order do not count), so that
# only a changed list installs them again (tests/lab/dependency_collections.py).
REQUIREMENTS="${REPO_ROOT}/requirements.yml"
collections_py() { "${VENV}/bin/python" "${LAB_DIR}/dependency_collections.py" "$@"; }
COLLECTIONS="${DOCKEROPS_CACHE}/collections-$(collections_py key "${REQUIREMENTS}")" || die "cannot read ${REQUIREMENTS}"

if [ ! -e "${COLLECTIONS}/.complete" ]; then
  rm -rf "${COLLECTIONS}"
  # A directory made under another key (an earlier recipe) that holds exactly
  # this list is taken as it is (hard links): no network needed.
  if earlier="$(collections_py reuse "${REQUIREMENTS}" "${DOCKEROPS_CACHE}"/collections-*/)"; then
    log "dependency collections: ${earlier} already holds requirements.yml's list; linking it as ${COLLECTIONS}"
    cp -al "${earlier%/}" "${COLLECTIONS}" || die "cannot link ${earlier} to ${COLLECTIONS}"
  else
    log "installing dependency collections into ${COLLECTIONS}"
    mkdir -p "${COLLECTIONS}"
    if ! timeout 60 "${VENV}/bin/ansible-galaxy" collection install -p "${COLLECTIONS}" -r "${REQUIREMENTS}" >/dev/null 2>&1; then
      log "Galaxy unreachable: taking the collections from the ansible package (pip download)"
      rm -rf "${COLLECTIONS}" && mkdir -p "${COLLECTIONS}"
      tmp="$(mktemp -d)"
      "${VENV}/bin/pip" download -q --no-deps -d "${tmp}" "$(collections_py fallback-package "${REQUIREMENTS}")" >>"${VENV}.log" 2>&1 \
        || { rm -rf "${tmp}"; die "pip download of the ansible package failed (see ${VENV}.log)"; }
      collections_py extract "${REQUIREMENTS}" "$(ls "${tmp}"/ansible-*)" "${COLLECTIONS}" || { rm -rf "${tmp}"; die "extracting the collections failed"; }
      rm -rf "${tmp}"
    fi
    collections_py check "${REQUIREMENTS}" "${COLLECTIONS}" || die "the collections installed do not match ${REQUIREMENTS}"
  fi
  touch "${COLLECTIONS}/.complete"
fi

echo "${VENV} ${COLLECTIONS}"
