#!/usr/bin/env bash
# A local stand-in for Docker's RPM repository (download.docker.com is
# unreachable here), laid out like it:
#   linux/centos/gpg                                   signing key (armored)
#   linux/centos/9/x86_64/{stable,test}/Packages/*.rpm
#   linux/centos/9/x86_64/{stable,test}/repodata/      createrepo_c, repomd.xml.asc
#   linux/rhel -> centos                               same packages, as Docker's
# docker-ce, docker-ce-cli, containerd.io carry the binaries and systemd units
# of Debian 12's docker.io, containerd, runc and tini (unpacked from their
# .debs), under Docker CE's names, Epoch 3 and package relations, so installing
# them gives a real running engine. Two stable versions of docker-ce (pinning)
# and a release candidate in `test`. docker-ce-rootless-extras and the
# plugins are empty.
# Beside it, a stand-in for the distribution's BaseOS repository, signed with
# another key (the lab image's rocky.repo reads it):
#   rocky/RPM-GPG-KEY-Rocky-9-lab, rocky/9/BaseOS/x86_64/os/
# with empty yum-utils, lvm2, device-mapper-persistent-data,
# python3-dnf-plugin-versionlock and container-selinux, and a python3-requests
# that carries Debian's requests and the modules it imports.
# All RPMs are signed (rpmsign) with throwaway keys made at build time.
# Cached by the recipe's hash; prints the tree's root. FINGERPRINT holds the
# Docker stand-in key's fingerprint.
source "$(dirname "$0")/lib.sh"

# Debian's archive, from this machine's apt configuration (DEBIAN_MIRROR overrides).
MIRROR="$(debian_mirror)"
CODENAME=bookworm
RELEASEVER=9

# rpmbuild, rpmsign and createrepo_c on the machine that builds the tree.
missing=()
for pkg in rpm createrepo-c gnupg; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing host packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

hash="$(printf '%s %s %s\n' "${CODENAME}" "${RELEASEVER}" "${MIRROR}" | cat - "$0" "${LAB_DIR}/lib.sh" | sha256sum | cut -c1-12)"
OUT="${DOCKEROPS_CACHE}/el-fixture-repo-${hash}"
if [ -e "${OUT}/.complete" ]; then
  log "EL fixture repository is current: ${OUT}"
  echo "${OUT}"; exit 0
fi
log "building EL fixture repository ${OUT}"
rm -rf "${OUT}"
WORK="$(mktemp -d "${DOCKEROPS_CACHE}/el-fixture-work.XXXX")"
GNUPGHOME="${WORK}/gnupg"; export GNUPGHOME
cleanup() { gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "${WORK}"; }
trap cleanup EXIT
mkdir -p "${GNUPGHOME}" && chmod 700 "${GNUPGHOME}"

DOCKER_ROOT="${OUT}/linux/centos"
ARCHDIR="${DOCKER_ROOT}/${RELEASEVER}/x86_64"
BASEOS="${OUT}/rocky/${RELEASEVER}/BaseOS/x86_64/os"
mkdir -p "${ARCHDIR}/stable/Packages" "${ARCHDIR}/test/Packages" "${BASEOS}/Packages"

log "  downloading docker.io, containerd, runc, tini, python3-requests from Debian ${CODENAME}"
apt_for "${CODENAME}" "${CODENAME}"
PY_DEBS=(python3-requests python3-urllib3 python3-certifi python3-idna python3-charset-normalizer python3-six)
(cd "${apt_root}/debs" && apt-get "${APT[@]}" download -qq docker.io containerd runc tini "${PY_DEBS[@]}")
src() { ls "${apt_root}/debs/$1"_*.deb; }
upstream() { sed -E 's/^[0-9]+://; s/[~+-].*$//' <<<"$1"; }
# unpack DEB DIR : the deb's files, with /lib merged into /usr/lib as on EL.
unpack() {
  mkdir -p "$2"; dpkg-deb -x "$1" "$2"
  if [ -d "$2/lib" ] && [ ! -L "$2/lib" ]; then mkdir -p "$2/usr/lib"; cp -a "$2/lib/." "$2/usr/lib/"; rm -rf "$2/lib"; fi
  rm -rf "$2/usr/share/doc" "$2/usr/share/man" "$2/usr/share/lintian" "$2/etc/init.d" "$2/usr/lib/udev"
}

