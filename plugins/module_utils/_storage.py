# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE: shared by this collection's modules; not a public API, may change without notice.

Reading a Docker host's storage: docker info's DriverStatus, loop files,
and what overlay2 needs from the kernel and the file system."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible_collections.dockerops.host.plugins.module_utils._docker_engine import driver_status, version_tuple

# docker info prints sizes with go-units' HumanSize: decimal units.
_UNITS = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4, "pb": 1000 ** 5}


def parse_size(text):
    m = re.match(r"^\s*([0-9.]+)\s*([kKmMgGtTpP]?[bB])\s*$", text or "")
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def engine_has_devicemapper(version):
    """Docker Engine removed the devicemapper driver in 25.0."""
    return version_tuple(version) < (25, 0, 0)


def devicemapper_facts(info):
    st = driver_status(info)
    data_used, data_total = parse_size(st.get("Data Space Used")), parse_size(st.get("Data Space Total"))
    meta_used, meta_total = parse_size(st.get("Metadata Space Used")), parse_size(st.get("Metadata Space Total"))
    loops = [st[k] for k in ("Data loop file", "Metadata loop file") if st.get(k)]
    return dict(
        pool_name=st.get("Pool Name"),
        loop_lvm=bool(loops),
        loop_file_paths=loops,
        data_file=st.get("Data file"),
        metadata_file=st.get("Metadata file"),
        data_used_bytes=data_used, data_total_bytes=data_total,
        data_percent=round(100.0 * data_used / data_total, 2) if data_used is not None and data_total else None,
        metadata_used_bytes=meta_used, metadata_total_bytes=meta_total,
        metadata_percent=round(100.0 * meta_used / meta_total, 2) if meta_used is not None and meta_total else None,
        deferred_removal=st.get("Deferred Removal Enabled") == "true",
    )


def loop_file(path):
    """Apparent and allocated size of a (sparse) loop file."""
    try:
        s = os.stat(path)
    except OSError as e:
        return dict(path=path, exists=False, error=os.strerror(e.errno))
    return dict(path=path, exists=True, apparent_bytes=s.st_size, allocated_bytes=s.st_blocks * 512)


def kernel_supports_overlay2(release):
    """(ok, reason): 4.0 or later, or RHEL/CentOS 3.10.0-514 or later."""
    ver = version_tuple(release)
    if ver >= (4, 0, 0):
        return True, "kernel %s is 4.0 or later" % release
    m = re.match(r"^3\.10\.0-(\d+)", release or "")
    if m and ".el" in release:
        if int(m.group(1)) >= 514:
            return True, "EL kernel %s is 3.10.0-514 or later" % release
        return False, "EL kernel %s is older than 3.10.0-514" % release
    return False, "kernel %s is older than 4.0" % release


def overlay_in_filesystems(text):
    return any(line.split()[-1] == "overlay" for line in (text or "").splitlines() if line.strip())


def xfs_ftype(xfs_info_output):
    m = re.search(r"ftype=(\d)", xfs_info_output or "")
    return int(m.group(1)) if m else None


def overlay2_support(release, filesystems_text, overlay_module_found, fstype, ftype):
    """(supported, [reasons]) for overlay2 on this host."""
    reasons = []
    ok_kernel, why = kernel_supports_overlay2(release)
    reasons.append(why)
    ok_fs = overlay_in_filesystems(filesystems_text) or overlay_module_found
    reasons.append("overlay file system %s" % ("available" if ok_fs else "neither loaded nor available as a module"))
    ok_dtype = True
    if fstype == "xfs":
        ok_dtype = ftype == 1
        reasons.append("data root on xfs with ftype=%s%s" % (ftype, "" if ok_dtype else ": overlay2 needs ftype=1 (d_type)"))
    elif fstype in ("nfs", "nfs4", "cifs", "fuse", "overlay", "aufs", "zfs"):
        ok_dtype = False
        reasons.append("data root on %s, which overlay2 cannot use as its backing file system" % fstype)
    elif fstype:
        reasons.append("data root on %s" % fstype)
    return ok_kernel and ok_fs and ok_dtype, reasons


