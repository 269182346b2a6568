//! Client mode: the blocking `Client` over a fake `Host` whose broker is the
//! fuzz stream, served in pieces of a chosen size, with silences and closes
//! injected by the op script. The clock only moves when the client waits.

use umqtt_core::client::{Client, Host, Progress, ReadResult, ReadWait, WaitFor};
use umqtt_core::codec::check_topic_name;
use umqtt_core::connection::is_fatal;
use umqtt_core::session::{Config, State};
use umqtt_core::{Error, PacketId, QoS};

use super::{config, connect, filter, millis, payload, silence_bound, topic, INFLIGHT};
use crate::{parse_header, VecBuf};

/// Host calls one client call may make before it counts as a hang.
const CALL_BUDGET: usize = 100_000;

struct FuzzHost<'a> {
    now: u64,
    stream: &'a [u8],
    /// Silence (ms) before the next broker byte.
    gap: u64,
    /// Reads the client allowed to block without limit, and their time.
    unbounded_reads: usize,
    unbounded_ms: u64,
    /// The broker closed this connection.
    closed: bool,
    nonblocking: bool,
    /// Largest read handed out.
    chunk: usize,
    calls: usize,
}

impl FuzzHost<'_> {
    fn call(&mut self) {
        self.calls += 1;
        assert!(
            self.calls < CALL_BUDGET,
            "client call made {CALL_BUDGET} host calls"
        );
    }
}

/// Client packets, as first byte (PUBLISH: flags masked out).
fn client_packet(first: u8) -> bool {
    matches!(
        first,
        0x10 | 0x40 | 0x50 | 0x62 | 0x70 | 0x82 | 0xA2 | 0xC0 | 0xE0
    ) || (first & 0xF0 == 0x30 && first & 0x06 != 0x06)
}

impl Host for FuzzHost<'_> {
    fn now_ms(&mut self) -> u64 {
        self.now
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.call();
        // Each packet goes out whole, in one write.
        let (first, len, header) = parse_header(data)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("write of a partial header {data:02x?}"));
        assert_eq!(header + len, data.len(), "write is not exactly one packet");
        assert!(client_packet(first), "client sent packet type {first:#04x}");
        if self.closed {
            return Err(Error::Io(32)); // EPIPE
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.call();
        assert!(!buf.is_empty(), "read into an empty buffer");
        if self.closed {
            return Err(Error::ConnectionClosed);
        }
        // How long this read may block: None = no limit.
        let limit = match wait {
            ReadWait::Poll => Some(0),
            ReadWait::Socket(_) if self.nonblocking => Some(0),
            ReadWait::Socket(t) => t.map(u64::from),
            ReadWait::Force(t) => Some(u64::from(t)),
        };
        let poll = matches!(wait, ReadWait::Poll)
            || (self.nonblocking && matches!(wait, ReadWait::Socket(_)));
        if self.gap > 0 || self.stream.is_empty() {
            let wait_ms = if self.stream.is_empty() {
                u64::MAX
            } else {
                self.gap
            };
            match limit {
                _ if poll => return Ok(ReadResult::WouldBlock),
                Some(t) if t < wait_ms => {
                    self.now = self.now.saturating_add(t);
                    self.gap -= t.min(self.gap);
                    return Ok(ReadResult::TimedOut);
                }
                // An unlimited read on a finished script: the broker hangs up.
                None if self.stream.is_empty() => {
                    self.unbounded_reads += 1;
                    return Err(Error::ConnectionClosed);
                }
                _ => {
                    if limit.is_none() {
                        self.unbounded_reads += 1;
                        self.unbounded_ms = self.unbounded_ms.saturating_add(self.gap);
                    }
                    self.now = self.now.saturating_add(self.gap);
                    self.gap = 0;
                }
            }
        }
        let n = buf.len().min(self.chunk).min(self.stream.len());
        buf[..n].copy_from_slice(&self.stream[..n]);
        self.stream = &self.stream[n..];
        Ok(ReadResult::Data(n))
    }
}

type C = Client<VecBuf, VecBuf, VecBuf, INFLIGHT>;

struct Harness<'a> {
    c: C,
    h: FuzzHost<'a>,
    cfg: Config,
    /// Id of the last request started, to wait for.
    last: Option<PacketId>,
}

