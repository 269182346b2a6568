//! A fake in-memory host: the "broker" is a script of byte chunks and
//! silences, the clock only moves when the client waits, and every write
//! is recorded.

use std::collections::VecDeque;

use super::{conn, VecBuf};
use umqtt_core::client::{Client, Host, Progress, ReadResult, ReadWait, WaitFor};
use umqtt_core::session::Config;
use umqtt_core::{Error, QoS};

/// What the broker does next.
#[derive(Debug, Clone)]
pub enum Act {
    /// Bytes arrive (possibly read in several pieces).
    Bytes(Vec<u8>),
    /// Nothing arrives for this many ms.
    Silence(u64),
    /// The broker closes the connection.
    Close,
}

#[derive(Default)]
pub struct FakeHost {
    pub now: u64,
    pub script: VecDeque<Act>,
    pub writes: Vec<Vec<u8>>,
    /// The "socket" was made non-blocking by the application.
    pub nonblocking: bool,
    /// Every read's wait mode.
    pub waits: Vec<ReadWait>,
    /// Largest read size handed out (to test partial reads).
    pub max_read: Option<usize>,
}

impl FakeHost {
    pub fn new() -> Self {
        FakeHost::default()
    }
    pub fn push(&mut self, bytes: &[u8]) {
        self.script.push_back(Act::Bytes(bytes.to_vec()));
    }
    pub fn silence(&mut self, ms: u64) {
        self.script.push_back(Act::Silence(ms));
    }
    pub fn take_writes(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.writes)
    }
}

impl Host for FakeHost {
    fn now_ms(&mut self) -> u64 {
        self.now
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.writes.push(data.to_vec());
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        self.waits.push(wait);
        assert!(!buf.is_empty());
        // How long this call may block, None = forever.
        let limit: Option<u64> = match wait {
            ReadWait::Poll => Some(0),
            ReadWait::Socket(_) if self.nonblocking => Some(0),
            ReadWait::Socket(t) => t.map(u64::from),
            ReadWait::Force(t) => Some(u64::from(t)),
        };
        loop {
            match self.script.pop_front() {
                Some(Act::Bytes(b)) => {
                    let n = b
                        .len()
                        .min(buf.len())
                        .min(self.max_read.unwrap_or(usize::MAX));
                    buf[..n].copy_from_slice(&b[..n]);
                    if n < b.len() {
                        self.script.push_front(Act::Bytes(b[n..].to_vec()));
                    }
                    return Ok(ReadResult::Data(n));
                }
                Some(Act::Silence(ms)) => match limit {
                    Some(0) => {
                        self.script.push_front(Act::Silence(ms));
                        return Ok(ReadResult::WouldBlock);
                    }
                    Some(t) if t < ms => {
                        self.now += t;
                        self.script.push_front(Act::Silence(ms - t));
                        return Ok(ReadResult::TimedOut);
                    }
                    _ => self.now += ms,
                },
                Some(Act::Close) => return Err(Error::ConnectionClosed),
                None => match limit {
                    Some(0) => return Ok(ReadResult::WouldBlock),
                    Some(t) => {
                        self.now += t;
                        return Ok(ReadResult::TimedOut);
                    }
                    None => panic!("read would block forever"),
                },
            }
        }
    }
}

pub type C = Client<VecBuf, VecBuf, VecBuf>;

pub fn new_client() -> C {
    Client::new(
        Config::default(),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(16, 1 << 16),
        VecBuf::new(0, 1 << 16),
    )
}

pub fn connected(keepalive: u16) -> (C, FakeHost) {
    let mut c = new_client();
    let mut h = FakeHost::new();
    h.push(&[0x20, 2, 0, 0]);
    assert_eq!(c.connect(&mut h, &conn(true, keepalive), None), Ok(false));
    h.take_writes();
    h.waits.clear();
    (c, h)
}

/// Run and copy a message out: (topic, payload, qos, dup).
pub fn expect_message(
    c: &mut C,
    h: &mut FakeHost,
    until: WaitFor,
) -> (Vec<u8>, Vec<u8>, QoS, bool) {
    match c.run(h, until) {
        Ok(Progress::Message(m)) => (m.topic.to_vec(), m.payload.to_vec(), m.qos, m.dup),
        other => panic!("expected a message, got {other:?}"),
    }
}
