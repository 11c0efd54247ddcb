"""docker_daemon_config in check mode on real files, with the engine's answers recorded from real engines.

The apply path (reload, restart, rollback) runs against real engines in molecule/docker_daemon.
"""
import json
import os

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import docker_daemon_config as ddc

from harness import patch_exits, run_main

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "docker_info")
UNITS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "systemd")


def recorded(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


@pytest.fixture
def run(monkeypatch, tmp_path):
    patch_exits(monkeypatch)
    calls = []
    answers = {"info": recorded("engine-20.10-full.json"), "units": "FragmentPath=\nDropInPaths=\n"}
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/bin/" + name)

    def fake_run(self, argv, **kw):
        if os.path.basename(argv[0]) == "timeout":  # docker info runs under timeout(1)
            argv = argv[2:]
        calls.append(argv)
        if argv[1:3] == ["info", "--format"]:
            return 0, answers["info"], ""
        if argv[1] == "ps":
            return 0, "web\n", ""
        if argv[1:3] == ["show", "--property"] and "FragmentPath" in argv:
            return 0, answers["units"], ""
        if argv[1:3] == ["show", "--property"]:
            return 0, "0\n", ""
        raise AssertionError("check mode ran %s" % argv)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)

    # A host in shape: /etc/docker and the fragments directory exist, root's, mode 0755.
    tmp_path.chmod(0o755)
    (tmp_path / "fragments").mkdir(mode=0o755)

    def _run(options, current=None, state=None, **args):
        path = tmp_path / "daemon.json"
        if current is not None:
            path.write_text(json.dumps(current))
        if state is not None:
            (tmp_path / "state").mkdir(exist_ok=True)
            (tmp_path / "state" / "daemon.json.applied").write_text(json.dumps(state))
        params = dict(options=options, path=str(path), state_dir=str(tmp_path / "state"),
                      fragments_dir=str(tmp_path / "fragments"), hosts_dropin=str(tmp_path / "hosts.conf"),
                      _ansible_check_mode=True, _ansible_diff=True)
        params.update(args)
        return run_main(ddc.main, params)
    _run.calls, _run.answers = calls, answers
    return _run


def test_a_reloadable_change_would_reload(run, tmp_path):
    kind, res = run({"registry-mirrors": ["https://m.example.com"]}, current={"live-restore": True},
                    state={"config": {"live-restore": True}, "managed_keys": ["live-restore"]})
    assert kind == "Exit" and res["changed"] and res["action"] == "would_reload"
    assert res["changed_keys"] == ["live-restore", "registry-mirrors"]  # live-restore: ours before, not set now
    assert res["removed_keys"] == ["live-restore"]
    assert res["containers_before"] == ["web"]
    assert json.loads((tmp_path / "daemon.json").read_text()) == {"live-restore": True}  # untouched


def test_an_unknown_key_on_the_host_is_kept_and_a_log_change_would_restart(run):
    kind, res = run({"log-driver": "json-file", "log-opts": {"max-size": "10m"}},
                    current={"bip": "10.10.0.1/16"}, state={"config": {"bip": "10.10.0.1/16"}, "managed_keys": []})
    assert res["action"] == "would_restart" and res["kept_keys"] == ["bip"]
    assert res["config"] == {"bip": "10.10.0.1/16", "log-driver": "json-file", "log-opts": {"max-size": "10m"}}
    assert '"bip": "10.10.0.1/16"' in res["diff"]["after"]


def test_a_pending_change_from_an_aborted_run_is_applied(run):
    # daemon.json already holds the new mirrors, but the engine was last reloaded without them.
    wanted = {"registry-mirrors": ["https://m.example.com"]}
    kind, res = run(wanted, current=wanted, state={"config": {}, "managed_keys": []})
    assert res["pending"] is True and res["action"] == "would_reload" and res["changed_keys"] == ["registry-mirrors"]


def test_a_hand_edited_reloadable_key_is_put_back_by_a_reload(run, tmp_path):
    # The role set mirror a; someone wrote b into daemon.json and may have reloaded the engine since.
    wanted = {"registry-mirrors": ["https://a.example"]}
    kind, res = run(wanted, current={"registry-mirrors": ["https://b.example"]},
                    state={"config": wanted, "managed_keys": ["registry-mirrors"]})
    assert kind == "Exit" and res["changed"] and res["action"] == "would_reload"
    assert res["changed_keys"] == ["registry-mirrors"]
    assert any(m.startswith("daemon.json was changed outside this module since its last run; putting back: "
                            "registry-mirrors (the engine's start time is unknown") for m in res["messages"])


