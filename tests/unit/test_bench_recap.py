"""bench.py's no-change check (tests/bench/recap.py) on recorded ansible-playbook output
(tests/unit/fixtures/ansible_playbook/README.md says how it was recorded)."""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("recap", os.path.join(os.path.dirname(HERE), "bench", "recap.py"))
recap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recap)
FIXTURES = os.path.join(HERE, "fixtures", "ansible_playbook")


def out(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_recap_reads_every_host():
    assert recap.recap(out("first-run.out")) == {
        "host-a": {"ok": 2, "changed": 1, "unreachable": 0, "failed": 0},
        "host-b": {"ok": 2, "changed": 1, "unreachable": 0, "failed": 0}}


def test_a_no_change_rerun_passes():
    assert recap.no_change_problems(out("no-change-rerun.out"), ["host-a", "host-b"]) == []


def test_a_first_run_is_not_a_rerun_and_names_the_changed_task():
    assert recap.no_change_problems(out("first-run.out"), ["host-a", "host-b"]) == [
        "host-a: changed=1 (Write the marker)", "host-b: changed=1 (Write the marker)"]


def test_one_changed_host_is_named():
    assert recap.changed_tasks(out("one-host-changed.out")) == [("Write the marker", "host-a")]
    assert recap.no_change_problems(out("one-host-changed.out"), ["host-a", "host-b"]) == [
        "host-a: changed=1 (Write the marker)"]


def test_a_host_missing_from_the_recap_or_no_recap_fails():
    assert recap.no_change_problems(out("no-change-rerun.out"), ["host-a", "host-b", "host-c"]) == [
        "host-c: not in the PLAY RECAP"]
    assert recap.no_change_problems("", ["host-a"]) == ["no PLAY RECAP in the output"]


def test_a_changed_handler_is_named_as_the_handler():
    assert recap.no_change_problems(out("handler-run.out"), ["host-a"]) == [
        "host-a: changed=2 (Write the marker; Touch the flag)"]
