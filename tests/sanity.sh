#!/usr/bin/env bash
# ansible-test sanity on plugins/, offline, on a copy of the collection under
# ansible_collections/dockerops/host (the layout ansible-test needs).
# ansible-test bootstraps pip in its venvs with a script from
# ci-files.testing.ansible.com, unreachable here: a stand-in in its cache
# installs the pip version ansible-test asks for from a wheel downloaded here.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lab/lib.sh
pip_version="$(python - <<'PY'
import ansible_test, os, re
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)"
stand_in="${HOME}/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# ansible-test runs pip with a scrubbed environment: the stand-in gives each of
# its venvs this machine's effective pip settings (index, certificates) as the
# venv's own pip.conf.
pip_conf="$(python -m pip config list 2>/dev/null | sed -nE "s/^[^.]*\.([a-z-]+)='(.*)'$/\1 = \2/p" | sort -u -t= -k1,1)"
wheels="${DOCKEROPS_CACHE}/pip-wheels"
mkdir -p "$(dirname "${stand_in}")" "${wheels}"
ls "${wheels}"/pip-"${pip_version}"-*.whl >/dev/null 2>&1 || python -m pip download -q --no-deps -d "${wheels}" "pip==${pip_version}"
pip_wheel="$(ls "${wheels}"/pip-"${pip_version}"-*.whl)"
cat > "${stand_in}" <<PY
# dockerops.host stand-in for get-pip.py (its download site is unreachable here).
import os
import subprocess
import sys

with open(os.path.join(sys.prefix, "pip.conf"), "w") as f:
    f.write("""[global]
${pip_conf}
""")
# pip run from its own wheel installs itself, then whatever else was asked.
wheel = "${pip_wheel}"
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel") and not a.startswith("pip==")]
rc = subprocess.call([sys.executable, os.path.join(wheel, "pip"), "install", "--no-index", wheel])
if rc == 0 and [a for a in args if not a.startswith("-")]:
    rc = subprocess.call([sys.executable, "-m", "pip", "install"] + args)
sys.exit(rc)
PY

tmp="$(mktemp -d)"; trap 'rm -rf "${tmp}"' EXIT
dest="${tmp}/ansible_collections/dockerops/host"; mkdir -p "${dest}"
git ls-files -co --exclude-standard | grep -v '^\.cache/' | rsync -a --files-from=- . "${dest}/"
cd "${dest}" && git init -q && git add -A
# Every test that runs offline; pslint (PowerShell) and shellcheck have no tool here.
TESTS=(action-plugin-docs ansible-doc changelog compile empty-init ignores import line-endings no-assert no-get-exception
       no-illegal-filenames no-smart-quotes pep8 pylint replace-urlopen runtime-metadata shebang symlinks
       use-argspec-type-path use-compat-six validate-modules yamllint)
echo "ansible-test sanity $(ansible --version | sed -n 1p), Python 3.11, plugins/: ${TESTS[*]}"
args=(); for t in "${TESTS[@]}"; do args+=(--test "${t}"); done
ANSIBLE_COLLECTIONS_PATH="${tmp}:${ANSIBLE_COLLECTIONS_PATH#*:}" \
  ansible-test sanity --requirements --python 3.11 --color no ${SANITY_VERBOSE:-} "${args[@]}" plugins/
