"""The mutation gate's decisions (tests/mutation/mutation.py): what is re-mutated, how mutants count, when it fails.

Exit codes are mutmut 3.8's (mutmut/stats.py status_by_exit_code): 1 killed, 0 survived, 33 no tests,
36 timeout, 35 suspicious, None not checked.
"""
import importlib.util
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "mutation_gate", os.path.join(os.path.dirname(HERE), "mutation", "mutation.py"))
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)


def counts(mutants, killed, survived=0, no_tests=0, other=0, equivalent=0, timeout=0):
    return {"mutants": mutants, "killed": killed, "timeout": timeout, "survived": survived, "no_tests": no_tests,
            "other": other, "equivalent": equivalent}


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
    assert found == counts(8, killed=2, timeout=1, survived=1, no_tests=2, other=2, equivalent=1)
    assert survivors == ["m.x_f__mutmut_2", "m.x_f__mutmut_3", "m.x_f__mutmut_5", "m.x_f__mutmut_6",
                         "m.x_f__mutmut_8"]


def test_score_leaves_equivalents_out_and_counts_no_tests_against():
    assert gate.score(counts(10, killed=8, survived=1, no_tests=1)) == 80.0
    assert gate.score(counts(10, killed=8, survived=0, equivalent=2)) == 100.0
    assert gate.score(counts(3, killed=2, survived=1)) == pytest.approx(200.0 / 3)
    assert gate.score(counts(0, killed=0)) == 100.0
    assert gate.score(counts(2, killed=0, equivalent=2)) == 100.0


def test_the_whole_below_the_threshold_fails():
    merged = {"a": counts(10, 7, 3), "b": counts(10, 9, 1)}
    assert gate.problems(80.0, merged, {}, {"files": {}}) == []
    assert gate.problems(80.01, merged, {}, {"files": {}}) == [
        "the score of the whole, 80.000 %, is below the threshold 80.01 %"]


def test_the_score_is_compared_unrounded():
    merged = {"a": counts(20000, 17999, 2001)}  # 89.995 %
    assert gate.problems(90.0, merged, {}, {"files": {}}) == [
        "the score of the whole, 89.995 %, is below the threshold 90.00 %"]


def test_a_new_file_must_reach_the_threshold():
    fresh = {"new.py": counts(10, 7, 3)}
    merged = dict(fresh, old=counts(100, 100))
    assert gate.problems(70.0, merged, fresh, {"files": {}}) == []
    assert gate.problems(75.0, merged, fresh, {"files": {}}) == [
        "new.py scores 70.000 %, below 75.000 % (the threshold)"]


def test_an_old_file_below_the_threshold_must_not_regress():
    baseline = {"files": {"old.py": counts(10, 6, 4)}}
    assert gate.problems(70.0, {"old.py": counts(10, 6, 4), "x": counts(90, 90)}, {"old.py": counts(10, 6, 4)},
                         baseline) == []
    worse = counts(10, 5, 5)
    assert gate.problems(70.0, {"old.py": worse, "x": counts(90, 90)}, {"old.py": worse}, baseline) == [
        "old.py scores 50.000 %, below 60.000 % (its last full run, already below the threshold)"]


def test_an_old_file_above_the_threshold_may_fall_one_point_at_most():
    baseline = {"files": {"old.py": counts(1000, 1000)}}
    rest = {"x": counts(1000, 1000)}
    ok = counts(1000, 990, 10)  # 99.0 %: one point down
    assert gate.problems(70.0, dict(rest, **{"old.py": ok}), {"old.py": ok}, baseline) == []
    worse = counts(1000, 989, 11)
    assert gate.problems(70.0, dict(rest, **{"old.py": worse}), {"old.py": worse}, baseline) == [
        "old.py scores 98.900 %, below 99.000 % (its last full run, 100.000 %, less 1.0 point)"]


def test_an_old_file_just_above_the_threshold_may_not_fall_below_it():
    baseline = {"files": {"old.py": counts(1000, 705, 295)}}  # 70.5 %, threshold 70
    rest = {"x": counts(9000, 9000)}
    worse = counts(1000, 699, 301)
    assert gate.problems(70.0, dict(rest, **{"old.py": worse}), {"old.py": worse}, baseline) == [
        "old.py scores 69.900 %, below 70.000 % (the threshold)"]


