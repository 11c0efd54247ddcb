"""containerd_config's decisions on recorded containerd 1.6.20 and 2.1.9 outputs (tests/unit/fixtures/containerd)."""
import os

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _containerd as c

try:
    import tomllib
except ImportError:  # pragma: no cover
    import tomli as tomllib

FIX = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures",
                   "containerd")
PATH = "/etc/containerd/config.toml"
PAUSE = "registry.k8s.io/pause:3.10"
MIRRORS = {"docker.io": ["https://mirror.example.com"]}


def rec(version, name):
    with open(os.path.join(FIX, version, name)) as f:
        return f.read()


def major(version):
    return c.parse_version(rec(version, "containerd-version.stdout"))[0]


# -- versions and ctr ------------------------------------------------------------------------------------------------

def test_version_of_debian_1_6_and_2_1():
    assert c.parse_version(rec("1.6.20", "containerd-version.stdout")) == (1, 6)
    assert c.parse_version(rec("2.1.9", "containerd-version.stdout")) == (2, 1)


def test_version_unreadable_is_refused():
    # The recorded stderr of a stopped containerd's ctr stands in for an answer that is no version line.
    for out in ("", rec("2.1.9", "ctr-plugins-stopped.stderr")):
        with pytest.raises(c.ContainerdError, match="cannot read containerd's version"):
            c.parse_version(out)


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_cri_row(version):
    assert c.cri_status(rec(version, "ctr-plugins-debian-config.stdout")) == "ok"
    assert c.cri_status(rec(version, "ctr-plugins-converged.stdout")) == "ok"
    # Docker CE's disabled_plugins = ["cri"]: no grpc cri row (2.x keeps its cri.v1 runtime and images rows).
    assert c.cri_status(rec(version, "ctr-plugins-cri-disabled.stdout")) is None
    assert c.cri_status(rec(version, "ctr-plugins-stopped.stdout")) is None


def test_cri_row_status_other_than_ok():
    # The recorded devmapper row (status error) renamed to the CRI row: no recording has a failed CRI plugin.
    row = [line for line in rec("1.6.20", "ctr-plugins-converged.stdout").splitlines() if "devmapper" in line][0]
    assert c.cri_status(row.replace("io.containerd.snapshotter.v1", "io.containerd.grpc.v1", 1)
                        .replace("devmapper", "cri      ", 1)) == "error"


# -- plan: Docker CE's file, Debian's file, containerd's default -----------------------------------------------------

