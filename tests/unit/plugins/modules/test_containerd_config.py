"""containerd_config's transaction on recorded containerd 1.6.20 and 2.1.9 outputs (tests/unit/fixtures/containerd):
check mode, the write with backup, the restart and its verification, the rollback, hosts.toml ownership."""
import json
import os
import time

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.modules import containerd_config

from harness import Fail, patch_exits, run_main

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures",
                   "containerd")
PAUSE = "registry.k8s.io/pause:3.10"
MIRRORS = {"docker.io": ["https://mirror.example.com"]}


CERTS = {}  # the test's certs.d, which stands in for /etc/containerd/certs.d in the recorded files and outputs


def rec(version, name):
    with open(os.path.join(FIX, version, name)) as f:
        text = f.read()
    return text.replace("/etc/containerd/certs.d", CERTS["dir"]) if CERTS else text


def run_rec(version, name):
    return int(rec(version, name + ".rc")), rec(version, name + ".stdout"), rec(version, name + ".stderr")


class Host(object):
    """The recorded answers of one containerd; plugins lists the answers of ctr plugins ls in turn (the last repeats)."""

    def __init__(self, version, plugins, dump="config-dump-converged", restart_rc=0, main_pid="0",
                 validate="config-dump-file-good", unit="active"):
        self.version, self.plugins, self.dump = version, list(plugins), dump
        self.restart_rc, self.main_pid, self.validate, self.unit = restart_rc, main_pid, validate, unit
        self.calls = []
        self.raw = []  # the argv lists as the module gave them, with the timeout prefix
        self.modes = []  # the permission bits of the files containerd --config FILE config dump was given
        self.validated = []  # the texts containerd --config FILE config dump was given

    def run(self, argv, **kw):
        self.raw.append((list(argv), kw))
        if argv[0].endswith("timeout"):
            argv = argv[2:]
        self.calls.append(argv)
        tool, rest = os.path.basename(argv[0]), argv[1:]
        if tool == "containerd" and rest == ["--version"]:
            return run_rec(self.version, "containerd-version")
        if tool == "containerd" and rest == ["config", "dump"]:
            return run_rec(self.version, self.dump)
        if tool == "containerd" and rest[:1] == ["--config"] and rest[2:] == ["config", "dump"]:
            with open(rest[1]) as f:
                self.validated.append((rest[1], f.read()))
            self.modes.append(os.stat(rest[1]).st_mode & 0o7777)
            return run_rec(self.version, self.validate)
        if tool == "ctr":
            name = self.plugins.pop(0) if len(self.plugins) > 1 else self.plugins[0]
            return run_rec(self.version, name)
        if tool == "systemctl" and rest[:1] == ["show"]:
            return 0, self.main_pid + "\n", ""
        if tool == "systemctl" and rest[:1] == ["is-active"]:
            # systemctl is-active prints the unit's state; its exit status is 0 for active only (3 otherwise).
            return (0 if self.unit == "active" else 3), self.unit + "\n", ""
        if tool == "systemctl" and rest[:1] == ["restart"]:
            return (self.restart_rc, "", "Job for containerd.service failed.\n" if self.restart_rc else "")
        if tool == "journalctl":
            return 0, 'level=error msg="failed to load plugin"\n', ""
        return 0, "", ""

    def restarts(self):
        return [c for c in self.calls if os.path.basename(c[0]) == "systemctl" and c[1] == "restart"]


