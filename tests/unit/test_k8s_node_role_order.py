"""The k8s_node role's order, as ansible-playbook --list-tasks lists it (the installed ansible-core, this checkout as
dockerops.host): both refusals (cgroup v1, swap that does not fit in memory) come before the first task that changes
anything, and no --tags can leave them out."""
import os
import shutil
import subprocess

import conftest
import pytest
import yaml

ROLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles", "k8s_node")
CGROUP = "Check the host as the kubelet would, refusing cgroup v1"
SWAP_CHECK = "Check that the swap in use fits in memory before anything changes"
# The first task of each part that can change the host (kernel, swap, containerd, Docker).
CHANGING = ["Load overlay and br_netfilter, and set bridge-nf and forwarding, now and at boot",
            "Turn swap off now and at boot",
            "Turn containerd's CRI plugin on, with the systemd cgroup driver, in one transaction",
            "Create the fragments directory"]

# This checkout (or the mutation gate's copy of it) as dockerops.host, first; then the lab's dependency
# collections (kernel_params uses community.general.modprobe), which the mutation gate's environment keeps in
# DOCKEROPS_COLLECTIONS_PATH only.
COLLECTIONS = [conftest.LINK_ROOT] + [p for p in os.environ.get("DOCKEROPS_COLLECTIONS_PATH", "").split(":") if p]
HAS_DEPS = any(os.path.isdir(os.path.join(p, "ansible_collections", "community", "general")) for p in COLLECTIONS)

pytestmark = [pytest.mark.skipif(not shutil.which("ansible-playbook"), reason="needs ansible-playbook"),
              pytest.mark.skipif(not HAS_DEPS, reason="needs the lab's dependency collections (make lab)")]


def listed(tmp_path, *args):
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  roles: [dockerops.host.k8s_node]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=":".join(COLLECTIONS))
    out = subprocess.run(["ansible-playbook", "-i", "localhost,", str(play), "--list-tasks"] + list(args),
                         capture_output=True, text=True, check=True, env=env).stdout
    names = []
    for line in out.splitlines():
        if "\tTAGS:" in line:
            name = line.split("\tTAGS:")[0].strip()
            names.append(name.split(" : ", 1)[1] if " : " in name else name)
    return names


def test_both_refusals_before_any_change(tmp_path):
    names = listed(tmp_path)
    first_change = min(names.index(n) for n in CHANGING)
    assert names.index(CGROUP) < first_change and names.index(SWAP_CHECK) < first_change


@pytest.mark.parametrize("tag", ["k8s_node_kernel", "k8s_node_swap", "k8s_node_containerd", "k8s_node_docker"])
def test_no_tag_skips_the_refusals(tmp_path, tag):
    names = listed(tmp_path, "--tags", tag)
    assert CGROUP in names and SWAP_CHECK in names


def test_swap_check_is_swap_off_in_check_mode_with_the_same_inputs():
    with open(os.path.join(ROLE, "tasks", "preflight.yml")) as f:
        check = [t for t in yaml.safe_load(f) if t["name"] == SWAP_CHECK][0]
    with open(os.path.join(ROLE, "tasks", "swap.yml")) as f:
        real = [t for t in yaml.safe_load(f) if t["name"] == CHANGING[1]][0]
    assert check["check_mode"] is True
    assert check["dockerops.host.swap_off"] == real["dockerops.host.swap_off"]
    assert check["when"] == real["when"]


def shown(task_file, task_name, variables):
    """Whether the task's when (all its conditions) holds with these variables, evaluated by ansible-core."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    with open(os.path.join(ROLE, "tasks", task_file)) as f:
        task = [t for t in yaml.safe_load(f) if t["name"] == task_name][0]
    conditions = task["when"] if isinstance(task["when"], list) else [task["when"]]
    templar = Templar(loader=DataLoader(), variables=variables)
    return all(templar.evaluate_conditional(trust_as_template(c)) for c in conditions)


@pytest.mark.parametrize("result, expected", [
    # The shape of containerd_config's result when ctr plugins ls fails on a file already right (the message text is
    # restart_reason's in _containerd, shortened here: only its presence counts).
    (dict(changed=False, action="none", changed_keys=[], messages=[
        "containerd not restarted: its status is unreadable (ctr plugins ls failed) and the file is already right"]),
     True),
    (dict(changed=False, action="none", changed_keys=[], messages=[]), False),
    (dict(changed=True, action="restarted", changed_keys=["SystemdCgroup"], messages=[]), True),
])
def test_containerd_messages_are_shown_even_unchanged(result, expected):
    assert shown("containerd.yml", "Say how containerd took the change",
                 dict(k8s_node_containerd=True, k8s_node_containerd_result=result)) is expected


SITE = os.path.join(os.path.dirname(ROLE), "..", "playbooks", "site.yml")
SITE_CHECK = "Check the host as the kubelet would before any change, refusing cgroup v1 unless allowed"


def rendered(args, variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    templar = Templar(loader=DataLoader(), variables=variables)
    return dict((k, templar.template(trust_as_template(v))) for k, v in args.items())


@pytest.mark.parametrize("ipv6", [True, False, "true", "false"])
@pytest.mark.parametrize("allow_v1", [True, False, "true", "false", "yes", "no"])
def test_site_asks_k8s_node_facts_what_the_role_would(ipv6, allow_v1):
    # Strings as an INI inventory or -e k=v gives them: "false" must not turn the refusal off.
    # site.yml's call stands for the role's (the role then takes its result): the same module, the same inputs.
    with open(SITE) as f:
        site = [t for play in yaml.safe_load(f) for t in play.get("tasks") or [] if t.get("name") == SITE_CHECK][0]
    with open(os.path.join(ROLE, "tasks", "preflight.yml")) as f:
        role = [t for t in yaml.safe_load(f) if t["name"] == CGROUP][0]
    variables = dict(k8s_node_ipv6_forwarding=ipv6, k8s_node_allow_cgroup_v1=allow_v1)
    truth = {True: True, False: False, "true": True, "false": False, "yes": True, "no": False}
    assert rendered(site["dockerops.host.k8s_node_facts"], variables) == \
        rendered(role["dockerops.host.k8s_node_facts"], variables) == \
        dict(ipv6=truth[ipv6], fail_on_cgroup_v1=not truth[allow_v1])
    assert site["register"] == "_dockerops_k8s_node_preflight"


@pytest.mark.parametrize("site_result, asks", [
    (None, True),  # the role alone
    (dict(skipped=True, changed=False, skip_reason="Conditional result was False"), True),  # site without the profile
    (dict(changed=False, ready=True, cgroup_version=2, checks=[], problems=[]), False),  # site asked already
])
def test_the_role_asks_only_where_site_did_not(site_result, asks):
    variables = dict(k8s_node_ipv6_forwarding=False, k8s_node_allow_cgroup_v1=False)
    if site_result is not None:
        variables["_dockerops_k8s_node_preflight"] = site_result
    assert shown("preflight.yml", CGROUP, variables) is asks
