"""The key pin against the real tools that trust keys: apt (gpgv) and rpm.

Two throwaway keys are made with gpg: the pinned one, and a mirror's own key
that signs what the mirror serves. For each way a mirror can serve its key
beside the pinned one, this proves three things with the real tools:
  - the attack is real: apt / rpm, given the file as the install roles wrote it
    before the pin was enforced, accept what the mirror's key signed;
  - the pin refuses that file (openpgp.accept_key, which docker_repo_key runs);
  - the keyring the role writes (only the pinned key) makes apt / rpm reject
    what the mirror's key signed, and accept what the pinned key signed.
Needs gpg, apt-get and apt-ftparchive (apt-utils), rpm, rpmbuild, rpmsign and
rpmkeys: tests/lab/host-deps.sh installs them. Nothing here is skipped.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _openpgp as openpgp

TOOLS = ["gpg", "gpgconf", "apt-get", "apt-ftparchive", "rpm", "rpmbuild", "rpmsign", "rpmkeys"]


def run(argv, env=None, check=True, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=env, **kw)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), proc.returncode, proc.stdout))
    return proc


def test_the_real_tools_are_installed():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, "install them (tests/lab/host-deps.sh): %s" % missing


class Keys(object):
    """A throwaway GNUPGHOME with the pinned key, a mirror's key, and a third
    key that carries the pinned key as a real subkey."""

    def __init__(self, home):
        self.home = home
        self.env = dict(os.environ, GNUPGHOME=home)
        self.pinned = self._make("pinned key <pinned@dockerops.invalid>")
        self.mirror = self._make("mirror key <mirror@dockerops.invalid>")
        self.pinned_asc = self.export(self.pinned)
        self.mirror_asc = self.export(self.mirror)
        self.both_one_block = self.export(self.pinned, self.mirror)
        # The pinned key added to a third key as a subkey ("(13) Existing key", by keygrip). A v4 fingerprint
        # covers the creation time, and gpg stamps the new subkey with the current time: both keys are made
        # with gpg's clock frozen at the pinned key's creation second, or the subkey would get another
        # fingerprint whenever a second has passed since (as it did, now and then, on a busy machine).
        listing = self.gpg("--with-colons", "--with-keygrip", "--list-keys", self.pinned).stdout.splitlines()
        created = [line.split(":")[5] for line in listing if line.startswith("pub:")][0]
        grip = [line.split(":")[9] for line in listing if line.startswith("grp:")][0]
        frozen = "--faked-system-time=%s!" % created
        self.third = self._make("third key <third@dockerops.invalid>", frozen)
        run(["gpg", "--expert", "--batch", "--yes", frozen, "--pinentry-mode", "loopback", "--passphrase", "",
             "--command-fd", "0", "--edit-key", self.third], env=self.env,
            input="addkey\n13\n%s\nQ\n0\nsave\n" % grip)
        self.pinned_as_subkey = self.export(self.third)
        assert self.pinned in self.gpg("--with-colons", "--list-keys", self.third).stdout

    def gpg(self, *args, **kw):
        return run(["gpg", "--batch"] + list(args), env=self.env, **kw)

    def _make(self, uid, *options):
        self.gpg(*(options + ("--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")))
        listing = self.gpg("--with-colons", "--list-keys", uid).stdout
        return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][0]

    def export(self, *fprs):
        # fpr! exports exactly that key (a plain spec also matches keys that carry it as a subkey).
        return self.gpg("--armor", "--export", *[f + "!" for f in fprs]).stdout


@pytest.fixture(scope="module")
def keys():
    home = tempfile.mkdtemp(prefix="dockerops-keys-")
    os.chmod(home, 0o700)
    try:
        yield Keys(home)
    finally:
        run(["gpgconf", "--kill", "gpg-agent"], env=dict(os.environ, GNUPGHOME=home), check=False)
        shutil.rmtree(home, ignore_errors=True)


# The key that signs what the mirror serves, per case: in the subkey case the
# third key, whose certificate carries the pinned key.
SIGNER = {"pinned key as a subkey of the mirror's key": "third"}


# What the install roles wrote before the pin was enforced: the served text, whole.
def hostile_files(keys):
    return {
        "second armor block": keys.pinned_asc + keys.mirror_asc,
        "two keys in one block": keys.both_one_block,
        "text, then another block": keys.pinned_asc + "Also trusted by this mirror:\n" + keys.mirror_asc,
        "pinned key as a subkey of the mirror's key": keys.pinned_as_subkey,
    }


CASES = ["second armor block", "two keys in one block", "text, then another block",
         "pinned key as a subkey of the mirror's key"]


@pytest.mark.parametrize("case", CASES)
def test_the_pin_refuses_every_hostile_file(keys, case):
    with pytest.raises(openpgp.OpenPGPError):
        openpgp.accept_key(hostile_files(keys)[case], keys.pinned, "docker_install_ubuntu_key_fingerprint")


# --- apt ---------------------------------------------------------------------------------------------------

def make_apt_repo(keys, root, signer):
    """A one-suite apt repository (empty index) whose InRelease signer signed."""
    binary = os.path.join(root, "dists", "stable", "main", "binary-amd64")
    os.makedirs(binary)
    open(os.path.join(binary, "Packages"), "w").close()
    release = run(["apt-ftparchive", "-o", "APT::FTPArchive::Release::Suite=stable",
                   "-o", "APT::FTPArchive::Release::Codename=stable",
                   "-o", "APT::FTPArchive::Release::Components=main",
                   "-o", "APT::FTPArchive::Release::Architectures=amd64",
                   "release", os.path.join(root, "dists", "stable")]).stdout
    with open(os.path.join(root, "dists", "stable", "Release"), "w") as f:
        f.write(release)
    keys.gpg("--yes", "--local-user", signer + "!", "--clearsign", "-o",
             os.path.join(root, "dists", "stable", "InRelease"), os.path.join(root, "dists", "stable", "Release"))


def apt_update(root, keyring_path):
    """apt-get update of that one repository, isolated from the machine's sources and lists."""
    work = tempfile.mkdtemp(prefix="dockerops-apt-")
    try:
        os.makedirs(os.path.join(work, "lists", "partial"))
        os.makedirs(os.path.join(work, "cache", "archives", "partial"))
        sources = os.path.join(work, "sources.list")
        with open(sources, "w") as f:
            f.write("deb [signed-by=%s] file://%s stable main\n" % (keyring_path, root))
        return run(["apt-get", "update", "-o", "Dir::Etc::SourceList=" + sources, "-o", "Dir::Etc::SourceParts=/dev/null",
                    "-o", "Dir::State::Lists=" + os.path.join(work, "lists"),
                    "-o", "Dir::Cache=" + os.path.join(work, "cache"), "-o", "Debug::NoLocking=1",
                    "-o", "APT::Sandbox::User=root", "-o", "APT::Architecture=amd64"], check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def apt_repos(keys):
    root = tempfile.mkdtemp(prefix="dockerops-repos-")
    os.chmod(root, 0o755)
    repos = {}
    for name, signer in (("pinned", keys.pinned), ("mirror", keys.mirror), ("third", keys.third)):
        path = os.path.join(root, name)
        make_apt_repo(keys, path, signer)
        repos[name] = path
    yield repos
    shutil.rmtree(root, ignore_errors=True)


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, 0o644)
    return path


