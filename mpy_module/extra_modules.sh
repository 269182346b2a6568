# Sourced by build.sh once per architecture, after simple.mpy (variables and
# functions of build.sh in scope): the rest of the MicroPython package.
#
#   umqtt/_sign.mpy   HMAC and encodings of umqtt-core for umqtt.cloud: its
#                     own small native module, so simple.mpy does not grow
#   umqtt/robust.mpy, umqtt/cloud.mpy (and umqtt/board.mpy for x64, the
#                     unix port): the pure-Python modules that CPython's
#                     wheel ships, compiled to bytecode
#   package.json      for `mpremote mip install <url of this file>`

# --- 9a. umqtt/_sign.mpy --------------------------------------------------------
# The steps 4-7 of build.sh for a second, small module (same flags, linker,
# headers and per-arch settings: LINKER, HDR_DIR, LD_ARCH, MARCH for rv32imc).
SIGN_OBJ="$OBJ/sign"
SIGN_CSRC=("$HERE/sign/sign_glue.c" "$HERE/c/shims.c")
mkdir -p "$SIGN_OBJ"
"${LINKER[@]}" --arch "$ARCH" --preprocess -o "$SIGN_OBJ/umqtt.config.h" "${SIGN_CSRC[@]}"
(cd "$HERE/sign" && CARGO_TARGET_DIR="$CACHE/target" RUSTFLAGS="-C relocation-model=pic $RUST_ARCH_FLAGS $REMAP" \
    cargo build --release -j2 --quiet --target "$TARGET")
"${CROSS}ld" "${LD_ARCH[@]}" -r --gc-sections -u umqtt_sign_hmac -u umqtt_sign_encoded_len -u umqtt_sign_encode \
    -o "$SIGN_OBJ/rust.o" "$CACHE/target/$TARGET/release/libumqtt_sign_mpy.a"
SIGN_OBJS=()
for src in "${SIGN_CSRC[@]}"; do
    o="$SIGN_OBJ/$(basename "$src" .c).o"
    "${CROSS}gcc" -I"$SIGN_OBJ" -I"$HDR_DIR" -std=c99 -Os -Wall -Werror -DNDEBUG -DNO_QSTR \
        -DMICROPY_ENABLE_DYNRUNTIME "-DMP_CONFIGFILE=<umqtt.config.h>" -fpic -fno-common \
        -U _FORTIFY_SOURCE $CFLAGS_ARCH -fno-jump-tables -fno-toplevel-reorder \
        -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_$FLOAT -o "$o" -c "$src"
    SIGN_OBJS+=("$o")
done
(cd "$SIGN_OBJ" && "${LINKER[@]}" --arch "$ARCH" --qstrs umqtt.config.h \
    -o _sign.mpy "${SIGN_OBJS[@]}" rust.o) > "$SIGN_OBJ/link.txt"
cp "$SIGN_OBJ/_sign.mpy" "$DEST/_sign.mpy"

# --- 9b. Pure-Python modules (one source with the CPython package) ------------
PY_SRC="$HERE/../pyo3_binding/python/umqtt"
PY_MODULES=(robust cloud)
[ "$ARCH" = x64 ] && PY_MODULES+=(board)
for m in "${PY_MODULES[@]}"; do
    (cd "$PY_SRC" && "$MPY_CROSS" "${MARCH[@]}" -o "$DEST/$m.mpy" "$m.py")
done

# --- 9c. mip package.json (URLs relative to the file itself) -----------------
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$HERE/../Cargo.toml" | head -n1)"
{
    printf '{\n  "urls": [\n'
    sep=""
    for f in simple _sign "${PY_MODULES[@]}"; do
        printf '%s    ["umqtt/%s.mpy", "umqtt/%s.mpy"]' "$sep" "$f" "$f"
        sep=$',\n'
    done
    printf '\n  ],\n  "version": "%s"\n}\n' "$VERSION"
} > "$OUT/$ARCH/package.json"
echo "   $DEST/_sign.mpy: $(wc -c < "$DEST/_sign.mpy") bytes; $OUT/$ARCH/package.json: ${#PY_MODULES[@]} Python modules"