@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_docker_ce_file_becomes_the_recorded_converged_file(version):
    got = c.plan(rec(version, "config-docker-ce.toml"), major(version), PATH, sandbox_image=PAUSE)
    assert got["text"] == rec(version, "config-converged.toml")
    assert got["version"] == (2 if version == "1.6.20" else 3)
    assert got["runtime_type"] == c.RUNC_V2
    assert got["changes"][:2] == ["version: unset -> %d" % got["version"], 'disabled_plugins: ["cri"] -> []']
    assert len(got["changes"]) == 6
    # The version line comes first, after the file's comments; the comments stay.
    assert got["text"].splitlines()[:3] == ["#   Copyright 2018-2022 Docker Inc.", "", "version = %d" % got["version"]]
    again = c.plan(got["text"], major(version), PATH, sandbox_image=PAUSE)
    assert again["changes"] == [] and again["text"] == got["text"]


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_debian_file_keeps_its_settings(version):
    before = rec(version, "config-debian.toml")
    got = c.plan(before, major(version), PATH)
    assert got["text"] == rec(version, "config-debian-converged.toml")
    assert got["version"] == 2  # a version 2 file stays version 2, also on containerd 2.x
    assert got["text"].startswith(before.rstrip("\n"))
    data = tomllib.loads(got["text"])
    cri = data["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["cni"] == {"bin_dir": "/usr/lib/cni", "conf_dir": "/etc/cni/net.d"}
    assert data["plugins"]["io.containerd.internal.v1.opt"] == {"path": "/var/lib/containerd/opt"}
    assert cri["containerd"]["runtimes"]["runc"] == {"runtime_type": c.RUNC_V2, "options": {"SystemdCgroup": True}}
    assert cri["registry"] == {"config_path": "/etc/containerd/certs.d"}
    assert "sandbox_image" not in cri


def test_default_config_is_edited_in_place():
    before = rec("1.6.20", "config-default.stdout")
    got = c.plan(before, 1, PATH, sandbox_image=PAUSE)
    assert got["changes"] == [
        'plugins.io.containerd.grpc.v1.cri.registry.config_path: "" -> "/etc/containerd/certs.d"',
        "plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options.SystemdCgroup: false -> true",
        'plugins.io.containerd.grpc.v1.cri.sandbox_image: "registry.k8s.io/pause:3.6" -> "registry.k8s.io/pause:3.10"']
    old, new = before.splitlines(), got["text"].splitlines()
    assert len(old) == len(new)
    diff = [(a, b) for a, b in zip(old, new) if a != b]
    assert diff == [('    sandbox_image = "registry.k8s.io/pause:3.6"', '    sandbox_image = "registry.k8s.io/pause:3.10"'),
                    ('            SystemdCgroup = false', '            SystemdCgroup = true'),
                    ('      config_path = ""', '      config_path = "/etc/containerd/certs.d"')]


def test_default_2_1_config_needs_only_two_keys():
    got = c.plan(rec("2.1.9", "config-default.stdout"), 2, PATH, sandbox_image=PAUSE)
    assert got["changes"] == [
        'plugins.io.containerd.cri.v1.images.registry.config_path: "" -> "/etc/containerd/certs.d"',
        "plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc.options.SystemdCgroup: false -> true"]


def test_systemd_cgroup_false_is_written_false():
    got = c.plan(rec("1.6.20", "config-converged.toml"), 1, PATH, systemd_cgroup=False, sandbox_image=PAUSE)
    assert got["changes"] == ["plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options.SystemdCgroup: "
                              "true -> false"]
    assert "  SystemdCgroup = false" in got["text"].splitlines()


def test_an_absent_file_is_created():
    got = c.plan("", 2, PATH)
    assert got["text"].startswith("version = 3\n")
    assert tomllib.loads(got["text"])["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]["runc"] == {
        "runtime_type": c.RUNC_V2, "options": {"SystemdCgroup": True}}


def test_other_disabled_plugins_stay_and_a_multi_line_list_is_replaced():
    # Synthetic: a user's multi-line list around Docker CE's entry.
    text = 'version = 2\ndisabled_plugins = [\n  "io.containerd.snapshotter.v1.devmapper",\n  "cri",\n]\noom_score = 0\n'
    got = c.plan(text, 1, PATH)
    lines = got["text"].splitlines()
    assert lines[:3] == ["version = 2", 'disabled_plugins = ["io.containerd.snapshotter.v1.devmapper"]',
                         "oom_score = 0"]
    assert got["changes"][0] == ('disabled_plugins: ["io.containerd.snapshotter.v1.devmapper", "cri"] -> '
                                 '["io.containerd.snapshotter.v1.devmapper"]')


@pytest.mark.parametrize("entry", c.CRI_IDS)
def test_every_cri_id_is_taken_out(entry):
    got = c.plan('version = 3\ndisabled_plugins = ["%s"]\n' % entry, 2, PATH)
    assert tomllib.loads(got["text"])["disabled_plugins"] == []


def test_a_config_path_that_includes_certs_d_is_kept():
    text = rec("1.6.20", "config-converged.toml").replace(
        'config_path = "/etc/containerd/certs.d"', 'config_path = "/etc/docker/certs.d:/etc/containerd/certs.d"')
    assert c.plan(text, 1, PATH, sandbox_image=PAUSE)["changes"] == []


def test_a_new_key_goes_into_an_existing_table():
    text = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  enable_selinux = false\n\n[debug]\n  level = "info"\n'
    got = c.plan(text, 1, PATH, sandbox_image=PAUSE)
    assert got["text"].splitlines()[2:5] == ['[plugins."io.containerd.grpc.v1.cri"]', "  enable_selinux = false",
                                             '  sandbox_image = "registry.k8s.io/pause:3.10"']
    empty = c.plan('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n', 1, PATH, sandbox_image=PAUSE)
    assert empty["text"].splitlines()[1:3] == ['[plugins."io.containerd.grpc.v1.cri"]',
                                               '  sandbox_image = "registry.k8s.io/pause:3.10"']
    top = c.plan("# only a comment\n", 1, PATH)
    assert top["text"].splitlines()[:2] == ["# only a comment", "version = 2"]


# -- plan: refusals, each naming the file and the key ----------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    # Synthetic: a version 1 layout (plugins.cri, no version line).
    ('[plugins.cri]\n  sandbox_image = "x"\n', "has plugin tables but no version key"),
    ("version = 1\n", "has version = 1"),
    ("version = 4\n", "has version = 4"),
    ("version = 3\n", "has version = 3, which containerd 1.x does not read"),
    ("version = [\n", "is not valid TOML"),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n',
     "sets plugins.io.containerd.grpc.v1.cri.registry.mirrors"),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/docker/certs.d"\n',
     'config_path = "/etc/docker/certs.d", which does not include /etc/containerd/certs.d'),
    ('version = 2\n[plugins]\n  "io.containerd.grpc.v1.cri" = { sandbox_image = "x" }\n', "cannot merge"),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  containerd.runtimes.runc.options.SystemdCgroup = false\n',
     "cannot merge plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.runtime_type into"),
])
def test_refusals_name_the_file(text, words):
    with pytest.raises(c.ContainerdError) as e:
        c.plan(text, 1, PATH)
    assert words in str(e.value) and PATH in str(e.value)
    assert "Nothing was changed" in str(e.value)


