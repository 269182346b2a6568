//! The operations: what the application asks of the connection (CONNECT,
//! PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT), each checked and
//! queued for [`Connection::poll_transmit`].

use super::{with_growth, Connection, RESUBSCRIBE_BATCH};
use crate::buffer::Buffer;
use crate::session::Session;
use crate::{codec, ArgError, Error, PacketId, QoS};

impl<RB: Buffer, TB: Buffer, FB: Buffer, SB: Buffer, const INFLIGHT: usize>
    Connection<RB, TB, FB, SB, INFLIGHT>
{
    /// Queue CONNECT (dropping anything unsent and buffered of an old
    /// connection); [`Event::Connected`] follows. A clean session also
    /// forgets the in-flight messages and the subscriptions. After CONNACK,
    /// `poll_transmit` resends unfinished QoS 1/2 messages with DUP.
    pub fn connect(&mut self, c: &codec::Connect, now: u64) -> Result<(), Error> {
        #[cfg(feature = "v5")]
        self.v5.on_connect(None);
        self.start_connect(c.clean_session, |s, out| s.connect(c, now, out))
    }

    /// What [`Connection::connect`] and `connect_v5` share; `encode` writes
    /// the CONNECT.
    pub(super) fn start_connect(
        &mut self,
        clean: bool,
        mut encode: impl FnMut(&mut Session<INFLIGHT>, &mut [u8]) -> Result<usize, Error>,
    ) -> Result<(), Error> {
        self.framer.clear();
        self.message = None;
        self.drop_unsent();
        if clean {
            self.subs.clear();
        } else {
            self.subs.connection_lost();
        }
        let session = &mut self.session;
        let len = with_growth(&mut self.tx, 0, |out| encode(session, out))?;
        if clean {
            self.frames.clear();
        }
        self.tx_len = len;
        Ok(())
    }

    /// Queue a packet `encode` writes into the transmit buffer, behind the
    /// session's pending packets (acks first, in order).
    pub(super) fn queue<T>(
        &mut self,
        now: u64,
        mut encode: impl FnMut(&mut Session<INFLIGHT>, &mut [u8]) -> Result<(usize, T), Error>,
    ) -> Result<(usize, T), Error> {
        let r = self.queue_session(now);
        self.check(r)?;
        let session = &mut self.session;
        let at = self.tx_len;
        let (len, v) = with_growth(&mut self.tx, at, |out| encode(session, out))?;
        self.tx_len = at.saturating_add(len);
        Ok((at, v))
    }

    /// Queue a PUBLISH; for QoS 1/2 its frame is stored for resending and
    /// the id to wait for ([`Event::Published`]) is returned.
    pub fn publish(
        &mut self,
        topic: &[u8],
        payload: &[u8],
        qos: QoS,
        retain: bool,
        now: u64,
    ) -> Result<Option<PacketId>, Error> {
        self.queue_publish(now, |s, out| {
            s.publish(topic, payload, qos, retain, now, out)
        })
        .map(|(_, id)| id)
    }

    /// What the publish calls share: `encode` writes the PUBLISH. Returns
    /// where its frame starts in the transmit buffer, and the id.
    pub(super) fn queue_publish(
        &mut self,
        now: u64,
        encode: impl FnMut(
            &mut Session<INFLIGHT>,
            &mut [u8],
        ) -> Result<(usize, Option<PacketId>), Error>,
    ) -> Result<(usize, Option<PacketId>), Error> {
        self.interrupted = None;
        let (at, id) = self.queue(now, encode)?;
        if let Some(id) = id {
            let stored = match self.tx.bytes().get(at..self.tx_len) {
                Some(frame) => self.frames.store(id, frame),
                None => Err(Error::BufferTooSmall {
                    needed: self.tx_len,
                }),
            };
            if let Err(e) = stored {
                self.session.drop_inflight(id);
                self.tx_len = at;
                return Err(e);
            }
            self.unsent = Some(id);
        }
        Ok((at, id))
    }

    /// Queue a SUBSCRIBE ([`Event::Subscribed`] follows) of at most
    /// [`RESUBSCRIBE_BATCH`] filters, so that every code of its SUBACK is
    /// kept ([`Self::last_suback`]); more: `TooManyFilters`, as on MQTT 5.
    pub fn subscribe(&mut self, filters: &[(&[u8], QoS)], now: u64) -> Result<PacketId, Error> {
        if filters.len() > RESUBSCRIBE_BATCH {
            return Err(ArgError::TooManyFilters.into());
        }
        let (at, id) = self.queue(now, |s, out| s.subscribe(filters, now, out))?;
        self.track_subscribe(at, id, filters)
    }

    /// Remember the filters of the SUBSCRIBE just queued at `at`; on failure
    /// it is taken back.
    pub(super) fn track_subscribe(
        &mut self,
        at: usize,
        id: PacketId,
        filters: &[(&[u8], QoS)],
    ) -> Result<PacketId, Error> {
        if let Err(e) = self.subs.track_subscribe(id, filters) {
            self.session.drop_inflight(id);
            self.tx_len = at;
            return Err(e);
        }
        self.suback.clear();
        Ok(id)
    }

    /// Queue an UNSUBSCRIBE ([`Event::Unsubscribed`] follows).
    pub fn unsubscribe(&mut self, filters: &[&[u8]], now: u64) -> Result<PacketId, Error> {
        let (_, id) = self.queue(now, |s, out| s.unsubscribe(filters, now, out))?;
        self.suback.clear();
        self.subs.track_unsubscribe(id, filters);
        Ok(id)
    }

    /// Queue the application's PINGREQ (its PINGRESP is
    /// `Pong { requested: true }`).
    pub fn ping(&mut self, now: u64) -> Result<(), Error> {
        self.queue(now, |s, out| s.ping(now, out).map(|n| (n, ())))?;
        self.user_ping = true;
        Ok(())
    }

    /// Queue DISCONNECT behind pending acknowledgements; the session state
    /// is kept for a later `connect` with `clean_session = false`.
    pub fn disconnect(&mut self, now: u64) -> Result<(), Error> {
        self.queue(now, |s, out| s.disconnect(out).map(|n| (n, ())))?;
        self.after_disconnect();
        Ok(())
    }

    pub(super) fn after_disconnect(&mut self) {
        self.subs.connection_lost();
        self.framer.clear();
        self.message = None;
    }
}