def test_a_hand_edited_start_time_key_is_put_back_without_a_restart(run):
    # log-opts only takes effect at start, and the engine has not been restarted since the edit
    # (the recorded systemctl answer gives no PID, so its start time is unknown): the file is put back.
    wanted = {"log-opts": {"max-file": "3"}}
    kind, res = run(wanted, current={"log-opts": {"max-file": "7"}},
                    state={"config": wanted, "managed_keys": ["log-opts"]})
    assert kind == "Exit" and res["changed"] and res["action"] == "none"
    assert '"max-file": "7"' in res["diff"]["before"] and '"max-file": "3"' in res["diff"]["after"]


def test_nothing_to_do(run):
    wanted = {"live-restore": True}
    kind, res = run(wanted, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]})
    assert kind == "Exit" and res["changed"] is False and res["action"] == "none"


def test_state_keys_are_refused_before_anything(run, tmp_path):
    kind, res = run({"data-root": "/srv/docker"}, current={})
    assert kind == "Fail" and res["msg"].startswith("docker_daemon_options sets data-root")
    assert json.loads((tmp_path / "daemon.json").read_text()) == {}


def test_an_engine_that_is_down_reads_as_down(run):
    # Engine 20.10's CLI exits 0 with only ServerErrors when no engine answers (recorded).
    run.answers["info"] = recorded("engine-down-20.10.json")
    kind, res = run({"live-restore": True}, current={})
    assert res["action"] == "would_start" and res["containers_before"] == []


def test_an_unreadable_fragment_is_named(run, tmp_path):
    (tmp_path / "fragments" / "storage.json").write_text("{not json")
    kind, res = run({}, current={})
    assert kind == "Fail" and "fragment" in res["msg"] and "storage.json is not valid JSON" in res["msg"]


def test_hosts_would_write_the_drop_in_that_takes_fd_out(run, tmp_path):
    # The unit and drop-in paths as systemctl show gave them (recorded), the files under tmp_path.
    fragment = tmp_path / "docker.service"
    with open(os.path.join(UNITS, "docker.io_28.5.2-unstable.service")) as f:
        fragment.write_text(f.read())
    proxy = tmp_path / "http-proxy.conf"
    proxy.write_text("[Service]\nEnvironmentFile=/etc/docker/dockerops-proxy.env\n")
    dropin = tmp_path / "dockerops-hosts.conf"
    with open(os.path.join(UNITS, "systemctl-show-dropins.txt")) as f:
        shown = f.read()
    run.answers["units"] = (shown.replace("/usr/lib/systemd/system/docker.service", str(fragment))
                            .replace("/etc/systemd/system/docker.service.d/http-proxy.conf", str(proxy))
                            .replace("/etc/systemd/system/docker.service.d/dockerops-hosts.conf", str(dropin)))
    wanted = {"live-restore": True}
    hosts = dict(wanted, hosts=["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"])
    kind, res = run(hosts, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]},
                    allow_insecure_tcp=True, hosts_dropin=str(dropin))
    assert kind == "Exit" and res["action"] == "would_restart" and res["hosts_dropin"] == "written"
    assert isinstance(res["diff"], list) and res["diff"][1]["before_header"] == str(dropin)
    assert "ExecStart=\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n" \
        in res["diff"][1]["after"]
    assert not dropin.exists()  # check mode

    # The drop-in in place and hosts gone from the options: it would be removed, with a restart.
    dropin.write_text(res["diff"][1]["after"])
    kind, res = run(wanted, current=hosts, state={"config": hosts, "managed_keys": ["hosts", "live-restore"]},
                    hosts_dropin=str(dropin))
    assert res["action"] == "would_restart" and res["hosts_dropin"] == "removed" and dropin.exists()


