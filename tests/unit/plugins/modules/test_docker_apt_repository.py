"""docker_apt_repository on real files: the pinned key (tests/unit/fixtures/keys, gpg-made: its README), a
definition, leftovers; apt-get update answered by outputs recorded in the lab (fixtures/dpkg_query/README.md,
"apt-get update outputs"). What is written, what apt is asked, and what a failed read puts back."""
import os
import stat

import pytest

from ansible.module_utils import basic

from ansible_collections.dockerops.host.plugins.module_utils import _apt
from ansible_collections.dockerops.host.plugins.modules import docker_apt_repository

from harness import patch_exits, run_main

HERE = os.path.dirname(__file__)
KEYS = os.path.join(HERE, "..", "..", "fixtures", "keys")
UPDATES = os.path.join(HERE, "..", "..", "fixtures", "apt_update")
PINNED = "51E9 2E84 32C5 3952 FE66  175D E5BF 3431 C0F4 D045"
VAR = "docker_install_ubuntu_key_fingerprint"
CONTENT = ("Types: deb\nURIs: file:///srv/docker-mirror/linux/debian\nSuites: bookworm\nComponents: stable\n"
           "Signed-By: %s\n")
OLD_CONTENT = CONTENT.replace("docker-mirror", "old-mirror")
ORIGINAL_GET_BIN_PATH = basic.AnsibleModule.get_bin_path


def key(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return f.read()


def apt_update(name):
    base = os.path.join(UPDATES, "apt-update-" + name)
    with open(base + ".rc") as rc, open(base + ".stdout") as out, open(base + ".stderr") as err:
        return int(rc.read()), out.read(), err.read()


class Host:
    """A host's /etc/apt under tmp_path, a mirror serving a key, and apt-get update's answers in order."""

    def __init__(self, tmp_path, monkeypatch):
        self.root = tmp_path
        self.keyring = tmp_path / "keyrings" / "docker.gpg"
        self.definition = tmp_path / "sources.list.d" / "docker.sources"
        self.definition.parent.mkdir(exist_ok=True)
        self.journal = tmp_path / "keyrings" / ".docker.sources.dockerops-unread"
        self.served = tmp_path / "mirror" / "gpg"
        self.served.parent.mkdir(exist_ok=True)
        self.serve("pinned.asc")
        self.answers = []
        self.calls = []
        host = self

        def run_command(module, argv, environ_update=None):
            # What apt would read at this moment, for the order of the writes.
            host.calls.append(dict(argv=argv, env=environ_update, journal=host.journal.exists(),
                                   keyring=host.read(host.keyring), definition=host.read(host.definition)))
            return apt_update(host.answers.pop(0))
        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda module, name, required=False: "/usr/bin/" + name)
        monkeypatch.setattr(_apt.time, "sleep", lambda s: None)

    def serve(self, name):
        self.served.write_bytes(key(name))

    @staticmethod
    def read(path):
        return path.read_bytes() if path.exists() else None

    def content(self):
        return CONTENT % self.keyring

    def run(self, *answers, **args):
        self.answers = list(answers)
        self.calls = []
        params = dict(key_url="file://%s" % self.served, fingerprint=PINNED, pin_variable=VAR,
                      keyring=str(self.keyring), definition=str(self.definition), content=self.content(),
                      description="Docker's repository at file:///srv/docker-mirror/linux/debian (bookworm stable)")
        params.update(args)
        kind, res = run_main(docker_apt_repository.main, params)
        assert self.answers == [], "apt was asked fewer times than answers were given"
        return kind, res

    def listing(self):
        """Every file under the host's root but the mirror: name, bytes and mode."""
        out = {}
        for d, _dirs, files in os.walk(str(self.root)):
            for f in files:
                p = os.path.join(d, f)
                if "/mirror/" not in p:
                    out[os.path.relpath(p, str(self.root))] = (open(p, "rb").read(), stat.S_IMODE(os.lstat(p).st_mode))
        return out

    def converge(self):
        """The state a converged host is in (a first run that apt read)."""
        kind, res = self.run("ok")
        assert kind == "Exit" and res["repository_changed"] is True


