"""module_utils._swap on /proc/swaps, /proc/meminfo, fstab and systemctl output recorded on the lab machine and in a
lab VM (tests/unit/fixtures/swap/README.md says how; the synthetic inputs are marked)."""
import os

from ansible_collections.dockerops.host.plugins.module_utils import _swap

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "swap")


def recorded(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def test_parse_swaps_unescapes_paths_and_reads_numbers():
    assert _swap.parse_swaps(recorded("proc-swaps-two.txt")) == [
        dict(path="/var/tmp/swap test", type="file", size_kib=16380, used_kib=0, priority=-2),
        dict(path="/var/tmp/swapfile2", type="file", size_kib=8188, used_kib=0, priority=5),
    ]


def test_parse_swaps_none_active():
    assert _swap.parse_swaps(recorded("proc-swaps-none.txt")) == []


def test_parse_swaps_skips_lines_of_another_shape_and_reads_on():
    # Synthetic: odd lines before the recorded areas.
    text = recorded("proc-swaps-two.txt")
    header, rest = text.split("\n", 1)
    odd = "/x file 1 2\n/y file a 0 1\n"
    assert _swap.parse_swaps(header + "\n" + odd + rest) == _swap.parse_swaps(text)


def test_unescape_the_kernels_octal_escapes():
    assert _swap.unescape(r"/a\040b\011c\134d") == "/a b\tc\\d"
    assert _swap.unescape("/plain") == "/plain"


def test_parse_meminfo():
    mem = _swap.parse_meminfo(recorded("proc-meminfo-two.txt"))
    assert mem["MemTotal"] == 24731708
    assert mem["SwapTotal"] == 24568  # the two recorded swap files, 16380 + 8188 KiB
    assert "HugePages_Total" in mem and all(isinstance(v, int) for v in mem.values())


def test_used_swap_that_fits_and_that_does_not():
    mem = _swap.parse_meminfo(recorded("proc-meminfo-used.txt"))
    areas = _swap.parse_swaps(recorded("proc-swaps-used.txt"))
    fits, used, room = _swap.fits_in_memory(areas, mem)
    assert used == sum(a["used_kib"] for a in areas) > 0
    assert room == mem["MemAvailable"] - mem["MemTotal"] // 10
    # Recorded while a process held more than the memory: what is swapped does not fit.
    assert fits is False
    after = _swap.parse_meminfo(recorded("proc-meminfo-after-hog.txt"))
    fits, used, room = _swap.fits_in_memory(_swap.parse_swaps(recorded("proc-swaps-after-hog.txt")), after)
    assert fits is True and used <= room


def test_fits_at_the_boundary():
    # Synthetic figures.
    mem = dict(MemTotal=1000, MemAvailable=600)  # room 600 - 100 = 500
    assert _swap.fits_in_memory([dict(used_kib=500)], mem) == (True, 500, 500)
    assert _swap.fits_in_memory([dict(used_kib=300), dict(used_kib=201)], mem) == (False, 501, 500)
    # Without MemAvailable (before Linux 3.14), MemFree.
    assert _swap.fits_in_memory([dict(used_kib=1)], dict(MemTotal=1000, MemFree=101)) == (True, 1, 1)
    assert _swap.fits_in_memory([], {}) == (True, 0, 0)


def test_fstab_swap_line_commented_others_kept():
    text = recorded("fstab-with-swap.txt")
    new, lines = _swap.fstab_swap_lines(text)
    assert lines == ["/swapfile none swap sw 0 0"]
    assert new == text.replace("/swapfile none", _swap.FSTAB_MARK + "/swapfile none")
    # A second pass finds nothing.
    assert _swap.fstab_swap_lines(new) == (new, [])


def test_fstab_without_swap_is_unchanged():
    text = recorded("fstab-vm-image.txt")
    assert _swap.fstab_swap_lines(text) == (text, [])


def test_fstab_commented_and_short_lines_left_alone():
    # Synthetic: lines as people write them (a commented swap line, a tab-separated one, no final newline).
    text = "# /old none swap sw 0 0\nUUID=1\n/dev/vdb\tnone\tswap\tsw,pri=5\t0\t0"
    new, lines = _swap.fstab_swap_lines(text)
    assert lines == ["/dev/vdb\tnone\tswap\tsw,pri=5\t0\t0"]
    assert new == "# /old none swap sw 0 0\nUUID=1\n" + _swap.FSTAB_MARK + "/dev/vdb\tnone\tswap\tsw,pri=5\t0\t0"


def test_swap_units_from_systemctl():
    units = _swap.swap_units(recorded("list-units-active.stdout"))
    assert units == [("swapfile.swap", "loaded")]
    assert _swap.units_to_mask(units) == ["swapfile.swap"]


def test_masked_units_are_not_masked_again():
    units = _swap.swap_units(recorded("list-units-masked.stdout"))
    assert ("swapfile.swap", "masked") in units
    assert _swap.units_to_mask(units) == []


def test_failed_unit_bullet_and_other_lines():
    # Synthetic: a failed unit as systemctl marks it, and a line that is not a swap unit.
    text = "\u25cf dev-zram0.swap loaded failed failed /dev/zram0\nfoo.service loaded active running x\n"
    assert _swap.swap_units(text) == [("dev-zram0.swap", "loaded")]