# The containerd image store (Engine 29's default for new installs; on 28
# `"features": {"containerd-snapshotter": true}`): docker info's Driver is then
# the snapshotter (overlayfs) and DriverStatus says what kind of driver it is.
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"
OVERLAY_FAMILY = ("overlay2", "overlayfs")
DM_OPTS = ["dm.use_deferred_removal=true", "dm.use_deferred_deletion=true"]


def image_store(info):
    """'containerd' when the engine keeps its images in containerd, 'graphdriver'
    for the classic storage drivers, None when no engine answered with a driver."""
    if not info or not info.get("Driver"):
        return None
    return "containerd" if driver_status(info).get("driver-type") == CONTAINERD_SNAPSHOTTER else "graphdriver"


def _overlay_for(containerd_store):
    """The overlay driver's name under the given image store."""
    return "overlayfs" if containerd_store else "overlay2"


def _options(wanted, pool_name):
    """The storage part of daemon.json for wanted (what docker_storage hands docker_daemon)."""
    if wanted in OVERLAY_FAMILY:
        # A graph driver name is no snapshotter: with the containerd store,
        # storage-driver overlay2 leaves the engine with "snapshotter not loaded".
        return {"storage-driver": wanted}
    if wanted == "devicemapper":
        return {"storage-driver": "devicemapper", "storage-opts": ["dm.thinpooldev=/dev/mapper/%s" % pool_name] + DM_OPTS}
    return {}


