#!/usr/bin/env bash
# Everything CI checks: set-up, Rust formatting/lints/tests, the embedded builds of the
# core, then the pytest suite against real Mosquitto brokers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate

# Two cores shared with other work: two jobs at most.
JOBS="${CARGO_BUILD_JOBS:-2}"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy -j "$JOBS" --workspace --all-targets -- -D warnings
# The core without its optional features (the MicroPython module builds it so).
cargo clippy -j "$JOBS" -p umqtt-core --no-default-features --all-targets -- -D warnings

step "cargo test --workspace"
cargo test -j "$JOBS" --workspace

for target in thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf; do
    step "cargo build -p umqtt-core --target $target"
    cargo build -j "$JOBS" -p umqtt-core --target "$target"
done

# The MicroPython module for the boards (setup.sh built x64) and the QEMU test firmware
# they run on in tests/test_boards.py. Clippy covers the module's own crate too.
step "mpy_module: clippy, board builds; QEMU board firmware (boards/build.sh)"
(cd mpy_module && cargo fmt --check && cargo clippy -j "$JOBS" -- -D warnings)
# umqtt/_sign.mpy's crate (umqtt.cloud's HMAC), its own small workspace.
(cd mpy_module/sign && cargo fmt --check && cargo clippy -j "$JOBS" -- -D warnings)
(cd mpy_module/conn && cargo fmt --check && cargo clippy -j "$JOBS" -- -D warnings \
    && cargo clippy -j "$JOBS" --features v5 -- -D warnings \
    && cargo clippy -j "$JOBS" --features v5,ws -- -D warnings)
CARGO_BUILD_JOBS="$JOBS" bash mpy_module/build.sh armv6m armv7m armv7emsp rv32imc
ls -l mpy_module/build/*/umqtt/simple.mpy mpy_module/build/*/umqtt/_sign.mpy mpy_module/build/*/umqtt/_conn.mpy \
    mpy_module/build/*/umqtt/_conn5.mpy mpy_module/build/*/umqtt/_connws.mpy
bash boards/build.sh

# Fuzz the core briefly (framer, decoder, session/client); fuzz/run.sh 3600 fuzzes longer.
step "fuzz smoke run (fuzz/run.sh ${FUZZ_SECONDS:-60})"
# The MQTT 5 decoder and the WebSocket targets are small and fast: half the time.
FUZZ_SECONDS_decode_v5="${FUZZ_SECONDS_decode_v5:-30}" FUZZ_SECONDS_ws="${FUZZ_SECONDS_ws:-30}" \
    FUZZ_SECONDS_transport="${FUZZ_SECONDS_transport:-30}" \
    bash fuzz/run.sh "${FUZZ_SECONDS:-60}"

# The benchmark command keeps working: a seconds-long smoke run (figures printed,
# never asserted).
step "bench smoke run (scripts/bench.sh --quick)"
BENCH_PYTHON="$ROOT/.venv/bin/python" bash scripts/bench.sh --quick

# Every Python test runs on both runtimes: CPython (pyo3) and the MicroPython unix
# port with the native module.
export UMQTT_RUNTIMES="${UMQTT_RUNTIMES:-cpython,micropython}"

step "pytest tests/ (runtimes: $UMQTT_RUNTIMES)"
set +e
python -m pytest tests "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$rc"
