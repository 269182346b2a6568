//! ns per PUBLISH through the core: encode (codec and session), and decode of
//! a stream of frames (framer + codec, and framer + session).
//!
//! `cargo bench -p umqtt-core-bench [-- --quick] [--json]`
//! Each case is timed in rounds of ~`target` wall time; the figure is the
//! fastest round (the machine is shared, so noise only ever adds time).
use std::hint::black_box;
use std::time::{Duration, Instant};

use umqtt_core::codec::{self, Connect, Publish};
use umqtt_core::framer::Framer;
use umqtt_core::session::{Config, Event, Session};
use umqtt_core::{PacketId, ProtocolVersion, QoS};

const TOPIC: &[u8] = b"bench/t";

struct Opts {
    target: Duration,
    rounds: usize,
    json: bool,
}

/// Runs `f(iters)` (which performs `iters` operations) and returns the
/// best ns per operation over the rounds.
fn measure(opts: &Opts, mut f: impl FnMut(u64)) -> f64 {
    // Calibrate: grow until one batch takes >= 1/10 of the target.
    let mut iters: u64 = 1;
    loop {
        let t = Instant::now();
        f(iters);
        let e = t.elapsed();
        if e >= opts.target / 10 || iters >= 1 << 40 {
            let per = e.as_secs_f64() / iters as f64;
            iters = ((opts.target.as_secs_f64() / per.max(1e-12)) as u64).max(1);
            break;
        }
        iters *= 4;
    }
    let mut best = f64::INFINITY;
    for _ in 0..opts.rounds {
        let t = Instant::now();
        f(iters);
        let ns = t.elapsed().as_nanos() as f64 / iters as f64;
        best = best.min(ns);
    }
    best
}

fn connected_session() -> Session {
    let mut s = Session::new(Config::default());
    let mut out = [0u8; 64];
    let c = Connect {
        protocol: ProtocolVersion::V311,
        client_id: b"bench",
        keepalive: 0,
        clean_session: true,
        username: None,
        password: None,
        will: None,
    };
    s.connect(&c, 0, &mut out).expect("connect encodes");
    let connack = [0x20, 0x02, 0x00, 0x00];
    s.handle_frame(&connack, 0).expect("CONNACK accepted");
    s
}

fn publish_frame(payload: &[u8]) -> Vec<u8> {
    let p = Publish {
        topic: TOPIC,
        payload,
        qos: QoS::AtMostOnce,
        retain: false,
        dup: false,
        packet_id: None,
    };
    let mut out = vec![0u8; p.encoded_len().expect("valid")];
    p.encode(&mut out).expect("fits");
    out
}