@pytest.fixture
def module(monkeypatch, tmp_path):
    patch_exits(monkeypatch)
    monkeypatch.setitem(CERTS, "dir", str(tmp_path / "certs.d"))
    bins = {"containerd", "ctr", "systemctl", "timeout", "journalctl"}

    def run(host, args, check=False, diff=False, config=None, missing=()):
        path = tmp_path / "config.toml"
        if config is not None:
            path.write_text(config)
        def get_bin_path(self, name, required=False, *a, **k):
            if name in bins and name not in missing:
                return "/usr/bin/" + name
            if required:
                self.fail_json(msg="Failed to find required executable %s" % name)
            return None
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)
        monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: host.run(argv, **kw))
        args = dict(dict(path=str(path), certs_dir=str(tmp_path / "certs.d"), timeout=0), **args)
        if check:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        return run_main(containerd_config.main, args)
    return run


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_check_mode_on_docker_ce_file_reports_and_writes_nothing(module, tmp_path, version):
    host = Host(version, ["ctr-plugins-cri-disabled"])
    before = rec(version, "config-docker-ce.toml")
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS), check=True, diff=True, config=before)
    assert kind == "Exit" and res["changed"] is True and res["action"] == "would_restart"
    assert (tmp_path / "config.toml").read_text() == before
    assert not (tmp_path / "certs.d").exists()
    assert host.restarts() == []
    config_diff, hosts_diff = res["diff"]
    assert config_diff["after"] == rec(version, "config-converged.toml") and config_diff["before"] == before
    assert hosts_diff["after"] == rec(version, "hosts-docker.io.toml") and hosts_diff["before"] == ""
    assert res["hosts_files"] == [str(tmp_path / "certs.d" / "docker.io" / "hosts.toml")]
    assert res["cri"] is None and len(res["changed_keys"]) == 6
    assert res["version"] == ("1.6" if version == "1.6.20" else "2.1")


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_apply_writes_backs_up_restarts_and_verifies(module, tmp_path, version):
    host = Host(version, ["ctr-plugins-cri-disabled", "ctr-plugins-converged"])
    before = rec(version, "config-docker-ce.toml")
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS), config=before)
    assert kind == "Exit" and res["changed"] is True and res["action"] == "restarted" and res["cri"] == "ok"
    assert (tmp_path / "config.toml").read_text() == rec(version, "config-converged.toml")
    assert (tmp_path / "certs.d" / "docker.io" / "hosts.toml").read_text() == rec(version, "hosts-docker.io.toml")
    with open(res["backup_file"]) as f:
        assert f.read() == before
    assert host.restarts() == [["/usr/bin/systemctl", "restart", "containerd.service"]]
    assert ["/usr/bin/containerd", "config", "dump"] in host.calls
    assert "diff" not in res


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_converged_host_is_left_alone(module, tmp_path, version):
    certs = tmp_path / "certs.d" / "docker.io"
    certs.mkdir(parents=True)
    (certs / "hosts.toml").write_text(rec(version, "hosts-docker.io.toml"))
    host = Host(version, ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS), check=True, diff=True,
                       config=rec(version, "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is False and res["action"] == "none" and "diff" not in res
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS),
                       config=rec(version, "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is False and res["cri"] == "ok" and res["changed_keys"] == []
    assert host.restarts() == [] and "backup_file" not in res


def test_a_file_containerd_has_not_loaded_restarts(module):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"])
    kind, res = module(host, {}, config=rec("1.6.20", "config-debian-converged.toml"))
    assert kind == "Exit" and res["changed"] is True and res["action"] == "restarted"
    assert res["messages"] == ["restart: containerd's CRI plugin is not loaded (ctr plugins ls)"]
    assert "backup_file" not in res


def test_containerd_started_before_the_file_restarts(module, tmp_path):
    # This test process stands in for containerd's main process: it started before the file was written (the file's
    # time is set 10 s ahead, since the module allows 1 s and this process may be younger than that).
    host = Host("1.6.20", ["ctr-plugins-converged"], dump="config-dump-debian-converged", main_pid=str(os.getpid()))
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-debian-converged.toml"))
    os.utime(str(path), (time.time() + 10, time.time() + 10))
    kind, res = module(host, {}, check=True)
    assert kind == "Exit" and res["changed"] is True and res["action"] == "would_restart"
    assert res["messages"][0].startswith("restart: containerd started before ")


def test_failed_verification_puts_everything_back(module, tmp_path):
    host = Host("2.1.9", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"], dump="config-dump-cri-disabled")
    before = rec("2.1.9", "config-docker-ce.toml")
    kind, res = module(host, dict(registry_mirrors=MIRRORS), config=before)
    assert kind == "Fail" and res["action"] == "rolled_back"
    assert "containerd did not take the new configuration" in res["msg"]
    assert "SystemdCgroup is false, not true" in res["msg"] and "failed to load plugin" in res["msg"]
    assert (tmp_path / "config.toml").read_text() == before
    assert not (tmp_path / "certs.d" / "docker.io" / "hosts.toml").exists()
    assert len(host.restarts()) == 2


def test_cri_not_coming_back_is_rolled_back_with_ctr_said(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-stopped"])
    before = rec("1.6.20", "config-docker-ce.toml")
    kind, res = module(host, {}, config=before)
    assert kind == "Fail" and res["rc"] == 1 and "failed to dial" in res["stderr"]
    assert "its CRI plugin is unreadable after 0s (ctr plugins ls: ctr: failed to dial" in res["msg"]
    assert "(CRI plugin now unreadable)" in res["msg"]
    assert (tmp_path / "config.toml").read_text() == before


def test_failed_restart_is_rolled_back(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1)
    kind, res = module(host, {}, config=rec("1.6.20", "config-docker-ce.toml"))
    assert kind == "Fail" and res["rc"] == 1 and res["stderr"] == "Job for containerd.service failed.\n"
    assert "systemctl restart containerd failed: Job for containerd.service failed." in res["msg"]
    assert (tmp_path / "config.toml").read_text() == rec("1.6.20", "config-docker-ce.toml")


def test_absent_file_is_created_without_backup(module, tmp_path):
    host = Host("2.1.9", ["ctr-plugins-stopped", "ctr-plugins-converged"])
    kind, res = module(host, {})
    assert kind == "Exit" and res["action"] == "restarted" and "backup_file" not in res
    assert (tmp_path / "config.toml").read_text().startswith("version = 3\n")


def test_no_containerd(module):
    host = Host("1.6.20", ["ctr-plugins-stopped"])
    kind, res = module(host, {}, check=True, missing=("containerd",))
    assert kind == "Exit" and res["changed"] is False and res["action"] == "no_containerd"
    kind, res = module(host, {}, missing=("containerd",))
    assert kind == "Fail" and "containerd is not installed here" in res["msg"]
    assert host.calls == []


def test_refusal_changes_nothing(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, {}, config="version = 3\n")
    assert kind == "Fail" and "has version = 3, which containerd 1.x does not read" in res["msg"]
    assert (tmp_path / "config.toml").read_text() == "version = 3\n" and host.restarts() == []
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(registry_mirrors={"docker.io": ["https://u:pw-s3cr3t@m.example.com"]}),
                       config="version = 2\n")
    assert kind == "Fail" and res["msg"].startswith("registry_mirrors[docker.io][0]: ") and host.calls == []
    assert "pw-s3cr3t" not in repr(res) and "u:***@m.example.com" in res["msg"]


def test_hosts_toml_of_another_author_is_refused(module, tmp_path):
    certs = tmp_path / "certs.d" / "docker.io"
    certs.mkdir(parents=True)
    (certs / "hosts.toml").write_text('server = "https://registry-1.docker.io"\n')
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(registry_mirrors=MIRRORS, sandbox_image=PAUSE),
                       config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Fail" and res["msg"] == (
        "%s exists and was not written by this module: merge the mirrors for docker.io into it by hand, or remove "
        "it. Nothing was changed." % (certs / "hosts.toml"))
    assert (certs / "hosts.toml").read_text() == 'server = "https://registry-1.docker.io"\n'


def test_a_registry_no_longer_listed_loses_its_hosts_toml_without_restart(module, tmp_path):
    for registry in ("docker.io", "quay.io"):
        (tmp_path / "certs.d" / registry).mkdir(parents=True)
    (tmp_path / "certs.d" / "docker.io" / "hosts.toml").write_text(rec("1.6.20", "hosts-docker.io.toml"))
    (tmp_path / "certs.d" / "quay.io" / "hosts.toml").write_text('server = "https://quay.io"\n')  # not ours: kept
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE), config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is True and res["action"] == "none"
    assert res["hosts_files"] == [str(tmp_path / "certs.d" / "docker.io" / "hosts.toml")]
    assert not (tmp_path / "certs.d" / "docker.io" / "hosts.toml").exists()
    assert (tmp_path / "certs.d" / "quay.io" / "hosts.toml").exists()
    assert host.restarts() == []


