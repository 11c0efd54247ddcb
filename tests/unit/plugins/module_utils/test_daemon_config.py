import os
import subprocess

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _daemon_config as dc


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


@pytest.mark.parametrize("url", [
    "https://mirror.ccs.tencentyun.com", "http://10.0.0.5:5000", "https://reg.example.com/v2/",
    "https://mirror.example.com:443/some/path", "https://[::1]:5000", "https://[fe80::1%25eth0]", "http://localhost",
    "HTTPS://Mirror.Example.COM", "https://reg.example.com/a%20b/", "https://reg.example.com.",
])
def test_registry_mirrors_ok(url):
    assert dc.check_registry_mirrors([url]) == [url]


ALLOWED = "a registry mirror is an http:// or https:// URL of a host name or IP address, an optional :port"


@pytest.mark.parametrize("url, shown, problem", [
    ("mirror.example.com", '"mirror.example.com"', "is not a URL (no scheme://)"),
    ("ftp://mirror", '"ftp://mirror"', "has the scheme ftp:// (only http:// and https://)"),
    ("file:///srv/mirror", '"file:///srv/mirror"', "has the scheme file://"),
    ("https://", '"https://"', "has no host"),
    ("https://:5000", '"https://:5000"', "has no host"),
    ("https://a b", '"https://a b"', "has a whitespace, control or non-ASCII character (U+0020 at position 9)"),
    ("https://a\nb", '"https://a\\nb"', "(U+000A at position 9)"),
    ("https://mirror\t", '"https://mirror\\t"', "(U+0009 at position 14)"),
    ("https://mirror\x7f", '"https://mirror\\u007f"', "(U+007F at position 14)"),
    ("https://mirr\u00f6r.example", '"https://mirr\\u00f6r.example"', "non-ASCII character (U+00F6"),
    ("https://mirror/?token=s3cret", '"https://mirror/?***"', "has a query (?...)"),
    ("https://mirror#s3cret", '"https://mirror#***"', "has a fragment (#...)"),
    ("https://mirror:0", '"https://mirror:0"', "has the port '0'"),
    ("https://mirror:99999", '"https://mirror:99999"', "has the port '99999'"),
    ("https://mirror:http", '"https://mirror:http"', "has the port 'http'"),
    ("https://-mirror.example", '"https://-mirror.example"', "has the host '-mirror.example'"),
    ("https://mir_ror.example", '"https://mir_ror.example"', "has the host 'mir_ror.example'"),
    ("https://[::1", '"https://[::1"', "has the host '[::1'"),
    ("https://mirror/a\"b", '"https://mirror/a\\"b"', "has the path '/a\"b'"),
    ("https://mirror/a'b", '"https://mirror/a\'b"', "has the path"),
    ("https://mirror/%zz", '"https://mirror/%zz"', "has the path '/%zz'"),
])
def test_registry_mirror_refused_naming_variable_index_value_and_what_is_allowed(url, shown, problem):
    with pytest.raises(dc.DaemonConfigError) as e:
        dc.check_registry_mirrors(["https://ok.example.com", url], "docker_daemon_registry_mirrors")
    msg = str(e.value)
    assert msg.startswith("docker_daemon_registry_mirrors[1]: %s " % shown), msg
    assert problem in msg and ALLOWED in msg
    assert "\n" not in msg and "s3cret" not in msg


