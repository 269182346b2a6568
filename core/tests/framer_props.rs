//! Property tests of the framer: a stream of frames cut at random points
//! and fed through `push` or `spare`/`commit` gives back the same frames;
//! oversized frames are reported once and skipped without losing sync; a
//! reader led by `wanted()` never reads past a frame; random bytes never
//! cause a panic or a hang.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use proptest::prelude::*;
use umqtt_core::codec::encode_varint;
use umqtt_core::framer::Framer;
use umqtt_core::{Buffer, Error, ProtocolError};

/// A Vec-backed buffer that grows up to `limit`, like the bindings' one,
/// counting its grows and the largest size asked for.
struct VecBuf {
    v: Vec<u8>,
    limit: usize,
    grows: usize,
    asked: usize,
}

impl Buffer for VecBuf {
    fn bytes(&self) -> &[u8] {
        &self.v
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.v
    }
    fn grow(&mut self, len: usize) -> bool {
        self.asked = self.asked.max(len);
        if len > self.limit {
            return false;
        }
        if len > self.v.len() {
            self.v.resize(len, 0);
            self.grows += 1;
        }
        true
    }
}

fn vecbuf(size: usize, limit: usize) -> VecBuf {
    VecBuf {
        v: vec![0; size],
        limit,
        grows: 0,
        asked: 0,
    }
}

/// What the framer hands out, in order.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Frame(Vec<u8>),
    TooLarge(usize),
}

/// One frame: any first byte (the framer does not look at it) and a body
/// of random length, with a minimal remaining-length header.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    let body_len = prop_oneof![4 => 0usize..20, 2 => 20usize..200, 1 => 200usize..20_000];
    (any::<u8>(), body_len, any::<u8>()).prop_map(|(first, len, fill)| {
        let mut f = vec![first];
        let mut vl = [0u8; 4];
        let n = encode_varint(len, &mut vl).unwrap();
        f.extend_from_slice(&vl[..n]);
        f.extend(std::iter::repeat_n(fill, len));
        f
    })
}

/// Sorted cut points into a stream of `len` bytes.
fn cuts(len: usize, raw: &[prop::sample::Index]) -> Vec<usize> {
    let mut c: Vec<usize> = raw.iter().map(|i| i.index(len + 1)).collect();
    c.sort_unstable();
    c
}