def test_a_new_mirror_alone_does_not_restart(module, tmp_path):
    host = Host("2.1.9", ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS),
                       config=rec("2.1.9", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is True and res["action"] == "none" and host.restarts() == []
    assert (tmp_path / "certs.d" / "docker.io" / "hosts.toml").read_text() == rec("2.1.9", "hosts-docker.io.toml")



AUTH = ('version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example.com".auth]\n'
        '  username = "bob"\n  password = "hunter2"\n  auth = "Ym9iOmh1bnRlcjI="\n  identitytoken = "tok-123"\n')


def test_a_0600_file_stays_0600_when_written_and_when_put_back(module, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(AUTH)
    path.chmod(0o600)
    kind, res = module(Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"]), {})
    assert kind == "Exit" and res["action"] == "restarted" and path.read_text() != AUTH
    assert oct(path.stat().st_mode & 0o7777) == "0o600"
    path.write_text(AUTH)
    kind, res = module(Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1), {})
    assert kind == "Fail" and res["action"] == "rolled_back" and path.read_text() == AUTH
    assert oct(path.stat().st_mode & 0o7777) == "0o600"


def test_a_new_file_is_0644(module, tmp_path):
    kind, res = module(Host("2.1.9", ["ctr-plugins-stopped", "ctr-plugins-converged"]), {})
    assert kind == "Exit" and oct((tmp_path / "config.toml").stat().st_mode & 0o7777) == "0o644"


def test_diff_hides_registry_credentials(module):
    kind, res = module(Host("1.6.20", ["ctr-plugins-cri-disabled"]), {}, check=True, diff=True, config=AUTH)
    assert kind == "Exit" and res["changed"] is True
    for text in (res["diff"]["before"], res["diff"]["after"]):
        assert "bob" not in text and "hunter2" not in text and "Ym9i" not in text and "tok-123" not in text
        for key in ("username", "password", "auth", "identitytoken"):
            assert '  %s = "<redacted>"\n' % key in text
    assert "SystemdCgroup = true" in res["diff"]["after"]


def test_a_file_not_in_utf8_is_named(module, tmp_path):
    (tmp_path / "config.toml").write_bytes(b'version = 2\n# caf\xe9\n')
    kind, res = module(Host("1.6.20", ["ctr-plugins-converged"]), {})
    assert kind == "Fail" and res["msg"].startswith("%s is not valid UTF-8 (" % (tmp_path / "config.toml"))
    assert "Nothing was changed" in res["msg"]


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_new_file_is_read_by_containerd_before_it_is_installed(module, tmp_path, version):
    host = Host(version, ["ctr-plugins-cri-disabled", "ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS),
                       config=rec(version, "config-docker-ce.toml"))
    assert kind == "Exit" and res["action"] == "restarted"
    (path, text), = host.validated
    assert text == rec(version, "config-converged.toml")
    assert os.path.dirname(path) == str(tmp_path) and not os.path.exists(path)
    # validated before the restart
    assert host.calls.index(["/usr/bin/containerd", "--config", path, "config", "dump"]) < host.calls.index(
        host.restarts()[0])


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
@pytest.mark.parametrize("recording", ["broken", "badtype"])
def test_a_file_containerd_refuses_is_not_installed(module, tmp_path, version, recording):
    # The user's file holds what the recorded containerd refused: for "badtype" the recorded file itself (a valid TOML
    # file whose sandbox_image is a number); for "broken" the converged file, answered with the recorded refusal of an
    # unclosed table header (containerd would refuse the same way; tomllib would not let such a file through).
    config = rec(version, "file-badtype.toml" if recording == "badtype" else "config-docker-ce.toml")
    host = Host(version, ["ctr-plugins-cri-disabled"], validate="config-dump-file-" + recording)
    kind, res = module(host, {}, config=config)
    err = rec(version, "config-dump-file-%s.stderr" % recording)
    assert kind == "Fail" and res["changed"] is False and res["action"] == "none"
    assert res["rc"] == 1 and res["stderr"] == err
    assert res["msg"] == ("containerd does not take the new %s (containerd --config NEWFILE config dump exited 1: "
                          "%s). Nothing was changed." % (tmp_path / "config.toml", err.strip().splitlines()[-1]))
    assert (tmp_path / "config.toml").read_text() == config
    assert host.restarts() == [] and "backup_file" not in res
    assert os.listdir(str(tmp_path)) == ["config.toml"]


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_unreadable_cri_with_the_file_right_does_not_restart(module, tmp_path, version):
    certs = tmp_path / "certs.d" / "docker.io"
    certs.mkdir(parents=True)
    (certs / "hosts.toml").write_text(rec(version, "hosts-docker.io.toml"))
    host = Host(version, ["ctr-plugins-stopped"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS),
                       config=rec(version, "config-converged.toml"))
    err = " ".join(rec(version, "ctr-plugins-stopped.stderr").split())
    assert kind == "Exit" and res["changed"] is False and res["action"] == "none" and res["cri"] is None
    assert res["messages"] == ["containerd not restarted: %s is already right, and its CRI plugin's status could "
                               "not be read (ctr plugins ls: %s)" % (tmp_path / "config.toml", err)]
    assert host.restarts() == [] and host.validated == []



T = ["/usr/bin/timeout", "30"]
LANG = {"environ_update": {"LANG": "C"}}
VERSION = (T + ["/usr/bin/containerd", "--version"], LANG)
CTR = (T + ["/usr/bin/ctr", "plugins", "ls"], LANG)
VALIDATE = (T + ["/usr/bin/containerd", "--config", "NEWFILE", "config", "dump"], LANG)
DUMP = (T + ["/usr/bin/containerd", "config", "dump"], LANG)
RESTART = (["/usr/bin/systemctl", "restart", "containerd.service"], {})
RESET = (["/usr/bin/systemctl", "reset-failed", "containerd.service"], {})
JOURNAL = (["/usr/bin/journalctl", "--unit", "containerd", "--no-pager", "--lines", "20", "--output", "cat"], {})
SHOW = (["/usr/bin/systemctl", "show", "--property", "MainPID", "--value", "containerd.service"], {})


def raw(host):
    """host.raw with the temporary file of the check named NEWFILE."""
    return [([("NEWFILE" if a.endswith(".check") else a) for a in argv], kw) for argv, kw in host.raw]


def changes(version, tmp_path):
    if version == "1.6.20":
        prefix, registry = "plugins.io.containerd.grpc.v1.cri.", "plugins.io.containerd.grpc.v1.cri."
    else:
        prefix, registry = "plugins.io.containerd.cri.v1.runtime.", "plugins.io.containerd.cri.v1.images."
    return ['version: unset -> %s' % ("2" if version == "1.6.20" else "3"), 'disabled_plugins: ["cri"] -> []',
            '%sregistry.config_path: unset -> "%s"' % (registry, tmp_path / "certs.d"),
            '%scontainerd.runtimes.runc.runtime_type: unset -> "io.containerd.runc.v2"' % prefix,
            '%scontainerd.runtimes.runc.options.SystemdCgroup: unset -> true' % prefix]


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_apply_result_and_commands_exactly(module, tmp_path, version):
    host = Host(version, ["ctr-plugins-cri-disabled", "ctr-plugins-converged"])
    kind, res = module(host, dict(registry_mirrors=MIRRORS), config=rec(version, "config-docker-ce.toml"))
    assert kind == "Exit"
    backup = res.pop("backup_file")
    assert backup.startswith(str(tmp_path / "config.toml."))
    assert res == dict(changed=True, action="restarted", changed_keys=changes(version, tmp_path),
                       hosts_files=[str(tmp_path / "certs.d" / "docker.io" / "hosts.toml")], messages=[],
                       version="1.6" if version == "1.6.20" else "2.1", config_version=2 if version == "1.6.20" else 3,
                       cri="ok", last_good=str(tmp_path / ".config.toml.dockerops-good"))
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, CTR, DUMP]
    (path, _text), = host.validated
    assert os.path.basename(path).startswith(".config.toml.") and path.endswith(".check")


def test_check_mode_result_exactly(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"])
    kind, res = module(host, {}, check=True, diff=True, config=rec("1.6.20", "config-docker-ce.toml"))
    path = str(tmp_path / "config.toml")
    diff = res.pop("diff")
    assert diff["before_header"] == path and diff["after_header"] == path
    assert diff["before"] == rec("1.6.20", "config-docker-ce.toml")
    assert res == dict(changed=True, action="would_restart", changed_keys=changes("1.6.20", tmp_path),
                       hosts_files=[], messages=[], version="1.6", config_version=2, cri=None)
    assert raw(host) == [VERSION, CTR]


def test_failed_verification_result_exactly(module, tmp_path):
    host = Host("2.1.9", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"], dump="config-dump-cri-disabled")
    kind, res = module(host, dict(registry_mirrors=MIRRORS), config=rec("2.1.9", "config-docker-ce.toml"))
    certs = tmp_path / "certs.d"
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): plugins.io.containerd.cri.v1.runtime.containerd.runtimes"
        ".runc.options.SystemdCgroup is false, not true; plugins.io.containerd.cri.v1.images.registry.config_path is "
        '"", without %s; disabled_plugins still has io.containerd.grpc.v1.cri. containerd said: level=error '
        'msg="failed to load plugin". The previous files were put back and containerd restarted on them (CRI plugin '
        "now ok)." % (", ".join(changes("2.1.9", tmp_path)), certs))
    assert res["messages"] == [] and res["action"] == "rolled_back" and res["cri"] is None
    assert res["rc"] == 0 and res["stderr"] == ""
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, CTR, DUMP, JOURNAL, RESET, RESTART, CTR]


def test_a_config_dump_that_fails_after_the_restart_is_rolled_back(module, tmp_path):
    # containerd config dump answered with the recorded failure of containerd config dump on an unreadable file.
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"], dump="config-dump-file-broken")
    before = rec("1.6.20", "config-docker-ce.toml")
    kind, res = module(host, {}, config=before)
    assert kind == "Fail" and res["action"] == "rolled_back"
    assert res["msg"] == (
        "containerd did not take the new configuration (%s): containerd config dump failed: %s. containerd said: "
        'level=error msg="failed to load plugin". The previous files were put back and containerd restarted on them '
        "(CRI plugin now ok)." % (", ".join(changes("1.6.20", tmp_path)),
                                  rec("1.6.20", "config-dump-file-broken.stderr").strip()))
    assert (tmp_path / "config.toml").read_text() == before


def test_cri_not_coming_back_result_exactly(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-stopped"])
    kind, res = module(host, {}, config=rec("1.6.20", "config-docker-ce.toml"))
    err = rec("1.6.20", "ctr-plugins-stopped.stderr")
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): its CRI plugin is unreadable after 0s (ctr plugins ls: "
        '%s). containerd said: level=error msg="failed to load plugin". The previous files were put back and '
        "containerd restarted on them (CRI plugin now unreadable)." % (", ".join(changes("1.6.20", tmp_path)),
                                                                       err.strip()))
    assert res["rc"] == 1 and res["stderr"] == err and res["messages"] == []
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, CTR, JOURNAL, RESET, RESTART, CTR]


