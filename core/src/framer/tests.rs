use super::*;

/// A buffer that grows up to a limit, like the bindings' Vec-backed one,
/// but with fixed storage so the test needs no allocator.
struct Growable {
    store: [u8; 64],
    len: usize,
}

impl Buffer for Growable {
    fn bytes(&self) -> &[u8] {
        &self.store[..self.len]
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.store[..self.len]
    }
    fn grow(&mut self, len: usize) -> bool {
        if len > self.store.len() {
            return false;
        }
        self.len = self.len.max(len);
        true
    }
}

const PINGRESP: [u8; 2] = [0xD0, 0];
const PUBACK: [u8; 4] = [0x40, 2, 0, 1];

#[test]
fn whole_frames_in_one_push() {
    let mut f = Framer::new([0u8; 16]);
    let mut stream = [0u8; 8];
    stream[..4].copy_from_slice(&PUBACK);
    stream[4..6].copy_from_slice(&PINGRESP);
    stream[6..].copy_from_slice(&PINGRESP);
    assert_eq!(f.push(&stream), 8);
    assert_eq!(f.buffered(), 8);
    assert_eq!(f.next_frame().unwrap(), Some(&PUBACK[..]));
    assert_eq!(f.next_frame().unwrap(), Some(&PINGRESP[..]));
    assert_eq!(f.next_frame().unwrap(), Some(&PINGRESP[..]));
    assert_eq!(f.next_frame().unwrap(), None);
    assert_eq!(f.buffered(), 0);
    assert_eq!(f.wanted(), 2);
}

#[test]
fn byte_by_byte_with_wanted() {
    // 2-byte remaining length (130): split inside the varint.
    let mut frame = [0u8; 133];
    frame[..3].copy_from_slice(&[0x30, 0x82, 0x01]);
    frame[3..6].copy_from_slice(&[0, 1, b't']);
    let mut f = Framer::new([0u8; 200]);
    assert_eq!(f.wanted(), 2);
    f.push(&frame[..1]);
    assert_eq!(f.wanted(), 1);
    f.push(&frame[1..2]);
    assert_eq!(f.wanted(), 1);
    assert_eq!(f.next_frame().unwrap(), None);
    f.push(&frame[2..3]);
    assert_eq!(f.wanted(), 130);
    for (i, b) in frame[3..].iter().enumerate() {
        assert_eq!(f.next_frame().unwrap(), None);
        assert_eq!(f.wanted(), 130 - i);
        f.push(core::slice::from_ref(b));
    }
    assert_eq!(f.wanted(), 0);
    assert_eq!(f.next_frame().unwrap(), Some(&frame[..]));
}

#[test]
fn spare_commit_and_exact_fit() {
    // The buffer is exactly one PUBACK long.
    let mut f = Framer::new([0u8; 4]);
    for _ in 0..3 {
        for chunk in PUBACK.chunks(3) {
            let room = f.spare();
            assert!(!room.is_empty());
            room[..chunk.len()].copy_from_slice(chunk);
            f.commit(chunk.len());
        }
        assert_eq!(f.next_frame().unwrap(), Some(&PUBACK[..]));
        assert_eq!(f.next_frame().unwrap(), None);
    }
}

#[test]
fn compaction_keeps_partial_frame() {
    let mut f = Framer::new([0u8; 6]);
    // PUBACK + half a PUBACK fill 6 bytes.
    assert_eq!(f.push(&PUBACK), 4);
    assert_eq!(f.push(&PUBACK[..2]), 2);
    assert_eq!(f.push(&PUBACK[2..]), 0); // full of an untaken frame
    assert_eq!(f.next_frame().unwrap(), Some(&PUBACK[..]));
    assert_eq!(f.next_frame().unwrap(), None);
    assert_eq!(f.spare().len(), 4); // compacted to the front
    assert_eq!(f.push(&PUBACK[2..]), 2);
    assert_eq!(f.next_frame().unwrap(), Some(&PUBACK[..]));
}

