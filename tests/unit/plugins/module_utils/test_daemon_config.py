import pytest

from ansible_collections.dockerops.host.plugins.module_utils import daemon_config as dc


def test_merge_keeps_every_source_key_in_order():
    merged, origin = dc.merge([
        ("docker_daemon defaults", {"log-driver": "json-file", "log-opts": {"max-size": "10m"}}),
        ("docker_storage", {"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"]}),
        ("docker_daemon_options", {"debug": True}),
    ])
    assert merged == {"log-driver": "json-file", "log-opts": {"max-size": "10m"}, "storage-driver": "devicemapper",
                      "storage-opts": ["dm.thinpooldev=/dev/mapper/docker-thinpool"], "debug": True}
    assert origin["storage-driver"] == "docker_storage"


def test_same_value_from_two_sources_is_fine():
    merged, origin = dc.merge([("a", {"live-restore": True}), ("b", {"live-restore": True})])
    assert merged == {"live-restore": True} and origin["live-restore"] == "a"


def test_conflict_names_the_key_and_both_sources():
    with pytest.raises(dc.DaemonConfigError, match=r"daemon option 'storage-driver' is set to 'devicemapper' by "
                       r"docker_storage and to 'overlay2' by docker_daemon_options"):
        dc.merge([("docker_storage", {"storage-driver": "devicemapper"}),
                  ("docker_daemon_options", {"storage-driver": "overlay2"})])


def test_nested_mappings_merge_and_conflict_by_subkey():
    merged, _ = dc.merge([("defaults", {"log-opts": {"max-size": "10m"}}), ("user", {"log-opts": {"max-file": "5"}})])
    assert merged["log-opts"] == {"max-size": "10m", "max-file": "5"}
    with pytest.raises(dc.DaemonConfigError, match=r"log-opts.max-size is set to '10m' by defaults and to '1g' by user"):
        dc.merge([("defaults", {"log-opts": {"max-size": "10m"}}), ("user", {"log-opts": {"max-size": "1g"}})])


def test_source_must_be_a_mapping():
    with pytest.raises(dc.DaemonConfigError, match="daemon options from docker_daemon_options must be a mapping"):
        dc.merge([("docker_daemon_options", ["debug"])])


@pytest.mark.parametrize("url", ["https://mirror.ccs.tencentyun.com", "http://10.0.0.5:5000", "https://reg.example.com/v2/"])
def test_registry_mirrors_ok(url):
    assert dc.check_registry_mirrors([url]) == [url]


@pytest.mark.parametrize("url", ["mirror.example.com", "ftp://mirror", "https://", "https://a b", 5])
def test_registry_mirror_refused_naming_the_entry(url):
    with pytest.raises(dc.DaemonConfigError, match=r"docker_daemon_registry_mirrors: .* is not an http:// or https:// URL"):
        dc.check_registry_mirrors(["https://ok.example.com", url], "docker_daemon_registry_mirrors")


@pytest.mark.parametrize("version, expected", [("20.10.24+dfsg1", False), ("23.0.0", True), ("26.1.5+dfsg1", True),
                                               ("22.06.0-beta", False)])
def test_has_validate(version, expected):
    assert dc.has_validate(version) is expected


def test_bad_version_is_refused():
    with pytest.raises(dc.DaemonConfigError, match="cannot read an engine version from 'unknown'"):
        dc.has_validate("unknown")


def test_unknown_keys_refused_on_old_engines_only():
    with pytest.raises(dc.DaemonConfigError, match=r"daemon option\(s\) log-levle, storage-driverr are not known to "
                       r"Docker Engine 20.10.24"):
        dc.check_known_keys({"log-levle": "info", "storage-driverr": "x", "debug": True}, "20.10.24")
    assert dc.check_known_keys({"log-levle": "info"}, "26.1.5") == []


@pytest.mark.parametrize("config, message", [
    ({"log-opts": {"max-file": 3}}, "log-opts.max-file must be a string"),
    ({"log-opts": "max-size=10m"}, "log-opts must be a mapping"),
    ({"storage-opts": "dm.thinpooldev=x"}, "storage-opts must be a list"),
    ({"registry-mirrors": ["docker.io"]}, "registry-mirrors: 'docker.io' is not an http"),
])
def test_values_dockerd_rejects_at_start_are_caught(config, message):
    with pytest.raises(dc.DaemonConfigError, match=message):
        dc.check_values(config)


def test_hardening_is_the_cis_set():
    assert dc.CIS_HARDENING == {"live-restore": True, "userland-proxy": False, "no-new-privileges": True, "icc": False}


def test_changed_keys_name_added_changed_and_removed_options():
    old = {"debug": False, "log-level": "info", "icc": False}
    new = {"debug": False, "log-level": "loud", "live-restore": True}
    assert dc.changed_keys(new, old) == ["icc (removed)", "live-restore=true", 'log-level="loud"']
    assert dc.changed_keys(old, old) == []
