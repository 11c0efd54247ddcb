"""Fake /proc, /sys and / trees for k8s_node_facts, built from the outputs recorded under
tests/unit/fixtures/k8s_node (its README.md says how each was recorded). The tests add a few synthetic inputs
through write(), etc() and sysctls() (configuration files as a user writes them, values no recording holds); the
README lists them and each is marked "Synthetic" in the test that writes it."""
import os
import shutil
import socket
import tempfile

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "k8s_node")


def recorded(rel):
    with open(os.path.join(FIX, rel)) as f:
        return f.read()


def recorded_run(rel):
    """(rc, stdout, stderr) of a command recorded as rel.rc, rel.stdout and rel.stderr."""
    return (int(recorded(rel + ".rc")),) + tuple(recorded(rel + "." + ext) for ext in ("stdout", "stderr"))


class Tree(object):
    """A host under a short temporary directory (a unix socket path must stay under 108 bytes)."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="k8s", dir="/tmp")
        self.proc = os.path.join(self.base, "proc")
        self.sys = os.path.join(self.base, "sys")
        self.root = os.path.join(self.base, "root")
        for d in (self.proc, self.sys, self.root):
            os.makedirs(d)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def write(self, path, text):
        """Write text at a path of the tree (path starts with the tree's proc, sys or root)."""
        d = os.path.dirname(path)
        if not os.path.isdir(d):
            os.makedirs(d)
        with open(path, "w") as f:
            f.write(text)

    def etc(self, path, text):
        self.write(self.root + path, text)

    def proc_file(self, name, rel):
        self.write(os.path.join(self.proc, name), recorded(rel))

    def sys_modules(self, rel):
        """/sys/module/<name> directories from a recorded `ls /sys/module`."""
        for name in recorded(rel).split():
            os.makedirs(os.path.join(self.sys, "module", name))

    def sysctls(self, values):
        for name, value in values.items():
            self.write(os.path.join(self.proc, "sys", *name.split(".")), value + "\n")

    def cgroup_v1(self):
        for name in recorded("lab-host/sys-fs-cgroup-ls.txt").split():
            os.makedirs(os.path.join(self.sys, "fs", "cgroup", name))

    def cgroup_v2(self):
        for name in recorded("vm/sys-fs-cgroup-ls.txt").split():
            if name != "cgroup.controllers":
                self.write(os.path.join(self.sys, "fs", "cgroup", name), "")
        self.write(os.path.join(self.sys, "fs", "cgroup", "cgroup.controllers"), recorded("vm/cgroup.controllers"))

    def net(self, fd_links=True, tcp6=True):
        """The lab container's TCP tables, its processes' names and (fd_links) their fd links."""
        self.proc_file("net/tcp", "lab-container/proc-net-tcp")
        if tcp6:
            self.proc_file("net/tcp6", "lab-container/proc-net-tcp6")
        for line in recorded("lab-container/proc-comm.txt").splitlines():
            pid, comm = line.split(" ", 1)
            self.write(os.path.join(self.proc, pid, "comm"), comm + "\n")
            os.makedirs(os.path.join(self.proc, pid, "fd"))
        if fd_links:
            for line in recorded("lab-container/proc-fd-links.txt").splitlines():
                path, target = line.split(" ", 1)
                os.symlink(target, self.proc + path[len("/proc"):])

    def unix_socket(self, path):
        full = self.root + path
        if not os.path.isdir(os.path.dirname(full)):
            os.makedirs(os.path.dirname(full))
        s = socket.socket(socket.AF_UNIX)
        s.bind(full)
        s.close()
        return full
