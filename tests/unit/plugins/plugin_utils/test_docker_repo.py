import os

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _docker_repo as dr


@pytest.mark.parametrize("mirror, url", [
    ("official", "https://download.docker.com/linux"),
    ("ustc", "https://mirrors.ustc.edu.cn/docker-ce/linux"),
    ("aliyun", "https://mirrors.aliyun.com/docker-ce/linux"),
    ("tuna", "https://mirrors.tuna.tsinghua.edu.cn/docker-ce/linux"),
])
def test_named_mirrors(mirror, url):
    assert dr.mirror_base_url(mirror) == url


@pytest.mark.parametrize("custom, url", [
    ("https://nexus.example.com/repository/docker-ce/linux/", "https://nexus.example.com/repository/docker-ce/linux"),
    ("http://10.0.0.5/docker/linux", "http://10.0.0.5/docker/linux"),
    ("file:///srv/mirror/linux", "file:///srv/mirror/linux"),
])
def test_custom_mirror(custom, url):
    assert dr.mirror_base_url("custom", custom) == url


@pytest.mark.parametrize("mirror, custom, message", [
    ("custom", "", "docker_install_ubuntu_mirror is 'custom' but no mirror URL was given"),
    ("custom", "ftp://host/linux", "docker_install_ubuntu_mirror_url 'ftp://host/linux' must start with one of"),
    ("custom", "file://relative/path", "absolute file:/// path"),
    ("dockerhub", None, "docker_install_ubuntu_mirror 'dockerhub' is not one of"),
    # A newline would add an option line to docker.sources (Trusted: yes).
    ("custom", "https://m.example.com/linux\nTrusted: yes", "contains '\\n'"),
    ("custom", "https://m.example.com/linux\rX", "contains '\\r'"),
    ("custom", "https://m.example.com/li nux", "contains ' '"),
    ("custom", "https://m.example.com/linux\t", "contains '\\t'"),
    ("custom", 'https://m.example.com/"linux', "contains '\"'"),
    ("custom", "https://m.example.com/'linux", "contains \"'\""),
    ("custom", "https://m.example.com/linux\x00", "contains '\\x00'"),
    ("custom", "https://m.example.com/linux\x7f", "contains '\\x7f'"),
    ("custom", "https://m.example.com\\linux", "contains '\\\\'"),
    ("custom", "https://user:secret@m.example.com/linux", "'https://***@m.example.com/linux' carries credentials"),
    ("custom", "https://m.example.com/linux?token=1", "has a query or fragment"),
    ("custom", "https://m.example.com/linux#x", "has a query or fragment"),
    ("custom", "https:///linux", "has no host"),
    ("custom", "https://m.example.com:99999/linux", "has a bad port"),
])
def test_bad_mirror_is_refused_naming_the_variable_or_value(mirror, custom, message):
    with pytest.raises(dr.DockerRepoError) as e:
        dr.mirror_base_url(mirror, custom, "docker_install_ubuntu_mirror")
    assert message in str(e.value)


def test_credentials_never_reach_a_message():
    for url in ("https://user:s3cret@m.example.com/li nux", "https://user:s3cret@m.example.com:99999/x",
                "ftp://user:s3cret@m/x", "https://user:s3cret@m.example.com/x?q"):
        with pytest.raises(dr.DockerRepoError) as e:
            dr.mirror_base_url("custom", url, "docker_install_centos_mirror")
        assert "s3cret" not in str(e.value), str(e.value)


@pytest.mark.parametrize("url, warned", [
    ("http://10.0.0.5/docker/linux", True),
    ("http://mirror.example.com:8080/linux", True),
    ("http://127.0.0.1:8080/linux", False),
    ("http://localhost/linux", False),
    ("http://[::1]:8080/linux", False),
    ("https://mirror.example.com/linux", False),
    ("file:///srv/mirror/linux", False),
])
def test_plain_http_from_another_host_is_warned(url, warned):
    warning = dr.plain_http_warning(url, "docker_install_ubuntu_mirror_url")
    assert bool(warning) is warned
    if warned:
        assert warning.startswith("docker_install_ubuntu_mirror_url %s is plain http" % url)
        assert "only the signature protects them" in warning


def test_channels():
    assert dr.canonical_channel("stable") == ("stable", None)
    assert dr.canonical_channel("test") == ("test", None)


