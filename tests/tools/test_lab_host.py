"""The lab's container host is defined once, in extensions/molecule/shared/lab-host.yml:
config.yml makes shared/lab-create.yml and lab-destroy.yml the create and destroy of every
scenario on the docker driver, and those put the lab host's flags under each platform. A
scenario's platform names only what differs (lab_host_platform_keys): a lab flag written
into a platform again (capabilities, cgroupns_mode, tmpfs, a default volume...) is found
here, without a molecule run. Molecule falls back to the driver's own create.yml, without a
word, when the path config.yml names does not exist; that is checked too. The lab hosts
that demo, quickstart and bench start with docker run write the flags out: checked against
lab-host.yml."""
import os
import re
import shutil

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/tools
ROOT = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = os.path.join(ROOT, "extensions", "molecule")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def lab_host_problems(scenarios=SCENARIOS):
    """What breaks the lab host's single definition, one line each (empty when nothing does)."""
    problems = []
    lab = load(os.path.join(scenarios, "shared", "lab-host.yml"))
    allowed, defaults = set(lab["lab_host_platform_keys"]), lab["lab_host"]
    base = load(os.path.join(scenarios, "config.yml"))
    base_playbooks = base.get("provisioner", {}).get("playbooks", {})
    for step in ("create", "destroy"):
        where = base_playbooks.get(step)
        if where != f"../shared/lab-{step}.yml":
            problems.append(f"config.yml: provisioner.playbooks.{step} is {where!r}, not ../shared/lab-{step}.yml")
    for name in sorted(os.listdir(scenarios)):
        path = os.path.join(scenarios, name, "molecule.yml")
        if not os.path.isfile(path):
            continue
        # Molecule resolves a playbook path from the scenario's directory.
        for step, where in base_playbooks.items():
            if not os.path.isfile(os.path.join(scenarios, name, where)):
                problems.append(f"{name}: config.yml's {step} playbook {where} does not exist from here")
        scenario = load(path)
        playbooks = scenario.get("provisioner", {}).get("playbooks", {})
        driver = scenario.get("driver", base.get("driver", {})).get("name")
        if driver != "docker":
            # Its own hosts (VMs, fleet's mix): its own create and destroy, both.
            for step in ("create", "destroy"):
                if step not in playbooks:
                    problems.append(f"{name}: driver {driver} without its own {step} playbook")
            continue
        for step in ("create", "destroy"):
            if step in playbooks:
                problems.append(f"{name}: sets its own {step} playbook; the lab host's is config.yml's")
        for platform in scenario.get("platforms", []):
            label = f"{name}: platform {platform.get('name')}"
            for key in sorted(set(platform) - allowed):
                what = "re-declares the lab host's" if key in defaults else "sets"
                problems.append(f"{label} {what} {key} (lab-host.yml has the lab host's flags)")
            for volume in platform.get("volumes", []):
                if volume in defaults["volumes"]:
                    problems.append(f"{label} re-declares the lab host's volume {volume}")
    return problems


def test_the_lab_host_is_defined_once():
    assert lab_host_problems() == []


def test_the_container_scenarios_are_lab_hosts():
    """Guards the check itself: it looks at the container scenarios the lab has."""
    docker = [name for name in os.listdir(SCENARIOS)
              if os.path.isfile(os.path.join(SCENARIOS, name, "molecule.yml"))
              and "driver" not in load(os.path.join(SCENARIOS, name, "molecule.yml"))]
    assert {"docker_daemon", "engine28", "site_preflight", "storage_move"} <= set(docker)


