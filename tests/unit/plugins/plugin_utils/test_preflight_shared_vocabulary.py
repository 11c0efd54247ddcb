"""The site preflight on the install roles' shared vocabulary (docker_install_mirror & co.), read from the roles'
real argument specs, and on a renamed variable."""
import os

import yaml

from ansible_collections.dockerops.host.plugins.plugin_utils import _preflight as pf

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")


def options():
    specs = {}
    for role in ("docker_install_ubuntu", "docker_install_centos"):
        with open(os.path.join(ROLES, role, "meta", "argument_specs.yml")) as f:
            specs[role] = yaml.safe_load(f)
    return pf.options_from_specs(specs)


def test_shared_variables_are_checked_like_the_roles_own():
    result = pf.check_variables({"docker_install_mirror": "tuna", "docker_install_version": "27.3",
                                 "docker_install_hold": "yes", "docker_install_channel": "stable"}, options())
    assert result == {"errors": [], "warnings": []}
    result = pf.check_variables({"docker_install_mirror": "dockerhub", "docker_install_hold": "sometimes"}, options())
    assert result["errors"] == [
        "docker_install_hold: 'sometimes' (string) is not of type bool",
        "docker_install_mirror: 'dockerhub' is not one of official, ustc, aliyun, tuna, custom",
    ]


def test_a_typo_in_a_shared_name_is_caught():
    result = pf.check_variables({"docker_install_mirorr": "tuna"}, options())
    assert result["warnings"] == [
        "docker_install_mirorr is not a variable of dockerops.host: did you mean `docker_install_mirror`?"]
    assert pf.check_variables({"docker_install_mirorr": "tuna"}, options(), strict=True)["errors"]


def test_a_renamed_variable_is_an_error_naming_the_new_name():
    result = pf.check_variables({"docker_install_centos_versionlock": False}, options())
    assert result["errors"] == [
        "docker_install_centos_versionlock was renamed docker_install_centos_hold in 0.2.0: set that instead"]
    assert "docker_install_centos_hold" in options()


def test_the_audit_playbooks_own_fact_is_not_taken_for_a_typo():
    # Seen in molecule engine28: site.yml run after the audit playbook in one process warned about it.
    assert pf.check_variables({"dockerops_audit_row": {"host": "h"}}, options()) == {"errors": [], "warnings": []}
