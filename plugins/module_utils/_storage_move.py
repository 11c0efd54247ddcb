# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What docker_storage_migrate keeps when a host's data root moves (private to the collection).

Pure functions over the docker CLI's listings (recorded outputs in tests/unit/fixtures/docker_cli):
which images to save and how to name them back, which networks to recreate and with which arguments,
and the migration record's shape."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import re

from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six import string_types

from ansible_collections.dockerops.host.plugins.module_utils._storage import DEFAULT_NETWORKS

NONE = "<none>"
RECORD_VERSION = 2
# The tag a digest-only image gets back: docker load cannot restore a registry
# digest, and an untagged image is what image hygiene prunes as dangling.
KEPT_TAG_PREFIX = "dockerops-"


def images_to_keep(rows):
    """Images worth keeping from `docker images --digests --format '{{json .}}'` rows, one per ID:
    [{id, tags, digests}], sorted by ID. Rows with neither a tag nor a digest (dangling) are left out."""
    by_id = {}
    for row in rows:
        repo, tag, digest, image_id = row.get("Repository"), row.get("Tag"), row.get("Digest"), row.get("ID")
        if not image_id:
            continue
        entry = by_id.setdefault(image_id, {"id": image_id, "tags": [], "digests": []})
        if repo and repo != NONE and tag and tag != NONE:
            ref = "%s:%s" % (repo, tag)
            if ref not in entry["tags"]:
                entry["tags"].append(ref)
        if repo and repo != NONE and digest and digest != NONE:
            ref = "%s@%s" % (repo, digest)
            if ref not in entry["digests"]:
                entry["digests"].append(ref)
    return [by_id[i] for i in sorted(by_id) if by_id[i]["tags"] or by_id[i]["digests"]]


def kept_tag(image):
    """The tag a digest-only image is given after the load (repository:dockerops-<12 hex of its digest>),
    or None for a tagged image."""
    if image["tags"] or not image["digests"]:
        return None
    repo, dummy, digest = image["digests"][0].partition("@")
    return "%s:%s%s" % (repo, KEPT_TAG_PREFIX, digest.partition(":")[2][:12])


def save_refs(images):
    """What `docker save` is given: every tag of a tagged image (the archive then carries the tags), the ID of a
    digest-only one."""
    refs = []
    for image in images:
        refs.extend(image["tags"] or [image["id"]])
    return refs


def wanted_refs(image):
    """The names the image answers to after the load and the re-tag."""
    return list(image["tags"]) or [kept_tag(image)]


def user_networks(inspects):
    """The networks to recreate from `docker network inspect` output: local scope, not the engine's own; the
    config-only ones first (a network made --config-from one needs it)."""
    nets = [n for n in inspects
            if n.get("Name") not in DEFAULT_NETWORKS and (n.get("Scope") or "local") == "local"]
    return sorted(nets, key=lambda n: not n.get("ConfigOnly"))


def network_create_args(net):
    """`docker network create` arguments (without the command) that give the network back as inspected:
    driver, IPAM (subnets, ranges, gateways, auxiliary addresses, driver and options), driver options,
    labels, internal, attachable, IPv6; a config-only network as such, and one made from it with
    --config-from (which carries the IPAM and options)."""
    config_from = (net.get("ConfigFrom") or {}).get("Network")
    if config_from:
        args = ["--config-from", config_from, "--driver", net.get("Driver") or "bridge"]
    else:
        args = ["--config-only"] if net.get("ConfigOnly") else ["--driver", net.get("Driver") or "bridge"]
        ipam = net.get("IPAM") or {}
        if ipam.get("Driver") and ipam["Driver"] != "default":
            args += ["--ipam-driver", ipam["Driver"]]
        for key, value in sorted((ipam.get("Options") or {}).items()):
            args += ["--ipam-opt", "%s=%s" % (key, value)]
        for config in ipam.get("Config") or []:
            if config.get("Subnet"):
                args += ["--subnet", config["Subnet"]]
            if config.get("IPRange"):
                args += ["--ip-range", config["IPRange"]]
            if config.get("Gateway"):
                args += ["--gateway", config["Gateway"]]
            for name, address in sorted((config.get("AuxiliaryAddresses") or {}).items()):
                args += ["--aux-address", "%s=%s" % (name, address)]
        for key, value in sorted((net.get("Options") or {}).items()):
            args += ["--opt", "%s=%s" % (key, value)]
        if net.get("EnableIPv6"):
            args.append("--ipv6")
    for key, value in sorted((net.get("Labels") or {}).items()):
        args += ["--label", "%s=%s" % (key, value)]
    if net.get("Internal"):
        args.append("--internal")
    if net.get("Attachable"):
        args.append("--attachable")
    return args + [net["Name"]]


