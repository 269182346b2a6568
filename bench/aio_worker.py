# One asyncio benchmark client (run by aio_bench.py), CPython or MicroPython:
#     python aio_worker.py KIND PORT N0 N1 TASKS
# KIND: ours (umqtt.aio), aiomqtt, gmqtt (CPython), raw (a plain socket with pre-built
# packets: the limit). Publishes N0 QoS 0 messages of 64 bytes one after the other (then
# one QoS 1 round trip, so the broker has read them all), then N1 QoS 1 messages from
# TASKS concurrent tasks, each acknowledged. Prints one JSON line of messages/second.
import json
import sys
import time

KIND, PORT, N0, N1, TASKS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])
HOST = "127.0.0.1"
PAYLOAD = b"p" * 64
TOPIC = "bench/aio/" + KIND
# QoS 1 messages in flight at once: umqtt.aio's window (spec/PYAPI.md "umqtt.aio"),
# used for the raw limit too.
WINDOW = 16

try:
    clock = time.perf_counter
except AttributeError:
    def clock():
        return time.ticks_us() / 1e6

import asyncio


def raw():
    import socket

    def s_(b):
        return bytes([len(b) >> 8, len(b) & 255]) + b
    s = socket.socket()
    s.connect(socket.getaddrinfo(HOST, PORT)[0][-1])
    cid = s_(b"aio-raw")
    body = s_(b"MQTT") + b"\x04\x02\x00\x00" + cid
    s.send(b"\x10" + bytes([len(body)]) + body)
    s.recv(4)
    t = s_(TOPIC.encode())
    q0 = b"\x30" + bytes([len(t) + 64]) + t + PAYLOAD
    def q1(pid):
        return b"\x32" + bytes([len(t) + 66]) + t + bytes([pid >> 8, pid & 255]) + PAYLOAD
    t0 = clock()
    for _ in range(N0):
        s.send(q0)
    # One round trip: the broker has read them all.
    s.send(q1(65535))
    s.recv(4)
    r0 = N0 / (clock() - t0)
    # The frames are made before the clock starts (a raw loop's best case).
    frames = [q1(1 + i) for i in range(WINDOW)]
    t0 = clock()
    sent = acked = 0
    pending = b""
    while acked < N1:
        while sent < N1 and sent - acked < WINDOW:
            s.send(frames[sent % WINDOW])
            sent += 1
        pending += s.recv(4096)
        n = len(pending) // 4
        acked += n
        pending = pending[4 * n:]
    r1 = N1 / (clock() - t0)
    s.close()
    return r0, r1


async def ours():
    from umqtt.aio import MQTTClient
    c = MQTTClient("aio-bench-ours", HOST, PORT)
    await c.connect()
    pub = c.publish
    t0 = clock()
    for _ in range(N0):
        await pub(TOPIC, PAYLOAD)
    await pub(TOPIC + "/sync", b"x", False, 1)
    r0 = N0 / (clock() - t0)
    per = N1 // TASKS

    async def task():
        for _ in range(per):
            await pub(TOPIC, PAYLOAD, False, 1)
    t0 = clock()
    await asyncio.gather(*[task() for _ in range(TASKS)])
    r1 = per * TASKS / (clock() - t0)
    await c.disconnect()
    return r0, r1


async def aiomqtt_():
    import aiomqtt
    async with aiomqtt.Client(HOST, PORT, identifier="aio-bench-aiomqtt") as c:
        t0 = clock()
        for _ in range(N0):
            await c.publish(TOPIC, PAYLOAD)
        await c.publish(TOPIC + "/sync", b"x", qos=1)
        r0 = N0 / (clock() - t0)
        per = N1 // TASKS

        async def task():
            for _ in range(per):
                await c.publish(TOPIC, PAYLOAD, qos=1)
        t0 = clock()
        await asyncio.gather(*[task() for _ in range(TASKS)])
        r1 = per * TASKS / (clock() - t0)
    return r0, r1


async def gmqtt_():
    # gmqtt's publish() does not wait for anything; QoS 1 completion is read from its
    # store of unacknowledged messages (it has no acknowledgement callback).
    import gmqtt
    c = gmqtt.Client("aio-bench-gmqtt")
    await c.connect(HOST, PORT)

    async def settled():
        while not c._persistent_storage.is_empty:
            await asyncio.sleep(0)
    t0 = clock()
    for _ in range(N0):
        c.publish(TOPIC, PAYLOAD)
    c.publish(TOPIC + "/sync", b"x", qos=1)
    await settled()
    r0 = N0 / (clock() - t0)
    # It speaks MQTT 5 and refuses (OverflowError) more unacknowledged messages than
    # the broker's receive_maximum (Mosquitto: 20): WINDOW at a time, then wait.
    t0 = clock()
    for _ in range(N1 // WINDOW):
        for _ in range(WINDOW):
            c.publish(TOPIC, PAYLOAD, qos=1)
        await settled()
    r1 = N1 // WINDOW * WINDOW / (clock() - t0)
    await c.disconnect()
    return r0, r1


def main():
    if KIND == "raw":
        r0, r1 = raw()
    else:
        f = {"ours": ours, "aiomqtt": aiomqtt_, "gmqtt": gmqtt_}[KIND]
        r0, r1 = asyncio.run(f())
    print(json.dumps({"qos0": r0, "qos1": r1}))


try:
    main()
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