def copy_scenarios(tmp_path):
    target = tmp_path / "molecule"
    shutil.copytree(SCENARIOS, target, ignore=shutil.ignore_patterns("tests", "tasks", "cases"))
    return target


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("scenario, old, new, expected", [
    ("storage_move", "    image: dockerops-lab/debian:bookworm\n",
     "    image: dockerops-lab/debian:bookworm\n    cgroupns_mode: host\n",
     "storage_move: platform storage-move re-declares the lab host's cgroupns_mode"),
    ("engine28", "      - /var/lib/containerd\n", "      - /var/lib/containerd\n      - /var/lib/docker\n",
     "engine28: platform e28-plain re-declares the lab host's volume /var/lib/docker"),
    ("site_preflight", "    network_mode: none\n", "    network_mode: none\n    privileged: true\n",
     "site_preflight: platform pf-1 sets privileged"),
    ("k8s_node", "provisioner:\n  name: ansible\n",
     "provisioner:\n  name: ansible\n  playbooks:\n    create: create.yml\n",
     "k8s_node: sets its own create playbook"),
    ("lvm_thinpool", "    destroy: ../shared/vm-destroy.yml\n", "",
     "lvm_thinpool: driver default without its own destroy playbook"),
])
def test_a_scenario_that_breaks_it_is_found(tmp_path, scenario, old, new, expected):
    scenarios = copy_scenarios(tmp_path)
    edit(scenarios / scenario / "molecule.yml", old, new)
    problems = lab_host_problems(str(scenarios))
    assert any(p.startswith(expected) for p in problems), problems


def test_a_create_path_that_does_not_resolve_is_found(tmp_path):
    scenarios = copy_scenarios(tmp_path)
    edit(scenarios / "config.yml", "create: ../shared/lab-create.yml", "create: shared/lab-create.yml")
    problems = lab_host_problems(str(scenarios))
    assert "config.yml: provisioner.playbooks.create is 'shared/lab-create.yml', not ../shared/lab-create.yml" in problems
    assert "storage_move: config.yml's create playbook shared/lab-create.yml does not exist from here" in problems


def docker_run_flags(text):
    """The lab flags a script passes to docker run, in the shell's or a Python list's spelling."""
    def values(flag):
        return {m.group(1) for m in re.finditer(flag + r'(?:=|"?,?\s+"?)([^\s",\\]+)', text)}
    volumes = values("-v")
    return {
        "capabilities": values("--cap-add"),
        "security_opts": values("--security-opt"),
        "cgroupns_mode": values("--cgroupns"),
        "tmpfs": values("--tmpfs"),
        "volumes": {v for v in volumes if v == "/sys/fs/cgroup:/sys/fs/cgroup:rw" or v.endswith("/var/lib/docker")},
    }


# Lab hosts started without molecule (docker run): the same flags as lab-host.yml's.
DOCKER_RUN_SCRIPTS = ["tests/demo.sh", "tests/quickstart.sh", "tests/bench/bench.py"]


@pytest.mark.parametrize("script", DOCKER_RUN_SCRIPTS)
def test_the_lab_hosts_started_by_docker_run_have_the_lab_hosts_flags(script):
    with open(os.path.join(ROOT, script)) as f:
        flags = docker_run_flags(f.read())
    lab = load(os.path.join(SCENARIOS, "shared", "lab-host.yml"))["lab_host"]
    assert flags["capabilities"] == set(lab["capabilities"])
    assert flags["security_opts"] == set(lab["security_opts"])
    assert flags["cgroupns_mode"] == {lab["cgroupns_mode"]}
    assert flags["tmpfs"] == set(lab["tmpfs"])
    # lab-host.yml's two volumes; /var/lib/docker may be a named volume (quickstart's).
    assert lab["volumes"] == ["/sys/fs/cgroup:/sys/fs/cgroup:rw", "/var/lib/docker"]
    assert "/sys/fs/cgroup:/sys/fs/cgroup:rw" in flags["volumes"]
    assert [v for v in flags["volumes"] if v.endswith("/var/lib/docker")]


def test_a_docker_run_lab_host_without_a_flag_is_found():
    with open(os.path.join(ROOT, "tests", "demo.sh")) as f:
        text = f.read()
    assert "--cap-add SYS_MODULE" in text
    assert "SYS_MODULE" not in docker_run_flags(text.replace("--cap-add SYS_MODULE", ""))["capabilities"]
