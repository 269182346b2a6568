"""mpy_module/tools/mpy_ld_rv32.py: the immediates it writes into RISC-V
instructions must be what GNU as encodes for the same offsets, and the linked
rv32imc module must be a .mpy of arch 11 with no path of the build machine.
(That the module runs is tests/test_boards.py's job.)"""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from harness.runtimes import REPO

sys.path.insert(0, str(REPO / "mpy_module" / "tools"))
import mpy_ld_rv32 as rv  # noqa: E402

AS = "riscv64-unknown-elf-as"
OFFSETS = (-4096 + 2, -2050, -2048, -6, 2, 6, 2046, 2048, 4094)


def assemble(lines, march="rv32imc", tmp=None):
    """Machine code GNU as makes of lines (relaxation off)."""
    if not shutil.which(AS):
        pytest.fail("%s missing (scripts/setup_boards.sh installs it)" % AS, pytrace=False)
    d = tempfile.mkdtemp()
    try:
        src, obj, raw = (os.path.join(d, n) for n in ("a.s", "a.o", "a.bin"))
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([AS, "-march=" + march, "-mabi=ilp32", "-mno-relax", "-o", obj, src],
                       check=True, capture_output=True)
        subprocess.run(["riscv64-unknown-elf-objcopy", "-O", "binary", "-j", ".text", obj, raw],
                       check=True, capture_output=True)
        with open(raw, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Env:
    def __init__(self, text):
        self.full_text = bytearray(text)


def patched(insn_bytes, method, value):
    """Zero the immediate of one instruction by patching 0, then patch value."""
    env = Env(insn_bytes)
    p = rv.Patcher(env)
    getattr(p, method)(0, 0)
    getattr(p, method)(0, value)
    return bytes(env.full_text)


@pytest.mark.parametrize("off", OFFSETS)
def test_branch_and_jal_match_gnu_as(off):
    # Each instruction at offset 0 targets 0 + off: .=0 then target label via .+off.
    for line, method in (("beq a0, a1, .%+d" % off, "branch"),
                         ("jal ra, .%+d" % (off * 64), "jal"),
                         ("jal zero, .%+d" % off, "jal")):
        want = assemble([line], march="rv32im")
        value = off * 64 if "ra" in line else off
        assert patched(want, method, value) == want, line


@pytest.mark.parametrize("off", (-256, -130, -2, 2, 100, 254))
def test_compressed_branch_matches_gnu_as(off):
    want = assemble(["c.beqz a0, .%+d" % off])
    assert patched(want, "rvc_branch", off) == want


@pytest.mark.parametrize("off", (-2048, -1000, -2, 2, 1000, 2046))
def test_compressed_jump_matches_gnu_as(off):
    want = assemble(["c.j .%+d" % off])
    assert patched(want, "rvc_jump", off) == want


@pytest.mark.parametrize("value", (0, 4, 0x7FF, 0x800, 0x12345, -4, -0x800, -0x801, 0x7FFFF7FF))
def test_auipc_pairs_match_gnu_as(value):
    hi = ((value + 0x800) >> 12) & 0xFFFFF
    lo = value - (((value + 0x800) >> 12) << 12)
    want = assemble(["auipc a0, 0x%x" % hi, "addi a0, a0, %d" % lo, "sw a1, %d(a0)" % lo],
                    march="rv32im")
    env = Env(want)
    p = rv.Patcher(env)
    for off, m in ((0, "hi20"), (4, "lo12_i"), (8, "lo12_s")):
        getattr(p, m)(off, 0)
        getattr(p, m)(off, value)
    assert bytes(env.full_text) == want


def test_out_of_range_branch_is_refused():
    env = Env(assemble(["beq a0, a1, .+8"], march="rv32im"))
    with pytest.raises(rv.RangeError):
        rv.Patcher(env).branch(0, 4096)


def test_linked_module_is_rv32imc():
    mpy = REPO / "mpy_module" / "build" / "rv32imc" / "umqtt" / "simple.mpy"
    if not mpy.exists():
        pytest.fail("%s missing: run mpy_module/build.sh rv32imc" % mpy, pytrace=False)
    data = mpy.read_bytes()
    assert data[:2] == b"M\x06"
    assert data[2] >> 2 & 0x0F == 11 and data[2] & 3 == 3  # arch rv32imc, sub-version 3
    assert not data[2] & 0x40  # no arch-flags field (plain rv32imc)
    home = os.path.expanduser("~").encode()
    assert str(REPO).encode() not in data and home + b"/" not in data
