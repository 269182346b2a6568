//! Hostile and legal-but-unusual MQTT 5 server frames, each citing the
//! statement of MQTT 5.0 it breaks (or uses), for the codec-level table
//! (v5_hostile.rs) and the same rows through the Connection
//! (connection_v5.rs). The setting they assume: we announced
//! `topic_alias_maximum` 2, `receive_maximum` 2, `maximum_packet_size` 64.
#![allow(dead_code)]

pub const CONNACK: &[u8] = &[0x20, 3, 0, 0, 0];

/// (statement, frames before, the hostile frame, DISCONNECT reason)
pub type Hostile = (&'static str, &'static [&'static [u8]], &'static [u8], u8);
/// (statement, frames before, the frame, the topic it resolves to)
pub type Legal = (
    &'static str,
    &'static [&'static [u8]],
    &'static [u8],
    Option<&'static [u8]>,
);

pub const HOSTILE: &[Hostile] = &[
    (
        "2.2.2.2 unknown property id",
        &[],
        &[0x20, 4, 0, 0, 1, 0x04],
        0x81,
    ),
    (
        "2.2.2.2 property not valid on CONNACK (topic alias)",
        &[],
        &[0x20, 6, 0, 0, 3, 0x23, 0, 1],
        0x81,
    ),
    (
        "2.2.2.2 property not valid on PUBLISH (maximum QoS)",
        &[CONNACK],
        &[0x30, 6, 0, 1, b't', 2, 0x24, 1],
        0x81,
    ),
    (
        "2.2.2.1 property length beyond the packet",
        &[],
        &[0x20, 3, 0, 0, 9],
        0x81,
    ),
    (
        "2.2.2.2 truncated four-byte property",
        &[],
        &[0x20, 6, 0, 0, 3, 0x27, 0, 0],
        0x81,
    ),
    (
        "1.5.4-1 reason string not UTF-8",
        &[],
        &[0x20, 7, 0, 0, 4, 0x1F, 0, 1, 0xC3],
        0x81,
    ),
    (
        "1.5.4-2 user property with U+0000",
        &[CONNACK],
        &[0x40, 10, 0, 1, 0, 6, 0x26, 0, 1, 0, 0, 0],
        0x81,
    ),
    (
        "1.5.5-1 padded property length",
        &[],
        &[0x20, 4, 0, 0, 0x80, 0],
        0x81,
    ),
    (
        "3.2.2.1 reserved CONNACK flag bits",
        &[],
        &[0x20, 3, 0x02, 0, 0],
        0x81,
    ),
    (
        "3.2.2.2 reason code not defined for CONNACK",
        &[],
        &[0x20, 3, 0, 0x8E, 0],
        0x81,
    ),
    (
        "3.2.2.3.3 receive maximum twice",
        &[],
        &[0x20, 9, 0, 0, 6, 0x21, 0, 5, 0x21, 0, 5],
        0x82,
    ),
    (
        "3.2.2.3.3 receive maximum 0",
        &[],
        &[0x20, 6, 0, 0, 3, 0x21, 0, 0],
        0x82,
    ),
    (
        "3.2.2.3.4 maximum QoS 2",
        &[],
        &[0x20, 5, 0, 0, 2, 0x24, 2],
        0x82,
    ),
    (
        "3.2.2.3.5 retain available 2",
        &[],
        &[0x20, 5, 0, 0, 2, 0x25, 2],
        0x82,
    ),
    (
        "3.2.2.3.7 assigned client id twice",
        &[],
        &[0x20, 11, 0, 0, 8, 0x12, 0, 1, b'a', 0x12, 0, 1, b'b'],
        0x82,
    ),
    (
        "3.2.2.3.18 authentication data without method",
        &[],
        &[0x20, 6, 0, 0, 3, 0x16, 0, 0],
        0x82,
    ),
    (
        "3.3.1-2 DUP on QoS 0",
        &[CONNACK],
        &[0x38, 4, 0, 1, b't', 0],
        0x81,
    ),
    (
        "3.3.2-8 topic alias 0",
        &[CONNACK],
        &[0x30, 7, 0, 1, b't', 3, 0x23, 0, 0],
        0x94,
    ),
    (
        "3.3.2-9 topic alias above our maximum (2)",
        &[CONNACK],
        &[0x30, 7, 0, 1, b't', 3, 0x23, 0, 3],
        0x94,
    ),
    (
        "3.3.4 empty topic, alias never set",
        &[CONNACK],
        &[0x30, 6, 0, 0, 3, 0x23, 0, 1],
        0x82,
    ),
    (
        "3.3.2-1 empty topic without alias",
        &[CONNACK],
        &[0x30, 3, 0, 0, 0],
        0x82,
    ),
    (
        "3.3.2.3.4 topic alias twice",
        &[CONNACK],
        &[0x30, 10, 0, 1, b't', 6, 0x23, 0, 1, 0x23, 0, 1],
        0x82,
    ),
    (
        "3.3.2.3.8 subscription identifier 0",
        &[CONNACK],
        &[0x30, 6, 0, 1, b't', 2, 0x0B, 0],
        0x82,
    ),
    (
        "3.3.2-14 response topic with a wildcard",
        &[CONNACK],
        &[0x30, 8, 0, 1, b't', 4, 0x08, 0, 1, b'+'],
        0x82,
    ),
    (
        "3.3.2.3.2 payload format indicator 2",
        &[CONNACK],
        &[0x30, 6, 0, 1, b't', 2, 0x01, 2],
        0x82,
    ),
    (
        "3.3.4-9 more QoS 1/2 than our receive maximum (2)",
        &[
            CONNACK,
            &[0x32, 6, 0, 1, b't', 0, 1, 0],
            &[0x34, 6, 0, 1, b't', 0, 2, 0],
        ],
        &[0x32, 6, 0, 1, b't', 0, 3, 0],
        0x93,
    ),
    (
        "3.4.2.1 PUBACK reason code not defined (0x11)",
        &[CONNACK],
        &[0x40, 3, 0, 1, 0x11],
        0x81,
    ),
    (
        "3.6.2.1 PUBREL reason code not defined (0x10)",
        &[CONNACK],
        &[0x62, 3, 0, 1, 0x10],
        0x81,
    ),
    (
        "3.9.3 SUBACK reason code not defined (0x03)",
        &[CONNACK],
        &[0x90, 4, 0, 1, 0, 0x03],
        0x81,
    ),
    (
        "3.11.3 UNSUBACK reason code not defined (0x02)",
        &[CONNACK],
        &[0xB0, 4, 0, 1, 0, 0x02],
        0x81,
    ),
    (
        "3.14.2-2 session expiry in a server's DISCONNECT",
        &[CONNACK],
        &[0xE0, 7, 0, 5, 0x11, 0, 0, 0, 1],
        0x81,
    ),
    (
        "3.14.2.1 DISCONNECT reason not defined (0x01)",
        &[CONNACK],
        &[0xE0, 1, 0x01],
        0x81,
    ),
    (
        "3.15.2.1 AUTH reason not defined (0x80)",
        &[CONNACK],
        &[0xF0, 2, 0x80, 0],
        0x81,
    ),
    (
        "3.15.2.1 AUTH with a reason but no property length",
        &[CONNACK],
        &[0xF0, 1, 0x18],
        0x81,
    ),
    ("2.1.3 AUTH flags not 0", &[CONNACK], &[0xF1, 0], 0x81),
    (
        "3.8 SUBSCRIBE from a server",
        &[CONNACK],
        &[0x82, 6, 0, 1, 0, 0, 1, b't'],
        0x82,
    ),
    (
        "3.1 a CONNECT from a server, malformed or not",
        &[CONNACK],
        &[0x10, 1, 0],
        0x82,
    ),
];

