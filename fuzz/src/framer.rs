//! Framer target: one byte stream, cut at points taken from the input, goes
//! through a Framer over a small fixed buffer and through a Framer over a
//! growable buffer. What each returns (frames, `FrameTooLarge`, malformed
//! length) must equal what an independent model of MQTT framing says for
//! that buffer size, so the frames that fit are identical in both. The
//! growable buffer grows with the bytes that arrive, not with the announced
//! length, so a frame over its limit is reported only once its bytes could
//! have filled the buffer (see [`model_growable`]).
//!
//! Input layout: `[cfg] [init] [n] [n cut lengths] [stream...]`
//! - cfg bits 0-5: fixed capacity - 1 (1..=64 bytes, under 5 covers the
//!   header-collecting skip path); bits 6-7: how the fixed framer is fed.
//! - init bits 0-3: initial size - 1 of the growable buffer; bits 4-5: how
//!   the growable framer is fed.
//! - n % 16 cut lengths (each byte + 1), used in a cycle; none = one piece.

use umqtt_core::framer::Framer;
use umqtt_core::{Buffer, Error, ProtocolError};

use crate::{parse_header, Input, VecBuf};

/// Largest frame the growable buffer accepts.
const LIMIT: usize = 1 << 16;

/// What the framer reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A whole frame.
    Frame(Vec<u8>),
    /// `Err(FrameTooLarge { len })`.
    TooLarge(usize),
    /// `Err(Protocol(MalformedRemainingLength))` (fatal: nothing follows).
    Malformed,
}

/// How bytes are handed to the framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// `push(chunk)`.
    Push,
    /// `spare()` + copy + `commit(n)`.
    SpareCommit,
    /// A blocking reader: `min(chunk, wanted(), spare().len())` per read.
    Wanted,
}

impl Feed {
    fn from_bits(b: u8) -> Feed {
        match b & 3 {
            0 => Feed::Push,
            1 => Feed::SpareCommit,
            _ => Feed::Wanted,
        }
    }
}

/// What MQTT framing says about `stream` read into a buffer of `cap` bytes
/// that cannot grow at all: frames, oversized frames (reported once their
/// header is complete, then skipped), and a malformed length.
pub fn model(stream: &[u8], cap: usize) -> Vec<Outcome> {
    model_growable(stream, cap, true).0
}

/// [`model`] for a buffer that grows up to `limit` as bytes arrive (at
/// most to about twice what it holds, 256 bytes more for small ones):
/// oversized frames are reported when the buffer cannot grow for their
/// bytes. For one cut short by the end of the stream that depends on how
/// much of it arrived: returns the outcomes without it, and the report
/// that may (`Some(false)`) or must (`Some(true)`) follow. `fixed`: the
/// buffer cannot grow, every oversized frame is reported at once.
pub fn model_growable(
    stream: &[u8],
    limit: usize,
    fixed: bool,
) -> (Vec<Outcome>, Option<(Outcome, bool)>) {
    let mut out = Vec::new();
    let mut rest = stream;
    loop {
        let (total, fits) = match parse_header(rest) {
            Err(()) => {
                out.push(Outcome::Malformed);
                return (out, None);
            }
            Ok(None) => return (out, None),
            Ok(Some((_, len, header))) => {
                let total = header + len;
                (total, total <= limit)
            }
        };
        if !fits && (fixed || rest.len() >= total) {
            out.push(Outcome::TooLarge(total));
        } else if !fits {
            // Never held more than the stream, the buffer stayed under
            // max(2 * stream, stream + 256, 2 * 16): no grow failed yet
            // while that is within the limit.
            let quiet = stream.len() * 2 + 256 <= limit;
            let must = rest.len() > limit;
            let report = (!quiet || must).then_some((Outcome::TooLarge(total), must));
            return (out, report);
        } else if rest.len() >= total {
            out.push(Outcome::Frame(rest[..total].to_vec()));
        } else {
            return (out, None);
        }
        if rest.len() <= total {
            return (out, None);
        }
        rest = &rest[total..];
    }
}

