"""The Docker Engine API answers recorded on the lab host for docker_audit_info (fixtures/audit_engine/README.md),
served by a stand-in for docker.APIClient; shared by the module's and the audit engine's tests."""
import copy
import json
import os

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "audit_engine", "lab-20.10.json")


def recorded():
    with open(FIXTURE) as f:
        return json.load(f)


class FakeAPI(object):
    """A docker.APIClient that answers what the lab engine answered, and notes each call."""

    def __init__(self, answers, calls=None):
        self.answers, self.calls = answers, calls if calls is not None else []

    def info(self):
        self.calls.append(("info",))
        return self.answers["info"]

    def version(self):
        self.calls.append(("version",))
        return self.answers["version"]

    def containers(self, all=False, size=False):
        self.calls.append(("containers", all, size))
        return self.answers["containers"]

    def inspect_container(self, cid):
        self.calls.append(("inspect_container", cid))
        return self.answers["inspect_container"][cid]

    def images(self):
        self.calls.append(("images",))
        return self.answers["images"]

    def inspect_image(self, iid):
        self.calls.append(("inspect_image", iid))
        return self.answers["inspect_image"][iid]

    def history(self, iid):
        self.calls.append(("history", iid))
        return self.answers["history"][iid]


def module_result():
    """What docker_audit_info returns on the recorded answers (a fresh copy each time)."""
    from ansible_collections.dockerops.host.plugins.modules import docker_audit_info
    return copy.deepcopy(docker_audit_info.gather(FakeAPI(recorded()), ["containers", "images"]))
