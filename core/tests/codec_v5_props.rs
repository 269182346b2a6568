//! Property tests of the MQTT 5 codec: every packet, with arbitrary
//! property sets, encodes, decodes to the same value, and never writes into
//! a short buffer; arbitrary bytes never panic the decoder and whatever it
//! accepts re-encodes to a frame that decodes the same; the topic-alias
//! tables agree with a model.
#![cfg(feature = "v5")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::HashMap;

use proptest::prelude::*;
use umqtt_core::codec::v5::{
    decode, reason, Ack, Auth, ConnAck, Connect, Context, Disconnect, Filters, Flat, Kind, Packet,
    Properties, PropertyBuilder, PropertyId, Publish, Role, SubAck, SubOptions, Subscribe,
    Unsubscribe, Value, Will,
};
use umqtt_core::codec::PacketType;
use umqtt_core::v5::{AliasUse, InboundAliases, OutboundAliases, SendQuota};
use umqtt_core::{Error, PacketId, ProtocolError, QoS};

#[derive(Debug, Clone)]
enum OwnedVal {
    Int(u32),
    Str(String),
    Bin(Vec<u8>),
    Pair(String, String),
}

type Items = Vec<(PropertyId, OwnedVal)>;

/// Fit a raw integer into the range MQTT 5 gives the property.
fn fit(id: PropertyId, raw: u32) -> u32 {
    use PropertyId as P;
    let v = match id.kind() {
        Kind::Byte => raw % 256,
        Kind::TwoByte => raw % 65_536,
        Kind::VarInt => raw % 268_435_456,
        _ => raw,
    };
    match id {
        P::PayloadFormatIndicator
        | P::RequestProblemInformation
        | P::RequestResponseInformation
        | P::MaximumQos
        | P::RetainAvailable
        | P::WildcardSubscriptionAvailable
        | P::SubscriptionIdentifierAvailable
        | P::SharedSubscriptionAvailable => v % 2,
        P::SubscriptionIdentifier | P::ReceiveMaximum | P::MaximumPacketSize | P::TopicAlias => {
            v.max(1)
        }
        _ => v,
    }
}

/// Arbitrary property items allowed in `ctx` from `role` (repeats of
/// single properties are dropped when building).
fn items(ctx: Context, role: Role) -> impl Strategy<Value = Items> {
    let ids: Vec<PropertyId> = PropertyId::ALL
        .iter()
        .copied()
        .filter(|p| p.allowed(ctx, role))
        .collect();
    let one = (
        prop::sample::select(ids),
        any::<u32>(),
        "[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,12}",
        "[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,8}",
        prop::collection::vec(any::<u8>(), 0..12),
    )
        .prop_map(|(id, n, s, s2, b)| {
            let v = match id.kind() {
                // 3.3.2-14: a response topic is a topic name.
                Kind::Utf8 if id == PropertyId::ResponseTopic => {
                    OwnedVal::Str(format!("r{}", s.replace(['+', '#'], "")))
                }
                Kind::Utf8 => OwnedVal::Str(s),
                Kind::Binary => OwnedVal::Bin(b),
                Kind::Utf8Pair => OwnedVal::Pair(s, s2),
                _ => OwnedVal::Int(fit(id, n)),
            };
            (id, v)
        });
    // Authentication data needs a method (3.1.2.11.10, 3.2.2.3.18).
    prop::collection::vec(one, 0..8).prop_map(|mut v| {
        let has = |v: &Items, p| v.iter().any(|(id, _)| *id == p);
        if has(&v, PropertyId::AuthenticationData) && !has(&v, PropertyId::AuthenticationMethod) {
            v.insert(
                0,
                (PropertyId::AuthenticationMethod, OwnedVal::Str("m".into())),
            );
        }
        v
    })
}

fn build<'b>(buf: &'b mut [u8], ctx: Context, role: Role, items: &Items) -> Properties<'b> {
    let mut b = PropertyBuilder::new(buf, ctx, role);
    for (id, v) in items {
        let value = match v {
            OwnedVal::Int(n) => Value::Int(*n),
            OwnedVal::Str(s) => Value::Str(s),
            OwnedVal::Bin(x) => Value::Binary(x),
            OwnedVal::Pair(k, v) => Value::Pair(k, v),
        };
        match b.push(*id, value) {
            Ok(()) => {}
            Err(Error::InvalidArgument(umqtt_core::ArgError::Property(
                umqtt_core::PropertyError::Repeated,
            ))) => assert!(!id.repeatable(ctx)),
            Err(e) => panic!("{id:?} {v:?}: {e:?}"),
        }
    }
    b.finish()
}