/// Take every result `next_frame` has now. Returns true once the stream
/// is malformed (the framer is dead until `clear`).
fn drain<B: Buffer>(f: &mut Framer<B>, out: &mut Vec<Outcome>, feed: Feed) -> bool {
    for _ in 0..100_000 {
        match f.next_frame() {
            Ok(Some(frame)) => {
                assert!(frame.len() >= 2, "frame shorter than a fixed header");
                out.push(Outcome::Frame(frame.to_vec()));
                if feed == Feed::Wanted {
                    // A reader led by wanted() never reads past a frame.
                    assert_eq!(f.buffered(), 0, "wanted() let a read cross a frame");
                }
            }
            Ok(None) => return false,
            Err(Error::FrameTooLarge { len }) => out.push(Outcome::TooLarge(len)),
            Err(Error::Protocol(ProtocolError::MalformedRemainingLength)) => {
                out.push(Outcome::Malformed);
                // Sticky until clear().
                assert_eq!(
                    f.next_frame(),
                    Err(ProtocolError::MalformedRemainingLength.into())
                );
                return true;
            }
            Err(e) => panic!("unexpected framer error {e:?}"),
        }
    }
    panic!("next_frame never returned Ok(None)");
}

/// Feed `stream` in pieces whose lengths cycle through `cuts`.
fn run_framer<B: Buffer>(mut f: Framer<B>, stream: &[u8], cuts: &[u8], feed: Feed) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut rest = stream;
    let mut cut = cuts.iter().cycle();
    while !rest.is_empty() {
        let piece = cut.next().map_or(rest.len(), |&c| usize::from(c) + 1);
        let (mut chunk, tail) = rest.split_at(piece.min(rest.len()));
        rest = tail;
        while !chunk.is_empty() {
            let n = match feed {
                Feed::Push => {
                    let n = f.push(chunk);
                    assert!(n <= chunk.len());
                    n
                }
                Feed::SpareCommit | Feed::Wanted => {
                    let wanted = f.wanted();
                    let room = f.spare();
                    assert!(!room.is_empty(), "spare() empty with a non-empty buffer");
                    let mut n = room.len().min(chunk.len());
                    if feed == Feed::Wanted {
                        assert!(wanted >= 1, "wanted() is 0 with no whole frame buffered");
                        n = n.min(wanted);
                    }
                    room[..n].copy_from_slice(&chunk[..n]);
                    f.commit(n);
                    n
                }
            };
            chunk = &chunk[n..];
            let before = out.len();
            if drain(&mut f, &mut out, feed) {
                return out;
            }
            // push() may stop early only when frames must be taken first.
            assert!(
                n > 0 || out.len() > before,
                "no progress: push took nothing and no frame came out"
            );
        }
    }
    out
}

/// The harness.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let cfg = input.byte();
    let init = input.byte();
    let n = usize::from(input.byte() % 16);
    let cuts = input.take(n);
    let stream = input.rest();

    let cap = usize::from(cfg & 0x3f) + 1;
    let mut store = [0u8; 64];
    let fixed = run_framer(
        Framer::new(&mut store[..cap]),
        stream,
        cuts,
        Feed::from_bits(cfg >> 6),
    );
    assert_eq!(fixed, model(stream, cap), "fixed buffer of {cap} bytes");

    let growable = VecBuf::new(usize::from(init & 0x0f) + 1, LIMIT);
    let grown = run_framer(
        Framer::new(growable),
        stream,
        cuts,
        Feed::from_bits(init >> 4),
    );
    let (mut want, report) = model_growable(stream, LIMIT, false);
    match report {
        Some((last, true)) => want.push(last),
        Some((last, false)) if grown.len() > want.len() => want.push(last),
        _ => {}
    }
    assert_eq!(grown, want, "growable buffer");

    // Frames both could hold are the same frames, in the same order.
    let small: Vec<&Outcome> = grown
        .iter()
        .filter(|o| !matches!(o, Outcome::Frame(f) if f.len() > cap))
        .collect();
    let fixed_frames: Vec<&Outcome> = fixed
        .iter()
        .filter(|o| matches!(o, Outcome::Frame(_) | Outcome::Malformed))
        .collect();
    let small_frames: Vec<&Outcome> = small
        .into_iter()
        .filter(|o| matches!(o, Outcome::Frame(_) | Outcome::Malformed))
        .collect();
    assert_eq!(fixed_frames, small_frames);
}
