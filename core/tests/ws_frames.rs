//! WebSocket framing without a network: RFC 6455's 5.7 examples, the
//! client encoder, every decoding error, closes, and property tests: MQTT
//! bytes framed by a "server" in any way (split, packed, fragmented, with pings, pongs and
//! non-minimal lengths) and cut at any points come out unchanged.
#![cfg(feature = "ws")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod ws_support;

use proptest::prelude::*;
use umqtt_core::ws::frame::{self, Opcode, MAX_CLIENT_HEADER};
use umqtt_core::ws::{Decoder, Event, WsError};
use ws_support::{data_frame, feed, parse_client_frame, server_frame, LenForm, Seen};

const RFC_MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

#[test]
fn rfc_5_7_masked_hello() {
    let mut out = [0u8; 16];
    let n = frame::encode(Opcode::Text, b"Hello", RFC_MASK, &mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    );
}

#[test]
fn rfc_5_7_ping_and_masked_pong() {
    let mut dec = Decoder::new(1 << 20);
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    assert_eq!(dec.decode(&ping), Ok((7, Some(Event::Ping))));
    let mut out = [0u8; 16];
    let n = dec.encode_pong(RFC_MASK, &mut out).unwrap();
    assert_eq!(
        &out[..n],
        &[0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    );
}

#[test]
fn rfc_5_7_text_frames_are_refused() {
    // Unmasked "Hello" and its fragmented form: MQTT allows binary only.
    let mut dec = Decoder::new(1 << 20);
    assert_eq!(
        dec.decode(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
        Err(WsError::TextFrame)
    );
    let mut dec = Decoder::new(1 << 20);
    assert_eq!(dec.decode(&[0x01, 0x03, 0x48]), Err(WsError::TextFrame));
}

#[test]
fn rfc_5_7_binary_256_and_64k() {
    for (n, head) in [
        (256usize, vec![0x82, 0x7e, 0x01, 0x00]),
        (65536, vec![0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let payload: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
        let mut f = head.clone();
        f.extend_from_slice(&payload);
        assert_eq!(f, server_frame(0x82, &payload, LenForm::Minimal));
        let mut dec = Decoder::new(1 << 20);
        let mut seen = Seen::default();
        feed(&mut dec, &f, &mut seen).unwrap();
        assert_eq!(seen.data, payload);
        assert!(!dec.mid_message());
        // The client encoder uses the same length forms (with a mask).
        let mut out = vec![0u8; n + MAX_CLIENT_HEADER];
        let len = frame::encode(Opcode::Binary, &payload, RFC_MASK, &mut out).unwrap();
        assert_eq!(out[0], 0x82);
        assert_eq!(out[1], 0x80 | head[1]);
        assert_eq!(&out[2..head.len()], &head[2..]);
        let (b0, back, flen) = parse_client_frame(&out[..len]).unwrap();
        assert_eq!((b0, back, flen), (0x82, payload, len));
    }
}

#[test]
fn encoder_lengths_and_buffer_errors() {
    for n in [0usize, 1, 125, 126, 127, 65535, 65536, 70000] {
        let payload = vec![0xa5u8; n];
        let want = frame::frame_len(n);
        assert_eq!(want, n + frame::header_len(n));
        let mut out = vec![0u8; want];
        assert_eq!(
            frame::encode(Opcode::Binary, &payload, [9, 8, 7, 6], &mut out[..want - 1]),
            Err(WsError::BufferTooSmall { needed: want })
        );
        assert_eq!(
            frame::encode(Opcode::Binary, &payload, [9, 8, 7, 6], &mut out),
            Ok(want)
        );
        let (_, back, _) = parse_client_frame(&out).unwrap();
        assert_eq!(back, payload);
        // In place: the same frame, ending where the payload ends.
        let mut buf = vec![0u8; MAX_CLIENT_HEADER + n];
        buf[MAX_CLIENT_HEADER..].copy_from_slice(&payload);
        let start = frame::frame_in_place(Opcode::Binary, &mut buf, n, [9, 8, 7, 6]).unwrap();
        assert_eq!(&buf[start..], &out[..]);
        assert_eq!(
            frame::frame_in_place(
                Opcode::Binary,
                &mut buf[..MAX_CLIENT_HEADER + n - 1],
                n,
                [0; 4]
            ),
            Err(WsError::BufferTooSmall {
                needed: MAX_CLIENT_HEADER + n
            })
        );
    }
    let mut out = [0u8; 200];
    assert_eq!(
        frame::encode(Opcode::Ping, &[0; 126], [0; 4], &mut out),
        Err(WsError::ControlTooLong)
    );
}

#[test]
fn mask_matches_bytewise_xor_at_every_length() {
    let mask = [0x11, 0x22, 0x44, 0x88];
    for n in 0..20 {
        let mut d: Vec<u8> = (0..n as u8).collect();
        frame::apply_mask(&mut d, mask);
        let want: Vec<u8> = (0..n as u8).map(|i| i ^ mask[i as usize % 4]).collect();
        assert_eq!(d, want);
    }
}

fn decode_all(stream: &[u8], max: usize) -> (Seen, Result<(), WsError>) {
    let mut dec = Decoder::new(max);
    let mut seen = Seen::default();
    let r = feed(&mut dec, stream, &mut seen);
    (seen, r)
}

#[test]
fn decoder_errors() {
    let m = LenForm::Minimal;
    let cases: Vec<(Vec<u8>, WsError)> = vec![
        (vec![0x82, 0x81, 1, 2, 3, 4, 0], WsError::MaskedFrame),
        (vec![0xc2, 0x00], WsError::ReservedBits),
        (vec![0xa2, 0x00], WsError::ReservedBits),
        (vec![0x92, 0x00], WsError::ReservedBits),
        (vec![0x83, 0x00], WsError::ReservedOpcode),
        (vec![0x8b, 0x00], WsError::ReservedOpcode),
        (vec![0x81, 0x00], WsError::TextFrame),
        (vec![0x80, 0x00], WsError::BadContinuation),
        (
            [
                data_frame(true, false, b"a", m),
                data_frame(true, true, b"b", m),
            ]
            .concat(),
            WsError::BadContinuation,
        ),
        (vec![0x09, 0x00], WsError::BadControlFrame),
        (vec![0x89, 0x7e, 0x00, 0x7e], WsError::BadControlFrame),
        (server_frame(0x88, &[3], m), WsError::BadClose),
        (
            vec![0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0],
            WsError::BadLength,
        ),
        (
            server_frame(0x82, &[0; 101], m),
            WsError::FrameTooLarge { len: 101 },
        ),
        (
            vec![0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            WsError::FrameTooLarge {
                len: usize::try_from(i64::MAX).unwrap_or(usize::MAX),
            },
        ),
    ];
    for (stream, err) in &cases {
        let (seen, r) = decode_all(stream, 100);
        assert_eq!(r, Err(*err), "{stream:x?}");
        assert!(seen.data.len() <= 1);
        // Fatal: repeated.
        let mut dec = Decoder::new(100);
        let mut s = Seen::default();
        let _ = feed(&mut dec, stream, &mut s);
        assert_eq!(dec.decode(&[0x82, 0]), Err(*err));
        dec.reset();
        assert_eq!(
            dec.decode(&[0x82, 1, 7]),
            Ok((3, Some(Event::Data(&[7][..]))))
        );
    }
    // Exactly at the limit is fine.
    let (seen, r) = decode_all(&server_frame(0x82, &[5; 100], m), 100);
    assert_eq!((seen.data.len(), r), (100, Ok(())));
}

#[test]
fn close_frames() {
    let m = LenForm::Minimal;
    let mut stream = data_frame(true, true, b"\x30\x05", m);
    stream.extend(server_frame(0x88, &[0x03, 0xe8, b'b', b'y', b'e'], m));
    stream.extend(data_frame(true, true, b"ignored", m));
    let mut dec = Decoder::new(100);
    let mut seen = Seen::default();
    feed(&mut dec, &stream, &mut seen).unwrap();
    assert_eq!(seen.data, b"\x30\x05");
    assert_eq!(seen.close, Some(Some(1000)));
    assert!(dec.is_closed());
    assert_eq!(dec.close_code(), Some(1000));
    let mut out = [0u8; 16];
    let n = dec.encode_close_reply([0; 4], &mut out).unwrap();
    assert_eq!(&out[..n], &[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
    // A close without a code, inside a fragmented message: the driver
    // learns that the stream ended in the middle of a message.
    let mut stream = data_frame(true, false, b"\x30\x05ab", m);
    stream.extend(server_frame(0x88, &[], m));
    let mut dec = Decoder::new(100);
    let mut seen = Seen::default();
    feed(&mut dec, &stream, &mut seen).unwrap();
    assert_eq!(seen.close, Some(None));
    assert!(dec.mid_message());
    let n = dec.encode_close_reply([0; 4], &mut out).unwrap();
    assert_eq!(&out[..n], &[0x88, 0x80, 0, 0, 0, 0]);
}

/// One step of a server's output.
#[derive(Debug, Clone)]
enum Piece {
    /// `n` more MQTT bytes, in a frame of that many (maybe fragmented).
    Data(usize, u8),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

/// Frame `mqtt` as the pieces say; returns the raw stream and the ping
/// payloads in order.
fn serve(mqtt: &[u8], pieces: &[Piece], forms: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut raw = Vec::new();
    let mut pings = Vec::new();
    let mut pos = 0;
    let mut in_msg = false;
    let form = |i: usize| match forms.get(i % forms.len().max(1)).copied().unwrap_or(0) % 3 {
        0 => LenForm::Minimal,
        1 => LenForm::Ext16,
        _ => LenForm::Ext64,
    };
    for (i, p) in pieces.iter().enumerate() {
        match p {
            Piece::Data(n, flags) => {
                let end = (pos + n).min(mqtt.len());
                let fin = flags & 1 == 0 || end == mqtt.len();
                raw.extend(data_frame(!in_msg, fin, &mqtt[pos..end], form(i)));
                in_msg = !fin;
                pos = end;
            }
            Piece::Ping(d) => {
                raw.extend(server_frame(0x89, d, LenForm::Minimal));
                pings.push(d.clone());
            }
            Piece::Pong(d) => raw.extend(server_frame(0x8a, d, LenForm::Minimal)),
        }
    }
    if pos < mqtt.len() || in_msg {
        raw.extend(data_frame(!in_msg, true, &mqtt[pos..], LenForm::Minimal));
    }
    (raw, pings)
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => (0usize..300, any::<u8>()).prop_map(|(n, f)| Piece::Data(n, f)),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Piece::Ping),
        1 => proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Piece::Pong),
    ]
}

fn cut(raw: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = raw;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if cuts.is_empty() {
            rest.len()
        } else {
            (cuts[i % cuts.len()] % 400 + 1).min(rest.len())
        };
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the framing and the cut points: the MQTT bytes out are the
    /// MQTT bytes in, every ping is answered once with its payload, and the
    /// stream ends between messages.
    #[test]
    fn any_framing_any_cuts(
        mqtt in proptest::collection::vec(any::<u8>(), 0..3000),
        pieces in proptest::collection::vec(piece(), 0..30),
        forms in proptest::collection::vec(any::<u8>(), 0..8),
        cuts in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let (raw, pings) = serve(&mqtt, &pieces, &forms);
        let mut dec = Decoder::new(1 << 16);
        let mut seen = Seen::default();
        for chunk in cut(&raw, &cuts) {
            feed(&mut dec, &chunk, &mut seen).unwrap();
        }
        prop_assert_eq!(&seen.data, &mqtt);
        prop_assert_eq!(&seen.pongs, &pings);
        prop_assert!(!dec.mid_message());
        prop_assert_eq!(seen.close, None);
        // In place over the same chunks: the same bytes, and one pong per
        // chunk that held pings, the last one for the last ping.
        let (data, pongs, dec) = in_place(&raw, &cuts);
        prop_assert_eq!(&data, &mqtt);
        prop_assert!(pongs.len() <= pings.len());
        prop_assert_eq!(pongs.last(), pings.last());
        prop_assert!(!dec.mid_message());
    }

    /// Random bytes never panic, never report an empty `Data`, never give
    /// more payload than there were bytes; an error is final.
    #[test]
    fn random_bytes(raw in proptest::collection::vec(any::<u8>(), 0..600), cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let mut dec = Decoder::new(200);
        let mut seen = Seen::default();
        let mut err = None;
        for chunk in cut(&raw, &cuts) {
            if let Err(e) = feed(&mut dec, &chunk, &mut seen) {
                err = Some(e);
                break;
            }
        }
        prop_assert!(seen.data.len() <= raw.len());
        if let Some(e) = err {
            prop_assert_eq!(dec.decode(&[0x82, 0]), Err(e));
        }
    }
}

#[test]
fn every_single_cut_point() {
    // Packed: three MQTT packets in one frame; split: one packet over
    // three fragments with a ping between; every length form.
    let mqtt: Vec<u8> = (0..=255u8).cycle().take(700).collect();
    let pieces = [
        Piece::Data(10, 0),
        Piece::Data(200, 1),
        Piece::Ping(b"hi".to_vec()),
        Piece::Data(0, 1),
        Piece::Pong(vec![]),
        Piece::Data(300, 1),
        Piece::Ping(vec![]),
        Piece::Data(50, 0),
    ];
    let (raw, pings) = serve(&mqtt, &pieces, &[0, 1, 2, 2, 1, 0, 1, 2]);
    for i in 0..=raw.len() {
        for j in [i, (i + 1).min(raw.len()), (i + 13).min(raw.len())] {
            let mut dec = Decoder::new(1000);
            let mut seen = Seen::default();
            for part in [&raw[..i], &raw[i..j], &raw[j..]] {
                feed(&mut dec, part, &mut seen).unwrap();
            }
            assert_eq!(seen.data, mqtt, "cuts {i} {j}");
            assert_eq!(seen.pongs, pings);
            assert_eq!(seen.pongs_received, 1);
        }
    }
}

/// `decode_in_place` over the same chunks gives the same MQTT bytes as
/// `decode`, and answers the last ping of each chunk.
fn in_place(raw: &[u8], cuts: &[usize]) -> (Vec<u8>, Vec<Vec<u8>>, Decoder) {
    let mut dec = Decoder::new(1 << 16);
    let mut data = Vec::new();
    let mut pongs = Vec::new();
    let mut out = [0u8; 160];
    for mut chunk in cut(raw, cuts) {
        let n = dec.decode_in_place(&mut chunk).unwrap();
        data.extend_from_slice(&chunk[..n]);
        if dec.pong_due() {
            let len = dec.encode_pong([0; 4], &mut out).unwrap();
            pongs.push(out[6..len].to_vec());
            assert!(!dec.pong_due());
        }
    }
    (data, pongs, dec)
}

#[test]
fn in_place_keeps_the_last_ping_payload() {
    let m = LenForm::Minimal;
    let mut raw = server_frame(0x89, b"first", m);
    raw.extend(data_frame(true, false, b"ab", m));
    raw.extend(server_frame(0x89, b"second", m));
    // A pong and a fragment after the ping must not change what is echoed.
    raw.extend(server_frame(0x8a, b"unrelated", m));
    raw.extend(data_frame(false, true, b"cd", m));
    let (data, pongs, dec) = in_place(&raw, &[]);
    assert_eq!(data, b"abcd");
    assert_eq!(pongs, vec![b"second".to_vec()]);
    assert!(!dec.mid_message());
    // Closed: the rest is dropped, no pong is due any more.
    let mut raw = server_frame(0x89, b"p", m);
    raw.extend(server_frame(0x88, &1001u16.to_be_bytes(), m));
    raw.extend(data_frame(true, true, b"late", m));
    let mut dec = Decoder::new(100);
    assert_eq!(dec.decode_in_place(&mut raw), Ok(0));
    assert!(dec.is_closed() && !dec.pong_due());
    assert_eq!(dec.close_code(), Some(1001));
    // Errors come out as from `decode`.
    let mut bad = data_frame(true, true, b"ok", m);
    bad.extend([0x82, 0x81, 0, 0, 0, 0, 0]);
    assert_eq!(
        Decoder::new(100).decode_in_place(&mut bad),
        Err(WsError::MaskedFrame)
    );
}
