#!/usr/bin/env bash
# ESP32 (xtensawin): the part of the build the tools here allow. Compiles the
# Rust engine for the ESP32's windowed Xtensa ABI with this machine's stable
# rustc (its LLVM has the Xtensa backend; RUSTC_BOOTSTRAP for -Zbuild-std and
# the target JSON), links it into one relocatable object with Debian's
# binutils-xtensa-lx106, and prints its size and relocation types.
#
#   mpy_module/tools/xtensa_rust.sh     -> mpy_module/.cache/obj/xtensawin/rust.o
#
# Where it stops: the C glue needs a compiler for the windowed ABI (Espressif's
# xtensa-esp32-elf-gcc; no registry has one, Debian's gcc-xtensa-lx106 is the
# ESP8266's call0 ABI), and mpy_ld.py expects literals in .literal sections
# while LLVM puts L32R literal pools inside .text. See mpy_module/README.md for
# the recipe with Espressif's tool chain.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$HERE/.cache"
OBJ="$CACHE/obj/xtensawin"
mkdir -p "$OBJ"
EXPORTS=$(sed -n '/^EXPORTS=(/,/)/p' "$HERE/build.sh" | tr -d '()' | sed 's/EXPORTS=//')
# With the FPU on, compiler_builtins fails to build (LLVM: "Cannot select:
# TargetConstantPool" in acosf): -fp. The module has no float code.
(cd "$HERE" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$CACHE/target" \
    RUSTFLAGS="-C relocation-model=static -C target-feature=-fp" \
    cargo build --release -j2 --quiet --target targets/xtensa-esp32-mpy.json \
    -Zjson-target-spec -Zbuild-std=core,compiler_builtins \
    -Zbuild-std-features=compiler-builtins-mem)
UFLAGS=()
for s in $EXPORTS; do UFLAGS+=(-u "$s"); done
xtensa-lx106-elf-ld -r --gc-sections "${UFLAGS[@]}" -o "$OBJ/rust.o" \
    "$CACHE/target/xtensa-esp32-mpy/release/libumqtt_mpy.a" 2>/dev/null
echo "xtensawin rust.o: $(xtensa-lx106-elf-size -A "$OBJ/rust.o" | awk '$1 ~ /^\.text/ {t+=$2} END {print t}') bytes of .text"
echo "relocations:"
xtensa-lx106-elf-readelf -rW "$OBJ/rust.o" 2>/dev/null | awk '/R_XTENSA/ {print $3}' | sort | uniq -c
echo "literal sections: $(xtensa-lx106-elf-readelf -SW "$OBJ/rust.o" 2>/dev/null | grep -c '\.literal' || true)" \
    "(L32R literals sit inside .text: mpy_ld 1.23 cannot place them)"
