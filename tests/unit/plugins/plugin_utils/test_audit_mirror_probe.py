"""plugin_utils._audit: a host audited with the daemon checks alone, where docker_audit_info ran for the registry
mirrors' probe only (on docker_audit_info's result recorded on the lab engine, audit_recorded.py)."""
from ansible_collections.dockerops.host.plugins.plugin_utils import _audit as audit

from test_audit import codes, healthy


def test_daemon_checks_alone_without_the_sdk_are_not_an_incomplete_audit():
    # docker_audit_info ran for the mirrors' probe only (no container or image checks) and failed as it does on a
    # host without python3-docker (its message shortened): a warning, the mirrors listed unjudged, no action.
    from audit_recorded import module_result
    info = module_result()["daemon"]["info"]
    info["RegistryConfig"]["Mirrors"] = ["https://mirror.lab.invalid/"]
    missing = ("docker_audit_info: Failed to import the required Python library (Docker SDK for Python "
               "(python3-docker)) on el9's Python /usr/bin/python3.")
    row = audit.build_row("el9", healthy(host_info={"host_info": info}, checks=["daemon"], errors=[missing]))
    assert codes(row) == [] and row["errors"] == []
    assert row["warnings"][-1] == "registry mirrors not probed (%s)" % missing
    found = dict((f["check"], f) for f in row["findings"])
    assert found["daemon_registry_mirrors"]["detail"].endswith("(whether each answers is not checked)")
    # With the container or image checks it is what it was: the audit is incomplete.
    row = audit.build_row("el9", healthy(host_info={"host_info": info}, checks=["daemon", "images"], errors=[missing]))
    assert codes(row) == ["audit_incomplete"] and row["errors"] == [missing]
    assert not any(w.startswith("registry mirrors not probed") for w in row["warnings"])
