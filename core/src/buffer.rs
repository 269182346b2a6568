//! Storage the caller lends to the engine. The core never allocates; a
//! binding that can allocate implements [`Buffer::grow`] to let frames and
//! packets larger than the initial buffer through (up to its own limit).

/// A byte buffer owned by the caller.
pub trait Buffer {
    /// The whole buffer.
    fn bytes(&self) -> &[u8];
    /// The whole buffer, mutable.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// Make the buffer at least `len` bytes long, keeping its contents.
    /// Returns `false` if it cannot (fixed storage, or over a limit).
    fn grow(&mut self, len: usize) -> bool {
        self.bytes().len() >= len
    }
}

impl<const N: usize> Buffer for [u8; N] {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl Buffer for &mut [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
}
