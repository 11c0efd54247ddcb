"""ansible-doc lists every filter of the collection, the internal (_name) ones as UNDOCUMENTED, and renders each
public one from its plugins/filter/<name>.yml with examples and return values (tests/unit/plugins/filter/
test_filter_docs.py checks the rules on the files; this runs ansible-doc on the checkout, with the lab's
collections)."""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "plugins", "filter"))

from test_filter_docs import all_filters, public_filters  # noqa: E402


def test_ansible_doc_renders_every_public_filter(tmp_path):
    collections = os.path.join(ROOT, ".cache", "collections")
    real = os.path.realpath(ROOT).split(os.sep)
    if real[-3:] == ["ansible_collections", "dockerops", "host"]:
        collections = os.sep.join(real[:-3])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCAL_TEMP=str(tmp_path),
               ANSIBLE_HOME=str(tmp_path), ANSIBLE_NOCOLOR="1")
    names = ["dockerops.host." + f for f in public_filters()]
    listed = subprocess.run([sys.executable, "-m", "ansible", "doc", "-t", "filter", "-l", "--json", "dockerops.host"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert listed.returncode == 0 and not listed.stderr.strip(), listed.stderr
    listing = json.loads(listed.stdout)
    assert sorted(listing) == ["dockerops.host." + f for f in all_filters()]
    for name, desc in listing.items():
        assert (desc == "UNDOCUMENTED") == name.startswith("dockerops.host._"), (name, desc)
    shown = subprocess.run([sys.executable, "-m", "ansible", "doc", "-t", "filter", "--json"] + names,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert shown.returncode == 0 and not shown.stderr.strip(), shown.stderr
    docs = json.loads(shown.stdout)
    assert sorted(docs) == sorted(names)
    for name in names:
        assert docs[name]["doc"]["name"] == name.split(".")[-1]
        assert docs[name]["examples"] and docs[name]["return"]


def redirects():
    runtime = yaml.safe_load(open(os.path.join(ROOT, "meta", "runtime.yml")))
    return (runtime.get("plugin_routing") or {}).get("filter") or {}


def test_no_filter_is_redirected():
    # Every caller uses the internal filters' underscored names: an old public name left as a redirect in
    # meta/runtime.yml would keep it callable.
    assert redirects() == {}


def test_internal_filters_are_called_by_their_underscored_name_in_playbooks_and_tests():
    paths = glob.glob(os.path.join(ROOT, "playbooks", "*.yml")) + \
        glob.glob(os.path.join(ROOT, "extensions", "molecule", "**", "*.yml"), recursive=True) + \
        glob.glob(os.path.join(ROOT, "roles", "**", "*.yml"), recursive=True)
    assert len(paths) > 100
    internal = [f[1:] for f in all_filters() if f.startswith("_")]
    for path in paths:
        text = open(path).read()
        for old in internal:
            assert not re.search(r"dockerops\.host\.%s\b" % old, text), "%s calls dockerops.host.%s" % (path, old)