def test_apt_control_the_role_keyring_reads_the_pinned_repository(keys, apt_repos, tmp_path):
    ring = write(str(tmp_path / "docker.gpg"), openpgp.accept_key(keys.pinned_asc, keys.pinned).raw)
    proc = apt_update(apt_repos["pinned"], ring)
    assert proc.returncode == 0, proc.stdout
    assert "NO_PUBKEY" not in proc.stdout


def test_apt_with_the_role_keyring_rejects_the_mirror_signed_repository(keys, apt_repos, tmp_path):
    ring = write(str(tmp_path / "docker.gpg"), openpgp.accept_key(keys.pinned_asc, keys.pinned).raw)
    proc = apt_update(apt_repos["mirror"], ring)
    assert proc.returncode != 0, proc.stdout
    assert "NO_PUBKEY" in proc.stdout or "not signed" in proc.stdout, proc.stdout


@pytest.mark.parametrize("case", CASES)
def test_apt_trusted_the_mirror_with_the_file_written_whole(keys, apt_repos, tmp_path, case):
    # The attack the pin closes is real: apt reads every key in an .asc keyring.
    ring = write(str(tmp_path / "docker.asc"), hostile_files(keys)[case])
    proc = apt_update(apt_repos[SIGNER.get(case, "mirror")], ring)
    assert proc.returncode == 0, proc.stdout