#[test]
fn grows_for_big_frame() {
    let mut f = Framer::new(Growable {
        store: [0; 64],
        len: 8,
    });
    let mut frame = [0u8; 40];
    frame[..5].copy_from_slice(&[0x30, 38, 0, 1, b't']);
    assert_eq!(f.push(&frame), 40);
    assert!(f.buffer().len >= 40);
    assert_eq!(f.next_frame().unwrap(), Some(&frame[..]));
}

#[test]
fn skips_oversized_frame_and_resyncs() {
    let mut big = [0u8; 30];
    big[..5].copy_from_slice(&[0x30, 28, 0, 1, b't']);
    for capacity in [8usize, 3] {
        // Cut the stream at every point; the error comes exactly once.
        let mut stream = [0u8; 36];
        stream[..30].copy_from_slice(&big);
        stream[30..34].copy_from_slice(&PUBACK);
        stream[34..].copy_from_slice(&PINGRESP);
        for cut in 0..stream.len() {
            let mut store = [0u8; 8];
            let mut f = Framer::new(&mut store[..capacity]);
            let (mut errors, mut frames) = ([0usize; 2], 0);
            for part in [&stream[..cut], &stream[cut..]] {
                let mut rest = part;
                while !rest.is_empty() {
                    let n = f.push(rest);
                    rest = &rest[n..];
                    loop {
                        match f.next_frame() {
                            Ok(Some(fr)) => {
                                assert!(fr == PUBACK || fr == PINGRESP);
                                frames += 1;
                            }
                            Ok(None) => break,
                            Err(Error::FrameTooLarge { len: 30 }) => errors[0] += 1,
                            // With 3 bytes even the PUBACK is too large.
                            Err(Error::FrameTooLarge { len: 4 }) => errors[1] += 1,
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
            }
            let expected = if capacity >= 4 {
                ([1, 0], 2)
            } else {
                ([1, 1], 1)
            };
            assert_eq!((errors, frames), expected, "capacity {capacity} cut {cut}");
        }
    }
}

#[test]
fn skip_mode_through_spare_and_wanted() {
    let mut f = Framer::new([0u8; 8]);
    let mut big = [0u8; 20];
    big[..2].copy_from_slice(&[0x30, 18]);
    // A blocking reader: read min(wanted, spare) each time.
    let mut stream: [u8; 22] = [0; 22];
    stream[..20].copy_from_slice(&big);
    stream[20..].copy_from_slice(&PINGRESP);
    let mut pos = 0;
    let mut got = None;
    let mut errors = 0;
    while pos < stream.len() {
        let want = f.wanted();
        let room = f.spare();
        let n = want.min(room.len()).min(stream.len() - pos);
        assert!(n > 0);
        room[..n].copy_from_slice(&stream[pos..pos + n]);
        f.commit(n);
        pos += n;
        match f.next_frame() {
            Err(Error::FrameTooLarge { len: 20 }) => errors += 1,
            Ok(Some(fr)) => got = Some([fr[0], fr[1]]),
            Ok(None) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(got, Some(PINGRESP));
}

#[test]
fn malformed_length_is_sticky_until_clear() {
    let mut f = Framer::new([0u8; 16]);
    f.push(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
    let e = Err(Error::Protocol(ProtocolError::MalformedRemainingLength));
    assert_eq!(f.next_frame(), e);
    assert_eq!(f.next_frame(), e);
    assert!(!f.spare().is_empty());
    f.clear();
    f.push(&PINGRESP);
    assert_eq!(f.next_frame().unwrap(), Some(&PINGRESP[..]));
}

#[test]
fn clear_drops_partial_and_skip_state() {
    let mut f = Framer::new([0u8; 4]);
    f.push(&[0x30, 100, 0]);
    assert!(matches!(
        f.next_frame(),
        Err(Error::FrameTooLarge { len: 102 })
    ));
    f.clear();
    assert_eq!(f.buffered(), 0);
    f.push(&PUBACK);
    assert_eq!(f.next_frame().unwrap(), Some(&PUBACK[..]));
}

#[test]
fn empty_buffer_never_panics() {
    let mut store = [0u8; 0];
    let mut f = Framer::new(&mut store[..]);
    assert!(f.spare().is_empty());
    f.commit(5);
    assert_eq!(f.push(&PINGRESP), 0);
    assert_eq!(f.next_frame(), Ok(None));
}
