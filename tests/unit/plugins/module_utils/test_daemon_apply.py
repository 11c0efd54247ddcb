"""The decisions of the daemon.json transaction: what is written, what is refused, reload or restart."""
import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _daemon_apply as da

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
OWN = "docker_daemon_options (over the role's defaults)"
ROTATION = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}


def info(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def test_keys_found_on_the_host_are_kept_and_reported():
    current = {"bip": "10.10.0.1/16", "insecure-registries": ["reg.lan:5000"], "log-driver": "journald"}
    new, kept, removed = da.plan_config([(OWN, {"live-restore": True})], current, managed_before=None)
    assert new == {"live-restore": True, "bip": "10.10.0.1/16", "insecure-registries": ["reg.lan:5000"],
                   "log-driver": "journald"}
    assert kept == ["bip", "insecure-registries", "log-driver"] and removed == []


def test_replace_drops_them():
    current = {"bip": "10.10.0.1/16"}
    new, kept, removed = da.plan_config([(OWN, {"live-restore": True})], current, None, replace=True)
    assert new == {"live-restore": True} and kept == [] and removed == ["bip"]


def test_keys_the_role_managed_before_are_dropped_when_no_longer_set():
    # registry-mirrors was the role's last time; the user removed it from the inventory.
    current = {"registry-mirrors": ["https://m.example.com"], "bip": "10.10.0.1/16"}
    new, kept, removed = da.plan_config([(OWN, {})], current, managed_before=["registry-mirrors"])
    assert new == {"bip": "10.10.0.1/16"} and kept == ["bip"] and removed == ["registry-mirrors"]


def test_a_conflict_between_sources_is_refused_naming_both():
    with pytest.raises(da.daemon_config.DaemonConfigError, match="storage-driver.*overlay2.*devicemapper"):
        da.plan_config([(OWN, {"storage-driver": "overlay2"}),
                        ("fragment /etc/docker/dockerops.d/storage.json", {"storage-driver": "devicemapper"})],
                       {}, None)


@pytest.mark.parametrize("key, value", [("data-root", "/srv/docker"), ("userns-remap", "default"),
                                        ("storage-driver", "devicemapper")])
def test_state_keys_from_the_role_options_are_refused(key, value):
    with pytest.raises(da.DaemonApplyError) as e:
        da.refuse_state_keys({key: value}, {}, "docker_daemon_options")
    assert str(e.value).startswith("docker_daemon_options sets %s to %s" % (key, json.dumps(value)))
    assert "Nothing was changed" in str(e.value)


def test_state_keys_unchanged_are_accepted():
    da.refuse_state_keys({"data-root": "/srv/docker"}, {"data-root": "/srv/docker"})


def test_the_storage_key_names_its_owner():
    with pytest.raises(da.DaemonApplyError, match="docker_storage_driver"):
        da.refuse_state_keys({"storage-driver": "overlay2"}, {"storage-driver": "devicemapper"})


@pytest.mark.parametrize("config", [
    {"hosts": ["unix:///run/docker.sock", "tcp://0.0.0.0:2375"]},
    {"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": True, "tlscacert": "/etc/docker/ca.pem"},
    {"hosts": ["tcp://0.0.0.0:2376"], "tls": True, "tlscacert": "a", "tlscert": "b", "tlskey": "c"},
])
def test_tcp_without_client_verification_is_refused(config):
    with pytest.raises(da.DaemonApplyError, match="without TLS client verification.*docker_daemon_allow_insecure_tcp"):
        da.refuse_insecure_hosts(config)


def test_tcp_with_client_verification_or_the_switch_is_accepted():
    da.refuse_insecure_hosts({"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": True, "tlscacert": "a", "tlscert": "b",
                              "tlskey": "c"})
    da.refuse_insecure_hosts({"hosts": ["tcp://127.0.0.1:2375"]}, allow_insecure_tcp=True)
    da.refuse_insecure_hosts({"hosts": ["unix:///run/docker.sock"]})


def test_live_restore_is_turned_off_on_a_swarm_node():
    config, message = da.live_restore({"live-restore": True}, "active")
    assert config == {"live-restore": False} and "swarm node (active)" in message
    assert da.live_restore({"live-restore": True}, "inactive") == ({"live-restore": True}, None)
    # Recorded docker info of Engine 20.10 (tests/unit/fixtures/docker_info/README.md): not in a swarm.
    assert da.live_restore({"live-restore": True}, (info("engine-20.10-full.json").get("Swarm") or {})
                           .get("LocalNodeState"))[1] is None


@pytest.mark.parametrize("new, applied, action, keys", [
    ({"registry-mirrors": ["https://m"]}, {}, "reload", ["registry-mirrors"]),
    ({"live-restore": True, "debug": True, "labels": ["a=b"]}, {}, "reload", ["debug", "labels", "live-restore"]),
    (dict(ROTATION, **{"live-restore": True}), {"live-restore": True}, "restart", ["log-driver", "log-opts"]),
    ({"registry-mirrors": ["https://m"], "icc": False}, {}, "restart", ["icc", "registry-mirrors"]),
    ({"features": {"containerd-snapshotter": True}}, {}, "restart", ["features"]),
    ({"live-restore": True}, {"live-restore": True}, "none", []),
    ({}, {"registry-mirrors": ["https://m"]}, "reload", ["registry-mirrors"]),
])
def test_reload_only_when_every_changed_key_is_reloadable(new, applied, action, keys):
    assert da.decide(new, applied, engine_answers=True) == (action, keys)


def test_an_engine_that_does_not_answer_is_started():
    assert da.decide({"live-restore": True}, None, engine_answers=False) == ("start", ["live-restore"])


def test_pending_unknown_and_forced_restart():
    assert da.decide({"live-restore": True}, {"live-restore": True}, True, force_restart=True)[0] == "restart"
    assert da.decide({"live-restore": True}, {"live-restore": True}, True, pending_unknown=True)[0] == "restart"


def test_canonical_bytes_are_stable():
    a = da.canonical({"b": 1, "a": {"y": 2, "x": 1}})
    assert a == da.canonical({"a": {"x": 1, "y": 2}, "b": 1})
    assert a.endswith(b"}\n") and da.digest({"a": 1}) != da.digest({"a": 2})


def test_reload_took_effect_on_a_recorded_engine():
    # Recorded from the lab's Engine 20.10 with registry-mirrors, live-restore and labels set (see README).
    recorded = info("engine-20.10-full.json")
    config = {"registry-mirrors": ["https://mirror.lab.invalid"], "live-restore": True, "labels": ["dockerops=lab"]}
    assert da.reload_took_effect(recorded, config) == []
    assert da.reload_took_effect(recorded, dict(config, **{"registry-mirrors": ["https://other.invalid"]})) \
        == ["registry-mirrors"]
    assert da.reload_took_effect(recorded, dict(config, debug=True)) == ["debug"]


# -- the hosts drop-in ---------------------------------------------------------------------------------------
UNITS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "systemd")