def decide(engine, devicemapper, overlay2_supported, setting="auto", pool=None, containerd_store=None, resume=None):
    """What docker_storage does on this host, and why.

    engine: docker_storage_facts' engine dict (answered, installed, error, storage_driver, image_store,
    has_devicemapper, version);
    devicemapper: its devicemapper dict (empty unless the engine runs devicemapper);
    overlay2_supported: whether the kernel and file system take the overlay driver;
    setting: docker_storage_driver (auto, overlay2 or devicemapper);
    pool: the direct-lvm pool's device-mapper name the role manages (vg-pool);
    containerd_store: the image store asked for in the daemon configuration
    (features.containerd-snapshotter), None when not asked (the engine's own choice stays);
    resume: the open migration record (docker_storage_migrate's: from, to, moved), None when there is none.
    An unfinished move goes on to the driver it recorded, also with the engine stopped by it; a
    docker_storage_driver that now asks for another is an error.

    Healthy: overlay2, overlayfs (containerd image store), devicemapper on a
    direct-lvm pool. `auto` moves only a loop-lvm host; an explicit setting
    moves a host whose driver (or devicemapper pool) differs. An engine that did
    not answer with a driver is never moved; one that is installed but does not
    answer is an error (the role stops, naming why).

    Returns dict(wanted, healthy, migrate, reason, error, manage_pool, pool, image_store, daemon_options,
    resume, storage_first): pool is the device-mapper name of the pool the daemon options name (None without);
    storage_first whether site.yml runs docker_storage before the install roles (a devicemapper host that moves,
    which Engine 25 and later cannot start, or an unfinished move, whose engine must not be started on an
    emptied data root)."""
    engine = engine or {}
    dm = devicemapper or {}
    driver = engine.get("storage_driver") if engine.get("answered") else None
    store_now = engine.get("image_store") if driver else None
    store = store_now == "containerd" if containerd_store is None else bool(containerd_store)
    overlay = _overlay_for(store)
    has_dm = engine.get("has_devicemapper")
    loop = bool(dm.get("loop_lvm"))
    current_pool = dm.get("pool_name")

    if driver is None:
        healthy, why_now = None, "no engine answered with its storage driver"
    elif driver in OVERLAY_FAMILY:
        healthy = True
        why_now = "%s%s" % (driver, " (containerd image store)" if store_now == "containerd" else "")
    elif driver == "devicemapper" and loop:
        healthy, why_now = False, "devicemapper on loop-lvm (sparse loop files that grow and never give space back)"
    elif driver == "devicemapper":
        healthy, why_now = True, "devicemapper on the direct-lvm pool %s" % current_pool
    else:
        healthy, why_now = False, "%s, which auto leaves alone" % driver

    def best():
        if overlay2_supported:
            return overlay
        return "devicemapper" if has_dm else "none"

    if setting == "overlay2":
        wanted = overlay
    elif setting == "devicemapper":
        wanted = "devicemapper"
    elif driver is None or loop:
        wanted = best()
    elif driver in OVERLAY_FAMILY:
        wanted = overlay
    else:
        wanted = driver  # healthy direct-lvm, or a driver auto does not move

    if driver is None:
        migrate, why = False, "nothing to move"
    elif setting == "auto":
        migrate = loop
        why = "auto moves only loop-lvm" if not loop else "auto moves loop-lvm to %s" % wanted
    elif wanted == "devicemapper":
        migrate = driver != "devicemapper" or loop or current_pool != pool
        why = "docker_storage_driver=devicemapper wants the direct-lvm pool %s" % pool
    else:
        migrate = driver not in OVERLAY_FAMILY
        why = "docker_storage_driver=%s" % setting
    if driver in OVERLAY_FAMILY and wanted in OVERLAY_FAMILY and driver != wanted:
        why += "; the image store changes to %s with the daemon configuration (images are not carried over)" % (
            "containerd" if store else "the graph driver")

    if resume:
        return _resume(resume, wanted, setting, healthy, why_now, pool, current_pool, store)

    error = None
    if driver is None and engine.get("installed"):
        # Engine 20.10's CLI even exits 0 when none answers: unknown is never "must move".
        error = ("Docker Engine %s is installed but does not answer%s: its storage cannot be read, so nothing is "
                 "decided or moved. Start it (systemctl start docker) and run again"
                 % (engine.get("version") or "", " (%s)" % engine["error"] if engine.get("error") else ""))
    elif wanted == "none":
        error = ("Neither storage driver can work: overlay2 is not supported and Docker Engine %s no longer has "
                 "devicemapper (removed in 25.0)" % engine.get("version"))
    elif wanted in OVERLAY_FAMILY and not overlay2_supported and (migrate or setting != "auto"):
        error = "docker_storage_driver=%s cannot work: the overlay driver is not supported here" % setting
    elif wanted == "devicemapper" and has_dm is False:
        error = ("docker_storage_driver=%s cannot work: Docker Engine %s no longer has the devicemapper driver "
                 "(removed in 25.0); use overlay2" % (setting, engine.get("version")))
    elif wanted == "devicemapper" and store:
        error = "devicemapper is a graph driver: it cannot run with the containerd image store"

    manage_pool = wanted == "devicemapper" and (migrate or setting == "devicemapper" or current_pool == pool)
    pool_name = pool if manage_pool else current_pool
    if wanted in OVERLAY_FAMILY or (wanted == "devicemapper" and pool_name):
        options = _options(wanted, pool_name)
    else:
        options = {}  # a driver auto leaves alone: its configuration stays the owner's
    migrate = bool(migrate) and error is None
    return dict(wanted=wanted, healthy=healthy, migrate=migrate,
                reason="%s: %s" % (why_now, why), error=error, manage_pool=manage_pool,
                pool=pool_name if options.get("storage-opts") else None,
                image_store="containerd" if store else "graphdriver", daemon_options=options, resume=False,
                storage_first=migrate and driver == "devicemapper")


def _resume(record, wanted, setting, healthy, why_now, pool, current_pool, store):
    """decide() for a host with an unfinished move: it goes on to record["to"]."""
    to = record.get("to")
    error = None
    if not to:
        error = "The migration record names no driver to move to: abandon the move as the docker_storage README says"
    elif setting != "auto" and wanted != to:
        error = ("An unfinished move to %s is recorded (docker_storage_work_dir/migration.json), and "
                 "docker_storage_driver=%s asks for %s: finish the move (docker_storage_driver: auto, or the driver "
                 "it recorded) or abandon it as the docker_storage README says" % (to, setting, wanted))
    to = to or wanted
    manage_pool = to == "devicemapper"
    pool_name = pool if manage_pool else current_pool
    options = _options(to, pool_name) if to in OVERLAY_FAMILY or (to == "devicemapper" and pool_name) else {}
    return dict(wanted=to, healthy=healthy, migrate=error is None,
                reason="%s: resuming the move from %s to %s%s" % (
                    why_now, record.get("from"), to, " (the old data root is moved aside already)"
                    if record.get("moved") else ""),
                error=error, manage_pool=manage_pool, pool=pool_name if options.get("storage-opts") else None,
                image_store="containerd" if store else "graphdriver", daemon_options=options, resume=True,
                storage_first=error is None)


