"""kernel_params' plan (plugin_utils._kernel_params, the _kernel_params_plan filter), against what the role's Jinja
(roles/kernel_params/tasks/preflight.yml until this change) built and refused from the same variables."""
import itertools

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.dockerops.host.plugins.filter.kernel_params import FilterModule

# The role's expressions, verbatim.
OLD_WANTED = ("{{ ({'net.bridge.bridge-nf-call-iptables': 1, 'net.bridge.bridge-nf-call-ip6tables': 1}"
              " if kernel_params_bridge_nf else {})"
              " | combine({'net.ipv4.ip_forward': 1} if kernel_params_kubernetes else {})"
              " | combine(kernel_params_extra) }}")
OLD_BAD = ("{{ kernel_params_extra | dict2items | rejectattr('value', 'number') | rejectattr('value', 'string')"
           " | map(attribute='key') | list }}")

EXTRAS = [
    {},
    {"vm.max_map_count": 262144, "net.ipv4.tcp_rmem": "4096 87380 6291456"},
    {"net.ipv4.ip_forward": 0, "net.bridge.bridge-nf-call-iptables": "0"},  # extra wins a name
    {"a.list": [1], "vm.swappiness": 10, "a.null": None, "a.dict": {"x": 1}, "a.bool": True, "a.float": 1.5},
]


def old(extra, bridge_nf, kubernetes):
    templar = Templar(loader=DataLoader(), variables=dict(kernel_params_extra=extra,
                                                          kernel_params_bridge_nf=bridge_nf,
                                                          kernel_params_kubernetes=kubernetes))
    return dict(wanted=templar.template(trust_as_template(OLD_WANTED)), bad=templar.template(trust_as_template(OLD_BAD)))


def plan(extra, bridge_nf, kubernetes):
    return FilterModule().filters()["_kernel_params_plan"](extra, bridge_nf=bridge_nf, kubernetes=kubernetes)


@pytest.mark.parametrize("extra, bridge_nf, kubernetes", list(itertools.product(EXTRAS, [True, False], [True, False])))
def test_the_same_plan_as_the_jinja_built(extra, bridge_nf, kubernetes):
    assert plan(extra, bridge_nf, kubernetes) == old(extra, bridge_nf, kubernetes)


def test_the_role_defaults_and_kubernetes():
    assert plan({}, True, False) == dict(wanted={"net.bridge.bridge-nf-call-iptables": 1,
                                                 "net.bridge.bridge-nf-call-ip6tables": 1}, bad=[])
    assert plan({"vm.swappiness": 1}, False, True) == dict(wanted={"net.ipv4.ip_forward": 1, "vm.swappiness": 1},
                                                           bad=[])


def test_bad_names_in_order_and_the_extra_wins():
    got = plan({"b.null": None, "a.list": [1], "net.ipv4.ip_forward": 0, "c.dict": {}}, True, True)
    assert got["bad"] == ["b.null", "a.list", "c.dict"]
    assert got["wanted"]["net.ipv4.ip_forward"] == 0
