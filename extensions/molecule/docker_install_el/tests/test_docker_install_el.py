"""Verify docker_install_centos on the lab's Rocky 9 stand-in (testinfra, run by molecule)."""

import configparser
import json
import os
import subprocess

import testinfra.utils.ansible_runner

# The shared check that the host's engine runs a container (extensions/molecule/shared/tests).
INNER_ENGINE_ECHO = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tests",
                                      "inner-engine-echo.sh")).read()

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

FIXTURE = os.environ["DOCKEROPS_EL_FIXTURE_MIRROR"]
FIXTURE_FPR = os.environ["DOCKEROPS_EL_FIXTURE_FINGERPRINT"]
REPO_FILE = "/etc/yum.repos.d/dockerops-docker-ce.repo"
KEY_FILE = "/etc/pki/rpm-gpg/docker-ce.gpg"
DOCKER_CE_PACKAGES = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin",
                      "docker-compose-plugin", "docker-ce-rootless-extras"]
LOCKED = {"docker-ce": "3", "docker-ce-cli": "1", "docker-ce-rootless-extras": "0"}


def fixture_versions():
    with open(os.path.join(FIXTURE, "linux/centos/9/x86_64/versions.json")) as f:
        return json.load(f)


def key_ids(path):
    """rpm's name for a key (gpg-pubkey-<VERSION>): the last 8 hex digits of its key id, lower case."""
    out = subprocess.run(["gpg", "--batch", "--show-keys", "--with-colons", path],
                         capture_output=True, check=True).stdout.decode()
    return [line.split(":")[9][-8:].lower() for line in out.splitlines() if line.startswith("fpr:")]


def name(host):
    return host.backend.get_hostname()


def rpm_keys(host):
    out = host.run("rpm -q gpg-pubkey --qf '%{VERSION}\\n'")
    return sorted(out.stdout.split()) if out.rc == 0 else []


def test_host_is_seen_as_rocky_9(host):
    facts = host.ansible("setup", "gather_subset=!all,distribution")["ansible_facts"]
    assert facts["ansible_distribution"] == "Rocky"
    assert facts["ansible_os_family"] == "RedHat"
    assert facts["ansible_distribution_major_version"] == "9"
    assert host.check_output("rpm -q --whatprovides 'system-release(releasever)' --qf '%{NAME}'") == "rocky-release"


def test_refusal_host_has_nothing(host):
    if name(host) != "el-refusal":
        return
    assert not host.file(REPO_FILE).exists
    assert not host.file(KEY_FILE).exists
    assert FIXTURE_FPR[-8:].lower() not in rpm_keys(host)
    for pkg in DOCKER_CE_PACKAGES:
        assert host.run("rpm -q %s" % pkg).rc != 0, pkg


def test_engine_services_running_and_enabled(host):
    if name(host) == "el-refusal":
        return
    for unit in ("containerd", "docker"):
        svc = host.service(unit)
        assert svc.is_running, unit
        assert svc.is_enabled, unit
    # The units came from the RPMs, not from dpkg.
    assert host.check_output("rpm -qf /usr/lib/systemd/system/docker.service --qf '%{NAME}'") == "docker-ce"
    assert host.check_output("rpm -qf /usr/lib/systemd/system/containerd.service --qf '%{NAME}'") == "containerd.io"


def test_docker_info_answers(host):
    if name(host) == "el-refusal":
        return
    version, driver = host.check_output("docker info --format '{{.ServerVersion}} {{.Driver}}'").split()
    assert version[0].isdigit()
    assert driver == "overlay2"


def test_inner_engine_runs_a_container(host):
    if name(host) == "el-refusal":
        return
    assert host.check_output(INNER_ENGINE_ECHO).strip() == "hello-from-the-inner-engine"


