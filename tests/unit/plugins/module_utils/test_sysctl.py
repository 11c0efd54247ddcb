import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import sysctl

BRIDGE = "net.bridge.bridge-nf-call-iptables"
FORWARD = "net.ipv4.ip_forward"


@pytest.fixture
def kernel(tmp_path):
    """A fake kernel and /etc: returns helpers to set values, modules and files."""
    proc_sys = tmp_path / "proc" / "sys"
    (tmp_path / "sys" / "module").mkdir(parents=True)
    (tmp_path / "proc").mkdir()
    root = tmp_path / "root"

    class K:
        def set(self, name, value):
            p = proc_sys.joinpath(*name.split("."))
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("%s\n" % value)

        def modules(self, *names):
            (tmp_path / "proc" / "modules").write_text(
                "".join("%s 32768 0 - Live 0x0000000000000000\n" % n for n in names))

        def file(self, path, text):
            p = root / path.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

        def check(self, params, modules=()):
            return sysctl.check(params, modules, proc_sys=str(proc_sys), root=str(root),
                                proc_modules=str(tmp_path / "proc" / "modules"),
                                sys_module=str(tmp_path / "sys" / "module"))

    k = K()
    k.modules()
    return k


def test_ok_when_set_now_and_at_boot(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/90-dockerops.conf", "# managed\nnet.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"
    assert res[FORWARD]["boot_source"] == "/etc/sysctl.d/90-dockerops.conf:2"


def test_not_persisted_when_no_file_sets_it(kernel):
    kernel.set(FORWARD, 1)
    res, _ = kernel.check({FORWARD: "1"})
    assert res[FORWARD]["status"] == "not_persisted"
    assert "lost at reboot" in res[FORWARD]["cause"]


def test_later_file_wins_in_systemd_order(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/90-dockerops.conf", "net.ipv4.ip_forward=1\n")
    kernel.file("/usr/lib/sysctl.d/99-vendor.conf", "net.ipv4.ip_forward=0\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "not_persisted"
    assert res[FORWARD]["boot_value"] == "0"
    assert "/usr/lib/sysctl.d/99-vendor.conf:1 sets 0 at boot" in res[FORWARD]["cause"]


def test_etc_masks_the_same_name_in_usr_lib(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/99-vendor.conf", "net.ipv4.ip_forward=1\n")
    kernel.file("/usr/lib/sysctl.d/99-vendor.conf", "net.ipv4.ip_forward=0\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"


def test_etc_sysctl_conf_applies_last(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/90-dockerops.conf", "net.ipv4.ip_forward=1\n")
    kernel.file("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["boot_source"] == "/etc/sysctl.conf:1"
    assert res[FORWARD]["status"] == "not_persisted"


def test_slash_keys_dash_prefix_and_comments(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/10-a.conf", "; comment\n-net/ipv4/ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"


def test_mismatch(kernel):
    kernel.set(FORWARD, 0)
    kernel.file("/etc/sysctl.d/90-dockerops.conf", "net.ipv4.ip_forward=1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "mismatch"
    assert res[FORWARD]["cause"] == "the kernel has 0, 1 is wanted"


def test_multi_word_values_compare_by_words(kernel):
    kernel.set("net.ipv4.tcp_rmem", "4096\t131072\t6291456")
    kernel.file("/etc/sysctl.d/90-x.conf", "net.ipv4.tcp_rmem = 4096 131072  6291456\n")
    res, _ = kernel.check({"net.ipv4.tcp_rmem": "4096 131072 6291456"})
    assert res["net.ipv4.tcp_rmem"]["status"] == "ok"


def test_missing_bridge_key_names_br_netfilter(kernel):
    res, _ = kernel.check({BRIDGE: 1})
    assert res[BRIDGE]["status"] == "missing"
    assert res[BRIDGE]["actual"] is None
    assert "only once the br_netfilter module is loaded, and it is not loaded" in res[BRIDGE]["cause"]


def test_missing_unknown_parameter(kernel):
    res, _ = kernel.check({"net.ipv4.no_such_thing": 1})
    assert res["net.ipv4.no_such_thing"]["status"] == "missing"
    assert "the kernel has no such parameter" in res["net.ipv4.no_such_thing"]["cause"]


def test_modules_loaded_and_at_boot(kernel):
    kernel.modules("br_netfilter", "bridge")
    kernel.file("/etc/modules-load.d/dockerops.conf", "# for docker\nbr_netfilter\noverlay\n")
    _, mods = kernel.check({}, ["br_netfilter", "overlay", "ip_vs"])
    assert mods == {"br_netfilter": {"loaded": True, "at_boot": True},
                    "overlay": {"loaded": False, "at_boot": True},
                    "ip_vs": {"loaded": False, "at_boot": False}}


@pytest.mark.parametrize("name", ["net", "net..ipv4", "net.ipv4.ip_forward; reboot", "../etc/passwd", "", None])
def test_bad_parameter_name_is_refused_naming_it(kernel, name):
    with pytest.raises(sysctl.SysctlError, match="is not a kernel parameter name"):
        kernel.check({name: 1})


def test_non_numeric_value_for_a_numeric_key(kernel):
    kernel.set(FORWARD, 0)
    with pytest.raises(sysctl.SysctlError, match=r"net.ipv4.ip_forward takes numbers \(the kernel has '0'\), not 'yes'"):
        kernel.check({FORWARD: "yes"})


def test_empty_value_is_refused(kernel):
    kernel.set(FORWARD, 0)
    with pytest.raises(sysctl.SysctlError, match="no value given for net.ipv4.ip_forward"):
        kernel.check({FORWARD: " "})


def test_group_name_is_refused(kernel):
    kernel.set(FORWARD, 0)
    with pytest.raises(sysctl.SysctlError, match="net.ipv4 is a group of parameters"):
        kernel.check({"net.ipv4": 1})


def test_unreadable_sysctl_file_is_named(kernel, tmp_path):
    kernel.set(FORWARD, 1)
    # Tests run as root, for whom modes do not stop a read: a directory does.
    os.makedirs(str(tmp_path / "root" / "etc" / "sysctl.d" / "50-broken.conf" / "x"))
    with pytest.raises(sysctl.SysctlError, match=r"cannot read .*/etc/sysctl.d/50-broken.conf: Is a directory"):
        kernel.check({FORWARD: 1})
