#!/usr/bin/env bash
# build-el-image.sh : dockerops-lab/rocky:9, a lab host that Ansible and dnf see
# as Rocky Linux 9 (no EL archive or registry is reachable here). Derived from
# dockerops-lab/debian:bookworm (build-image.sh): Debian's own dnf, dnf plugins,
# rpm and gnupg; os-release and redhat-release saying Rocky 9.6; an rpm
# database holding stand-ins (empty RPMs) for what a Rocky 9 minimal install
# carries and Debian already provides here (rocky-release with
# system-release(releasever) = 9, systemd, dnf, the dnf plugins, iptables,
# libseccomp, tar, xz...). What the role installs itself (lvm2,
# device-mapper-persistent-data, the versionlock plugin, python3-requests) is
# NOT in it: those come from the BaseOS stand-in of build-el-fixture-repo.sh,
# which this image's /etc/yum.repos.d/rocky.repo reads from the bind mount
# /srv/docker-mirror-el. Built without a Dockerfile (docker run, docker commit)
# and cached by the hash of its recipe, like build-image.sh.
source "$(dirname "$0")/lib.sh"

base="dockerops-lab/debian:bookworm"
image="dockerops-lab/rocky:9"
base_recipe="$("${DOCKER}" image inspect -f '{{index .Config.Labels "dockerops.recipe"}}' "${base}" 2>/dev/null)" \
  || die "${base} is missing: run tests/lab/build-image.sh bookworm first"
hash="$(printf '%s\n' "${base_recipe}" | cat - "$0" | sha256sum | cut -c1-12)"

image_current "${image}" "${hash}" && exit 0
log "building ${image} (recipe ${hash}, from ${base})"

# The stand-ins in the image's rpm database: NAME|PROVIDES (comma-separated).
# Each is an empty package: the files are Debian's, already in the image.
STANDINS=(
  "rocky-release|system-release(releasever) = 9,system-release = 9.6,redhat-release = 9.6,centos-release-eol"
  "rocky-gpg-keys|"
  "systemd|systemd-units"
  "dnf|dnf-command(makecache),yum = 4.14.0"
  "python3-dnf|"
  "dnf-plugins-core|dnf-command(config-manager)"
  "rpm|"
  "gnupg2|"
  "iptables-nft|iptables"
  "libseccomp|"
  "device-mapper-libs|"
  "bash|/bin/sh,/bin/bash"
  "tar|"
  "xz|"
  "shadow-utils|"
)

builder="dockerops-el-build-$$"
cleanup() { "${DOCKER}" rm -f "${builder}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"${DOCKER}" run --name "${builder}" -i "${base}" /bin/bash -s -- "${STANDINS[@]}" >"${DOCKEROPS_CACHE}/el-image.log" 2>&1 <<'IN_CONTAINER' \
  || { tail -30 "${DOCKEROPS_CACHE}/el-image.log" >&2; die "building ${image} failed (log: ${DOCKEROPS_CACHE}/el-image.log)"; }
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# dnf, its plugins and rpm for the role; gnupg for rpm --import; iptables and
# the libraries Debian's engine binaries need (the RPMs carry the binaries).
apt-get install -y -qq --no-install-recommends dnf python3-dnf dnf-plugins-core rpm gnupg \
  iptables libdevmapper1.02.1 libseccomp2 xz-utils ca-certificates >/dev/null

rm -f /etc/os-release /usr/lib/os-release
cat > /usr/lib/os-release <<'EOF'
NAME="Rocky Linux"
VERSION="9.6 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.6"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.6 (Blue Onyx) (dockerops lab stand-in on Debian 12)"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.6"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.6"
EOF
ln -s ../usr/lib/os-release /etc/os-release
echo "Rocky Linux release 9.6 (Blue Onyx)" > /etc/rocky-release
ln -sf rocky-release /etc/redhat-release
ln -sf rocky-release /etc/system-release
echo "cpe:/o:rocky:rocky:9::baseos" > /etc/system-release-cpe
echo "rocky-lab" > /etc/hostname

# Where EL keeps repository files and rpm keys.
mkdir -p /etc/yum.repos.d /etc/pki/rpm-gpg /etc/dnf/vars
# Debian's dnf-plugins-core turns on the `local` plugin, whose _dnf_local repo
# has gpgcheck on and no key: a Rocky host has no such plugin.
sed -i 's/^enabled *=.*/enabled = false/' /etc/dnf/plugins/local.conf
# The distribution's BaseOS, standing in: the lab's fixture tree, bind-mounted.
cat > /etc/yum.repos.d/rocky.repo <<'EOF'
# dockerops lab: stand-in for Rocky's BaseOS (tests/lab/build-el-fixture-repo.sh),
# read from the bind mount /srv/docker-mirror-el.
[baseos]
name=Rocky Linux $releasever - BaseOS (dockerops lab stand-in)
baseurl=file:///srv/docker-mirror-el/rocky/$releasever/BaseOS/$basearch/os/
gpgcheck=1
gpgkey=file:///srv/docker-mirror-el/rocky/RPM-GPG-KEY-Rocky-9-lab
enabled=1
EOF

# The stand-ins for the rpm database.
top=$(mktemp -d)
for entry in "$@"; do
  name="${entry%%|*}"; provides="${entry#*|}"
  {
    echo "Name: ${name}"; echo "Version: 9.6"; echo "Release: 1.lab.el9"
    echo "Summary: dockerops lab stand-in for ${name} (files from Debian)"; echo "License: MIT"
    echo "BuildArch: noarch"; echo "AutoReqProv: no"
    IFS=, read -ra prov <<<"${provides}"
    for p in "${prov[@]}"; do [ -n "$p" ] && echo "Provides: $p"; done
    echo "%description"; echo "Empty: this host's ${name} is Debian's, which dpkg manages."
    echo "%files"
  } > "${top}/${name}.spec"
  rpmbuild -bb --quiet --define "_topdir ${top}" --define "_rpmdir ${top}/rpms" "${top}/${name}.spec"
done
rpm -ivh --nodeps --quiet "${top}"/rpms/noarch/*.rpm
rm -rf "${top}" /root/.rpmmacros
dnf --quiet --assumeyes clean all >/dev/null 2>&1 || true
rpm -qa | sort
rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*
: > /etc/machine-id
IN_CONTAINER

"${DOCKER}" commit \
  -c 'ENV container=docker' \
  -c 'CMD ["/lib/systemd/systemd"]' \
  -c "LABEL dockerops.recipe=${hash}" \
  "${builder}" "${image}" >/dev/null
log "built ${image}"
