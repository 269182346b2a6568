#!/usr/bin/env bash
# Benchmarks: ours vs peers vs the raw-socket limit, on CPython and MicroPython,
# against a private Mosquitto started for the run. Prints a Markdown table.
#   bash scripts/bench.sh            full run (a few minutes)
#   bash scripts/bench.sh --quick    smoke run (seconds; CI), figures meaningless
# Other options go to bench/run.py (--rounds N, --skip-core, --skip-mpy, --json FILE).
# Then bench/boards_bench.py adds the rows of the QEMU boards (instruction counts),
# bench/ws_bench.py the WebSocket rows (MQTT over WebSockets vs TCP),
# bench/v5_bench.py the MQTT 5 rows (CPython), and bench/aio_bench.py the asyncio
# rows (umqtt.aio vs aiomqtt, gmqtt and the raw limit, both runtimes).
# BENCH_PYTHON=/path/to/python uses that interpreter (with umqtt, paho-mqtt and
# micropython installed) instead of running scripts/setup.sh and using .venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -n "${BENCH_PYTHON:-}" ]; then
    PY="$BENCH_PYTHON"
else
    # Builds the CPython package and the .mpy if needed; its log goes to
    # stderr so stdout is the table alone.
    bash scripts/setup.sh >&2
    PY="$ROOT/.venv/bin/python"
fi

# mpy-cross (for the size of umqtt.simple compiled to .mpy v6.3): only the
# benchmark needs it, so it is installed here rather than by setup.sh.
BINDIR="$(dirname "$PY")"
if [ ! -x "$BINDIR/mpy-cross-v6.3" ] && ! command -v mpy-cross-v6.3 >/dev/null; then
    "$PY" -m pip install -q --disable-pip-version-check mpy-cross-v6.3 >&2 \
        || echo "WARNING: mpy-cross-v6.3 did not install: no umqtt.simple .mpy size" >&2
fi

set +e
"$PY" bench/run.py "$@"
rc=$?
# Board rows: guest instructions and heap on the QEMU test boards (boards/).
BOARD_ARGS=()
for a in "$@"; do [ "$a" = --quick ] && BOARD_ARGS=(--quick); done
"$PY" bench/boards_bench.py "${BOARD_ARGS[@]}" || rc=1
# WebSocket rows: ours over ws vs tcp, and paho over ws (aedes; skipped without it).
"$PY" bench/ws_bench.py "${BOARD_ARGS[@]}" || rc=1
# MQTT 5 rows: ours with protocol=5 vs 4, beside paho-mqtt MQTTv5 vs MQTTv311 (CPython).
"$PY" bench/v5_bench.py "${BOARD_ARGS[@]}" || rc=1
# asyncio rows: umqtt.aio vs aiomqtt and gmqtt (installed here, as mpy-cross above).
for p in aiomqtt gmqtt; do
    "$PY" -c "import $p" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check "$p" >&2 \
        || echo "WARNING: $p did not install: its column stays empty" >&2
done
"$PY" bench/aio_bench.py "${BOARD_ARGS[@]}" || rc=1
# Scale: 10,000 umqtt.aio (and aiomqtt) connections in one process (--quick: 200).
"$PY" bench/aio_scale.py "${BOARD_ARGS[@]}" || rc=1
exit "$rc"