# -- hosts.toml and mirrors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_hosts_toml_is_the_recorded_one(version):
    assert c.hosts_toml("docker.io", MIRRORS["docker.io"]) == rec(version, "hosts-docker.io.toml")


def test_hosts_toml_other_registries():
    text = c.hosts_toml("registry.k8s.io", ["https://a.example.com", "http://b.example.com:5000/v2"])
    data = tomllib.loads(text)
    assert data == {"server": "https://registry.k8s.io",
                    "host": {"https://a.example.com": {"capabilities": ["pull", "resolve"]},
                             "http://b.example.com:5000/v2": {"capabilities": ["pull", "resolve"]}}}
    assert list(data["host"]) == ["https://a.example.com", "http://b.example.com:5000/v2"]
    assert "server" not in tomllib.loads(c.hosts_toml("_default", ["https://a.example.com"]))
    assert text.startswith(c.MANAGED % "registry.k8s.io" + "\n")


def test_mirrors_checked():
    c.check_mirrors({"docker.io": ["https://m.example.com"], "_default": ["http://10.0.0.1:5000"],
                     "registry.example.com:5000": ["https://m.example.com/path"]})
    for mirrors, words in [({"docker io": ["https://m"]}, '"docker io" is not a registry name'),
                           ({"docker.io": []}, "docker.io]: give a non-empty list"),
                           ({"docker.io": "https://m"}, "give a non-empty list"),
                           ({"docker.io": ["https://u:p@m"]}, '"https://u:***@m" is not a mirror URL'),
                           ({"docker.io": ["ftp://m"]}, "is not a mirror URL"),
                           ({"docker.io": ["https://m/?q=1"]}, "is not a mirror URL"),
                           ({"docker.io": [5]}, "5 is not a mirror URL")]:
        with pytest.raises(c.ContainerdError) as e:
            c.check_mirrors(mirrors, "k8s_node_containerd_registry_mirrors")
        assert words in str(e.value) and str(e.value).startswith("k8s_node_containerd_registry_mirrors")


def test_a_mirror_password_is_never_in_the_message():
    secret = "s3cr3t-Pa55"
    for mirrors, words in [({"docker.io": ["https://m.example.com", "https://alice:%s@m.example.com/v2" % secret]},
                            'registry_mirrors[docker.io][1]: "https://alice:***@m.example.com/v2" is not a mirror'),
                           ({"docker.io": ["https://%s@m.example.com" % secret]}, '"https://***@m.example.com"'),
                           ({"docker.io": ["https://alice:%s@m.example.com?x=%s" % (secret, secret)]},
                            '"https://alice:***@m.example.com?***"'),
                           ({"alice:%s@docker.io" % secret: ["https://m.example.com"]},
                            '"alice:***@docker.io" is not a registry name')]:
        with pytest.raises(c.ContainerdError) as e:
            c.check_mirrors(mirrors)
        assert secret not in str(e.value) and secret not in repr(e.value)
        assert words in str(e.value)


def test_a_trailing_newline_is_no_registry_and_no_mirror():
    with pytest.raises(c.ContainerdError, match=r'^registry_mirrors: "docker.io\\n" is not a registry name'):
        c.check_mirrors({"docker.io\n": ["https://m.example.com"]})
    with pytest.raises(c.ContainerdError, match=r'^registry_mirrors\[docker.io\]\[0\]: "https://m.example.com\\n" is not'):
        c.check_mirrors({"docker.io": ["https://m.example.com\n"]})


