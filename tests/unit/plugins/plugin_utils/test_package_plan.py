"""The install roles' package plans (plugin_utils/_docker_repo.py: apt_queried, apt_plan, rpm_plan),
on dpkg-query and package_facts outputs recorded in the lab's images (fixtures/dpkg_query/README.md,
fixtures/package_facts/README.md)."""
import json
import os

import pytest

from ansible_collections.dockerops.host.plugins.plugin_utils import _docker_repo as dr

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")

# The roles' defaults (roles/docker_install_ubuntu/defaults/main.yml).
PACKAGES = ["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin",
            "docker-ce-rootless-extras"]
DISTRO = ["docker.io"]
PYTHON = ["python3-requests", "python3-docker"]
LEGACY = ["docker", "docker-engine", "docker.io", "docker-doc", "docker-compose", "docker-compose-v2",
          "podman-docker", "containerd", "runc"]
# Recorded on a converged Debian 12 lab host (the fixture mirror's 20.10.24, held), as in test_docker_repo.py.
CONVERGED = (
    "containerd\tun \t\tunknown\n"
    "containerd.io\tii \t1.6.20-1\tinstall\n"
    "docker-ce\thi \t5:20.10.24-1~debian.12~bookworm\thold\n"
    "docker-ce-cli\tii \t5:20.10.24-1~debian.12~bookworm\tinstall\n"
    "docker-buildx-plugin\tii \t0.0.1-1~debian.12~bookworm\tinstall\n"
    "docker-compose-plugin\tii \t0.0.1-1~debian.12~bookworm\tinstall\n"
    "docker-ce-rootless-extras\tii \t5:20.10.24-1~debian.12~bookworm\tinstall\n"
    "python3-apt\tii \t2.6.0\tinstall\n"
    "python3-docker\tii \t5.0.3-1\tinstall\n"
    "python3-requests\tii \t2.28.1+dfsg-1\tinstall\n"
)
ENFORCED = "WQo="  # base64 of "Y\n", as slurp returns /sys/module/apparmor/parameters/enabled
NOT_ENFORCED = "Tgo="  # "N\n"


def dpkg(name):
    with open(os.path.join(FIXTURES, "dpkg_query", name + ".out")) as f:
        return f.read()


def plan(text, **kwargs):
    args = dict(packages=PACKAGES, distro_packages=DISTRO, python_packages=PYTHON, legacy_packages=LEGACY)
    args.update(kwargs)
    return dr.apt_plan(text, **args)


def test_queried_names_every_package_once_without_versions():
    assert dr.apt_queried(PACKAGES + ["docker-ce-cli=5:27.3.*"], DISTRO, PYTHON, LEGACY) == (
        PACKAGES + DISTRO + PYTHON + ["docker", "docker-engine", "docker-doc", "docker-compose", "docker-compose-v2",
                                      "podman-docker", "containerd", "runc", "docker-cli", "kubelet", "apparmor", "python3-apt"])
    assert dr.apt_queried(["docker-cli"]) == ["docker-cli", "kubelet", "apparmor", "python3-apt"]


@pytest.mark.parametrize("image", ["bookworm-fresh", "trixie-fresh"])
def test_fresh_host_installs_everything_and_removes_nothing(image):
    p = plan(dpkg(image))
    assert p["base"] == p["names"] == p["missing_base"] == p["missing"] == PACKAGES + PYTHON
    assert p["missing_names"] == PACKAGES + PYTHON
    assert p["conflicting"] == []
    assert p["engine_version"] is None and p["engine_changes"] is False and p["kubelet"] is False
    assert p["pinned"] is False and p["version_spec"] == "" and p["selection"] == "install"
    assert p["held"] == ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras", "containerd.io"]
    assert p["apt_usable"] is True
    assert p["installed"] == {"python3-apt": {"installed": True, "version": p["installed"]["python3-apt"]["version"],
                                              "selection": "install"}}