@pytest.mark.parametrize("old", ["edge", "nightly"])
def test_deprecated_channels_map_to_test_with_a_warning(old):
    new, warning = dr.canonical_channel(old, "docker_install_ubuntu_channel")
    assert new == "test"
    assert "docker_install_ubuntu_channel %r is deprecated" % old in warning


def test_unknown_channel_is_refused():
    with pytest.raises(dr.DockerRepoError, match="docker_install_ubuntu_channel 'beta' is not one of"):
        dr.canonical_channel("beta", "docker_install_ubuntu_channel")


@pytest.mark.parametrize("version, spec", [
    ("", ""),
    (None, ""),
    ("27.3.1", "5:27.3.1*"),
    ("27.3", "5:27.3.*"),
    ("5:27.3.1-1~ubuntu.24.04~noble", "5:27.3.1-1~ubuntu.24.04~noble"),
    ("27.3.1-1~debian.12~bookworm", "5:27.3.1-1~debian.12~bookworm"),
])
def test_apt_version_spec(version, spec):
    assert dr.apt_version_spec(version) == spec


@pytest.mark.parametrize("version", ["latest", "27.3.1; rm -rf /", "v27"])
def test_bad_version_is_refused(version):
    with pytest.raises(dr.DockerRepoError, match="is not a Debian version"):
        dr.apt_version_spec(version)


@pytest.mark.parametrize("version, spec", [
    ("", ""), ("27.3.1", "27.3.1*"), ("27.3", "27.3.*"), ("3:27.3.1-1.el9", "3:27.3.1-1.el9"), ("27.3.1-1.el8", "27.3.1-1.el8"),
])
def test_rpm_version_spec(version, spec):
    assert dr.rpm_version_spec(version) == spec


@pytest.mark.parametrize("version", ["latest", "27.3.1 && reboot", "el9"])
def test_bad_rpm_version_is_refused(version):
    with pytest.raises(dr.DockerRepoError, match="is not an RPM version"):
        dr.rpm_version_spec(version)


# Recorded on a converged Debian 12 lab host (the fixture mirror's 20.10.24),
# plus a removed package with its configuration left (rc) and a held one (hi).
DPKG_QUERY = (
    "containerd\tun \t\tunknown\n"
    "containerd.io\tii \t1.6.20-1\tinstall\n"
    "docker\tun \t\tunknown\n"
    "docker-ce\thi \t5:20.10.24-1~debian.12~bookworm\thold\n"
    "docker-ce-cli\tii \t5:20.10.24-1~debian.12~bookworm\tinstall\n"
    "docker-compose-plugin\tii \t0.0.1-1~debian.12~bookworm\tinstall\n"
    "docker.io\trc \t20.10.24+dfsg1-1+b3\tdeinstall\n"
    "python3-requests\tii \t2.28.1+dfsg-1\tinstall\n"
)


def test_dpkg_packages_reads_status_version_and_selection():
    packages = dr.dpkg_packages(DPKG_QUERY)
    assert packages["docker-ce"] == {"installed": True, "version": "5:20.10.24-1~debian.12~bookworm",
                                     "selection": "hold"}
    assert packages["containerd.io"]["installed"] is True
    assert packages["containerd"] == {"installed": False, "version": "", "selection": "unknown"}
    assert packages["docker.io"]["installed"] is False  # only its configuration is left
    assert "podman-docker" not in packages  # dpkg never saw it: dpkg-query names it on stderr
    assert dr.dpkg_packages("") == {}


def test_dpkg_packages_refuses_what_it_cannot_read():
    with pytest.raises(dr.DockerRepoError, match="unexpected dpkg-query line 'docker-ce ii 5:20'"):
        dr.dpkg_packages("docker-ce ii 5:20\n")


WANTED = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-compose-plugin", "python3-requests"]
PINNED = ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"]


def test_nothing_to_install_when_every_package_is_there():
    packages = dr.dpkg_packages(DPKG_QUERY)
    assert dr.apt_packages_to_install(packages, WANTED) == []
    assert dr.apt_packages_to_install(packages, WANTED, PINNED, "5:20.10.*") == []
    assert dr.apt_packages_to_install(packages, WANTED, PINNED, "5:20.10.24-1~debian.12~bookworm") == []