def test_hosts_without_a_local_socket_is_refused_before_anything(run, tmp_path):
    kind, res = run({"hosts": ["tcp://10.0.0.5:2376"], "tlsverify": True, "tlscacert": "/c", "tlscert": "/c",
                     "tlskey": "/k"}, current={}, hosts_dropin=str(tmp_path / "h.conf"))
    assert kind == "Fail" and "does not listen on the default socket" in res["msg"]


def test_only_the_drop_in_after_a_package_change(run, tmp_path):
    # docker.io's drop-in (/usr/sbin/dockerd ... $DOCKER_OPTS) on a host whose unit is now Docker CE's: the drop-in
    # is rebuilt from the unit, daemon.json untouched, nothing restarted (check mode: nothing written either).
    fragment = tmp_path / "docker.service"
    fragment.write_text("[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n")
    dropin = tmp_path / "dockerops-hosts.conf"
    stale = "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS\n"
    dropin.write_text(stale)
    run.answers["units"] = "FragmentPath=%s\nDropInPaths=%s\n" % (fragment, dropin)
    hosts = {"hosts": ["fd://", "tcp://127.0.0.1:2375"]}
    kind, res = run({}, current=hosts, hosts_dropin=str(dropin), only_hosts_dropin=True)
    assert kind == "Exit" and res["changed"] and res["hosts_dropin"] == "written"
    assert res["diff"]["after"].endswith("ExecStart=\nExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock\n")
    assert dropin.read_text() == stale and json.loads((tmp_path / "daemon.json").read_text()) == hosts
    assert not any(c[1:2] == ["info"] for c in run.calls)  # the engine is not even asked


# -- #19: the value checks and, on engines without dockerd --validate (< 23), the unknown-key check ------------
def test_an_option_engine_20_10_does_not_know_is_refused_before_anything(run, tmp_path):
    # engine-20.10-full answers ServerVersion 20.10.24+dfsg1. cdi-spec-dirs came with Engine 25 and a typo is
    # unknown to any: dockerd 20.10 would refuse to start with either.
    kind, res = run({"cdi-spec-dirs": ["/etc/cdi"], "log-levle": "debug", "debug": True},
                    current={"live-restore": True})
    assert kind == "Fail"
    assert res["msg"] == ("daemon option(s) cdi-spec-dirs, log-levle are not known to Docker Engine 20.10.24+dfsg1; "
                          "dockerd would refuse to start")
    assert json.loads((tmp_path / "daemon.json").read_text()) == {"live-restore": True}
    assert not any(os.path.basename(c[0]) == "dockerd" for c in run.calls)


def test_an_unknown_key_already_in_daemon_json_is_refused_on_engine_20_10(run):
    # A key kept from the existing file counts too: the merged file is what dockerd would read.
    kind, res = run({"debug": True}, current={"storage-driverr": "overlay2"})
    assert kind == "Fail" and "storage-driverr are not known to Docker Engine 20.10.24+dfsg1" in res["msg"]


def test_on_engine_28_new_options_are_left_to_dockerd_validate(run):
    # overlay2-28.5 answers ServerVersion 28.5.2+dfsg4: dockerd --validate checks the file there (in a real run).
    run.answers["info"] = recorded("overlay2-28.5.json")
    kind, res = run({"cdi-spec-dirs": ["/etc/cdi"]}, current={})
    assert kind == "Exit" and res["changed"] and res["config"] == {"cdi-spec-dirs": ["/etc/cdi"]}


@pytest.mark.parametrize("options, message", [
    ({"log-driver": "json-file", "log-opts": {"max-file": 3}},
     "daemon option log-opts.max-file must be a string (dockerd refuses 3)"),
    ({"log-opts": "max-size=10m"}, "daemon option log-opts must be a mapping, got 'max-size=10m'"),
    ({"dns": "10.0.0.2"}, "daemon option dns must be a list, got '10.0.0.2'"),
    ({"registry-mirrors": ["docker.io"]}, 'daemon option registry-mirrors[0]: "docker.io" is not a URL'),
])
def test_values_dockerd_would_refuse_at_start_are_refused_before_anything(run, tmp_path, options, message):
    kind, res = run(options, current={"live-restore": True})
    assert kind == "Fail" and res["msg"].startswith(message)
    assert json.loads((tmp_path / "daemon.json").read_text()) == {"live-restore": True}


