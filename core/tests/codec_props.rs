//! Property tests of the codec: every packet the client encodes is read
//! back field by field (or through `decode` where the packet can also come
//! from a server), varints round-trip, short buffers are left untouched,
//! and arbitrary bytes never make `decode` panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use proptest::prelude::*;
use umqtt_core::codec::{
    self, decode, decode_varint, encode_ack, encode_disconnect, encode_pingreq, encode_varint,
    varint_len, Connect, Packet, PacketType, Publish, Reader, Subscribe, Unsubscribe, Will,
    MAX_REMAINING_LEN,
};
use umqtt_core::{Error, PacketId, ProtocolError, ProtocolVersion, QoS};

const V: ProtocolVersion = ProtocolVersion::V311;

fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn pid() -> impl Strategy<Value = PacketId> {
    (1u16..=u16::MAX).prop_map(|v| PacketId::new(v).unwrap())
}

/// Valid topic names: any UTF-8 a client may send (no NUL or other control
/// character, no non-character), without '+' or '#', up to ~200 bytes.
fn topic() -> impl Strategy<Value = String> {
    "[^\\p{Cc}\\p{Noncharacter_Code_Point}+#]{1,60}"
}

/// Valid topic filters built level by level.
fn filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![
        Just("+".to_string()),
        "[^\\p{Cc}\\p{Noncharacter_Code_Point}+#/]{0,12}"
    ];
    (prop::collection::vec(level, 1..5), any::<bool>())
        .prop_map(|(mut levels, hash)| {
            if hash {
                levels.push("#".to_string());
            }
            levels.join("/")
        })
        .prop_filter("non-empty", |f| !f.is_empty())
}

/// Parse the fixed header the client wrote: (first byte, body).
fn split_frame(frame: &[u8]) -> (u8, &[u8]) {
    let (rl, used) = decode_varint(&frame[1..]).unwrap().unwrap();
    let body = &frame[1 + used..];
    assert_eq!(body.len(), rl, "remaining length matches the body");
    (frame[0], body)
}

/// Encoding into every shorter buffer fails with the exact size and writes nothing.
fn check_short_buffers(len: usize, encode: impl Fn(&mut [u8]) -> Result<usize, Error>) {
    let mut out = vec![0x5Au8; len];
    for size in [0, len / 2, len - 1] {
        assert_eq!(
            encode(&mut out[..size]),
            Err(Error::BufferTooSmall { needed: len })
        );
        assert!(out.iter().all(|&b| b == 0x5A));
    }
}

