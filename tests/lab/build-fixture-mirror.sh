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
# Beside them, today's engine: Docker CE 28.5.2 (and a 28.5.3 rc in `test`)
# repacked from Debian unstable's docker.io, docker-cli, containerd 2.1, runc
# (where the codename's libc allows it; else the codename's own), tini-static,
# docker-buildx and docker-compose - the CLI plugins are the real programs.
# linux/ubuntu carries the same packages for Ubuntu's codenames (noble, jammy)
# for the lab's Ubuntu stand-in hosts, which are Debian 12 underneath: the
# bookworm pool under each Ubuntu codename (versions keep Debian's suffix).
# Signed with a throwaway key made at build time. Prints the mirror's root.
source "$(dirname "$0")/lib.sh"

CODENAMES=(bookworm:12 trixie:13)
# Ubuntu codename:base codename (the stand-in hosts' real userland).
UBUNTU_CODENAMES=(noble:bookworm jammy:bookworm)
# The suite that carries today's engine, fetched from the same archive.
NEW_SUITE="${DOCKEROPS_NEW_ENGINE_SUITE:-unstable}"
MIRROR="$(debian_mirror)"
hash="$(printf '%s %s %s %s\n' "${CODENAMES[*]}" "${UBUNTU_CODENAMES[*]}" "${MIRROR}" "${NEW_SUITE}" | cat - "$0" "${LAB_DIR}/debcontrol.py" "${LAB_DIR}/lib.sh" | sha256sum | cut -c1-12)"
OUT="${DOCKEROPS_CACHE}/fixture-mirror-${hash}"
if [ -e "${OUT}/.complete" ]; then
  log "fixture mirror is current: ${OUT}"
  echo "${OUT}"; exit 0
fi
log "building fixture mirror ${OUT}"
started=${SECONDS}
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
# restart_after_upgrade DIR : Debian's docker.io only starts the engine after an
# upgrade (the old dockerd keeps running); Docker CE's docker-ce restarts it,
# as dh_installsystemd does by default. Give the repacked engine Docker's way.
restart_after_upgrade() {
  sed -i "s/deb-systemd-invoke start 'docker.service'/deb-systemd-invoke \$([ -n \"\$2\" ] \&\& echo restart || echo start) 'docker.service'/" "$1/DEBIAN/postinst"
  grep -q 'echo restart' "$1/DEBIAN/postinst" || die "docker-ce postinst: no engine start to turn into a restart"
}

# index_codename TREE CODENAME : Packages (and .gz) for the stable and test
# channels of TREE/dists/CODENAME/pool, and its unsigned Release.
index_codename() {
  local tree="$1" codename="$2" channel
  for channel in stable test; do
    mkdir -p "${tree}/dists/${codename}/${channel}/binary-amd64"
    (cd "${tree}" && apt-ftparchive packages "dists/${codename}/pool/${channel}") \
      > "${tree}/dists/${codename}/${channel}/binary-amd64/Packages"
    gzip -9kf "${tree}/dists/${codename}/${channel}/binary-amd64/Packages"
  done
  apt-ftparchive -o APT::FTPArchive::Release::Origin=Docker -o APT::FTPArchive::Release::Label=Docker \
    -o "APT::FTPArchive::Release::Suite=${codename}" -o "APT::FTPArchive::Release::Codename=${codename}" \
    -o "APT::FTPArchive::Release::Components=stable test" -o APT::FTPArchive::Release::Architectures=amd64 \
    release "${tree}/dists/${codename}" > "${WORK}/Release" && mv "${WORK}/Release" "${tree}/dists/${codename}/Release"
}

log "  ${NEW_SUITE}: downloading today's engine (docker.io, docker-cli, containerd, runc, tini-static, docker-buildx, docker-compose)"
apt_for new "${NEW_SUITE}"
NEW_DEBS="${apt_root}/debs"
(cd "${NEW_DEBS}" && apt-get "${APT[@]}" download -qq docker.io docker-cli containerd runc tini-static docker-buildx docker-compose)
new() { ls "${NEW_DEBS}/$1"_*.deb; }
# needs_libc DEB : the libc6 version a package's Depends asks for (0 if none).
needs_libc() { dpkg-deb -f "$1" Depends | grep -o 'libc6 (>= [^)]*)' | sed -E 's/.*>= ([^)]*)\)/\1/' || echo 0; }

