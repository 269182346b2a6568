//! [`Host`] over a MicroPython stream (plain or TLS socket), using only the
//! glue's protected primitives: stream read/write, `MP_STREAM_POLL` plus a
//! `select.poll` wait, and `time.ticks_ms()`.
use crate::ffi::{self, EAGAIN, EIO, ETIMEDOUT, GLUE_EXC, POLL_ERR, POLL_HUP, POLL_RD, POLL_WR};
use core::ffi::c_void;
use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::Error;

/// A monotonic u64 millisecond clock from the wrapping `ticks_ms()`.
pub struct Clock {
    last: usize,
    now: u64,
    started: bool,
}

impl Clock {
    pub const fn new() -> Self {
        Clock {
            last: 0,
            now: 0,
            started: false,
        }
    }

    fn tick(&mut self, io: *mut c_void) -> u64 {
        // SAFETY: io is the glue context of the running call.
        let (t, mask) = unsafe { (ffi::glue_ticks_ms(io), ffi::glue_ticks_mask()) };
        if !self.started {
            self.started = true;
            self.last = t;
        }
        // ticks_ms() wraps at mask + 1 (2^30 on 32-bit ports): the masked
        // difference is right across one wrap, and calls are far more
        // frequent than the ~12 days a 2^30 ms period lasts.
        let delta = t.wrapping_sub(self.last) & mask;
        self.last = t;
        self.now = self.now.saturating_add(delta as u64);
        self.now
    }
}

pub struct MpHost<'a> {
    pub io: *mut c_void,
    pub clock: &'a mut Clock,
    /// How long one write may stay blocked by a full socket buffer
    /// (socket_timeout).
    pub write_timeout_ms: u64,
}

/// Map a glue status to the core's error.
fn io_err(status: i32) -> Error {
    if status == GLUE_EXC {
        Error::Host
    } else {
        Error::Io(status)
    }
}

impl MpHost<'_> {
    fn poll(&mut self, events: u32, timeout_ms: i32) -> Result<u32, Error> {
        let mut ready = 0u32;
        // SAFETY: io is the glue context of the running call.
        let st = unsafe { ffi::glue_poll(self.io, events, timeout_ms, &mut ready) };
        if st != 0 {
            return Err(io_err(st));
        }
        Ok(ready)
    }

    /// Read what is there without blocking: `WouldBlock` when nothing is.
    fn read_now(&mut self, buf: &mut [u8]) -> Result<ReadResult, Error> {
        if self.poll(POLL_RD, 0)? & (POLL_RD | POLL_ERR | POLL_HUP) == 0 {
            return Ok(ReadResult::WouldBlock);
        }
        self.read_ready(buf)
    }

    /// Read a stream that polled ready (data, EOF or an error to report).
    fn read_ready(&mut self, buf: &mut [u8]) -> Result<ReadResult, Error> {
        let mut n = 0usize;
        // SAFETY: buf is a valid writable slice for the duration of the call.
        let st = unsafe { ffi::glue_read(self.io, buf.as_mut_ptr(), buf.len(), &mut n) };
        match st {
            0 if n == 0 => Err(Error::ConnectionClosed),
            0 => Ok(ReadResult::Data(n.min(buf.len()))),
            // A TLS stream can be readable at socket level without a whole
            // record: no data yet.
            EAGAIN => Ok(ReadResult::WouldBlock),
            st => Err(io_err(st)),
        }
    }

    /// Read, waiting at most `limit_ms` (None: no limit). `user_ms` is the
    /// timeout the caller set on the socket: running out of it raises the
    /// socket's own OSError(ETIMEDOUT), as a plain `sock.read()` would.
    /// One wait per round (glue_poll asks the stream first, so data already
    /// there costs no wait), and a read only once the stream is ready.
    fn read_wait(
        &mut self,
        buf: &mut [u8],
        limit_ms: Option<u32>,
        user_ms: Option<u32>,
    ) -> Result<ReadResult, Error> {
        let mut now = self.now_ms();
        let deadline = limit_ms.map(|t| now.saturating_add(u64::from(t)));
        let user_deadline = user_ms.map(|t| now.saturating_add(u64::from(t)));
        loop {
            // The nearer deadline; -1: no limit (a blocking socket with
            // nothing scheduled, like umqtt.simple's blocking read).
            let until = match (deadline, user_deadline) {
                (Some(d), Some(u)) => Some(d.min(u)),
                (d, u) => d.or(u),
            };
            let t = until.map_or(-1, |w| {
                i32::try_from(w.saturating_sub(now)).unwrap_or(i32::MAX)
            });
            if self.poll(POLL_RD, t)? & (POLL_RD | POLL_ERR | POLL_HUP) != 0 {
                if let ReadResult::Data(n) = self.read_ready(buf)? {
                    return Ok(ReadResult::Data(n));
                }
            }
            now = self.now_ms();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(ReadResult::TimedOut);
            }
            if user_deadline.is_some_and(|d| now >= d) {
                // Raised by the glue as the socket's own OSError(ETIMEDOUT);
                // not an I/O failure: nothing was lost, the connection stays.
                // SAFETY: io is the glue context of the running call.
                unsafe { ffi::glue_user_timeout(self.io) };
                return Err(Error::Host);
            }
        }
    }
}

impl Host for MpHost<'_> {
    fn now_ms(&mut self) -> u64 {
        self.clock.tick(self.io)
    }

    fn write(&mut self, mut data: &[u8]) -> Result<(), Error> {
        // Read the clock only when the socket is full (a call into Python).
        let mut deadline = None;
        let whole = data.len();
        while !data.is_empty() {
            let mut n = 0usize;
            // SAFETY: data is a valid slice for the duration of the call.
            let st = unsafe { ffi::glue_write(self.io, data.as_ptr(), data.len(), &mut n) };
            match st {
                0 if n == 0 => return Err(Error::ConnectionClosed),
                0 => data = data.get(n..).unwrap_or(&[]),
                EAGAIN => {
                    // Non-blocking socket with a full send buffer: wait for
                    // room, bounded.
                    let now = self.now_ms();
                    let deadline =
                        *deadline.get_or_insert(now.saturating_add(self.write_timeout_ms));
                    if now >= deadline {
                        return Err(Error::Io(ETIMEDOUT));
                    }
                    let left = i32::try_from(deadline.saturating_sub(now)).unwrap_or(i32::MAX);
                    self.poll(POLL_WR, left)?;
                }
                // Half a packet went out: the stream is broken, whatever the
                // exception was (the glue still raises that exception).
                GLUE_EXC if data.len() < whole => return Err(Error::Io(EIO)),
                st => return Err(io_err(st)),
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        match wait {
            ReadWait::Poll => self.read_now(buf),
            ReadWait::Force(t) => self.read_wait(buf, Some(t), None),
            ReadWait::Socket(limit) => {
                // SAFETY: io is the glue context of the running call.
                let mode = unsafe { ffi::glue_sock_mode(self.io) };
                match mode {
                    0 => self.read_now(buf),
                    m if m > 0 => self.read_wait(buf, limit, u32::try_from(m).ok()),
                    _ => self.read_wait(buf, limit, None),
                }
            }
        }
    }
}
