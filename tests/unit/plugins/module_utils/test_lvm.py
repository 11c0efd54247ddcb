"""module_utils._lvm.is_block_device on real files of this machine: only a block device is one, whatever else the
path is (lvm_thinpool refuses every other device before anything is written)."""
import os
import socket
import stat

import pytest

from ansible_collections.dockerops.host.plugins.module_utils import _lvm as lvm


def a_block_device():
    """A block device of this machine (loop, virtio, ...), None when /dev has none."""
    for entry in sorted(os.listdir("/dev")):
        path = os.path.join("/dev", entry)
        try:
            if stat.S_ISBLK(os.lstat(path).st_mode):
                return path
        except OSError:
            continue
    return None


BLOCK = a_block_device()
needs_block = pytest.mark.skipif(BLOCK is None, reason="no block device in /dev here")


def test_a_regular_file_is_not_a_block_device(tmp_path):
    f = tmp_path / "disk.img"
    f.write_bytes(bytes(4096))
    assert lvm.is_block_device(str(f)) is False


def test_a_directory_is_not_a_block_device(tmp_path):
    assert lvm.is_block_device(str(tmp_path)) is False


def test_a_missing_path_is_not_a_block_device(tmp_path):
    assert lvm.is_block_device(str(tmp_path / "vdz")) is False
    assert lvm.is_block_device(str(tmp_path / "no" / "such" / "dir")) is False


def test_a_character_device_is_not_a_block_device():
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert lvm.is_block_device("/dev/null") is False


def test_a_fifo_and_a_socket_are_not_block_devices(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    assert lvm.is_block_device(str(fifo)) is False
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        assert lvm.is_block_device(str(tmp_path / "sock")) is False
    finally:
        sock.close()


def test_a_path_through_a_file_is_not_a_block_device(tmp_path):
    # ENOTDIR, not ENOENT: still an OSError, still no block device.
    f = tmp_path / "file"
    f.write_text("x")
    assert lvm.is_block_device(str(f / "sub")) is False


@needs_block
def test_a_real_block_device_is_one():
    assert lvm.is_block_device(BLOCK) is True


@needs_block
def test_a_link_is_judged_by_what_it_points_to(tmp_path):
    # /dev/disk/by-id/... names are symbolic links to the device node.
    (tmp_path / "by-id").mkdir()
    os.symlink(BLOCK, str(tmp_path / "by-id" / "disk"))
    os.symlink("/dev/null", str(tmp_path / "by-id" / "null"))
    os.symlink(str(tmp_path / "gone"), str(tmp_path / "by-id" / "dangling"))
    assert lvm.is_block_device(str(tmp_path / "by-id" / "disk")) is True
    assert lvm.is_block_device(str(tmp_path / "by-id" / "null")) is False
    assert lvm.is_block_device(str(tmp_path / "by-id" / "dangling")) is False