def unit(name):
    with open(os.path.join(UNITS, name)) as f:
        return f.read()


@pytest.mark.parametrize("name", ["docker.io_20.10.24+dfsg1-1+deb12u1.service", "docker.io_28.5.2-unstable.service"])
def test_the_recorded_units_start_dockerd_with_fd(name):
    command = da.unit_exec_start([unit(name)])
    assert command == "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS"
    assert da.exec_start_without_hosts(command) == (
        "/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS", ["fd://"])


def test_docker_ce_s_own_line():
    assert da.exec_start_without_hosts("/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock") == (
        "/usr/bin/dockerd --containerd=/run/containerd/containerd.sock", ["fd://"])


def test_every_spelling_of_the_host_flag_goes_and_prefixes_and_quoting_stay():
    command, removed = da.exec_start_without_hosts(
        '-/usr/bin/dockerd -Hfd:// --host=tcp://127.0.0.1:2375 -H unix:///x --host unix:///y "--label=a b"')
    assert removed == ["fd://", "tcp://127.0.0.1:2375", "unix:///x", "unix:///y"]
    assert command == '-/usr/bin/dockerd "--label=a b"'


def test_a_later_drop_in_replaces_the_command_and_an_empty_exec_start_clears_it():
    user = "[Service]\nExecStart=\nExecStart=/usr/local/bin/dockerd \\\n  -H fd:// --debug\n"
    assert da.unit_exec_start([unit("docker.io_28.5.2-unstable.service"), user]) == \
        "/usr/local/bin/dockerd    -H fd:// --debug"
    assert da.unit_exec_start([unit("docker.io_28.5.2-unstable.service"), "[Service]\nExecStart=\n"]) is None
    # ExecStart outside [Service] is not the service's.
    assert da.unit_exec_start(["[Unit]\nExecStart=/bin/false\n"]) is None


