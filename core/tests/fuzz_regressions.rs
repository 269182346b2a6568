//! Regression tests for bugs found by the cargo-fuzz targets in fuzz/.
//! Each test is the minimised input, rebuilt by hand, with the target and
//! the check that failed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use umqtt_core::framer::Framer;
use umqtt_core::{Error, ProtocolError};

/// fuzz target `framer` (minimised input: fixed 8-byte buffer, `push`,
/// stream `00 08 03 ff ed 00 00 ed 00 00 ff ff ff ed ff ed 00`): an
/// oversized frame followed, in the same `push`, by a header whose
/// remaining length runs past 4 bytes, and more bytes after it. `push`
/// noticed the malformed length while the oversized frame's
/// `FrameTooLarge` was still unreported, and `next_frame` checked the
/// malformed flag first, so the too-large report was lost.
#[test]
fn frame_too_large_reported_before_following_malformed_length() {
    let mut f = Framer::new([0u8; 8]);
    let mut stream = vec![0x30, 7, 0, 1, b't', 0, 0, 0, 0]; // 9 bytes > 8
    stream.extend_from_slice(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
    // Bytes after the bad header make push() look at it.
    stream.extend_from_slice(&[0xD0, 0, 0xD0]);
    assert_eq!(f.push(&stream), stream.len());
    assert_eq!(f.next_frame(), Err(Error::FrameTooLarge { len: 9 }));
    let malformed = Err(Error::Protocol(ProtocolError::MalformedRemainingLength));
    assert_eq!(f.next_frame(), malformed);
    assert_eq!(f.next_frame(), malformed);
}