/// MQTT 5 beside the 3.1.1 figures: PUBLISH encode and decode without
/// properties and with three (content type + two user properties).
fn v5_cases(opts: &Opts, size: usize, payload: &[u8], results: &mut Vec<(String, f64)>) {
    use umqtt_core::codec::v5::{
        self, Context, Properties, PropertyBuilder, PropertyId, Role, Value,
    };
    let mut pb = [0u8; 64];
    let mut b = PropertyBuilder::new(&mut pb, Context::Publish, Role::Client);
    b.push(PropertyId::ContentType, Value::Str("text/plain"))
        .expect("fits");
    b.push(PropertyId::UserProperty, Value::Pair("k", "v"))
        .expect("fits");
    b.push(PropertyId::UserProperty, Value::Pair("k2", "v2"))
        .expect("fits");
    let with = b.finish();
    let mut out = vec![0u8; size + 128];
    for (label, props) in [("no properties", Properties::EMPTY), ("3 properties", with)] {
        let p = v5::Publish {
            topic: TOPIC,
            payload,
            qos: QoS::AtMostOnce,
            retain: false,
            dup: false,
            packet_id: None,
            properties: props,
        };
        let ns = measure(opts, |n| {
            for _ in 0..n {
                black_box(black_box(&p).encode(&mut out).expect("fits"));
            }
        });
        results.push((
            format!("codec::v5::Publish::encode QoS 0, {label}, {size} B"),
            ns,
        ));
        let len = p.encode(&mut out).expect("fits");
        let frame = out[..len].to_vec();
        let ns = measure(opts, |n| {
            for _ in 0..n {
                black_box(v5::decode_from_server(black_box(&frame)).expect("decodes"));
            }
        });
        results.push((
            format!("codec::v5::decode_from_server PUBLISH, {label}, {size} B"),
            ns,
        ));
    }
    let frame = publish_frame(payload);
    let ns = measure(opts, |n| {
        for _ in 0..n {
            black_box(codec::decode(black_box(&frame), ProtocolVersion::V311).expect("decodes"));
        }
    });
    results.push((format!("codec::decode PUBLISH (3.1.1), {size} B"), ns));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let opts = Opts {
        target: Duration::from_millis(if quick { 10 } else { 200 }),
        rounds: if quick { 2 } else { 7 },
        json: args.iter().any(|a| a == "--json"),
    };
    let mut results: Vec<(String, f64)> = Vec::new();

    for size in [64usize, 1024] {
        let payload = vec![b'p'; size];
        let mut out = vec![0u8; size + 64];

        let ns = measure(&opts, |n| {
            for _ in 0..n {
                let p = Publish {
                    topic: black_box(TOPIC),
                    payload: black_box(&payload),
                    qos: QoS::AtMostOnce,
                    retain: false,
                    dup: false,
                    packet_id: None,
                };
                black_box(p.encode(&mut out).expect("fits"));
            }
        });
        results.push((format!("codec::Publish::encode QoS 0, {size} B"), ns));

        let mut s = connected_session();
        let ns = measure(&opts, |n| {
            for _ in 0..n {
                let r = s.publish(
                    black_box(TOPIC),
                    black_box(&payload),
                    QoS::AtMostOnce,
                    false,
                    0,
                    &mut out,
                );
                black_box(r.expect("publishes"));
            }
        });
        results.push((format!("Session::publish QoS 0, {size} B"), ns));

        // QoS 1: publish + its PUBACK, so the in-flight table never fills.
        let mut s = connected_session();
        let ns = measure(&opts, |n| {
            for _ in 0..n {
                let (_, id) = s
                    .publish(
                        black_box(TOPIC),
                        black_box(&payload),
                        QoS::AtLeastOnce,
                        false,
                        0,
                        &mut out,
                    )
                    .expect("publishes");
                let id = id.map_or(1, PacketId::get);
                let ack = [0x40, 0x02, (id >> 8) as u8, id as u8];
                black_box(s.handle_frame(&ack, 0).expect("PUBACK accepted"));
            }
        });
        results.push((format!("Session::publish QoS 1 + PUBACK, {size} B"), ns));

        // A stream of whole frames pushed in 4 KiB pieces (as reads arrive),
        // then framed and decoded. Cost per frame, push included.
        let frame = publish_frame(&payload);
        let per_chunk = (4096 / frame.len()).max(1);
        let chunk: Vec<u8> = frame
            .iter()
            .copied()
            .cycle()
            .take(frame.len() * per_chunk)
            .collect();
        let mut rx = vec![0u8; 8192];
        let mut framer = Framer::new(&mut rx[..]);
        let ns = measure(&opts, |n| {
            let mut done = 0u64;
            while done < n {
                let took = framer.push(black_box(&chunk));
                assert_eq!(took, chunk.len());
                while let Some(f) = framer.next_frame().expect("frames") {
                    black_box(codec::decode(f, ProtocolVersion::V311).expect("decodes"));
                    done += 1;
                }
            }
        });
        results.push((
            format!("Framer::push + next_frame + codec::decode, {size} B"),
            ns,
        ));

        v5_cases(&opts, size, &payload, &mut results);

        let mut rx = vec![0u8; 8192];
        let mut framer = Framer::new(&mut rx[..]);
        let mut s = connected_session();
        let ns = measure(&opts, |n| {
            let mut done = 0u64;
            while done < n {
                framer.push(black_box(&chunk));
                while let Some(f) = framer.next_frame().expect("frames") {
                    match s.handle_frame(f, 0).expect("handled") {
                        Event::Message(m) => {
                            black_box(m);
                        }
                        _ => unreachable!("only PUBLISH frames"),
                    }
                    done += 1;
                }
            }
        });
        results.push((
            format!("Framer + Session::handle_frame (Message), {size} B"),
            ns,
        ));
    }

    for size in [64usize, 1024] {
        ws_rows(&opts, size, &mut results);
    }

    if opts.json {
        let items: Vec<String> = results
            .iter()
            .map(|(name, ns)| format!("{{\"name\": \"{name}\", \"ns\": {ns:.1}}}"))
            .collect();
        println!("[{}]", items.join(", "));
    } else {
        for (name, ns) in &results {
            println!("{name:<55} {ns:>9.1} ns/op  ({:>6.2} M/s)", 1e3 / ns);
        }
    }
}

/// MQTT over WebSockets: the client frame around one PUBLISH (header +
/// mask), and the server's frames (one PUBLISH each, 4 KiB reads) turned
/// back into MQTT bytes in place.
#[cfg(feature = "ws")]
fn ws_rows(opts: &Opts, size: usize, results: &mut Vec<(String, f64)>) {
    use umqtt_core::ws::frame::{self, Opcode};
    use umqtt_core::ws::Decoder;

    let packet = publish_frame(&vec![b'p'; size]);
    let mut out = vec![0u8; frame::frame_len(packet.len())];
    let ns = measure(opts, |n| {
        for i in 0..n {
            let mask = (i as u32).to_ne_bytes();
            black_box(
                frame::encode(Opcode::Binary, black_box(&packet), mask, &mut out).expect("fits"),
            );
        }
    });
    results.push((format!("ws::frame::encode (masked PUBLISH), {size} B"), ns));

    let mut server = vec![0x82u8];
    if packet.len() < 126 {
        server.push(packet.len() as u8);
    } else {
        server.push(126);
        server.extend_from_slice(&(packet.len() as u16).to_be_bytes());
    }
    server.extend_from_slice(&packet);
    let per_chunk = (4096 / server.len()).max(1);
    let chunk: Vec<u8> = server
        .iter()
        .copied()
        .cycle()
        .take(server.len() * per_chunk)
        .collect();
    let mut dec = Decoder::new(1 << 20);
    let mut buf = chunk.clone();
    let ns = measure(opts, |n| {
        let mut done = 0u64;
        while done < n {
            buf.copy_from_slice(&chunk);
            let m = dec.decode_in_place(black_box(&mut buf)).expect("decodes");
            assert_eq!(m, packet.len() * per_chunk);
            done += per_chunk as u64;
        }
    });
    results.push((
        format!("ws::Decoder::decode_in_place (per PUBLISH), {size} B"),
        ns,
    ));
}

#[cfg(not(feature = "ws"))]
fn ws_rows(_: &Opts, _: usize, _: &mut Vec<(String, f64)>) {}
