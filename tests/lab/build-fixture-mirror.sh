#!/usr/bin/env bash
# A local stand-in for Docker's apt archive (download.docker.com is unreachable
# here), laid out like it:
#   linux/debian/gpg                                  signing key (armored)
#   linux/debian/dists/<codename>/{InRelease,Release,Release.gpg}
#   linux/debian/dists/<codename>/{stable,test}/binary-amd64/Packages
#   linux/debian/dists/<codename>/pool/{stable,test}/amd64/*.deb
# Its docker-ce, docker-ce-cli, containerd.io, docker-ce-rootless-extras,
# docker-buildx-plugin and docker-compose-plugin are repacked from Debian's own
# docker.io, docker-cli, containerd and runc of that codename, so installing
# them gives a real running engine with Docker CE's package relations.
# Two stable versions of docker-ce (to test pinning) and an rc in `test`.
# Signed with a throwaway key made at build time. Prints the mirror's root.
source "$(dirname "$0")/lib.sh"

CODENAMES=(bookworm:12 trixie:13)
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
hash="$(printf '%s %s\n' "${CODENAMES[*]}" "${MIRROR}" | cat - "$0" "${LAB_DIR}/debcontrol.py" | sha256sum | cut -c1-12)"
OUT="${DOCKEROPS_CACHE}/fixture-mirror-${hash}"
if [ -e "${OUT}/.complete" ]; then
  log "fixture mirror is current: ${OUT}"
  echo "${OUT}"; exit 0
fi
log "building fixture mirror ${OUT}"
rm -rf "${OUT}"
WORK="$(mktemp -d "${DOCKEROPS_CACHE}/fixture-work.XXXX")"
GNUPGHOME="${WORK}/gnupg"; export GNUPGHOME
cleanup() { gpgconf --kill gpg-agent 2>/dev/null || true; rm -rf "${WORK}"; }
trap cleanup EXIT
ROOT="${OUT}/linux/debian"
mkdir -p "${ROOT}" "${GNUPGHOME}" && chmod 700 "${GNUPGHOME}"
EDIT="python3 ${LAB_DIR}/debcontrol.py"

# repack SRC_DIR CONTROL_ARGS... -- DEST_DEB : build a deb from an unpacked tree.
build_deb() { local dir="$1" dest="$2"; rm -f "${dir}/DEBIAN/md5sums"; dpkg-deb -Zgzip -z1 --root-owner-group -b "${dir}" "${dest}" >/dev/null; }
# empty_pkg NAME VERSION DEST DESCRIPTION DEPENDS
empty_pkg() {
  local d="${WORK}/empty-$1-$$"; rm -rf "$d"; mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
  echo "Repacked by the dockerops.host test lab: $4" > "$d/usr/share/doc/$1/README.fixture"
  { echo "Package: $1"; echo "Version: $2"; echo "Architecture: amd64"
    echo "Maintainer: dockerops.host test lab <lab@dockerops.invalid>"
    [ -n "$5" ] && echo "Depends: $5"
    echo "Description: $4"; } > "$d/DEBIAN/control"
  build_deb "$d" "$3"; rm -rf "$d"
}
upstream() { sed -E 's/^[0-9]+://; s/[~+-].*$//' <<<"$1"; }

