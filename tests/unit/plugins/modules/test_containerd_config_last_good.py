"""containerd_config's last good copy: who owns it, how it fails to be written, and the unit state it asks systemd
for (the recorded containerd 1.6.20 answers of test_containerd_config.py)."""
import os

from test_containerd_config import Host, PAUSE, aged, good, module, rec  # noqa: F401 (module: the fixture)


def test_the_last_good_copy_is_roots(module, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-docker-ce.toml"))
    aged(path)
    kind, res = module(Host("1.6.20", ["ctr-plugins-cri-disabled"], restart_rc=1, main_pid=str(os.getpid())), {})
    st = good(tmp_path).stat()
    assert kind == "Fail" and (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o600)


def test_a_last_good_copy_that_cannot_be_written_fails_naming_it(module, tmp_path):
    # A directory where the copy goes: the rename fails; nothing else is written, no temporary file is left.
    good(tmp_path).mkdir()
    path = tmp_path / "config.toml"
    path.write_text(rec("1.6.20", "config-docker-ce.toml"))
    aged(path)
    host = Host("1.6.20", ["ctr-plugins-cri-disabled"], main_pid=str(os.getpid()))
    kind, res = module(host, {})
    assert kind == "Fail" and res["msg"].startswith("Could not write %s: " % good(tmp_path))
    assert "Is a directory" in res["msg"]
    assert path.read_text() == rec("1.6.20", "config-docker-ce.toml") and host.restarts() == []
    assert sorted(os.listdir(str(tmp_path))) == [".config.toml.dockerops-good", "config.toml"]


def test_the_unit_state_is_containerds(module, tmp_path):
    good(tmp_path).write_text(rec("1.6.20", "config-docker-ce.toml"))
    host = Host("1.6.20", ["ctr-plugins-stopped"], main_pid=str(os.getpid()), unit="inactive")
    module(host, dict(sandbox_image=PAUSE), config=rec("1.6.20", "config-converged.toml"))
    assert ["/usr/bin/systemctl", "is-active", "containerd.service"] in host.calls
