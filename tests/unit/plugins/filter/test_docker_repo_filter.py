import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.docker_repo import FilterModule

FILTERS = FilterModule().filters()


def test_filters_are_registered():
    assert set(FILTERS) == {"docker_mirror_url", "docker_channel", "docker_apt_version", "docker_rpm_version",
                            "pgp_fingerprints", "pgp_fingerprint", "docker_dpkg_packages", "docker_apt_missing",
                            "docker_dpkg_selection_changes", "docker_runtime_removal_refusal",
                            "docker_engine_upgrade_refusal"}


def test_errors_become_filter_errors_with_the_message():
    with pytest.raises(AnsibleFilterError, match="docker_install_ubuntu_mirror 'nope' is not one of"):
        FILTERS["docker_mirror_url"]("nope", None, "docker_install_ubuntu_mirror")


def test_deprecated_channel_warns(monkeypatch):
    seen = []
    import ansible_collections.dockerops.host.plugins.filter.docker_repo as mod
    monkeypatch.setattr(mod.display, "warning", seen.append)
    assert FILTERS["docker_channel"]("edge", "docker_install_ubuntu_channel") == "test"
    assert seen and "'edge' is deprecated" in seen[0]


def test_plain_http_mirror_warns_naming_the_variable(monkeypatch):
    seen = []
    import ansible_collections.dockerops.host.plugins.filter.docker_repo as mod
    monkeypatch.setattr(mod.display, "warning", seen.append)
    assert FILTERS["docker_mirror_url"]("custom", "http://10.1.2.3/linux/", "docker_install_centos_mirror") \
        == "http://10.1.2.3/linux"
    assert len(seen) == 1 and seen[0].startswith("docker_install_centos_mirror_url http://10.1.2.3/linux is plain http")
    FILTERS["docker_mirror_url"]("custom", "https://10.1.2.3/linux/", "docker_install_centos_mirror")
    assert len(seen) == 1


def test_fingerprint_filter_names_the_variable():
    with pytest.raises(AnsibleFilterError, match="docker_install_ubuntu_key_fingerprint '0EBFCD88' is a key ID"):
        FILTERS["pgp_fingerprint"]("0EBFCD88", "docker_install_ubuntu_key_fingerprint")


def test_engine_upgrade_refusal_filter():
    engine = {"answered": True, "storage_driver": "devicemapper", "version": "20.10.24+dfsg1"}
    assert FILTERS["docker_engine_upgrade_refusal"](engine, "28.5.2", None, "docker_install_centos_version") \
        .startswith("docker_install_centos_version=28.5.2 would install an engine without the devicemapper")
    assert FILTERS["docker_engine_upgrade_refusal"](engine, "20.10", None) == ""