def test_missing_removed_and_unknown_packages_are_installed():
    packages = dr.dpkg_packages(DPKG_QUERY)
    assert dr.apt_packages_to_install(packages, WANTED + ["docker-ce-rootless-extras", "docker.io", "containerd"]) == [
        "docker-ce-rootless-extras", "docker.io", "containerd"]


def test_a_pin_the_installed_version_does_not_match_is_installed():
    packages = dr.dpkg_packages(DPKG_QUERY)
    # A new pin (upgrade or downgrade) changes the pinned packages only.
    assert dr.apt_packages_to_install(packages, WANTED, PINNED, "5:26.1.*") == ["docker-ce", "docker-ce-cli"]
    assert dr.apt_packages_to_install(packages, WANTED, PINNED, "5:20.10.2*") == []
    # An explicit name=version in the list wins over the pin.
    assert dr.apt_packages_to_install(packages, ["containerd.io=1.6.20-1", "docker-ce=5:26.1*"], PINNED, "") == [
        "docker-ce=5:26.1*"]


def test_selection_changes_only_for_packages_not_there_yet():
    packages = dr.dpkg_packages(DPKG_QUERY)
    names = ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"]
    # docker-ce is held already; rootless-extras is new, so apt leaves it at "install".
    assert dr.dpkg_selections_to_change(packages, names, "hold") == ["docker-ce-cli", "docker-ce-rootless-extras"]
    assert dr.dpkg_selections_to_change(packages, names, "install") == ["docker-ce"]
    assert dr.dpkg_selections_to_change({}, names, "install") == []


def test_runtime_removal_is_refused_while_containers_run():
    msg = dr.runtime_removal_refusal(["docker.io", "containerd"], ["web", "db"], False, False,
                                     "docker_install_ubuntu_remove_runtime_with_workloads")
    assert msg.startswith("Installing Docker CE would remove docker.io, containerd, and this host has 2 running "
                          "container(s): db, web.")
    assert "Nothing was changed" in msg and "docker_install_ubuntu_remove_runtime_with_workloads: true" in msg


def test_runtime_removal_is_refused_on_a_kubelet_host():
    assert "an installed kubelet" in dr.runtime_removal_refusal(["containerd", "runc"], [], True)


@pytest.mark.parametrize("conflicting, running, kubelet, allowed", [
    ([], ["web"], True, False),              # nothing to remove
    (["docker.io"], [], False, False),       # nothing runs
    (["docker.io"], ["web"], True, True),    # allowed
])
def test_runtime_removal_goes_ahead(conflicting, running, kubelet, allowed):
    assert dr.runtime_removal_refusal(conflicting, running, kubelet, allowed) == ""


def test_a_package_apt_upgraded_is_held_again():
    # Read before apt ran: held. apt upgraded it (a raised pin) and may have left it "install".
    installed = {"docker-ce": {"installed": True, "version": "5:26.1.5", "selection": "hold"},
                 "containerd.io": {"installed": True, "version": "1.6.20", "selection": "hold"}}
    names = ["docker-ce", "containerd.io"]
    assert dr.dpkg_selections_to_change(installed, names, "hold") == []
    assert dr.dpkg_selections_to_change(installed, names, "hold", reinstalled=["docker-ce"]) == ["docker-ce"]


def test_what_apt_installs_at_install_needs_no_selection():
    # A first converge without a pin: apt installed all of them, at "install" (dpkg-query of a fresh install).
    names = ["docker-ce", "containerd.io"]
    assert dr.dpkg_selections_to_change({}, names, "install", reinstalled=names) == []
    # Held before and upgraded with the pin dropped: the hold goes.
    held = {"docker-ce": {"installed": True, "version": "5:26.1.5", "selection": "hold"}}
    assert dr.dpkg_selections_to_change(held, names, "install", reinstalled=names) == ["docker-ce"]
    # Removed, but left on hold (recorded, ../../fixtures/dpkg_query/README.md): apt installs it again, the hold goes.
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "dpkg_query",
                           "bookworm-removed-held.out")) as f:
        left = dr.dpkg_packages(f.read())
    assert left["python3-apt"]["installed"] is False and left["python3-apt"]["selection"] == "hold"
    assert dr.dpkg_selections_to_change(left, ["python3-apt", "docker-ce"], "install",
                                        reinstalled=["python3-apt", "docker-ce"]) == ["python3-apt"]
    # A pin on a fresh install: every package is held.
    assert dr.dpkg_selections_to_change({}, names, "hold", reinstalled=names) == names