def test_failed_restart_without_journalctl_result_exactly(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1)
    kind, res = module(host, {}, config=rec("1.6.20", "config-docker-ce.toml"), missing=("journalctl",))
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): systemctl restart containerd failed: Job for "
        "containerd.service failed.. containerd said: nothing. The previous files were put back and containerd "
        "restarted on them (CRI plugin now not loaded)." % ", ".join(changes("1.6.20", tmp_path)))
    assert res["rc"] == 1 and res["action"] == "rolled_back"
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, RESET, RESTART, CTR]


def test_failed_restart_with_journalctl_names_what_containerd_said(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1)
    kind, res = module(host, {}, config=rec("1.6.20", "config-docker-ce.toml"))
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): systemctl restart containerd failed: Job for "
        'containerd.service failed.. containerd said: level=error msg="failed to load plugin". The previous files '
        "were put back and containerd restarted on them (CRI plugin now not loaded)."
        % ", ".join(changes("1.6.20", tmp_path)))
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, JOURNAL, RESET, RESTART, CTR]


def test_no_ctr_and_no_timeout_with_the_file_right(module, tmp_path):
    certs = tmp_path / "certs.d" / "docker.io"
    certs.mkdir(parents=True)
    (certs / "hosts.toml").write_text(rec("1.6.20", "hosts-docker.io.toml"))
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors=MIRRORS),
                       config=rec("1.6.20", "config-converged.toml"), missing=("ctr", "timeout"))
    assert kind == "Exit" and res["changed"] is False and res["action"] == "none" and res["cri"] is None
    assert res["messages"] == ["containerd not restarted: %s is already right, and its CRI plugin's status could "
                               "not be read (ctr plugins ls: ctr not found)" % (tmp_path / "config.toml")]
    assert raw(host) == [(["/usr/bin/containerd", "--version"], LANG)]


