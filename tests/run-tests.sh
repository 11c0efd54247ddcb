#!/usr/bin/env bash
# The test run: every suite runs, each is reported, and the run fails if any
# failed. Suites can be picked: tests/run-tests.sh lint unit build molecule
# (tests/run-tests.sh --list names them all, with each scenario's directory).
#
# With no suite named (make test, CI), the suites run in two lanes at once:
# the VM lane (the scenarios that boot QEMU VMs under software emulation) and
# the host lane (everything else). Each suite's output goes to
# tests/output/logs/<suite>.log; a failed suite's log tail is printed at the
# end. DOCKEROPS_TEST_LANES=1 runs them one after another with live output,
# as naming suites does. docs/testing.md has the lanes and their times.
set -uo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
# The lab (make lab) gives every suite its venv, images and mirrors. Without it
# only the unit suite runs, on this machine's python3 with ansible-core and
# pytest installed (docs/testing.md, "Without the lab").
if [ -e .cache/lab.env ]; then
  # shellcheck disable=SC1091
  source .cache/lab.env
elif [[ "$*" == --list ]]; then
  :
elif [[ "$*" == unit ]]; then
  if ! cmp -s tests/requirements-unit.txt .cache/venv-unit/.complete; then
    echo "no lab here: making .cache/venv-unit for the unit tests (tests/requirements-unit.txt)" >&2
    rm -rf .cache/venv-unit && python3 -m venv .cache/venv-unit &&
      .cache/venv-unit/bin/pip install -q -r tests/requirements-unit.txt &&
      cp tests/requirements-unit.txt .cache/venv-unit/.complete || exit 2
  fi
  export PATH="${PWD}/.cache/venv-unit/bin:${PATH}"
else
  echo "no lab here (.cache/lab.env is missing): run make lab first; only 'make unit' runs without it" >&2
  exit 2
fi

ALL=(lint unit mutation tools build quickstart sanity molecule:fleet molecule:docker_install_ubuntu molecule:docker_daemon molecule:docker_install_centos_repo molecule:docker_install_el molecule:kernel_params molecule:lvm_thinpool molecule:docker_storage molecule:storage_move molecule:site_preflight molecule:engine28 molecule:k8s_node)
# The VM lane, longest first. Each of these boots its own VM(s) on its own
# forwarded port, so they never share a host with the other lane. lvm_thinpool
# (a VM too, on its own port) runs in the host lane, which balances the two.
VM_LANE=(molecule:docker_storage molecule:fleet molecule:kernel_params)
# The scenarios and their shared config (config.yml), where molecule 25+ looks for
# a collection's; named explicitly, so that no other molecule.yml or base config counts.
SCENARIOS=extensions/molecule
export MOLECULE_GLOB="${SCENARIOS}/*/molecule.yml"
LOGS=tests/output/logs
RESULTS=tests/output/results
mkdir -p tests/output

describe() {
  case "$1" in
    lint) echo "lint (yamllint, ansible-lint production, changelog fragments)" ;;
    unit) echo "unit tests (pytest)" ;;
    mutation) echo "mutation gate: mutmut on what changed since tests/mutation/baseline.json" ;;
    tools) echo "real-tool tests: the key pin against apt and rpm; the dependency lists; the lab host (pytest)" ;;
    build) echo "collection build, install and FQCN resolution; examples, changelog, EE" ;;
    quickstart) echo "README quick start from the tarball, in a fresh directory, against a lab host" ;;
    sanity) echo "ansible-test sanity (plugins/, offline tests)" ;;
    molecule:*) echo "molecule: ${1#molecule:}" ;;
    *) return 1 ;;
  esac
}