def mount_points(mountinfo_text):
    """The mount points in /proc/self/mountinfo text (field 5, octal escapes undone)."""
    points = []
    for line in (mountinfo_text or "").splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    return points


def is_mount_point(path, mountinfo_text):
    """Whether path is a mount point, bind mounts of the same file system included (os.path.ismount misses them)."""
    return path.rstrip("/") in mount_points(mountinfo_text)


def mounts_below(path, mountinfo_text):
    """Mount points strictly below path: after the engine stopped, a container that outlived it (live-restore)."""
    prefix = path.rstrip("/") + "/"
    return sorted(set(p for p in mount_points(mountinfo_text) if p.startswith(prefix)))


def fresh_volumes_dir(names):
    """Whether a volumes/ directory holding these entries is one an engine just made (its metadata.db, no volume):
    an engine started on the new data root before the old volumes were carried over."""
    return set(names) <= set(["metadata.db"])


def backup_path(data_root, stamp, mount_point):
    """Where the old data root goes: beside it (renamed), or, when it is a mount point (which cannot be renamed),
    into a directory inside it, on the same file system."""
    if mount_point:
        return "%s/dockerops-backup-%s" % (data_root.rstrip("/"), stamp)
    return "%s.bak-%s" % (data_root.rstrip("/"), stamp)


def normalise_record(record):
    """A migration record in this release's shape. A record an earlier release left (a list of image names, no
    progress flags) resumes: its images were saved when it was written, a backup that exists was moved, and its
    stamp is the backup's suffix."""
    if record.get("version") == RECORD_VERSION:
        return record
    out = dict(record)
    out["version"] = RECORD_VERSION
    out["images"] = [{"id": name, "tags": [name], "digests": []} if isinstance(name, string_types) else name
                     for name in record.get("images") or []]
    if not out.get("stamp"):
        m = re.search(r"\.bak-([0-9TZ]+)$", record.get("backup") or "")
        out["stamp"] = m.group(1) if m else "earlier"
    out.setdefault("saved", True)
    out.setdefault("moved", None)  # decided from the file system
    out.setdefault("mount_point", False)
    out.setdefault("networks", [])
    out.setdefault("volumes", [])
    out.setdefault("containers", [])
    out.setdefault("containers_file", "")
    out.setdefault("volumes_carried", False)
    out.setdefault("loaded", False)
    return out


def read_record(module, path):
    """The migration record at path in this release's shape, None when there is none; fails naming the file when it
    cannot be read or holds no record."""
    try:
        with open(path) as f:
            record = json.load(f)
    except (IOError, OSError) as e:
        if e.errno == errno.ENOENT:
            return None
        module.fail_json(msg="Cannot read the migration record %s: %s" % (path, to_native(e)))
    except ValueError as e:
        module.fail_json(msg="%s is not a migration record (%s). Nothing was changed; see the docker_storage "
                             "README on abandoning a move" % (path, to_native(e)))
    if not isinstance(record, dict):
        module.fail_json(msg="%s is not a migration record. Nothing was changed; see the docker_storage README on "
                             "abandoning a move" % path)
    return normalise_record(record)
