#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_audit_info
short_description: Read what the audit's container and image checks need from the Docker engine, read-only
description:
  - Asks the Docker engine's API, through the Docker SDK for Python, for what community.docker's modules do not
    return and the audit's checks read; the decisions are taken on the controller, not here.
  - For each container (stopped ones too) the size of its writable layer (C(SizeRw), from the container list with
    sizes, which makes the engine walk each writable layer; it can take a while on a host with many containers), and
    from its inspect data the state, the image, the mounts and the host settings the checks read (privileges,
    namespaces, limits, restart policy, log driver and its rotation options).
  - For each image its tags, creation time, layer count (C(RootFS.Layers)), health check, and history (each entry's
    C(CreatedBy) and C(Comment)).
  - The engine's C(info()) and C(version()), trimmed to the fields the checks read.
  - With C(mirrors) in O(gather), whether each registry mirror the engine uses (C(RegistryConfig.Mirrors) of its
    C(info())) answers as a registry. One C(GET <mirror>/v2/) each, from the host, with the module's environment
    (its proxy variables, not dockerd's), redirects followed for C(GET) only, no credentials (none from the URL,
    none from C(~/.netrc)). Its certificate is checked as dockerd checks it. It is not checked for an insecure
    registry, one whose C(host:port) C(IndexConfigs) marks not secure, or whose IP address is in
    C(InsecureRegistryCIDRs); names are not resolved for that. It is checked against the CA files
    C(O(certs_dir)/host:port/*.crt) where there are some, and against the system's CAs otherwise.
  - A mirror answers when that request gets HTTP 200 or 401 (a registry asking for credentials) with the
    C(Docker-Distribution-Api-Version) header the registry API sets. Any other answer, a refused connection, a
    certificate error or no answer within O(probe_timeout) is reported with its cause. A user name and password in
    a mirror's URL are neither sent nor returned.
  - Nothing secret is returned. A container's C(Config.Env), C(Cmd), C(Entrypoint) and labels are dropped, and of
    its C(HostConfig.LogConfig) only C(Type) and the C(max-size) and C(max-file) options are kept (other drivers'
    options hold tokens and credentials); in image history, the values of build arguments (the C(|N NAME=VALUE)
    prefix the legacy builder and BuildKit, after C(RUN), record), of C(ARG) defaults and of C(ENV) instructions are
    replaced by C(<redacted>). C(RUN) command lines are otherwise returned as the engine recorded them.
  - A container or image removed between the engine's list and its inspect or history is skipped and counted in
    RV(skipped).
version_added: 0.1.0
author: dockerops.host maintainers (@dockerops)
extends_documentation_fragment:
  - dockerops.host.read_only
options:
  docker_host:
    description: The engine's API address, as the Docker SDK takes it.
    type: str
    default: unix:///var/run/docker.sock
  timeout:
    description: Seconds to wait for each answer of the engine.
    type: int
    default: 120
  gather:
    description:
      - What to read besides the engine's C(info()) and C(version()), which are always read (the checks take the
        engine's clock, C(SystemTime), from them).
    type: list
    elements: str
    choices: [containers, images, mirrors]
    default: [containers, images]
  probe_timeout:
    description: Seconds to wait for each registry mirror's answer (O(gather) with C(mirrors)).
    type: int
    default: 5
  certs_dir:
    description: dockerd's per-registry certificate directory, where C(host:port/*.crt) are the CAs a mirror's
      certificate is checked against.
    type: path
    default: /etc/docker/certs.d
requirements:
  - Docker SDK for Python 2.0 or later on the host (Debian's and Ubuntu's C(python3-docker) package, or the
    C(docker) Python package).
notes:
  - The engine's socket is root's; run it with C(become).
  - The size of a container's writable layer is omitted by the engine when it is zero; it is returned as C(0) then.
seealso:
  - module: community.docker.docker_host_info
"""

EXAMPLES = r"""
- name: Read the containers, images and engine facts the audit checks
  dockerops.host.docker_audit_info:
  become: true
  register: docker_audit

- name: Containers whose writable layer holds more than 100 MB
  ansible.builtin.debug:
    msg: "{{ docker_audit.containers | selectattr('SizeRw', 'gt', 100000000) | map(attribute='Name') }}"
"""

RETURN = r"""
gathered:
  description: What was read of O(gather), in the order C(containers), C(images), C(mirrors).
  returned: always
  type: list
  elements: str
  sample: [containers, images, mirrors]
mirrors:
  description: One item per registry mirror of the engine's C(info()), in its order; empty unless O(gather) has
    C(mirrors).
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The mirror as the engine lists it, a user name and password in it replaced by C(<redacted>).
      type: str
      sample: https://mirror.example.net/
    answers:
      description: Whether C(GET <url>v2/) got HTTP 200 or 401 with the C(Docker-Distribution-Api-Version) header.
      type: bool
    status:
      description: The HTTP status of the answer (after redirects); null when there was none.
      type: int
      sample: 401
    api_version:
      description: The answer's C(Docker-Distribution-Api-Version) header; null without one.
      type: str
      sample: registry/2.0
    error:
      description: Why the mirror does not answer as a registry; null when it does.
      type: str
      sample: "connection failed: [Errno 111] Connection refused"
containers:
  description: One item per container, stopped ones included; empty unless O(gather) has C(containers).
  returned: always
  type: list
  elements: dict
  contains:
    Id:
      description: The container's ID.
      type: str
    Name:
      description: The container's name, without the leading C(/).
      type: str
      sample: web
    Image:
      description: The image the container was created from, as named then.
      type: str
      sample: nginx:1.27
    ImageID:
      description: The ID of that image.
      type: str
    Created:
      description: When the container was created (RFC 3339).
      type: str
    SizeRw:
      description: Bytes in the container's writable layer.
      type: int
      sample: 209715200
    State:
      description: C(Status), C(Running) and C(StartedAt) of the inspect data's C(State), and its C(RestartCount).
      type: dict
    HostConfig:
      description:
        - C(Privileged), C(NetworkMode), C(PidMode), C(IpcMode), C(UsernsMode), C(Memory), C(NanoCpus),
          C(CpuShares), C(CpuQuota) and C(RestartPolicy) of the inspect data, and its C(LogConfig) with C(Type) and
          C(Config) holding only C(max-size) and C(max-file) (those that are set), no other log option.
      type: dict
    Mounts:
      description: C(Type), C(Source), C(Destination) and C(RW) of each mount.
      type: list
      elements: dict
skipped:
  description: How many containers and images were removed between the engine's list and their inspect or history,
    and so are missing from RV(containers) and RV(images).
  returned: always
  type: dict
  contains:
    containers:
      description: Containers skipped.
      type: int
      sample: 0
    images:
      description: Images skipped.
      type: int
      sample: 0
images:
  description: One item per image (tagged or not, not the intermediate ones); empty unless O(gather) has C(images).
  returned: always
  type: list
  elements: dict
  contains:
    Id:
      description: The image's ID.
      type: str
    RepoTags:
      description: Its tags (none for a dangling image).
      type: list
      elements: str
    Created:
      description: When it was built (RFC 3339).
      type: str
    Size:
      description: Its size in bytes, shared layers included.
      type: int
    Layers:
      description: The number of its file system layers (C(RootFS.Layers)).
      type: int
      sample: 41
    Healthcheck:
      description: Its C(Config.Healthcheck) (C(Test) and the durations), null without one.
      type: dict
    History:
      description:
        - Its history, newest entry first, as C(docker history) shows it; C(Created) is a Unix time, C(CreatedBy)
          the instruction or command (values redacted as the description says), C(Comment) the builder's or
          C(docker commit -m)'s note, C(Size) the bytes of the layer (0 for an instruction that made none).
      type: list
      elements: dict
daemon:
  description: Trimmed C(info()) and C(version()) of the engine.
  returned: always
  type: dict
  contains:
    info:
      description:
        - C(ServerVersion), C(SystemTime), C(Driver), C(DockerRootDir), C(LoggingDriver), C(CgroupDriver),
          C(CgroupVersion), C(LiveRestoreEnabled), C(SecurityOptions), C(RegistryConfig) (C(InsecureRegistryCIDRs),
          C(Mirrors)), C(Containers), C(ContainersRunning), C(Images), C(Warnings).
      type: dict
    version:
      description: C(Version), C(ApiVersion), C(MinAPIVersion), C(Os), C(Arch), C(KernelVersion) and the
        C(Components) names and versions.
      type: dict
"""

import glob
import ipaddress
import os
import re
import socket
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError, open_url

try:
    import docker
    from docker.errors import DockerException, NotFound
except ImportError:
    docker = None
    DockerException = Exception
    NotFound = LookupError
    DOCKER_IMPORT_ERROR = traceback.format_exc()
else:
    DOCKER_IMPORT_ERROR = None

GATHER = ("containers", "images", "mirrors")
API_VERSION_HEADER = "Docker-Distribution-Api-Version"
# What a registry's /v2/ answers: 200, or 401 when it wants credentials (the distribution registry's API spec).
REGISTRY_STATUSES = (200, 401)
REDACTED = "<redacted>"

_CONTAINER_STATE = ("Status", "Running", "StartedAt")
_HOST_CONFIG = ("Privileged", "NetworkMode", "PidMode", "IpcMode", "UsernsMode", "Memory", "NanoCpus", "CpuShares",
                "CpuQuota", "RestartPolicy")
# Of HostConfig.LogConfig.Config only the rotation keys the checks read: other drivers' options hold secrets
# (splunk-token, logentries-token, a loki-url with user:password@).
_LOG_CONFIG = ("max-size", "max-file")
_MOUNT = ("Type", "Source", "Destination", "RW")
_INFO = ("ServerVersion", "SystemTime", "Driver", "DockerRootDir", "LoggingDriver", "CgroupDriver", "CgroupVersion",
         "LiveRestoreEnabled", "SecurityOptions", "Containers", "ContainersRunning", "Images", "Warnings")
_VERSION = ("Version", "ApiVersion", "MinAPIVersion", "Os", "Arch", "KernelVersion")
_BUILD_ARGS = re.compile(r"^((?:RUN )?)\|(\d+) (.*)$", re.S)
_ARG = re.compile(r"^(ARG\s+|.*?#\(nop\)\s+ARG\s+)(.*)$", re.S)
_ARG_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(=|$)")
_ENV = re.compile(r"^(.*?\bENV\s+)(.*)$", re.S)


def _pick(d, keys):
    d = d or {}
    return dict((k, d.get(k)) for k in keys)


def _redact_build_args(created_by):
    """The legacy builder prefixes a RUN with '|N NAME=VALUE ...' (its N build arguments), BuildKit with
    'RUN |N NAME=VALUE ...': keep the names."""
    m = _BUILD_ARGS.match(created_by)
    if not m:
        return created_by
    count = int(m.group(2))
    words = m.group(3).split(" ")
    names = [w.split("=", 1)[0] + "=" + REDACTED for w in words[:count]]
    return m.group(1) + " ".join(["|%d" % count] + names + words[count:])


def _redact_arg(created_by):
    """An ARG instruction's defaults (BuildKit 'ARG A=b', legacy '#(nop)  ARG A=b'): keep the names."""
    m = _ARG.match(created_by)
    if not m:
        return created_by
    head, rest = m.groups()
    names = []
    for w in rest.split():
        n = _ARG_NAME.match(w)
        if n:
            names.append(w.split("=", 1)[0] + ("=" + REDACTED if n.group(1) else ""))
    return head + " ".join(names)


def _redact_env(created_by):
    """An ENV instruction (legacy '#(nop)  ENV A=b', BuildKit 'ENV A=b'): keep the names."""
    if not (created_by.startswith("ENV ") or "#(nop)  ENV " in created_by or "#(nop) ENV " in created_by):
        return created_by
    head, rest = _ENV.match(created_by).groups()
    names = [w.split("=", 1)[0] for w in rest.split() if "=" in w] or rest.split()[:1]
    return head + " ".join(n + "=" + REDACTED for n in names)


def redact_created_by(created_by):
    return _redact_arg(_redact_env(_redact_build_args(created_by or "")))


def _log_config(inspected):
    log = (inspected.get("HostConfig") or {}).get("LogConfig") or {}
    config = log.get("Config") or {}
    return dict(Type=log.get("Type"), Config=dict((k, config[k]) for k in _LOG_CONFIG if k in config))


def trim_container(listed, inspected):
    """The fields the checks read of one container: its list entry (with sizes) and its inspect data."""
    return dict(
        Id=inspected["Id"],
        Name=(inspected.get("Name") or "").lstrip("/"),
        Image=(inspected.get("Config") or {}).get("Image"),
        ImageID=inspected.get("Image"),
        Created=inspected.get("Created"),
        SizeRw=listed.get("SizeRw") or 0,
        State=dict(_pick(inspected.get("State"), _CONTAINER_STATE), RestartCount=inspected.get("RestartCount")),
        HostConfig=dict(_pick(inspected.get("HostConfig"), _HOST_CONFIG), LogConfig=_log_config(inspected)),
        Mounts=[_pick(m, _MOUNT) for m in inspected.get("Mounts") or []],
    )


def trim_image(inspected, history):
    """The fields the checks read of one image: its inspect data and its history."""
    config = inspected.get("Config") or {}
    return dict(
        Id=inspected["Id"],
        RepoTags=inspected.get("RepoTags") or [],
        Created=inspected.get("Created"),
        Size=inspected.get("Size"),
        Layers=len((inspected.get("RootFS") or {}).get("Layers") or []),
        Healthcheck=config.get("Healthcheck"),
        History=[dict(Created=h.get("Created"), CreatedBy=redact_created_by(h.get("CreatedBy")),
                      Comment=h.get("Comment") or "", Size=h.get("Size") or 0) for h in history],
    )


def trim_daemon(info, version):
    trimmed = _pick(info, _INFO)
    registry = info.get("RegistryConfig") or {}
    trimmed["RegistryConfig"] = dict(InsecureRegistryCIDRs=registry.get("InsecureRegistryCIDRs") or [],
                                     Mirrors=registry.get("Mirrors") or [])
    v = _pick(version, _VERSION)
    v["Components"] = [dict(Name=c.get("Name"), Version=c.get("Version")) for c in version.get("Components") or []]
    return dict(info=trimmed, version=v)


def _without_userinfo(url):
    """The URL with a user name and password taken out (the request, which must not send them) and with them shown
    as REDACTED (what is returned)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, url
    host = parts.netloc.rpartition("@")[2]
    return (urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)),
            urlunsplit((parts.scheme, REDACTED + "@" + host, parts.path, parts.query, parts.fragment)))


def judge_answer(status, api_version):
    """(answers, error) of a mirror's /v2/ answer: its HTTP status and Docker-Distribution-Api-Version header."""
    if status in REGISTRY_STATUSES and api_version:
        return True, None
    if status in REGISTRY_STATUSES:
        return False, "HTTP %d without the %s header: not a registry's /v2/" % (status, API_VERSION_HEADER)
    return False, "HTTP %s%s" % (status, " (%s %s)" % (API_VERSION_HEADER, api_version) if api_version else "")


def _insecure(netloc, registry_config):
    """Whether dockerd treats the registry at netloc (host[:port]) as insecure: IndexConfigs says so, or its IP
    address is in InsecureRegistryCIDRs (names are not resolved)."""
    index = (registry_config.get("IndexConfigs") or {}).get(netloc) or {}
    if index.get("Secure") is False:
        return True
    host = netloc.rsplit(":", 1)[0] if not netloc.endswith("]") else netloc
    try:
        address = ipaddress.ip_address(to_text(host.strip("[]")))
    except ValueError:
        return False
    for cidr in registry_config.get("InsecureRegistryCIDRs") or []:
        try:
            if address in ipaddress.ip_network(to_text(cidr), strict=False):
                return True
        except ValueError:
            continue
    return False


def mirror_trust(url, registry_config, certs_dir):
    """(validate_certs, the CA files) for a mirror, as dockerd checks its certificate."""
    netloc = urlsplit(_without_userinfo(url)[0]).netloc
    if _insecure(netloc, registry_config or {}):
        return False, []
    return True, sorted(glob.glob(os.path.join(certs_dir, netloc, "*.crt")))


def probe_mirror(url, timeout, validate_certs=True, ca_files=()):
    """Whether one mirror answers GET <url>/v2/ as a registry."""
    target, shown = _without_userinfo(url)
    result = dict(url=shown, answers=False, status=None, api_version=None, error=None)
    bundle = None
    try:
        if ca_files:
            fd, bundle = tempfile.mkstemp(suffix=".crt")
            with os.fdopen(fd, "wb") as f:
                for name in ca_files:
                    with open(name, "rb") as ca:
                        f.write(ca.read() + b"\n")
        response = open_url(target.rstrip("/") + "/v2/", method="GET", timeout=timeout, follow_redirects="safe",
                            validate_certs=validate_certs, ca_path=bundle, use_proxy=True, use_netrc=False,
                            http_agent="dockerops.host docker_audit_info")
        status, headers = response.getcode(), response.headers
        response.close()
    except HTTPError as e:
        status, headers = e.code, e.headers
    except (URLError, UrlsConnectionError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        if isinstance(reason, socket.timeout):
            result["error"] = "no answer within %d s" % timeout
        else:
            result["error"] = "connection failed: %s" % (to_native(reason) or type(reason).__name__)
        return result
    finally:
        if bundle and os.path.exists(bundle):
            os.unlink(bundle)
    result["status"] = status
    result["api_version"] = (headers.get(API_VERSION_HEADER) if headers is not None else None) or None
    result["answers"], result["error"] = judge_answer(status, result["api_version"])
    return result


def gather(api, what, probe_timeout=5, certs_dir="/etc/docker/certs.d"):
    """What the module returns, read through a docker.APIClient."""
    info = api.info()
    result = dict(gathered=[w for w in GATHER if w in what], containers=[], images=[], mirrors=[],
                  skipped=dict(containers=0, images=0), daemon=trim_daemon(info, api.version()))
    # An object removed between the list and its inspect or history (404: NotFound) is skipped and counted.
    if "containers" in what:
        for listed in api.containers(all=True, size=True):
            try:
                result["containers"].append(trim_container(listed, api.inspect_container(listed["Id"])))
            except NotFound:
                result["skipped"]["containers"] += 1
    if "images" in what:
        for listed in api.images():
            try:
                result["images"].append(trim_image(api.inspect_image(listed["Id"]), api.history(listed["Id"])))
            except NotFound:
                result["skipped"]["images"] += 1
    if "mirrors" in what:
        for url in result["daemon"]["info"]["RegistryConfig"]["Mirrors"]:
            verify, ca_files = mirror_trust(url, info.get("RegistryConfig"), certs_dir)
            result["mirrors"].append(probe_mirror(url, probe_timeout, verify, ca_files))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_host=dict(type="str", default="unix:///var/run/docker.sock"),
            timeout=dict(type="int", default=120),
            gather=dict(type="list", elements="str", choices=list(GATHER), default=["containers", "images"]),
            probe_timeout=dict(type="int", default=5),
            certs_dir=dict(type="path", default="/etc/docker/certs.d"),
        ),
        supports_check_mode=True,
    )
    if docker is None:
        module.fail_json(msg=missing_required_lib("Docker SDK for Python (python3-docker)",
                                                  reason="to read the engine's API"),
                         exception=DOCKER_IMPORT_ERROR)
    try:
        api = docker.APIClient(base_url=module.params["docker_host"], version="auto",
                               timeout=module.params["timeout"])
        result = gather(api, module.params["gather"], module.params["probe_timeout"], module.params["certs_dir"])
    except (DockerException, IOError, OSError) as e:  # requests' errors are IOErrors
        module.fail_json(msg="Could not read the Docker engine at %s: %s" % (module.params["docker_host"],
                                                                             to_native(e)))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