@pytest.fixture
def host(tmp_path, monkeypatch):
    patch_exits(monkeypatch)
    return Host(tmp_path, monkeypatch)


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_first_run_writes_both_root_0644_then_apt_reads_that_definition_alone(host):
    kind, res = host.run("ok")
    assert kind == "Exit" and res["changed"] is True
    assert res["keyring_changed"] is res["definition_changed"] is res["repository_changed"] is res["apt_read"] is True
    assert res["fingerprint"] == PINNED.replace(" ", "") and res["files_removed"] == []
    assert host.keyring.read_bytes() == key("pinned.gpg") and host.definition.read_text() == host.content()
    for path in (host.keyring, host.definition):
        st = os.stat(str(path))
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o644)
    assert mode(host.keyring.parent) == 0o755
    # apt read both new files, with the journal of an unfinished transaction there; it is gone once apt read them.
    [call] = host.calls
    assert call["argv"] == _apt.update_argv("/usr/bin/apt-get", str(host.definition))
    assert call["env"] == {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}
    assert call["journal"] and call["keyring"] == key("pinned.gpg") and call["definition"] == host.content().encode()
    assert not host.journal.exists()
    assert sorted(host.listing()) == ["keyrings/docker.gpg", "sources.list.d/docker.sources"]


def test_a_rerun_changes_nothing_and_does_not_run_apt(host):
    host.converge()
    kind, res = host.run()
    assert kind == "Exit" and res["changed"] is False and res["apt_read"] is False and host.calls == []


@pytest.mark.parametrize("which", ["keyring", "definition"])
def test_a_wrong_mode_alone_is_put_right_and_read(host, which):
    host.converge()
    path = getattr(host, which)
    os.chmod(str(path), 0o600)
    kind, res = host.run("ok")
    assert kind == "Exit" and res["changed"] is True and res[which + "_changed"] is True
    assert res[("definition" if which == "keyring" else "keyring") + "_changed"] is False
    assert mode(path) == 0o644


def test_check_mode_writes_nothing_runs_no_apt_and_shows_the_change(host):
    (host.root / "sources.list.d" / "docker.list").write_text("deb old\n")
    kind, res = host.run(_ansible_check_mode=True, _ansible_diff=True,
                         leftovers=[str(host.root / "sources.list.d" / "docker.list")])
    assert kind == "Exit" and res["changed"] is True and res["apt_read"] is False and host.calls == []
    assert res["files_removed"] == [str(host.root / "sources.list.d" / "docker.list")]
    assert sorted(host.listing()) == ["sources.list.d/docker.list"]
    keyring, definition, removal = res["diff"]
    assert keyring["before"] == "(absent)\n" and PINNED.replace(" ", "") in keyring["after"]
    assert definition["before"] == "" and definition["after"] == host.content()
    assert (removal["before"], removal["after"]) == ("(present)\n", "(absent)\n")


def test_leftovers_go_in_order_once_apt_read_it_never_a_directory_a_link_as_a_link(host):
    d = host.root / "sources.list.d"
    (d / "docker.list").write_text("deb old\n")
    old_key = host.root / "keyrings-old" / "docker.asc"
    old_key.parent.mkdir()
    old_key.write_bytes(key("pinned.asc"))
    (d / "a-dir.list").mkdir()
    target = host.root / "target"
    target.write_text("kept\n")
    (d / "link.list").symlink_to(target)
    leftovers = [str(d / "docker.list"), str(old_key), str(d / "a-dir.list"), str(d / "link.list"),
                 str(d / "absent.list")]
    kind, res = host.run("ok", leftovers=leftovers)
    assert kind == "Exit" and res["files_removed"] == [str(d / "docker.list"), str(old_key), str(d / "link.list")]
    assert not (d / "docker.list").exists() and not old_key.exists() and not os.path.lexists(str(d / "link.list"))
    assert (d / "a-dir.list").is_dir() and target.read_text() == "kept\n"
    # Nothing to read on a rerun; a leftover put back is removed all the same.
    (d / "docker.list").write_text("deb old\n")
    kind, res = host.run(leftovers=leftovers)
    assert kind == "Exit" and res["changed"] is True and res["apt_read"] is False
    assert res["files_removed"] == [str(d / "docker.list")] and not (d / "docker.list").exists()


def test_a_failed_read_puts_the_previous_keyring_and_definition_back_keyring_first(host):
    host.keyring.parent.mkdir()
    host.keyring.write_bytes(key("pinned-and-other.gpg"))
    os.chmod(str(host.keyring), 0o640)
    host.definition.write_text(OLD_CONTENT % host.keyring)
    leftover = host.root / "sources.list.d" / "docker.list"
    leftover.write_text("deb old\n")
    before = host.listing()
    kind, res = host.run("wrong-key", leftovers=[str(leftover)])
    assert kind == "Fail" and res["changed"] is False and res["rc"] == 100
    assert res["msg"].startswith("apt could not read Docker's repository at file:///srv/docker-mirror/linux/debian "
                                 "(bookworm stable); the previous definition was put back, with the previous "
                                 "keyring. apt said (rc 100): Err:1 file:/srv/docker-mirror/linux/debian bookworm "
                                 "InRelease The following signatures")
    assert "NO_PUBKEY C495BFF2916AFB0D" in res["msg"]
    # Bytes and modes as they were; no backup, no marker; the leftover kept (apt never read the new definition).
    assert host.listing() == before