def test_the_drop_in_for_hosts():
    text = da.hosts_dropin({"hosts": ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2376"]},
                           da.unit_exec_start([unit("docker.io_28.5.2-unstable.service")]))
    assert text.endswith("[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd "
                         "--containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n")
    # No hosts, or a unit that passes no -H: no drop-in.
    assert da.hosts_dropin({}, "/usr/bin/dockerd -H fd://") is None
    assert da.hosts_dropin({"hosts": ["fd://"]}, "/usr/bin/dockerd --debug") is None


def test_hosts_without_a_local_socket_is_refused():
    with pytest.raises(da.DaemonApplyError, match=r"hosts \(tcp://10.0.0.5:2376\) does not listen on the default"):
        da.hosts_dropin({"hosts": ["tcp://10.0.0.5:2376"]}, "/usr/bin/dockerd -H fd://")
    # Another unix socket is not the one the CLI and docker.socket use.
    with pytest.raises(da.DaemonApplyError, match="does not listen on the default socket"):
        da.hosts_dropin({"hosts": ["unix:///run/alt.sock", "tcp://127.0.0.1:2376"]}, "/usr/bin/dockerd -H fd://")
    for local in ("unix:///var/run/docker.sock", "unix:///run/docker.sock", "fd://"):
        assert da.hosts_dropin({"hosts": [local]}, "/usr/bin/dockerd -H fd://")


def test_a_later_drop_in_that_sets_exec_start_is_refused():
    override = "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --debug\n"
    assert da.sets_exec_start(override) and not da.sets_exec_start("[Service]\nEnvironment=A=1\n")
    assert not da.sets_exec_start("[Unit]\nExecStart=/bin/x\n")
    with pytest.raises(da.DaemonApplyError, match="override.conf sets ExecStart after the drop-in"):
        da.hosts_dropin({"hosts": ["fd://"]}, "/usr/bin/dockerd -H fd://",
                        later=["/etc/systemd/system/docker.service.d/override.conf"])


def test_hosts_on_a_unit_without_exec_start_is_refused():
    with pytest.raises(da.DaemonApplyError, match="has no ExecStart="):
        da.hosts_dropin({"hosts": ["unix:///var/run/docker.sock"]}, None)


def test_engine_config_guess_after_a_hand_edit():
    recorded = {"registry-mirrors": ["https://a.example"], "log-opts": {"max-file": "3"}}
    edited = {"registry-mirrors": ["https://b.example"], "log-opts": {"max-file": "7"}, "debug": True}
    # Not restarted since the edit: the recorded start-time settings, the file's reloadable ones.
    assert da.engine_config_guess(recorded, edited, False) == {
        "registry-mirrors": ["https://b.example"], "log-opts": {"max-file": "3"}, "debug": True}
    assert da.engine_config_guess(recorded, edited, None) == da.engine_config_guess(recorded, edited, False)
    # A reloadable key the edit removed is gone from the guess too.
    assert da.engine_config_guess({"debug": True, "bip": "10.1.0.1/16"}, {"bip": "10.1.0.1/16"}, False) == {
        "bip": "10.1.0.1/16"}
    # Restarted since: the file.
    assert da.engine_config_guess(recorded, edited, True) == edited
    # No edit, or nothing recorded: unchanged.
    assert da.engine_config_guess(recorded, dict(recorded), False) == recorded
    assert da.engine_config_guess(None, edited, False) is None


def test_putting_back_a_hand_edit_reloads_only_what_a_reload_may_have_taken():
    recorded = {"registry-mirrors": ["https://a.example"], "log-opts": {"max-file": "3"}}
    # A reloadable key edited: putting it back is a reload.
    edited = {"registry-mirrors": ["https://b.example"], "log-opts": {"max-file": "3"}}
    assert da.decide(recorded, da.engine_config_guess(recorded, edited, False), True) == (
        "reload", ["registry-mirrors"])
    # Only a start-time key edited, engine not restarted since: the file is put back, the engine keeps running.
    edited = {"registry-mirrors": ["https://a.example"], "log-opts": {"max-file": "7"}}
    assert da.decide(recorded, da.engine_config_guess(recorded, edited, False), True) == ("none", [])
    # ...and restarted since: it runs with the edit, so putting it back is a restart.
    assert da.decide(recorded, da.engine_config_guess(recorded, edited, True), True) == ("restart", ["log-opts"])
