#!/usr/bin/env bash
# build-ubuntu-image.sh CODENAME : an Ubuntu stand-in host for the container lab,
# dockerops-lab/ubuntu:CODENAME (noble = 24.04, jammy = 22.04). No Ubuntu
# archive is reachable here, so it is the Debian 12 lab image with Ubuntu's
# os-release and lsb-release (what Ansible's facts and docker_install_ubuntu
# read) and Ubuntu's own packaging of the Compose plugin, docker-compose-v2,
# as an installed stand-in (empty) that Docker CE must replace. Its userland,
# kernel interfaces and apt sources are Debian 12's. Rebuilt when this recipe
# or the base image's recipe changes.
source "$(dirname "$0")/lib.sh"

codename="${1:?usage: build-ubuntu-image.sh noble|jammy}"
case "${codename}" in
  noble) version=24.04; point=24.04.3; name="Noble Numbat" ;;
  jammy) version=22.04; point=22.04.5; name="Jammy Jellyfish" ;;
  *) die "no Ubuntu stand-in for ${codename}" ;;
esac
base="dockerops-lab/debian:bookworm"
image="dockerops-lab/ubuntu:${codename}"
base_recipe="$("${DOCKER}" image inspect -f '{{index .Config.Labels "dockerops.recipe"}}' "${base}")" \
  || die "${base} is missing: build-image.sh bookworm first"
hash="$(printf '%s %s\n' "${codename}" "${base_recipe}" | cat - "$0" | sha256sum | cut -c1-12)"
image_current "${image}" "${hash}" && exit 0

log "building ${image} (recipe ${hash})"
ctx="$(mktemp -d "${DOCKEROPS_CACHE}/ubuntu-${codename}.XXXX")"
trap 'rm -rf "${ctx}"' EXIT
cat > "${ctx}/os-release" <<EOF
PRETTY_NAME="Ubuntu ${point} LTS"
NAME="Ubuntu"
VERSION_ID="${version}"
VERSION="${point} LTS (${name})"
VERSION_CODENAME=${codename}
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=${codename}
EOF
cat > "${ctx}/lsb-release" <<EOF
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=${version}
DISTRIB_CODENAME=${codename}
DISTRIB_DESCRIPTION="Ubuntu ${point} LTS"
EOF
# Ubuntu's Compose plugin package (Docker CE's docker-compose-plugin replaces it).
pkg="${ctx}/docker-compose-v2"
mkdir -p "${pkg}/DEBIAN" "${pkg}/usr/share/doc/docker-compose-v2"
echo "Stand-in for Ubuntu's docker-compose-v2 in the dockerops.host test lab (empty)." \
  > "${pkg}/usr/share/doc/docker-compose-v2/README.lab"
printf 'Package: docker-compose-v2\nVersion: 2.24.6+ds1-0ubuntu2\nArchitecture: amd64\nMaintainer: dockerops.host test lab <lab@dockerops.invalid>\nDescription: stand-in for Ubuntu'"'"'s docker-compose-v2 (empty)\n' \
  > "${pkg}/DEBIAN/control"
dpkg-deb --root-owner-group -b "${pkg}" "${ctx}/docker-compose-v2.deb" >/dev/null
rm -rf "${pkg}"
cat > "${ctx}/Dockerfile" <<EOF
FROM ${base}
COPY os-release /usr/lib/os-release
COPY lsb-release /etc/lsb-release
COPY docker-compose-v2.deb /tmp/
RUN ln -sf ../usr/lib/os-release /etc/os-release && dpkg -i /tmp/docker-compose-v2.deb && rm /tmp/docker-compose-v2.deb
LABEL dockerops.recipe=${hash}
EOF
"${DOCKER}" build -q -t "${image}" "${ctx}" >/dev/null || die "docker build of ${image} failed"
log "built ${image}"
