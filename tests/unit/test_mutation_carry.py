"""The mutation gate's --carry (tests/mutation/mutation.py): a record moves with a renamed module, and stays with a
file whose imports now name it, only while the code is the same; any other change leaves it for --changed."""
import importlib.util
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "mutation_gate_carry", os.path.join(os.path.dirname(HERE), "mutation", "mutation.py"))
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)

MU = "ansible_collections.dockerops.host.plugins.module_utils"
HELPER = '"""Helpers."""\n\n\ndef twice(x):\n    return 2 * x\n'
USER = ("from %s import helper\n\n\ndef four(x):\n    return helper.twice(helper.twice(x))\n" % MU)
TEST_HELPER = ("from %s import helper as h\n\n\ndef test_twice(monkeypatch):\n"
               "    monkeypatch.setattr('%s.helper.twice', lambda x: x)\n    assert h.twice(2) == 2\n" % (MU, MU))
TEST_USER = "from ansible_collections.dockerops.host.plugins.modules import user\n\n\ndef test_four():\n" \
            "    assert user.four(1) == 4\n"


def git(root, *args):
    subprocess.run(["git", "-C", str(root)] + list(args), check=True, capture_output=True)


def write(root, path, text):
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(text)


@pytest.fixture
def repo(tmp_path):
    """A tree with a recorded helper and a module using it, committed; returns (root, baseline)."""
    files = {
        "plugins/module_utils/helper.py": HELPER,
        "plugins/modules/user.py": USER,
        "tests/unit/test_helper.py": TEST_HELPER,
        "tests/unit/test_user.py": TEST_USER,
    }
    for path, text in files.items():
        write(tmp_path, path, text)
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(tmp_path, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "recorded")

    def rec(path, tests, survivors):
        return {"mutants": 10, "killed": 9, "timeout": 0, "survived": 1, "no_tests": 0, "other": 0, "equivalent": 0,
                "sha256": gate.sha256(str(tmp_path / path)), "tests": tests,
                "tests_sha256": gate.tests_hash(tests, str(tmp_path)), "survivors": survivors}
    baseline = {"files": {
        "plugins/module_utils/helper.py": rec("plugins/module_utils/helper.py", ["tests/unit/test_helper.py"],
                                              [MU + ".helper.x_twice__mutmut_3"]),
        "plugins/modules/user.py": rec("plugins/modules/user.py", ["tests/unit/test_user.py"], []),
    }}
    return tmp_path, baseline


def rename_helper(root, docstring='"""PRIVATE: helpers, not a public API."""'):
    git(root, "mv", "plugins/module_utils/helper.py", "plugins/module_utils/_helper.py")
    write(root, "plugins/module_utils/_helper.py", HELPER.replace('"""Helpers."""', docstring))
    write(root, "plugins/modules/user.py", USER.replace("import helper", "import _helper as helper"))
    write(root, "tests/unit/test_helper.py", TEST_HELPER.replace("import helper as h", "import _helper as h")
          .replace(".helper.twice", "._helper.twice"))


def test_a_renamed_module_and_its_importers_keep_their_records(repo):
    root, baseline = repo
    rename_helper(root)
    report = gate.carry(baseline, {"plugins/module_utils/helper.py": "plugins/module_utils/_helper.py"}, str(root))
    assert report["plugins/module_utils/_helper.py"].startswith("carried from plugins/module_utils/helper.py")
    assert report["plugins/modules/user.py"].startswith("carried (same code as at")
    moved = baseline["files"]["plugins/module_utils/_helper.py"]
    assert "plugins/module_utils/helper.py" not in baseline["files"]
    assert moved["survivors"] == [MU + "._helper.x_twice__mutmut_3"]
    assert moved["sha256"] == gate.sha256(str(root / "plugins/module_utils/_helper.py"))
    assert moved["tests_sha256"] == gate.tests_hash(["tests/unit/test_helper.py"], str(root))
    assert (moved["mutants"], moved["killed"]) == (10, 9)
    # What --changed then finds: nothing.
    files = ["plugins/module_utils/_helper.py", "plugins/modules/user.py"]
    assert gate.changed_files(dict(baseline, support={}), files, str(root)) == {}


@pytest.mark.parametrize("path, change", [
    ("plugins/module_utils/_helper.py", lambda t: t.replace("2 * x", "x + x")),  # the code
    ("plugins/module_utils/_helper.py", lambda t: t + '\n\ndef _unused():\n    """A new function."""\n'),
    ("tests/unit/test_helper.py", lambda t: t.replace("== 2", ">= 2")),  # a test's assertion
    # an import that now binds another module's function: not a rename
    ("plugins/modules/user.py", lambda t: t.replace("import _helper as helper", "import other as helper")),
    ("tests/unit/test_helper.py", lambda t: t.replace("._helper.twice", ".other.twice")),
])
def test_any_other_change_is_left_to_be_mutated(repo, path, change):
    root, baseline = repo
    rename_helper(root)
    full = root / path
    full.write_text(change(full.read_text()))
    report = gate.carry(baseline, {"plugins/module_utils/helper.py": "plugins/module_utils/_helper.py"}, str(root))
    carried = [p for p, why in report.items() if why.startswith("carried")]
    assert report[path if path.startswith("plugins") else "plugins/module_utils/_helper.py"].startswith(
        "not carried: code changed since")
    assert len(carried) == 1


