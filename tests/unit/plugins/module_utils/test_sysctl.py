import errno
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _sysctl as sysctl

BRIDGE = "net.bridge.bridge-nf-call-iptables"
FORWARD = "net.ipv4.ip_forward"
SYNCOOKIES = "net.ipv4.tcp_syncookies"


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

        def link(self, path, target):
            """A symbolic link in the fake root; an absolute target means the fake root's path."""
            p = root / path.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.symlink_to(target)

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


@pytest.mark.parametrize("winner,loser", [
    # The winner is earlier by directory (/etc before /usr/lib) but later by name ...
    ("/etc/sysctl.d/50-admin.conf", "/usr/lib/sysctl.d/10-vendor.conf"),
    # ... and later by directory but later by name, over /etc and /run.
    ("/usr/lib/sysctl.d/60-vendor.conf", "/etc/sysctl.d/20-admin.conf"),
    ("/usr/local/lib/sysctl.d/70-local.conf", "/run/sysctl.d/30-runtime.conf"),
])
def test_the_later_name_wins_whatever_the_directory(kernel, winner, loser):
    kernel.set(FORWARD, 1)
    kernel.file(winner, "net.ipv4.ip_forward = 1\n")
    kernel.file(loser, "net.ipv4.ip_forward = 0\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"
    assert res[FORWARD]["boot_source"] == winner + ":1"


def test_a_masked_file_sets_nothing(kernel):
    # /etc/sysctl.d/50-vendor.conf hides /usr/lib/sysctl.d/50-vendor.conf, the only file that sets it.
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/50-vendor.conf", "kernel.pid_max = 4194304\n")
    kernel.file("/usr/lib/sysctl.d/50-vendor.conf", "net.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "not_persisted"
    assert res[FORWARD]["boot_value"] is None


@pytest.mark.parametrize("mask", ["/dev/null", "empty"])
def test_a_link_to_dev_null_or_an_empty_file_masks(kernel, mask):
    kernel.set(FORWARD, 1)
    if mask == "empty":
        kernel.file("/run/sysctl.d/60-vendor.conf", "")
    else:
        kernel.link("/run/sysctl.d/60-vendor.conf", mask)
    kernel.file("/usr/lib/sysctl.d/60-vendor.conf", "net.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "not_persisted"


def test_a_dangling_link_or_a_directory_masks_nothing(kernel):
    kernel.set(FORWARD, 1)
    kernel.set(SYNCOOKIES, 1)
    kernel.link("/etc/sysctl.d/60-a.conf", "../nowhere.conf")
    kernel.file("/etc/sysctl.d/70-b.conf/x", "")
    kernel.file("/usr/lib/sysctl.d/60-a.conf", "net.ipv4.ip_forward = 1\n")
    kernel.file("/usr/lib/sysctl.d/70-b.conf", "net.ipv4.tcp_syncookies = 1\n")
    res, _ = kernel.check({FORWARD: 1, SYNCOOKIES: 1})
    assert res[FORWARD]["boot_source"] == "/usr/lib/sysctl.d/60-a.conf:1"
    assert res[SYNCOOKIES]["boot_source"] == "/usr/lib/sysctl.d/70-b.conf:1"


SYSCTL_CONF_ONLY = "# /etc/sysctl.conf - Configuration file for setting system variables\nnet.ipv4.ip_forward=1\n"


@pytest.mark.parametrize("link, target", [
    # Debian 12 (procps 4.0.2): a relative link in /etc/sysctl.d.
    ("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf"),
    # The SUSE layout, an absolute link: followed inside the root, since the host running the tests has its own
    # /etc/sysctl.conf, which must not be read.
    ("/usr/lib/sysctl.d/99-sysctl.conf", "/etc/sysctl.conf"),
])
def test_etc_sysctl_conf_is_read_through_a_link(kernel, link, target):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.conf", SYSCTL_CONF_ONLY)
    kernel.link(link, target)
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"
    assert res[FORWARD]["boot_source"] == "/etc/sysctl.conf:2"


def test_debian_13_does_not_read_etc_sysctl_conf(kernel):
    # procps 4.0.4-8 (Debian 13) no longer ships /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf.
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.conf", SYSCTL_CONF_ONLY)
    kernel.file("/usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "not_persisted"
    assert res[FORWARD]["boot_value"] is None
    assert res[FORWARD]["cause"] == (
        "set now, but lost at reboot: no sysctl.d file sets it (/etc/sysctl.conf:2 sets it, but systemd-sysctl does "
        "not read /etc/sysctl.conf on this host: no link such as /etc/sysctl.d/99-sysctl.conf points to it)")


def test_etc_sysctl_conf_counts_by_the_link_name(kernel):
    # Read as 99-sysctl.conf, it is overridden by a later name, and overrides earlier ones.
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n")
    kernel.link("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf")
    kernel.file("/etc/sysctl.d/90-dockerops.conf", "net.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "not_persisted"
    assert "/etc/sysctl.conf:1 sets 0 at boot" in res[FORWARD]["cause"]
    kernel.file("/usr/lib/sysctl.d/99-zz-dockerops.conf", "net.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"


@pytest.mark.parametrize("merged", [True, False])
def test_lib_sysctl_d_only_where_usr_is_not_merged(kernel, merged):
    kernel.set(FORWARD, 1)
    kernel.file("/usr/lib/sysctl.d/50-a.conf", "net.ipv4.ip_forward = 0\n")
    if merged:
        kernel.link("/lib", "usr/lib")
    else:
        kernel.file("/lib/sysctl.d/60-b.conf", "net.ipv4.ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == ("not_persisted" if merged else "ok")
    assert res[FORWARD]["boot_source"] == ("/usr/lib/sysctl.d/50-a.conf:1" if merged else "/lib/sysctl.d/60-b.conf:1")


RP = "net.ipv4.conf.all.rp_filter"


def test_globs_explicit_keys_and_exclusions(kernel):
    # systemd's own 50-default.conf: the glob sets every interface but `all`, which `-key` keeps it off.
    kernel.set(RP, 2)
    kernel.set("net.ipv4.conf.eth0.rp_filter", 2)
    kernel.set("net.ipv4.conf.hub0.rp_filter", 2)
    kernel.file("/usr/lib/sysctl.d/50-default.conf",
                "net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n")
    kernel.file("/etc/sysctl.d/10-hub.conf", "net.ipv4.conf.hub0.rp_filter = 1\n")
    res, _ = kernel.check({RP: 2, "net.ipv4.conf.eth0.rp_filter": 2, "net.ipv4.conf.hub0.rp_filter": 2})
    assert res["net.ipv4.conf.eth0.rp_filter"]["status"] == "ok"
    assert res["net.ipv4.conf.eth0.rp_filter"]["boot_source"] == "/usr/lib/sysctl.d/50-default.conf:2"
    assert res[RP]["status"] == "not_persisted" and res[RP]["boot_value"] is None
    # An explicit key wins over a glob even from an earlier file.
    assert res["net.ipv4.conf.hub0.rp_filter"]["boot_value"] == "1"


def test_slash_keys_dash_prefix_and_comments(kernel):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/10-a.conf", "; comment\n-net/ipv4/ip_forward = 1\n")
    res, _ = kernel.check({FORWARD: 1})
    assert res[FORWARD]["status"] == "ok"


@pytest.mark.parametrize("key", ["net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter",
                                 " /net/ipv4/conf/eth0.100/rp_filter"])
def test_keys_as_systemd_sysctl_reads_them(key):
    # sysctl.d(5): when the first separator is a slash, slashes and dots swap.
    assert sysctl.sysctl_key(key) == "net.ipv4.conf.eth0/100.rp_filter"


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


def test_missing_lists_only_the_missing_ones_by_name_with_their_cause(kernel):
    # What kernel_params' refusal shows: "name: cause" for each parameter the kernel lacks, none of the others.
    kernel.set(FORWARD, 0)
    res, _ = kernel.check({"net.ipv4.no_such_thing": 1, FORWARD: 1, BRIDGE: 1})
    assert sysctl.missing(res) == [
        BRIDGE + ": net.bridge.* exists only once the br_netfilter module is loaded, and it is not loaded",
        "net.ipv4.no_such_thing: the kernel has no such parameter (unknown name, or a module that provides it is "
        "not loaded)"]
    kernel.set(BRIDGE, 1)
    assert sysctl.missing(kernel.check({BRIDGE: 1, FORWARD: 1})[0]) == []


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


def test_unreadable_sysctl_file_is_named(kernel, monkeypatch):
    kernel.set(FORWARD, 1)
    kernel.file("/etc/sysctl.d/50-broken.conf", "net.ipv4.ip_forward = 1\n")
    real_open = open

    # Tests run as root, for whom modes do not stop a read: the read is refused here instead.
    def refusing_open(path, *args, **kwargs):
        if path.endswith("50-broken.conf"):
            raise IOError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(sysctl, "open", refusing_open, raising=False)
    with pytest.raises(sysctl.SysctlError, match=r"cannot read .*/etc/sysctl.d/50-broken.conf: Permission denied"):
        kernel.check({FORWARD: 1})