def test_no_systemctl_fails_before_anything_runs(module):
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, {}, config=rec("1.6.20", "config-converged.toml"), missing=("systemctl",))
    assert kind == "Fail" and res["msg"] == "Failed to find required executable systemctl" and host.calls == []


def test_no_containerd_result_exactly(module):
    host = Host("1.6.20", ["ctr-plugins-stopped"])
    kind, res = module(host, {}, check=True, missing=("containerd",))
    assert kind == "Exit" and res == dict(
        changed=False, action="no_containerd", changed_keys=[], hosts_files=[],
        messages=["check mode: containerd is not installed yet, so there is no configuration to check"])
    kind, res = module(host, {}, missing=("containerd",))
    assert kind == "Fail" and res == dict(
        changed=False, action="none", changed_keys=[], hosts_files=[], messages=[],
        msg="containerd is not installed here (no containerd binary): install the "
        "engine first (dockerops.host.docker_install_ubuntu or docker_install_centos).")
    assert host.calls == []


def test_started_before_message_and_command_exactly(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-converged"], dump="config-dump-debian-converged", main_pid=str(os.getpid()))
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-debian-converged.toml"))
    os.utime(str(path), (time.time() + 10, time.time() + 10))
    kind, res = module(host, {}, check=True)
    assert kind == "Exit" and res["messages"] == ["restart: containerd started before %s was last written" % path]
    assert raw(host) == [VERSION, CTR, SHOW]


def boot_time():
    with open("/proc/stat") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("btime"))


