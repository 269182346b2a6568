//! The WebSocket layer without a network: RFC 6455's own examples (1.3
//! accept key, 5.7 frames), the handshake request and answer parser, URL
//! parsing, every framing error, and property tests: MQTT bytes framed by a
//! "server" in any way (split, packed, fragmented, with pings, pongs and
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
use umqtt_core::ws::handshake::{accept_key, encode_key, MAX_RESPONSE};
use umqtt_core::ws::{parse_url, Decoder, Event, Handshake, Request, WsError, WsUrl};
use ws_support::{data_frame, feed, parse_client_frame, server_frame, LenForm, Seen};

const RFC_MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

#[test]
fn rfc_1_3_accept_key() {
    // "dGhlIHNhbXBsZSBub25jZQ==" is base64 of "the sample nonce".
    assert_eq!(
        &encode_key(b"the sample nonce"),
        b"dGhlIHNhbXBsZSBub25jZQ=="
    );
    assert_eq!(
        &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

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

fn request(headers: &[(&str, &str)], host: &str, port: u16, tls: bool) -> Result<String, WsError> {
    let r = Request {
        host,
        port,
        tls,
        path: "/mqtt",
        headers,
    };
    let mut out = [0u8; 512];
    let n = r.encode(b"the sample nonce", &mut out)?;
    Ok(String::from_utf8(out[..n].to_vec()).unwrap())
}

#[test]
fn request_text() {
    assert_eq!(
        request(
            &[("Origin", "http://x"), ("Authorization", "Bearer t")],
            "broker.local",
            8083,
            false
        )
        .unwrap(),
        "GET /mqtt HTTP/1.1\r\nHost: broker.local:8083\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\
         Origin: http://x\r\nAuthorization: Bearer t\r\n\r\n"
    );
    // Default ports are left out of Host; IPv6 literals are bracketed.
    assert!(request(&[], "h", 80, false)
        .unwrap()
        .contains("\r\nHost: h\r\n"));
    assert!(request(&[], "h", 443, true)
        .unwrap()
        .contains("\r\nHost: h\r\n"));
    assert!(request(&[], "h", 443, false)
        .unwrap()
        .contains("\r\nHost: h:443\r\n"));
    assert!(request(&[], "::1", 1, false)
        .unwrap()
        .contains("\r\nHost: [::1]:1\r\n"));
    assert!(request(&[], "h", 65535, false)
        .unwrap()
        .contains("\r\nHost: h:65535\r\n"));
    assert!(request(&[], "h", 0, false)
        .unwrap()
        .contains("\r\nHost: h:0\r\n"));
}

#[test]
fn request_refuses_bad_arguments() {
    for h in [
        ("X-A", "a\r\nInjected: 1"),
        ("X A", "v"),
        ("", "v"),
        ("Host", "evil"),
        ("sec-websocket-protocol", "other"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
        ("Connection", "close"),
    ] {
        assert_eq!(
            request(&[h], "h", 80, false),
            Err(WsError::InvalidHeader),
            "{h:?}"
        );
    }
    for host in ["", "a b", "a/b", "a\r\n", "[::1]", "::g"] {
        assert_eq!(
            request(&[], host, 80, false),
            Err(WsError::InvalidHost),
            "{host:?}"
        );
    }
    for path in ["mqtt", "/a b", "/a#f", "/\n", ""] {
        let r = Request {
            host: "h",
            port: 80,
            tls: false,
            path,
            headers: &[],
        };
        assert_eq!(
            r.encode(&[0; 16], &mut [0u8; 256]),
            Err(WsError::InvalidPath),
            "{path:?}"
        );
    }
    let r = Request {
        host: "h",
        port: 80,
        tls: false,
        path: "/",
        headers: &[],
    };
    let mut out = [0u8; 300];
    let n = r.encode(&[0; 16], &mut out).unwrap();
    assert_eq!(
        r.encode(&[0; 16], &mut out[..n - 1]),
        Err(WsError::BufferTooSmall { needed: n })
    );
}

/// A valid answer to the RFC's sample nonce.
const GOOD: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n\
                    Connection: keep-alive, Upgrade\r\n\
                    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                    Sec-WebSocket-Protocol: mqtt\r\nServer: x\r\n\r\n";

fn answer(text: &str) -> Result<Option<usize>, WsError> {
    Handshake::new(b"the sample nonce").push(text.as_bytes())
}

#[test]
fn handshake_accepts_at_every_cut_and_keeps_what_follows() {
    let mut stream = GOOD.as_bytes().to_vec();
    let frames = data_frame(true, true, &[0x20, 2, 0, 0], LenForm::Minimal);
    stream.extend_from_slice(&frames);
    for cut in 0..=stream.len() {
        let mut hs = Handshake::new(b"the sample nonce");
        let (a, b) = stream.split_at(cut);
        let mut after = Vec::new();
        match hs.push(a).unwrap() {
            Some(n) => {
                after.extend_from_slice(&a[n..]);
                after.extend_from_slice(b);
            }
            None => {
                let n = hs.push(b).unwrap().expect("complete");
                after.extend_from_slice(&b[n..]);
            }
        }
        assert!(hs.is_done());
        assert_eq!(after, frames, "cut {cut}");
        assert_eq!(hs.push(b"more"), Ok(Some(0)));
    }
    // Byte by byte.
    let mut hs = Handshake::new(b"the sample nonce");
    let header = GOOD.as_bytes();
    for (i, b) in header.iter().enumerate() {
        let r = hs.push(&[*b]).unwrap();
        assert_eq!(r.is_some(), i == header.len() - 1);
    }
    // Bare LF line ends are tolerated (RFC 7230 3.5).
    assert_eq!(
        answer(&GOOD.replace("\r\n", "\n")),
        Ok(Some(GOOD.len() - 7))
    );
}

#[test]
fn handshake_errors() {
    let cases: &[(&str, &str, WsError)] = &[
        (
            "HTTP/1.1 101 Switching Protocols",
            "HTTP/1.1 404 Not Found",
            WsError::Status(404),
        ),
        (
            "HTTP/1.1 101 Switching Protocols",
            "HTTP/1.0 200 OK",
            WsError::Status(200),
        ),
        (
            "HTTP/1.1 101 Switching Protocols",
            "HTTP/2 101 X",
            WsError::BadStatusLine,
        ),
        (
            "HTTP/1.1 101 Switching Protocols",
            "HTTP/1.1 1O1 X",
            WsError::BadStatusLine,
        ),
        (
            "HTTP/1.1 101 Switching Protocols",
            "SSH-2.0-OpenSSH",
            WsError::BadStatusLine,
        ),
        (
            "HTTP/1.1 101 Switching Protocols",
            "HTTP/1.1 1011 X",
            WsError::BadStatusLine,
        ),
        (
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOp=",
            WsError::BadAccept,
        ),
        (
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "S3PPLMBITXAQ9KYGZZHZRBK+XOO=",
            WsError::BadAccept,
        ),
        (
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            "",
            WsError::BadAccept,
        ),
        ("Upgrade: WebSocket\r\n", "", WsError::MissingUpgrade),
        (
            "Upgrade: WebSocket",
            "Upgrade: h2c",
            WsError::MissingUpgrade,
        ),
        (
            "keep-alive, Upgrade",
            "keep-alive",
            WsError::MissingConnection,
        ),
        (
            "Sec-WebSocket-Protocol: mqtt\r\n",
            "",
            WsError::BadSubprotocol,
        ),
        (
            "Protocol: mqtt",
            "Protocol: mqttv3.1",
            WsError::BadSubprotocol,
        ),
        (
            "Server: x\r\n",
            "Sec-WebSocket-Extensions: permessage-deflate\r\n",
            WsError::UnexpectedExtension,
        ),
        ("Server: x\r\n", "Server x\r\n", WsError::BadHeader),
        (
            "Server: x\r\n",
            "Server: x\r\n  folded\r\n",
            WsError::BadHeader,
        ),
        ("Server: x\r\n", "Bad Name: x\r\n", WsError::BadHeader),
        (
            "Server: x\r\n",
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
            WsError::BadAccept,
        ),
    ];
    for (from, to, err) in cases {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from}");
        let mut hs = Handshake::new(b"the sample nonce");
        assert_eq!(hs.push(text.as_bytes()), Err(*err), "{text}");
        // Errors are final.
        assert_eq!(hs.push(b"\r\n\r\n"), Err(*err));
    }
    // A server that never ends its header.
    let mut hs = Handshake::new(b"the sample nonce");
    assert_eq!(hs.push(b"HTTP/1.1 101 Switching Protocols\r\n"), Ok(None));
    let junk = [b'x'; 1000];
    let mut r = Ok(None);
    for _ in 0..(MAX_RESPONSE / junk.len() + 1) {
        r = hs.push(&junk);
        if r.is_err() {
            break;
        }
    }
    assert_eq!(r, Err(WsError::ResponseTooLong));
    // Long irrelevant headers are fine; a long accept value is not.
    let long = format!("Server: {}\r\n", "y".repeat(500));
    assert_eq!(
        answer(&GOOD.replace("Server: x\r\n", &long)),
        Ok(Some(GOOD.len() + 499))
    );
    let long_accept = GOOD.replace("xOo=", &format!("xOo={}", " ".repeat(200)));
    assert_eq!(answer(&long_accept), Err(WsError::BadAccept));
}

#[test]
fn urls() {
    let u = |s| parse_url(s);
    assert_eq!(
        u("ws://broker.emqx.io:8083/mqtt"),
        Ok(WsUrl {
            tls: false,
            host: "broker.emqx.io",
            port: Some(8083),
            path: Some("/mqtt")
        })
    );
    assert_eq!(
        u("WSS://h"),
        Ok(WsUrl {
            tls: true,
            host: "h",
            port: None,
            path: None
        })
    );
    assert_eq!(
        u("wss://[::1]:8884/a?b=c"),
        Ok(WsUrl {
            tls: true,
            host: "::1",
            port: Some(8884),
            path: Some("/a?b=c")
        })
    );
    assert_eq!(
        u("ws://[fe80::1]"),
        Ok(WsUrl {
            tls: false,
            host: "fe80::1",
            port: None,
            path: None
        })
    );
    for bad in [
        "",
        "http://h/",
        "ws:/h",
        "ws://",
        "ws://:80",
        "ws://h:",
        "ws://h:0",
        "ws://h:65536",
        "ws://h:8a",
        "ws://u@h/",
        "ws://h/a#frag",
        "ws://h?q",
        "ws://h/a b",
        "ws://[::1",
        "ws://[::1]x",
        "ws://[h]",
        "ws://h:1:2",
        "ws://h:+80",
    ] {
        assert_eq!(u(bad), Err(WsError::InvalidUrl), "{bad:?}");
    }
    assert!(umqtt_core::ws::url::is_ws_url("Ws://x"));
    assert!(!umqtt_core::ws::url::is_ws_url("broker.local"));
    assert_eq!(umqtt_core::ws::url::default_port(true), 443);
    assert_eq!(umqtt_core::ws::url::default_port(false), 80);
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

    /// The handshake parser on random answers: never a panic, and it only
    /// ever accepts with a valid accept key.
    #[test]
    fn handshake_random(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut hs = Handshake::new(&[7; 16]);
        if let Ok(Some(n)) = hs.push(&raw) {
            prop_assert!(n <= raw.len());
            let accept = accept_key(&encode_key(&[7; 16]));
            prop_assert!(raw.windows(28).any(|w| w == accept));
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
