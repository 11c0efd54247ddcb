"""Paths one role writes and another reads come from one variable.

docker_storage (40-storage.json) and k8s_node (50-k8s-node.json) hand their daemon.json options to docker_daemon as
fragments in docker_daemon_fragments_dir, which the docker_daemon_config module merges (its *.json). A fragment
written anywhere else is silently never merged. k8s_node writes its own and derives its path from that variable,
falling back (when docker_daemon's defaults are not loaded yet) to the very default docker_daemon declares; no role
file names the directory otherwise. Rendered here with Jinja2 from the role files themselves. docker_storage gives
docker_daemon a file name only (_docker_daemon_fragments), which docker_daemon_config writes in its fragments_dir.
"""
import glob
import os
import re

import jinja2
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIABLE = "docker_daemon_fragments_dir"
# role: the variable in its vars/main.yml that holds the fragment it writes
WRITERS = {"k8s_node": "_k8s_node_docker_fragment"}
# role: the variable in its vars/main.yml that names the fragment docker_daemon writes for it
HANDED = {"docker_storage": "_docker_storage_fragment"}


def read_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return yaml.safe_load(f)


def daemon_default():
    default = read_yaml("roles", "docker_daemon", "defaults", "main.yml")[VARIABLE]
    spec = read_yaml("roles", "docker_daemon", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert spec[VARIABLE]["default"] == default
    return default


def render(role, **variables):
    template = read_yaml("roles", role, "vars", "main.yml")[WRITERS.get(role) or HANDED[role]]
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(template).render(**variables)


@pytest.mark.parametrize("role", sorted(WRITERS))
def test_the_fragment_follows_docker_daemon_fragments_dir(role):
    path = render(role, **{VARIABLE: "/srv/elsewhere.d"})
    assert os.path.dirname(path) == "/srv/elsewhere.d"
    assert path.endswith(".json"), "docker_daemon_config merges only *.json fragments"


@pytest.mark.parametrize("role", sorted(WRITERS))
def test_without_the_variable_the_fragment_goes_to_docker_daemons_default(role):
    assert os.path.dirname(render(role)) == daemon_default()


@pytest.mark.parametrize("role", sorted(WRITERS))
def test_the_role_writes_its_fragment_to_that_path(role):
    tasks = "\n".join(open(p).read() for p in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")))
    assert re.search(r"dest: \"\{\{ %s \}\}\"" % WRITERS[role], tasks)


def test_the_modules_default_to_the_same_directory():
    default = daemon_default()
    for module, option in (("docker_daemon_config", "fragments_dir"), ("lvm_thinpool", "engine_configs")):
        with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as f:
            text = f.read()
        doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', text, re.S).group(1))
        value = doc["options"][option]["default"]
        assert default == value or default in value, (module, option, value)


def test_no_role_names_the_fragments_directory_but_through_the_variable():
    default = daemon_default()
    allowed = re.compile(r"\{\{ %s \| default\('%s'\) \}\}" % (VARIABLE, re.escape(default)))
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "*", "*.yml")):
        if os.sep.join(path.split(os.sep)[-4:-1]) in ("roles/docker_daemon/defaults", "roles/docker_daemon/meta"):
            continue
        with open(path) as f:
            text = allowed.sub("", f.read())
        assert default not in text, "%s names %s other than as %s's fallback" % (path, default, VARIABLE)


@pytest.mark.parametrize("role", sorted(HANDED))
def test_a_handed_fragment_is_a_file_name_in_any_directory(role):
    # docker_daemon_config refuses anything but NAME.json and joins it to its fragments_dir.
    name = render(role, **{VARIABLE: "/srv/elsewhere.d"})
    assert name == render(role) and os.path.basename(name) == name and name.endswith(".json")
    tasks = "\n".join(open(p).read() for p in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")))
    assert re.search(r"_docker_daemon_fragments: \"\{\{ \{%s: " % HANDED[role], tasks)
    assert "fragments: \"{{ _docker_daemon_fragments | default({}) }}\"" in open(
        os.path.join(ROOT, "roles", "docker_daemon", "tasks", "configure.yml")).read()
