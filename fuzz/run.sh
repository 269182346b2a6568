#!/usr/bin/env bash
# Run every cargo-fuzz target of umqtt-core for SECONDS_PER_TARGET seconds
# (default 60). Exits non-zero if any target crashes, hangs or runs out of
# memory; the input that did it is saved in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh [SECONDS_PER_TARGET]
#
# Environment:
#   FUZZ_TARGETS    targets to run (default: all of `cargo fuzz list`)
#   FUZZ_SECONDS_<target>  seconds for one target instead (e.g.
#                   FUZZ_SECONDS_decode_v5=30)
#   FUZZ_TOOLCHAIN  e.g. "nightly" to run `cargo +nightly fuzz`; by default the
#                   active (stable) toolchain is used with RUSTC_BOOTSTRAP=1,
#                   which unlocks the -Z flags cargo-fuzz needs.
#   FUZZ_SANITIZER  address (default) or none; falls back to none if the
#                   address-sanitizer build fails.
#   FUZZ_VERBOSE=1  show every libFuzzer progress line.
#
# The committed seeds in fuzz/corpus/<target>/ are only read; what the fuzzer
# learns goes to fuzz/target/corpus/<target>/ (not committed) and is reused
# by the next run.
set -euo pipefail

SECS="${1:-60}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

# Two cores shared with other work.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz (once)"
    cargo install cargo-fuzz --locked
fi

CARGO=(cargo)
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    CARGO=(cargo "+$FUZZ_TOOLCHAIN")
else
    export RUSTC_BOOTSTRAP=1
fi

SAN="${FUZZ_SANITIZER:-address}"
echo "==> cargo fuzz build (sanitizer: $SAN)"
if ! "${CARGO[@]}" fuzz build -s "$SAN"; then
    if [ "$SAN" = none ]; then
        exit 1
    fi
    echo "warning: $SAN sanitizer build failed; retrying without a sanitizer" >&2
    SAN=none
    "${CARGO[@]}" fuzz build -s none
fi

read -r -a TARGETS <<<"${FUZZ_TARGETS:-$("${CARGO[@]}" fuzz list | tr '\n' ' ')}"
failed=()
for t in "${TARGETS[@]}"; do
    work="target/corpus/$t"
    mkdir -p "$work" "corpus/$t"
    secs_var="FUZZ_SECONDS_$t"
    secs="${!secs_var:-$SECS}"
    echo "==> fuzzing $t for ${secs}s"
    # -timeout: one input running 10 s counts as a hang (a crash).
    args=(-max_total_time="$secs" -timeout=10 -print_final_stats=1)
    set +e
    if [ "${FUZZ_VERBOSE:-0}" = 1 ]; then
        "${CARGO[@]}" fuzz run -s "$SAN" "$t" "$work" "corpus/$t" -- "${args[@]}"
        rc=$?
    else
        # Drop the per-input progress lines; keep errors, crashes and stats.
        "${CARGO[@]}" fuzz run -s "$SAN" "$t" "$work" "corpus/$t" -- "${args[@]}" 2>&1 |
            grep -vE '^(#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)|".*# Uses: [0-9]+$)'
        rc=${PIPESTATUS[0]}
    fi
    set -e
    if [ "$rc" -ne 0 ]; then
        echo "==> $t FAILED (exit $rc); crash input in fuzz/artifacts/$t/" >&2
        failed+=("$t")
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "==> fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "==> all targets ran without a crash (${SECS}s each unless FUZZ_SECONDS_<target> said otherwise)"
