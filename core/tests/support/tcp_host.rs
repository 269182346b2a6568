//! A [`Host`] over a std TCP socket for the blocking client's real-broker
//! tests.
#![allow(clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use umqtt_core::client::{Host, ReadResult, ReadWait};
use umqtt_core::Error;

pub struct TcpHost {
    pub sock: TcpStream,
    pub start: Instant,
}

impl TcpHost {
    pub fn connect(port: u16) -> TcpHost {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_nodelay(true).unwrap();
        TcpHost {
            sock,
            start: Instant::now(),
        }
    }
}

impl Host for TcpHost {
    fn now_ms(&mut self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
    fn write(&mut self, data: &[u8]) -> Result<(), Error> {
        self.sock
            .write_all(data)
            .map_err(|e| Error::Io(e.raw_os_error().unwrap_or(5)))
    }
    fn read(&mut self, buf: &mut [u8], wait: ReadWait) -> Result<ReadResult, Error> {
        let timeout = match wait {
            ReadWait::Poll => None,
            ReadWait::Socket(t) => t,
            ReadWait::Force(t) => Some(t),
        };
        let poll = wait == ReadWait::Poll;
        self.sock.set_nonblocking(poll).unwrap();
        if !poll {
            let t = timeout.map(|ms| Duration::from_millis(u64::from(ms.max(1))));
            self.sock.set_read_timeout(t).unwrap();
        }
        match self.sock.read(buf) {
            Ok(0) => Err(Error::ConnectionClosed),
            Ok(n) => Ok(ReadResult::Data(n)),
            Err(e) if e.kind() == ErrorKind::WouldBlock && poll => Ok(ReadResult::WouldBlock),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Ok(ReadResult::TimedOut)
            }
            Err(e) => Err(Error::Io(e.raw_os_error().unwrap_or(5))),
        }
    }
}