impl Harness<'_> {
    /// After every client call: bounded host calls, fatal errors drop the
    /// connection, tables within capacity, stored frames only for ids in
    /// flight.
    fn after<T: std::fmt::Debug>(&mut self, r: &Result<T, Error>) {
        crate::trace!("  -> {r:?} at t={}", self.h.now);
        if let Err(e) = r {
            if is_fatal(e) {
                assert_eq!(
                    self.c.session().state(),
                    State::Disconnected,
                    "still connected after {e:?}"
                );
            }
        }
        let s = self.c.session();
        assert!(s.inflight_len() <= INFLIGHT && s.inbound_len() <= usize::from(u16::MAX));
        for id in self.c.frames().ids() {
            assert!(
                s.is_inflight(id),
                "stored frame for {id:?} that is not in flight"
            );
        }
        self.h.calls = 0;
    }

    fn run_until(&mut self, until: WaitFor) {
        let start = self.h.now;
        let unbounded = self.h.unbounded_ms;
        let unbounded_reads = self.h.unbounded_reads;
        let keepalive = self.c.session().keepalive();
        let bound = silence_bound(&self.cfg, self.c.session().keepalive());
        let r = self.c.run(&mut self.h, until);
        if let Ok(Progress::Message(m)) = &r {
            assert!(check_topic_name(m.topic).is_ok(), "delivered a bad topic");
            assert_eq!(m.packet_id.is_some(), m.qos != QoS::AtMostOnce);
        }
        let r = r.map(|p| format!("{p:?}"));
        if self.h.unbounded_reads > unbounded_reads {
            // Only wait_msg() without keepalive may block for ever (as
            // umqtt.simple does), never a wait for an acknowledgement.
            assert!(
                until == WaitFor::OnePacket && keepalive == 0,
                "unbounded read in run({until:?}) with keepalive {keepalive}"
            );
        }
        let waited = self.h.now - start - (self.h.unbounded_ms - unbounded);
        match until {
            WaitFor::NonBlocking => assert_eq!(waited, 0, "check_msg-style run waited"),
            _ => assert!(
                waited <= bound,
                "run({until:?}) waited {waited} ms > {bound}"
            ),
        }
        self.after(&r);
    }

    fn op(&mut self, byte: u8) {
        let arg = byte >> 4;
        crate::trace!(
            "t={} op {} arg {arg} state {:?} stream left {}",
            self.h.now,
            byte & 15,
            self.c.session().state(),
            self.h.stream.len()
        );
        match byte & 15 {
            0 => {
                // A new connection to the same broker script.
                self.h.closed = false;
                let timeout = [None, Some(1), Some(1_000), Some(5_000)][usize::from(arg >> 2 & 3)];
                let start = self.h.now;
                let r = self.c.connect(&mut self.h, &connect(arg), timeout);
                let limit = u64::from(timeout.unwrap_or(self.cfg.response_timeout_ms));
                assert!(
                    self.h.now - start <= limit,
                    "connect took longer than its timeout"
                );
                self.after(&r);
            }
            op @ 1..=3 => {
                let qos = QoS::from_u8(op - 1).unwrap();
                let r =
                    self.c
                        .start_publish(&mut self.h, topic(arg), payload(arg), qos, arg & 8 != 0);
                if let Ok(id) = r {
                    self.last = id.or(self.last);
                }
                self.after(&r);
            }
            4 => {
                let filters = [(filter(arg), QoS::from_u8(arg % 3).unwrap())];
                let r = self.c.start_subscribe(&mut self.h, &filters);
                if let Ok(id) = r {
                    self.last = Some(id);
                }
                self.after(&r);
            }
            5 => {
                let r = self.c.start_unsubscribe(&mut self.h, &[filter(arg)]);
                if let Ok(id) = r {
                    self.last = Some(id);
                }
                self.after(&r);
            }
            6 => self.run_until(WaitFor::OnePacket),
            7 => self.run_until(WaitFor::NonBlocking),
            8 => {
                let id = match arg {
                    0 => self.last,
                    _ => self
                        .c
                        .session()
                        .inflight_ids()
                        .nth(usize::from(arg - 1))
                        .or(self.last),
                };
                if let Some(id) = id {
                    self.run_until(WaitFor::Ack(id));
                }
            }
            9 => self.h.gap = self.h.gap.saturating_add(millis(arg)),
            10 => {
                let r = self.c.ping(&mut self.h);
                self.after(&r);
            }
            11 => {
                let r = self.c.disconnect(&mut self.h);
                self.after(&r);
            }
            12 => {
                let r = self.c.flush(&mut self.h);
                self.after(&r);
            }
            13 => self.h.nonblocking = arg & 1 != 0,
            14 => self.h.closed = true,
            _ => {
                self.h.chunk = [
                    1,
                    2,
                    3,
                    4,
                    5,
                    7,
                    8,
                    16,
                    64,
                    100,
                    127,
                    128,
                    300,
                    1024,
                    4096,
                    usize::MAX,
                ][usize::from(arg)]
            }
        }
    }
}

/// Run the op script against a fresh client.
pub fn run(cfg_byte: u8, ops: &[u8], stream: &[u8]) {
    let cfg = config(cfg_byte);
    // Bit 7: a receive buffer that cannot hold large frames.
    let rx = if cfg_byte & 0x80 != 0 {
        VecBuf::new(4, 64)
    } else {
        VecBuf::new(16, 1 << 16)
    };
    let mut h = Harness {
        c: Client::new(cfg, rx, VecBuf::new(16, 1 << 16), VecBuf::new(0, 1 << 16)),
        h: FuzzHost {
            now: 0,
            stream,
            gap: 0,
            unbounded_reads: 0,
            unbounded_ms: 0,
            closed: false,
            nonblocking: false,
            chunk: usize::MAX,
            calls: 0,
        },
        cfg,
        last: None,
    };
    for &op in ops {
        h.op(op);
    }
}
