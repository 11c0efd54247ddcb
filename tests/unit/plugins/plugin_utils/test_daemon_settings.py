"""docker_daemon's own settings (plugin_utils._daemon_settings, the _docker_daemon_settings filter), against what the
role's Jinja combine chain (roles/docker_daemon/tasks/preflight.yml until this change) built from the same variables."""
import itertools

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.dockerops.host.plugins.filter.docker_daemon import FilterModule
from ansible_collections.dockerops.host.plugins.plugin_utils import _daemon_settings as daemon_settings

# The expression the role used, verbatim, with _docker_daemon_cis as roles/docker_daemon/vars/main.yml held it.
OLD_CHAIN = (
    "{{ (({'log-driver': 'json-file', 'log-opts': {'max-size': docker_daemon_log_max_size, 'max-file': "
    "docker_daemon_log_max_file}} if docker_daemon_log_rotation else {})"
    " | combine({'live-restore': true} if docker_daemon_live_restore else {})"
    " | combine({'registry-mirrors': _docker_daemon_mirrors} if _docker_daemon_mirrors else {})"
    " | combine(_docker_daemon_cis if docker_daemon_cis_hardening else {}))"
    " | combine(docker_daemon_options, recursive=true) }}")
OLD_CIS = {"live-restore": True, "userland-proxy": False, "no-new-privileges": True, "icc": False}

OPTIONS = [
    {},
    {"log-opts": {"max-size": "50m", "compress": "true"}},  # merged into the role's log-opts
    {"log-driver": "journald"},  # replaces json-file, keeps the log-opts the role set
    {"live-restore": False, "icc": True, "registry-mirrors": ["https://other.example.com"]},
    {"log-opts": "not a mapping", "labels": ["a=b"]},  # a non-mapping replaces
]
MIRRORS = [[], ["https://mirror.example.com", "http://10.0.0.5:5000/v2/"]]


def old(options, rotation, live_restore, mirrors, cis):
    variables = dict(docker_daemon_options=options, docker_daemon_log_rotation=rotation,
                     docker_daemon_log_max_size="10m", docker_daemon_log_max_file="3",
                     docker_daemon_live_restore=live_restore, _docker_daemon_mirrors=mirrors,
                     docker_daemon_cis_hardening=cis, _docker_daemon_cis=OLD_CIS)
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(OLD_CHAIN))


def new(options, rotation, live_restore, mirrors, cis):
    return FilterModule().filters()["_docker_daemon_settings"](
        options, log_rotation=rotation, log_max_size="10m", log_max_file="3", live_restore=live_restore,
        mirrors=mirrors, cis_hardening=cis)


@pytest.mark.parametrize("options, rotation, live_restore, mirrors, cis",
                         list(itertools.product(OPTIONS, [True, False], [True, False], MIRRORS, [True, False])))
def test_the_same_settings_as_the_jinja_chain_built(options, rotation, live_restore, mirrors, cis):
    assert new(options, rotation, live_restore, mirrors, cis) == old(options, rotation, live_restore, mirrors, cis)


def test_the_role_defaults():
    assert new({}, True, True, [], False) == {"log-driver": "json-file", "log-opts": {"max-size": "10m",
                                                                                     "max-file": "3"},
                                              "live-restore": True}


def test_everything_off_is_the_options_alone():
    assert new({"debug": True}, False, False, [], False) == {"debug": True}


def test_cis_and_options_merged_recursively():
    got = new({"log-opts": {"compress": "true"}, "icc": True}, True, False, ["https://m.example.com"], True)
    assert got == {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3", "compress": "true"},
                   "registry-mirrors": ["https://m.example.com"], "live-restore": True, "userland-proxy": False,
                   "no-new-privileges": True, "icc": True}
    assert daemon_settings.CIS == OLD_CIS


def test_the_options_are_not_changed():
    options = {"log-opts": {"compress": "true"}}
    new(options, True, True, [], True)
    assert options == {"log-opts": {"compress": "true"}}