proptest! {
    #[test]
    fn varint_round_trip(n in 0..=MAX_REMAINING_LEN) {
        let mut out = [0u8; 4];
        let len = encode_varint(n, &mut out).unwrap();
        prop_assert_eq!(len, varint_len(n));
        prop_assert_eq!(decode_varint(&out[..len]), Ok(Some((n, len))));
        prop_assert_eq!(decode_varint(&out[..len - 1]), Ok(None));
    }

    #[test]
    fn varint_decode_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..8)) {
        match decode_varint(&bytes) {
            Ok(Some((v, used))) => {
                prop_assert!((1..=4).contains(&used));
                prop_assert!(v <= MAX_REMAINING_LEN);
                prop_assert_eq!(bytes[used - 1] & 0x80, 0);
            }
            Ok(None) => prop_assert!(bytes.len() < 4 && bytes.iter().all(|b| b & 0x80 != 0)),
            Err(e) => {
                prop_assert_eq!(e, ProtocolError::MalformedRemainingLength);
                prop_assert!(bytes[..4].iter().all(|b| b & 0x80 != 0));
            }
        }
    }

    #[test]
    fn publish_round_trip(
        topic in topic(),
        payload in prop::collection::vec(any::<u8>(), 0..400),
        qos in qos(),
        retain in any::<bool>(),
        dup in any::<bool>(),
        id in pid(),
    ) {
        let qos0 = qos == QoS::AtMostOnce;
        let p = Publish {
            topic: topic.as_bytes(),
            payload: &payload,
            qos,
            retain,
            dup: dup && !qos0,
            packet_id: if qos0 { None } else { Some(id) },
        };
        let len = p.encoded_len().unwrap();
        let mut out = vec![0u8; len + 3];
        prop_assert_eq!(p.encode(&mut out), Ok(len));
        // PUBLISH is symmetric: the server-side decoder reads it back.
        prop_assert_eq!(decode(&out[..len], V), Ok(Packet::Publish(p)));
        check_short_buffers(len, |o| p.encode(o));
        if !qos0 {
            let mut frame = out[..len].to_vec();
            codec::set_dup(&mut frame);
            let Ok(Packet::Publish(d)) = decode(&frame, V) else { panic!("decode") };
            prop_assert_eq!(d, Publish { dup: true, ..p });
        }
    }

    #[test]
    fn connect_round_trip(
        client_id in "[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,30}",
        keepalive in any::<u16>(),
        clean in any::<bool>(),
        user in prop::option::of("[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,20}"),
        pass in prop::option::of(prop::collection::vec(any::<u8>(), 0..20)),
        will in prop::option::of((topic(), prop::collection::vec(any::<u8>(), 0..50), qos(), any::<bool>())),
    ) {
        let clean = clean || client_id.is_empty();
        let pass = if user.is_some() { pass } else { None };
        let c = Connect {
            protocol: V,
            client_id: client_id.as_bytes(),
            keepalive,
            clean_session: clean,
            username: user.as_deref().map(str::as_bytes),
            password: pass.as_deref(),
            will: will.as_ref().map(|(t, m, q, r)| Will { topic: t.as_bytes(), message: m, qos: *q, retain: *r }),
        };
        let len = c.encoded_len().unwrap();
        let mut out = vec![0u8; len];
        prop_assert_eq!(c.encode(&mut out), Ok(len));
        check_short_buffers(len, |o| c.encode(o));

        let (first, body) = split_frame(&out);
        prop_assert_eq!(first, 0x10);
        let mut r = Reader::new(body);
        prop_assert_eq!(r.str().unwrap(), b"MQTT");
        prop_assert_eq!(r.u8().unwrap(), 4);
        let flags = r.u8().unwrap();
        prop_assert_eq!(flags & 0x01, 0, "reserved bit");
        prop_assert_eq!(flags & 0x02 != 0, clean);
        prop_assert_eq!(r.u16().unwrap(), keepalive);
        prop_assert_eq!(r.str().unwrap(), client_id.as_bytes());
        match &c.will {
            Some(w) => {
                prop_assert_eq!(flags & 0x04, 0x04);
                prop_assert_eq!((flags >> 3) & 3, w.qos as u8);
                prop_assert_eq!(flags & 0x20 != 0, w.retain);
                prop_assert_eq!(r.str().unwrap(), w.topic);
                prop_assert_eq!(r.str().unwrap(), w.message);
            }
            None => prop_assert_eq!(flags & 0x3C, 0),
        }
        prop_assert_eq!(flags & 0x80 != 0, c.username.is_some());
        if let Some(u) = c.username {
            prop_assert_eq!(r.str().unwrap(), u);
        }
        prop_assert_eq!(flags & 0x40 != 0, c.password.is_some());
        if let Some(p) = c.password {
            prop_assert_eq!(r.str().unwrap(), p);
        }
        prop_assert!(r.is_empty());
        // A server must never send CONNECT.
        prop_assert_eq!(decode(&out, V), Err(ProtocolError::UnexpectedPacket));
    }

    #[test]
    fn subscribe_round_trip(id in pid(), filters in prop::collection::vec((filter(), qos()), 1..6)) {
        let pairs: Vec<(&[u8], QoS)> = filters.iter().map(|(f, q)| (f.as_bytes(), *q)).collect();
        let s = Subscribe { packet_id: id, filters: &pairs };
        let len = s.encoded_len().unwrap();
        let mut out = vec![0u8; len];
        prop_assert_eq!(s.encode(&mut out), Ok(len));
        check_short_buffers(len, |o| s.encode(o));
        let (first, body) = split_frame(&out);
        prop_assert_eq!(first, 0x82);
        let mut r = Reader::new(body);
        prop_assert_eq!(r.u16().unwrap(), id.get());
        for (f, q) in &pairs {
            prop_assert_eq!(r.str().unwrap(), *f);
            prop_assert_eq!(r.u8().unwrap(), *q as u8);
        }
        prop_assert!(r.is_empty());
    }

    #[test]
    fn unsubscribe_round_trip(id in pid(), filters in prop::collection::vec(filter(), 1..6)) {
        let list: Vec<&[u8]> = filters.iter().map(|f| f.as_bytes()).collect();
        let u = Unsubscribe { packet_id: id, filters: &list };
        let len = u.encoded_len().unwrap();
        let mut out = vec![0u8; len];
        prop_assert_eq!(u.encode(&mut out), Ok(len));
        check_short_buffers(len, |o| u.encode(o));
        let (first, body) = split_frame(&out);
        prop_assert_eq!(first, 0xA2);
        let mut r = Reader::new(body);
        prop_assert_eq!(r.u16().unwrap(), id.get());
        for f in &list {
            prop_assert_eq!(r.str().unwrap(), *f);
        }
        prop_assert!(r.is_empty());
    }

    #[test]
    fn acks_round_trip(id in pid()) {
        let mut out = [0u8; 4];
        for (kind, expect) in [
            (PacketType::PubAck, Packet::PubAck(id)),
            (PacketType::PubRec, Packet::PubRec(id)),
            (PacketType::PubRel, Packet::PubRel(id)),
            (PacketType::PubComp, Packet::PubComp(id)),
        ] {
            prop_assert_eq!(encode_ack(kind, id, &mut out), Ok(4));
            prop_assert_eq!(decode(&out, V), Ok(expect));
        }
    }

    /// Packets only a server sends, built by hand, decode to the same values.
    #[test]
    fn server_packets_decode(
        id in pid(),
        sp in any::<bool>(),
        rc in 0u8..=5,
        codes in prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), Just(0x80)], 1..300),
    ) {
        let sp = sp && rc == 0;
        let connack = [0x20, 2, u8::from(sp), rc];
        prop_assert_eq!(decode(&connack, V), Ok(Packet::ConnAck { session_present: sp, return_code: rc }));
        let [hi, lo] = id.get().to_be_bytes();
        let unsuback = [0xB0, 2, hi, lo];
        prop_assert_eq!(decode(&unsuback, V), Ok(Packet::UnsubAck(id)));
        let mut suback = vec![0x90];
        let mut vl = [0u8; 4];
        let n = encode_varint(codes.len() + 2, &mut vl).unwrap();
        suback.extend_from_slice(&vl[..n]);
        suback.extend_from_slice(&[hi, lo]);
        suback.extend_from_slice(&codes);
        prop_assert_eq!(decode(&suback, V), Ok(Packet::SubAck { packet_id: id, return_codes: &codes }));
        // One byte more or less breaks the exact-length check.
        suback.push(0);
        prop_assert_eq!(decode(&suback, V), Err(ProtocolError::TrailingBytes));
        suback.truncate(suback.len() - 2);
        prop_assert_eq!(decode(&suback, V), Err(ProtocolError::PacketTooShort));
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode(&bytes, V);
    }

    /// Mutated valid frames (the interesting part of the input space): no
    /// panic, and whatever decodes keeps its invariants.
    #[test]
    fn decode_mutated_frames(
        topic in topic(),
        payload in prop::collection::vec(any::<u8>(), 0..40),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let p = Publish { topic: topic.as_bytes(), payload: &payload, qos: QoS::ExactlyOnce, retain: false, dup: false, packet_id: PacketId::new(7) };
        let mut frame = vec![0u8; p.encoded_len().unwrap()];
        p.encode(&mut frame).unwrap();
        for (i, v) in &flips {
            let at = i.index(frame.len());
            frame[at] = *v;
        }
        for f in [&frame[..], &frame[..cut.index(frame.len() + 1)]] {
            if let Ok(Packet::Publish(d)) = decode(f, V) {
                prop_assert!(codec::check_topic_name(d.topic).is_ok());
                prop_assert_eq!(d.packet_id.is_some(), d.qos != QoS::AtMostOnce);
            }
        }
    }
}

#[test]
fn ping_and_disconnect_are_client_only() {
    let mut out = [0u8; 2];
    encode_pingreq(&mut out).unwrap();
    assert_eq!(decode(&out, V), Err(ProtocolError::UnexpectedPacket));
    encode_disconnect(&mut out).unwrap();
    assert_eq!(decode(&out, V), Err(ProtocolError::UnexpectedPacket));
}
