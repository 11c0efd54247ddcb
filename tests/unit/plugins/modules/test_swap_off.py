"""swap_off's main(): a fake /proc and fstab from the recordings (tests/unit/fixtures/swap/README.md), commands
answered with recorded outputs."""
import os
import shutil
import tempfile

import pytest
from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.module_utils import _swap
from ansible_collections.dockerops.host.plugins.modules import swap_off

from harness import patch_exits, run_main

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "swap")


def recorded(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def recorded_run(name):
    return int(recorded(name + ".rc")), recorded(name + ".stdout"), recorded(name + ".stderr")


@pytest.fixture
def host(monkeypatch):
    """set(swaps=, meminfo=, fstab=, systemd=True) builds the host; run(args) runs the module and returns
    (kind, result, commands run)."""
    patch_exits(monkeypatch)
    base = tempfile.mkdtemp(prefix="swapoff")
    proc = os.path.join(base, "proc")
    os.makedirs(proc)
    os.makedirs(os.path.join(base, "run-systemd"))
    monkeypatch.setattr(swap_off, "PROC", proc)
    monkeypatch.setattr(swap_off, "ROOT", base)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    monkeypatch.setattr(basic.AnsibleModule, "backup_local", lambda self, path: path + ".bak")
    written = {}
    monkeypatch.setattr(swap_off._files, "write_atomic",
                        lambda module, path, content, **kw: written.__setitem__(path, content.decode("utf-8")))
    state = dict(answers={})
    calls = []

    def fake_run(self, argv, **kw):
        calls.append(argv)
        return state["answers"].get(argv[1], (0, "", ""))
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake_run)

    class Host(object):
        root = base
        fstab = os.path.join(base, "fstab")
        writes = written

        def set(self, swaps="proc-swaps-none.txt", meminfo="proc-meminfo-two.txt", fstab="fstab-with-swap.txt",
                systemd=True, answers=None):
            shutil.copy(os.path.join(FIX, swaps), os.path.join(proc, "swaps"))
            shutil.copy(os.path.join(FIX, meminfo), os.path.join(proc, "meminfo"))
            if fstab:
                shutil.copy(os.path.join(FIX, fstab), self.fstab)
            monkeypatch.setattr(swap_off, "SYSTEMD_RUN", os.path.join(base, "run-systemd" if systemd else "none"))
            state["answers"] = dict({"list-units": recorded_run("list-units-active"),
                                     "list-unit-files": recorded_run("list-unit-files-zram-none")}, **(answers or {}))

        def run(self, args=None):
            del calls[:]
            kind, res = run_main(swap_off.main, dict(dict(fstab=self.fstab), **(args or {})))
            return kind, res, list(calls)
    yield Host()
    shutil.rmtree(base)


def test_turns_off_comments_out_and_masks(host):
    host.set(swaps="proc-swaps-two.txt")
    kind, res, calls = host.run({"_ansible_diff": True})
    assert kind == "Exit" and res["changed"] is True
    assert res["swapped_off"] == ["/var/tmp/swap test", "/var/tmp/swapfile2"]
    assert res["fstab_lines"] == ["/swapfile none swap sw 0 0"]
    assert res["masked_units"] == ["swapfile.swap"]
    assert res["backup_file"] == host.fstab + ".bak"
    assert calls == [
        ["/usr/sbin/systemctl", "list-units", "--type", "swap", "--all", "--plain", "--no-legend", "--no-pager"],
        ["/usr/sbin/systemctl", "list-unit-files", "--no-legend", "--plain", "--no-pager", "--", "zramswap.service",
         "zram-config.service"],
        ["/usr/sbin/swapoff", "/var/tmp/swap test"],
        ["/usr/sbin/swapoff", "/var/tmp/swapfile2"],
        ["/usr/sbin/systemctl", "mask", "--", "swapfile.swap"],
    ]
    text = recorded("fstab-with-swap.txt")
    assert host.writes[host.fstab] == _swap.fstab_swap_lines(text)[0]
    assert res["diff"] == dict(before=text, after=host.writes[host.fstab], before_header=host.fstab,
                               after_header=host.fstab)
    assert res["active"] == _swap.parse_swaps(recorded("proc-swaps-two.txt"))


