import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.docker_repo import FilterModule

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
# `dpkg-query --show` lines recorded on a converged Debian 12 lab host (the fixture mirror's 20.10.24), as in
# tests/unit/plugins/module_utils/test_docker_repo.py.
DPKG_QUERY = (
    "containerd\tun \t\tunknown\n"
    "containerd.io\tii \t1.6.20-1\tinstall\n"
    "docker-ce-cli\tii \t5:20.10.24-1~debian.12~bookworm\tinstall\n"
)


def filters():
    # Built inside each test, not at import: mutmut 3 maps a test to the functions it calls while it runs.
    return FilterModule().filters()


def test_filters_are_registered():
    assert set(filters()) == {"_docker_mirror_url", "_docker_channel", "_docker_apt_queried", "_docker_apt_plan",
                              "_docker_rpm_plan", "pgp_fingerprints", "_pgp_fingerprint",
                              "_docker_dpkg_selection_changes", "_docker_runtime_removal_refusal",
                              "_docker_engine_upgrade_refusal"}


def test_errors_become_filter_errors_with_the_message():
    with pytest.raises(AnsibleFilterError, match="docker_install_ubuntu_mirror 'nope' is not one of"):
        filters()["_docker_mirror_url"]("nope", None, "docker_install_ubuntu_mirror")


def test_deprecated_channel_warns(monkeypatch):
    seen = []
    import ansible_collections.dockerops.host.plugins.filter.docker_repo as mod
    monkeypatch.setattr(mod.display, "warning", seen.append)
    assert filters()["_docker_channel"]("edge", "docker_install_ubuntu_channel") == "test"
    assert seen and "'edge' is deprecated" in seen[0]


def test_plain_http_mirror_warns_naming_the_variable(monkeypatch):
    seen = []
    import ansible_collections.dockerops.host.plugins.filter.docker_repo as mod
    monkeypatch.setattr(mod.display, "warning", seen.append)
    assert filters()["_docker_mirror_url"]("custom", "http://10.1.2.3/linux/", "docker_install_centos_mirror") \
        == "http://10.1.2.3/linux"
    assert len(seen) == 1 and seen[0].startswith("docker_install_centos_mirror_url http://10.1.2.3/linux is plain http")
    filters()["_docker_mirror_url"]("custom", "https://10.1.2.3/linux/", "docker_install_centos_mirror")
    assert len(seen) == 1


def test_fingerprint_filter_names_the_variable():
    with pytest.raises(AnsibleFilterError, match="docker_install_ubuntu_key_fingerprint '0EBFCD88' is a key ID"):
        filters()["_pgp_fingerprint"]("0EBFCD88", "docker_install_ubuntu_key_fingerprint")


def test_engine_upgrade_refusal_filter():
    engine = {"answered": True, "storage_driver": "devicemapper", "version": "20.10.24+dfsg1"}
    assert filters()["_docker_engine_upgrade_refusal"](engine, "28.5.2", None, "docker_install_centos_version") \
        .startswith("docker_install_centos_version=28.5.2 would install an engine without the devicemapper")
    assert filters()["_docker_engine_upgrade_refusal"](engine, "20.10", None) == ""


def test_default_variable_names_in_errors():
    with pytest.raises(AnsibleFilterError, match="^mirror 'nope' is not one of"):
        filters()["_docker_mirror_url"]("nope")
    with pytest.raises(AnsibleFilterError, match="^channel 'nope' is not one of"):
        filters()["_docker_channel"]("nope")


def test_channel_errors_and_warnings_name_the_variable(monkeypatch):
    with pytest.raises(AnsibleFilterError, match="^docker_install_centos_channel 'nope' is not one of"):
        filters()["_docker_channel"]("nope", "docker_install_centos_channel")
    seen = []
    import ansible_collections.dockerops.host.plugins.filter.docker_repo as mod
    monkeypatch.setattr(mod.display, "warning", seen.append)
    assert filters()["_docker_channel"]("stable", "docker_install_centos_channel") == "stable" and seen == []
    filters()["_docker_channel"]("edge", "docker_install_centos_channel")
    assert len(seen) == 1 and seen[0].startswith("docker_install_centos_channel 'edge' is deprecated")


def test_plan_filters():
    assert filters()["_docker_apt_plan"]("", ["docker-ce"], version="27.3")["base"] == ["docker-ce=5:27.3.*"]
    assert filters()["_docker_rpm_plan"](["docker-ce"], version="27.3.1")["names"] == ["docker-ce-27.3.1*"]
    assert filters()["_docker_apt_queried"](["docker-ce"])[0] == "docker-ce"
    with pytest.raises(AnsibleFilterError, match="is not a Debian version"):
        filters()["_docker_apt_plan"]("", ["docker-ce"], version="latest")
    with pytest.raises(AnsibleFilterError, match="is not an RPM version"):
        filters()["_docker_rpm_plan"](["docker-ce"], version="latest")


def test_pgp_fingerprints_filter_on_the_recorded_keys():
    with open(os.path.join(FIXTURES, "ed25519-with-subkey.asc")) as f:
        armored = f.read()
    with open(os.path.join(FIXTURES, "ed25519-with-subkey.fingerprints")) as f:
        assert filters()["pgp_fingerprints"](armored) == f.read().split()
    with pytest.raises(AnsibleFilterError):
        filters()["pgp_fingerprints"]("not a key")


def test_dpkg_filters_on_recorded_dpkg_query_output():
    plan = filters()["_docker_apt_plan"](DPKG_QUERY, ["docker-ce", "docker-ce-cli", "containerd.io"])
    packages = plan["installed"]
    assert packages["containerd.io"] == {"installed": True, "version": "1.6.20-1", "selection": "install"}
    assert packages["containerd"]["installed"] is False
    assert plan["missing"] == ["docker-ce"]
    assert filters()["_docker_apt_plan"](DPKG_QUERY, ["docker-ce-cli"], version="26.1")["missing"] == [
        "docker-ce-cli=5:26.1.*"]
    assert filters()["_docker_dpkg_selection_changes"](packages, ["docker-ce-cli", "docker-ce"], "hold") == [
        "docker-ce-cli", "docker-ce"]
    with pytest.raises(AnsibleFilterError, match="unexpected dpkg-query line 'docker-ce ii 5:20'"):
        filters()["_docker_apt_plan"]("docker-ce ii 5:20\n", ["docker-ce"])


def test_runtime_removal_refusal_filter():
    assert "an installed kubelet" in filters()["_docker_runtime_removal_refusal"](["containerd", "runc"], [], True)
    assert filters()["_docker_runtime_removal_refusal"](["docker.io"], ["web"], False, True) == ""
