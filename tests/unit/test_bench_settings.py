"""bench.py's fleet settings (--strategy, --mitogen, --forks, --serial): the result keys they are recorded
under, the hosts a key counts for CPU per host, and the environment a strategy runs with."""
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(HERE), "bench")
sys.path.insert(0, BENCH)
spec = importlib.util.spec_from_file_location("bench", os.path.join(BENCH, "bench.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


@pytest.fixture(autouse=True)
def defaults():
    saved = dict(bench.FLEET)
    yield
    bench.FLEET.clear()
    bench.FLEET.update(saved)


def test_the_defaults_keep_the_existing_keys():
    assert bench.fleet_suffix() == ""


def test_other_settings_get_their_own_keys():
    bench.FLEET.update(strategy="mitogen_linear", forks=5, serial="100%")
    assert bench.fleet_suffix() == "_mitogen_linear_f5_s100pct"
    bench.FLEET.update(strategy="free", forks=None, serial="3")
    assert bench.fleet_suffix() == "_free_s3"


@pytest.mark.parametrize("key, hosts", [("d_hosts_10", 10), ("g_rerun_hosts_5_mitogen_linear_f5", 5),
                                        ("g_rerun_hosts_20_free", 20), ("c_rerun_site", 1), ("a_first_converge", 1)])
def test_hosts_of_a_key(key, hosts):
    assert bench.hosts_of(key) == hosts


def test_rows_of_other_settings_follow_the_known_rows():
    summary = {"g_rerun_hosts_5_free": {}, "g_rerun_hosts_10_free": {}, "d_hosts_5_mitogen_linear": {},
               "g_rerun_hosts_5": {}, "g_rerun_hosts_1_mitogen_linear": {}}
    added = bench.rows(summary)[len(bench.ROWS):]
    assert [(k, label) for k, label, *_ in added] == [
        ("d_hosts_5_mitogen_linear", "(d) 5 hosts, mitogen_linear"),
        ("g_rerun_hosts_5_free", "(g) 5 hosts, free"), ("g_rerun_hosts_10_free", "(g) 10 hosts, free"),
        ("g_rerun_hosts_1_mitogen_linear", "(g) 1 host, mitogen_linear")]


def test_free_is_only_the_strategy():
    bench.FLEET.update(strategy="free")
    assert bench.strategy_env() == {"ANSIBLE_STRATEGY": "free"}


def test_mitogen_needs_a_directory_holding_it(tmp_path):
    bench.FLEET.update(strategy="mitogen_linear", mitogen=str(tmp_path))
    with pytest.raises(SystemExit, match="--mitogen DIR"):
        bench.strategy_env()
    plugins = tmp_path / "ansible_mitogen" / "plugins" / "strategy"
    plugins.mkdir(parents=True)
    env = bench.strategy_env()
    assert env["ANSIBLE_STRATEGY_PLUGINS"] == str(plugins)
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path)
    assert env["ANSIBLE_HOST_KEY_CHECKING"] == "False"