@pytest.mark.parametrize("main_pid", ["0", "", "999999999", "self"])
def test_containerd_started_after_the_file_or_unknown_is_not_restarted(module, tmp_path, main_pid):
    # "self": this process stands in for containerd, started after the file's time (set just after boot).
    host = Host("1.6.20", ["ctr-plugins-converged"], dump="config-dump-debian-converged",
                main_pid=str(os.getpid()) if main_pid == "self" else main_pid)
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-debian-converged.toml"))
    os.utime(str(path), (boot_time() + 2, boot_time() + 2))
    kind, res = module(host, {}, check=True)
    assert kind == "Exit" and res["changed"] is False and res["action"] == "none" and res["messages"] == []
    assert raw(host) == [VERSION, CTR, SHOW]


def own_start():
    """When this process started, in seconds since the epoch, from /proc (as containerd_config reads it)."""
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return boot_time() + ticks / float(os.sysconf("SC_CLK_TCK"))


@pytest.mark.parametrize("offset, restart", [(1.5, True), (0.5, False)])
def test_containerd_started_before_allows_one_second(module, tmp_path, offset, restart):
    # This process stands in for containerd; the file's time is set offset seconds after it started.
    host = Host("1.6.20", ["ctr-plugins-converged"], dump="config-dump-debian-converged", main_pid=str(os.getpid()))
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-debian-converged.toml"))
    os.utime(str(path), (own_start() + offset, own_start() + offset))
    kind, res = module(host, {}, check=True)
    assert kind == "Exit" and res["changed"] is restart
    assert res["action"] == ("would_restart" if restart else "none")


def test_restart_waits_for_the_cri_plugin(module, tmp_path, monkeypatch):
    slept = []
    monkeypatch.setattr(containerd_config.time, "sleep", slept.append)
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-stopped", "ctr-plugins-converged"])
    kind, res = module(host, dict(timeout=30), config=rec("1.6.20", "config-docker-ce.toml"))
    assert kind == "Exit" and res["action"] == "restarted" and res["cri"] == "ok"
    assert slept == [1]
    assert raw(host) == [VERSION, CTR, VALIDATE, SHOW, RESTART, CTR, CTR, DUMP]


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_the_file_containerd_checks_has_the_mode_of_the_file(module, tmp_path, mode):
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-docker-ce.toml"))
    path.chmod(mode)
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"])
    kind, res = module(host, {})
    assert kind == "Exit" and host.modes == [mode]


def test_check_mode_without_restart_and_a_removed_hosts_toml_in_the_diff(module, tmp_path):
    (tmp_path / "certs.d" / "docker.io").mkdir(parents=True)
    hosts = tmp_path / "certs.d" / "docker.io" / "hosts.toml"
    hosts.write_text(rec("1.6.20", "hosts-docker.io.toml"))
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE), check=True, diff=True,
                       config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is True and res["action"] == "none" and res["messages"] == []
    assert res["diff"] == dict(before_header=str(hosts), after_header=str(hosts),
                               before=rec("1.6.20", "hosts-docker.io.toml"), after="")
    assert hosts.exists() and host.restarts() == []


def test_cri_not_loaded_after_the_restart_is_rolled_back(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"])
    kind, res = module(host, {}, config=rec("1.6.20", "config-docker-ce.toml"))
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): its CRI plugin is not loaded after 0s (ctr plugins ls). "
        'containerd said: level=error msg="failed to load plugin". The previous files were put back and containerd '
        "restarted on them (CRI plugin now not loaded)." % ", ".join(changes("1.6.20", tmp_path)))
    assert res["rc"] == 0 and res["action"] == "rolled_back"