def test_a_mirror_with_credentials_is_refused_with_them_masked_everywhere(run):
    kind, res = run({"registry-mirrors": ["https://ci:s3cr3t-token@mirror.example.com"]}, current={})
    assert kind == "Fail"
    assert res["msg"].startswith('daemon option registry-mirrors[0]: "https://ci:***@mirror.example.com" carries '
                                 "credentials")
    assert "s3cr3t" not in json.dumps(res)


# docker_storage hands its options as a fragment (roles/docker_storage/tasks/configure.yml), as the copy task it
# replaced wrote them: to_nice_json and a newline.
STORAGE = {"storage-driver": "overlay2"}
STORAGE_TEXT = '{\n    "storage-driver": "overlay2"\n}\n'


def test_a_handed_fragment_is_merged_as_given_and_only_previewed_in_check_mode(run, tmp_path):
    kind, res = run({"live-restore": True}, current={"live-restore": True},
                    state={"config": {"live-restore": True}, "managed_keys": ["live-restore"]},
                    fragments={"40-storage.json": STORAGE})
    fragment = tmp_path / "fragments" / "40-storage.json"
    assert kind == "Exit" and res["changed"] and res["action"] == "would_restart"
    assert res["changed_keys"] == ["storage-driver"] and res["config"] == {"live-restore": True, **STORAGE}
    assert res["fragments_changed"] == [str(fragment)] and res["directories_changed"] == []
    assert res["diff"][1] == dict(before_header=str(fragment), after_header=str(fragment), before="",
                                  after=STORAGE_TEXT)
    assert not fragment.exists()


def test_the_fragment_on_the_host_is_replaced_by_the_one_handed(run, tmp_path):
    # The options given win over what the file says; the same text in another mode is set to 0644.
    fragment = tmp_path / "fragments" / "40-storage.json"
    fragment.write_text('{"storage-driver": "devicemapper"}')
    config = {"live-restore": True, **STORAGE}
    kind, res = run({"live-restore": True}, current=config, state={"config": config, "managed_keys": sorted(config)},
                    fragments={"40-storage.json": STORAGE})
    assert res["action"] == "none" and res["changed"] and res["fragments_changed"] == [str(fragment)]
    fragment.write_text(STORAGE_TEXT)
    fragment.chmod(0o600)
    kind, res = run({"live-restore": True}, current=config, state={"config": config, "managed_keys": sorted(config)},
                    fragments={"40-storage.json": STORAGE})
    assert res["changed"] and res["fragments_changed"] == [str(fragment)] and "diff" not in res
    fragment.chmod(0o644)
    kind, res = run({"live-restore": True}, current=config, state={"config": config, "managed_keys": sorted(config)},
                    fragments={"40-storage.json": STORAGE})
    assert res["changed"] is False and res["fragments_changed"] == []


@pytest.mark.parametrize("name", ["../40-storage.json", "sub/40-storage.json", "40-storage.conf", ".hidden.json"])
def test_a_fragment_name_that_is_not_a_json_file_name_is_refused(run, tmp_path, name):
    kind, res = run({}, current={}, fragments={name: STORAGE})
    assert kind == "Fail" and res["msg"].startswith("fragments: %r is not a file name ending in .json" % name)
    assert run.calls == [] and sorted(os.listdir(tmp_path / "fragments")) == []


def test_missing_directories_would_be_created(run, tmp_path):
    kind, res = run({}, current=None, fragments_dir=str(tmp_path / "etc" / "dockerops.d"),
                    path=str(tmp_path / "etc" / "daemon.json"))
    assert res["changed"] and res["directories_changed"] == [str(tmp_path / "etc"), str(tmp_path / "etc" /
                                                                                        "dockerops.d")]
    assert not (tmp_path / "etc").exists()


def test_a_directory_in_another_mode_would_be_set_to_0755(run, tmp_path):
    wanted = {"live-restore": True}
    (tmp_path / "fragments").chmod(0o700)
    kind, res = run(wanted, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]})
    assert res["changed"] and res["action"] == "none" and res["directories_changed"] == [str(tmp_path / "fragments")]