def test_a_pin_applies_to_the_engine_packages_and_holds_them():
    p = plan(dpkg("bookworm-fresh"), version="27.3", hold=True)
    assert p["base"][:3] == ["docker-ce=5:27.3.*", "docker-ce-cli=5:27.3.*", "containerd.io"]
    assert p["base"][5] == "docker-ce-rootless-extras=5:27.3.*"
    assert p["missing_names"][:2] == ["docker-ce", "docker-ce-cli"]
    assert p["pinned"] is True and p["version_spec"] == "5:27.3.*" and p["selection"] == "hold"
    assert plan(dpkg("bookworm-fresh"), version="27.3", hold=False)["selection"] == "install"


def test_the_distribution_runtime_conflicts_and_the_engine_changes():
    p = plan(dpkg("bookworm-docker-io"))
    assert p["conflicting"] == ["docker.io", "containerd", "runc"]
    assert p["engine_changes"] is True and p["engine_version"] is None
    assert "python3-requests" not in p["missing"] and "python3-docker" in p["missing"]


def test_distro_source_conflicts_with_nothing_and_adds_docker_cli_only_when_apt_has_it():
    p = plan(dpkg("trixie-docker-io"), source="distro")
    assert p["conflicting"] == [] and p["engine_changes"] is False
    assert p["names"] == ["docker.io", "python3-requests", "python3-docker"]
    assert p["missing"] == ["python3-docker"] and p["selection"] == "install"
    q = plan(dpkg("trixie-docker-io"), source="distro", distro_cli=True)
    assert q["names"] == ["docker.io", "python3-requests", "python3-docker", "docker-cli"]
    assert q["missing"] == ["python3-docker", "docker-cli"]
    assert q["base"] == p["base"] and q["missing_base"] == p["missing_base"]


def test_distro_source_keeps_an_installed_docker_cli():
    text = dpkg("trixie-docker-io").replace("docker-cli\tun \t\tunknown", "docker-cli\tii \t26.1.5+dfsg1-9\tinstall")
    assert plan(text, source="distro")["names"][-1] == "docker-cli"
    assert "docker-cli" not in plan(text, source="distro")["missing"]
    assert "docker-cli" not in plan(text)["names"]


def test_a_converged_host_needs_nothing_and_a_new_pin_changes_the_engine():
    p = plan(CONVERGED, version="20.10", hold=True)
    assert p["missing_base"] == p["missing"] == []
    assert p["engine_version"] == "5:20.10.24-1~debian.12~bookworm" and p["engine_changes"] is False
    q = plan(CONVERGED, version="26.1")
    assert q["missing"] == ["docker-ce=5:26.1.*", "docker-ce-cli=5:26.1.*", "docker-ce-rootless-extras=5:26.1.*"]
    assert q["missing_names"] == ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"]
    assert q["engine_changes"] is True
    # Only the engine's own package counts: a new CLI alone does not.
    r = plan(CONVERGED, packages=["docker-ce-cli"], version="26.1")
    assert r["missing"] == ["docker-ce-cli=5:26.1.*"] and r["engine_changes"] is False


def test_apt_has_work_only_where_something_is_to_install_remove_or_read():
    # A converged host: nothing for apt, so the role skips its apt steps as one.
    assert plan(CONVERGED, version="20.10", hold=True)["apt_work"] is False
    # Something to install: a fresh host, or a new pin on a converged one.
    assert plan(dpkg("bookworm-fresh"))["apt_work"] is True
    assert plan(CONVERGED, version="26.1")["apt_work"] is True
    # Only something to remove: the distribution's runtime beside a converged Docker CE.
    conflicting = CONVERGED.replace("containerd\tun \t\tunknown", "containerd\tii \t1.6.20~ds1-1\tinstall")
    p = plan(conflicting, version="20.10")
    assert p["missing"] == [] and p["conflicting"] == ["containerd"] and p["apt_work"] is True
    # From the distribution: apt is asked whether it ships docker-cli while that is not installed...
    # (the recorded host has docker.io and python3-requests: a role asked for only those)
    distro = dpkg("trixie-docker-io")
    q = plan(distro, source="distro", python_packages=["python3-requests"])
    assert q["missing"] == [] and q["apt_work"] is True
    # ...and not once it is.
    with_cli = distro.replace("docker-cli\tun \t\tunknown", "docker-cli\tii \t26.1.5+dfsg1-9\tinstall")
    assert plan(with_cli, source="distro", python_packages=["python3-requests"])["apt_work"] is False