def test_apt_with_the_role_keyring_rejects_the_third_key(keys, apt_repos, tmp_path):
    ring = write(str(tmp_path / "docker.gpg"), openpgp.accept_key(keys.pinned_asc, keys.pinned).raw)
    proc = apt_update(apt_repos["third"], ring)
    assert proc.returncode != 0 and "NO_PUBKEY" in proc.stdout, proc.stdout


# --- rpm ---------------------------------------------------------------------------------------------------

SPEC = """Name: dockerops-sigtest
Version: 1
Release: 1
Summary: signature test package
License: GPL-3.0-or-later
BuildArch: noarch
%description
A package with no files, signed for the key pin test.
%files
"""


@pytest.fixture(scope="module")
def signed_rpms(keys):
    top = tempfile.mkdtemp(prefix="dockerops-rpm-")
    rpms = {}
    try:
        os.makedirs(os.path.join(top, "SPECS"))
        spec = write(os.path.join(top, "SPECS", "t.spec"), SPEC)
        run(["rpmbuild", "--define", "_topdir " + top, "-bb", spec], env=keys.env)
        built = os.path.join(top, "RPMS", "noarch", "dockerops-sigtest-1-1.noarch.rpm")
        for name, signer in (("pinned", keys.pinned), ("mirror", keys.mirror), ("third", keys.third)):
            path = os.path.join(top, "%s.rpm" % name)
            shutil.copy(built, path)
            run(["rpmsign", "--define", "__gpg " + shutil.which("gpg"), "--define", "_gpg_name " + signer + "!",
                 "--define", "_gpg_path " + keys.home, "--addsign", path], env=keys.env)
            rpms[name] = path
        yield rpms
    finally:
        shutil.rmtree(top, ignore_errors=True)


def rpm_checksig(rpm, key_text, tmp_path):
    """rpmkeys --import of key_text into a fresh rpm database, then --checksig of rpm."""
    db = tmp_path / "rpmdb"
    db.mkdir()
    keyfile = write(str(tmp_path / "docker-ce.gpg"), key_text)
    run(["rpmkeys", "--dbpath", str(db), "--import", keyfile])
    return run(["rpmkeys", "--dbpath", str(db), "--checksig", rpm], check=False)


def test_rpm_control_the_pinned_key_verifies_the_pinned_package(keys, signed_rpms, tmp_path):
    proc = rpm_checksig(signed_rpms["pinned"], openpgp.accept_key(keys.pinned_asc, keys.pinned).armored(), tmp_path)
    assert proc.returncode == 0 and "signatures OK" in proc.stdout, proc.stdout


def test_rpm_with_the_role_key_rejects_the_mirror_signed_package(keys, signed_rpms, tmp_path):
    proc = rpm_checksig(signed_rpms["mirror"], openpgp.accept_key(keys.pinned_asc, keys.pinned).armored(), tmp_path)
    assert proc.returncode != 0 and "SIGNATURES NOT OK" in proc.stdout, proc.stdout


@pytest.mark.parametrize("case", CASES)
def test_rpm_trusted_the_mirror_with_the_file_imported_whole(keys, signed_rpms, tmp_path, case):
    # rpm imports every key of the file, and trusts it for every repository.
    proc = rpm_checksig(signed_rpms[SIGNER.get(case, "mirror")], hostile_files(keys)[case], tmp_path)
    assert proc.returncode == 0 and "signatures OK" in proc.stdout, proc.stdout
