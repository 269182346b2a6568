"""Memory pressure on the receive path.

- A hostile header announcing the MQTT maximum (256 MB) must not make the client
  allocate it: the receive buffer grows with the bytes that actually arrive.
- A message the client cannot copy out (MemoryError) must not be acknowledged: the
  connection is dropped without its PUBACK, so the broker delivers it again to a client
  that reconnects with clean_session=False.

Memory is made short honestly: MicroPython runs with a small heap (`heap=`), CPython
under an address-space limit (RLIMIT_AS) set by the client script itself, just before
the message arrives, at what it holds then plus HEADROOM. CPython gets a bigger message
(8 MB) than MicroPython (1.04 MB) so that its allocator's own needs (recv buffers, a
new pymalloc arena) fit in the headroom with megabytes to spare while the message's
`bytes` object cannot."""

import struct
import textwrap

from harness.fakebroker import PUBACK, PUBLISH, SUBSCRIBE, mqtt_str, publish

MPY_HEAP = "2M"
MPY_BIG = 1_040_000
CPY_BIG = 8_000_000
CPY_HEADROOM = 11 * 1024 * 1024

# Client-side helpers: memory in use, and the CPython address-space limit.
MEMORY = """
import gc
def in_use():
    gc.collect()
    if RUNTIME == "micropython":
        return gc.mem_alloc()
    for ln in open("/proc/self/status"):
        if ln.startswith("VmRSS"):
            return int(ln.split()[1]) * 1024
def limit_memory():
    gc.collect()
    if RUNTIME == "cpython":
        import resource
        vm = [int(ln.split()[1]) for ln in open("/proc/self/status")
              if ln.startswith("VmSize")][0] * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + HEADROOM, resource.RLIM_INFINITY))
"""


def script(body):
    return MEMORY + textwrap.dedent(body)


def big_for(runtime):
    return CPY_BIG if runtime.name == "cpython" else MPY_BIG


def payload_of(n):
    return bytes(range(256)) * (n // 256) + bytes(n % 256)


def packets_in(data):
    """(type, packet id or None) of every whole packet in `data`."""
    out = []
    while len(data) >= 2:
        mult, length, i = 1, 0, 1
        while True:
            b = data[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        body = data[i:i + length]
        out.append((data[0] >> 4, struct.unpack("!H", body[:2])[0] if len(body) >= 2 else None))
        data = data[i + length:]
    return out


def test_announced_length_is_not_allocated_up_front(runtime, fake_broker, mkparams):
    """`30 FF FF FF 7F` announces a 256 MB PUBLISH. Without the body the client must not
    grow its buffer to that size (it used to: 268 MB on CPython, kept for the client's
    lifetime; MQTTException 258 on MicroPython's 2 MB heap). It keeps waiting for the
    bytes, its memory use unchanged, and the connection stays usable."""
    proc = runtime.start(script("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect()
        c.check_msg()
        before = in_use()
        wait_go("READY")
        for i in range(50):
            attempt("C%d" % i, c.check_msg)
            time.sleep(0.02)
        print("GREW", in_use() - before)
        c.disconnect()
    """), mkparams(fake_broker), heap=MPY_HEAP)
    fake_broker.handshake()
    proc.expect("READY")
    fake_broker.send(b"\x30\xff\xff\xff\x7f" + mqtt_str("t") + b"x" * 100)
    proc.send()
    r = proc.wait(30).check()
    for i in range(50):
        assert r.value("C%d" % i) is None, r
    grew = int(r.get("GREW"))
    limit = 8 * 1024 * 1024 if runtime.name == "cpython" else 16 * 1024
    assert grew < limit, (grew, r)


def test_message_not_copied_out_is_not_acknowledged(runtime, fake_broker, mkparams):
    """A QoS 1 message too big for the memory left: wait_msg() raises MemoryError, no
    PUBACK goes out and the client closes the connection (so the broker keeps the message
    for a later session); the client stays usable (not connected, no crash)."""
    big = big_for(runtime)
    proc = runtime.start(script("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect(clean_session=False)
        limit_memory()
        before = in_use()
        wait_go("READY")
        attempt("W1", c.wait_msg)
        print("GREW", in_use() - before)
        attempt("W2", c.wait_msg)
    """), mkparams(fake_broker, HEADROOM=CPY_HEADROOM), heap=MPY_HEAP)
    fake_broker.handshake()
    proc.expect("READY")
    proc.send()
    fake_broker.conn.settimeout(30)
    fake_broker.send(publish("t/big", payload_of(big), qos=1, pid=7))
    assert fake_broker.closed_by_client(timeout=30)
    sent = packets_in(fake_broker._buf)
    assert (PUBACK, 7) not in sent, sent
    r = proc.wait(30).check()
    e = r.exc("W1")
    assert e.name == "MemoryError", r
    # The whole frame was received (the receive buffer holds it): it is the copy for
    # the application that failed, not the reception.
    assert int(r.get("GREW")) >= big, r
    e = r.exc("W2")
    assert e.name == "MQTTException" and e.code == 259, r
    assert "PanicException" not in r.stderr + r.stdout
    assert r.msgs() == []


def test_message_lost_to_memory_error_is_redelivered_by_the_broker(runtime, broker, observer,
                                                                   mkparams):
    """End to end on Mosquitto: the client runs out of memory on a QoS 1 message
    (MemoryError), so it never acknowledges it; a second process with enough memory,
    same client id and clean_session=False, gets it from the broker."""
    big = big_for(runtime)
    p = mkparams(broker, HEADROOM=CPY_HEADROOM, BIG=big)
    first = runtime.start(script("""
        c = new_client()
        c.set_callback(on_msg)
        c.connect(clean_session=False)
        c.subscribe(TOPIC, 1)
        limit_memory()
        wait_go("READY")
        attempt("W1", c.wait_msg)
        attempt("W2", c.wait_msg)
    """), p, heap=MPY_HEAP, name="short")
    first.expect("READY")
    obs = observer(broker, timeout=30)
    first.send()
    obs.publish(p["TOPIC"], payload_of(big), qos=1)
    r = first.wait(60).check()
    assert r.exc("W1").name == "MemoryError", r
    assert r.exc("W2").code == 259, r
    assert r.msgs() == []

    second = runtime.start(script("""
        want = bytes(range(256)) * (BIG // 256) + bytes(BIG % 256)
        got = []
        def cb(topic, msg):
            got.append((topic, msg == want, len(msg)))
        c = new_client()
        c.set_callback(cb)
        print("SP", c.connect(clean_session=False))
        t0 = ticks_ms()
        while not got and ticks_diff(ticks_ms(), t0) < 30000:
            if c.check_msg() is None and not got:
                time.sleep(0.01)
        print("GOT", repr(got))
        c.disconnect()
    """), p, heap="32M", name="enough")
    r = second.wait(90).check()
    assert r.get("SP") == "1", r
    assert r.get("GOT") == repr([(p["TOPIC"].encode(), True, big)]), r