for entry in "${CODENAMES[@]}"; do
  codename="${entry%%:*}"; release="${entry##*:}"
  log "  ${codename}: downloading docker.io, containerd, runc from Debian"
  apt_for "${codename}" "${codename}"
  pkgs=(docker.io containerd runc)
  apt-cache "${APT[@]}" show docker-cli >/dev/null 2>&1 && pkgs+=(docker-cli)
  (cd "${apt_root}/debs" && apt-get "${APT[@]}" download -qq "${pkgs[@]}")
  libc="$(apt-cache "${APT[@]}" show --no-all-versions libc6 | awk '/^Version:/ {print $2; exit}')"

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
  t="${WORK}/docker-ce"; rm -rf "$t"; dpkg-deb -R "$(src docker.io)" "$t"; restart_after_upgrade "$t"
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

  # Today's engine, 28.5.2: every binary from the new suite, but runc from the
  # codename where the new one needs a newer libc than the codename has.
  for deb in "$(new docker.io)" "$(new docker-cli)" "$(new containerd)" "$(new docker-buildx)" "$(new docker-compose)"; do
    dpkg --compare-versions "${libc}" ge "$(needs_libc "${deb}")" \
      || die "${deb##*/} needs libc6 >= $(needs_libc "${deb}"); ${codename} has ${libc}"
  done
  runc_deb="$(new runc)"
  dpkg --compare-versions "${libc}" ge "$(needs_libc "${runc_deb}")" || runc_deb="$(src runc)"
  e28_up="$(upstream "$(dpkg-deb -f "$(new docker.io)" Version)")"
  IFS=. read -r maj min pat <<<"${e28_up}"
  v28="5:${e28_up}${suffix}"
  v28_rc="5:${maj}.${min}.$((pat + 1))~rc.1${suffix}"
  c28_up="$(upstream "$(dpkg-deb -f "$(new containerd)" Version)")"
  r28_up="$(upstream "$(dpkg-deb -f "${runc_deb}" Version)")"
  c28_v="${c28_up}-1~debian.${release}~${codename}"
  log "  ${codename}: docker-ce ${v28} on containerd.io ${c28_v} (runc ${r28_up})"
  t="${WORK}/containerd.io"; rm -rf "$t"
  dpkg-deb -R "$(new containerd)" "$t"; dpkg-deb -x "${runc_deb}" "$t"
  $EDIT "$t/DEBIAN/control" --set "Package=containerd.io" --set "Version=${c28_v}" \
    --drop-dep runc --drop Breaks --drop Built-Using --drop Source --add-dep "$(dpkg-deb -f "${runc_deb}" Depends)" \
    --set "Provides=containerd (= ${c28_up}), runc (= ${r28_up})" \
    --set "Conflicts=containerd, runc" --set "Replaces=containerd, runc"
  build_deb "$t" "${dists}/pool/stable/amd64/containerd.io_${c28_v}_amd64.deb"

  # docker-ce: dockerd, with docker-init (tini-static) inside where Docker's own
  # package has it (/usr/libexec/docker, which dockerd searches), so no file of
  # Debian's tini (an older docker-ce's dependency) is touched.
  t="${WORK}/docker-ce"; rm -rf "$t" "${WORK}/tini"; dpkg-deb -R "$(new docker.io)" "$t"
  dpkg-deb -x "$(new tini-static)" "${WORK}/tini"; rm -f "$t/usr/bin/docker-init"
  restart_after_upgrade "$t"
  install -D -m 0755 "${WORK}/tini/usr/bin/tini-static" "$t/usr/libexec/docker/docker-init"
  for v in "${v28}" "${v28_rc}"; do
    channel=stable; [ "$v" = "${v28_rc}" ] && channel=test
    $EDIT "$t/DEBIAN/control" --set "Package=docker-ce" --set "Version=${v}" \
      --rename-dep "containerd=containerd.io (>= ${c28_up})" --drop-dep runc --drop-dep tini-static \
      --drop Source --drop Built-Using --set "Conflicts=docker (<< 1.5~), docker-engine, docker.io" \
      --set "Replaces=docker-engine" --drop Breaks --drop Recommends --add-dep "docker-ce-cli"
    build_deb "$t" "${dists}/pool/${channel}/amd64/docker-ce_${v#5:}_amd64.deb"
  done
  t="${WORK}/docker-ce-cli"; rm -rf "$t"; dpkg-deb -R "$(new docker-cli)" "$t"
  for v in "${v28}" "${v28_rc}"; do
    channel=stable; [ "$v" = "${v28_rc}" ] && channel=test
    # Older docker-ce builds carry the client and its man pages themselves.
    $EDIT "$t/DEBIAN/control" --set "Package=docker-ce-cli" --set "Version=${v}" \
      --drop Source --drop Built-Using --drop Breaks --drop Recommends \
      --set "Conflicts=docker (<< 1.5~), docker.io, docker-cli" --set "Replaces=docker-ce (<< 5:${maj}.${min}~)"
    build_deb "$t" "${dists}/pool/${channel}/amd64/docker-ce-cli_${v#5:}_amd64.deb"
    empty_pkg docker-ce-rootless-extras "${v}" "${dists}/pool/${channel}/amd64/docker-ce-rootless-extras_${v#5:}_amd64.deb" \
      "rootless extras (fixture: empty)" "docker-ce"
  done
  # The CLI plugins: Debian's programs in /usr/libexec/docker/cli-plugins, as
  # Docker's packages install them (without Debian's /usr/bin/docker-compose).
  for pair in docker-buildx:docker-buildx-plugin docker-compose:docker-compose-plugin; do
    deb="$(new "${pair%%:*}")"; p="${pair##*:}"
    pv="$(upstream "$(dpkg-deb -f "${deb}" Version)")-1~debian.${release}~${codename}"
    t="${WORK}/$p"; rm -rf "$t"; dpkg-deb -R "${deb}" "$t"; rm -f "$t/usr/bin/docker-compose"
    $EDIT "$t/DEBIAN/control" --set "Package=$p" --set "Version=${pv}" \
      --drop Source --drop Built-Using --drop Conflicts --drop Breaks --drop Replaces --set "Recommends=docker-ce-cli"
    build_deb "$t" "${dists}/pool/stable/amd64/${p}_${pv}_amd64.deb"
  done
  # Docker's test channel also carries the current GA release.
  for f in "${dists}/pool/stable/amd64/"*.deb; do
    case "$f" in *docker-ce*_"${v_old#5:}"_*) ;; *) ln "$f" "${dists}/pool/test/amd64/" ;; esac
  done

  index_codename "${ROOT}" "${codename}"
  # Lists in ascending version order: stable[-1] is what an unpinned install
  # gets, test[-1] is the newest release candidate; docker_ce_28 is today's engine.
  printf '%s\n' "{\"codename\": \"${codename}\", \"docker_ce\": {\"stable\": [\"${v_old}\", \"${v_new}\", \"${v28}\"], \"test\": [\"${v_new}\", \"${v_rc}\", \"${v28}\", \"${v28_rc}\"]}, \"docker_ce_28\": \"${v28}\", \"containerd_io_28\": \"${c28_v}\"}" \
    > "${dists}/versions.json"

  # Every version must install on an empty ${codename}: resolve each against
  # the codename's archive and this pool (apt's solver, nothing installed).
  echo "deb [trusted=yes] file://${ROOT} ${codename} stable test" >> "${apt_root}/sources.list"
  apt-get "${APT[@]}" update -qq
  for v in "${v_old}" "${v_new}" "${v_rc}" "${v28}" "${v28_rc}"; do
    apt-get "${APT[@]}" -o Debug::NoLocking=1 install -s -qq --no-install-recommends "docker-ce=${v}" "docker-ce-cli=${v}" \
      "docker-ce-rootless-extras=${v}" containerd.io docker-buildx-plugin docker-compose-plugin >"${WORK}/resolve.log" 2>&1 \
      || { cat "${WORK}/resolve.log" >&2; die "${codename}: docker-ce ${v} does not resolve"; }
  done