for entry in "${CODENAMES[@]}"; do
  codename="${entry%%:*}"; release="${entry##*:}"
  log "  ${codename}: downloading docker.io, containerd, runc from Debian"
  apt_root="${WORK}/apt-${codename}"
  mkdir -p "${apt_root}"/{state/lists/partial,cache/archives/partial,debs}
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${MIRROR} ${codename} main" > "${apt_root}/sources.list"
  APT=(-o APT::Sandbox::User=root -o "Dir::Etc::SourceList=${apt_root}/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o "Dir::State=${apt_root}/state" -o "Dir::Cache=${apt_root}/cache"
       -o Dir::State::status=/dev/null -o APT::Architecture=amd64)
  apt-get "${APT[@]}" update -qq
  pkgs=(docker.io containerd runc)
  apt-cache "${APT[@]}" show docker-cli >/dev/null 2>&1 && pkgs+=(docker-cli)
  (cd "${apt_root}/debs" && apt-get "${APT[@]}" download -qq "${pkgs[@]}")

  src() { ls "${apt_root}/debs/$1"_*.deb; }
  engine_up="$(upstream "$(dpkg-deb -f "$(src docker.io)" Version)")"
  IFS=. read -r maj min pat <<<"${engine_up}"
  suffix="-1~debian.${release}~${codename}"
  v_new="5:${engine_up}${suffix}"
  v_old="5:${maj}.${min}.$((pat > 0 ? pat - 1 : 0))${suffix/-1~/-0~}"
  v_rc="5:${maj}.${min}.$((pat + 1))~rc.1${suffix}"
  dists="${ROOT}/dists/${codename}"
  mkdir -p "${dists}/pool/stable/amd64" "${dists}/pool/test/amd64"

  # containerd.io: Debian's containerd with runc's files in it, standing in for
  # both, as Docker's own containerd.io does.
  t="${WORK}/containerd.io"; rm -rf "$t"
  dpkg-deb -R "$(src containerd)" "$t"; dpkg-deb -x "$(src runc)" "$t"
  c_up="$(upstream "$(dpkg-deb -f "$(src containerd)" Version)")"
  r_up="$(upstream "$(dpkg-deb -f "$(src runc)" Version)")"
  runc_deps="$(dpkg-deb -f "$(src runc)" Depends)"
  $EDIT "$t/DEBIAN/control" --set "Package=containerd.io" --set "Version=${c_up}-1" \
    --drop-dep runc --drop Breaks --drop Built-Using --drop Source --add-dep "${runc_deps}" \
    --set "Provides=containerd (= ${c_up}), runc (= ${r_up})" \
    --set "Conflicts=containerd, runc" --set "Replaces=containerd, runc"
  build_deb "$t" "${dists}/pool/stable/amd64/containerd.io_${c_up}-1_amd64.deb"

  # docker-ce: Debian's engine under Docker CE's name and relations.
  t="${WORK}/docker-ce"; rm -rf "$t"; dpkg-deb -R "$(src docker.io)" "$t"
  for v in "${v_old}" "${v_new}" "${v_rc}"; do
    channel=stable; [ "$v" = "${v_rc}" ] && channel=test
    $EDIT "$t/DEBIAN/control" --set "Package=docker-ce" --set "Version=${v}" \
      --rename-dep containerd=containerd.io --drop-dep runc --rename-dep docker-cli=docker-ce-cli \
      --drop Source --drop Built-Using --set "Conflicts=docker (<< 1.5~), docker-engine, docker.io" \
      --set "Replaces=docker-engine" --drop Breaks \
      --add-dep "docker-ce-cli"
    build_deb "$t" "${dists}/pool/${channel}/amd64/docker-ce_${v#5:}_amd64.deb"
  done

  # docker-ce-cli: Debian's docker-cli where the codename splits it out; else an
  # empty package (bookworm's docker.io carries the client).
  for v in "${v_old}" "${v_new}" "${v_rc}"; do
    channel=stable; [ "$v" = "${v_rc}" ] && channel=test
    dest="${dists}/pool/${channel}/amd64/docker-ce-cli_${v#5:}_amd64.deb"
    if [ -n "$(ls "${apt_root}"/debs/docker-cli_*.deb 2>/dev/null)" ]; then
      t="${WORK}/docker-ce-cli"; rm -rf "$t"; dpkg-deb -R "$(src docker-cli)" "$t"
      $EDIT "$t/DEBIAN/control" --set "Package=docker-ce-cli" --set "Version=${v}" \
        --drop Source --drop Built-Using --drop Breaks --drop Replaces --drop Recommends \
        --set "Conflicts=docker (<< 1.5~), docker.io, docker-cli"
      build_deb "$t" "${dest}"
    else
      empty_pkg docker-ce-cli "${v}" "${dest}" "Docker CLI (fixture: the client ships inside docker-ce here)" ""
    fi
    empty_pkg docker-ce-rootless-extras "${v}" "${dists}/pool/${channel}/amd64/docker-ce-rootless-extras_${v#5:}_amd64.deb" \
      "rootless extras (fixture: empty)" "docker-ce"
  done
  for p in docker-buildx-plugin docker-compose-plugin; do
    empty_pkg "$p" "0.0.1-1~debian.${release}~${codename}" "${dists}/pool/stable/amd64/${p}_0.0.1-1~debian.${release}~${codename}_amd64.deb" \
      "${p} (fixture: empty)" "docker-ce-cli"
  done
  # Docker's test channel also carries the current GA release.
  for f in "${dists}/pool/stable/amd64/"*.deb; do
    case "$f" in *docker-ce*_"${v_old#5:}"_*) ;; *) ln "$f" "${dists}/pool/test/amd64/" ;; esac
  done

  (cd "${ROOT}" && for channel in stable test; do
     mkdir -p "dists/${codename}/${channel}/binary-amd64"
     apt-ftparchive packages "dists/${codename}/pool/${channel}" > "dists/${codename}/${channel}/binary-amd64/Packages"
     gzip -9kf "dists/${codename}/${channel}/binary-amd64/Packages"
   done)
  apt-ftparchive -o APT::FTPArchive::Release::Origin=Docker -o APT::FTPArchive::Release::Label=Docker \
    -o "APT::FTPArchive::Release::Suite=${codename}" -o "APT::FTPArchive::Release::Codename=${codename}" \
    -o "APT::FTPArchive::Release::Components=stable test" -o APT::FTPArchive::Release::Architectures=amd64 \
    release "${dists}" > "${WORK}/Release" && mv "${WORK}/Release" "${dists}/Release"
  printf '%s\n' "{\"codename\": \"${codename}\", \"docker_ce\": {\"stable\": [\"${v_old}\", \"${v_new}\"], \"test\": [\"${v_new}\", \"${v_rc}\"]}}" \
    > "${dists}/versions.json"
done

log "  signing with a throwaway key"
gpg --batch --quiet --passphrase '' --quick-gen-key "dockerops.host fixture mirror <fixture@dockerops.invalid>" ed25519 sign never
fpr="$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')"
gpg --batch --armor --export "${fpr}" > "${ROOT}/gpg"
echo "${fpr}" > "${OUT}/FINGERPRINT"
for dists in "${ROOT}"/dists/*/; do
  gpg --batch --yes --clearsign -o "${dists}/InRelease" "${dists}/Release"
  gpg --batch --yes -abs -o "${dists}/Release.gpg" "${dists}/Release"
done
chmod -R a+rX "${OUT}"
touch "${OUT}/.complete"
log "fixture mirror ready (key ${fpr})"
echo "${OUT}"
