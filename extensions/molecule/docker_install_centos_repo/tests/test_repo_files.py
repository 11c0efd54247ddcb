"""Read back the EL repository files docker_install_centos wrote, one per mirror and channel."""

import configparser
import os

import pytest
import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

# Expected values written out by hand, not computed by the code under test.
CASES = {
    "official-stable": ("https://download.docker.com/linux/centos", False),
    "ustc-stable": ("https://mirrors.ustc.edu.cn/docker-ce/linux/centos", False),
    "aliyun-test": ("https://mirrors.aliyun.com/docker-ce/linux/centos", True),
    "tuna-stable": ("https://mirrors.tuna.tsinghua.edu.cn/docker-ce/linux/centos", False),
    "custom-https-edge": ("https://nexus.lab.invalid/repository/docker-ce/linux/centos", True),
    "custom-file-nightly": ("file:///srv/mirror/docker-ce/linux/centos", True),
    "rhel-official-stable": ("https://download.docker.com/linux/rhel", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_repository_file(host, case):
    base, test_enabled = CASES[case]
    f = host.file("/tmp/repos/%s/dockerops-docker-ce.repo" % case)
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(f.content_string)
    assert sorted(ini.sections()) == ["docker-ce-stable", "docker-ce-test"]
    for channel in ("stable", "test"):
        section = ini["docker-ce-" + channel]
        assert section["baseurl"] == "%s/$releasever/$basearch/%s" % (base, channel)
        assert section["gpgcheck"] == "1"
        assert section["gpgkey"] == "file:///etc/pki/rpm-gpg/docker-ce.gpg"
    assert ini["docker-ce-stable"]["enabled"] == "1"
    assert ini["docker-ce-test"]["enabled"] == ("1" if test_enabled else "0")
    if not base.startswith("https://download.docker.com"):
        # The classic mirror failure: a repo file still pointing at download.docker.com.
        assert "download.docker.com" not in f.content_string
