"""rv32imc (ESP32-C3/C6) support for MicroPython 1.23's tools/mpy_ld.py.

    python mpy_ld_rv32.py MPY_LD_PY [mpy_ld arguments...]

MPY_LD_PY is the mpy_ld.py of the mpy-cross-v6-3 sdist (downloaded at build
time, not part of this repository). This file registers the rv32imc
architecture (.mpy arch 11, the number MicroPython 1.25+ uses) with it and the
RISC-V relocations the objects of this project contain, then runs its main().

Layout, and why it holds on an ESP32-C3 too: text and rodata form one block,
copied by the loader into executable RAM; code reaches them PC-relatively
(auipc pairs), which is position independent whichever alias of the RAM the
block runs at. On the ESP32-C3 the same SRAM has an instruction-bus address
(where the code runs) and a different data-bus address; loads through the
instruction-bus alias work, but .bss must not live there: the loader allocates
.bss separately on the MicroPython heap (a data address the GC scans), and code
reaches it only through GOT words that the loader patches with absolute
addresses. So a PC-relative reference to .bss (a `static` variable in C) is
refused here, as it would point into the code block. The same holds for the
mp_fun_table and everything else outside the block.
"""

import importlib.util
import os
import struct
import sys

R_RISCV_NONE = 0
R_RISCV_32 = 1
R_RISCV_BRANCH = 16
R_RISCV_JAL = 17
R_RISCV_CALL = 18
R_RISCV_CALL_PLT = 19
R_RISCV_GOT_HI20 = 20
R_RISCV_PCREL_HI20 = 23
R_RISCV_PCREL_LO12_I = 24
R_RISCV_PCREL_LO12_S = 25
R_RISCV_ADD32 = 35
R_RISCV_SUB32 = 39
R_RISCV_RVC_BRANCH = 44
R_RISCV_RVC_JUMP = 45
R_RISCV_RELAX = 51
R_RISCV_32_PCREL = 57

MP_NATIVE_ARCH_RV32IMC = 11


def fits(bits, value):
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))


def bit(v, hi, lo=None):
    """Bits hi..lo of v, shifted down."""
    lo = hi if lo is None else lo
    return (v >> lo) & ((1 << (hi - lo + 1)) - 1)


def enc_j(offset):
    """The immediate field of a J-type instruction (jal)."""
    return bit(offset, 20) << 31 | bit(offset, 10, 1) << 21 | bit(offset, 11) << 20 \
        | bit(offset, 19, 12) << 12


def asm_jump_rv32(entry):
    # jal x0, entry (the jump sits at offset 0 of the text)
    return struct.pack("<I", enc_j(entry) | 0x6F)


class Patcher:
    """Writes relocated immediates into env.full_text (RELA: fields start at 0)."""

    def __init__(self, env):
        self.t = env.full_text

    def u32(self, off):
        return struct.unpack_from("<I", self.t, off)[0]

    def put32(self, off, v):
        struct.pack_into("<I", self.t, off, v & 0xFFFFFFFF)

    def hi20(self, off, value):
        insn = self.u32(off) & 0xFFF
        self.put32(off, insn | (((value + 0x800) >> 12) & 0xFFFFF) << 12)

    def lo12_i(self, off, value):
        self.put32(off, (self.u32(off) & 0x000FFFFF) | (value & 0xFFF) << 20)

    def lo12_s(self, off, value):
        insn = self.u32(off) & 0x01FFF07F
        self.put32(off, insn | bit(value, 11, 5) << 25 | bit(value, 4, 0) << 7)

    def branch(self, off, value):
        if not fits(13, value):
            raise RangeError("branch", value)
        insn = self.u32(off) & 0x01FFF07F
        self.put32(off, insn | bit(value, 12) << 31 | bit(value, 10, 5) << 25
                   | bit(value, 4, 1) << 8 | bit(value, 11) << 7)

    def jal(self, off, value):
        if not fits(21, value):
            raise RangeError("jal", value)
        self.put32(off, (self.u32(off) & 0xFFF) | enc_j(value))

    def rvc_branch(self, off, value):
        if not fits(9, value):
            raise RangeError("c.branch", value)
        h = struct.unpack_from("<H", self.t, off)[0] & 0xE383
        h |= bit(value, 8) << 12 | bit(value, 4, 3) << 10 | bit(value, 7, 6) << 5 \
            | bit(value, 2, 1) << 3 | bit(value, 5) << 2
        struct.pack_into("<H", self.t, off, h)

    def rvc_jump(self, off, value):
        if not fits(12, value):
            raise RangeError("c.jump", value)
        h = struct.unpack_from("<H", self.t, off)[0] & 0xE003
        h |= bit(value, 11) << 12 | bit(value, 4) << 11 | bit(value, 9, 8) << 9 \
            | bit(value, 10) << 8 | bit(value, 6) << 7 | bit(value, 7) << 6 \
            | bit(value, 3, 1) << 3 | bit(value, 5) << 2
        struct.pack_into("<H", self.t, off, h)


class RangeError(Exception):
    pass