/// Encode, check the size and the short buffers, decode as sent by
/// `sender`, compare.
fn round_trip(p: &Packet<'_>, sender: Role) {
    let len = p.encoded_len().unwrap();
    let mut out = vec![0u8; len];
    assert_eq!(p.encode(&mut out), Ok(len));
    assert_eq!(decode(&out, sender).as_ref(), Ok(p), "{out:02x?}");
    let mut short = vec![0x5Au8; len];
    for size in [0, len / 2, len - 1] {
        assert_eq!(
            p.encode(&mut short[..size]),
            Err(Error::BufferTooSmall { needed: len })
        );
    }
    assert!(short.iter().all(|&b| b == 0x5A));
}

fn qos() -> impl Strategy<Value = QoS> {
    prop::sample::select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

fn pid() -> impl Strategy<Value = PacketId> {
    (1u16..=u16::MAX).prop_map(|v| PacketId::new(v).unwrap())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Client, Role::Server])
}

fn topic() -> impl Strategy<Value = String> {
    "[^\\p{Cc}\\p{Noncharacter_Code_Point}+#]{1,30}"
}

fn filter() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\p{Cc}\\p{Noncharacter_Code_Point}+#]{1,20}",
        "[a-z]{1,5}/\\+/[a-z]{0,5}",
        "[a-z]{0,5}/#"
    ]
}

fn codes(kind: reason::ReasonPacket) -> impl Strategy<Value = u8> {
    let valid: Vec<u8> = (0..=255u8).filter(|&c| reason::is_valid(c, kind)).collect();
    prop::sample::select(valid)
}

