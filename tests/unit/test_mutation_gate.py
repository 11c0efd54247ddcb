"""The mutation gate's decisions (tests/mutation/mutation.py): what is re-mutated, how mutants count, when it fails.

Exit codes are mutmut 3.8's (mutmut/stats.py status_by_exit_code): 1 killed, 0 survived, 33 no tests,
36 timeout, 35 suspicious, None not checked.
"""
import importlib.util
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "mutation_gate", os.path.join(os.path.dirname(HERE), "mutation", "mutation.py"))
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)


def counts(mutants, killed, survived=0, no_tests=0, other=0, equivalent=0):
    return {"mutants": mutants, "killed": killed, "survived": survived, "no_tests": no_tests, "other": other,
            "equivalent": equivalent}


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "plugins" / "filter").mkdir(parents=True)
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "plugins" / "filter" / "a.py").write_text("def a():\n    return 1\n")
    (tmp_path / "plugins" / "filter" / "b.py").write_text("def b():\n    return 2\n")
    (tmp_path / "tests" / "unit" / "test_a.py").write_text("def test_a():\n    assert True\n")
    root = str(tmp_path)
    baseline = {"files": {
        "plugins/filter/a.py": {"sha256": gate.sha256(os.path.join(root, "plugins/filter/a.py")),
                                "tests": ["tests/unit/test_a.py"],
                                "tests_sha256": gate.tests_hash(["tests/unit/test_a.py"], root)},
    }}
    return tmp_path, baseline


def test_only_new_files_are_remutated_when_nothing_else_changed(tree):
    path, baseline = tree
    files = gate.plugin_files(str(path))
    assert files == ["plugins/filter/a.py", "plugins/filter/b.py"]
    assert gate.changed_files(baseline, files, str(path)) == {"plugins/filter/b.py": "new since the last full run"}


def test_a_changed_source_file_is_remutated(tree):
    path, baseline = tree
    (path / "plugins" / "filter" / "a.py").write_text("def a():\n    return 0\n")
    assert gate.changed_files(baseline, ["plugins/filter/a.py"], str(path)) == {
        "plugins/filter/a.py": "changed since the last full run"}


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_changed_or_deleted_test_file_remutates_what_it_exercised(tree, change):
    path, baseline = tree
    test = path / "tests" / "unit" / "test_a.py"
    if change == "edit":
        test.write_text("def test_a():\n    pass\n")
    else:
        test.unlink()
    assert gate.changed_files(baseline, ["plugins/filter/a.py"], str(path)) == {
        "plugins/filter/a.py": "a unit-test file that exercised it changed or is gone"}


def test_tests_hash_depends_on_names_and_contents(tree):
    path, _ = tree
    (path / "tests" / "unit" / "test_b.py").write_text("def test_a():\n    assert True\n")
    same = gate.tests_hash(["tests/unit/test_a.py"], str(path))
    assert gate.tests_hash(["tests/unit/test_b.py"], str(path)) != same
    assert gate.tests_hash(["tests/unit/test_a.py", "tests/unit/test_b.py"], str(path)) != same
    assert gate.tests_hash(["tests/unit/test_a.py"], str(path)) == same


def test_classify_counts_every_outcome():
    codes = {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": 0, "m.x_f__mutmut_3": 33, "m.x_f__mutmut_4": 36,
             "m.x_f__mutmut_5": 35, "m.x_f__mutmut_6": None, "m.x_f__mutmut_7": 0, "m.x_f__mutmut_8": 5}
    found, survivors = gate.classify(codes, equivalent={"m.x_f__mutmut_7"})
    assert found == counts(8, killed=2, survived=1, no_tests=2, other=2, equivalent=1)
    assert survivors == ["m.x_f__mutmut_2", "m.x_f__mutmut_3", "m.x_f__mutmut_5", "m.x_f__mutmut_6",
                         "m.x_f__mutmut_8"]


def test_score_leaves_equivalents_out_and_counts_no_tests_against():
    assert gate.score(counts(10, killed=8, survived=1, no_tests=1)) == 80.0
    assert gate.score(counts(10, killed=8, survived=0, equivalent=2)) == 100.0
    assert gate.score(counts(3, killed=2, survived=1)) == 66.67
    assert gate.score(counts(0, killed=0)) == 100.0
    assert gate.score(counts(2, killed=0, equivalent=2)) == 100.0


def test_the_whole_below_the_threshold_fails():
    merged = {"a": counts(10, 7, 3), "b": counts(10, 9, 1)}
    assert gate.problems(80.0, merged, {}, {"files": {}}) == []
    assert gate.problems(80.01, merged, {}, {"files": {}}) == [
        "the score of the whole, 80.00 %, is below the threshold 80.01 %"]


def test_a_new_file_must_reach_the_threshold():
    fresh = {"new.py": counts(10, 7, 3)}
    merged = dict(fresh, old=counts(100, 100))
    assert gate.problems(70.0, merged, fresh, {"files": {}}) == []
    assert gate.problems(75.0, merged, fresh, {"files": {}}) == [
        "new.py scores 70.00 %, below 75.00 % (the threshold)"]


def test_an_old_file_below_the_threshold_must_not_regress():
    baseline = {"files": {"old.py": counts(10, 6, 4)}}
    assert gate.problems(70.0, {"old.py": counts(10, 6, 4), "x": counts(90, 90)}, {"old.py": counts(10, 6, 4)},
                         baseline) == []
    worse = counts(10, 5, 5)
    assert gate.problems(70.0, {"old.py": worse, "x": counts(90, 90)}, {"old.py": worse}, baseline) == [
        "old.py scores 50.00 %, below 60.00 % (its last full run)"]


def test_the_canary_must_match_the_baseline_exactly():
    baseline = {"files": {"c.py": counts(10, 9, 1)}}
    assert gate.problems(50.0, {"c.py": counts(10, 9, 1)}, {"c.py": counts(10, 9, 1)}, baseline, canary="c.py") == []
    found = gate.problems(50.0, {"c.py": counts(10, 10)}, {"c.py": counts(10, 10)}, baseline, canary="c.py")
    assert len(found) == 1 and found[0].startswith("canary c.py: ")


def test_equivalent_entries_need_a_reason(tmp_path):
    listing = tmp_path / "equivalent.txt"
    listing.write_text("# comment\n\nm.x_f__mutmut_1  the default is the same value\n")
    assert gate.read_equivalent(str(listing)) == {"m.x_f__mutmut_1"}
    listing.write_text("m.x_f__mutmut_2\n")
    with pytest.raises(SystemExit, match="equivalent.txt:1: m.x_f__mutmut_2 has no reason"):
        gate.read_equivalent(str(listing))