@pytest.mark.parametrize("content, parser, wanted", [
    (ENFORCED, True, True),
    (NOT_ENFORCED, True, False),
    (ENFORCED, False, False),
    ("", True, False),
])
def test_apparmor_parser_where_the_kernel_enforces_apparmor(content, parser, wanted):
    p = plan(dpkg("bookworm-fresh"), apparmor=content, apparmor_parser=parser)
    assert ("apparmor" in p["base"]) is wanted
    assert p["base"][-1] == ("apparmor" if wanted else "python3-docker")


def test_apparmor_content_that_is_not_base64_is_refused():
    with pytest.raises(dr.DockerRepoError, match="AppArmor parameter read from the host is not base64: 'Y'"):
        plan(dpkg("bookworm-fresh"), apparmor="Y")


def test_apt_is_usable_in_check_mode_only_with_python3_apt():
    without = dpkg("bookworm-docker-io").replace("python3-apt\tii \t2.6.0\tinstall\n", "")
    assert plan(without, check_mode=True)["apt_usable"] is False
    assert plan(without, check_mode=False)["apt_usable"] is True
    assert plan(dpkg("bookworm-docker-io"), check_mode=True)["apt_usable"] is True


def test_bad_inputs_are_refused_naming_the_variable():
    with pytest.raises(dr.DockerRepoError, match="^docker_install_ubuntu_version 'latest' is not a Debian version"):
        plan("", version="latest", varname="docker_install_ubuntu_version")
    with pytest.raises(dr.DockerRepoError, match="source 'docker' is not one of upstream, distro"):
        plan("", source="docker")
    with pytest.raises(dr.DockerRepoError, match="unexpected dpkg-query line"):
        plan("docker-ce ii 5:20\n")


def package_facts():
    with open(os.path.join(FIXTURES, "package_facts", "rocky9-docker-ce.json")) as f:
        return json.load(f)


def rpm(**kwargs):
    # roles/docker_install_centos/defaults/main.yml
    args = dict(packages=PACKAGES, python_packages=["python3-requests"],
                legacy_packages=["docker", "docker-client", "docker-client-latest", "docker-common", "docker-latest",
                                 "docker-latest-logrotate", "docker-logrotate", "docker-selinux",
                                 "docker-engine-selinux", "docker-engine"],
                legacy_packages_el8=["podman-docker", "runc"])
    args.update(kwargs)
    return dr.rpm_plan(**args)


def test_rpm_plan_on_a_fresh_el9_host():
    p = rpm(installed={}, major="9")
    assert p["names"] == PACKAGES + ["python3-requests"]
    assert p["version_spec"] == "" and p["locked"] == [] and p["lock"] is True and p["lock_tool"] == "dnf"
    assert p["conflicting"] == [] and p["runtimes"] == [] and p["kubelet"] is False
    assert p["engine_version"] is None and p["engine_changes"] is False
    assert p["prerequisites"] == ["dnf-plugins-core", "python3-dnf-plugin-versionlock", "device-mapper-persistent-data",
                                  "lvm2"]


def test_rpm_plan_pins_and_locks_the_engine_packages():
    p = rpm(installed=package_facts(), version="20.10.23", hold=False, major=9, selinux="enabled")
    assert p["names"][:2] == ["docker-ce-20.10.23*", "docker-ce-cli-20.10.23*"]
    assert p["names"][5] == "docker-ce-rootless-extras-20.10.23*" and p["names"][2] == "containerd.io"
    assert p["locked"] == ["docker-ce", "docker-ce-cli", "docker-ce-rootless-extras"] and p["lock"] is False
    assert p["engine_version"] == "20.10.23" and p["engine_changes"] is True
    assert p["prerequisites"][-1] == "container-selinux"


def test_rpm_plan_an_installed_engine_without_a_pin_stays():
    assert rpm(installed=package_facts())["engine_changes"] is False


