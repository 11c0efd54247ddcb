#!/usr/bin/env bash
# make demo: a throwaway local test host (a systemd container of the lab that
# runs its own engine), converged with the site playbook through the fixture
# Docker CE mirror; then `docker info` from inside it. `make demo-clean` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source .cache/lab.env
HOST=dockerops-demo

if [ "${1:-}" = "--clean" ]; then
  "${DOCKER}" rm -f -v "${HOST}" >/dev/null 2>&1 && echo "removed ${HOST}" || echo "no ${HOST} to remove"
  exit 0
fi

echo "== provisioning the throwaway test host '${HOST}' (Debian 12, systemd, own engine)"
"${DOCKER}" rm -f -v "${HOST}" >/dev/null 2>&1 || true
"${DOCKER}" run -d --name "${HOST}" --hostname "${HOST}" \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_PTRACE \
  --cap-add MKNOD --cap-add SYS_MODULE \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
  -v /var/lib/docker -v "${DOCKEROPS_FIXTURE_MIRROR}:/srv/docker-mirror:ro" \
  dockerops-lab/debian:bookworm >/dev/null
for _ in $(seq 1 30); do
  state="$("${DOCKER}" exec "${HOST}" systemctl is-system-running 2>/dev/null || true)"
  case "${state}" in running|degraded) break ;; esac
  sleep 1
done

cat > .cache/demo-inventory.yml <<INV
all:
  hosts:
    ${HOST}:
      ansible_connection: community.docker.docker
  vars:
    # The fixture mirror stands in for download.docker.com (unreachable here).
    docker_install_ubuntu_mirror: custom
    docker_install_ubuntu_mirror_url: file:///srv/docker-mirror/linux
    docker_install_ubuntu_key_fingerprint: "${DOCKEROPS_FIXTURE_FINGERPRINT}"
INV

echo "== ansible-playbook dockerops.host.site -i .cache/demo-inventory.yml"
ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks \
  ansible-playbook dockerops.host.site -i .cache/demo-inventory.yml

echo
echo "== docker info, from inside ${HOST}"
"${DOCKER}" exec "${HOST}" docker info
echo
echo "The test host '${HOST}' is still running: docker exec -it ${HOST} bash"
echo "Remove it with: make demo-clean"
