# Sourced by build.sh once per architecture, after simple.mpy (variables and
# functions of build.sh in scope): the rest of the MicroPython package.
#
#   umqtt/_sign.mpy   HMAC and encodings of umqtt-core for umqtt.cloud: its
#                     own small native module, so simple.mpy does not grow
#   umqtt/_conn.mpy   the sans-IO connection for umqtt.aio (its own module too)
#   umqtt/_conn5.mpy  the same with MQTT 5 (crate feature v5), loaded by umqtt.aio
#                     only for protocol=5, so _conn.mpy stays small
#   umqtt/_connws.mpy both protocols and MQTT over WebSockets (features v5, ws),
#                     loaded by umqtt.aio only for a WebSocket connection
#   umqtt/_exc.mpy    MQTTException, one class for simple.mpy and umqtt.aio
#                     (so an asyncio program does not load simple.mpy for it)
#   umqtt/robust.mpy, umqtt/cloud.mpy, umqtt/aio.mpy, umqtt/_aio_io.mpy (the
#                     runtime half of umqtt.aio), umqtt/_aio_ws.mpy (umqtt.aio
#                     over WebSockets; and umqtt/board.mpy for x64, the unix
#                     port): the pure-Python modules that CPython's wheel
#                     ships, compiled to bytecode
#   package.json      for `mpremote mip install <url of this file>`