def upgrade_refusal(engine, target, installed=None, varname="version"):
    """Why installing Docker Engine target is refused on this host, or "" when it may go ahead.

    engine: docker_storage_facts' engine (answered, storage_driver, configured_driver, version) read before any
    package changes; target: the version or prefix the install role asks for ("28.5.2", "28", or a full package
    version with its epoch), "" for the repository's newest; installed: the Docker CE engine version installed now,
    if any (without a pin it is not upgraded).
    Docker Engine 25.0 removed the devicemapper driver: an engine on it that is upgraded past 24 does not start.
    An engine that does not answer is judged by what it is configured for, or has data for (configured_driver).
    """
    if not engine:
        return ""
    driver = engine.get("storage_driver") if engine.get("answered") else engine.get("configured_driver")
    if driver != "devicemapper":
        return ""
    if not target and installed:
        return ""  # no pin and Docker CE installed: the role leaves its version alone
    if target and engine_has_devicemapper(target):
        return ""
    return ("%s=%s would install an engine without the devicemapper storage driver (removed in Docker Engine 25.0), "
            "and this host's engine (%s) runs on devicemapper: it would not start on its data. Nothing was changed. "
            "Move the host to overlay2 on the engine it runs first (docker_storage_driver: overlay2, or auto on "
            "loop-lvm; site.yml then migrates such a host before it installs), then raise %s."
            % (varname, target or '"" (the newest)', engine.get("version") or "version unknown", varname))


# -- what moving the data root aside would leave behind -------------------------------------------------------
# Networks every engine has (and a swarm node's own two): not the user's.
DEFAULT_NETWORKS = frozenset(["bridge", "host", "none", "docker_gwbridge", "ingress"])
_ANONYMOUS_VOLUME = re.compile(r"^[0-9a-f]{64}$")
_NONE = ("", "<none>", None)


