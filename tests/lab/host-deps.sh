#!/usr/bin/env bash
# Installs the host packages the lab needs (Debian's archive only) and makes
# sure a Docker engine answers. Safe to run again: it only does what is missing.
source "$(dirname "$0")/lib.sh"

HOST_PACKAGES=(docker.io debootstrap qemu-system-x86 qemu-utils equivs apt-utils
               dpkg-dev gnupg openssh-client python3-venv rsync curl
               rpm createrepo-c)  # rpm: rpmbuild, rpmsign, rpmkeys (tests/tools, EL fixture); createrepo-c: EL fixture

missing=()
for pkg in "${HOST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The engine: reuse one that answers, else start Debian's dockerd.
if ! timeout 10 "${DOCKER}" info >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/dockerd.log)"
  # setsid: the engine must outlive the make process that started it.
  setsid nohup /usr/sbin/dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    timeout 5 "${DOCKER}" info >/dev/null 2>&1 && break
    sleep 1
  done
  timeout 10 "${DOCKER}" info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log >&2; die "dockerd did not answer within 60 s"; }
fi
log "engine: $("${DOCKER}" info --format '{{.ServerVersion}} storage={{.Driver}} cgroup={{.CgroupVersion}}')"
