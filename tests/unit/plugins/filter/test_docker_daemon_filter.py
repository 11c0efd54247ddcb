"""The docker_daemon filters as the role calls them: module_utils errors become filter errors, secrets masked."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.docker_daemon import FilterModule

PASSWORD = 'p%n"w$x\\y'


def filters():
    # Built inside each test, not at import: mutmut 3 maps a test to the functions it calls while it runs.
    return FilterModule().filters()


# As roles/docker_daemon/vars/main.yml builds them.
def settings(http="", https="", no_proxy=""):
    return [{"name": "HTTP_PROXY", "var": "docker_daemon_http_proxy", "value": http},
            {"name": "HTTPS_PROXY", "var": "docker_daemon_https_proxy", "value": https},
            {"name": "NO_PROXY", "var": "docker_daemon_no_proxy", "value": no_proxy}]


def test_registry_mirrors_filter_passes_good_lists_through():
    mirrors = ["https://mirror.example.com", "http://10.0.0.5:5000/v2/"]
    assert filters()["_docker_registry_mirrors"](mirrors, "docker_daemon_registry_mirrors") == mirrors


@pytest.mark.parametrize("url, part", [
    ("https://user:%s@mirror.example.com" % PASSWORD, '"https://user:***@mirror.example.com" carries credentials'),
    ("https://mirror.example.com/?token=%s" % PASSWORD, '"https://mirror.example.com/?***" has a query'),
    ("https://mirror.example.com#%s" % PASSWORD, '"https://mirror.example.com#***" has a fragment'),
])
def test_registry_mirrors_filter_fails_naming_variable_and_index_with_the_secret_masked(url, part):
    with pytest.raises(AnsibleFilterError) as e:
        filters()["_docker_registry_mirrors"](["https://ok.example.com", url], "docker_daemon_registry_mirrors")
    assert str(e.value).startswith("docker_daemon_registry_mirrors[1]: " + part)
    assert PASSWORD not in str(e.value) and "p%n" not in str(e.value)


def test_proxy_env_file_filter():
    text = filters()["_docker_proxy_env_file"](settings(http="http://lab:%s@proxy:3128" % PASSWORD,
                                                       no_proxy="localhost"))
    assert text.splitlines()[1:] == ['HTTP_PROXY="http://lab:p%n\\"w\\$x\\\\y@proxy:3128"', 'NO_PROXY="localhost"']


def test_proxy_masked_filter():
    assert filters()["_docker_proxy_masked"](settings(https="http://lab:%s@proxy:3128" % PASSWORD)) == {
        "HTTPS_PROXY": "http://lab:***@proxy:3128"}


@pytest.mark.parametrize("name", ["_docker_proxy_env_file", "_docker_proxy_masked"])
def test_proxy_filters_refuse_a_newline_naming_the_variable_only(name):
    with pytest.raises(AnsibleFilterError) as e:
        filters()[name](settings(no_proxy="localhost\nHTTP_PROXY=http://lab:%s@evil" % PASSWORD))
    assert str(e.value).startswith("docker_daemon_no_proxy contains a newline or control character (U+000A")
    assert PASSWORD not in str(e.value) and "evil" not in str(e.value)


def test_only_the_filters_the_role_calls_are_public():
    # The merge with the fragments and the checks are the docker_daemon_config module's: no filter for them. The
    # role's own settings (_docker_daemon_settings) are built on the controller, before that one module call.
    assert set(filters()) == {"_docker_registry_mirrors", "_docker_proxy_env_file", "_docker_proxy_masked",
                              "_docker_daemon_settings"}
