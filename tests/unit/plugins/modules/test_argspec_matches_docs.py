"""Each module's argument spec is what its DOCUMENTATION promises: the same options, and for each its type,
default, choices, elements and required (users read ansible-doc; the module does what the spec says). ansible-test's
validate-modules checks this too, but only in the sanity suite; here the unit tests (and the mutation gate) see it."""
import importlib
import os

import pytest
import yaml
from ansible.module_utils import basic

MODULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins", "modules")
MODULES = sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith(".py") and not f.startswith("_"))
KEYS = ("type", "default", "choices", "elements", "required")
IMPLIED = dict(type="str", default=None, choices=None, elements=None, required=False)


class Captured(Exception):
    pass


def argument_spec(name, monkeypatch):
    module = importlib.import_module("ansible_collections.dockerops.host.plugins.modules." + name)

    def capture(self, argument_spec=None, **kw):
        raise Captured(argument_spec)
    monkeypatch.setattr(basic.AnsibleModule, "__init__", capture)
    with pytest.raises(Captured) as e:
        module.main()
    return module, e.value.args[0]


def described(spec):
    return dict((k, spec.get(k, IMPLIED[k])) for k in KEYS)


def test_every_module_is_checked():
    assert len(MODULES) >= 9 and "swap_off" in MODULES and "dpkg_lock_info" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_argspec_matches_documentation(name, monkeypatch):
    module, spec = argument_spec(name, monkeypatch)
    options = yaml.safe_load(module.DOCUMENTATION).get("options") or {}
    assert sorted(spec) == sorted(options), "options in the argument spec and in DOCUMENTATION differ"
    for option, doc in options.items():
        assert described(spec[option]) == described(doc), option
        suboptions = doc.get("suboptions")
        if suboptions:
            inner = spec[option].get("options") or {}
            assert sorted(inner) == sorted(suboptions), option
            for sub, subdoc in suboptions.items():
                assert described(inner[sub]) == described(subdoc), "%s.%s" % (option, sub)
