"""Run a module's main() in-process: arguments in, exit_json/fail_json results out; the recorded docker info
outputs the module tests share (tests/unit/fixtures/docker_info/README.md says how each was recorded)."""
import json
import os

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        yield


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def patch_exits(monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", lambda self, **kw: (_ for _ in ()).throw(Exit(kw)))
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", lambda self, **kw: (_ for _ in ()).throw(Fail(kw)))


def run_main(main, args):
    """('Exit' or 'Fail', the result dict) of main() with these module arguments."""
    with patch_module_args(args):
        try:
            main()
        except (Exit, Fail) as e:
            return type(e).__name__, e.args[0]
    raise AssertionError("module neither exited nor failed")


DOCKER_INFO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "docker_info")


def recorded_info(name):
    with open(os.path.join(DOCKER_INFO, name)) as f:
        return f.read()


def recorded_run(name):
    """(rc, stdout, stderr) of a docker info run recorded as name.rc, name.stdout and name.stderr."""
    return tuple([int(recorded_info(name + ".rc"))] + [recorded_info(name + "." + ext) for ext in ("stdout", "stderr")])


# docker info with no engine behind the socket (rc, stdout, stderr), recorded: the 28.2 CLI exits 1, Debian 12's
# 20.10 CLI exits 0 with only ServerErrors.
ENGINE_DOWN_28 = recorded_run("engine-down-28.2-cli")
ENGINE_DOWN_20_10 = recorded_run("engine-down-20.10-cli")
# The 28.2 CLI under timeout(1) against an engine that never answers: exit 124.
TIMEOUT_28 = recorded_run("timeout-28.2-cli")
