"""The site playbook's preflight against the collection's real argument specs (roles/*/meta/argument_specs.yml)."""
import glob
import os
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dockerops.host.plugins.filter.preflight import FilterModule

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SPECS = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))


def filters():
    # Built inside each test, not at import: mutmut 3 maps a test to the functions it calls while it runs.
    return FilterModule().filters()


def preflight(variables, **kw):
    return filters()["_dockerops_preflight"](variables, SPECS, **kw)


def test_the_specs_are_found():
    assert len(SPECS) >= 6


def test_a_clean_inventory_passes():
    assert preflight({
        "docker_daemon_registry_mirrors": ["https://mirror.example.com"],
        "docker_daemon_log_max_file": "5",
        "docker_group_users": ["alice"],
        "dockerops_serial": 1,
        "ansible_host": "10.0.0.1",
        "unrelated_variable": "x",
    }, existing_users=["root", "alice"]) == {"errors": [], "warnings": []}


def test_a_typo_is_a_warning_naming_the_real_variable():
    out = preflight({"docker_daemon_registry_mirror": ["https://m.example.com"]})
    assert out["errors"] == []
    assert out["warnings"] == ["docker_daemon_registry_mirror is not a variable of dockerops.host: "
                               "did you mean `docker_daemon_registry_mirrors`?"]


def test_a_typo_is_an_error_when_strict():
    out = preflight({"docker_daemon_registry_mirror": []}, strict=True)
    assert out["warnings"] == []
    assert "did you mean `docker_daemon_registry_mirrors`?" in out["errors"][0]


def test_a_playbook_variable_typo_is_found_too():
    out = preflight({"dockerops_seriall": 1})
    assert "did you mean `dockerops_serial`?" in out["warnings"][0]


def test_a_bad_log_max_file_names_variable_value_and_what_is_allowed():
    out = preflight({"docker_daemon_log_max_file": "abc"})
    assert out["errors"] == ["docker_daemon_log_max_file: 'abc' is not a positive whole number of files, e.g. \"3\""]


def test_a_wrong_type_is_named():
    out = preflight({"docker_daemon_log_rotation": "maybe"})
    assert out["errors"] == ["docker_daemon_log_rotation: 'maybe' (string) is not of type bool"]


def test_a_bad_choice_lists_the_choices():
    out = preflight({"docker_storage_driver": "zfs"})
    assert out["errors"] == ["docker_storage_driver: 'zfs' is not one of auto, overlay2, devicemapper"]


def test_list_elements_are_checked():
    out = preflight({"docker_group_users": ["alice", {"name": "bob"}]}, existing_users=["alice", "bob"])
    assert out["errors"] == ["docker_group_users[1]: {'name': 'bob'} (mapping) is not of type str"]


def test_a_mapping_for_a_string_is_refused():
    out = preflight({"docker_daemon_http_proxy": {"url": "http://p:3128"}})
    assert out["errors"][0].startswith("docker_daemon_http_proxy: {'url'")


def test_a_missing_docker_group_user_is_an_error():
    out = preflight({"docker_group_users": ["alice", "ghost"]}, existing_users=["root", "alice"])
    assert out["errors"] == ["docker_group_users: ghost does not exist on this host (create it first, or set "
                             "docker_group_create_users: true)"]


def test_missing_users_pass_when_the_role_creates_them():
    out = preflight({"docker_group_users": ["ghost"], "docker_group_create_users": True}, existing_users=["root"])
    assert out["errors"] == []


def test_a_missing_rootless_user_is_an_error_even_with_create():
    out = preflight({"docker_group_rootless_users": ["ghost"], "docker_group_create_users": True},
                    existing_users=["root"])
    assert out["errors"] == ["docker_group_rootless_users: ghost does not exist on this host"]


def test_internal_role_variables_are_not_validated_or_suggested():
    # docker_install_common_* is set by the install roles, not by users, and has no user-facing prefix.
    assert preflight({"docker_install_common_mirror": "nope"}) == {"errors": [], "warnings": []}


def test_every_problem_is_reported_not_only_the_first():
    out = preflight({"docker_daemon_log_max_file": "abc", "docker_storage_driver": "zfs",
                     "docker_group_users": ["ghost"]}, existing_users=["root"])
    assert len(out["errors"]) == 3


def test_a_value_that_does_not_render_is_named():
    class Vars(dict):
        def __getitem__(self, key):
            raise ValueError("'nope' is undefined")

    out = preflight(Vars({"docker_daemon_log_max_size": None}))
    assert out["errors"] == ["docker_daemon_log_max_size: its value does not render: 'nope' is undefined"]


def test_the_roles_directory_gives_the_same_specs():
    variables = {"docker_daemon_registry_mirror": [], "docker_storage_driver": "zfs"}
    assert filters()["_dockerops_preflight"](variables, os.path.join(ROOT, "roles")) == preflight(variables)


def test_no_spec_files_is_refused():
    # The site playbook would otherwise pass every inventory: said as such.
    nothing = "^no argument spec files given: the preflight would check nothing$"
    with pytest.raises(AnsibleFilterError, match=nothing):
        filters()["_dockerops_preflight"]({}, [])
    with pytest.raises(AnsibleFilterError, match=nothing):
        filters()["_dockerops_preflight"]({}, os.path.join(ROOT, "no-such-dir"))


def test_an_unreadable_spec_file_is_named(tmp_path):
    broken = tmp_path / "roles" / "docker_daemon" / "meta" / "argument_specs.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("argument_specs: [\n")
    missing = str(tmp_path / "roles" / "gone" / "meta" / "argument_specs.yml")
    for path in (str(broken), missing):
        with pytest.raises(AnsibleFilterError) as e:
            filters()["_dockerops_preflight"]({}, SPECS + [path])
        assert str(e.value).startswith("cannot read the argument spec %s: " % path)
    # The roles directory is read the same way.
    with pytest.raises(AnsibleFilterError, match="^cannot read the argument spec %s: " % re.escape(str(broken))):
        filters()["_dockerops_preflight"]({}, str(tmp_path / "roles"))


def test_change_summary_filter():
    # As playbooks/site.yml passes the registered results: {} for a task that did not run.
    areas = [{"label": "engine installed or upgraded", "results": [{"changed": True}, {}]},
             {"label": "daemon options changed", "results": [{"changed": False}]}]
    assert filters()["_dockerops_change_summary"](areas) == "engine installed or upgraded"
    assert filters()["_dockerops_change_summary"]([{"label": "x", "results": [{}]}]) == "no change"
    assert set(filters()) == {"_dockerops_preflight", "_dockerops_change_summary"}
