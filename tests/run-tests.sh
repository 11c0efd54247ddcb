#!/usr/bin/env bash
# The test run: every suite runs, each is reported, and the run fails if any
# failed. Suites can be picked: tests/run-tests.sh lint unit build molecule
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source .cache/lab.env

ALL=(lint unit tools build quickstart sanity molecule:fleet molecule:docker_install_ubuntu molecule:docker_daemon molecule:docker_install_centos_repo molecule:docker_install_el molecule:kernel_params molecule:lvm_thinpool molecule:docker_storage molecule:storage_move molecule:site_preflight molecule:engine28)
SUITES=("${@:-${ALL[@]}}")
passed=0; failed=0; failures=()
mkdir -p tests/output

run_suite() {
  local name="$1"; shift
  printf '\n\033[1;35m=== %s ===\033[0m\n' "${name}"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); printf '\033[1;32m--- %s: PASSED (%ds)\033[0m\n' "${name}" $((SECONDS - start))
  else
    failed=$((failed + 1)); failures+=("${name}"); printf '\033[1;31m--- %s: FAILED (%ds)\033[0m\n' "${name}" $((SECONDS - start))
  fi
}

suite_lint() {
  yamllint -s . && ansible-lint --profile production --strict && antsibull-changelog lint &&
  python tools/role-readme.py --check
}
suite_unit() {
  python -m pytest -q -p no:cacheprovider tests/unit
}
# The key pin against the real apt (gpgv) and rpm of this machine.
suite_tools() {
  python -m pytest -q -p no:cacheprovider tests/tools
}
suite_build() { bash tests/collection-build.sh; }
suite_quickstart() { bash tests/quickstart.sh; }
suite_sanity() { bash tests/sanity.sh; }
molecule_scenario() {
  local scenario="$1"
  (cd "$(pwd)" && molecule test -s "${scenario}")
}

for suite in "${SUITES[@]}"; do
  case "${suite}" in
    lint) run_suite "lint (yamllint, ansible-lint production, changelog fragments)" suite_lint ;;
    unit) run_suite "unit tests (pytest)" suite_unit ;;
    tools) run_suite "real-tool tests: the key pin against apt and rpm (pytest)" suite_tools ;;
    build) run_suite "collection build, install and FQCN resolution; examples, changelog, EE" suite_build ;;
    quickstart) run_suite "README quick start from the tarball, in a fresh directory, against a lab host" suite_quickstart ;;
    sanity) run_suite "ansible-test sanity (plugins/, offline tests)" suite_sanity ;;
    molecule) for s in "${ALL[@]}"; do [[ "$s" == molecule:* ]] && run_suite "molecule: ${s#molecule:}" molecule_scenario "${s#molecule:}"; done ;;
    molecule:*) run_suite "molecule: ${suite#molecule:}" molecule_scenario "${suite#molecule:}" ;;
    *) echo "unknown suite ${suite}" >&2; failed=$((failed + 1)); failures+=("${suite}") ;;
  esac
done

printf '\n'
((failed)) && printf 'failed suites: %s\n' "${failures[*]}"
echo "suites: ${passed} passed, ${failed} failed"
((failed == 0))