done

UROOT="${OUT}/linux/ubuntu"
for entry in "${UBUNTU_CODENAMES[@]}"; do
  codename="${entry%%:*}"; base="${entry##*:}"
  log "  ${codename}: the ${base} packages under Ubuntu's codename"
  dists="${UROOT}/dists/${codename}"
  for channel in stable test; do
    mkdir -p "${dists}/pool/${channel}/amd64"
    ln "${ROOT}/dists/${base}/pool/${channel}/amd64/"*.deb "${dists}/pool/${channel}/amd64/"
  done
  index_codename "${UROOT}" "${codename}"
  sed "s/\"codename\": \"${base}\"/\"codename\": \"${codename}\"/" "${ROOT}/dists/${base}/versions.json" > "${dists}/versions.json"
done

log "  signing with a throwaway key"
gpg --batch --quiet --passphrase '' --quick-gen-key "dockerops.host fixture mirror <fixture@dockerops.invalid>" ed25519 sign never
fpr="$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')"
gpg --batch --armor --export "${fpr}" > "${ROOT}/gpg"
cp "${ROOT}/gpg" "${UROOT}/gpg"
echo "${fpr}" > "${OUT}/FINGERPRINT"
for dists in "${ROOT}"/dists/*/ "${UROOT}"/dists/*/; do
  gpg --batch --yes --clearsign -o "${dists}/InRelease" "${dists}/Release"
  gpg --batch --yes -abs -o "${dists}/Release.gpg" "${dists}/Release"
done
chmod -R a+rX "${OUT}"
touch "${OUT}/.complete"
log "fixture mirror ready (key ${fpr}) in $((SECONDS - started)) s"
echo "${OUT}"
