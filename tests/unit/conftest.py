"""Unit tests import the collection as ansible_collections.dockerops.host.

`make test` puts .cache/collections (a link to this checkout) on PYTHONPATH;
in a checkout at ansible_collections/dockerops/host its parent is used;
this makes a plain `pytest tests/unit` work too.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT.split(os.sep)[-3:] == ["ansible_collections", "dockerops", "host"]:
    # Checked out (or copied, as tests/mutation does) where Python finds it.
    LINK_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
else:
    LINK_ROOT = os.path.join(ROOT, ".cache", "collections")
    link = os.path.join(LINK_ROOT, "ansible_collections", "dockerops", "host")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
if LINK_ROOT not in sys.path:
    sys.path.insert(0, LINK_ROOT)
# tests/unit/harness.py, shared by the module tests.
if HERE not in sys.path:
    sys.path.insert(0, HERE)