# mkrpm OUTDIR NAME EPOCH VERSION RELEASE ARCH STAGE SUMMARY [HEADER-LINE...]
# An RPM of STAGE's files (empty when STAGE is ""), no automatic dependencies.
# A header line "%pre ..." becomes the %pre scriptlet.
mkrpm() {
  local out="$1" name="$2" epoch="$3" version="$4" release="$5" arch="$6" stage="$7" summary="$8"; shift 8
  local top="${WORK}/rpmbuild" spec pre="" line
  spec="${WORK}/${name}.spec"; mkdir -p "${top}"
  {
    echo '%global debug_package %{nil}'
    echo '%global __os_install_post %{nil}'
    echo '%global __spec_install_post %{nil}'
    echo '%global _build_id_links none'
    echo '%global _binary_payload w1.gzdio'
    echo "Name: ${name}"; [ -n "${epoch}" ] && echo "Epoch: ${epoch}"
    echo "Version: ${version}"; echo "Release: ${release}"; echo "BuildArch: ${arch}"
    echo "Summary: ${summary}"; echo "License: Apache-2.0"; echo "AutoReqProv: no"
    for line in "$@"; do
      case "${line}" in "%pre "*) pre="${line#%pre }" ;; *) echo "${line}" ;; esac
    done
    echo '%description'
    echo "${summary}. Built by the dockerops.host test lab from Debian ${CODENAME}'s packages; not Docker's or Rocky's build."
    echo '%install'
    [ -n "${stage}" ] && echo "cp -al '${stage}/.' %{buildroot}/"
    [ -n "${pre}" ] && { echo '%pre'; echo "${pre}"; }
    echo '%files'
    if [ -n "${stage}" ]; then
      (cd "${stage}" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort \
        | sed -E 's|^(/etc/.*)$|%config(noreplace) \1|')
    fi
  } > "${spec}"
  rpmbuild -bb --quiet --define "_topdir ${top}" --define "_rpmdir ${out}" \
    --define '_rpmfilename %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' "${spec}" >/dev/null
}

engine_up="$(upstream "$(dpkg-deb -f "$(src docker.io)" Version)")"
IFS=. read -r maj min pat <<<"${engine_up}"
dist=".el${RELEASEVER}"
v_old="${maj}.${min}.$((pat > 0 ? pat - 1 : 0))"
v_new="${engine_up}"
v_rc="${maj}.${min}.$((pat + 1))~rc.1"
c_up="$(upstream "$(dpkg-deb -f "$(src containerd)" Version)")"

log "  docker-ce ${v_old} ${v_new} (stable), ${v_rc} (test); containerd.io ${c_up}"
# containerd.io: Debian's containerd with runc in it, standing in for both.
# Docker's EL 8+ builds obsolete and conflict with runc but do not provide it.
st="${WORK}/stage-containerd.io"; unpack "$(src containerd)" "${st}"; unpack "$(src runc)" "${st}"
mkrpm "${ARCHDIR}/stable/Packages" containerd.io "" "${c_up}" "3.1${dist}" x86_64 "${st}" \
  "An industry-standard container runtime (Debian's containerd and runc)" \
  "Requires: container-selinux >= 2:2.74" "Requires: libseccomp" \
  "Provides: containerd" \
  "Obsoletes: containerd < 2" "Obsoletes: runc < 2" "Conflicts: containerd" "Conflicts: runc"

# docker-ce-cli: the client; docker-ce: the engine, docker-proxy and docker-init (tini).
st_cli="${WORK}/stage-cli"; st_ce="${WORK}/stage-ce"
unpack "$(src docker.io)" "${st_ce}"; unpack "$(src tini)" "${WORK}/stage-tini"
mkdir -p "${st_cli}/usr/bin"; mv "${st_ce}/usr/bin/docker" "${st_cli}/usr/bin/docker"
cp -a "${WORK}/stage-tini/usr/bin/tini-static" "${st_ce}/usr/bin/tini-static"
# Debian's extra libnetwork tools have no place in Docker CE's package.
rm -f "${st_ce}/usr/bin/dnet" "${st_ce}/usr/sbin/ovrouter"
for v in "${v_old}" "${v_new}" "${v_rc}"; do
  channel=stable; [ "$v" = "${v_rc}" ] && channel=test
  mkrpm "${ARCHDIR}/${channel}/Packages" docker-ce 3 "$v" "1${dist}" x86_64 "${st_ce}" \
    "The open-source application container engine (Debian's docker.io)" \
    "Requires: docker-ce-cli" "Requires: containerd.io >= 1.6.4" "Requires: container-selinux >= 2:2.74" \
    "Requires: iptables" "Requires: libseccomp >= 2.3" "Requires: systemd" "Requires: tar" "Requires: xz" \
    "Recommends: docker-ce-rootless-extras" \
    "Conflicts: docker" "Conflicts: docker-io" "Conflicts: docker-engine-cs" "Conflicts: docker-ee" "Conflicts: podman-docker" \
    "Obsoletes: docker-ce-selinux < 17.04" "Obsoletes: docker-engine-selinux < 17.04" "Obsoletes: docker-engine < 17.04" \
    "%pre getent group docker >/dev/null || groupadd -r docker"
  mkrpm "${ARCHDIR}/${channel}/Packages" docker-ce-cli 1 "$v" "1${dist}" x86_64 "${st_cli}" \
    "The open-source application container engine's client (Debian's docker)" \
    "Recommends: docker-buildx-plugin" "Recommends: docker-compose-plugin" \
    "Conflicts: docker" "Conflicts: docker-io" "Conflicts: docker-engine-cs" "Conflicts: docker-ee-cli"
  mkrpm "${ARCHDIR}/${channel}/Packages" docker-ce-rootless-extras "" "$v" "1${dist}" x86_64 "" \
    "Rootless support for Docker (fixture: empty)" "Requires: docker-ce"