def test_a_failed_read_on_a_fresh_host_removes_both_again(host):
    kind, res = host.run("missing")
    assert kind == "Fail"
    assert "; its definition was removed again, and the new keyring removed. apt said (rc 100): Err:4 " in res["msg"]
    assert host.listing() == {}


def test_a_failed_read_after_a_new_key_alone_leaves_the_definition(host):
    host.converge()
    host.keyring.write_bytes(key("pinned-and-other.gpg"))
    before = host.listing()
    kind, res = host.run("refused")
    assert kind == "Fail" and "; the definition was left as it was, with the previous keyring. apt said (rc 0): " \
                              "Err:1 http://127.0.0.1:9" in res["msg"]
    assert host.listing() == before


def test_the_lock_held_past_the_timeout_fails_naming_it(host):
    # One try only (the run asserts every answer was asked for).
    kind, res = host.run("locked", lock_timeout=0)
    assert kind == "Fail" and "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 7" in res["msg"]
    assert host.listing() == {}
    kind, res = host.run("locked", "locked", "ok", lock_timeout=60)
    assert kind == "Exit" and res["apt_read"] is True and len(host.calls) == 3


def test_an_unreadable_journal_makes_the_next_runs_read_until_apt_can(host):
    # A journal that cannot be read (cut off while it was written): the files as they are stand for the previous
    # ones, and the journal stays until apt reads the repository.
    host.converge()
    host.journal.write_bytes(b"")
    kind, res = host.run(_ansible_check_mode=True)
    assert kind == "Exit" and res["changed"] is True and res["repository_changed"] is True and host.calls == []
    kind, res = host.run("wrong-key")
    assert kind == "Fail" and "; the definition was left as it was. apt said" in res["msg"]
    assert host.journal.exists(), "a failed read must keep saying the repository was never read"
    kind, res = host.run("ok")
    assert kind == "Exit" and res["changed"] is True and res["apt_read"] is True and not host.journal.exists()
    kind, res = host.run()
    assert res["changed"] is False and res["apt_read"] is False


class Killed(BaseException):
    """The module's process killed at that point (a lost host, a killed controller): nothing after it runs."""


def kill_at(monkeypatch, nth):
    """Kill the module at its nth file write (1-based: the journal is the first of a transaction)."""
    real, count = docker_apt_repository._files.replace, [0]

    def replace(path, content, **kw):
        count[0] += 1
        if count[0] == nth:
            raise Killed(path)
        return real(path, content, **kw)
    monkeypatch.setattr(docker_apt_repository._files, "replace", replace)


def old_host(host):
    """A host converged by hand on another mirror and key: what the put-back must come back to."""
    host.keyring.parent.mkdir()
    host.keyring.write_bytes(key("pinned-and-other.gpg"))
    host.definition.write_text(OLD_CONTENT % host.keyring)
    return host.listing()


@pytest.mark.parametrize("nth, left", [
    (3, "new keyring, old definition"),   # journal, keyring, then killed before the definition
    (4, "put-back cut off"),              # journal, keyring, definition; the read fails; killed putting the
])                                        # definition back, after the keyring
def test_a_transaction_cut_off_is_put_back_by_the_next_run_from_its_journal(host, monkeypatch, nth, left):
    before = old_host(host)
    kill_at(monkeypatch, nth)
    with pytest.raises(Killed):
        host.run(*(["wrong-key"] if nth == 4 else []))
    assert host.journal.exists() and host.listing() != before
    monkeypatch.undo()
    patch_exits(monkeypatch)
    host.__init__(host.root, monkeypatch)
    # The next run writes what is missing, apt cannot read it, and the host comes back to what it was before the
    # cut-off run, not to what that run left.
    kind, res = host.run("wrong-key")
    assert kind == "Fail" and "; the previous definition was put back, with the previous keyring. apt said" \
        in res["msg"], left
    assert host.listing() == before


