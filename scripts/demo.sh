#!/usr/bin/env bash
# Demo: a private Mosquitto on a free loopback port, examples/subscriber.py listening,
# examples/publisher.py sending 5 messages, then the subscriber's output.
#
# Runtimes: SUB_RUNTIME / PUB_RUNTIME pick the Python each side runs on: cpython (the
# venv's python with the pyo3 package) or micropython (the unix port with the native
# module from mpy_module, see run_on below). By default the subscriber runs on
# MicroPython and the publisher on CPython, so both halves talk through one broker;
# RUNTIME=cpython (or micropython) puts both sides on one runtime.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUB_RUNTIME="${SUB_RUNTIME:-${RUNTIME:-micropython}}"
PUB_RUNTIME="${PUB_RUNTIME:-${RUNTIME:-cpython}}"
COUNT="${COUNT:-5}"

step() { printf '\n==> %s\n' "$*"; }

bash scripts/setup.sh

# run_on RUNTIME SCRIPT...: run a Python program on the named runtime.
run_on() {
    local rt="$1"
    shift
    case "$rt" in
        cpython)
            PYTHONUNBUFFERED=1 "$ROOT/.venv/bin/python" "$@"
            ;;
        micropython)
            local mpy_dir="${UMQTT_MPY_DIR:-$ROOT/mpy_module/build/x64}"
            MICROPYPATH="$mpy_dir:.frozen" "$ROOT/.venv/bin/micropython" "$@"
            ;;
        *)
            echo "unknown runtime '$rt' (cpython or micropython)" >&2
            return 2
            ;;
    esac
}

WORK="$(mktemp -d)"
BROKER_PID=""
SUB_PID=""
cleanup() {
    if [ -n "$SUB_PID" ]; then kill "$SUB_PID" 2>/dev/null || true; fi
    if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$ROOT/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export MQTT_HOST=127.0.0.1 MQTT_PORT="$PORT" MQTT_TOPIC="umqtt-rs/demo" MQTT_COUNT="$COUNT"

step "Mosquitto on 127.0.0.1:$PORT (temporary config, stopped on exit)"
{
    echo "listener $PORT 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    # as root mosquitto would switch to user 'mosquitto', who cannot read $WORK
    if [ "$(id -u)" -eq 0 ]; then echo "user root"; fi
} >"$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done
if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    cat "$WORK/mosquitto.log" >&2
    echo "mosquitto did not start" >&2
    exit 1
fi

step "Subscriber ($SUB_RUNTIME): examples/subscriber.py, exits after $COUNT messages"
run_on "$SUB_RUNTIME" examples/subscriber.py >"$WORK/subscriber.out" 2>&1 &
SUB_PID=$!
for _ in $(seq 100); do
    if grep -q "Subscribed to" "$WORK/subscriber.out"; then break; fi
    if ! kill -0 "$SUB_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if ! grep -q "Subscribed to" "$WORK/subscriber.out"; then
    cat "$WORK/subscriber.out" >&2
    echo "the subscriber did not subscribe" >&2
    exit 1
fi

step "Publisher ($PUB_RUNTIME): examples/publisher.py, $COUNT messages, one a second"
run_on "$PUB_RUNTIME" examples/publisher.py

step "Subscriber output"
status=0
for _ in $(seq 100); do
    if ! kill -0 "$SUB_PID" 2>/dev/null; then break; fi
    sleep 0.1
done
if kill -0 "$SUB_PID" 2>/dev/null; then
    echo "(subscriber still running after 10 s: stopping it)"
    status=1
else
    wait "$SUB_PID" || status=$?
fi
SUB_PID=""
cat "$WORK/subscriber.out"
if [ "$status" -ne 0 ]; then
    echo "subscriber failed (exit $status)" >&2
    exit "$status"
fi
got="$(grep -c '^Received' "$WORK/subscriber.out" || true)"
if [ "$got" -ne "$COUNT" ]; then
    echo "the subscriber received $got messages, expected $COUNT" >&2
    exit 1
fi
step "Demo done: $COUNT messages went through the broker"
