"""The roles' public surface, as `ansible-doc -t role -l dockerops.host` shows it (it lists every role with a meta/
argument_specs.yml, and each entry point in it).

  - An internal role (meta/main.yml's description starts with INTERNAL) says so in every entry point's
    short_description and at the top of its README, and no playbook calls it: only the roles (and tests) include it.
  - No entry point is there for the tests alone: a scenario that runs part of a role uses tasks_from on a task file
    with no entry point of its own.
"""
import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
               for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml")))
# Test-only entry points still in roles this change may not edit; remove the entry with the entry point.
KNOWN_TEST_ONLY = set()


def load(role, name):
    with open(os.path.join(ROOT, "roles", role, "meta", name)) as f:
        return yaml.safe_load(f)


def internal(role):
    return str(load(role, "main.yml")["galaxy_info"]["description"]).startswith("INTERNAL")


def test_docker_install_common_is_the_internal_role():
    assert len(ROLES) >= 8
    assert [r for r in ROLES if internal(r)] == ["docker_install_common"]


def test_an_internal_role_says_so_everywhere_ansible_doc_and_galaxy_show():
    for role in [r for r in ROLES if internal(r)]:
        specs = load(role, "argument_specs.yml")["argument_specs"]
        for entry, spec in specs.items():
            assert spec["short_description"].startswith("INTERNAL, not public API"), (role, entry)
        with open(os.path.join(ROOT, "roles", role, "README.md")) as f:
            readme = f.read()
        assert readme.split("\n\n")[1].startswith("**Internal role, not public API.**"), role


def test_no_playbook_calls_an_internal_role():
    for role in [r for r in ROLES if internal(r)]:
        for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
            with open(path) as f:
                assert not re.search(r"dockerops\.host\.%s\b" % role, f.read()), (path, role)


def callers(role, entry):
    """The role and playbook files that run role's entry point (include_role / import_role with tasks_from)."""
    out = []
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "**", "*.yml"), recursive=True) + \
            glob.glob(os.path.join(ROOT, "playbooks", "*.yml")):
        with open(path) as f:
            text = f.read()
        for m in re.finditer(r"name: dockerops\.host\.%s\s*\n\s*tasks_from: %s(\.yml)?\s*$" % (role, entry), text, re.M):
            out.append(path)
    return out


def test_no_entry_point_is_for_the_tests_alone():
    found = set()
    for role in ROLES:
        path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        if not os.path.exists(path):
            continue
        for entry in load(role, "argument_specs.yml")["argument_specs"]:
            if entry != "main" and not callers(role, entry):
                found.add((role, entry))
    assert found == KNOWN_TEST_ONLY