@pytest.mark.parametrize("url, shown", [
    ("https://user:s3cret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("http://user:s3cret@10.0.0.5:5000/v2/", '"http://user:***@10.0.0.5:5000/v2/"'),
    ("https://s3cret@mirror.example.com", '"https://***@mirror.example.com"'),
    ("https://user:s3c@ret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("https://user:s3c/ret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("https://user:s3c?ret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("https://user:s3c#ret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("https://us/er:s3cret@mirror.example.com", '"https://***@mirror.example.com"'),
    ("https://user:s3c ret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("https://user:s3c\nret@mirror.example.com", '"https://user:***@mirror.example.com"'),
    ("user:s3cret@mirror.example.com", '"user:***@mirror.example.com"'),
    ("ftp://user:s3cret@mirror.example.com", '"ftp://user:***@mirror.example.com"'),
])
def test_registry_mirror_credentials_refused_and_masked(url, shown):
    with pytest.raises(dc.DaemonConfigError) as e:
        dc.check_registry_mirrors([url], "docker_daemon_registry_mirrors")
    msg = str(e.value)
    assert msg.startswith("docker_daemon_registry_mirrors[0]: %s " % shown), msg
    assert "s3c" not in msg and "ret@" not in msg


@pytest.mark.parametrize("mirrors, message", [
    ("https://mirror.example.com", 'docker_daemon_registry_mirrors must be a list of URLs, got "https://mirror'),
    ({"url": "https://u:s3cret@m"}, "docker_daemon_registry_mirrors must be a list of URLs, got \"{'url': 'https://u:***@m"),
    ([5], "docker_daemon_registry_mirrors[0]: 5 is not a string"),
    ([None], "docker_daemon_registry_mirrors[0]: None is not a string"),
])
def test_registry_mirrors_must_be_a_list_of_strings(mirrors, message):
    with pytest.raises(dc.DaemonConfigError) as e:
        dc.check_registry_mirrors(mirrors, "docker_daemon_registry_mirrors")
    assert str(e.value).startswith(message) and "s3cret" not in str(e.value)


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
    ({"registry-mirrors": ["docker.io"]}, r'daemon option registry-mirrors\[0\]: "docker.io" is not a URL'),
    ({"registry-mirrors": ["https://u:s3cret@m"]}, r'registry-mirrors\[0\]: "https://u:\*\*\*@m" carries credentials'),
])
def test_values_dockerd_rejects_at_start_are_caught(config, message):
    with pytest.raises(dc.DaemonConfigError, match=message):
        dc.check_values(config)


def test_changed_keys_name_added_changed_and_removed_options():
    old = {"debug": False, "log-level": "info", "icc": False}
    new = {"debug": False, "log-level": "loud", "live-restore": True}
    assert dc.changed_keys(new, old) == ["icc (removed)", "live-restore=true", 'log-level="loud"']
    assert dc.changed_keys(old, old) == []


# --- the engine's proxy: a root-only systemd EnvironmentFile --------------------------------------------------


def settings(http="", https="", no_proxy=""):
    return [dict(name="HTTP_PROXY", var="docker_daemon_http_proxy", value=http),
            dict(name="HTTPS_PROXY", var="docker_daemon_https_proxy", value=https),
            dict(name="NO_PROXY", var="docker_daemon_no_proxy", value=no_proxy)]


def test_env_file_text():
    # Checked by hand against systemd.exec(5), "EnvironmentFile=": in "...", a backslash keeps one of "\`$.
    text = dc.proxy_env_file(settings(http='http://lab:p%n"w$x\\y`z\'q@proxy:3128', no_proxy="localhost,127.0.0.1"))
    assert text == ('# Managed by dockerops.host.docker_daemon\n'
                    'HTTP_PROXY="http://lab:p%n\\"w\\$x\\\\y\\`z\'q@proxy:3128"\n'
                    'NO_PROXY="localhost,127.0.0.1"\n')


def test_env_file_leaves_out_empty_settings():
    assert dc.proxy_env_file(settings()) == "# Managed by dockerops.host.docker_daemon\n"
    assert dc.proxy_masked(settings()) == {}


# Values a proxy password may hold; each must come back exactly. systemd documents its "..." rules as those of a
# POSIX shell's double quotes, so the system's sh reads the file back here (the molecule docker_daemon scenario
# reads it back through systemd and dockerd's environment).
ROUND_TRIP = [
    "http://proxy.example.com:3128",
    'http://lab:p%n"w$x@proxy:3128',
    'http://lab:%%h%i%%%@proxy:3128',
    'http://u:\\\\\\"\\$\\`@p',
    "http://u:'single'quote@p",
    "http://u:$(touch pwned)`touch pwned`${HOME}@p",
    "http://u:trailing\\@p",
    "http://u:ends-with-backslash\\",
    "  leading and trailing spaces  ",
    "localhost, 127.0.0.1,.example.com",
    "http://u:p#w;x=y@p",
    "http://u:\u00e9\u00e8\u4e2d@p",
    "=starts-with-equals",
    "#not-a-comment",
]


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_env_file_round_trips_through_sh(value, tmp_path):
    path = tmp_path / "proxy.env"
    path.write_text(dc.proxy_env_file(settings(http=value)), encoding="utf-8")
    out = subprocess.run(["sh", "-c", 'set -e; . "$1"; printf %s "$HTTP_PROXY"', "sh", str(path)], cwd=str(tmp_path),
                         check=True, capture_output=True, env={"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8"})
    assert out.stdout.decode("utf-8") == value
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("var, value, code", [
    ("docker_daemon_http_proxy", "http://u:s3cret@p\nTrusted=yes", "U+000A at position 17"),
    ("docker_daemon_https_proxy", "http://u:s3cret@p\r", "U+000D at position 17"),
    ("docker_daemon_no_proxy", "a\x00b", "U+0000 at position 1"),
    ("docker_daemon_http_proxy", "http://u:s3cret\t@p", "U+0009 at position 15"),
    ("docker_daemon_http_proxy", "http://u:s3cret\x1b[2J@p", "U+001B"),
    ("docker_daemon_http_proxy", "http://u:s3cret\x7f@p", "U+007F"),
    ("docker_daemon_http_proxy", "http://u:s3cret\x85@p", "U+0085"),
    ("docker_daemon_http_proxy", "http://u:s3cret\u2028@p", "U+2028"),
])
def test_newlines_and_control_characters_refused_naming_the_variable_not_the_value(var, value, code):
    s = settings(**{var.replace("docker_daemon_", "").replace("_proxy", "") if var != "docker_daemon_no_proxy"
                    else "no_proxy": value})
    for func in (dc.proxy_env_file, dc.proxy_masked, dc.proxy_settings):
        with pytest.raises(dc.DaemonConfigError) as e:
            func(s)
        msg = str(e.value)
        assert msg.startswith("%s contains a newline or control character (%s" % (var, code)), msg
        assert "s3cret" not in msg and "Trusted" not in msg


def test_a_value_must_be_a_string():
    with pytest.raises(dc.DaemonConfigError, match="docker_daemon_http_proxy must be a string, got list"):
        dc.proxy_settings(settings(http=["http://p"]))


def test_masked_settings_hide_passwords():
    assert dc.proxy_masked(settings(http='http://lab:p%n"w$x@proxy:3128', https="http://tok3n@proxy:3128",
                                    no_proxy="localhost")) == {
        "HTTP_PROXY": "http://lab:***@proxy:3128", "HTTPS_PROXY": "http://***@proxy:3128", "NO_PROXY": "localhost"}