def test_check_mode_changes_nothing(host):
    host.set(swaps="proc-swaps-two.txt")
    kind, res, calls = host.run({"_ansible_check_mode": True})
    assert kind == "Exit" and res["changed"] is True
    assert res["swapped_off"] == ["/var/tmp/swap test", "/var/tmp/swapfile2"]
    assert res["masked_units"] == ["swapfile.swap"] and res["fstab_lines"] == ["/swapfile none swap sw 0 0"]
    assert [c[1] for c in calls] == ["list-units", "list-unit-files"]
    assert host.writes == {} and "backup_file" not in res and "diff" not in res


def test_nothing_to_do_is_unchanged(host):
    host.set(fstab="fstab-vm-image.txt", answers={"list-units": recorded_run("list-units-masked")})
    kind, res, calls = host.run()
    assert kind == "Exit" and res["changed"] is False
    assert [c[1] for c in calls] == ["list-units", "list-unit-files"]
    assert host.writes == {} and "backup_file" not in res


def test_swap_that_does_not_fit_is_refused_naming_both_figures(host):
    host.set(swaps="proc-swaps-used.txt", meminfo="proc-meminfo-used.txt")
    kind, res, calls = host.run()
    assert kind == "Fail"
    assert "does not fit in the memory available" in res["msg"] and "Nothing was changed" in res["msg"]
    fits, used, room = _swap.fits_in_memory(_swap.parse_swaps(recorded("proc-swaps-used.txt")),
                                            _swap.parse_meminfo(recorded("proc-meminfo-used.txt")))
    assert "(%d MiB on /swapfile)" % (used // 1024) in res["msg"]
    assert "(%d MiB, keeping 10 %% of the total)" % (max(room, 0) // 1024) in res["msg"]
    assert res["msg"] == (
        "Swap in use (%d MiB on /swapfile) does not fit in the memory available (%d MiB, keeping 10 %% of the total): "
        "swapoff would have the kernel kill processes, containers included. Nothing was changed. Free memory first, "
        "or set force: true (for the k8s_node role: k8s_node_swap_force: true) to accept it."
        % (used // 1024, max(room, 0) // 1024))
    assert res["active"] == _swap.parse_swaps(recorded("proc-swaps-used.txt"))
    assert calls == [] and host.writes == {}


def test_force_turns_it_off_anyway(host):
    host.set(swaps="proc-swaps-used.txt", meminfo="proc-meminfo-used.txt")
    kind, res, calls = host.run({"force": True})
    assert kind == "Exit" and ["/usr/sbin/swapoff", "/swapfile"] in calls


def test_swapoff_failure_fails_before_writing(host):
    host.set(swaps="proc-swaps-two.txt", answers={"list-units": recorded_run("list-units-active"),
                                                  "/var/tmp/swap test": recorded_run("swapoff-not-active")})
    kind, res, calls = host.run()
    assert kind == "Fail"
    assert res["msg"] == ("/usr/sbin/swapoff /var/tmp/swap test failed: "
                          "swapoff: /var/tmp/swapfile2: swapoff failed: Invalid argument")
    assert res["rc"] == 4
    assert res["cmd"] == ["/usr/sbin/swapoff", "/var/tmp/swap test"]
    assert res["stderr"] == "swapoff: /var/tmp/swapfile2: swapoff failed: Invalid argument\n"
    assert res["stdout"] == ""
    assert calls[-1] == ["/usr/sbin/swapoff", "/var/tmp/swap test"]
    assert host.writes == {}


def test_without_systemd_no_units(host):
    host.set(systemd=False)
    kind, res, calls = host.run()
    assert kind == "Exit" and res["masked_units"] == [] and calls == []
    assert res["changed"] is True and res["fstab_lines"] == ["/swapfile none swap sw 0 0"]


def test_mask_units_false_asks_no_systemctl(host):
    host.set()
    kind, res, calls = host.run({"mask_units": False, "backup": False})
    assert kind == "Exit" and res["masked_units"] == [] and calls == []
    assert "backup_file" not in res and host.fstab in host.writes


def test_absent_fstab_is_no_swap_line(host):
    host.set(fstab=None)
    kind, res, calls = host.run()
    assert kind == "Exit" and res["fstab_lines"] == []


def test_unreadable_proc_fails_naming_it(host):
    host.set()
    os.unlink(os.path.join(swap_off.PROC, "swaps"))
    kind, res, calls = host.run()
    assert kind == "Fail" and res["msg"].startswith("Could not read %s/swaps: " % swap_off.PROC)


def test_systemctl_failure_is_reported(host):
    # Recorded in a container without systemd as PID 1 (here told that /run/systemd/system exists).
    host.set(answers={"list-units": recorded_run("list-units-no-systemd")})
    kind, res, calls = host.run()
    assert kind == "Fail" and res["rc"] == 1
    assert res["msg"].endswith("failed: System has not been booted with systemd as init system (PID 1). Can't "
                               "operate.\nFailed to connect to bus: Host is down")
    assert host.writes == {}


ZRAM_GENERATOR = "/lib/systemd/system-generators/zram-generator"


def test_recorded_generator_path_is_one_looked_for():
    # dpkg -L systemd-zram-generator on Debian 12 (tests/unit/fixtures/swap/README.md).
    paths = recorded("dpkg-L-systemd-zram-generator.txt").split()
    assert ZRAM_GENERATOR in paths and ZRAM_GENERATOR in _swap.ZRAM_GENERATORS


def zram_host(host, generator=True, services="list-unit-files-zram-tools"):
    host.set(fstab="fstab-vm-image.txt", answers={"list-units": recorded_run("list-units-masked"),
                                                  "list-unit-files": recorded_run(services)})
    if generator:
        os.makedirs(host.root + os.path.dirname(ZRAM_GENERATOR))
        with open(host.root + ZRAM_GENERATOR, "w") as f:
            f.write("")


def test_zram_generator_and_zramswap_masked(host):
    zram_host(host)
    kind, res, calls = host.run()
    assert kind == "Exit" and res["changed"] is True
    assert res["masked_units"] == ["zramswap.service"]
    assert res["masked_generators"] == ["/etc/systemd/system-generators/zram-generator"]
    assert os.readlink(host.root + "/etc/systemd/system-generators/zram-generator") == "/dev/null"
    assert calls[-1] == ["/usr/sbin/systemctl", "mask", "--", "zramswap.service"]
    assert res["swapped_off"] == [] and res["fstab_lines"] == [] and host.writes == {}


def test_zram_check_mode_masks_nothing(host):
    zram_host(host)
    kind, res, calls = host.run({"_ansible_check_mode": True})
    assert kind == "Exit" and res["changed"] is True
    assert res["masked_units"] == ["zramswap.service"]
    assert res["masked_generators"] == ["/etc/systemd/system-generators/zram-generator"]
    assert not os.path.lexists(host.root + "/etc/systemd/system-generators/zram-generator")
    assert [c[1] for c in calls] == ["list-units", "list-unit-files"]


def test_zram_already_masked_is_unchanged(host):
    zram_host(host, services="list-unit-files-zram-masked")
    os.makedirs(host.root + "/etc/systemd/system-generators")
    os.symlink("/dev/null", host.root + "/etc/systemd/system-generators/zram-generator")
    kind, res, calls = host.run()
    assert kind == "Exit" and res["changed"] is False
    assert res["masked_units"] == [] and res["masked_generators"] == []


def test_zram_generator_left_alone_without_systemd_as_pid_1(host):
    # The generator is installed but /run/systemd/system is absent (a container): nothing masked, as documented.
    zram_host(host)
    host.set(fstab="fstab-vm-image.txt", systemd=False)
    kind, res, calls = host.run()
    assert kind == "Exit" and res["changed"] is False and calls == []
    assert res["masked_units"] == [] and res["masked_generators"] == []
    assert not os.path.lexists(host.root + "/etc/systemd/system-generators/zram-generator")


def test_zram_left_alone_with_mask_units_false(host):
    zram_host(host)
    kind, res, calls = host.run({"mask_units": False})
    assert kind == "Exit" and res["changed"] is False and calls == []
    assert res["masked_generators"] == []


def test_list_unit_files_failure_is_reported(host):
    # Synthetic: exit 1 with words (the recorded exit 1, no unit installed, printed nothing), and another status.
    host.set(answers={"list-unit-files": (1, "", "Failed to connect to bus: Host is down\n")})
    kind, res, calls = host.run()
    assert kind == "Fail" and res["msg"].endswith("failed: Failed to connect to bus: Host is down")
    host.set(answers={"list-unit-files": (1, "zramswap.service bad enabled\n", "")})
    kind, res, calls = host.run()
    assert kind == "Fail" and res["rc"] == 1 and host.writes == {}
    host.set(answers={"list-unit-files": (4, "", "Failed to connect to bus: Host is down\n")})
    kind, res, calls = host.run()
    assert kind == "Fail" and res["msg"].endswith("failed: Failed to connect to bus: Host is down")