suite_lint() {
  yamllint -s . && ansible-lint --profile production --strict && antsibull-changelog lint &&
  python tools/role-readme.py --check && python tools/check-links.py
}
suite_unit() {
  python3 -m pytest -q -p no:cacheprovider tests/unit
}
# The full run (make mutation-all) takes about an hour; this re-mutates what changed
# since the last one (tests/mutation/mutation.py), on one CPU beside the VM lane.
suite_mutation() {
  python tests/mutation/mutation.py --changed --children 1
}
# The key pin against the real apt (gpgv) and rpm of this machine.
suite_tools() {
  python -m pytest -q -p no:cacheprovider tests/tools
}
suite_build() { bash tests/collection-build.sh; }
suite_quickstart() { bash tests/quickstart.sh; }
suite_sanity() { bash tests/sanity.sh; }
# A scenario passes only if each of its verify steps ran at least one test:
# molecule 26 logs "Skipping, no tests found" (testinfra, no tests/) or
# "Missing playbook" (ansible, no verify.yml) and succeeds, pytest may collect
# nothing, an ansible verify.yml may have no task. Each verify section of the
# output (from "verify: Executing" to "verify: Executed") must show a passed
# pytest test or a task other than fact gathering that ran (ok or changed on a
# host, not only skipped).
molecule_scenario() {
  local out rc empty
  out="$(mktemp)"
  molecule -c "${SCENARIOS}/config.yml" test -s "$1" 2>&1 | tee "${out}"; rc=${PIPESTATUS[0]}
  if ((rc == 0)); then
    empty="$(sed 's/\x1b\[[0-9;]*m//g' "${out}" | verify_sections_without_tests)"
    if [ -n "${empty}" ]; then
      printf 'FAILED: the verifier of %s ran no tests (%s)\n' "$1" "${empty}" >&2
      rc=1
    fi
  fi
  rm -f "${out}"
  return "${rc}"
}
# Reads molecule's output (no colours); prints why, if a verify step ran no test or none ran at all.
verify_sections_without_tests() {
  awk '
    { sub(/^[ \t]*│ ?/, "") }  # molecule frames a command'"'"'s output in a box
    / verify: Executing/ { inside = 1; sections++; found = 0; why = "no test or task in its output"; next }
    inside && /Skipping, no tests found|Missing playbook|no tests ran|collected 0 items/ { why = $0; sub(/^[A-Z]+ +/, "", why) }
    inside && /^TASK \[/ { task = !/^TASK \[Gathering Facts\]/; next }
    inside && task && /^(ok|changed): \[/ { found = 1 }
    inside && /[1-9][0-9]* passed/ { found = 1 }
    inside && / verify: Executed/ { inside = 0; if (!found) { printf "verify step %d: %s; ", sections, why } }
    END { if (!sections) print "no verify step ran" }'
}

run_one() {
  case "$1" in
    lint|unit|mutation|tools|build|quickstart|sanity) "suite_$1" ;;
    molecule:*) molecule_scenario "${1#molecule:}" ;;
  esac
}

# One suite, as a lane runs it (under timeout).
if [[ "${1:-}" == --one ]]; then
  run_one "$2"; exit
fi

