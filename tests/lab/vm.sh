#!/usr/bin/env bash
# vm.sh start NAME PORT [CODENAME [UUID]] : boot a lab VM (Debian 12 bookworm by default,
#                         or trixie: Debian 13) from a fresh copy-on-write overlay of the
#                         cached disk, with blank spare disks of 4G (/dev/vdb)
#                         and 1G (/dev/vdc),
#                         ssh forwarded to 127.0.0.1:PORT; waits for ssh. UUID: the
#                         SMBIOS system UUID (the guest's DMI product_uuid), to make
#                         VMs that look cloned; QEMU's user network gives every VM the
#                         same MAC address (52:54:00:12:34:56) already.
# vm.sh reboot NAME [LIMIT] : reboot it from the guest (systemctl) and wait, at most LIMIT
#                         seconds (600), until it answers ssh with a new boot id. Every
#                         ssh is its own (no ControlMaster) under coreutils timeout, so no
#                         half-open connection can hold it (ansible.builtin.reboot's could,
#                         docs/testing.md); if the VM does not come back, its console's
#                         tail is printed and it fails.
# vm.sh stop NAME       : power it off and delete its overlay and spare disk.
# Software emulation (TCG): KVM does not work on these machines. The CPU model
# is QEMU's plain x86-64 (qemu64), not "max": measured here side by side, a VM
# boots in ~38 s instead of ~60 s and runs Ansible tasks ~20 % faster when TCG
# does not emulate AVX and the other extensions guest libraries would pick
# (docs/testing.md).
source "$(dirname "$0")/lib.sh"
action="${1:?usage: vm.sh start NAME PORT [CODENAME [UUID]] | reboot NAME [LIMIT] | stop NAME}"; name="${2:?name}"
RUN="${DOCKEROPS_CACHE}/run/${name}"

# One ssh to the VM: its own connection (no ControlMaster to outlive a reboot),
# bounded by coreutils timeout whatever the network does.
vm_ssh() {
  timeout --kill-after=5 20 ssh -q -i "${RUN}/id_ed25519" -p "${port}" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ControlMaster=no -o ControlPath=none -o ConnectTimeout=5 \
    -o ServerAliveInterval=5 -o ServerAliveCountMax=2 -o BatchMode=yes root@127.0.0.1 "$@"
}

case "${action}" in
start)
  port="${3:?port}"
  image="$(bash "${LAB_DIR}/build-vm-image.sh" "${4:-bookworm}")"
  [ -e "${RUN}/qemu.pid" ] && kill "$(cat "${RUN}/qemu.pid")" 2>/dev/null || true
  rm -rf "${RUN}"; mkdir -p "${RUN}"
  qemu-img create -q -f qcow2 -b "${image}/disk.raw" -F raw "${RUN}/root.qcow2"
  qemu-img create -q -f qcow2 "${RUN}/spare.qcow2" 4G
  qemu-img create -q -f qcow2 "${RUN}/spare2.qcow2" 1G
  cp "${image}/id_ed25519" "${RUN}/id_ed25519"; chmod 600 "${RUN}/id_ed25519"
  echo "${port}" > "${RUN}/port"
  uuid_args=()
  if [ -n "${5:-}" ]; then uuid_args=(-uuid "$5"); fi
  qemu-system-x86_64 -name "${name}" -accel tcg,thread=multi -cpu qemu64 -m 2048 -smp 2 "${uuid_args[@]}" \
    -kernel "${image}/vmlinuz" -initrd "${image}/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet" \
    -drive "file=${RUN}/root.qcow2,format=qcow2,if=virtio" \
    -drive "file=${RUN}/spare.qcow2,format=qcow2,if=virtio" \
    -drive "file=${RUN}/spare2.qcow2,format=qcow2,if=virtio" \
    -nic "user,hostfwd=tcp:127.0.0.1:${port}-:22" \
    -display none -serial "file:${RUN}/console.log" -daemonize -pidfile "${RUN}/qemu.pid"
  for _ in $(seq 1 90); do
    vm_ssh true 2>/dev/null && { log "VM ${name} answers ssh on 127.0.0.1:${port}"; exit 0; }
    sleep 2
  done
  tail -30 "${RUN}/console.log" >&2
  die "VM ${name} did not answer ssh within 180 s"
  ;;
reboot)
  limit="${3:-600}"
  [ -e "${RUN}/port" ] || die "VM ${name} is not running (no ${RUN}/port)"
  port="$(cat "${RUN}/port")"
  before="$(vm_ssh cat /proc/sys/kernel/random/boot_id)" || die "VM ${name} does not answer ssh on 127.0.0.1:${port}"
  # --no-block: queued, and the ssh returns before sshd stops; its status is not
  # the reboot's (the new boot id is).
  vm_ssh systemctl --no-block reboot || true
  start=${SECONDS}
  while ((SECONDS - start < limit)); do
    kill -0 "$(cat "${RUN}/qemu.pid")" 2>/dev/null || { tail -40 "${RUN}/console.log" >&2; die "VM ${name}: QEMU exited during the reboot"; }
    sleep 3
    now="$(vm_ssh cat /proc/sys/kernel/random/boot_id 2>/dev/null)" || continue
    if [ -n "${now}" ] && [ "${now}" != "${before}" ]; then
      log "VM ${name} rebooted in $((SECONDS - start)) s (boot id ${before} -> ${now})"; exit 0
    fi
  done
  tail -40 "${RUN}/console.log" >&2
  die "VM ${name} did not come back from its reboot within ${limit} s (the console's last lines above)"
  ;;
stop)
  if [ -e "${RUN}/qemu.pid" ]; then
    pid="$(cat "${RUN}/qemu.pid")"
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.5; done
    kill -9 "${pid}" 2>/dev/null || true
  fi
  rm -rf "${RUN}"
  ;;
*) die "unknown action ${action}" ;;
esac
