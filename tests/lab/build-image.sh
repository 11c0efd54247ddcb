#!/usr/bin/env bash
# build-image.sh CODENAME : a systemd-enabled Debian image for the container lab,
# built from Debian's archive (no registry is reachable) and imported as
# dockerops-lab/debian:CODENAME. The image carries the hash of its recipe in a
# label and is rebuilt only when the recipe (this file) changes.
source "$(dirname "$0")/lib.sh"

codename="${1:?usage: build-image.sh CODENAME}"
image="dockerops-lab/debian:${codename}"
# A bare host as ops teams get it: python3 for Ansible and systemd as PID 1;
# everything else (ca-certificates, gnupg, the engine) is the roles' job.
INCLUDE="python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,procps,kmod,sudo"
MIRROR="$(debian_mirror)"
hash="$(printf '%s %s %s\n' "${codename}" "${INCLUDE}" "${MIRROR}" | cat - "$0" | sha256sum | cut -c1-12)"

image_current "${image}" "${hash}" && exit 0

log "building ${image} (recipe ${hash})"
rootfs="$(mktemp -d "${DOCKEROPS_CACHE}/rootfs-${codename}.XXXX")"
trap 'rm -rf "${rootfs}"' EXIT
debootstrap --variant=minbase --include="${INCLUDE}" "${codename}" "${rootfs}" "${MIRROR}" >"${rootfs}.log" 2>&1 \
  || { tail -20 "${rootfs}.log" >&2; die "debootstrap ${codename} failed"; }
rm -f "${rootfs}.log"

# Units that have no business in a container and stall or fail its boot.
for unit in getty@tty1.service serial-getty@.service systemd-udevd.service \
            systemd-udevd-control.socket systemd-udevd-kernel.socket \
            systemd-remount-fs.service sys-kernel-debug.mount dev-hugepages.mount \
            systemd-firstboot.service; do
  ln -sf /dev/null "${rootfs}/etc/systemd/system/${unit}"
done
echo "${codename}-lab" > "${rootfs}/etc/hostname"
: > "${rootfs}/etc/machine-id"
rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/*

tar -C "${rootfs}" -c . | "${DOCKER}" import \
  -c 'ENV container=docker' \
  -c 'CMD ["/lib/systemd/systemd"]' \
  -c "LABEL dockerops.recipe=${hash}" \
  - "${image}" >/dev/null
log "built ${image}"
