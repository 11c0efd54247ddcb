#!/usr/bin/env bash
# build-vm-image.sh [CODENAME] : bookworm (Debian 12, the default) or trixie (13).
# A bootable Debian VM disk for the kernel-level scenarios, from Debian's
# archive only: debootstrap with a kernel, lvm2, thin-provisioning-tools and
# sshd, Debian's engine installed but not enabled, written into a raw ext4
# disk with mke2fs -d. The kernel and initrd are
# kept beside it for QEMU's direct boot. Cached by a hash of this recipe.
# Prints the image directory (disk.raw, vmlinuz, initrd.img, id_ed25519).
source "$(dirname "$0")/lib.sh"

CODENAME="${1:-bookworm}"
MIRROR="$(debian_mirror)"
INCLUDE="systemd,systemd-sysv,udev,dbus,kmod,linux-image-amd64,initramfs-tools,lvm2,thin-provisioning-tools,\
openssh-server,ifupdown,isc-dhcp-client,iproute2,procps,python3,python3-apt,sudo,e2fsprogs,util-linux"
# Two cached stages: the debootstrapped rootfs (slow, rarely changes) and the
# disk made from it (fast; changes with the rest of this script).
base_hash="$(printf '%s %s %s\n' "${CODENAME}" "${INCLUDE}" "${MIRROR}" | sha256sum | cut -c1-12)"
BASE="${DOCKEROPS_CACHE}/vm-rootfs-${CODENAME}-${base_hash}.tar"
hash="$(printf '%s\n' "${base_hash}" | cat - "$0" | sha256sum | cut -c1-12)"
OUT="${DOCKEROPS_CACHE}/vm-${CODENAME}-${hash}"
if [ -e "${OUT}/.complete" ]; then
  log "VM image is current: ${OUT}"
  echo "${OUT}"; exit 0
fi
log "building VM image ${OUT}"
rm -rf "${OUT}"; mkdir -p "${OUT}"
rootfs="$(mktemp -d "${DOCKEROPS_CACHE}/vm-rootfs.XXXX")"
trap 'rm -rf "${rootfs}"' EXIT
if [ ! -e "${BASE}" ]; then
  log "debootstrapping the VM's root filesystem with a kernel (a few minutes)"
  debootstrap --variant=minbase --include="${INCLUDE}" "${CODENAME}" "${rootfs}" "${MIRROR}" >"${OUT}/debootstrap.log" 2>&1 \
    || { tail -20 "${OUT}/debootstrap.log" >&2; die "debootstrap for the VM failed"; }
  rm -rf "${rootfs}"/var/cache/apt/archives/*.deb
  tar -C "${rootfs}" -cf "${BASE}.tmp" . && mv "${BASE}.tmp" "${BASE}"
else
  tar -C "${rootfs}" -xf "${BASE}"
fi

# Debian's engine (20.10) and python3-requests are installed natively here, not
# in each scenario's VM under software emulation (minutes there, seconds here).
# Their units stay disabled: the VM boots as a host with the packages but no
# engine running (br_netfilter not loaded, as kernel_params' fresh state
# needs), and the roles enable and start it. apparmor stays out: the VM's
# kernel enforces AppArmor, and docker_install_ubuntu must install the parser.
log "installing docker.io (and its client) and python3-requests into the VM's root filesystem"
printf '#!/bin/sh\nexit 101\n' > "${rootfs}/usr/sbin/policy-rc.d"; chmod 0755 "${rootfs}/usr/sbin/policy-rc.d"
resolv_added=""
[ -e "${rootfs}/etc/resolv.conf" ] || [ -L "${rootfs}/etc/resolv.conf" ] || { cp -L /etc/resolv.conf "${rootfs}/etc/resolv.conf"; resolv_added=1; }
# Debian 13 ships the client apart, as docker-cli (a recommend of docker.io);
# Debian 12's docker.io has it.
{ chroot "${rootfs}" apt-get update -q && \
  packages=(docker.io python3-requests) && \
  if chroot "${rootfs}" apt-cache show docker-cli >/dev/null 2>&1; then packages+=(docker-cli); fi && \
  DEBIAN_FRONTEND=noninteractive chroot "${rootfs}" apt-get install -q -y --no-install-recommends "${packages[@]}"; } \
  >"${OUT}/engine.log" 2>&1 || { tail -20 "${OUT}/engine.log" >&2; die "installing docker.io into the VM's rootfs failed"; }
rm -f "${rootfs}/usr/sbin/policy-rc.d"
[ -z "${resolv_added}" ] || rm -f "${rootfs}/etc/resolv.conf"
systemctl --root "${rootfs}" disable docker.service docker.socket containerd.service >>"${OUT}/engine.log" 2>&1
# As a minimal image: no package indexes (the roles read them afresh) and no downloaded packages.
rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/cache/apt/*.bin
rm -f "${OUT}/engine.log"

ssh-keygen -q -t ed25519 -N '' -C dockerops-lab-vm -f "${OUT}/id_ed25519"
install -d -m 0700 "${rootfs}/root/.ssh"
install -m 0600 "${OUT}/id_ed25519.pub" "${rootfs}/root/.ssh/authorized_keys"
echo "dockerops-vm" > "${rootfs}/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 dockerops-vm\n' > "${rootfs}/etc/hosts"
printf 'auto lo\niface lo inet loopback\nauto eth0\niface eth0 inet dhcp\n' > "${rootfs}/etc/network/interfaces"
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "${rootfs}/etc/fstab"
: > "${rootfs}/etc/machine-id"
# The VM gets its own SSH host keys on first boot, not the builder's.
rm -f "${rootfs}"/etc/ssh/ssh_host_*
mkdir -p "${rootfs}/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' > "${rootfs}/etc/systemd/system/ssh.service.d/hostkeys.conf"
# Nothing on the VM's screen: its console is a log file.
ln -sf /dev/null "${rootfs}/etc/systemd/system/getty@tty1.service"

cp "$(ls "${rootfs}"/boot/vmlinuz-* | sort -V | tail -1)" "${OUT}/vmlinuz"
cp "$(ls "${rootfs}"/boot/initrd.img-* | sort -V | tail -1)" "${OUT}/initrd.img"
mke2fs -q -t ext4 -L dockerops-root -d "${rootfs}" "${OUT}/disk.raw" 4G >&2  # stdout is the image path alone
rm -f "${OUT}/debootstrap.log"
touch "${OUT}/.complete"
log "VM image ready"
echo "${OUT}"