@pytest.mark.parametrize("s", ["\x7f", "\U0001F600", "caf\u00e9 \U0001F600\x7f", "".join(map(chr, range(0x20))),
                               'a"b\\c', "\ud7ff\ue000\uffff"])
def test_strings_round_trip_through_toml(s):
    text = "k = %s\n" % c.value(s)
    assert tomllib.loads(text) == {"k": s}
    assert "\\ud83d" not in text and "\x7f" not in text


def test_a_lone_surrogate_is_refused():
    with pytest.raises(c.ContainerdError, match="lone surrogate"):
        c.value("a\ud83d")


def test_redact():
    text = ('[plugins."io.containerd.grpc.v1.cri".registry.configs."r.io".auth]\n'
            '  username = "bob"\n  Password = \'p\'  # c\n  identitytoken = """a\nb\nc"""\n  sandbox_image = "x"\n'
            'configs."q".auth = { username = "u", password = "p" }\n"r.io" = { registry_token = "t", n = 1 }\n')
    assert c.redact(text) == (
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.io".auth]\n'
        '  username = "<redacted>"\n  Password = "<redacted>"  # c\n  identitytoken = "<redacted>"\n'
        '  sandbox_image = "x"\nconfigs."q".auth = "<redacted>"\n"r.io" = { registry_token = "<redacted>", n = 1 }\n')


def test_values():
    assert c.value(True) == "true" and c.value(False) == "false" and c.value(3) == "3"
    assert c.value('a"b') == '"a\\"b"' and c.value(["a", "b"]) == '["a", "b"]' and c.value([]) == "[]"
    with pytest.raises(c.ContainerdError):
        c.value(1.5)


@pytest.mark.parametrize("line, keys", [
    ('[plugins."io.containerd.grpc.v1.cri".containerd]', ("plugins", "io.containerd.grpc.v1.cri", "containerd")),
    ("  [ plugins . 'io.containerd.cri.v1.images' ]  # c", ("plugins", "io.containerd.cri.v1.images")),
    ('[a."b\\"c"]', ("a", 'b"c')),
    ("[[array]]", ("[[",)),
    ("key = 1", None),
    ("[a.]", None),
    ("[a b]", None),
])
def test_header_keys(line, keys):
    assert c.header_keys(line) == keys


# -- containerd config dump after the restart ------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_converged_dumps_show_everything(version):
    assert c.check_dump(rec(version, "config-dump-converged.stdout"), major(version), sandbox_image=PAUSE) == []
    assert c.check_dump(rec(version, "config-dump-debian-converged.stdout"), major(version)) == []


def test_cri_disabled_dumps_show_what_is_missing():
    assert c.check_dump(rec("1.6.20", "config-dump-cri-disabled.stdout"), 1) == [
        "plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options.SystemdCgroup is null, not true",
        'plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.runtime_type is null, not "io.containerd.runc.v2"',
        "plugins.io.containerd.grpc.v1.cri.registry.config_path is null, without /etc/containerd/certs.d",
        "disabled_plugins still has cri"]
    assert c.check_dump(rec("2.1.9", "config-dump-cri-disabled.stdout"), 2)[-1] == (
        "disabled_plugins still has io.containerd.grpc.v1.cri")


def test_debian_dump_has_neither_systemd_cgroup_nor_the_sandbox():
    got = c.check_dump(rec("2.1.9", "config-dump-debian-config.stdout"), 2, sandbox_image="registry.example.com/p:1")
    assert got == ["plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc.options.SystemdCgroup is false, "
                   "not true",
                   'plugins.io.containerd.cri.v1.images.pinned_images.sandbox is "registry.k8s.io/pause:3.10", not '
                   '"registry.example.com/p:1"',
                   'plugins.io.containerd.cri.v1.images.registry.config_path is "", without /etc/containerd/certs.d']
    assert c.check_dump(rec("1.6.20", "config-dump-debian-config.stdout"), 1, systemd_cgroup=False) == [
        'plugins.io.containerd.grpc.v1.cri.registry.config_path is "", without /etc/containerd/certs.d']


def test_dump_not_toml():
    with pytest.raises(c.ContainerdError, match="containerd config dump is not valid TOML"):
        c.check_dump("[", 1)


# -- exact messages and edge cases (mutation gate) -------------------------------------------------------------------