def test_without_the_rename_given_nothing_is_carried(repo):
    root, baseline = repo
    rename_helper(root)
    report = gate.carry(baseline, {}, str(root))
    assert report == {"plugins/module_utils/helper.py": "not carried: gone",
                      "plugins/modules/user.py": report["plugins/modules/user.py"]}
    assert report["plugins/modules/user.py"].startswith("not carried: code changed")


def test_a_record_of_code_no_commit_holds_is_not_carried(repo):
    root, baseline = repo
    baseline["files"]["plugins/modules/user.py"]["sha256"] = "0" * 64
    report = gate.carry(baseline, {}, str(root))
    assert report == {"plugins/modules/user.py": "not carried: no commit holds the recorded file and tests"}


def test_untouched_files_are_not_reported(repo):
    root, baseline = repo
    before = {k: dict(v) for k, v in baseline["files"].items()}
    assert gate.carry(baseline, {}, str(root)) == {}
    assert baseline["files"] == before


def test_normalized_ignores_the_module_docstring_only():
    renames = {MU + "._helper": MU + ".helper"}
    assert gate.normalized(HELPER, renames) == gate.normalized(HELPER.replace("Helpers.", "PRIVATE."), renames)
    inner = HELPER.replace("def twice(x):\n", 'def twice(x):\n    """Doubles."""\n')
    assert gate.normalized(inner, renames) != gate.normalized(HELPER, renames)
    assert gate.normalized("def (:", renames) is None


def test_an_import_from_inside_the_renamed_module_is_read_under_its_old_name(repo):
    root, baseline = repo
    write(root, "plugins/modules/user.py", "from %s.helper import twice\n\n\ndef four(x):\n    return twice(twice(x))\n"
          % MU)
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "from the module")
    baseline["files"]["plugins/modules/user.py"]["sha256"] = gate.sha256(str(root / "plugins/modules/user.py"))
    rename_helper(root)
    write(root, "plugins/modules/user.py", "from %s._helper import twice\n\n\ndef four(x):\n    return twice(twice(x))\n"
          % MU)
    report = gate.carry(baseline, {"plugins/module_utils/helper.py": "plugins/module_utils/_helper.py"}, str(root))
    assert report["plugins/modules/user.py"].startswith("carried (same code as at")


def test_normalized_ignores_ansible_documentation_strings_only():
    code = 'DOCUMENTATION = r"""\nname: a\n"""\nEXAMPLES = ""\nRETURN = "x"\n\n\ndef f():\n    return 1\n'
    changed = code.replace("name: a", "name: a\ndescription: more")
    assert gate.normalized(code, {}) == gate.normalized(changed, {})
    assert gate.normalized(code, {}) == gate.normalized("def f():\n    return 1\n", {})
    # Another constant, or a documentation name bound to something else, is code.
    assert gate.normalized(code, {}) != gate.normalized(code.replace('RETURN = "x"', 'OTHER = "x"'), {})
    assert gate.normalized(code, {}) != gate.normalized(code.replace('RETURN = "x"', "RETURN = dict(a=1)"), {})


def test_a_renamed_module_whose_code_changed_keeps_its_record_to_be_remutated(repo):
    root, baseline = repo
    rename_helper(root)
    full = root / "plugins/module_utils/_helper.py"
    full.write_text(full.read_text().replace("2 * x", "x + x"))
    old = dict(baseline["files"]["plugins/module_utils/helper.py"])
    report = gate.carry(baseline, {"plugins/module_utils/helper.py": "plugins/module_utils/_helper.py"}, str(root))
    assert report["plugins/module_utils/_helper.py"].endswith("its record moved, to be re-mutated")
    moved = baseline["files"]["plugins/module_utils/_helper.py"]
    assert "plugins/module_utils/helper.py" not in baseline["files"]
    assert moved["sha256"] == old["sha256"] and moved["survivors"] == [MU + "._helper.x_twice__mutmut_3"]
    # --changed re-mutates it as a changed file (held to its own last run), not as a new one.
    assert gate.changed_files(dict(baseline, support={}), ["plugins/module_utils/_helper.py"], str(root)) == {
        "plugins/module_utils/_helper.py": "changed since the last full run"}


def test_a_renamed_module_whose_record_no_commit_holds_keeps_its_record_to_be_remutated(repo):
    root, baseline = repo
    baseline["files"]["plugins/module_utils/helper.py"]["sha256"] = "0" * 64
    rename_helper(root)
    report = gate.carry(baseline, {"plugins/module_utils/helper.py": "plugins/module_utils/_helper.py"}, str(root))
    assert report["plugins/module_utils/_helper.py"] == (
        "not carried: no commit holds the recorded file and tests; its record moved, to be re-mutated")
    assert baseline["files"]["plugins/module_utils/_helper.py"]["sha256"] == "0" * 64