fn drain<B: Buffer>(f: &mut Framer<B>, out: &mut Vec<Out>) {
    // Bounded: each call either returns a frame (consuming bytes), an error
    // once, or None.
    for _ in 0..100_000 {
        match f.next_frame() {
            Ok(Some(fr)) => out.push(Out::Frame(fr.to_vec())),
            Ok(None) => return,
            Err(Error::FrameTooLarge { len }) => out.push(Out::TooLarge(len)),
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    panic!("next_frame loops");
}

/// Feed `stream` in pieces (cut at `cuts`) with `push` or `spare`/`commit`.
fn feed<B: Buffer>(f: &mut Framer<B>, stream: &[u8], cuts: &[usize], use_push: bool) -> Vec<Out> {
    let mut out = Vec::new();
    let mut prev = 0;
    for &c in cuts.iter().chain(std::iter::once(&stream.len())) {
        let mut piece = &stream[prev..c];
        prev = c;
        while !piece.is_empty() {
            let n = if use_push {
                f.push(piece)
            } else {
                let want = f.wanted();
                let room = f.spare();
                let room_len = room.len();
                let n = room_len.min(piece.len());
                room[..n].copy_from_slice(&piece[..n]);
                // Compaction leaves room for the rest of the frame in one
                // read if it fits (a bigger one grows the buffer as it comes).
                let free = f.buffer().bytes().len() - f.buffered();
                assert!(
                    room_len >= want.min(free),
                    "room {room_len} < wanted {want} (free {free})"
                );
                f.commit(n);
                n
            };
            piece = &piece[n..];
            drain(f, &mut out);
            if n == 0 {
                panic!("framer took nothing after next_frame() returned None");
            }
        }
    }
    drain(f, &mut out);
    out
}

fn expected(frames: &[Vec<u8>], max: usize) -> Vec<Out> {
    frames
        .iter()
        .map(|f| {
            if f.len() <= max {
                Out::Frame(f.clone())
            } else {
                Out::TooLarge(f.len())
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A big enough buffer returns exactly the frames, wherever the stream is cut.
    #[test]
    fn split_anywhere_same_frames(
        frames in prop::collection::vec(frame(), 0..12),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        use_push in any::<bool>(),
    ) {
        let stream = frames.concat();
        let cuts = cuts(stream.len(), &raw_cuts);
        let max = frames.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let mut f = Framer::new(vecbuf(max, max));
        let got = feed(&mut f, &stream, &cuts, use_push);
        prop_assert_eq!(got, expected(&frames, usize::MAX));
        prop_assert_eq!(f.buffered(), 0);
    }

    /// A fixed small buffer: frames that fit come out, bigger ones are
    /// reported once each, in stream order, and framing never slips.
    #[test]
    fn oversized_frames_skipped(
        frames in prop::collection::vec(frame(), 0..12),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        size in 1usize..64,
        use_push in any::<bool>(),
    ) {
        let stream = frames.concat();
        let cuts = cuts(stream.len(), &raw_cuts);
        let mut f = Framer::new(vecbuf(size, 0));
        let got = feed(&mut f, &stream, &cuts, use_push);
        prop_assert_eq!(got, expected(&frames, size));
    }

    /// A growable buffer with a limit grows for frames up to the limit and
    /// skips the rest.
    #[test]
    fn grows_up_to_limit(
        frames in prop::collection::vec(frame(), 0..12),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        size in 1usize..32,
        limit in 32usize..400,
        use_push in any::<bool>(),
    ) {
        let stream = frames.concat();
        let cuts = cuts(stream.len(), &raw_cuts);
        let mut f = Framer::new(vecbuf(size, limit));
        let got = feed(&mut f, &stream, &cuts, use_push);
        prop_assert_eq!(got, expected(&frames, limit));
        prop_assert!(f.buffer().v.len() <= limit.max(size));
    }

    /// A blocking reader that reads min(wanted, spare) never reads past the
    /// frame being completed: after every frame nothing is left over.
    #[test]
    fn wanted_stops_at_frame_end(
        frames in prop::collection::vec(frame(), 1..10),
        size in 1usize..300,
        chunk_limit in 1usize..50,
    ) {
        let stream = frames.concat();
        let mut f = Framer::new(vecbuf(size, 0));
        let mut got = Vec::new();
        let mut pos = 0;
        let mut steps = 0;
        while pos < stream.len() {
            steps += 1;
            prop_assert!(steps < 100_000);
            let want = f.wanted();
            prop_assert!(want >= 1, "wanted 0 with no whole frame buffered");
            let room = f.spare();
            // The rest of the frame can always be read in one go.
            prop_assert!(room.len() >= want.min(size));
            let n = want.min(room.len()).min(chunk_limit).min(stream.len() - pos);
            room[..n].copy_from_slice(&stream[pos..pos + n]);
            f.commit(n);
            pos += n;
            let before = got.len();
            drain(&mut f, &mut got);
            if got.len() > before {
                prop_assert_eq!(f.buffered(), 0, "read past a frame");
            }
        }
        prop_assert_eq!(got, expected(&frames, size));
    }

    /// Random bytes: no panic, no endless loop; a malformed length is
    /// reported and stays reported.
    #[test]
    fn random_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        size in 0usize..80,
        limit in 0usize..200,
        use_push in any::<bool>(),
    ) {
        let cuts = cuts(bytes.len(), &raw_cuts);
        let mut f = Framer::new(vecbuf(size, limit));
        let mut prev = 0;
        let mut fatal = false;
        for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
            let mut piece = &bytes[prev..c];
            prev = c;
            for _ in 0..10_000 {
                if piece.is_empty() {
                    break;
                }
                let n = if use_push {
                    f.push(piece)
                } else {
                    let room = f.spare();
                    let n = room.len().min(piece.len());
                    room[..n].copy_from_slice(&piece[..n]);
                    f.commit(n);
                    n
                };
                piece = &piece[n..];
                let _ = f.wanted();
                for _ in 0..10_000 {
                    match f.next_frame() {
                        Ok(Some(fr)) => prop_assert!(fr.len() >= 2),
                        Ok(None) => break,
                        Err(Error::FrameTooLarge { .. }) => {}
                        Err(Error::Protocol(ProtocolError::MalformedRemainingLength)) => {
                            fatal = true;
                            break;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
                if size == 0 && limit < 5 && n == 0 {
                    break; // a zero-size buffer that cannot grow takes nothing
                }
            }
        }
        if fatal {
            prop_assert_eq!(
                f.next_frame(),
                Err(Error::Protocol(ProtocolError::MalformedRemainingLength))
            );
        }
    }
}

#[test]
fn fifth_length_byte_is_fatal_wherever_split() {
    let stream = [0x30u8, 0x80, 0x80, 0x80, 0x80, 0x01, 0xD0, 0];
    for cut in 0..stream.len() {
        let mut f = Framer::new(vecbuf(16, 16));
        f.push(&stream[..cut]);
        let e = Err(Error::Protocol(ProtocolError::MalformedRemainingLength));
        let first = f.next_frame().map(|o| o.map(<[u8]>::to_vec));
        f.push(&stream[cut..]);
        let second = f.next_frame().map(|o| o.map(<[u8]>::to_vec));
        assert!(
            first == e || (first == Ok(None) && second == e),
            "cut {cut}"
        );
    }
}

#[test]
fn big_frame_grows_the_buffer_by_doubling_to_its_length() {
    let mut frame = vec![0x30u8, 0xE8, 0x07]; // remaining length 1000
    frame.resize(1003, 7);
    let mut f = Framer::new(vecbuf(16, 4096));
    for chunk in frame.chunks(10) {
        assert_eq!(f.push(chunk), chunk.len());
    }
    assert_eq!(f.next_frame().unwrap(), Some(&frame[..]));
    // 16 -> 271 (first step) -> 542 -> 1003.
    assert_eq!(f.buffer().grows, 3);
    assert_eq!(f.buffer().v.len(), 1003);
}

/// A frame of `len` bytes (PUBLISH, remaining length `len - 5`, 4-byte
/// length field so the header is always 5 bytes).
fn frame5(len: usize) -> Vec<u8> {
    let rl = len - 5;
    let mut f = vec![0x30u8];
    for i in 0..4 {
        let b = ((rl >> (7 * i)) & 0x7f) as u8;
        f.push(if i < 3 { b | 0x80 } else { b });
    }
    f.resize(len, 0xA5);
    f
}

#[test]
fn announced_length_alone_does_not_grow_the_buffer() {
    // `30 FF FF FF 7F` announces the MQTT maximum (256 MB). The buffer must
    // grow with the bytes that arrive, not with what the header promises.
    for use_push in [true, false] {
        let mut f = Framer::new(vecbuf(64, usize::MAX));
        let mut stream = vec![0x30u8, 0xFF, 0xFF, 0xFF, 0x7F];
        stream.extend_from_slice(b"\x00\x01tsome bytes");
        let cuts: Vec<usize> = (1..stream.len()).collect();
        let got = feed(&mut f, &stream, &cuts, use_push);
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(f.buffered(), stream.len());
        assert!(f.buffer().asked <= 512, "asked for {}", f.buffer().asked);
        assert!(f.buffer().v.len() <= 512);
        assert_eq!(f.wanted(), 268_435_460 - stream.len());

        // 100 KB more: still at most about twice what arrived.
        let more = vec![0u8; 100_000];
        feed(&mut f, &more, &[], use_push);
        let held = f.buffered();
        assert_eq!(held, stream.len() + more.len());
        assert!(
            f.buffer().v.len() <= 2 * held,
            "{} for {held}",
            f.buffer().v.len()
        );
        assert!(f.buffer().asked <= 2 * held);
    }
}

#[test]
fn legit_big_frames_need_logarithmically_many_grows() {
    for len in [1 << 20, 20 << 20] {
        let frame = frame5(len);
        let mut stream = frame.clone();
        stream.extend_from_slice(&[0xD0, 0]);
        for use_push in [true, false] {
            let mut f = Framer::new(vecbuf(4096, usize::MAX));
            // Socket-sized pieces.
            let cuts: Vec<usize> = (1..stream.len() / 65_536).map(|i| i * 65_536).collect();
            let got = feed(&mut f, &stream, &cuts, use_push);
            assert_eq!(
                got,
                vec![Out::Frame(frame.clone()), Out::Frame(vec![0xD0, 0])]
            );
            let b = f.buffer();
            // 4 KiB doubling to 1 MiB is 8 grows, to 20 MiB 13.
            assert!(b.grows <= 14, "{} grows for {len}", b.grows);
            assert!(b.v.len() >= len && b.v.len() <= 2 * len);
        }
    }
}

#[test]
fn oversized_frame_under_a_limit_is_skipped_once_the_limit_is_reached() {
    // The growable buffer stops at 10,000 bytes: a 1 MB frame fills it,
    // then it is reported and skipped; the next frame comes through.
    let frame = frame5(1 << 20);
    let mut stream = frame.clone();
    stream.extend_from_slice(&[0xD0, 0]);
    for use_push in [true, false] {
        let mut f = Framer::new(vecbuf(16, 10_000));
        let cuts: Vec<usize> = (1..stream.len() / 3_000).map(|i| i * 3_000).collect();
        let got = feed(&mut f, &stream, &cuts, use_push);
        assert_eq!(got, vec![Out::TooLarge(1 << 20), Out::Frame(vec![0xD0, 0])]);
        assert!(f.buffer().v.len() <= 10_000);
    }
}
