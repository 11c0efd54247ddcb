"""The dependency collections are listed once, in requirements.yml; galaxy.yml's
dependencies (what the built collection brings along) must agree with it
(tests/check-dependencies.py). The lab keys and reuses its collections directory
by that list (tests/lab/dependency_collections.py), on fake collection trees.
The unit-only venv (make unit without the lab) takes the lab venv's versions."""
import importlib.util
import json
import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/tools
ROOT = os.path.dirname(os.path.dirname(HERE))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deps = load("dependency_collections", os.path.join(ROOT, "tests", "lab", "dependency_collections.py"))
check = load("check_dependencies", os.path.join(ROOT, "tests", "check-dependencies.py"))


def test_galaxy_yml_and_requirements_yml_agree():
    assert check.problems([]) == []
    assert set(deps.read_requirements(os.path.join(ROOT, "requirements.yml"))) >= {
        "community.docker", "ansible.posix", "community.general"}


def copy_root(tmp_path, galaxy_edit=None, requirements_edit=None):
    for name, edit in (("galaxy.yml", galaxy_edit), ("requirements.yml", requirements_edit)):
        with open(os.path.join(ROOT, name)) as f:
            text = f.read()
        if edit:
            assert edit[0] in text
            text = text.replace(*edit)
        (tmp_path / name).write_text(text)
    return str(tmp_path)


def test_a_range_narrowed_in_galaxy_yml_only_is_found(tmp_path):
    root = copy_root(tmp_path, galaxy_edit=('">=8.0.0,<13.0.0"', '">=9.0.0,<13.0.0"'))
    assert check.problems([], root) and "differ" in check.problems([], root)[0]


def test_a_collection_missing_from_requirements_yml_is_found(tmp_path):
    root = copy_root(tmp_path, requirements_edit=("  - name: ansible.posix\n", "  - name: ansible.utils\n"))
    assert check.problems([], root)


@pytest.mark.parametrize("version, spec, expected", [
    ("3.10.0", ">=3.10.0,<6.0.0", True), ("6.0.0", ">=3.10.0,<6.0.0", False), ("3.9.9", ">=3.10.0,<6.0.0", False),
    ("11.4.2", ">=8.0.0,<13.0.0", True), ("1.0.0", "*", True), ("2.1.0", "2.1.0", True), ("2.1.1", "==2.1.0", False)])
def test_in_range(version, spec, expected):
    assert deps.in_range(version, spec) is expected


def tree(path, collections):
    """A fake collections directory: {name: (version, [dependencies])}."""
    for name, (version, requires) in collections.items():
        d = path / "ansible_collections" / name.split(".")[0] / name.split(".")[1]
        d.mkdir(parents=True)
        (d / "MANIFEST.json").write_text(json.dumps({"collection_info": {
            "version": version, "dependencies": {r: "*" for r in requires}}}))
    (path / ".complete").write_text("")
    return str(path)


REQUIRED = {"community.docker": ">=3.10.0,<6.0.0", "ansible.posix": ">=1.5.4,<3.0.0"}
HELD = {"community.docker": ("4.8.1", ["community.library_inventory_filtering_v1"]),
        "community.library_inventory_filtering_v1": ("1.1.1", []), "ansible.posix": ("2.1.0", [])}


def test_a_directory_holding_exactly_the_list_and_its_dependencies_is_reused(tmp_path):
    assert deps.problems(REQUIRED, tree(tmp_path / "a", HELD)) == []
    assert deps.main(["reuse", os.path.join(ROOT, "requirements.yml"), tree(tmp_path / "b", HELD)]) == 1


@pytest.mark.parametrize("change, why", [
    (lambda held: held.pop("ansible.posix"), "ansible.posix is not installed"),
    (lambda held: held.pop("community.library_inventory_filtering_v1"),
     "community.library_inventory_filtering_v1 is not installed"),
    (lambda held: held.update({"ansible.posix": ("3.0.0", [])}), "ansible.posix 3.0.0 is outside >=1.5.4,<3.0.0"),
    (lambda held: held.update({"community.general": ("11.4.2", [])}), "community.general is installed but not required"),
])
def test_a_directory_not_holding_the_list_is_not_reused(tmp_path, change, why):
    held = dict(HELD)
    change(held)
    assert why in deps.problems(REQUIRED, tree(tmp_path / "a", held))


def test_the_key_is_the_list_not_the_text(tmp_path):
    first = deps.read_requirements(os.path.join(ROOT, "requirements.yml"))
    reordered = dict(reversed(list(first.items())))
    assert deps.key(first) == deps.key(reordered)
    narrowed = dict(first, **{"ansible.posix": ">=2.0.0,<3.0.0"})
    assert deps.key(first) != deps.key(narrowed)


def requirement_lines(name):
    with open(os.path.join(ROOT, "tests", name)) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def test_the_unit_venv_takes_the_lab_venv_s_versions():
    """make unit without the lab installs tests/requirements-unit.txt: each line as the lab's venv has it."""
    assert requirement_lines("requirements-unit.txt") <= requirement_lines("requirements.txt")