/// Legal but unusual: must be accepted (topic resolved where a PUBLISH).
pub const LEGAL: &[Legal] = &[
    (
        "3.4.2.1 PUBACK short form",
        &[CONNACK],
        &[0x40, 2, 0, 1],
        None,
    ),
    (
        "3.4.2.2 PUBACK reason without properties",
        &[CONNACK],
        &[0x40, 3, 0, 1, 0x10],
        None,
    ),
    (
        "3.14.2.1 DISCONNECT with no body",
        &[CONNACK],
        &[0xE0, 0],
        None,
    ),
    ("3.15.2.1 AUTH with no body", &[CONNACK], &[0xF0, 0], None),
    (
        "3.3.2.3.4 alias set, then used",
        &[CONNACK, &[0x30, 7, 0, 1, b'a', 3, 0x23, 0, 2]],
        &[0x30, 6, 0, 0, 3, 0x23, 0, 2],
        Some(b"a"),
    ),
    (
        "3.3.2.3.4 alias re-pointed to a new topic",
        &[
            CONNACK,
            &[0x30, 7, 0, 1, b'a', 3, 0x23, 0, 1],
            &[0x30, 8, 0, 2, b'b', b'c', 3, 0x23, 0, 1],
        ],
        &[0x30, 6, 0, 0, 3, 0x23, 0, 1],
        Some(b"bc"),
    ),
    (
        "3.3.4-4 several subscription identifiers",
        &[CONNACK],
        &[0x30, 8, 0, 1, b't', 4, 0x0B, 1, 0x0B, 2],
        Some(b"t"),
    ),
    (
        "3.3.2.3.7 user properties repeated",
        &[CONNACK],
        &[
            0x30, 16, 0, 1, b't', 12, 0x26, 0, 1, b'k', 0, 0, 0x26, 0, 1, b'k', 0, 0,
        ],
        Some(b"t"),
    ),
    (
        "3.3.2.3.6 correlation data of 0 bytes",
        &[CONNACK],
        &[0x30, 7, 0, 1, b't', 3, 0x09, 0, 0],
        Some(b"t"),
    ),
];