def install(m):
    """Teach the imported mpy_ld module m the rv32imc architecture."""
    m.ARCH_DATA["rv32imc"] = m.ArchData(
        "EM_RISCV", MP_NATIVE_ARCH_RV32IMC << 2, 4, (R_RISCV_GOT_HI20,), asm_jump_rv32)
    orig_text, orig_data = m.do_relocation_text, m.do_relocation_data

    def sym_addr(s):
        if hasattr(s, "resolved"):
            s = s.resolved
        return s, s.section.addr + s["st_value"]

    def local_target(env, r, what):
        """Address of a symbol inside the code block (text, rodata)."""
        s, addr = sym_addr(r.sym)
        name = s.section.name
        if name.startswith(".bss"):
            raise m.LinkError("{}: {} to .bss symbol {} (a static variable?): .bss is "
                              "reached through the GOT only; make it non-static".format(
                                  s.filename, what, s.name or name))
        if name.startswith(".external"):
            raise m.LinkError("{}: {} to external symbol {}".format(s.filename, what, s.name))
        return addr + r["r_addend"]

    def hi_value(env, r, text_addr):
        """S + A - P of an auipc's relocation (GOT entry or local symbol)."""
        p = r["r_offset"] + text_addr
        if r["r_info_type"] == R_RISCV_GOT_HI20:
            s = r.sym.resolved if hasattr(r.sym, "resolved") else r.sym
            got = env.got_entries.get(s.name) or env.got_entries[r.sym.name]
            return env.got_section.addr + got.offset + r["r_addend"] - p
        return local_target(env, r, "PC-relative reference") - p

    def reloc_text(env, text_addr, r):
        if env.arch.name != "EM_RISCV":
            return orig_text(env, text_addr, r)
        t = r["r_info_type"]
        p = r["r_offset"] + text_addr
        pt = Patcher(env)
        try:
            if t in (R_RISCV_NONE, R_RISCV_RELAX):
                return  # nothing to write; objects are built with relaxation off
            if t in (R_RISCV_GOT_HI20, R_RISCV_PCREL_HI20):
                pt.hi20(p, hi_value(env, r, text_addr))
            elif t in (R_RISCV_PCREL_LO12_I, R_RISCV_PCREL_LO12_S):
                # The symbol labels the auipc; the low part is that auipc's value.
                label = r.sym
                parent = [q for q in label.section.reloc
                          if q["r_offset"] == label["st_value"]
                          and q["r_info_type"] in (R_RISCV_GOT_HI20, R_RISCV_PCREL_HI20)]
                if len(parent) != 1:
                    raise m.LinkError("PCREL_LO12 at 0x{:x} without its auipc".format(p))
                v = hi_value(env, parent[0], label.section.addr)
                (pt.lo12_i if t == R_RISCV_PCREL_LO12_I else pt.lo12_s)(p, v)
            elif t in (R_RISCV_CALL, R_RISCV_CALL_PLT):
                v = local_target(env, r, "call") - p
                pt.hi20(p, v)
                pt.lo12_i(p + 4, v)
            elif t == R_RISCV_BRANCH:
                pt.branch(p, local_target(env, r, "branch") - p)
            elif t == R_RISCV_JAL:
                pt.jal(p, local_target(env, r, "jal") - p)
            elif t == R_RISCV_RVC_BRANCH:
                pt.rvc_branch(p, local_target(env, r, "c.branch") - p)
            elif t == R_RISCV_RVC_JUMP:
                pt.rvc_jump(p, local_target(env, r, "c.jump") - p)
            elif t == R_RISCV_32_PCREL:
                pt.put32(p, pt.u32(p) + local_target(env, r, "32_PCREL") - p)
            elif t in (R_RISCV_ADD32, R_RISCV_SUB32):
                # Label differences (jump tables): both ends are in the block.
                v = local_target(env, r, "label difference")
                pt.put32(p, pt.u32(p) + (v if t == R_RISCV_ADD32 else -v))
            elif t == R_RISCV_32:
                # An absolute address in rodata: patched by the loader, as in data.
                return reloc_data(env, text_addr, r)
            else:
                raise m.LinkError("unsupported RISC-V relocation {} at 0x{:x}".format(t, p))
        except RangeError as e:
            raise m.LinkError("{} offset {} out of range at 0x{:x}".format(e.args[0], e.args[1], p))

    def reloc_data(env, text_addr, r):
        if env.arch.name != "EM_RISCV":
            return orig_data(env, text_addr, r)
        if r["r_info_type"] != R_RISCV_32:
            raise m.LinkError("unsupported RISC-V data relocation {}".format(r["r_info_type"]))
        # A word the loader adds its section's run-time base to (or an mp_fun_table entry).
        s, addr = sym_addr(r.sym)
        p = r["r_offset"] + text_addr
        if p % 4:
            raise m.LinkError("unaligned absolute word at 0x{:x}".format(p))
        sec = s.section.name
        if sec.startswith(".external.mp_fun_table"):
            kind = s.mp_fun_table_offset
        elif sec.startswith((".text", ".rodata", ".data.rel.ro", ".bss")):
            (existing,) = struct.unpack_from("<I", env.full_text, p)
            struct.pack_into("<I", env.full_text, p, existing + addr + r["r_addend"])
            kind = sec
        else:
            raise m.LinkError("absolute word to {} ({})".format(s.name, sec))
        env.mpy_relocs.append((".text", p, kind))

    m.do_relocation_text = reloc_text
    m.do_relocation_data = reloc_data


def main(argv):
    path = argv[1]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location("mpy_ld", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    install(m)
    sys.argv = [path] + argv[2:]
    m.main()


if __name__ == "__main__":
    main(sys.argv)
