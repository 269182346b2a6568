//! What the unit tests of the WebSocket code share: a server's answer
//! accepting a request made with a nonce, and a plain request.
extern crate std;
use std::vec::Vec;

use super::handshake::{accept_key, encode_key};
use super::Request;

/// The server's 101 answer to a request with `nonce`.
pub fn answer(nonce: &[u8; 16]) -> Vec<u8> {
    let mut a = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Accept: "
        .to_vec();
    a.extend_from_slice(&accept_key(&encode_key(nonce)));
    a.extend_from_slice(b"\r\n\r\n");
    a
}

/// `GET /mqtt` to host `h`, port 80, no extra headers.
pub fn request() -> Request<'static> {
    Request {
        host: "h",
        port: 80,
        tls: false,
        path: "/mqtt",
        headers: &[],
    }
}
