# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: the filters here whose names start with _ are internal to this collection's roles and playbooks, not public
API; they are undocumented in ansible-doc and may change without notice. Public, documented in
plugins/filter/<name>.yml: pgp_fingerprints.

`_docker_mirror_url` maps a mirror name to its base URL. A custom URL is refused unless it is http(s) with a host
(and optional port and path) or an absolute file:/// path, without whitespace, quotes, control characters,
credentials, query or fragment. Plain http from another host gets a warning.

`_docker_channel` maps a channel to one Docker still publishes, warning on deprecated ones.

`_docker_apt_queried` lists the package names the apt plan reads with one dpkg-query.

`_docker_apt_plan` decides what docker_install_ubuntu installs, removes and holds, from that dpkg-query's output and
the role's variables; `_docker_rpm_plan` does the same for docker_install_centos from package_facts
(plugin_utils/_docker_repo.py).

`pgp_fingerprints` lists the fingerprints of an OpenPGP public key block.

`_pgp_fingerprint` normalizes a full fingerprint (spaces removed, upper case); a key ID is refused. An optional
argument names the variable in the error.

`_docker_dpkg_selection_changes` lists the packages whose dpkg selection differs from the one given.

`_docker_runtime_removal_refusal` says why removing the distribution's runtime packages is refused (running
containers, an installed kubelet), or returns an empty string.

`_docker_engine_upgrade_refusal` says why installing an engine version is refused on a host whose engine runs
devicemapper (removed in Engine 25.0), given docker_storage_facts' `engine`, the version asked for and the version
installed; or returns an empty string.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible.utils.display import Display

from ansible_collections.dockerops.host.plugins.plugin_utils._filters import raising_filter_errors
from ansible_collections.dockerops.host.plugins.module_utils import _openpgp as openpgp, _storage as storage
from ansible_collections.dockerops.host.plugins.plugin_utils import _docker_repo as docker_repo

display = Display()


def _wrap(func):
    return raising_filter_errors(func, (docker_repo.DockerRepoError, openpgp.OpenPGPError))


def docker_mirror_url(mirror, custom_url=None, varname="mirror"):
    url = docker_repo.mirror_base_url(mirror, custom_url, varname)
    warning = docker_repo.plain_http_warning(url, varname + "_url")
    if warning:
        display.warning(warning)
    return url


def docker_channel(channel, varname="channel"):
    new, warning = docker_repo.canonical_channel(channel, varname)
    if warning:
        display.warning(warning)
    return new


class FilterModule(object):
    def filters(self):
        return {
            "_docker_mirror_url": _wrap(docker_mirror_url),
            "_docker_channel": _wrap(docker_channel),
            "_docker_apt_queried": _wrap(docker_repo.apt_queried),
            "_docker_apt_plan": _wrap(docker_repo.apt_plan),
            "_docker_rpm_plan": _wrap(docker_repo.rpm_plan),
            "pgp_fingerprints": _wrap(openpgp.fingerprints),
            "_pgp_fingerprint": _wrap(openpgp.normalize_fingerprint),
            "_docker_dpkg_selection_changes": _wrap(docker_repo.dpkg_selections_to_change),
            "_docker_runtime_removal_refusal": _wrap(docker_repo.runtime_removal_refusal),
            "_docker_engine_upgrade_refusal": _wrap(storage.upgrade_refusal),
        }