def test_loads_without_tomllib(monkeypatch):
    monkeypatch.setattr(c, "tomllib", None)
    with pytest.raises(c.ContainerdError) as e:
        c.loads("", PATH)
    assert str(e.value) == ("reading /etc/containerd/config.toml needs Python 3.11's tomllib (or the tomli package) "
                            "on the host")


def test_loads_invalid_toml_message():
    with pytest.raises(c.ContainerdError) as e:
        c.loads("version = [\n", PATH)
    assert str(e.value).startswith(PATH + " is not valid TOML (")
    assert str(e.value).endswith("): fix it first. Nothing was changed.")


def test_version_exact_messages_and_leading_v():
    # Synthetic: containerd.io's form of the version line (third field with a leading v).
    assert c.parse_version("containerd containerd.io v1.6.20 abc") == (1, 6)
    for out, shown in [(None, "''"), ("containerd x", "'containerd x'"), ("  ", "''")]:
        with pytest.raises(c.ContainerdError) as e:
            c.parse_version(out)
        assert str(e.value) == "cannot read containerd's version from `containerd --version`: %s" % shown


def test_restart_reason_exact():
    unread = ("containerd not restarted: /etc/containerd/config.toml is already right, and its CRI plugin's status "
              "could not be read (ctr plugins ls: %s)")
    assert c.restart_reason(True, None, 1, None, False, PATH) == (True, None)
    assert c.restart_reason(False, None, 1, None, False, PATH) == (False, unread % "exit status 1")
    assert c.restart_reason(False, None, 2, "", True, PATH) == (False, unread % "exit status 2")
    assert c.restart_reason(False, None, 1, rec("2.1.9", "ctr-plugins-stopped.stderr"), False, PATH) == (
        False, unread % " ".join(rec("2.1.9", "ctr-plugins-stopped.stderr").split()))
    assert c.restart_reason(False, None, 0, "", False, PATH) == (
        True, "restart: containerd's CRI plugin is not loaded (ctr plugins ls)")
    assert c.restart_reason(False, "error", 0, "", False, PATH) == (
        True, "restart: containerd's CRI plugin is error (ctr plugins ls)")
    assert c.restart_reason(False, "ok", 0, "", True, PATH) == (
        True, "restart: containerd started before /etc/containerd/config.toml was last written")
    assert c.restart_reason(False, "ok", 0, "", False, PATH) == (False, None)


@pytest.mark.parametrize("version", ["1.6.20", "2.1.9"])
def test_refused_exact(version):
    err = rec(version, "config-dump-file-broken.stderr")
    last = [line.strip() for line in err.splitlines() if line.strip()][-1]
    assert c.refused(1, err, PATH) == (
        "containerd does not take the new /etc/containerd/config.toml (containerd --config NEWFILE config dump "
        "exited 1: %s). Nothing was changed." % last)
    for err in (None, "", "\n  \n"):
        assert c.refused(2, err, PATH) == (
            "containerd does not take the new /etc/containerd/config.toml (containerd --config NEWFILE config dump "
            "exited 2: nothing said). Nothing was changed.")


def test_file_version_exact():
    assert c.file_version({"version": 2}, 1, PATH) == (2, False)
    assert c.file_version({"version": 2}, 2, PATH) == (2, False)
    assert c.file_version({"version": 3}, 2, PATH) == (3, False)
    assert c.file_version({}, 1, PATH) == (2, True)
    assert c.file_version({"disabled_plugins": ["cri"]}, 2, PATH) == (3, True)
    for data, msg in [
        ({"plugins": {}}, "/etc/containerd/config.toml has plugin tables but no version key: containerd reads it as "
                          "config version 1, whose layout this module does not merge into; add version = 2 (and the "
                          "version 2 plugin names) by hand, or start from `containerd config default`. Nothing was "
                          "changed."),
        ({"version": 3}, "/etc/containerd/config.toml has version = 3, which containerd 1.x does not read (it needs "
                         "containerd 2.0 or later). Nothing was changed."),
        ({"version": "2"}, '/etc/containerd/config.toml has version = "2": this module merges into config versions 2 '
                           'and 3 only. Nothing was changed.'),
    ]:
        with pytest.raises(c.ContainerdError) as e:
            c.file_version(data, 1, PATH)
        assert str(e.value) == msg