done
for p in docker-buildx-plugin docker-compose-plugin; do
  mkrpm "${ARCHDIR}/stable/Packages" "$p" "" 0.0.1 "1${dist}" x86_64 "" "${p} (fixture: empty)" "Enhances: docker-ce-cli"
done

log "  BaseOS stand-in"
for p in yum-utils lvm2 device-mapper-persistent-data python3-dnf-plugin-versionlock container-selinux; do
  epoch=""; ver=1.0; extra=()
  [ "$p" = yum-utils ] && extra=("Requires: dnf-plugins-core")
  [ "$p" = container-selinux ] && { epoch=4; ver=2.232.1; }
  mkrpm "${BASEOS}/Packages" "$p" "${epoch}" "${ver}" "1.lab${dist}" noarch "" "${p} (lab stand-in: empty)" "${extra[@]}"
done
st="${WORK}/stage-requests"
for d in "${PY_DEBS[@]}"; do unpack "$(src "$d")" "${st}"; done
mkrpm "${BASEOS}/Packages" python3-requests "" "$(upstream "$(dpkg-deb -f "$(src python3-requests)" Version)")" "1.lab${dist}" noarch "${st}" \
  "HTTP library for Python (Debian's python3-requests, urllib3, certifi, idna, charset-normalizer, six)" \
  "Provides: python3-urllib3" "Provides: python3-idna" "Provides: python3-six"

log "  signing with throwaway keys"
gpg --batch --quiet --passphrase '' --quick-gen-key "dockerops.host EL fixture repository <el-fixture@dockerops.invalid>" rsa3072 sign never
gpg --batch --quiet --passphrase '' --quick-gen-key "dockerops.host Rocky 9 BaseOS stand-in <el-baseos@dockerops.invalid>" rsa3072 sign never
fprs=()
while read -r f; do fprs+=("$f"); done < <(gpg --batch --quiet --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10}')
fpr="${fprs[0]}"; base_fpr="${fprs[1]}"
gpg --batch --armor --export "${fpr}" > "${DOCKER_ROOT}/gpg"
gpg --batch --armor --export "${base_fpr}" > "${OUT}/rocky/RPM-GPG-KEY-Rocky-${RELEASEVER}-lab"
sign() {
  rpmsign --addsign --define "__gpg $(command -v gpg)" --define "_gpg_name $1" --define "_gpg_path ${GNUPGHOME}" "${@:2}" \
    2> >(grep -v 'GPG_TTY' >&2) >/dev/null
}
sign "${fpr}" "${ARCHDIR}"/stable/Packages/*.rpm "${ARCHDIR}"/test/Packages/*.rpm
sign "${base_fpr}" "${BASEOS}"/Packages/*.rpm
# Docker's test channel also carries the current GA release.
for f in "${ARCHDIR}/stable/Packages/"*.rpm; do
  case "$(basename "$f")" in docker-ce*-"${v_old}"-*) ;; *) ln "$f" "${ARCHDIR}/test/Packages/" ;; esac
done
for repo in "${ARCHDIR}/stable" "${ARCHDIR}/test" "${BASEOS}"; do
  createrepo_c --quiet --no-database "${repo}" >/dev/null
  key="${fpr}"; [ "${repo}" = "${BASEOS}" ] && key="${base_fpr}"
  gpg --batch --yes --local-user "${key}" --armor --detach-sign -o "${repo}/repodata/repomd.xml.asc" "${repo}/repodata/repomd.xml"
done
ln -s centos "${OUT}/linux/rhel"
printf '{"releasever": "%s", "docker_ce": {"stable": ["%s", "%s"], "test": ["%s", "%s"]}, "release": "1%s", "epoch": 3}\n' \
  "${RELEASEVER}" "${v_old}" "${v_new}" "${v_new}" "${v_rc}" "${dist}" > "${ARCHDIR}/versions.json"
echo "${fpr}" > "${OUT}/FINGERPRINT"
chmod -R a+rX "${OUT}"
touch "${OUT}/.complete"
log "EL fixture repository ready (key ${fpr})"
echo "${OUT}"
