//! Unit tests of the shared codec pieces (varint, cursors, topic rules),
//! against the examples of MQTT 3.1.1 sec 2.2.3 and 4.7.

use super::*;
use crate::error::{ArgError, Error, ProtocolError};

#[test]
fn varint_spec_table() {
    // Boundaries from table 2.4 of the spec.
    let cases: &[(usize, &[u8])] = &[
        (0, &[0x00]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ];
    for &(n, bytes) in cases {
        let mut out = [0u8; 4];
        assert_eq!(varint_len(n), bytes.len());
        assert_eq!(encode_varint(n, &mut out), Ok(bytes.len()));
        assert_eq!(&out[..bytes.len()], bytes);
        assert_eq!(decode_varint(bytes), Ok(Some((n, bytes.len()))));
        // Every proper prefix needs more bytes.
        for cut in 0..bytes.len() {
            assert_eq!(decode_varint(&bytes[..cut]), Ok(None));
        }
    }
}

#[test]
fn varint_errors() {
    let mut out = [0u8; 4];
    assert_eq!(
        encode_varint(MAX_REMAINING_LEN + 1, &mut out),
        Err(Error::InvalidArgument(ArgError::PacketTooLarge))
    );
    assert_eq!(
        encode_varint(128, &mut out[..1]),
        Err(Error::BufferTooSmall { needed: 2 })
    );
    assert_eq!(out, [0; 4]);
    assert_eq!(
        decode_varint(&[0xFF, 0xFF, 0xFF, 0xFF]),
        Err(ProtocolError::MalformedRemainingLength)
    );
    assert_eq!(
        decode_varint(&[0x80, 0x80, 0x80, 0x80, 0x01]),
        Err(ProtocolError::MalformedRemainingLength)
    );
    // Trailing bytes after the varint are not its business.
    assert_eq!(decode_varint(&[0x05, 0xFF]), Ok(Some((5, 1))));
    // Non-minimal encodings are accepted (3.1.1 does not forbid them).
    assert_eq!(decode_varint(&[0x80, 0x00]), Ok(Some((0, 2))));
}

#[test]
fn writer_fields_and_overflow() {
    let mut buf = [0u8; 12];
    let mut w = Writer::new(&mut buf);
    w.put_u8(0xAB).unwrap();
    w.put_u16(0x0102).unwrap();
    w.put_str(b"hi").unwrap();
    w.put_varint(200).unwrap();
    w.put_bytes(b"xy").unwrap();
    assert_eq!(w.position(), 11);
    // A put that does not fit fails and leaves the cursor alone.
    assert_eq!(w.put_u16(1), Err(Error::BufferTooSmall { needed: 13 }));
    assert_eq!(w.put_str(b""), Err(Error::BufferTooSmall { needed: 13 }));
    assert_eq!(w.position(), 11);
    w.put_u8(0xEE).unwrap();
    assert_eq!(
        buf,
        [0xAB, 1, 2, 0, 2, b'h', b'i', 0xC8, 0x01, b'x', b'y', 0xEE]
    );

    let big = [0u8; 65_536];
    let mut out = [0u8; 70_000];
    let mut w = Writer::new(&mut out);
    assert_eq!(w.put_str(&big), Err(ArgError::StringTooLong.into()));
    assert_eq!(
        w.put_varint(MAX_REMAINING_LEN + 1),
        Err(ArgError::PacketTooLarge.into())
    );
    assert_eq!(w.put_str(&big[..65_535]), Ok(()));
    assert_eq!(w.position(), 65_537);
}

#[test]
fn reader_fields_and_short_input() {
    let data = [7u8, 0x01, 0x02, 0, 2, b'h', b'i', 0xC8, 0x01, b'r'];
    let mut r = Reader::new(&data);
    assert_eq!(r.u8(), Ok(7));
    assert_eq!(r.u16(), Ok(0x0102));
    assert_eq!(r.str(), Ok(&b"hi"[..]));
    assert_eq!(r.varint(), Ok(200));
    assert_eq!(r.remaining(), 1);
    assert_eq!(r.take(2), Err(ProtocolError::PacketTooShort));
    assert_eq!(r.rest(), b"r");
    assert!(r.is_empty());
    assert_eq!(r.u8(), Err(ProtocolError::PacketTooShort));
    assert_eq!(r.u16(), Err(ProtocolError::PacketTooShort));

    // A string whose length runs past the end fails and consumes nothing.
    let data = [0u8, 5, b'a'];
    let mut r = Reader::new(&data);
    assert_eq!(r.str(), Err(ProtocolError::PacketTooShort));
    assert_eq!(r.remaining(), 3);
    let mut r = Reader::new(&[0x80]);
    assert_eq!(r.varint(), Err(ProtocolError::PacketTooShort));
}

#[test]
fn packet_type_bytes() {
    for v in 0u8..16 {
        let t = PacketType::from_u8(v);
        assert_eq!(t.is_some(), (1..=14).contains(&v));
        if let Some(t) = t {
            assert_eq!(t as u8, v);
            assert_eq!(t.first_byte() >> 4, v);
        }
    }
    assert_eq!(PacketType::Subscribe.first_byte(), 0x82);
    assert_eq!(PacketType::Unsubscribe.first_byte(), 0xA2);
    assert_eq!(PacketType::PubRel.first_byte(), 0x62);
    assert_eq!(PacketType::PingReq.first_byte(), 0xC0);
    assert_eq!(PacketType::Publish.fixed_flags(), None);
}

#[test]
fn topic_names() {
    for ok in [
        &b"a"[..],
        b"/",
        b"a/b/c",
        b"sport/tennis/player1",
        "caf\u{e9}/\u{1F600}".as_bytes(),
        b" ",
    ] {
        assert_eq!(check_topic_name(ok), Ok(()), "{ok:?}");
    }
    assert_eq!(check_topic_name(b""), Err(ArgError::EmptyTopic));
    assert_eq!(check_topic_name(b"a/+/b"), Err(ArgError::WildcardInTopic));
    assert_eq!(check_topic_name(b"a/#"), Err(ArgError::WildcardInTopic));
    assert_eq!(check_topic_name(b"a+"), Err(ArgError::WildcardInTopic));
    assert_eq!(check_topic_name(b"a\0b"), Err(ArgError::InvalidUtf8));
    assert_eq!(check_topic_name(b"\xff"), Err(ArgError::InvalidUtf8));
    // Overlong encoding of '/', and a UTF-16 surrogate: not UTF-8.
    assert_eq!(check_topic_name(b"\xc0\xaf"), Err(ArgError::InvalidUtf8));
    assert_eq!(
        check_topic_name(b"\xed\xa0\x80"),
        Err(ArgError::InvalidUtf8)
    );
    let long = [b'a'; 65_536];
    assert_eq!(check_topic_name(&long[..65_535]), Ok(()));
    assert_eq!(check_topic_name(&long), Err(ArgError::StringTooLong));
}

/// The ASCII fast path of `check_topic_name` and `check_sent_topic_name`
/// answers as the full checks do (UTF-8 first, then wildcards), for every
/// byte at every position.
#[test]
fn topic_name_fast_path_agrees() {
    fn full(t: &[u8], sent: bool) -> Result<(), ArgError> {
        check_mqtt_str(t, sent)?;
        if t.iter().any(|&b| b == b'+' || b == b'#') {
            return Err(ArgError::WildcardInTopic);
        }
        Ok(())
    }
    for b in 0..=255u8 {
        for t in [
            &[b][..],
            &[b'a', b, b'/', b'z'],
            &[b'#', b],
            &[0xc3, b],
            &[b, 0xa9, b'+'],
        ] {
            assert_eq!(check_topic_name(t), full(t, false), "{t:?}");
            assert_eq!(check_sent_topic_name(t), full(t, true), "{t:?}");
        }
    }
}

#[test]
fn topic_filters() {
    // Valid examples from sec 4.7.1.
    for ok in [
        &b"sport/tennis/player1/#"[..],
        b"sport/#",
        b"#",
        b"+",
        b"+/tennis/#",
        b"sport/+/player1",
        b"/+",
        b"+/+",
        b"a//b",
        b"/",
    ] {
        assert_eq!(check_topic_filter(ok), Ok(()), "{ok:?}");
    }
    for bad in [
        &b"sport/tennis#"[..],
        b"sport/tennis/#/ranking",
        b"sport+",
        b"a/b+/c",
        b"##",
        b"#/",
        b"++",
    ] {
        assert_eq!(
            check_topic_filter(bad),
            Err(ArgError::InvalidFilter),
            "{bad:?}"
        );
    }
    assert_eq!(check_topic_filter(b""), Err(ArgError::EmptyTopic));
    assert_eq!(check_topic_filter(b"a/\0"), Err(ArgError::InvalidUtf8));
}

/// The one-pass filter check agrees with the rule stated level by level
/// (sec 4.7.1) on every filter of up to 7 bytes over `a / + #`.
#[test]
fn topic_filter_rule_by_levels() {
    let by_levels = |f: &[u8]| {
        let mut levels = f.split(|&b| b == b'/').peekable();
        while let Some(level) = levels.next() {
            let ok = match level {
                b"#" => levels.peek().is_none(),
                b"+" => true,
                _ => !level.iter().any(|&b| b == b'+' || b == b'#'),
            };
            if !ok {
                return false;
            }
        }
        true
    };
    let mut buf = [0u8; 7];
    for len in 1..=7u32 {
        for n in 0..4u32.pow(len) {
            let f = &mut buf[..len as usize];
            for (i, b) in f.iter_mut().enumerate() {
                *b = b"a/+#"[(n >> (2 * i) & 3) as usize];
            }
            assert_eq!(check_topic_filter(f).is_ok(), by_levels(f), "{f:?}");
        }
    }
}

#[test]
fn utf8_strings() {
    assert_eq!(check_utf8(b""), Ok(()));
    assert_eq!(
        check_utf8("abc \u{7f} \u{80} \u{7ff} \u{800} \u{ffff} \u{10000} \u{10ffff}".as_bytes()),
        Ok(())
    );
    for bad in [
        &b"\0"[..],
        b"a\0b",
        b"\xc0\x80",         // overlong U+0000
        b"\xe0\x9f\xbf",     // overlong U+07FF
        b"\xf0\x8f\xbf\xbf", // overlong U+FFFF
        b"\xed\xa0\x80",     // surrogate U+D800
        b"\xed\xbf\xbf",     // surrogate U+DFFF
        b"\xf4\x90\x80\x80", // U+110000
        b"\xf5\x80\x80\x80",
        b"\xff",
        b"\x80", // lone continuation
        b"\xc3", // truncated
        b"\xe2\x82",
        b"\xc3(",
    ] {
        assert_eq!(check_utf8(bad), Err(ArgError::InvalidUtf8), "{bad:?}");
    }
    assert_eq!(check_utf8(&[b'a'; 65_535]), Ok(()));
    assert_eq!(check_utf8(&[b'a'; 65_536]), Err(ArgError::StringTooLong));
}

#[test]
fn sent_strings_have_no_control_characters() {
    // 3.1.1 sec 1.5.3 / 5.0 sec 1.5.4: control characters and
    // non-characters; Mosquitto closes the connection over any of them.
    for bad in [
        "\u{1}",
        "a\tb",
        "\n",
        "\u{1f}",
        "\u{7f}",
        "\u{80}",
        "\u{9f}",
        "\u{fdd0}",
        "\u{fdef}",
        "\u{fffe}",
        "\u{ffff}",
        "\u{1fffe}",
        "\u{10ffff}",
    ] {
        assert_eq!(
            check_sent_utf8(bad.as_bytes()),
            Err(ArgError::ControlCharacter),
            "{bad:?}"
        );
        // Received, they are taken.
        assert_eq!(check_utf8(bad.as_bytes()), Ok(()), "{bad:?}");
        // A PUBLISH's topic as received is taken; the user's is checked.
        let topic = ["t/", bad].concat();
        let t = topic.as_bytes();
        assert_eq!(check_sent_topic_name(t), Err(ArgError::ControlCharacter));
        assert_eq!(check_topic_name(t), Ok(()));
        // Filters: only a client sends them.
        assert_eq!(check_topic_filter(t), Err(ArgError::ControlCharacter));
    }
    for good in [
        " ~",
        "\u{a0}",
        "\u{fdcf}",
        "\u{fdf0}",
        "\u{fffd}",
        "\u{10000}",
        "\u{10fffd}",
    ] {
        assert_eq!(check_sent_utf8(good.as_bytes()), Ok(()), "{good:?}");
    }
    // Malformed UTF-8 and NUL stay InvalidUtf8; a wildcard is checked after.
    assert_eq!(check_sent_utf8(b"\0"), Err(ArgError::InvalidUtf8));
    assert_eq!(check_sent_utf8(b"\xff\x01"), Err(ArgError::InvalidUtf8));
    assert_eq!(check_topic_name(b"a\x01+"), Err(ArgError::WildcardInTopic));
    assert_eq!(check_sent_topic_name(b""), Err(ArgError::EmptyTopic));
}

/// The hand-written validator agrees with `core::str::from_utf8` (plus the
/// NUL rule) on every sequence of 1 to 3 bytes, and on 4-byte ones: every
/// lead from 0xf0 with every continuation triple, and with the bytes next to
/// the continuation range in each position.
#[test]
fn utf8_agrees_with_core() {
    let same = |s: &[u8]| {
        let text = core::str::from_utf8(s).ok().filter(|_| !s.contains(&0));
        assert_eq!(check_utf8(s).is_ok(), text.is_some(), "{s:x?}");
        // And the sender's rule with char's own classes: controls, and the
        // non-characters (U+FDD0..U+FDEF, the last two of every plane).
        let non_char =
            |c: char| matches!(c, '\u{fdd0}'..='\u{fdef}') || c as u32 & 0xfffe == 0xfffe;
        let sendable = text.is_some_and(|t| !t.chars().any(|c| c.is_control() || non_char(c)));
        assert_eq!(check_sent_utf8(s).is_ok(), sendable, "{s:x?}");
    };
    for n in 0..1u32 << 24 {
        let [_, a, b, c] = n.to_be_bytes();
        same(&[a, b, c]);
        if a == 0 {
            same(&[b, c]);
        }
        if a == 0 && b == 0 {
            same(&[c]);
        }
    }
    let near = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0xa5, 0xbf, 0xc0];
    for lead in 0xf0..=0xffu8 {
        for n in 0..1u32 << 18 {
            let cont = |k: u32| 0x80 | (n >> k) as u8 & 0x3f;
            same(&[lead, cont(12), cont(6), cont(0)]);
        }
        for &a in &near {
            for &b in &near {
                for &c in &near {
                    same(&[lead, a, b, c]);
                }
            }
        }
    }
}

#[test]
fn frame_len_limits() {
    assert_eq!(frame_len(0), Ok(2));
    assert_eq!(frame_len(127), Ok(129));
    assert_eq!(frame_len(128), Ok(131));
    assert_eq!(frame_len(MAX_REMAINING_LEN), Ok(MAX_REMAINING_LEN + 5));
    assert_eq!(
        frame_len(MAX_REMAINING_LEN + 1),
        Err(ArgError::PacketTooLarge.into())
    );
}
