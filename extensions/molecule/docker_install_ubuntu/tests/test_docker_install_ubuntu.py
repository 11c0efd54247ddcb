"""Verify docker_install_ubuntu on the lab hosts (testinfra, run by molecule)."""

import json
import os
import subprocess

import testinfra.utils.ansible_runner

# The shared check that the host's engine runs a container (extensions/molecule/shared/tests).
INNER_ENGINE_ECHO = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tests",
                                      "inner-engine-echo.sh")).read()

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

FIXTURE_FPR = os.environ["DOCKEROPS_FIXTURE_FINGERPRINT"]
DOCKER_CE_PACKAGES = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin",
                      "docker-compose-plugin", "docker-ce-rootless-extras"]


def groups(host):
    return host.ansible.get_variables()["group_names"]


def codename(host):
    return host.check_output(". /etc/os-release && echo $VERSION_CODENAME")


def fixture_versions(host):
    path = "/srv/docker-mirror/linux/debian/dists/%s/versions.json" % codename(host)
    return json.loads(host.file(path).content_string)["docker_ce"]


def test_engine_services_running_and_enabled(host):
    for unit in ("containerd", "docker"):
        svc = host.service(unit)
        assert svc.is_running, unit
        assert svc.is_enabled, unit


def test_docker_info_answers(host):
    out = host.check_output("docker info --format '{{.ServerVersion}} {{.Driver}}'")
    version, driver = out.split()
    assert version[0].isdigit()
    assert driver == "overlay2"


def test_inner_engine_runs_a_container(host):
    assert host.check_output(INNER_ENGINE_ECHO).strip() == "hello-from-the-inner-engine"


def test_packages_and_versions(host):
    if "distro" in groups(host):
        assert host.package("docker.io").is_installed
        assert not host.package("docker-ce").is_installed
        return
    for name in DOCKER_CE_PACKAGES:
        assert host.package(name).is_installed, name
    for legacy in ("docker.io", "containerd", "runc"):
        assert not host.package(legacy).is_installed, legacy
    versions = fixture_versions(host)
    installed = host.package("docker-ce").version
    if host.ansible.get_variables().get("docker_install_ubuntu_version"):
        # Pinned to the older stable build by prefix, and held.
        assert installed == versions["stable"][0]
        assert host.package("docker-ce-cli").version == installed
        # containerd.io is held with the pinned engine.
        for name in ("docker-ce", "docker-ce-cli", "docker-ce-rootless-extras", "containerd.io"):
            assert host.check_output("dpkg --get-selections %s" % name).split()[1] == "hold", name
    else:
        # `edge` was mapped to `test`, whose newest build is the release candidate.
        assert installed == versions["test"][-1]
        assert host.check_output("dpkg --get-selections docker-ce").split()[1] == "install"


def test_repository_definition(host):
    sources = host.file("/etc/apt/sources.list.d/docker.sources")
    if "distro" in groups(host):
        # The refusal cases in side_effect.yml ran here: they must have left nothing.
        assert not sources.exists
        assert not host.file("/etc/apt/keyrings/docker.gpg").exists
        assert not host.file("/etc/apt/keyrings/docker.asc").exists
        return
    channel = "stable" if host.ansible.get_variables().get("docker_install_ubuntu_version") else "test"
    assert sources.user == "root" and sources.group == "root" and sources.mode == 0o644
    content = sources.content_string
    assert "URIs: file:///srv/docker-mirror/linux/debian\n" in content
    assert "Suites: %s\n" % codename(host) in content
    assert "Components: %s\n" % channel in content
    assert "Signed-By: /etc/apt/keyrings/docker.gpg\n" in content
    # The armored keyring of earlier releases (side_effect.yml plants one) is gone.
    assert not host.file("/etc/apt/keyrings/docker.asc").exists
    assert not host.file("/etc/apt/sources.list.d/docker.list").exists
    assert not host.file("/etc/apt/trusted.gpg").exists, "apt-key keyring must not be used"


def test_keyring_holds_only_the_pinned_key(host):
    keyring = host.file("/etc/apt/keyrings/docker.gpg")
    if "distro" in groups(host):
        assert not keyring.exists
        return
    assert keyring.user == "root" and keyring.group == "root" and keyring.mode == 0o644
    assert host.file("/etc/apt/keyrings").mode == 0o755
    content = keyring.content
    assert not content.startswith(b"-----BEGIN"), "apt reads a .gpg keyring as binary"
    # Checked with the lab machine's gpg, independently of the role's own parser:
    # exactly one primary key, the pinned one.
    out = subprocess.run(["gpg", "--batch", "--show-keys", "--with-colons"], input=content,
                         capture_output=True, check=True).stdout.decode()
    primaries = [line for line in out.splitlines() if line.startswith("pub:")]
    fprs = [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")]
    assert len(primaries) == 1 and fprs[0] == FIXTURE_FPR, out


def test_no_apparmor_parser_where_the_kernel_has_no_apparmor(host):
    # The lab machine's kernel (which these containers share) has no AppArmor: nothing to load profiles into,
    # so the role installs no parser. Where the kernel enforces it (the VM of molecule/docker_storage), it does.
    assert not host.file("/sys/module/apparmor/parameters/enabled").exists
    assert not host.package("apparmor").is_installed


def test_python3_apt_installed_where_it_was_missing(host):
    # prepare.yml removed it from install-bookworm-upstream; the converge installs it (check mode did not).
    assert host.package("python3-apt").is_installed
