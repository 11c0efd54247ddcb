#!/usr/bin/env bash
# Everything the demo and the tests need, on a fresh Debian/Ubuntu machine:
# host packages and a running engine, the venv and dependency collections,
# the lab images (Debian, and Ubuntu stand-ins on Debian 12) and the fixture
# Docker CE mirror. Each step reuses what an
# earlier run built from the same recipe. Writes .cache/lab.env.
source "$(dirname "$0")/lib.sh"

bash "${LAB_DIR}/host-deps.sh"
venv_and_collections="$(bash "${LAB_DIR}/venv.sh")"
read -r VENV COLLECTIONS <<<"${venv_and_collections}"
# The VM images, Debian 12 and 13 (debootstrap and apt in a chroot: mostly
# waiting on the archive), build beside the container images; on a new machine
# that saves their ~3 min each.
bash "${LAB_DIR}/build-vm-image.sh" bookworm >/dev/null & vm_image_pid=$!
bash "${LAB_DIR}/build-vm-image.sh" trixie >/dev/null & vm13_image_pid=$!
# A failed step must not leave them building (a rerun would build into the same directories).
trap 'kill "${vm_image_pid}" "${vm13_image_pid}" 2>/dev/null || true' EXIT
for codename in bookworm trixie; do bash "${LAB_DIR}/build-image.sh" "${codename}"; done
for codename in noble jammy; do bash "${LAB_DIR}/build-ubuntu-image.sh" "${codename}"; done
MIRROR="$(bash "${LAB_DIR}/build-fixture-mirror.sh")"
bash "${LAB_DIR}/build-el-image.sh"
EL_MIRROR="$(bash "${LAB_DIR}/build-el-fixture-repo.sh")"
wait "${vm_image_pid}" || die "building the Debian 12 VM image failed (see its log above)"
wait "${vm13_image_pid}" || die "building the Debian 13 VM image failed (see its log above)"
trap - EXIT

# This checkout as dockerops.host, beside its dependency collections.
SELF="${REPO_ROOT}/.cache/collections"
mkdir -p "${SELF}/ansible_collections/dockerops"
ln -sfn "${REPO_ROOT}" "${SELF}/ansible_collections/dockerops/host"

cat > "${REPO_ROOT}/.cache/lab.env" <<ENV
export DOCKEROPS_CACHE='${DOCKEROPS_CACHE}'
export DOCKEROPS_VENV='${VENV}'
export PATH='${VENV}/bin':"\${PATH}"
export DOCKEROPS_COLLECTIONS_PATH='${SELF}:${COLLECTIONS}'
export ANSIBLE_COLLECTIONS_PATH='${SELF}:${COLLECTIONS}'
export PYTHONPATH='${SELF}'
export DOCKEROPS_FIXTURE_MIRROR='${MIRROR}'
export DOCKEROPS_FIXTURE_FINGERPRINT='$(cat "${MIRROR}/FINGERPRINT")'
export DOCKEROPS_EL_FIXTURE_MIRROR='${EL_MIRROR}'
export DOCKEROPS_EL_FIXTURE_FINGERPRINT='$(cat "${EL_MIRROR}/FINGERPRINT")'
export DOCKER='${DOCKER}'
ENV
log "lab ready: .cache/lab.env"