def test_failed_verification_names_the_sandbox_image(module, tmp_path):
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"], dump="config-dump-cri-disabled")
    kind, res = module(host, dict(sandbox_image=PAUSE), config=rec("1.6.20", "config-docker-ce.toml"))
    cri = "plugins.io.containerd.grpc.v1.cri."
    assert kind == "Fail" and res["msg"] == (
        "containerd did not take the new configuration (%s): %scontainerd.runtimes.runc.options.SystemdCgroup is null, "
        'not true; %scontainerd.runtimes.runc.runtime_type is null, not "io.containerd.runc.v2"; %ssandbox_image is '
        'null, not "registry.k8s.io/pause:3.10"; %sregistry.config_path is null, without %s; disabled_plugins still '
        'has cri. containerd said: level=error msg="failed to load plugin". The previous files were put back and '
        "containerd restarted on them (CRI plugin now ok)."
        % (", ".join(changes("1.6.20", tmp_path) + ['%ssandbox_image: unset -> "%s"' % (cri, PAUSE)]),
           cri, cri, cri, cri, tmp_path / "certs.d"))


def test_refusal_names_the_file(module, tmp_path):
    kind, res = module(Host("1.6.20", ["ctr-plugins-converged"]), {}, config="version = 3\n")
    assert kind == "Fail" and res["msg"] == (
        "%s has version = 3, which containerd 1.x does not read (it needs containerd 2.0 or later). Nothing was "
        "changed." % (tmp_path / "config.toml"))


def test_a_file_in_a_new_directory_is_checked_in_the_module_tmpdir(module, tmp_path, monkeypatch):
    (tmp_path / "modtmp").mkdir()
    monkeypatch.setattr(basic.AnsibleModule, "tmpdir", property(lambda self: str(tmp_path / "modtmp")))
    path = tmp_path / "etc" / "config.toml"
    host = Host("2.1.9", ["ctr-plugins-stopped", "ctr-plugins-converged"])
    kind, res = module(host, dict(path=str(path)))
    assert kind == "Exit" and res["action"] == "restarted" and path.read_text().startswith("version = 3\n")
    (checked, _text), = host.validated
    assert os.path.dirname(checked) == str(tmp_path / "modtmp") and os.listdir(str(tmp_path / "modtmp")) == []


