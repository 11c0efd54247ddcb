import pytest

from ansible_collections.dockerops.host.plugins.module_utils import docker_repo as dr


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
    ("custom", "ftp://host/linux", "must start with one of http://, https://, file://"),
    ("custom", "file://relative/path", "absolute file:/// path"),
    ("dockerhub", None, "docker_install_ubuntu_mirror 'dockerhub' is not one of"),
])
def test_bad_mirror_is_refused_naming_the_variable_or_value(mirror, custom, message):
    with pytest.raises(dr.DockerRepoError, match=message.replace("(", r"\(")):
        dr.mirror_base_url(mirror, custom, "docker_install_ubuntu_mirror")


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