@pytest.fixture
def sock(tmp_path, monkeypatch):
    """A real unix socket under tmp_path, and the docker group as gid 4242."""
    import grp
    import socket
    path = tmp_path / "docker.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    monkeypatch.setattr(ddc.grp, "getgrnam", lambda name: grp.struct_group(("docker", "x", 4242, []))
                        if name == "docker" else (_ for _ in ()).throw(KeyError(name)))
    yield path
    s.close()


def test_the_socket_is_kept_root_docker_0660(run, sock):
    wanted = {"live-restore": True}
    state = {"config": wanted, "managed_keys": ["live-restore"]}
    os.chown(sock, 0, 4242)
    sock.chmod(0o660)
    kind, res = run(wanted, current=wanted, state=state, socket=str(sock))
    assert res["changed"] is False and res["socket_changed"] is False
    sock.chmod(0o666)
    kind, res = run(wanted, current=wanted, state=state, socket=str(sock))
    assert res["changed"] and res["socket_changed"] and res["action"] == "none"
    assert "%s set to owner root, group docker, mode 0660" % sock in res["messages"]
    assert oct(sock.stat().st_mode & 0o777) == "0o666"  # check mode
    kind, res = run(wanted, current=wanted, state=state, socket=str(sock), _ansible_check_mode=False)
    assert res["socket_changed"] and oct(sock.stat().st_mode & 0o777) == "0o660" and sock.stat().st_gid == 4242


def test_a_missing_docker_group_is_named(run, sock, monkeypatch):
    monkeypatch.setattr(ddc.grp, "getgrnam", lambda name: (_ for _ in ()).throw(KeyError(name)))
    wanted = {"live-restore": True}
    kind, res = run(wanted, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]},
                    socket=str(sock))
    assert kind == "Fail" and res["msg"].startswith("The group docker does not exist")


def test_a_proxy_no_longer_wanted_would_be_removed_with_a_restart_and_its_settings_never_shown(run, tmp_path):
    wanted = {"live-restore": True}
    dropin, env = tmp_path / "http-proxy.conf", tmp_path / "dockerops-proxy.env"
    dropin.write_text("[Service]\nEnvironmentFile=%s\n" % env)
    env.write_text("HTTPS_PROXY=http://user:s3cret@proxy.example:3128\n")
    env.chmod(0o600)
    (tmp_path / "leftover.d").mkdir()
    kind, res = run(wanted, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]},
                    remove_files=[str(dropin), str(env), str(tmp_path / "leftover.d"), str(tmp_path / "absent")],
                    restart_on_files=[str(dropin), str(env)])
    assert kind == "Exit" and res["changed"] and res["action"] == "would_restart"
    assert res["files_removed"] == [str(dropin), str(env)]  # in that order; never the directory
    assert "restart: removed %s, %s" % (dropin, env) in res["messages"]
    assert "s3cret" not in json.dumps(res) and dropin.exists() and env.exists()
    kind, res = run(wanted, current=wanted, state={"config": wanted, "managed_keys": ["live-restore"]},
                    remove_files=[str(tmp_path / "leftover.d"), str(tmp_path / "absent")])
    assert res["changed"] is False and res["files_removed"] == []


def test_a_directory_at_a_fragment_path_is_refused_naming_it(run, tmp_path):
    (tmp_path / "fragments" / "40-storage.json").mkdir()
    kind, res = run({}, current={}, fragments={"40-storage.json": STORAGE})
    assert kind == "Fail" and res["msg"] == "%s is a directory, not a fragment. Nothing was changed." % (
        tmp_path / "fragments" / "40-storage.json")
    assert res["changed"] is False and res["fragments_changed"] == []


def test_a_dangling_symlink_at_a_fragment_path_is_replaced_like_an_absent_file(run, tmp_path):
    (tmp_path / "fragments" / "40-storage.json").symlink_to(tmp_path / "gone.json")
    kind, res = run({}, current={}, fragments={"40-storage.json": STORAGE})
    assert kind == "Exit" and res["fragments_changed"] == [str(tmp_path / "fragments" / "40-storage.json")]


def test_only_hosts_dropin_does_not_look_at_the_socket(run, tmp_path):
    kind, res = run({}, current={}, only_hosts_dropin=True, socket=str(tmp_path / "no.sock"),
                    _ansible_check_mode=False)
    assert kind == "Exit" and res["socket_changed"] is False