def test_a_hosts_toml_this_module_wrote_is_updated_to_the_new_mirrors(module, tmp_path):
    (tmp_path / "certs.d" / "docker.io").mkdir(parents=True)
    hosts = tmp_path / "certs.d" / "docker.io" / "hosts.toml"
    hosts.write_text(rec("1.6.20", "hosts-docker.io.toml"))
    host = Host("1.6.20", ["ctr-plugins-converged"])
    kind, res = module(host, dict(sandbox_image=PAUSE, registry_mirrors={"docker.io": ["https://m2.example.com"]}),
                       config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is True and res["action"] == "none" and res["hosts_files"] == [str(hosts)]
    text = hosts.read_text()
    assert text.startswith("# Managed by dockerops.host") and "https://m2.example.com" in text
    assert "https://mirror.example.com" not in text and host.restarts() == []


@pytest.mark.parametrize("missing", [(), ("containerd",)], ids=["refused-url", "no-containerd"])
def test_a_mirror_password_stays_out_of_the_invocation(module, monkeypatch, missing):
    # What Ansible prints of a failed module at -vvv: the result with invocation.module_args, after masking the
    # module's no_log values (AnsibleModule._return_formatted does exactly this).
    def fail_json(self, **kw):
        raise Fail(basic.remove_values(dict(kw, invocation=dict(module_args=self.params)), self.no_log_values))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    host = Host("1.6.20", ["ctr-plugins-converged"])
    mirrors = {"docker.io": ["https://puller:pw-s3cr3t@m.example.com", "https://tok3n-only@n.example.com",
                             "no-scheme:pw-3@o.example.com", "https://u:pw-4@[bad/", "https://u:pw/5@p.example.com"],
               "quay.io": "https://not-a-list:pw-2@q.example.com"}
    kind, res = module(host, dict(registry_mirrors=mirrors), config="version = 2\n", missing=missing)
    assert kind == "Fail" and "registry_mirrors" in res["invocation"]["module_args"]
    text = json.dumps(res)
    for secret in ("pw-s3cr3t", "tok3n-only", "pw-2", "pw-3", "pw-4", "pw/5"):
        assert secret not in text
    assert "m.example.com" in text and "n.example.com" in text


# The last good copy: a run killed between its write and its check (review 11, #10) leaves this module's file in
# place with containerd not running on it; the next run puts back the file containerd last ran on, not that one.
def good(tmp_path):
    return tmp_path / ".config.toml.dockerops-good"


def aged(path):
    """The file written long before this test process (which stands in for containerd's main process) started."""
    os.utime(str(path), (time.time() - 10 ** 6, time.time() - 10 ** 6))


@pytest.mark.parametrize("unit", ["failed", "activating"])
def test_a_killed_run_is_rolled_back_to_the_last_good_file(module, tmp_path, unit):
    # The module's own file in place and containerd failed on it (or restarting over and over: systemd's
    # Restart=always), which a run killed between its write and its check leaves.
    original = rec("1.6.20", "config-docker-ce.toml")
    good(tmp_path).write_text(original)
    good(tmp_path).chmod(0o600)
    found = rec("1.6.20", "config-converged.toml")
    (tmp_path / "config.toml").write_text(found)
    host = Host("1.6.20", ["ctr-plugins-stopped"], main_pid=str(os.getpid()), unit=unit)
    kind, res = module(host, dict(sandbox_image=PAUSE))
    assert kind == "Fail" and res["action"] == "rolled_back"
    assert res["restored"] == "last_good" and res["last_good"] == str(good(tmp_path))
    assert (tmp_path / "config.toml").read_text() == original
    # The file found is kept: nothing is lost.
    with open(res["backup_file"]) as f:
        assert f.read() == found
    assert len(host.restarts()) == 2
    assert "The last config.toml containerd ran on (%s) and the previous hosts.toml files were put back" % \
        good(tmp_path) in res["msg"]
    assert res["messages"] == [
        "restart: containerd does not answer (ctr plugins ls: %s; the unit is %s) and last ran on %s, not on %s: an "
        "earlier run was interrupted" % (rec("1.6.20", "ctr-plugins-stopped.stderr").strip(), unit, good(tmp_path),
                                         tmp_path / "config.toml")]


def test_a_stopped_containerd_is_left_stopped(module, tmp_path):
    # Stopped by someone (inactive), on a file other than the last good one: not restarted, nothing written.
    good(tmp_path).write_text(rec("1.6.20", "config-docker-ce.toml"))
    host = Host("1.6.20", ["ctr-plugins-stopped"], main_pid=str(os.getpid()), unit="inactive")
    kind, res = module(host, dict(sandbox_image=PAUSE), config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is False and host.restarts() == []
    assert (tmp_path / "config.toml").read_text() == rec("1.6.20", "config-converged.toml")
    assert good(tmp_path).read_text() == rec("1.6.20", "config-docker-ce.toml")


def test_no_file_found_is_rolled_back_to_no_file(module, tmp_path):
    # No config.toml (containerd on its defaults, down now) and a last good copy from long ago: the failed run
    # removes the file it wrote, it does not put that old copy in place.
    good(tmp_path).write_text(rec("1.6.20", "config-docker-ce.toml"))
    host = Host("1.6.20", ["ctr-plugins-stopped"], restart_rc=1, main_pid=str(os.getpid()), unit="failed")
    kind, res = module(host, {})
    assert kind == "Fail" and res["restored"] == "previous"
    assert not (tmp_path / "config.toml").exists()


def test_a_file_whose_start_time_is_unknown_is_neither_saved_nor_replaced(module, tmp_path):
    # No MainPID to compare with: containerd may or may not run on the file found; it is not saved as the last good,
    # and a failed run puts it back as it was.
    good(tmp_path).write_text(rec("1.6.20", "config-debian.toml"))
    found = rec("1.6.20", "config-docker-ce.toml")
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1)
    kind, res = module(host, {}, config=found)
    assert kind == "Fail" and res["restored"] == "previous"
    assert (tmp_path / "config.toml").read_text() == found
    assert good(tmp_path).read_text() == rec("1.6.20", "config-debian.toml")


def test_containerd_down_on_its_last_good_file_is_not_restarted(module, tmp_path):
    # ctr gets no answer, and the file is the last one containerd ran on: nothing to learn from a restart.
    good(tmp_path).write_text(rec("1.6.20", "config-converged.toml"))
    host = Host("1.6.20", ["ctr-plugins-stopped"], main_pid=str(os.getpid()))
    kind, res = module(host, dict(sandbox_image=PAUSE), config=rec("1.6.20", "config-converged.toml"))
    assert kind == "Exit" and res["changed"] is False and host.restarts() == []


def test_a_healthy_start_is_saved_as_the_last_good_and_put_back_as_found(module, tmp_path):
    original = rec("1.6.20", "config-docker-ce.toml")
    path = tmp_path / "config.toml"
    path.write_text(original)
    aged(path)
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1, main_pid=str(os.getpid()))
    kind, res = module(host, {})
    assert kind == "Fail" and res["restored"] == "previous" and path.read_text() == original
    assert good(tmp_path).read_text() == original and oct(good(tmp_path).stat().st_mode & 0o7777) == "0o600"
    # A restart that passes its checks: the new file is the last good.
    aged(path)
    host = Host("1.6.20", ["ctr-plugins-cri-disabled", "ctr-plugins-converged"], main_pid=str(os.getpid()))
    kind, res = module(host, {})
    assert kind == "Exit" and res["action"] == "restarted"
    assert good(tmp_path).read_text() == path.read_text() != original


def test_a_file_written_after_containerd_started_is_not_the_last_good(module, tmp_path):
    original = rec("1.6.20", "config-docker-ce.toml")
    good(tmp_path).write_text(original)
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-debian.toml"))
    os.utime(str(path), (time.time() + 10, time.time() + 10))
    host = Host("1.6.20", ["ctr-plugins-converged", "ctr-plugins-stopped"], main_pid=str(os.getpid()))
    kind, res = module(host, {})
    assert kind == "Fail" and res["restored"] == "last_good" and path.read_text() == original
    assert good(tmp_path).read_text() == original


def test_check_mode_saves_no_last_good(module, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-docker-ce.toml"))
    aged(path)
    kind, res = module(Host("1.6.20", ["ctr-plugins-cri-disabled"], main_pid=str(os.getpid())), {}, check=True)
    assert kind == "Exit" and res["changed"] is True and not good(tmp_path).exists() and "last_good" not in res
