#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) dockerops.host contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: docker_storage_migrate
short_description: Move a Docker host's data root to a new storage driver, keeping what can be kept
description:
  - The three steps of a storage migration that C(dockerops.host.docker_storage) runs around the daemon
    configuration. Progress is kept in a record (O(work_dir)/migration.json, mode 0600), so a run that dies at any
    point resumes where it stopped.
  - V(save) - with the engine running - lists the images (tagged or referenced only by digest), the containers,
    the user networks and the volumes; saves every container's C(docker inspect) to
    O(work_dir)/containers-STAMP.json (mode 0600, it may hold secrets from the containers' environment); writes
    the record; saves the images to one archive (O(work_dir)/images-STAMP.tar). A retry writes the same archive
    again instead of another one; a saved archive is not written again.
  - V(move) - stops the running containers (with C(live-restore) they would outlive the engine), then
    docker.socket and docker.service, and moves the old data root aside, never deleting it - renamed
    to DATA_ROOT.bak-STAMP, or, when the data root is a mount point (which cannot be renamed), emptied into
    DATA_ROOT/dockerops-backup-STAMP on the same file system. The volumes (C(volumes/), independent of the storage
    driver) are carried into the new data root.
  - V(restore) - with the engine running on the new driver - loads the archive, checks every image by its ID,
    gives back tags (a digest-only image gets C(REPOSITORY:dockerops-<12 hex of its digest>), since docker load
    cannot restore a registry digest and an untagged image is pruned as dangling), recreates the user networks
    with their driver, IPAM, options and labels, checks the volumes, closes the record
    (O(work_dir)/migration-done-STAMP.json) and only then removes the archive.
  - Containers do not come back (their writable layers belong to the old driver); RV(containers_not_back) lists
    them and their C(docker inspect) stays in O(work_dir).
version_added: 0.3.0
author: dockerops.host maintainers (@dockerops)
options:
  step:
    description: Which step to run.
    type: str
    required: true
    choices: [save, move, restore]
  work_dir:
    description: Where the record, the archive and the containers' inspect go; not under the data root.
    type: path
    default: /var/lib/dockerops-storage
  data_root:
    description: The engine's data root (V(save) records it; the later steps read it from the record).
    type: path
    default: /var/lib/docker
  from_driver:
    description: The storage driver the host runs now, for the record.
    type: str
  to_driver:
    description: The storage driver the host moves to, for the record.
    type: str
  keep_images:
    description: Save the images and load them back (C(docker_storage_keep_images)).
    type: bool
    default: true
notes:
  - Check mode reports what the step would do and changes nothing.
  - The step's refusals (what a move would lose, room for the archive) are C(dockerops.host.docker_storage_facts)'
    and come before V(save).
seealso:
  - module: dockerops.host.docker_storage_facts
"""

EXAMPLES = r"""
- name: Save what the host keeps
  dockerops.host.docker_storage_migrate:
    step: save
    data_root: /var/lib/docker
    from_driver: devicemapper
    to_driver: overlay2

- name: Move the old data root aside
  dockerops.host.docker_storage_migrate:
    step: move

# ... the daemon configuration and the engine's restart on the new driver ...

- name: Load the images, recreate the networks, close the record
  dockerops.host.docker_storage_migrate:
    step: restore
  register: restored
"""

RETURN = r"""
record:
  description: The migration record after the step (the images with their IDs, tags and digests; the networks as
    inspected; the volumes; the containers' names; the backup's path; progress flags).
  returned: always
  type: dict
  sample: {version: 2, stamp: 20261129T030000Z, from: devicemapper, to: overlay2, data_root: /var/lib/docker,
           backup: /var/lib/docker.bak-20261129T030000Z, mount_point: false, saved: true, moved: false}
images:
  description: The names the saved images answer to after V(restore).
  returned: when step is restore
  type: list
  elements: str
  sample: ["lab/echo:1", "registry.example/app:dockerops-ed8ceb65e5d9"]
networks_created:
  description: The user networks V(restore) recreated.
  returned: when step is restore
  type: list
  elements: str
containers_not_back:
  description: Containers of the old data root, which do not come back; their docker inspect is in
    RV(containers_file).
  returned: when step is restore
  type: list
  elements: str
containers_file:
  description: Where the containers' docker inspect was saved (empty when there were none).
  returned: when step is restore
  type: str
record_file:
  description: The closed record (O(work_dir)/migration-done-STAMP.json).
  returned: when step is restore and a record was open
  type: str
archives_removed:
  description: Image archives that closed records still named (a run killed between closing the record and removing
    the archive), removed by a V(restore) that found no open record.
  returned: when step is restore and no record was open
  type: list
  elements: str
"""

import fcntl
import glob
import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.dockerops.host.plugins.module_utils import _files
from ansible_collections.dockerops.host.plugins.module_utils import _storage_move as move
from ansible_collections.dockerops.host.plugins.module_utils import _storage as storage

MOUNTINFO = "/proc/self/mountinfo"
# systemctl is-active states in which the unit is (still) up.
UP = ("active", "activating", "deactivating", "reloading")


class Migration(object):
    def __init__(self, module):
        self.m = module
        self.p = module.params
        self.work_dir = self.p["work_dir"]
        self.record_path = os.path.join(self.work_dir, "migration.json")
        self.docker = module.get_bin_path("docker", required=True)
        self.systemctl = module.get_bin_path("systemctl", required=True)
        self.changed = False
        self.lock_fd = None

    # -- tools ----------------------------------------------------------
    def run(self, argv, what):
        """argv's stdout; fails naming the command (its first words) and stderr. Not for docker inspect of
        containers, whose output holds their environment (save_inspect)."""
        rc, out, err = self.m.run_command(argv, environ_update={"LANG": "C"})
        if rc != 0:
            command = " ".join(argv[:4]) + (" ..." if len(argv) > 4 else "")
            self.m.fail_json(msg="%s failed (%s): %s. %s" % (command, what, err.strip(), self.where()),
                             rc=rc, stdout=out, stderr=err)
        return out

    def listing(self, *args):
        out = self.run([self.docker] + list(args) + ["--format", "{{json .}}"], "listing what the host has")
        return storage.json_lines(out)

    def where(self):
        return "The migration record %s stays; the next run resumes from it." % self.record_path

    def make_work_dir(self):
        if not os.path.isdir(self.work_dir):
            os.makedirs(self.work_dir, 0o700)
            os.chmod(self.work_dir, 0o700)

    def lock(self):
        """One step at a time on a host: a run whose controller died may still be running its step."""
        if self.m.check_mode:
            return  # check mode writes nothing, not even the lock file
        self.make_work_dir()
        self.lock_fd = os.open(os.path.join(self.work_dir, "migration.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (IOError, OSError):
            self.m.fail_json(msg="Another docker_storage_migrate step holds %s/migration.lock (a run whose "
                                 "controller died may still be running it on the host). Wait for it and run again."
                                 % self.work_dir)

    def read_record(self):
        return move.read_record(self.m, self.record_path)

    def write_record(self, record):
        self.make_work_dir()
        _files.write_atomic(self.m, self.record_path, to_bytes(json.dumps(record, indent=2, sort_keys=True) + "\n"),
                            mode=0o600, dir_mode=0o700)

    def engine_up(self):
        rc, out, dummy = self.m.run_command([self.systemctl, "is-active", "docker.service"])
        return out.strip() in UP

    # -- save -----------------------------------------------------------
    def survey(self, record):
        """What the host has now: images, containers, user networks, local volumes."""
        if self.p["keep_images"]:
            record["images"] = move.images_to_keep(self.listing("images", "--digests"))
        else:
            record["images"] = []
        record["archive"] = (os.path.join(self.work_dir, "images-%s.tar" % record["stamp"])
                             if record["images"] else "")
        containers = self.listing("ps", "--all")
        record["containers"] = [c.get("Names") for c in containers]
        record["container_ids"] = [c.get("ID") for c in containers]
        ids = [n.get("ID") for n in self.listing("network", "ls")]
        inspects = json.loads(self.run([self.docker, "network", "inspect"] + ids, "reading the networks")) \
            if ids else []
        record["networks"] = move.user_networks(inspects)
        # Volumes of other drivers (plugins) live outside the data root.
        record["volumes"] = sorted(v.get("Name") for v in self.listing("volume", "ls") if v.get("Driver") == "local")
        return record

    def save_inspect(self, record):
        """Every container's docker inspect, 0600 (their environment may hold secrets), never in the result."""
        for attempt in (1, 2):
            rc, out, err = self.m.run_command([self.docker, "inspect"] + record["container_ids"],
                                              environ_update={"LANG": "C"})
            if rc == 0:
                break
            if attempt == 1:  # a container went away (--rm) since the listing: list again
                self.survey(record)
                if not record["container_ids"]:
                    return
        else:
            self.m.fail_json(msg="docker inspect of the containers failed: %s. %s" % (err.strip(), self.where()),
                             rc=rc, stderr=err)
        record["containers_file"] = os.path.join(self.work_dir, "containers-%s.json" % record["stamp"])
        _files.write_atomic(self.m, record["containers_file"], to_bytes(out), mode=0o600, dir_mode=0o700)

    def save(self):
        record = self.read_record()
        if record and record["saved"]:
            return record
        if record is None:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            data_root = self.p["data_root"].rstrip("/") or "/"
            mount_point = move.is_mount_point(data_root, _files.read_text(MOUNTINFO))
            record = dict(version=move.RECORD_VERSION, stamp=stamp, data_root=data_root, mount_point=mount_point,
                          backup=move.backup_path(data_root, stamp, mount_point),
                          containers_file="", saved=False, moved=False, volumes_carried=False, loaded=False)
            record["from"] = self.p["from_driver"]
            record["to"] = self.p["to_driver"]
        record = self.survey(record)
        self.changed = True
        if self.m.check_mode:
            return record
        # Not saved yet (fresh, or an attempt that died): what an earlier docker save left half-written goes.
        self.drop_partial_archives()
        if record["container_ids"]:
            self.save_inspect(record)
        # Written before the save: a save that dies resumes into the same archive.
        self.write_record(record)
        refs = move.save_refs(record["images"])
        if refs:
            self.run([self.docker, "save", "--output", record["archive"]] + refs, "saving the images")
        record["saved"] = True
        self.write_record(record)
        return record

    def drop_partial_archives(self):
        """Partial archives docker save leaves when it dies (.docker_temp_*); complete archives are left alone."""
        if not os.path.isdir(self.work_dir):
            return
        for name in os.listdir(self.work_dir):
            if name.startswith(".docker_temp_"):
                os.unlink(os.path.join(self.work_dir, name))

    # -- move -----------------------------------------------------------
    def need_record(self, step):
        record = self.read_record()
        if record is None:
            self.m.fail_json(msg="step=%s needs the migration record %s, which step=save writes; there is none"
                             % (step, self.record_path))
        return record

    def stop_containers(self):
        """Stop the running containers first: with live-restore they would outlive the engine on the old data."""
        running = [c.get("ID") for c in self.listing("ps")]
        if running:
            self.run([self.docker, "stop"] + running, "stopping the containers")

    def stop_engine(self):
        for unit in ("docker.socket", "docker.service"):
            rc, out, err = self.m.run_command([self.systemctl, "stop", unit])
            if rc not in (0, 5):  # 5: the unit is not loaded (no docker.socket on this host)
                self.m.fail_json(msg="systemctl stop %s failed: %s. Nothing was moved. %s"
                                 % (unit, err.strip(), self.where()), rc=rc, stderr=err)
        rc, out, err = self.m.run_command([self.systemctl, "is-active", "docker.service"])
        if out.strip() in UP:
            self.m.fail_json(msg="docker.service is still %s after systemctl stop. Nothing was moved. %s"
                             % (out.strip(), self.where()))

    def containers_since_save(self, record):
        """Containers made after step=save (a move resumed later): their inspect is saved too, and they are listed
        among those that do not come back."""
        containers = self.listing("ps", "--all")
        ids = [c.get("ID") for c in containers]
        if set(ids) != set(record.get("container_ids") or []):
            record["containers"] = [c.get("Names") for c in containers]
            record["container_ids"] = ids
            if ids:
                self.save_inspect(record)
            self.write_record(record)

    def label(self, path):
        """The new data root's SELinux label, as the policy gives it (a new directory inherits its parent's)."""
        restorecon = self.m.get_bin_path("restorecon")
        if restorecon and os.path.exists("/sys/fs/selinux/enforce"):
            rc, out, err = self.m.run_command([restorecon, path])
            if rc != 0:
                self.m.warn("restorecon %s failed: %s" % (path, err.strip()))

    def nothing_mounted_below(self, root):
        below = move.mounts_below(root, _files.read_text(MOUNTINFO))
        if below:
            self.m.fail_json(msg="With the engine stopped, these are still mounted below %s: %s (a container that "
                                 "outlived the engine, with live-restore, or another mount). Nothing was moved. "
                                 "Unmount or stop them and run again. %s" % (root, ", ".join(below[:10]), self.where()))

    def move(self):
        if self.m.check_mode and self.read_record() is None:
            self.changed = True  # step=save did not write one in check mode
            return {}
        record = self.need_record("move")
        root = record["data_root"]
        if record["moved"] is None:  # a record from an earlier release, whose mv failed on a mount point
            record["mount_point"] = move.is_mount_point(root, _files.read_text(MOUNTINFO))
            if record["mount_point"]:
                record["backup"] = move.backup_path(root, record["stamp"], True)
            record["moved"] = os.path.exists(record["backup"]) and not record["mount_point"]
        backup = record["backup"]
        if record["moved"] and record["volumes_carried"]:
            return record
        self.changed = True
        if self.m.check_mode:
            return record
        if not record["moved"]:
            if self.engine_up():
                self.containers_since_save(record)
                self.stop_containers()
            self.stop_engine()  # also docker.socket, which would start it again
            self.nothing_mounted_below(root)
            try:
                if record["mount_point"]:
                    self.empty_into(root, backup)
                    record["volumes_carried"] = True  # volumes/ stays where it is
                elif not os.path.exists(backup):
                    os.rename(root, backup)
                if not os.path.isdir(root):
                    os.mkdir(root, 0o710)
                    os.chmod(root, 0o710)
                    self.label(root)
            except OSError as e:
                self.m.fail_json(msg="Moving %s to %s failed: %s. %s" % (root, backup, to_native(e), self.where()))
            record["moved"] = True
            self.write_record(record)
        if not record["volumes_carried"]:
            self.carry_volumes(record)
        return record

    def carry_volumes(self, record):
        root, backup = record["data_root"], record["backup"]
        old, new = os.path.join(backup, "volumes"), os.path.join(root, "volumes")
        if os.path.isdir(old):
            try:
                if os.path.exists(new):
                    # An engine started on the new data root since the move (a reboot, the install role).
                    if self.engine_up():
                        self.stop_engine()
                    if not move.fresh_volumes_dir(os.listdir(new)):
                        self.m.fail_json(msg="Both %s and %s hold volumes; the old ones were not carried over. Move "
                                             "what %s holds aside and run again. %s" % (old, new, new, self.where()))
                    os.rename(new, "%s/volumes.made-%s" % (backup, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))
                os.rename(old, new)
            except OSError as e:
                self.m.fail_json(msg="Carrying the volumes %s to %s failed: %s. %s"
                                 % (old, new, to_native(e), self.where()))
        record["volumes_carried"] = True
        self.write_record(record)

    def empty_into(self, root, backup):
        """Move every entry of the mount point root into backup (inside it, so a rename), but volumes/ (carried
        over by staying) and lost+found. An entry already in backup was moved by an attempt that died; what the
        data root holds under that name now was made since (an engine started on it): it goes in too, renamed."""
        if not os.path.isdir(backup):
            os.mkdir(backup, 0o700)
        keep = set([os.path.basename(backup), "volumes", "lost+found"])
        for name in sorted(os.listdir(root)):
            if name in keep or name.startswith("dockerops-backup-"):
                continue
            target = os.path.join(backup, name)
            if os.path.exists(target):
                target = "%s.made-%s" % (target, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
            os.rename(os.path.join(root, name), target)

    # -- restore --------------------------------------------------------
    def image_id(self, ref):
        rc, out, dummy = self.m.run_command([self.docker, "image", "inspect", "--format", "{{.Id}}", ref])
        return out.strip() if rc == 0 and out.strip() else None

    def drop_leftover_archives(self):
        """Archives a closed record names that still exist (a run killed between closing and removing)."""
        dropped = []
        for done in glob.glob(os.path.join(self.work_dir, "migration-done-*.json")):
            try:
                with open(done) as f:
                    archive = json.load(f).get("archive")
            except (IOError, OSError, ValueError):
                continue
            if archive and os.path.exists(archive):
                dropped.append(archive)
                if not self.m.check_mode:
                    os.unlink(archive)
        return dropped

    def restore(self):
        record = self.read_record()
        if record is None:
            dropped = self.drop_leftover_archives()
            self.changed = bool(dropped)
            return None, dict(archives_removed=dropped)
        if not (record["moved"] and record["volumes_carried"]):
            self.m.fail_json(msg="step=restore before step=move completed (moved: %s, volumes carried: %s): the "
                                 "images would go into the old data root. Run step=move first. %s"
                                 % (record["moved"], record["volumes_carried"], self.where()))
        self.changed = True
        result = dict(images=[], networks_created=[], containers_not_back=record["containers"],
                      containers_file=record["containers_file"])
        if self.m.check_mode:
            result["images"] = [r for i in record["images"] for r in move.wanted_refs(i)]
            return record, result
        archive = record.get("archive")
        if archive and not record["loaded"]:
            if not os.path.exists(archive):
                self.m.fail_json(msg="The image archive %s is missing. %s" % (archive, self.where()))
            self.run([self.docker, "load", "--input", archive], "loading the saved images")
            record["loaded"] = True
            self.write_record(record)
        missing = []
        for image in record["images"]:
            full = self.image_id(image["id"])
            if full is None:
                missing.append(image["id"])
                continue
            for ref in move.wanted_refs(image):
                if self.image_id(ref) != full:  # absent, or the name points at another image
                    self.run([self.docker, "tag", full, ref], "giving the image its name back")
                result["images"].append(ref)
        if missing:
            record["loaded"] = False  # the next run loads the archive again
            self.write_record(record)
            self.m.fail_json(msg="After the load these saved images are missing (by ID): %s. The archive %s stays. %s"
                             % (", ".join(missing), archive, self.where()))
        present = set(n.get("Name") for n in self.listing("network", "ls"))
        for net in record["networks"]:
            if net["Name"] not in present:
                self.run([self.docker, "network", "create"] + move.network_create_args(net),
                         "recreating the network %s" % net["Name"])
                result["networks_created"].append(net["Name"])
        volumes = set(v.get("Name") for v in self.listing("volume", "ls"))
        lost = [v for v in record["volumes"] if v not in volumes]
        if lost:
            self.m.fail_json(msg="After the move the engine does not list these volumes: %s (look in %s/volumes and "
                                 "%s). %s" % (", ".join(lost), record["data_root"], record["backup"], self.where()))
        done = os.path.join(self.work_dir, "migration-done-%s.json" % record["stamp"])
        os.rename(self.record_path, done)
        # Only after the record is closed: a run killed in between finds no open record naming a missing archive
        # (and the next restore removes what the closed record names).
        if archive and os.path.exists(archive):
            os.unlink(archive)
        result["record_file"] = done
        return record, result


def main():
    module = AnsibleModule(argument_spec=dict(step=dict(type="str", required=True,
                                                        choices=["save", "move", "restore"]),
                                              work_dir=dict(type="path", default="/var/lib/dockerops-storage"),
                                              data_root=dict(type="path", default="/var/lib/docker"),
                                              from_driver=dict(type="str"),
                                              to_driver=dict(type="str"),
                                              keep_images=dict(type="bool", default=True)),
                           supports_check_mode=True)
    m = Migration(module)
    try:
        m.lock()
        step = module.params["step"]
        if step == "save":
            record = m.save()
            module.exit_json(changed=m.changed, record=record)
        if step == "move":
            record = m.move()
            module.exit_json(changed=m.changed, record=record)
        record, result = m.restore()
        if record is None:
            module.exit_json(changed=m.changed, record={}, images=[], networks_created=[], containers_not_back=[],
                             containers_file="", msg="No open migration record: nothing to restore", **result)
        module.exit_json(changed=m.changed, record=record, **result)
    finally:
        if m.lock_fd is not None:
            os.close(m.lock_fd)


if __name__ == "__main__":
    main()
