# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

The audit's container and image checks, on the result of the dockerops.host.docker_audit_info module.

Each finding is a row dict(check, cis, severity, subject, detail, action). ``cis`` is the number of the CIS Docker
Benchmark v1.6.0 recommendation as docker-bench-security numbers its check (tests/4_container_images.sh and
tests/5_container_runtime.sh), or None where no recommendation corresponds (the seed's own rules).

Severities, most severe first: critical (the host is one step from root: a privileged container, the engine's
socket inside one), high (a container shares the host's namespaces or can write to its system directories; an image
near AUFS's layer limit), medium (the seed's rules and resource limits: state in a container's writable layer, no
memory limit, unrotated logs, committed images, remote ADD, a layer budget exceeded), low (hygiene: no CPU limit,
restart policies, apt-get update alone, no HEALTHCHECK, old unused images), info (worth knowing).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import re

SEVERITIES = ("critical", "high", "medium", "low", "info")

# docker-bench-security's sensitive_dirs (check 5.6): mounted as such, not below.
SENSITIVE_DIRS = ("/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr")
AUFS_MAX_LAYERS = 127
DAY = 86400

DEFAULTS = dict(
    writable_layer_max_bytes=100 * 1024 * 1024,
    log_rotation_min_days=7,
    restart_max_retries=5,
    layers_near_limit=100,
    layer_budget=30,
    tags_max=5,
    unused_image_days=90,
)

_RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")
# How builders record a Dockerfile instruction in an image's history: the legacy builder's RUN ('/bin/sh -c CMD',
# after '|N NAME=VALUE ...' with build arguments) and metadata ('/bin/sh -c #(nop)  CMD ...'); BuildKit's
# instruction name first ('RUN /bin/sh -c CMD # buildkit', 'COPY ... # buildkit', 'CMD [...]').
_INSTRUCTION = re.compile(r"^(/bin/sh -c |\|\d+ |(RUN|ADD|COPY|CMD|ENTRYPOINT|ENV|LABEL|WORKDIR|USER|EXPOSE|VOLUME|"
                          r"HEALTHCHECK|ARG|SHELL|STOPSIGNAL|ONBUILD|MAINTAINER) )")
# Image builders other than docker build that write their own tool's name as an entry's CreatedBy (ko, bazel's
# rules_docker/rules_oci, jib, apko, buildpacks); others (distroless, nix) leave it empty.
_BUILDER = re.compile(r"^(ko|bazel|rules_oci|rules_docker|jib(-maven-plugin|-gradle-plugin|-core|-cli)?|apko|melange|"
                      r"pack|buildpacks?|lifecycle|kaniko|buildah|nix)\b", re.I)
# The legacy builder records a downloaded ADD source by its hash alone (a local one as file:HASH or dir:HASH).
_ADD_DOWNLOADED = re.compile(r"#\(nop\)\s+ADD ([0-9a-f]{64}) in (\S+)")
_ADD_URL = re.compile(r"^ADD (?:--\S+ )*([a-z][a-z0-9+.-]*://\S+)")
_APT_UPDATE = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*update\b")
_APT_CHANGE = re.compile(r"\b(?:install|upgrade|dist-upgrade|full-upgrade)\b")


class AuditEngineError(ValueError):
    pass


def severity_rank(severity):
    """0 for the most severe (critical); an unknown severity is an error."""
    if severity not in SEVERITIES:
        raise AuditEngineError("unknown severity %r, expected one of %s" % (severity, ", ".join(SEVERITIES)))
    return SEVERITIES.index(severity)


def at_least(severity, threshold):
    """Whether severity is threshold or more severe (as a CI gate's fail_on reads it)."""
    return severity_rank(severity) <= severity_rank(threshold)


def sort_findings(rows):
    """Most severe first, then by check and subject."""
    return sorted(rows, key=lambda r: (severity_rank(r["severity"]), r["check"], r["subject"]))


def parse_time(value):
    """Seconds since the epoch of the engine's RFC 3339 time, None for Go's zero time (never started) or none."""
    m = _RFC3339.match(value or "")
    if not m:
        return None
    fields = [int(g) for g in m.groups()[:6]]
    if fields[0] < 1970:
        return None
    seconds = calendar.timegm(tuple(fields) + (0, 0, 0))
    zone = m.group(7)
    if zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        seconds += sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds


def _options(overrides):
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        expected = ", ".join(sorted(DEFAULTS))
        raise AuditEngineError("unknown option(s) %s, expected some of %s" % (", ".join(unknown), expected))
    opts = dict(DEFAULTS)
    for name, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AuditEngineError("%s must be a whole number of 0 or more, got %r" % (name, value))
        opts[name] = value
    return opts


def _row(check, cis, severity, subject, detail, action):
    return dict(check=check, cis=cis, severity=severity, subject=subject, detail=detail, action=action)


def _mib(size):
    return "%.0f MiB" % (size / 1048576.0)


def _now(result):
    now = parse_time(((result.get("daemon") or {}).get("info") or {}).get("SystemTime"))
    if now is None:
        raise AuditEngineError("the result has no daemon.info.SystemTime to date containers and images by")
    return now


# Containers


def _writable_layer(c, opts):
    size = c.get("SizeRw") or 0
    if size > opts["writable_layer_max_bytes"]:
        yield _row("container_writable_layer", None, "medium", c["Name"],
                   "its writable layer holds %s (more than %s)" % (_mib(size), _mib(opts["writable_layer_max_bytes"])),
                   "write to a volume: keep the container's storage layer stateless (docker run -v or --mount)")


def _privileged(c, opts):
    if c["HostConfig"].get("Privileged"):
        yield _row("container_privileged", "5.5", "critical", c["Name"], "runs privileged (%s)" % c["State"]["Status"],
                   "drop --privileged; add only the capabilities it needs (--cap-add)")


def _mounts(c, opts):
    for m in c.get("Mounts") or []:
        source, dest = m.get("Source") or "", m.get("Destination") or ""
        if source.endswith("docker.sock") or dest.endswith("docker.sock"):
            yield _row("container_docker_socket", "5.32", "critical", c["Name"],
                       "the engine's socket %s is mounted at %s" % (source, dest),
                       "do not mount the Docker socket: whoever reaches it is root on the host")
        elif m.get("Type") == "bind" and source in SENSITIVE_DIRS:
            rw = bool(m.get("RW"))
            yield _row("container_sensitive_mount", "5.6", "high" if rw else "medium", c["Name"],
                       "the host's %s is mounted %s at %s" % (source, "read-write" if rw else "read-only", dest),
                       "mount only the files it needs, read-only, or a volume")


_NAMESPACES = (("NetworkMode", "container_host_network", "5.10", "network"),
               ("PidMode", "container_host_pid", "5.16", "process"),
               ("IpcMode", "container_host_ipc", "5.17", "IPC"))


def _namespaces(c, opts):
    for key, check, cis, what in _NAMESPACES:
        if c["HostConfig"].get(key) == "host":
            yield _row(check, cis, "high", c["Name"], "shares the host's %s namespace" % what,
                       "drop --%s host" % {"NetworkMode": "network", "PidMode": "pid", "IpcMode": "ipc"}[key])


def _limits(c, opts):
    hc = c["HostConfig"]
    if not hc.get("Memory"):
        yield _row("container_no_memory_limit", "5.11", "medium", c["Name"], "has no memory limit",
                   "set one (--memory)")
    if not (hc.get("NanoCpus") or hc.get("CpuQuota") or hc.get("CpuShares") not in (None, 0, 1024)):
        yield _row("container_no_cpu_limit", "5.12", "low", c["Name"], "has no CPU limit or share",
                   "set one (--cpus or --cpu-shares)")


def _restart(c, opts):
    policy = c["HostConfig"].get("RestartPolicy") or {}
    name, retries = policy.get("Name") or "no", policy.get("MaximumRetryCount") or 0
    if name in ("always", "unless-stopped"):
        detail = "restart policy %s: restarted without limit" % name
    elif name == "on-failure" and (retries == 0 or retries > opts["restart_max_retries"]):
        detail = "restart policy on-failure with %s retries" % (retries or "unlimited")
    else:
        return
    yield _row("container_restart_policy", "5.15", "low", c["Name"], detail,
               "use --restart on-failure:%d" % opts["restart_max_retries"])


def _log_rotation(c, opts, now):
    log = c["HostConfig"].get("LogConfig") or {}
    started = parse_time(c["State"].get("StartedAt"))
    if not c["State"].get("Running") or started is None or log.get("Type") != "json-file":
        return
    days = (now - started) / float(DAY)
    if days < opts["log_rotation_min_days"]:
        return
    if (log.get("Config") or {}).get("max-size") not in (None, "", "-1"):
        return
    yield _row("container_log_rotation", None, "medium", c["Name"],
               "running for %d days, its json-file log is never rotated (no max-size)" % days,
               "set log-opts max-size and max-file in daemon.json (new containers) and recreate it, "
               "or use the local log driver")


_CONTAINER_CHECKS = (_writable_layer, _privileged, _mounts, _namespaces, _limits, _restart)


def container_findings(result, **options):
    """The findings on the containers of a docker_audit_info result."""
    opts = _options(options)
    now = _now(result)
    rows = []
    for c in result.get("containers") or []:
        for check in _CONTAINER_CHECKS:
            rows.extend(check(c, opts))
        rows.extend(_log_rotation(c, opts, now))
    return rows


# Images


def image_subject(image):
    tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
    return tags[0] if tags else image["Id"].split(":")[-1][:12]


def run_command(created_by):
    """The shell command of a RUN history entry, None for any other entry."""
    if "#(nop)" in created_by:
        return None
    if created_by.startswith("RUN "):
        command = created_by[4:]
        if command.endswith(" # buildkit"):
            command = command[:-len(" # buildkit")]
    elif created_by.startswith("/bin/sh -c ") or created_by.startswith("|"):
        command = created_by
    else:
        return None
    head, sep, tail = command.partition("/bin/sh -c ")
    return tail if sep else command


def is_commit(entry):
    """Whether a history entry (not the oldest, the base's root file system) is a docker commit: its CreatedBy is
    the committed container's command (not empty, not an instruction, not another builder's name), or it bears a
    docker commit -m message. An empty CreatedBy (distroless, ko, apko, nix images) is no commit."""
    created_by, comment = entry.get("CreatedBy") or "", entry.get("Comment") or ""
    if not created_by.strip() or _BUILDER.match(created_by):
        return False
    if not _INSTRUCTION.match(created_by):
        return True
    return "#(nop)" not in created_by and comment != "" and not comment.startswith("buildkit.")


def _clip(text, length=60):
    """The first characters of a history entry's text only: a command typed into a RUN may hold a secret."""
    return text if len(text) <= length else text[:length] + "..."


def _layers(image, opts):
    layers = image.get("Layers") or 0
    if layers >= opts["layers_near_limit"]:
        yield _row("image_layers_near_limit", None, "high", image_subject(image),
                   "%d layers, near AUFS's limit of %d" % (layers, AUFS_MAX_LAYERS),
                   "chain RUN steps (&&) with their cleanup, and rebuild")
    elif layers > opts["layer_budget"]:
        yield _row("image_layer_budget", None, "medium", image_subject(image),
                   "%d layers, more than the budget of %d" % (layers, opts["layer_budget"]),
                   "chain RUN steps (&&) with their cleanup, and rebuild")


def _history(image, opts):
    history = image.get("History") or []
    commits = [e for e in history[:-1] if is_commit(e)]
    if commits:
        yield _row("image_docker_commit", None, "medium", image_subject(image),
                   "%d layer(s) made by docker commit, not a Dockerfile (%s)" % (
                       len(commits), "; ".join(repr(_clip(e.get("CreatedBy") or e.get("Comment"))) for e in commits)),
                   "docker commit is for forensics: build the image from a Dockerfile")
    for e in history:
        created_by = e.get("CreatedBy") or ""
        downloaded, url = _ADD_DOWNLOADED.search(created_by), _ADD_URL.match(created_by)
        if downloaded or url:
            yield _row("image_add_remote", "4.9", "medium", image_subject(image),
                       "ADD of %s" % (url.group(1) if url else "a download (its URL not recorded) to " +
                                      downloaded.group(2)),
                       "use COPY, or RUN curl with a checksum; ADD is only for auto-extraction")
        command = run_command(created_by)
        if command is not None and _APT_UPDATE.search(command) and not _APT_CHANGE.search(command):
            yield _row("image_update_alone", "4.7", "low", image_subject(image),
                       "apt-get update alone in a layer (%s)" % command.strip(),
                       "chain apt-get update with apt-get install and the list cleanup in one RUN")


def _healthcheck(image, opts):
    test = (image.get("Healthcheck") or {}).get("Test") or []
    if not test or test[0] == "NONE":
        yield _row("image_no_healthcheck", "4.6", "low", image_subject(image), "has no HEALTHCHECK",
                   "add a HEALTHCHECK instruction")


def _tags(image, opts):
    tags = image.get("RepoTags") or []
    if len(tags) > opts["tags_max"]:
        yield _row("image_many_tags", None, "info", image_subject(image),
                   "the same image ID under %d tags" % len(tags), "remove the tags nobody pulls (docker rmi TAG)")


def image_findings(result, **options):
    """The findings on the images of a docker_audit_info result; whether an image is used is told by its
    containers (all of them, stopped ones too), and not checked when they were not read (gathered)."""
    opts = _options(options)
    now = _now(result)
    used = set(c.get("ImageID") for c in result.get("containers") or [])
    # Without the containers, which images are used is not known.
    containers_read = "containers" in result.get("gathered", ("containers",))
    rows = []
    for image in result.get("images") or []:
        for check in (_layers, _history, _healthcheck, _tags):
            rows.extend(check(image, opts))
        created = parse_time(image.get("Created"))
        if containers_read and image["Id"] not in used and created is not None:
            days = (now - created) / float(DAY)
            if days > opts["unused_image_days"]:
                rows.append(_row("image_unused_old", None, "low", image_subject(image),
                                 "no container uses it; built %d days ago" % days,
                                 "remove it (docker image prune -a --filter until=...)"))
    return rows


def findings(result, **options):
    """All findings of a docker_audit_info result, most severe first."""
    return sort_findings(container_findings(result, **options) + image_findings(result, **options))
