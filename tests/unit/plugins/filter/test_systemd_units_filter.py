from ansible_collections.dockerops.host.plugins.filter.systemd_units import systemd_units_to_start

# Recorded on a converged lab host, with a unit that does not exist.
SHOW = """Id=docker.service
ActiveState=active
UnitFileState=enabled

Id=containerd.service
ActiveState=active
UnitFileState=enabled

Id=nosuch.service
ActiveState=inactive
UnitFileState=
"""


def test_enabled_and_active_units_need_nothing():
    assert systemd_units_to_start(SHOW.split("\n\nId=nosuch")[0], ["docker.service", "containerd.service"]) == []


def test_unknown_stopped_or_disabled_units_are_listed():
    assert systemd_units_to_start(SHOW, ["docker.service", "containerd.service", "nosuch.service"]) == [
        "nosuch.service"]
    stopped = SHOW.replace("Id=docker.service\nActiveState=active", "Id=docker.service\nActiveState=failed")
    disabled = SHOW.replace("ActiveState=active\nUnitFileState=enabled\n\nId=nosuch",
                            "ActiveState=active\nUnitFileState=disabled\n\nId=nosuch")
    assert systemd_units_to_start(stopped)[0] == "docker.service"
    assert systemd_units_to_start(disabled) == ["containerd.service", "nosuch.service"]


def test_a_name_systemctl_printed_nothing_for_is_listed():
    assert systemd_units_to_start("", ["docker"]) == ["docker"]
    assert systemd_units_to_start(SHOW, ["docker"]) == ["nosuch.service"]
