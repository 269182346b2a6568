//! The WebSocket opening handshake without a network: RFC 6455's 1.3
//! accept-key example, the Upgrade request (text, default ports, IPv6,
//! refused arguments), the answer parser (accepted at every cut, bytes
//! after the header kept, every refusal), URL parsing, and random answers.
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
use umqtt_core::ws::handshake::{accept_key, encode_key, MAX_RESPONSE};
use umqtt_core::ws::{parse_url, Handshake, Request, WsError, WsUrl};
use ws_support::{data_frame, LenForm};

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

proptest! {
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