def test_packages_exact_versions(host):
    if name(host) == "el-refusal":
        return
    versions = fixture_versions()["docker_ce"]
    rel = fixture_versions()["release"]
    for pkg in DOCKER_CE_PACKAGES:
        assert host.run("rpm -q %s" % pkg).rc == 0, pkg
    # Installed through dnf (its history), not rpm -i.
    assert "docker-ce" in host.check_output("dnf -q history userinstalled")
    want = versions["stable"][0] if name(host) == "el-stable" else versions["test"][-1]
    for pkg, epoch in LOCKED.items():
        out = host.check_output("rpm -q %s --qf '%%{EPOCHNUM}:%%{VERSION}-%%{RELEASE}'" % pkg)
        assert out == "%s:%s-%s" % (epoch, want, rel), pkg
    # The community.docker modules need requests: it came from the BaseOS stand-in through dnf.
    assert host.run("rpm -q python3-requests").rc == 0
    host.check_output("python3 -c 'import requests'")


def test_versionlock(host):
    if name(host) == "el-refusal":
        return
    locks = host.check_output("dnf -q versionlock list").split()
    rel = fixture_versions()["release"]
    if name(host) == "el-stable":
        old = fixture_versions()["docker_ce"]["stable"][0]
        for pkg, epoch in LOCKED.items():
            assert "%s-%s:%s-%s.*" % (pkg, epoch, old, rel) in locks, locks
        assert len(locks) == len(LOCKED), locks
        # The newer stable build is in the repository, and dnf upgrade will not move to it.
        newer = fixture_versions()["docker_ce"]["stable"][1]
        assert newer in host.check_output("dnf -q list --upgrades docker-ce")
        upgrade = host.check_output("dnf upgrade --assumeno docker-ce docker-ce-cli docker-ce-rootless-extras")
        assert "Nothing to do." in upgrade and newer not in upgrade, upgrade
    else:
        assert locks == []


def test_repository_file(host):
    if name(host) == "el-refusal":
        return
    f = host.file(REPO_FILE)
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(f.content_string)
    assert sorted(ini.sections()) == ["docker-ce-stable", "docker-ce-test"]
    path = "centos" if name(host) == "el-stable" else "rhel"
    for channel in ("stable", "test"):
        section = ini["docker-ce-" + channel]
        assert section["baseurl"] == "file:///srv/docker-mirror-el/linux/%s/$releasever/$basearch/%s" % (path, channel)
        assert section["gpgcheck"] == "1"
        assert section["gpgkey"] == "file://" + KEY_FILE
    assert ini["docker-ce-test"]["enabled"] == ("1" if name(host) == "el-test" else "0")
    # dnf resolves it to the fixture tree.
    repos = host.check_output("dnf -q repolist --enabled")
    assert "docker-ce-stable" in repos
    assert ("docker-ce-test" in repos) == (name(host) == "el-test")
    assert not host.file("/etc/yum.repos.d/docker-ce.repo").exists


def test_only_the_pinned_key_imported(host):
    if name(host) == "el-refusal":
        return
    key = host.file(KEY_FILE)
    assert (key.user, key.mode) == ("root", 0o644)
    # Checked with the lab machine's gpg, independently of the role's own parser.
    out = subprocess.run(["gpg", "--batch", "--show-keys", "--with-colons"], input=key.content,
                         capture_output=True, check=True).stdout.decode()
    assert [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")] == [FIXTURE_FPR]
    # rpm holds the pinned key and the BaseOS stand-in's key (imported by dnf), nothing else.
    base = key_ids(os.path.join(FIXTURE, "rocky/RPM-GPG-KEY-Rocky-9-lab"))
    assert rpm_keys(host) == sorted([FIXTURE_FPR[-8:].lower()] + base)
    # Every Docker package carries a signature rpm verifies with that key.
    for pkg in DOCKER_CE_PACKAGES:
        sig = host.check_output("rpm -q %s --qf '%%{RSAHEADER:pgpsig}'" % pkg)
        assert FIXTURE_FPR[-16:].lower() in sig.lower(), (pkg, sig)