# Every scenario directory is a suite of ALL and every molecule suite of ALL a scenario.
on_disk="$(for f in "${SCENARIOS}"/*/molecule.yml; do f="${f%/molecule.yml}"; echo "molecule:${f##*/}"; done | sort)"
in_all="$(printf '%s\n' "${ALL[@]}" | grep '^molecule:' | sort)"
if [[ "${on_disk}" != "${in_all}" ]]; then
  echo "the molecule scenarios in ${SCENARIOS} and ALL in tests/run-tests.sh differ:" >&2
  diff <(echo "${in_all}") <(echo "${on_disk}") | sed -n 's/^</  only in ALL:/p; s/^>/  only on disk:/p' >&2
  exit 2
fi
if [[ "${1:-}" == --list ]]; then
  for suite in "${ALL[@]}"; do
    where=""
    [[ "${suite}" == molecule:* ]] && where="  (${SCENARIOS}/${suite#molecule:})"
    printf '%-36s %s%s\n' "${suite}" "$(describe "${suite}")" "${where}"
  done
  exit 0
fi

# Expand "molecule" and check every name before anything runs.
SUITES=()
for suite in "${@:-${ALL[@]}}"; do
  if [[ "${suite}" == molecule ]]; then
    for s in "${ALL[@]}"; do [[ "$s" == molecule:* ]] && SUITES+=("$s"); done
  elif describe "${suite}" >/dev/null && { [[ "${suite}" != molecule:* ]] || [ -f "${SCENARIOS}/${suite#molecule:}/molecule.yml" ]; }; then
    SUITES+=("${suite}")
  else
    echo "unknown suite ${suite} (suites: ${ALL[*]} molecule)" >&2; exit 2
  fi
done

# One after another, output live.
run_sequential() {
  local suite start rc
  for suite in "${SUITES[@]}"; do
    printf '\n\033[1;35m=== %s ===\033[0m\n' "$(describe "${suite}")"
    start=$SECONDS
    run_one "${suite}"; rc=$?
    record "${suite}" "${rc}" $((SECONDS - start))
  done
}

record() {  # record SUITE RC SECONDS
  local word=PASSED colour=32
  (($2)) && { word=FAILED; colour=31; }
  mkdir -p "${RESULTS}"
  printf '%s %s\n' "${word}" "$3" > "${RESULTS}/${1//:/_}"
  printf '\033[1;%sm--- %s: %s (%ds)\033[0m\n' "${colour}" "$(describe "$1")" "${word}" "$3"
}

# A suite that hangs stops at this limit (seconds) and fails, so that its lane goes on.
SUITE_TIMEOUT="${DOCKEROPS_SUITE_TIMEOUT:-3600}"

# Just before a suite's limit: what it is waiting on, into its log (the log's
# tail is what a failed run prints): the suite's processes with their ages in
# seconds, every ssh and QEMU process here (ssh masters detach from the suite),
# and the last lines of each running lab VM's console.
hang_report() {  # hang_report PGID
  local run
  echo "=== hang report: ${SUITE_TIMEOUT} s (DOCKEROPS_SUITE_TIMEOUT) nearly reached; the suite's processes ==="
  ps -eo pid=,pgid=,etimes=,args= | awk -v g="$1" '$2 == g' | cut -c1-400
  echo "=== ssh and QEMU processes on this machine ==="
  ps -eo pid=,etimes=,args= | awk '$3 ~ /(^|\/)(ssh|qemu-system-x86_64)$/ || $3 == "ssh:"' | cut -c1-400
  for run in "${DOCKEROPS_CACHE:-/nonexistent}"/run/*/; do
    [ -e "${run}qemu.pid" ] && kill -0 "$(cat "${run}qemu.pid")" 2>/dev/null || continue
    echo "=== the last 40 lines of ${run}console.log ==="
    tail -40 "${run}console.log" | sed 's/\x1b\[[0-9;?!]*[A-Za-z]//g; s/\x1b\][^\x1b]*//g' | tr -d '\r'
  done
}

# A suite under its limit, with the hang report written 30 s before it (timeout
# makes itself the suite's process group leader: its PID is the group).
run_limited() {  # run_limited SUITE LOG
  local tpid wpid rc
  timeout --kill-after=60 "${SUITE_TIMEOUT}" bash "${SELF}" --one "$1" >>"$2" 2>&1 </dev/null & tpid=$!
  ( trap 'kill "${s}" 2>/dev/null; exit 0' TERM
    sleep $((SUITE_TIMEOUT > 60 ? SUITE_TIMEOUT - 30 : SUITE_TIMEOUT)) & s=$!; wait "${s}"
    hang_report "${tpid}" >>"$2" 2>&1 ) </dev/null >/dev/null 2>&1 & wpid=$!
  wait "${tpid}"; rc=$?
  kill "${wpid}" 2>/dev/null; wait "${wpid}" 2>/dev/null
  return "${rc}"
}

run_lane() {  # run_lane NAME SUITE... : one after another, each into its log
  local lane="$1" suite start rc log; shift
  for suite in "$@"; do
    log="${LOGS}/${suite//:/_}.log"
    printf '\033[1;35m=== [%s lane] %s ===\033[0m  (log: %s)\n' "${lane}" "$(describe "${suite}")" "${log}"
    start=$SECONDS
    : >"${log}"
    run_limited "${suite}" "${log}"; rc=$?
    ((rc == 124 || rc == 137)) && echo "timed out after ${SUITE_TIMEOUT} s (DOCKEROPS_SUITE_TIMEOUT)" >>"${log}"
    record "${suite}" "${rc}" $((SECONDS - start))
  done
}

# After a killed run: the VMs run detached (qemu -daemonize), so stop them here.
stop_vms() {
  local run
  for run in "${DOCKEROPS_CACHE}"/run/*/; do
    [ -e "${run}qemu.pid" ] && bash tests/lab/vm.sh stop "$(basename "${run}")" >/dev/null 2>&1
  done
}

run_lanes() {
  # The VM lane in its own order (longest first); the host lane in ALL's.
  local ordered=() host=() suite pids=()
  for suite in "${VM_LANE[@]}"; do [[ " ${SUITES[*]} " == *" ${suite} "* ]] && ordered+=("${suite}"); done
  for suite in "${SUITES[@]}"; do [[ " ${VM_LANE[*]} " == *" ${suite} "* ]] || host+=("${suite}"); done
  mkdir -p "${LOGS}"
  # Each lane in its own process group (job control), so that a killed run
  # takes both lanes and the processes they started with it; the lab VMs,
  # which detach, are stopped too. (Lab containers are removed by the next
  # run's molecule destroy.)
  trap 'for pid in "${pids[@]}"; do kill -TERM -- "-${pid}" 2>/dev/null; done; stop_vms; exit 130' INT TERM HUP
  set -m
  if ((${#ordered[@]})); then run_lane vm "${ordered[@]}" & pids+=($!); fi
  if ((${#host[@]})); then run_lane host "${host[@]}" & pids+=($!); fi
  set +m
  for pid in "${pids[@]}"; do wait "${pid}"; done
  trap - INT TERM HUP
}

# Results and logs of this run only: a failed suite's log tail is never an earlier run's.
rm -rf "${RESULTS}" "${LOGS}"
start_all=$SECONDS
if (($# == 0)) && [[ "${DOCKEROPS_TEST_LANES:-2}" != 1 ]]; then
  run_lanes
else
  run_sequential
fi

passed=0; failed=0; failures=()
printf '\n%-60s %8s\n' "suite" "time"
for suite in "${SUITES[@]}"; do
  word="FAILED (no result: not run to the end)"; secs=0
  [ -f "${RESULTS}/${suite//:/_}" ] && read -r word secs < "${RESULTS}/${suite//:/_}"
  printf '%-60s %7ss %s\n' "$(describe "${suite}" | cut -c1-60)" "${secs}" "${word}"
  if [[ "${word}" == PASSED ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("${suite}"); fi
done
printf '%-60s %7ss\n' "wall time" $((SECONDS - start_all))
for suite in "${failures[@]}"; do
  log="${LOGS}/${suite//:/_}.log"
  [ -f "${log}" ] || continue
  printf '\n\033[1;31m=== %s failed: the last 600 lines of %s ===\033[0m\n' "$(describe "${suite}")" "${log}"
  tail -n 600 "${log}"
done

printf '\n'
((failed)) && printf 'failed suites: %s\n' "${failures[*]}"
echo "suites: ${passed} passed, ${failed} failed"
((failed == 0))