def test_check_mirrors_exact():
    for mirrors, msg in [
        ({5: ["https://m"]}, "registry_mirrors: 5 is not a registry name (host[:port], or _default)"),
        ({"docker.io": []}, "registry_mirrors[docker.io]: give a non-empty list of mirror URLs"),
        ({"docker.io": ["https://m", "ftp://m"]},
         'registry_mirrors[docker.io][1]: "ftp://m" is not a mirror URL (http(s)://host[:port][/path], no '
         'user:password@, query or fragment)'),
    ]:
        with pytest.raises(c.ContainerdError) as e:
            c.check_mirrors(mirrors)
        assert str(e.value) == msg


def test_toml_string_exact():
    assert c.value(" ") == '" "'
    assert c.value("\x1f\x7f\x00") == '"\\u001f\\u007f\\u0000"'
    assert c.value("\ud7ff\ue000") == '"\ud7ff\ue000"'
    for s in ("\ud800", "\udfff", "a\udc00"):
        with pytest.raises(c.ContainerdError) as e:
            c.value(s)
        assert str(e.value) == "cannot write %r as TOML: it holds a lone surrogate, not a character" % (s,)
    with pytest.raises(c.ContainerdError) as e:
        c.value(1.5)
    assert str(e.value) == "cannot write 1.5 as TOML"


def test_redact_values_that_only_look_like_keys():
    # A non-secret string or bare value that holds "password = x" is left as is; arrays and inline tables are searched.
    text = ('note = "password = x"\nmode = Xpassword=1\nlist = [{ token = "t" }]\n')
    assert c.redact(text) == 'note = "password = x"\nmode = Xpassword=1\nlist = [{ token = "<redacted>" }]\n'


def test_redact_multi_line_strings():
    assert c.redact('password = """a\nb"""\nx = 1\n') == 'password = "<redacted>"\nx = 1\n'
    assert c.redact("password = '''a\nb\nc'''\nx = 1\n") == 'password = "<redacted>"\nx = 1\n'
    assert c.redact('password = """abc\nmore\n"""\nx = 1\n') == 'password = "<redacted>"\nx = 1\n'
    assert c.redact('password = """"""\nx = 1\n') == 'password = "<redacted>"\nx = 1\n'
    assert c.redact('password = """abc"""\nx = 1\n') == 'password = "<redacted>"\nx = 1\n'
    assert c.redact("password = '''''' \nx = 1\n") == 'password = "<redacted>" \nx = 1\n'
    assert c.redact('x = 1\npassword = """abc') == 'x = 1\npassword = "<redacted>"'
    assert c.redact('password = """abc') == 'password = "<redacted>"'


@pytest.mark.parametrize("line, keys", [
    ("[", None),
    ("[a", None),
    ("[ a . ", None),
    ('[ "a"', None),
    ("[ 'a'", None),
    ("[Xa.b]", ("Xa", "b")),
    ('["a"X]', None),
    ('[""]', ("",)),
    ("['']", ("",)),
    ('["\\\\"]', ("\\",)),
    ("['a'.'b']", ("a", "b")),
])
def test_header_keys_edges(line, keys):
    assert c.header_keys(line) == keys


def test_statements_exact():
    assert c.statements(["a = 1"]) == [("key", 0, 0, "a")]
    assert c.statements(["", "# c", "[t]", "a = 1", "b = [", "  2,", "]"]) == [
        ("header", 2, 2, ("t",)), ("key", 3, 3, "a"), ("key", 4, 6, "b")]
    with pytest.raises(c.ContainerdError) as e:
        c.statements(["a = 1", "", "b ="])
    assert str(e.value) == "line 3 does not parse"


def test_set_key_exact():
    assert c.set_key([], ("t",), "a.b", 1) == ["[t]", '  "a.b" = 1']
    assert c.set_key(["a = 1", ""], ("t",), "k", 1) == ["a = 1", "", "[t]", "  k = 1"]
    assert c.set_key(["a = 1"], ("t", "u.v"), "k", 1) == ["a = 1", "", '[t."u.v"]', "  k = 1"]
    assert c.set_key(["[t]", "a = 1"], (), "x", 1) == ["x = 1", "[t]", "a = 1"]
    assert c.set_key(["a = [", "  1,", "]"], (), "version", 2) == ["version = 2", "a = [", "  1,", "]"]
    assert c.set_key(["[t]", "  a = [", "1]"], ("t",), "b", 1) == ["[t]", "  a = [", "1]", "  b = 1"]
    assert c.set_key(["  [t]", "[u]"], ("t",), "b", 1) == ["  [t]", "    b = 1", "[u]"]
    assert c.set_key(["[t]", "    b = 0 # c"], ("t",), "b", 1) == ["[t]", "    b = 1"]


