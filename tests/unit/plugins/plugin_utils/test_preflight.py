"""Decisions of the preflight and the summary, on hand-written specs and registered results.

The results are shaped as ansible-core 2.19 registers them (seen in a lab run of site.yml): a plain task gives
{"changed": ...}, a loop gives {"changed": ..., "results": [...]}, a skipped task {"skipped": true, "changed": false}.
"""
from ansible_collections.dockerops.host.plugins.plugin_utils import _preflight as pf

SPECS = {
    "r": {"argument_specs": {"main": {"options": {
        "docker_daemon_opts": {"type": "dict", "options": {"a": {"type": "int"}}},
        "docker_daemon_n": {"type": "int"},
    }}}},
    "docker_install_common": {"argument_specs": {"main": {"options": {"docker_install_common_x": {"type": "str"}}}}},
}


def test_options_skip_internal_roles():
    assert sorted(pf.options_from_specs(SPECS)) == ["docker_daemon_n", "docker_daemon_opts"]


def test_integers_convert_like_ansible_and_bad_ones_are_named():
    opts = pf.options_from_specs(SPECS)
    assert pf.check_variables({"docker_daemon_n": "3"}, opts)["errors"] == []
    assert pf.check_variables({"docker_daemon_n": "three"}, opts)["errors"] == [
        "docker_daemon_n: 'three' (string) is not of type int"]


def test_suboptions_are_checked():
    opts = pf.options_from_specs(SPECS)
    assert pf.check_variables({"docker_daemon_opts": {"a": "x", "b": 1}}, opts)["errors"] == [
        "docker_daemon_opts.a: 'x' (string) is not of type int", "docker_daemon_opts.b: not an option (allowed: a)"]


def test_unknown_without_a_close_name_says_so():
    out = pf.check_variables({"docker_daemon_zzzzzzzzzz": 1}, pf.options_from_specs(SPECS))
    assert out["warnings"] == ["docker_daemon_zzzzzzzzzz is not a variable of dockerops.host: "
                               "no role or playbook of dockerops.host takes it"]


def test_long_values_are_shortened():
    out = pf.check_variables({"docker_daemon_n": "x" * 200}, pf.options_from_specs(SPECS))
    assert len(out["errors"][0]) < 120


def test_summary_names_changed_areas_only():
    areas = [
        {"label": "engine installed or upgraded", "results": [{"changed": True}, {}]},
        {"label": "daemon options changed", "results": [{"changed": False}]},
        {"label": "kernel modules or parameters", "results": [{"changed": False, "results": [
            {"changed": False}, {"changed": True}]}]},
        {"label": "engine restarted", "results": [{"skipped": True, "changed": False}]},
    ]
    assert pf.change_summary(areas) == "engine installed or upgraded, kernel modules or parameters"


def test_summary_without_changes():
    assert pf.change_summary([{"label": "x", "results": [{}, {"changed": False}]}]) == "no change"


def test_summary_ignores_non_results():
    assert pf.change_summary([{"label": "x", "results": ["", None]}]) == "no change"