def test_a_write_that_fails_puts_back_what_was_written(host, monkeypatch):
    before = old_host(host)
    real = docker_apt_repository._files.replace

    def replace(path, content, **kw):
        if path == str(host.definition):
            raise OSError(30, "Read-only file system")
        return real(path, content, **kw)
    monkeypatch.setattr(docker_apt_repository._files, "replace", replace)
    kind, res = host.run()
    assert kind == "Fail" and res["msg"] == (
        "Could not write Docker's repository at file:///srv/docker-mirror/linux/debian (bookworm stable)'s files: "
        "[Errno 30] Read-only file system; the definition was left as it was, with the previous keyring.")
    assert host.listing() == before


def test_writes_and_put_backs_go_keyring_first(host, monkeypatch):
    old_host(host)
    done = []
    real_replace, real_unlink = docker_apt_repository._files.replace, os.unlink
    monkeypatch.setattr(docker_apt_repository._files, "replace",
                        lambda path, content, **kw: (done.append(("write", path)), real_replace(path, content, **kw)))
    monkeypatch.setattr(docker_apt_repository.os, "unlink", lambda path: (done.append(("unlink", path)),
                                                                          real_unlink(path)))
    kind, res = host.run("wrong-key")
    assert kind == "Fail"
    k, d, j = str(host.keyring), str(host.definition), str(host.journal)
    assert done == [("write", j), ("write", k), ("write", d), ("write", k), ("write", d), ("unlink", j)]
    host.definition.unlink()
    host.keyring.unlink()
    done[:] = []
    kind, res = host.run("wrong-key")
    assert done == [("write", j), ("write", k), ("write", d), ("unlink", k), ("unlink", d), ("unlink", j)]


def test_a_leftover_that_cannot_be_removed_is_named_with_what_went_before(host, monkeypatch):
    d = host.root / "sources.list.d"
    for name in ("a.list", "b.list", "c.list"):
        (d / name).write_text("deb old\n")
    real_unlink = os.unlink

    def unlink(path):
        if path.endswith("b.list"):
            raise OSError(16, "Device or resource busy")
        real_unlink(path)
    monkeypatch.setattr(docker_apt_repository.os, "unlink", unlink)
    kind, res = host.run("ok", leftovers=[str(d / n) for n in ("a.list", "b.list", "c.list")])
    assert kind == "Fail" and res["msg"] == "Could not remove %s: [Errno 16] Device or resource busy; removed before " \
        "it: %s" % (d / "b.list", d / "a.list")


@pytest.mark.parametrize("served, words", [
    ("pinned-and-other-one-block.asc", "another primary key"),
    ("pinned-then-other-block.asc", "armor blocks"),
    ("other-with-subkey.asc", "51E92E8432C53952FE66175DE5BF3431C0F4D045"),
])
def test_a_key_that_is_not_exactly_the_pin_writes_nothing_and_runs_no_apt(host, served, words):
    host.converge()
    before = host.listing()
    host.serve(served)
    kind, res = host.run()
    assert kind == "Fail" and res["msg"].startswith("Refusing the key at file://") and words in res["msg"]
    assert host.calls == [] and host.listing() == before


@pytest.mark.parametrize("alias", ["{d}", "{k}", "{j}", "{root}/sources.list.d/./docker.sources",
                                   "{root}/sources.list.d/../sources.list.d/docker.sources", "{root}/link.sources"])
def test_leftovers_naming_the_repository_s_own_files_are_refused(host, alias):
    host.converge()
    before = host.listing()
    (host.root / "link.sources").symlink_to(host.definition)
    path = alias.format(d=host.definition, k=host.keyring, j=host.journal, root=host.root)
    kind, res = host.run(leftovers=[path])
    assert kind == "Fail" and res["msg"] == ("leftovers names %s, which is the repository's own keyring, definition "
                                             "or journal. Nothing was written." % path)
    (host.root / "link.sources").unlink()
    assert host.listing() == before and host.calls == []


def test_a_directory_at_the_definition_is_refused_naming_it(host):
    host.definition.mkdir()
    kind, res = host.run()
    assert kind == "Fail" and res["msg"] == "definition %s is a directory. Nothing was written." % host.definition
    assert host.calls == [] and not host.keyring.exists()


def test_a_host_without_apt_get_is_refused_before_anything_is_written(host, monkeypatch, tmp_path):
    # Ansible's own lookup (not the fixture's stand-in), on a PATH without apt-get.
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", ORIGINAL_GET_BIN_PATH)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    kind, res = host.run()
    assert kind == "Fail" and "apt-get" in res["msg"]
    assert host.listing() == {} and host.calls == []