def test_plan_returns_everything():
    got = c.plan("", 1, PATH)
    assert got == dict(
        text=('version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"'
              '\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = '
              '"io.containerd.runc.v2"\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
              '  SystemdCgroup = true\n'),
        changes=["version: unset -> 2",
                 'plugins.io.containerd.grpc.v1.cri.registry.config_path: unset -> "/etc/containerd/certs.d"',
                 'plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.runtime_type: unset -> '
                 '"io.containerd.runc.v2"',
                 "plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options.SystemdCgroup: unset -> true"],
        version=2, layout=c.LAYOUTS[2], runtime_type=c.RUNC_V2)


def test_plan_keeps_the_users_runtime_type_and_text():
    # Synthetic: the recorded converged file with another runtime_type, and without its last newline.
    text = rec("1.6.20", "config-converged.toml").replace('"io.containerd.runc.v2"', '"io.containerd.runsc.v1"')
    got = c.plan(text.rstrip("\n"), 1, PATH, sandbox_image=PAUSE)
    assert got["changes"] == [] and got["text"] == text.rstrip("\n")
    assert got["runtime_type"] == "io.containerd.runsc.v1"


def test_plan_refusal_messages_exact():
    for text, msg in [
        ('version = 2\n[plugins]\n  "io.containerd.grpc.v1.cri" = { sandbox_image = "x" }\n',
         "cannot merge plugins.io.containerd.grpc.v1.cri.registry.config_path into /etc/containerd/config.toml "
         "safely: the file defines that table in a way this module does not edit (an inline table or dotted keys). "
         'Set it by hand to "/etc/containerd/certs.d", or write the table as a [section] header. Nothing was '
         "changed."),
        ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://m"]\n',
         "/etc/containerd/config.toml sets plugins.io.containerd.grpc.v1.cri.registry.mirrors, which containerd "
         "refuses next to config_path (the hosts.toml directory this module manages): move those mirrors to "
         "k8s_node_containerd_registry_mirrors (hosts.toml) and remove the table. Nothing was changed."),
        ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/docker/certs.d"\n',
         '/etc/containerd/config.toml sets plugins.io.containerd.grpc.v1.cri.registry.config_path = '
         '"/etc/docker/certs.d", which does not include /etc/containerd/certs.d (where the registry mirrors\' '
         "hosts.toml files go): add it (directories are separated by ':') or set k8s_node_containerd_certs_dir to "
         "one of them. Nothing was changed."),
    ]:
        with pytest.raises(c.ContainerdError) as e:
            c.plan(text, 1, PATH)
        assert str(e.value) == msg


def test_plan_refuses_an_edit_that_changes_other_settings(monkeypatch):
    # The last check, reached through an edit that also adds a key (set_key wrapped): the file is left alone.
    set_key = c.set_key

    def also_adds(lines, table, key, new):
        return set_key(lines, table, key, new) + ([] if "zz_extra = 1" in lines else ["zz_extra = 1"])
    monkeypatch.setattr(c, "set_key", also_adds)
    with pytest.raises(c.ContainerdError) as e:
        c.plan(rec("1.6.20", "config-default.stdout"), 1, PATH, sandbox_image=PAUSE)
    assert str(e.value) == (
        "cannot merge plugins.io.containerd.grpc.v1.cri.registry.config_path, "
        "plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options.SystemdCgroup, "
        "plugins.io.containerd.grpc.v1.cri.sandbox_image into /etc/containerd/config.toml safely: the edit would "
        "change other settings of the file. Set them by hand. Nothing was changed.")


def test_check_dump_config_path_list_and_disabled_entries():
    dump = rec("1.6.20", "config-dump-converged.stdout")
    assert c.check_dump(dump.replace('config_path = "/etc/containerd/certs.d"',
                                     'config_path = "/etc/docker/certs.d:/etc/containerd/certs.d"'), 1,
                        sandbox_image=PAUSE) == []
    assert c.check_dump(dump.replace("disabled_plugins = []", 'disabled_plugins = ["cri", "io.containerd.grpc.v1.cri"]',
                                     1), 1, sandbox_image=PAUSE) == [
        "disabled_plugins still has cri, io.containerd.grpc.v1.cri"]