def test_rpm_plan_conflicts_by_release():
    installed = {"podman": [{}], "podman-docker": [{}], "runc": [{}], "docker": [{"version": "1.13.1"}],
                 "kubelet": [{}]}
    el7 = rpm(installed=installed, major=7)
    assert el7["conflicting"] == ["docker"] and el7["lock_tool"] == "yum"
    assert el7["prerequisites"][:2] == ["yum-utils", "yum-plugin-versionlock"]
    el9 = rpm(installed=installed, major=9)
    assert el9["conflicting"] == ["docker", "podman-docker", "runc"]
    assert el9["runtimes"] == ["podman", "docker"] and el9["kubelet"] is True
    # Docker CE replaces the distribution's docker: the engine changes, with no docker-ce yet.
    assert el9["engine_changes"] is True and el9["engine_version"] is None


def test_rpm_plan_asks_dnf_only_for_what_is_not_installed_as_asked():
    fresh = rpm(installed={}, major="9")
    assert fresh["missing"] == fresh["names"] and fresh["prerequisites_missing"] == fresh["prerequisites"]
    # The recorded host: docker-ce 3:20.10.23-1.el9 and containerd.io installed, nothing else of the role's.
    unpinned = rpm(installed=package_facts())
    assert "docker-ce" not in unpinned["missing"] and "containerd.io" not in unpinned["missing"]
    assert unpinned["missing"][0] == "docker-ce-cli"
    for version in ("20.10.23", "20.10", "20.10.23-1.el9", "3:20.10.23-1.el9"):
        p = rpm(installed=package_facts(), version=version)
        assert "docker-ce-" + p["version_spec"] not in p["missing"], version
        assert p["missing"][0] == "docker-ce-cli-" + p["version_spec"], version
    # dnf's glob: 20.10.2* takes 20.10.23 too, as dnf would.
    assert "docker-ce-20.10.2*" not in rpm(installed=package_facts(), version="20.10.2")["missing"]
    # An exact version-release is matched whole, not as a prefix.
    for version in ("24.0", "20.10.24", "20.10.23-2.el9", "20.10.23-1.el", "2:20.10.23-1.el9"):
        p = rpm(installed=package_facts(), version=version)
        assert p["missing"][0] == "docker-ce-" + p["version_spec"], version
    # An epoch package_facts did not give is a doubt: dnf is asked.
    facts = package_facts()
    facts["docker-ce"] = [dict(facts["docker-ce"][0], epoch=None)]
    assert rpm(installed=facts, version="3:20.10.23-1.el9")["missing"][0] == "docker-ce-3:20.10.23-1.el9"
    assert rpm(installed=facts, version="20.10")["missing"][0] == "docker-ce-cli-20.10.*"
    # Prerequisites by name.
    some = dict(package_facts(), lvm2=[{"version": "2.03.23"}], **{"dnf-plugins-core": [{"version": "4.3.0"}]})
    assert rpm(installed=some)["prerequisites_missing"] == ["python3-dnf-plugin-versionlock", "device-mapper-persistent-data"]
    assert rpm(installed=dict(package_facts(), **{name: [{}] for name in fresh["names"]}))["missing"] == []


def test_rpm_plan_refuses_bad_inputs_naming_the_variable():
    with pytest.raises(dr.DockerRepoError, match="^docker_install_centos_version 'latest' is not an RPM version"):
        rpm(version="latest", varname="docker_install_centos_version")
    with pytest.raises(dr.DockerRepoError, match="major version 'Stream' is not a number"):
        rpm(major="Stream")


@pytest.mark.parametrize("value", [27.3, 27.1, True])
def test_an_unquoted_version_is_refused_naming_the_variable(value):
    # YAML reads `docker_install_version: 27.10` as the number 27.1: only the user's quotes keep the zero.
    with pytest.raises(dr.DockerRepoError, match="^docker_install_version %r is a number, not a version: quote it"
                       % (value,)):
        plan("", version=value, varname="docker_install_version")
    with pytest.raises(dr.DockerRepoError, match="is a number, not a version"):
        rpm(version=value, varname="docker_install_version")


def test_a_whole_number_version_is_its_digits():
    assert plan("", version=27)["version_spec"] == "5:27.*"
    assert rpm(version=27)["version_spec"] == "27.*"
    assert plan("", version=None)["version_spec"] == ""