fn sub_options() -> impl Strategy<Value = SubOptions> {
    (qos(), any::<bool>(), any::<bool>(), 0u8..=2).prop_map(|(qos, nl, rap, rh)| SubOptions {
        qos,
        no_local: nl,
        retain_as_published: rap,
        retain_handling: rh,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn properties_round_trip((ctx, role, it) in (prop::sample::select(Context::ALL.to_vec()), role())
        .prop_flat_map(|(c, r)| (Just(c), Just(r), items(c, r)))) {
        let mut buf = vec![0u8; 4096];
        let p = build(&mut buf, ctx, role, &it);
        let parsed = Properties::parse(p.as_bytes(), ctx, role).unwrap();
        prop_assert_eq!(parsed, p);
        // Every item comes back in order, except repeats of single ones.
        let mut seen = std::collections::HashSet::new();
        let kept: Vec<_> = it.iter().filter(|(id, _)| id.repeatable(ctx) || seen.insert(*id)).collect();
        prop_assert_eq!(parsed.iter().count(), kept.len());
        for ((id, v), (kid, kv)) in parsed.iter().zip(kept) {
            prop_assert_eq!(id, *kid);
            let same = match (v, kv) {
                (Value::Int(a), OwnedVal::Int(b)) => a == *b,
                (Value::Str(a), OwnedVal::Str(b)) => a == b,
                (Value::Binary(a), OwnedVal::Bin(b)) => a == &b[..],
                (Value::Pair(a, b), OwnedVal::Pair(c, d)) => a == c && b == d,
                _ => false,
            };
            prop_assert!(same);
        }
    }

    /// The flat form a C binding carries (mpy_module/c/props.h): every
    /// received value flattened and pushed back by name builds the same list.
    #[test]
    fn flat_values_round_trip((ctx, role, it) in (prop::sample::select(Context::ALL.to_vec()), role())
        .prop_flat_map(|(c, r)| (Just(c), Just(r), items(c, r)))) {
        let mut buf = vec![0u8; 4096];
        let p = build(&mut buf, ctx, role, &it);
        let mut again = vec![0u8; 4096];
        let mut b = PropertyBuilder::new(&mut again, ctx, role);
        for (id, v) in p.iter() {
            b.push_dynamic(id.name(), Flat::from(v).dynamic()).unwrap();
        }
        prop_assert_eq!(b.finish().as_bytes(), p.as_bytes());
    }

    #[test]
    fn connect_round_trip(
        cid in "[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,23}", keepalive: u16, clean: bool,
        user in proptest::option::of("[^\\p{Cc}\\p{Noncharacter_Code_Point}]{0,10}"),
        pass in proptest::option::of(prop::collection::vec(any::<u8>(), 0..10)),
        will in proptest::option::of((topic(), prop::collection::vec(any::<u8>(), 0..20), qos(), any::<bool>(), items(Context::Will, Role::Client))),
        props in items(Context::Connect, Role::Client),
    ) {
        let mut pb = vec![0u8; 4096];
        let mut wb = vec![0u8; 4096];
        let properties = build(&mut pb, Context::Connect, Role::Client, &props);
        let will = will.as_ref().map(|(t, m, q, r, wi)| Will {
            topic: t.as_bytes(), payload: m, qos: *q, retain: *r,
            properties: build(&mut wb, Context::Will, Role::Client, wi),
        });
        let c = Connect {
            client_id: cid.as_bytes(), keepalive, clean_start: clean,
            username: user.as_deref().map(str::as_bytes), password: pass.as_deref(),
            will, properties,
        };
        round_trip(&Packet::Connect(c), Role::Client);
    }

    #[test]
    fn connack_round_trip(sp: bool, code in codes(reason::ReasonPacket::ConnAck), props in items(Context::ConnAck, Role::Server)) {
        let mut pb = vec![0u8; 4096];
        let c = ConnAck { session_present: sp && code == 0, reason_code: code,
            properties: build(&mut pb, Context::ConnAck, Role::Server, &props) };
        round_trip(&Packet::ConnAck(c), Role::Server);
    }

    #[test]
    fn publish_round_trip(
        role in role(), t in topic(), payload in prop::collection::vec(any::<u8>(), 0..64),
        q in qos(), retain: bool, dup: bool, id in pid(),
        props in prop_oneof![items(Context::Publish, Role::Client), items(Context::Publish, Role::Server)],
        alias in proptest::option::of((1u16..=u16::MAX, any::<bool>())),
    ) {
        let mut pb = vec![0u8; 4096];
        let props: Items = props.into_iter().filter(|(p, _)| p.allowed(Context::Publish, role)
            && (alias.is_none() || *p != PropertyId::TopicAlias)).collect();
        let p = Publish {
            topic: t.as_bytes(), payload: &payload, qos: q, retain,
            dup: dup && q != QoS::AtMostOnce,
            packet_id: (q != QoS::AtMostOnce).then_some(id),
            properties: build(&mut pb, Context::Publish, role, &props),
        };
        round_trip(&Packet::Publish(p), role);
        if let Some((a, send_topic)) = alias {
            let len = p.encoded_len_aliased(a, send_topic).unwrap();
            let mut out = vec![0u8; len];
            prop_assert_eq!(p.encode_aliased(a, send_topic, &mut out), Ok(len));
            let Ok(Packet::Publish(d)) = decode(&out, role) else { panic!("{out:02x?}") };
            prop_assert_eq!(d.topic, if send_topic { p.topic } else { b"" });
            prop_assert_eq!(d.properties.get_int(PropertyId::TopicAlias), Some(u32::from(a)));
            prop_assert_eq!(d.properties.iter().skip(1).collect::<Vec<_>>(), p.properties.iter().collect::<Vec<_>>());
            prop_assert_eq!((d.payload, d.qos, d.packet_id), (p.payload, p.qos, p.packet_id));
        }
    }

    #[test]
    fn acks_round_trip(
        role in role(), kind in 0usize..4, id in pid(),
        c1 in codes(reason::ReasonPacket::PubAckRec), c2 in codes(reason::ReasonPacket::PubRelComp),
        props in items(Context::Ack, Role::Server),
    ) {
        let mut pb = vec![0u8; 4096];
        let properties = build(&mut pb, Context::Ack, role, &props);
        let a = |reason_code| Ack { packet_id: id, reason_code, properties };
        let p = match kind {
            0 => Packet::PubAck(a(c1)),
            1 => Packet::PubRec(a(c1)),
            2 => Packet::PubRel(a(c2)),
            _ => Packet::PubComp(a(c2)),
        };
        round_trip(&p, role);
    }

    #[test]
    fn subscribe_round_trip(
        id in pid(), list in prop::collection::vec((filter(), sub_options()), 1..5),
        props in items(Context::Subscribe, Role::Client),
    ) {
        let mut pb = vec![0u8; 4096];
        let entries: Vec<(&[u8], SubOptions)> = list.iter().map(|(f, o)| (f.as_bytes(), *o)).collect();
        let s = Subscribe { packet_id: id, filters: Filters::List(&entries),
            properties: build(&mut pb, Context::Subscribe, Role::Client, &props) };
        round_trip(&Packet::Subscribe(s), Role::Client);
        let fs: Vec<&[u8]> = list.iter().map(|(f, _)| f.as_bytes()).collect();
        let unsub_props: Items = props.iter().filter(|(p, _)| p.allowed(Context::Unsubscribe, Role::Client)).cloned().collect();
        let u = Unsubscribe { packet_id: id, filters: Filters::List(&fs),
            properties: build(&mut pb, Context::Unsubscribe, Role::Client, &unsub_props) };
        round_trip(&Packet::Unsubscribe(u), Role::Client);
    }

    #[test]
    fn subacks_round_trip(
        id in pid(), sub in prop::collection::vec(codes(reason::ReasonPacket::SubAck), 1..6),
        unsub in prop::collection::vec(codes(reason::ReasonPacket::UnsubAck), 1..6),
        props in items(Context::SubAck, Role::Server),
    ) {
        let mut pb = vec![0u8; 4096];
        let properties = build(&mut pb, Context::SubAck, Role::Server, &props);
        round_trip(&Packet::SubAck(SubAck { packet_id: id, properties, reason_codes: &sub }), Role::Server);
        round_trip(&Packet::UnsubAck(SubAck { packet_id: id, properties, reason_codes: &unsub }), Role::Server);
    }

    #[test]
    fn disconnect_auth_ping_round_trip(
        role in role(), dc in codes(reason::ReasonPacket::Disconnect), ac in codes(reason::ReasonPacket::Auth),
        dprops in prop_oneof![items(Context::Disconnect, Role::Client), items(Context::Disconnect, Role::Server)],
        aprops in items(Context::Auth, Role::Client),
    ) {
        let mut pb = vec![0u8; 4096];
        let dprops: Items = dprops.into_iter().filter(|(p, _)| p.allowed(Context::Disconnect, role)).collect();
        let d = Disconnect { reason_code: dc, properties: build(&mut pb, Context::Disconnect, role, &dprops) };
        round_trip(&Packet::Disconnect(d), role);
        let mut ab = vec![0u8; 4096];
        let a = Auth { reason_code: ac, properties: build(&mut ab, Context::Auth, role, &aprops) };
        round_trip(&Packet::Auth(a), role);
        let ping = if role == Role::Client { Packet::PingReq } else { Packet::PingResp };
        round_trip(&ping, role);
    }

    /// Arbitrary bytes never panic; what is accepted re-encodes (maybe in a
    /// shorter form) to a frame that decodes to the same packet.
    #[test]
    fn decode_arbitrary(first: u8, body in prop::collection::vec(any::<u8>(), 0..80), role in role()) {
        let mut frame = vec![first, body.len() as u8];
        frame.extend_from_slice(&body);
        if let Ok(p) = decode(&frame, role) {
            let len = p.encoded_len().unwrap();
            let mut out = vec![0u8; len];
            prop_assert_eq!(p.encode(&mut out), Ok(len));
            prop_assert!(len <= frame.len());
            prop_assert_eq!(decode(&out, role), Ok(p));
        }
        // Every truncation is an error, never a panic.
        for cut in 0..frame.len() {
            let _ = decode(&frame[..cut], role);
        }
    }

    /// The inbound alias table matches a map model of the spec's rules.
    #[test]
    fn inbound_aliases_match_model(ops in prop::collection::vec((0u16..6, prop::option::of("[a-c]{1,6}")), 1..60)) {
        let mut t = InboundAliases::<4, 20>::new();
        let mut model: HashMap<u16, String> = HashMap::new();
        for (alias, topic) in ops {
            let topic = topic.unwrap_or_default();
            let got = t.resolve(topic.as_bytes(), Some(alias)).map(<[u8]>::to_vec);
            let want = if alias == 0 || alias > 4 {
                Err(ProtocolError::TopicAliasInvalid)
            } else if topic.is_empty() {
                model.get(&alias).map(|s| s.as_bytes().to_vec()).ok_or(ProtocolError::MissingTopic)
            } else {
                model.remove(&alias);
                let used: usize = model.values().map(String::len).sum();
                if used + topic.len() > 20 {
                    Err(ProtocolError::TopicAliasNoRoom)
                } else {
                    model.insert(alias, topic.clone());
                    Ok(topic.into_bytes())
                }
            };
            prop_assert_eq!(got, want);
        }
    }

    /// Outbound aliases: never above the broker's maximum, a topic keeps its
    /// alias, two topics never share one, nothing survives a reset.
    #[test]
    fn outbound_aliases_are_consistent(max in 0u16..6, topics in prop::collection::vec("[a-d]{1,3}", 1..40)) {
        let mut a = OutboundAliases::<4, 64>::new();
        a.reset(max);
        let mut given: HashMap<String, u16> = HashMap::new();
        for t in &topics {
            match a.assign(t.as_bytes()) {
                AliasUse::None => prop_assert!(!given.contains_key(t)),
                AliasUse::Establish(n) => {
                    prop_assert!(n >= 1 && n <= max.min(4));
                    prop_assert!(!given.contains_key(t) && !given.values().any(|&v| v == n));
                    given.insert(t.clone(), n);
                }
                AliasUse::Reuse(n) => prop_assert_eq!(given.get(t), Some(&n)),
            }
        }
        a.reset(max);
        if let Some(t) = topics.first() {
            prop_assert!(!matches!(a.assign(t.as_bytes()), AliasUse::Reuse(_)));
        }
    }

    /// The send quota against a counter model (4.9): QoS 1/2 sends never
    /// exceed the broker's receive maximum; PUBACK, PUBCOMP and a failed
    /// PUBREC give a unit back, a successful PUBREC does not.
    #[test]
    fn send_quota_matches_model(max in 1u32..5, ops in prop::collection::vec((0u8..5, any::<bool>()), 1..80)) {
        let mut q = SendQuota::new();
        q.reset(Some(max));
        let mut open = 0u32;
        for (op, fail) in ops {
            match op {
                0 | 1 => {
                    let qos = if op == 0 { QoS::AtLeastOnce } else { QoS::ExactlyOnce };
                    let ok = q.acquire(qos);
                    prop_assert_eq!(ok, open < max);
                    if ok { open += 1; }
                }
                2 => { prop_assert!(q.acquire(QoS::AtMostOnce)); }
                3 => {
                    q.on_ack(PacketType::PubAck, if fail { 0x87 } else { 0 });
                    open = open.saturating_sub(1);
                }
                _ => {
                    q.on_ack(PacketType::PubRec, if fail { 0x87 } else { 0 });
                    if fail { open = open.saturating_sub(1); }
                }
            }
            prop_assert_eq!(u32::from(q.in_flight()), open);
            prop_assert!(open <= max);
        }
    }
}

#[test]
fn flat_values_a_builder_refuses() {
    use umqtt_core::codec::v5::Dynamic;
    let flat = |kind, a: &'static [u8], b: &'static [u8]| Flat {
        kind,
        num: 7,
        a,
        b,
        listed: false,
    };
    // Not UTF-8 where text is needed, or a kind no property has: WrongType.
    assert_eq!(flat(Flat::STR, b"\xff", b"").dynamic(), Dynamic::Other);
    assert_eq!(flat(Flat::PAIR, b"k", b"\xfe").dynamic(), Dynamic::Other);
    assert_eq!(flat(9, b"", b"").dynamic(), Dynamic::Other);
    // Binary data need not be text; an integer is taken at any size.
    assert_eq!(
        flat(Flat::BYTES, b"\xff", b"").dynamic(),
        Dynamic::Value(Value::Binary(b"\xff"))
    );
    assert_eq!(flat(Flat::INT, b"", b"").dynamic(), Dynamic::Int(7));
    let mut buf = [0u8; 16];
    let mut b = PropertyBuilder::new(&mut buf, Context::Publish, Role::Client);
    assert!(b
        .push_dynamic("content_type", flat(Flat::STR, b"\xff", b"").dynamic())
        .is_err());
}
