"""The filters' public surface: one name per filter, and documentation only for the filters users should call.

ansible-core lists every name a FilterModule returns (ansible-doc -t filter -l); a filter file's own DOCUMENTATION
would be shown for every filter in the file and would make ansible-doc accept the file's name as a second one. So:
  - no filter file has DOCUMENTATION;
  - a filter whose name starts with _ is internal (called by the roles and playbooks only, undocumented);
  - every other filter is public and has plugins/filter/<name>.yml (DOCUMENTATION, EXAMPLES, RETURN) that
    ansible-doc renders, whose examples call it by its FQCN;
ansible-doc itself renders them, meta/runtime.yml redirects none, and nothing calls an internal filter by its old
name: tests/tools/test_filter_docs_render.py (they read the whole collection, which the mutation gate's copy of it
is not).
"""
import glob
import importlib
import os

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..")
FILTER_DIR = os.path.join(ROOT, "plugins", "filter")
FILES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(FILTER_DIR, "*.py")))
PUBLIC_MINIMUM = {"docker_size", "docker_disk_usage", "pgp_fingerprints"}


def filters_by_file():
    out = {}
    for name in FILES:
        module = importlib.import_module("ansible_collections.dockerops.host.plugins.filter." + name)
        out[name] = sorted(module.FilterModule().filters())
    return out


def all_filters():
    return sorted(f for names in filters_by_file().values() for f in names)


def public_filters():
    return [f for f in all_filters() if not f.startswith("_")]


def test_the_public_filters_are_the_ones_users_call():
    assert len(FILES) >= 7 and len(all_filters()) >= 30
    assert set(public_filters()) == PUBLIC_MINIMUM


def test_one_name_per_filter():
    names = all_filters()
    assert len(names) == len(set(names)), "a filter name is defined in two files"
    assert not set(names) & set(FILES), "a filter file is named after one of its filters' names in another file"


@pytest.mark.parametrize("name", FILES)
def test_no_filter_file_has_shared_documentation(name):
    module = importlib.import_module("ansible_collections.dockerops.host.plugins.filter." + name)
    for attr in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert not hasattr(module, attr), "%s.py has %s: ansible-doc would show it for every filter in the file " \
            "and under the file's name; document public filters in plugins/filter/<name>.yml" % (name, attr)


def test_every_doc_file_documents_a_public_filter():
    docs = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(FILTER_DIR, "*.yml")))
    assert docs == public_filters()


@pytest.mark.parametrize("name", sorted(PUBLIC_MINIMUM))
def test_public_filter_documentation(name):
    with open(os.path.join(FILTER_DIR, name + ".yml")) as f:
        doc = yaml.safe_load(f)
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["DOCUMENTATION"]["short_description"] and doc["DOCUMENTATION"]["description"]
    assert "_input" in doc["DOCUMENTATION"]["options"] and "_value" in doc["RETURN"]
    assert "dockerops.host." + name in doc["EXAMPLES"]
    yaml.safe_load(doc["EXAMPLES"])  # the examples are YAML tasks