def json_lines(text):
    """The rows of a docker CLI --format '{{json .}}' listing (one JSON object per line)."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            rows.append(json.loads(line))
    return rows


def at_risk(containers, volumes, networks, images, swarm_state):
    """What a move touches, from the docker CLI's listings (migration_losses: what it loses; migration_carried:
    what it carries over).

    containers: docker ps -a rows; volumes: docker volume ls rows; networks: docker network ls rows; images:
    docker images --digests rows; swarm_state: docker info's Swarm.LocalNodeState.
    """
    digest_only = sorted(set("%s@%s" % (i.get("Repository"), i.get("Digest")) for i in images
                             if i.get("Tag") in _NONE and i.get("Digest") not in _NONE
                             and i.get("Repository") not in _NONE))
    return dict(
        containers=[dict(name=c.get("Names"), state=c.get("State") or c.get("Status")) for c in containers],
        volumes=[v.get("Name") for v in volumes],
        networks=sorted(n.get("Name") for n in networks if n.get("Name") not in DEFAULT_NETWORKS),
        digest_only_images=digest_only,
        swarm=swarm_state if swarm_state not in ("", "inactive", None) else None)


def migration_losses(risk):
    """One line per kind of thing a move loses: containers (their writable layers belong to the old driver) and
    swarm membership stay in the old data root."""
    losses = []
    if risk.get("containers"):
        losses.append("%d container(s), which do not come back: %s" % (
            len(risk["containers"]), ", ".join("%s (%s)" % (c["name"], c["state"]) for c in risk["containers"])))
    if risk.get("swarm"):
        losses.append("swarm membership (node state %s)" % risk["swarm"])
    return losses


def migration_carried(risk):
    """One line per kind of thing a move carries into the new data root (docker_storage_migrate): volumes,
    user networks (recreated as inspected) and images referenced only by digest (saved by ID, tagged back)."""
    carried = []
    volumes = risk.get("volumes") or []
    if volumes:
        named = [v for v in volumes if not _ANONYMOUS_VOLUME.match(v or "")]
        anonymous = len(volumes) - len(named)
        shown = named + (["%d anonymous" % anonymous] if anonymous else [])
        carried.append("%d volume(s) with their data: %s" % (len(volumes), ", ".join(shown)))
    if risk.get("networks"):
        carried.append("%d user network(s): %s" % (len(risk["networks"]), ", ".join(risk["networks"])))
    if risk.get("digest_only_images"):
        carried.append("%d image(s) referenced only by digest, which come back tagged REPOSITORY:dockerops-<digest>: %s"
                       % (len(risk["digest_only_images"]), ", ".join(risk["digest_only_images"])))
    return carried


def migration_refusal(losses, data_root, allowed=False, varname="docker_storage_migrate_with_losses", carried=()):
    """Why a migration is refused (what it would lose, and what it carries over), or "" when nothing is lost or
    the user allowed it."""
    if allowed or not losses:
        return ""
    return ("Moving this host's storage moves %s aside (kept as a backup, never deleted) and starts the engine on an "
            "empty data root; the images, volumes and user networks are carried over. Lost: %s.%s Nothing was "
            "changed. Recreate these elsewhere first and set %s: true to go ahead (the containers are then stopped "
            "and their docker inspect is saved in docker_storage_work_dir), or leave the storage driver as it is."
            % (data_root, "; ".join(losses), " Carried: %s." % "; ".join(carried) if carried else "", varname))


SPACE_MARGIN = 64 * 1024 * 1024


def space_refusal(images_bytes, free_bytes, path, shares_data_root=False):
    """Why saving the images is refused for lack of room in path, or "" (also when either size is unknown).

    The archive takes about the images' size plus 10 %. When path is on the data root's file system, the images
    are loaded there again while the archive (and the moved-aside old data root) still sit on it: twice as much.
    """
    if images_bytes is None or free_bytes is None:
        return ""
    factor = 2.1 if shares_data_root else 1.1
    needed = int(images_bytes * factor) + SPACE_MARGIN
    if free_bytes >= needed:
        return ""
    return ("Saving the images before the move needs about %d MB in %s (the images' %d MB from docker system df, "
            "%s, plus 64 MB), and %d MB are free there. Nothing was changed. Free space there, or set "
            "docker_storage_work_dir to a directory on a file system with room (not under the data root)."
            % (needed // 10 ** 6, path, images_bytes // 10 ** 6,
               "times 2.1: the archive and the loaded images share the data root's file system" if shares_data_root
               else "plus 10%", free_bytes // 10 ** 6))


def load_space_refusal(images_bytes, data_root_free_bytes, data_root):
    """Why loading the images into the new data root is refused for lack of room on its file system (where the
    moved-aside old data root stays), or "" (also when either size is unknown). Only for a work directory on
    another file system: space_refusal counts both when they share one."""
    if images_bytes is None or data_root_free_bytes is None:
        return ""
    needed = int(images_bytes * 1.1) + SPACE_MARGIN
    if data_root_free_bytes >= needed:
        return ""
    return ("Loading the images into the new data root needs about %d MB on the file system of %s, where the old "
            "data root stays as a backup (the images' %d MB from docker system df, plus 10%% and 64 MB), and %d MB "
            "are free there. Nothing was changed. Free space there first." % (
                needed // 10 ** 6, data_root, images_bytes // 10 ** 6, data_root_free_bytes // 10 ** 6))


def work_dir_refusal(work_dir, data_root):
    """Why docker_storage_work_dir cannot hold a move's archive and record: under the data root, which the move
    takes aside. Paths as resolved (realpath)."""
    root = data_root.rstrip("/") + "/"
    if (work_dir.rstrip("/") + "/").startswith(root):
        return ("docker_storage_work_dir (%s) is under the data root %s, which the move takes aside: the record and "
                "the image archive would go with it. Nothing was changed. Set docker_storage_work_dir to a directory "
                "outside it." % (work_dir, data_root))
    return ""