# --- 9a. Small native modules: umqtt/_sign.mpy, umqtt/_conn.mpy, _conn5.mpy ---
# The steps 4-7 of build.sh for a second, small module (same flags, linker,
# headers and per-arch settings: LINKER, HDR_DIR, LD_ARCH, MARCH for rv32imc).
#   [MOD_FEATURES=f MOD_CFLAGS=-D...] small_module NAME CRATE_DIR GLUE.c RUST_LIB EXPORT...
# (GLUE.c and every other .c file of CRATE_DIR)
# (a build with features has its own cargo target directory).
small_module() {
    local name="$1" dir="$2" glue="$3" lib="$4"
    shift 4
    local obj="$OBJ/$name" csrc=("$dir/$glue") objs=() uflags=() src o s
    # The glue first (its mpy_init leads the text), then the crate's other C files.
    for src in "$dir"/*.c; do [ "$src" = "$dir/$glue" ] || csrc+=("$src"); done
    csrc+=("$HERE/c/shims.c")
    local features="${MOD_FEATURES:-}" target="$CACHE/target"
    [ -z "$features" ] || target="$CACHE/target-$name"
    mkdir -p "$obj"
    # The glue's header of the Rust boundary, if the crate has one (cbindgen.toml).
    if [ -f "$dir/cbindgen.toml" ]; then
        (cd "$dir" && cbindgen --quiet --config cbindgen.toml -o "$obj/${glue%_glue.c}_ffi.h" .)
    fi
    "${LINKER[@]}" --arch "$ARCH" --preprocess -o "$obj/umqtt.config.h" "${csrc[@]}" "${QSTR_HEADERS[@]}"
    (cd "$dir" && CARGO_TARGET_DIR="$target" RUSTFLAGS="-C relocation-model=pic $RUST_ARCH_FLAGS $REMAP" \
        cargo build --release -j2 --quiet --target "$TARGET" ${features:+--features "$features"})
    for s in "$@"; do uflags+=(-u "$s"); done
    # As build.sh step 5: the memory functions are shims.c's.
    llvm-objcopy-14 $(printf -- '--localize-symbol=%s ' "${MEM_SYMS[@]}") \
        "$target/$TARGET/release/$lib" "$obj/librust.a"
    "${CROSS}ld" "${LD_ARCH[@]}" -r --gc-sections "${uflags[@]}" -o "$obj/rust.o" "$obj/librust.a"
    for src in "${csrc[@]}"; do
        o="$obj/$(basename "$src" .c).o"
        "${CROSS}gcc" -I"$obj" -I"$HDR_DIR" -std=c99 -Os -Wall -Werror -DNDEBUG -DNO_QSTR \
            -DMICROPY_ENABLE_DYNRUNTIME "-DMP_CONFIGFILE=<umqtt.config.h>" -fpic -fno-common \
            -U _FORTIFY_SOURCE $CFLAGS_ARCH -fno-jump-tables -fno-toplevel-reorder -ffunction-sections \
            -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_$FLOAT ${MOD_CFLAGS:-} -o "$o" -c "$src"
        objs+=("$o")
    done
    "${CROSS}ld" "${LD_ARCH[@]}" -r --gc-sections -u mpy_init -o "$obj/native.o" "${objs[@]}" "$obj/rust.o"
    (cd "$obj" && "${LINKER[@]}" --arch "$ARCH" --qstrs umqtt.config.h -o "$name.mpy" native.o) > "$obj/link.txt"
    cp "$obj/$name.mpy" "$DEST/$name.mpy"
    echo "   $DEST/$name.mpy: $(wc -c < "$DEST/$name.mpy") bytes"
}
# HMAC and encodings of umqtt-core for umqtt.cloud: its own module, so
# simple.mpy does not grow.
small_module _sign "$HERE/sign" sign_glue.c libumqtt_sign_mpy.a \
    umqtt_sign_hmac umqtt_sign_encoded_len umqtt_sign_encode
# The sans-IO connection for umqtt.aio: boards without asyncio programs do
# not load it.
small_module _conn "$HERE/conn" conn_glue.c libumqtt_conn_mpy.a \
    umqtt_conn_size umqtt_conn_init umqtt_conn
NATIVE_MODULES=(simple _sign _conn)
# The same with MQTT 5, for umqtt.aio's protocol=5 only (not in a UMQTT_V5=0
# build: there protocol=5 is ValueError).
if [ "${UMQTT_V5:-1}" != 0 ]; then
    MOD_FEATURES=v5 MOD_CFLAGS=-DUMQTT_CONN_V5=1 small_module _conn5 "$HERE/conn" conn_glue.c \
        libumqtt_conn_mpy.a umqtt_conn_size umqtt_conn_init umqtt_conn
    NATIVE_MODULES+=(_conn5)
else
    rm -f "$DEST/_conn5.mpy"
fi
# Everything (MQTT 5 too) with MQTT over WebSockets, for umqtt.aio's
# WebSocket connections only: a TCP program does not carry the WebSocket
# code (12 KB on armv6m). Not in a UMQTT_WS=0 build.
if [ "${UMQTT_WS:-1}" != 0 ]; then
    if [ "${UMQTT_V5:-1}" != 0 ]; then
        MOD_FEATURES=v5,ws MOD_CFLAGS="-DUMQTT_CONN_V5=1 -DUMQTT_CONN_WS=1" small_module _connws \
            "$HERE/conn" conn_glue.c libumqtt_conn_mpy.a umqtt_conn_size umqtt_conn_init umqtt_conn umqtt_conn_ws_target
    else
        MOD_FEATURES=ws MOD_CFLAGS=-DUMQTT_CONN_WS=1 small_module _connws \
            "$HERE/conn" conn_glue.c libumqtt_conn_mpy.a umqtt_conn_size umqtt_conn_init umqtt_conn umqtt_conn_ws_target
    fi
    NATIVE_MODULES+=(_connws)
else
    rm -f "$DEST/_connws.mpy"
fi

# --- 9b. Pure-Python modules (one source with the CPython package) ------------
PY_SRC="$HERE/../pyo3_binding/python/umqtt"
PY_MODULES=(robust cloud aio _aio_io _aio_ws)
[ "$ARCH" = x64 ] && PY_MODULES+=(board)
for m in "${PY_MODULES[@]}"; do
    (cd "$PY_SRC" && "$MPY_CROSS" "${MARCH[@]}" -o "$DEST/$m.mpy" "$m.py")
done
# MicroPython's MQTTException, shared by simple.mpy and umqtt.aio (py/_exc.py).
(cd "$HERE/py" && "$MPY_CROSS" "${MARCH[@]}" -o "$DEST/_exc.mpy" _exc.py)
PY_MODULES+=(_exc)

# --- 9c. mip package.json (URLs relative to the file itself) -----------------
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$HERE/../Cargo.toml" | head -n1)"
{
    printf '{\n  "urls": [\n'
    sep=""
    for f in "${NATIVE_MODULES[@]}" "${PY_MODULES[@]}"; do
        printf '%s    ["umqtt/%s.mpy", "umqtt/%s.mpy"]' "$sep" "$f" "$f"
        sep=$',\n'
    done
    printf '\n  ],\n  "version": "%s"\n}\n' "$VERSION"
} > "$OUT/$ARCH/package.json"
echo "   $OUT/$ARCH/package.json: ${#PY_MODULES[@]} Python modules"