def test_the_canary_must_match_the_baseline_exactly():
    baseline = {"files": {"c.py": counts(10, 9, 1)}}
    assert gate.problems(50.0, {"c.py": counts(10, 9, 1)}, {"c.py": counts(10, 9, 1)}, baseline, canary="c.py") == []
    found = gate.problems(50.0, {"c.py": counts(10, 10)}, {"c.py": counts(10, 10)}, baseline, canary="c.py")
    assert len(found) == 1 and found[0].startswith("canary c.py: ")


def test_equivalent_entries_need_their_change_and_a_reason(tmp_path):
    listing = tmp_path / "equivalent.txt"
    listing.write_text("# comment\n\nm.x_f__mutmut_1  0123456789ab  the default is the same value\n")
    assert gate.read_equivalent(str(listing)) == {"m.x_f__mutmut_1": "0123456789ab"}
    for bad in ("m.x_f__mutmut_2\n", "m.x_f__mutmut_2 because\n", "m.x_f__mutmut_2 0123456789ab\n"):
        listing.write_text(bad)
        with pytest.raises(SystemExit, match="equivalent.txt:1: m.x_f__mutmut_2 needs its change's hash and a reason"):
            gate.read_equivalent(str(listing))


# `mutmut show` of a real mutant of plugins/filter/docker_users.py (mutmut 3.8.1, 2026-11-29).
SHOW = """# ansible_collections.dockerops.host.plugins.filter.docker_users.x__ranges__mutmut_3: survived
--- ansible_collections/dockerops/host/plugins/filter/docker_users.py
+++ ansible_collections/dockerops/host/plugins/filter/docker_users.py
@@ -1,6 +1,6 @@
 def _ranges(text):
     out = {}
-    for line in (text or "").splitlines():
+    for line in (text or "XXXX").splitlines():
         fields = line.strip().split(":")
         if len(fields) == 3 and fields[2].isdigit():
             out[fields[0]] = max(out.get(fields[0], 0), int(fields[2]))
"""
M = "ansible_collections.dockerops.host.plugins.filter.docker_users.x__ranges__mutmut_3"


def test_change_hash_is_of_the_changed_lines_only():
    assert gate.change_hash(SHOW) == gate.change_hash(SHOW.replace("survived", "killed").replace("@@ -1,6", "@@ -2,6"))
    assert gate.change_hash(SHOW) != gate.change_hash(SHOW.replace('"XXXX"', '"XX"'))


def test_equivalent_entries_must_still_be_that_surviving_change():
    codes = {"plugins/filter/docker_users.py": {M: 0}}
    good = {M: gate.change_hash(SHOW)}
    assert gate.equivalent_problems(good, codes, lambda name: SHOW) == []
    assert gate.equivalent_problems({M: "000000000000"}, codes, lambda name: SHOW) == [
        "equivalent.txt: %s is now another change (hash %s, listed 000000000000)" % (M, gate.change_hash(SHOW))]
    assert gate.equivalent_problems(good, {"plugins/filter/docker_users.py": {M: 1}}, lambda name: SHOW) == [
        "equivalent.txt: %s is killed by the tests, so it is not equivalent" % M]
    assert gate.equivalent_problems(good, {"plugins/filter/docker_users.py": {}}, lambda name: SHOW) == [
        "equivalent.txt: %s is not a mutant of this run" % M]
    # Entries for files this run did not mutate are not judged by it.
    assert gate.equivalent_problems(good, {"plugins/filter/prune.py": {}}, lambda name: SHOW) == []


def test_a_changed_support_file_remutates_the_files_whose_tests_use_it(tree):
    path, baseline = tree
    (path / "tests" / "unit" / "fixtures" / "k8s_node").mkdir(parents=True)
    fixture = path / "tests" / "unit" / "fixtures" / "k8s_node" / "swaps.txt"
    fixture.write_text("Filename Type\n")
    (path / "tests" / "unit" / "fixtures" / "k8s_node" / "README.md").write_text("how\n")
    (path / "tests" / "unit" / "harness.py").write_text("x = 1\n")
    baseline["support"] = gate.support_files(str(path))
    assert sorted(baseline["support"]) == ["tests/unit/fixtures/k8s_node/swaps.txt", "tests/unit/harness.py"]
    files = ["plugins/filter/a.py"]
    assert gate.changed_files(baseline, files, str(path)) == {}
    (path / "tests" / "unit" / "harness.py").write_text("x = 2\n")
    assert gate.changed_files(baseline, files, str(path)) == {}  # test_a.py does not use the harness
    (path / "tests" / "unit" / "test_a.py").write_text("import harness\n")
    baseline["files"]["plugins/filter/a.py"]["tests_sha256"] = gate.tests_hash(["tests/unit/test_a.py"], str(path))
    assert gate.changed_files(baseline, files, str(path)) == {
        "plugins/filter/a.py": "test support its tests use changed or is gone: tests/unit/harness.py"}
    fixture.unlink()
    (path / "tests" / "unit" / "test_a.py").write_text("FIXTURES = 'k8s_node'\n")
    baseline["support"]["tests/unit/harness.py"] = gate.sha256(str(path / "tests" / "unit" / "harness.py"))
    baseline["files"]["plugins/filter/a.py"]["tests_sha256"] = gate.tests_hash(["tests/unit/test_a.py"], str(path))
    assert gate.changed_files(baseline, files, str(path)) == {
        "plugins/filter/a.py": "test support its tests use changed or is gone: tests/unit/fixtures/k8s_node/swaps.txt"}


