#!/usr/bin/env python3
"""Write the seed corpus (corpus/<target>/seed-*) from hand-built MQTT packet
streams. Run from anywhere: python3 fuzz/seeds.py. The input layouts are
described at the top of src/framer.rs, src/decode.rs, src/decode_v5.rs and
src/session/mod.rs."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def frame(first, body):
    return bytes([first]) + varint(len(body)) + body


def publish(topic, payload, qos=0, pid=0, dup=False, retain=False):
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += pid.to_bytes(2, "big")
    first = 0x30 | qos << 1 | (0x08 if dup else 0) | (0x01 if retain else 0)
    return frame(first, body + payload)


def ack(first, pid):
    return bytes([first, 2]) + pid.to_bytes(2, "big")


CONNACK = bytes([0x20, 2, 0, 0])
CONNACK_SP = bytes([0x20, 2, 1, 0])
PINGRESP = bytes([0xD0, 0])


def suback(pid, codes):
    return frame(0x90, pid.to_bytes(2, "big") + bytes(codes))


PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK = 0x40, 0x50, 0x62, 0x70, 0xB0

# Everything a broker sends in a normal session.
STREAM = (
    CONNACK
    + suback(1, [0])
    + ack(PUBACK, 2)
    + ack(PUBREC, 3)
    + ack(PUBCOMP, 3)
    + publish(b"a/b", b"hi")
    + publish(b"a/c", b"one", qos=1, pid=7)
    + publish(b"a/d", b"two", qos=2, pid=8)
    + ack(PUBREL, 8)
    + PINGRESP
)
BIG = publish(b"big", bytes(range(128)), qos=1, pid=9)  # 2-byte remaining length


def framer_seeds():
    # [cfg: cap-1 | feed<<6] [init-1 | feed<<4] [n] [cuts...] [stream]
    return {
        "push-cap8": bytes([0x07, 0x01, 0]) + STREAM,
        "spare-cap4-cuts": bytes([0x43, 0x13, 3, 0, 2, 5]) + STREAM,
        "wanted-cap32-big": bytes([0x9F, 0x22, 2, 6, 0]) + STREAM + BIG + PINGRESP,
        "push-cap2-header-skip": bytes([0x01, 0x00, 1, 0]) + BIG + ack(PUBACK, 1) + PINGRESP,
        "malformed": bytes([0x3F, 0x0F, 0]) + ack(PUBACK, 1) + bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        # 256 MB announced, a few bytes sent: the fixed buffer reports it at
        # once, the growable one keeps waiting (it grows with arriving bytes).
        "hostile-length": bytes([0x07, 0x20, 0]) + PINGRESP + bytes([0x30, 0xFF, 0xFF, 0xFF, 0x7F]) + b"\x00\x01t" * 8,
    }


def decode_seeds():
    return {
        "connack": CONNACK,
        "connack-sp": CONNACK_SP,
        "connack-refused": bytes([0x20, 2, 0, 5]),
        "suback": suback(5, [0, 1, 2, 0x80]),
        "publish-q0": publish(b"a/b", b"hi"),
        "publish-q1-retain": publish(b"t", b"x", qos=1, pid=1, retain=True),
        "publish-q2-dup": publish(b"t", b"", qos=2, pid=0xFFFF, dup=True),
        "publish-varint2": BIG,
        "puback": ack(PUBACK, 1),
        "pubrec": ack(PUBREC, 2),
        "pubrel": ack(PUBREL, 3),
        "pubcomp": ack(PUBCOMP, 4),
        "unsuback": ack(UNSUBACK, 5),
        "pingresp": PINGRESP,
    }


def s16(b):
    return len(b).to_bytes(2, "big") + b


def props(*items):
    body = b"".join(bytes([pid]) + val for pid, val in items)
    return varint(len(body)) + body


def decode_v5_seeds():
    # [mode: bit 0 sender (0 server, 1 client), bit 1 builder script] [rest]
    srv, cli = b"\x00", b"\x01"
    connack = frame(0x20, b"\x00\x00" + props((0x22, b"\x00\x0a"), (0x21, b"\x00\x14"),
                                            (0x27, (4096).to_bytes(4, "big")), (0x12, s16(b"auto-1"))))
    pub_props = props((0x03, s16(b"text/plain")), (0x26, s16(b"a") + s16(b"1")),
                      (0x26, s16(b"a") + s16(b"2")), (0x09, s16(b"\x00\x01")), (0x0B, b"\x05"),
                      (0x0B, b"\x80\x01"), (0x02, (60).to_bytes(4, "big")))
    will = props((0x18, (5).to_bytes(4, "big")), (0x01, b"\x01"))
    connect = frame(0x10, s16(b"MQTT") + bytes([5, 0b0010_1110, 0, 30])
                    + props((0x11, (60).to_bytes(4, "big")), (0x22, b"\x00\x08"))
                    + s16(b"cid") + will + s16(b"w/t") + s16(b"bye"))
    build = bytes([0x02 | 3 << 2, 0x03, 4]) + b"text" + bytes([0x26, 4]) + b"k1v1" + bytes([0x23, 1, 7])
    return {
        "connack-props": srv + connack,
        "connack-refused": srv + frame(0x20, b"\x00\x87" + props((0x1F, s16(b"denied")))),
        "publish-props": srv + frame(0x32, s16(b"a/b") + b"\x00\x07" + pub_props + b"hello"),
        "publish-alias-set": srv + frame(0x30, s16(b"long/topic") + props((0x23, b"\x00\x01")) + b"x"),
        "publish-alias-use": srv + frame(0x30, s16(b"") + props((0x23, b"\x00\x01")) + b"y"),
        "puback-short": srv + bytes([0x40, 3, 0, 1, 0x10]),
        "pubrec-reason-string": srv + frame(0x50, b"\x00\x02\x87" + props((0x1F, s16(b"acl")))),
        "suback": srv + frame(0x90, b"\x00\x03" + props() + bytes([0, 1, 2, 0x87, 0xA2])),
        "unsuback": srv + frame(0xB0, b"\x00\x04" + props() + bytes([0x11, 0])),
        "disconnect-use-another": srv + frame(0xE0, b"\x9c" + props((0x1C, s16(b"other:1883")))),
        "auth-continue": srv + frame(0xF0, b"\x18" + props((0x15, s16(b"SCRAM")), (0x16, s16(b"\x01\x02")))),
        "connect-will": cli + connect,
        "subscribe-options": cli + frame(0x82, b"\x00\x01" + props((0x0B, b"\x07")) + s16(b"a/+") + b"\x2e"),
        "builder-publish": build,
    }


def op(code, arg=0):
    return code | arg << 4


def session_input(cfg, ops, stream):
    return bytes([cfg, len(ops)]) + bytes(ops) + stream


def session_seeds():
    frame_drain = op(6, 3)
    # Direct mode (cfg bit 0 = 0), default timing.
    normal = [
        op(0, 7),  # connect clean, keepalive 60
        frame_drain,  # CONNACK
        op(4, 0),  # subscribe a/# (id 1)
        frame_drain,  # SUBACK
        op(2),  # publish QoS 1 (id 2)
        op(3),  # publish QoS 2 (id 3)
    ] + [frame_drain] * 8 + [
        op(9, 10),  # 10 s later
        op(14),  # settle: ping due
        op(15),  # silence: ping timeout
    ]
    resume = [
        op(0, 6),  # connect, clean_session=False, keepalive 60
        frame_drain,  # CONNACK
        op(2),  # publish QoS 1 (id 1)
        op(3),  # publish QoS 2 (id 2)
        op(12),  # connection lost
        op(0, 6),  # reconnect
        frame_drain,  # CONNACK session present: both resent
    ] + [frame_drain] * 3 + [op(15)]
    resume_stream = CONNACK + CONNACK_SP + ack(PUBACK, 1) + ack(PUBREC, 2) + ack(PUBCOMP, 2)
    # Client mode (cfg bit 0 = 1).
    client = [
        op(0, 3),  # connect clean, keepalive 1 s, default timeout
        op(4, 0),  # subscribe a/#
        op(8),  # wait for SUBACK
        op(2),  # publish QoS 1
        op(8),  # wait for PUBACK
        op(3),  # publish QoS 2
        op(8),  # wait for PUBCOMP
        op(15, 0),  # broker bytes arrive one at a time
        op(6), op(6), op(6), op(6),  # wait_msg x4
        op(7),  # check_msg
        op(9, 10),  # broker silent 10 s
        op(6),  # wait_msg: ping, then ping timeout
        op(11),  # disconnect
    ]
    # 40 unreleased inbound QoS 2 messages (more than a small table holds),
    # ids spread over the id space, one resent with DUP, then all released.
    backlog_ids = [1 + i * 1637 % 65535 for i in range(39)] + [65535]
    backlog_stream = (CONNACK
                      + b"".join(publish(b"t", b"%d" % i, qos=2, pid=i) for i in backlog_ids)
                      + publish(b"t", b"dup", qos=2, pid=backlog_ids[7], dup=True)
                      + b"".join(ack(PUBREL, i) for i in backlog_ids))
    backlog = [op(0, 7)] + [frame_drain] * (2 + 2 * len(backlog_ids))
    return {
        "direct-qos2-backlog": session_input(0x00, backlog, backlog_stream),
        "direct-normal": session_input(0x00, normal, STREAM),
        "direct-resume": session_input(0x00, resume, resume_stream),
        "direct-short-timeouts": session_input(0x7A, normal, STREAM),
        "client-normal": session_input(0x01, client, STREAM),
        "client-small-rx": session_input(0x81, client, STREAM[:13] + BIG + STREAM[13:]),
    }


def connection_seeds():
    # [cfg: piece-1 | recv_buffer<<4 | fixed rx<<5 | clean<<6] [ops bits] [stream]
    return {
        "whole-push": bytes([15, 0]) + STREAM,
        "pieces-recv-ops": bytes([2 | 16, 0xA5]) + STREAM,
        "fixed-rx-big": bytes([7 | 32 | 64, 0xFF]) + STREAM[:13] + BIG + STREAM[13:],
    }


def ws_seeds():
    # [mode: raw | last<<1] [limit/16] [n] [cuts...] [script or raw]
    # script steps: [op] [len] [len hi if op & 0x80] [payload]; op % 4: 0/1
    # data (0x08: not FIN, bits 4-5: length form), 2 ping, 3 pong.
    def data(payload, fin=True, form=0):
        op = (0 if fin else 0x08) | form << 4
        if len(payload) > 255:
            return bytes([op | 0x80, len(payload) & 0xFF, len(payload) >> 8]) + payload
        return bytes([op, len(payload)]) + payload

    def ping(payload):
        return bytes([2, len(payload)]) + payload

    packed = data(STREAM)
    split = data(STREAM[:5], fin=False, form=2) + ping(b"hi") + data(STREAM[5:9], fin=False, form=1) + data(STREAM[9:])
    hs = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: ICX+Yqv66kxgM0FcWaLWlFLwTAI=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
    return {
        "packed": bytes([0, 0xFF, 0]) + packed,
        "split-cuts": bytes([0, 0xFF, 3, 0, 6, 2]) + split + bytes([3, 0]),
        "big-ext16": bytes([0, 0xFF, 1, 100]) + data(BIG * 3, form=1) + ping(b""),
        "over-limit": bytes([0, 1, 0]) + data(b"x" * 10) + data(BIG),
        "close": bytes([6 << 1 | 0, 0xFF, 2, 1, 3]) + split,
        "masked": bytes([1 << 1, 0xFF, 0]) + packed,
        "raw-handshake": bytes([1, 0xFF, 1, 30]) + hs + bytes([0x82, len(STREAM)]) + STREAM,
    }


def transport_seeds():
    # [cfg: piece-1 | answer and stream in one piece<<4] [ops bits] [server frames]
    def frame_of(op, payload):
        if len(payload) < 126:
            return bytes([0x80 | op, len(payload)]) + payload
        return bytes([0x80 | op, 126, len(payload) >> 8, len(payload) & 0xFF]) + payload

    stream = frame_of(2, STREAM[:7]) + frame_of(9, b"hi") + frame_of(2, STREAM[7:])
    return {
        "frames-pieces-ops": bytes([4, 0xA5]) + stream,
        "with-answer-big": bytes([15 | 16, 0xFF]) + frame_of(2, STREAM[:13] + BIG + STREAM[13:]),
        "close-after-data": bytes([15, 0]) + stream + frame_of(8, b"\x03\xe9"),
        "masked": bytes([3, 0]) + bytes([0x82, 0x84, 1, 2, 3, 4]) + STREAM[:4],
    }


def main():
    for target, seeds in (
        ("framer", framer_seeds()),
        ("decode", decode_seeds()),
        ("decode_v5", decode_v5_seeds()),
        ("session", session_seeds()),
        ("connection", connection_seeds()),
        ("ws", ws_seeds()),
        ("transport", transport_seeds()),
    ):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
