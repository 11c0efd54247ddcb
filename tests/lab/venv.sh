#!/usr/bin/env bash
# Creates (once per recipe) a virtualenv with the Python tools and a
# collections directory with the dependency collections, then links this
# checkout in as dockerops.host. Prints the venv path.
source "$(dirname "$0")/lib.sh"

PYTHON="${PYTHON:-python3}"
pyver="$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
hash="$(recipe_hash "${REPO_ROOT}/tests/requirements.txt" "${REPO_ROOT}/tests/collections.txt" "${LAB_DIR}/venv.sh")"
VENV="${DOCKEROPS_CACHE}/venv-py${pyver}-${hash}"
COLLECTIONS="${DOCKEROPS_CACHE}/collections-${hash}"

if [ ! -x "${VENV}/.complete" ]; then
  log "building venv ${VENV}"
  rm -rf "${VENV}"
  "${PYTHON}" -m venv "${VENV}"
  "${VENV}/bin/pip" install -q --upgrade pip >"${VENV}.log" 2>&1 || { tail -20 "${VENV}.log" >&2; die "pip failed"; }
  "${VENV}/bin/pip" install -q -r "${REPO_ROOT}/tests/requirements.txt" >>"${VENV}.log" 2>&1 || { tail -20 "${VENV}.log" >&2; die "pip install failed (see ${VENV}.log)"; }
  printf '#!/bin/sh\n' > "${VENV}/.complete" && chmod +x "${VENV}/.complete"
fi

if [ ! -e "${COLLECTIONS}/.complete" ]; then
  log "installing dependency collections into ${COLLECTIONS}"
  rm -rf "${COLLECTIONS}" && mkdir -p "${COLLECTIONS}"
  mapfile -t wanted < <(grep -v '^#' "${REPO_ROOT}/tests/collections.txt" | grep -v '==' | sed '/^$/d')
  if ! timeout 60 "${VENV}/bin/ansible-galaxy" collection install -p "${COLLECTIONS}" "${wanted[@]}" >/dev/null 2>&1; then
    log "Galaxy unreachable: taking the collections from the ansible package on PyPI"
    pkg="$(grep '==' "${REPO_ROOT}/tests/collections.txt")"
    tmp="$(mktemp -d)"
    "${VENV}/bin/pip" download -q --no-deps -d "${tmp}" "${pkg}" >>"${VENV}.log" 2>&1
    paths=()
    for c in "${wanted[@]}"; do paths+=("ansible_collections/${c%%.*}/${c#*.}/*"); done
    (cd "${tmp}" && "${VENV}/bin/python" - "${COLLECTIONS}" "${paths[@]}" <<'PY'
import fnmatch, glob, sys, zipfile, tarfile
dest, patterns = sys.argv[1], sys.argv[2:]
archive = glob.glob("ansible-*")[0]
if archive.endswith(".whl"):
    with zipfile.ZipFile(archive) as z:
        names = [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in patterns)]
        z.extractall(dest, names)
else:
    with tarfile.open(archive) as t:
        root = t.getnames()[0].split("/")[0] + "/"
        members = []
        for m in t.getmembers():
            rel = m.name[len(root):]
            if any(fnmatch.fnmatch(rel, p) for p in patterns):
                m.name = rel
                members.append(m)
        t.extractall(dest, members, filter="data")
PY
    )
    rm -rf "${tmp}"
  fi
  touch "${COLLECTIONS}/.complete"
fi

echo "${VENV}"
