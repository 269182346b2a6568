//! Fuzz harnesses for umqtt-core. Each module has a `run(data)` that the
//! cargo-fuzz target of the same name calls; a failed check panics, which
//! libFuzzer reports as a crash and saves the input under `artifacts/`.
//!
//! The harnesses check more than "no panic": the framer against an
//! independent model of MQTT framing, the decoder by re-encoding, and the
//! session against a model of what it must acknowledge and deliver.

pub mod connection;
pub mod decode;
pub mod decode_v5;
pub mod framer;
pub mod session;
pub mod transport;
pub mod ws;

use std::sync::OnceLock;

use umqtt_core::Buffer;

/// Whether `FUZZ_TRACE` is set: the harnesses then print each step (to
/// understand a crash file: `FUZZ_TRACE=1 cargo test` or
/// `FUZZ_TRACE=1 cargo fuzz run <target> <file>`).
pub fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// `eprintln!` when [`tracing`] is on.
#[macro_export]
macro_rules! trace {
    ($($t:tt)*) => {
        if $crate::tracing() {
            eprintln!($($t)*);
        }
    };
}

/// Reads configuration bytes off the front of a fuzz input. Running out is
/// not an error: missing bytes read as 0, so every input is valid.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Read from the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte, 0 when exhausted.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.data.split_at(n.min(self.data.len()));
        self.data = tail;
        head
    }

    /// How many bytes are left.
    pub fn rest_len(&self) -> usize {
        self.data.len()
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// A Vec-backed buffer that grows up to `limit`, like the bindings' one.
#[derive(Debug, Clone)]
pub struct VecBuf {
    /// The storage.
    pub v: Vec<u8>,
    /// Largest size `grow` accepts.
    pub limit: usize,
}

impl VecBuf {
    /// A buffer of `len` zero bytes that may grow to `limit`.
    pub fn new(len: usize, limit: usize) -> Self {
        VecBuf {
            v: vec![0; len],
            limit,
        }
    }
}

impl Buffer for VecBuf {
    fn bytes(&self) -> &[u8] {
        &self.v
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.v
    }
    fn grow(&mut self, len: usize) -> bool {
        if len > self.limit {
            return false;
        }
        if len > self.v.len() {
            self.v.resize(len, 0);
        }
        true
    }
}

/// Independent parse of an MQTT fixed header (not the core's code):
/// `Ok(Some((first byte, remaining length, header length)))`, `Ok(None)`
/// while incomplete, `Err(())` when the varint runs past 4 bytes.
#[allow(clippy::result_unit_err)]
pub fn parse_header(data: &[u8]) -> Result<Option<(u8, usize, usize)>, ()> {
    let Some(&first) = data.first() else {
        return Ok(None);
    };
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&b) = data.get(1 + i) else {
            return Ok(None);
        };
        value |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((first, value, 2 + i)));
        }
    }
    Err(())
}

/// Bytes of the shortest varint for `n`.
pub fn minimal_varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}