def test_a_fixture_used_through_a_helper_counts(tree):
    path, baseline = tree
    (path / "tests" / "unit" / "fixtures" / "docker_info").mkdir(parents=True)
    fixture = path / "tests" / "unit" / "fixtures" / "docker_info" / "info.json"
    fixture.write_text("{}")
    (path / "tests" / "unit" / "harness.py").write_text("FIXTURES = 'docker_info'\n")
    (path / "tests" / "unit" / "test_a.py").write_text("import harness\n")
    baseline["files"]["plugins/filter/a.py"]["tests_sha256"] = gate.tests_hash(["tests/unit/test_a.py"], str(path))
    baseline["support"] = gate.support_files(str(path))
    assert gate.changed_files(baseline, ["plugins/filter/a.py"], str(path)) == {}
    fixture.write_text('{"changed": 1}')
    assert gate.changed_files(baseline, ["plugins/filter/a.py"], str(path)) == {
        "plugins/filter/a.py": "test support its tests use changed or is gone: tests/unit/fixtures/docker_info/info.json"}


def test_conftest_is_used_by_every_test():
    assert gate.uses("", "tests/unit/conftest.py")
    assert gate.uses("from harness import run", "tests/unit/harness.py")
    assert gate.uses('fixture("docker_info", "x.json")', "tests/unit/fixtures/docker_info/overlay2-20.10.json")
    assert gate.uses('open("rsa2048.gpg")', "tests/unit/fixtures/rsa2048.gpg")
    assert not gate.uses("import harness", "tests/unit/k8s_tree.py")


def test_results_of_another_run_are_refused_as_stale(tree, tmp_path_factory):
    path, baseline = tree
    copy = tmp_path_factory.mktemp("copy")
    (copy / "plugins" / "filter").mkdir(parents=True)
    (copy / "tests" / "unit").mkdir(parents=True)
    for name in ("plugins/filter/a.py", "tests/unit/test_a.py"):
        (copy / name).write_text((path / name).read_text())
    tests = {"plugins/filter/a.py": ["tests/unit/test_a.py"]}
    assert gate.stale(["plugins/filter/a.py"], tests, str(copy), str(path)) == []
    (copy / "tests" / "unit" / "test_a.py").write_text("def test_a():\n    pass\n")
    assert gate.stale(["plugins/filter/a.py"], tests, str(copy), str(path)) == ["plugins/filter/a.py"]


def test_results_skip_what_mutmut_did_not_mutate(tmp_path):
    work = tmp_path
    meta_dir = work / "mutants" / gate.COLL / "plugins" / "filter"
    meta_dir.mkdir(parents=True)
    (work / "mutants" / "mutmut-stats.json").write_text(json.dumps({"tests_by_mangled_function_name": {
        "ansible_collections.dockerops.host.plugins.filter.a.x_a": [
            "ansible_collections/dockerops/host/tests/unit/test_a.py::test_a"],
        "ansible_collections.dockerops.host.plugins.filter.a.xǁFilterModuleǁfilters": [
            "ansible_collections/dockerops/host/tests/unit/test_f.py::test_f[1]"]}}))
    (meta_dir / "a.py.meta").write_text(json.dumps({"exit_code_by_key": {
        "ansible_collections.dockerops.host.plugins.filter.a.x_a__mutmut_1": 1}}))
    codes, tests = gate.results(str(work), ["plugins/filter/a.py", "plugins/filter/b.py"])
    assert codes == {"plugins/filter/a.py": {"ansible_collections.dockerops.host.plugins.filter.a.x_a__mutmut_1": 1}}
    assert tests == {"plugins/filter/a.py": ["tests/unit/test_a.py", "tests/unit/test_f.py"]}
