# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's filters and playbooks (controller side); not a public API, may change without notice.

What the prune playbook would remove, from the engine's /system/df answer,
by the rules `docker image prune`, `docker container prune` and `docker
builder prune` apply; and the reclaimed space of docker_prune's results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STOPPED = ("exited", "created", "dead")


class PruneError(ValueError):
    pass


def _hours(value, name):
    if value in (None, ""):
        return None
    try:
        hours = int(value)
    except (TypeError, ValueError):
        raise PruneError("%s must be a whole number of hours, got %r" % (name, value))
    if hours < 1:
        raise PruneError("%s must be 1 or more hours, got %d" % (name, hours))
    return hours


def _dangling(image):
    tags = image.get("RepoTags") or []
    return not [t for t in tags if t != "<none>:<none>"]


def candidates(df, now, images_older_than=None, containers=False, builder_cache=False):
    """Lists of what a prune would remove: dangling images (or, with
    images_older_than hours, every image no container uses created before
    then), stopped containers, and unused build cache. `now` is epoch seconds."""
    if not isinstance(df, dict):
        raise PruneError("disk usage must be the engine's /system/df answer (a dict), got %r" % type(df).__name__)
    hours = _hours(images_older_than, "dockerops_prune_images_older_than")
    out = dict(images=[], containers=[], build_cache=[])
    removed_containers = set()
    if containers:
        for c in df.get("Containers") or []:
            if c.get("State") in STOPPED:
                removed_containers.add(c.get("ImageID") or c.get("Image"))
                out["containers"].append(dict(id=c.get("Id", "")[:12], name=(c.get("Names") or ["?"])[0].lstrip("/"),
                                              state=c.get("State"), size=max(c.get("SizeRw") or 0, 0)))
    # Images still used by a container that stays are kept.
    kept_users = {}
    for c in df.get("Containers") or []:
        if not (containers and c.get("State") in STOPPED):
            kept_users[c.get("ImageID")] = True
    for image in df.get("Images") or []:
        in_use = image.get("Id") in kept_users
        if in_use:
            continue
        if hours is None:
            if not _dangling(image):
                continue
        elif image.get("Created", now) > now - hours * 3600:
            continue
        size, shared = image.get("Size") or 0, image.get("SharedSize")
        out["images"].append(dict(id=image.get("Id", "").replace("sha256:", "")[:12],
                                  tags=[t for t in image.get("RepoTags") or [] if t != "<none>:<none>"],
                                  created=image.get("Created"),
                                  size=size, unique_size=size - shared if shared is not None and shared >= 0 else size))
    if builder_cache:
        for b in df.get("BuildCache") or []:
            if not b.get("InUse") and not b.get("Shared"):
                out["build_cache"].append(dict(id=b.get("ID", "")[:12], type=b.get("Type"), size=b.get("Size") or 0))
    out["estimated_bytes"] = (sum(i["unique_size"] for i in out["images"]) + sum(c["size"] for c in out["containers"])
                              + sum(b["size"] for b in out["build_cache"]))
    return out


def reclaimed(result):
    """Bytes docker_prune reports as reclaimed, per kind and in total."""
    result = result or {}
    kinds = dict(images=result.get("images_space_reclaimed") or 0,
                 containers=result.get("containers_space_reclaimed") or 0,
                 build_cache=result.get("builder_cache_space_reclaimed") or 0)
    kinds["total"] = sum(kinds.values())
    return kinds
