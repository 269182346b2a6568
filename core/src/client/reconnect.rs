//! What a binding needs to reconnect without losing anything: the
//! subscriptions to restore when the broker lost the session, and the
//! message a failed publish left in the session.
//!
//! The reconnect loop itself (new socket, sleeping between attempts) lives
//! in the bindings, which own sockets and clocks; it is, on both:
//! `connect(clean_session = false)` with [`crate::backoff::Backoff`] delays
//! between failed attempts, then, if session-present is 0,
//! `while let Some(id) = start_resubscribe()? { run(WaitFor::Ack(id)) }`.
//! In-flight QoS 1/2 messages need nothing: `connect` resends them.

use super::{flush, with_growth, write_prefix, Client, Host};
use crate::buffer::Buffer;
use crate::subscriptions::Subscriptions;
use crate::{Error, PacketId, QoS};

/// Filters per resubscription SUBSCRIBE (the SUBACK codes kept by
/// [`Client::last_suback`] are as many).
pub const RESUBSCRIBE_BATCH: usize = 16;

impl<RB: Buffer, TB: Buffer, const INFLIGHT: usize, SB: Buffer> Client<RB, TB, INFLIGHT, SB> {
    /// The subscriptions the broker granted (and not unsubscribed since).
    pub fn subscriptions(&self) -> &Subscriptions<SB> {
        &self.subs
    }

    /// The id of the QoS 1/2 message that the last
    /// [`Client::start_publish`] put in the session but failed to write
    /// (`None` if that call succeeded, or failed before the message was
    /// taken). The message stays in flight and is resent by the next
    /// `connect` with `clean_session = false`, so a caller that reconnects
    /// waits for this id instead of publishing again.
    pub fn interrupted_publish(&self) -> Option<PacketId> {
        self.interrupted
    }

    /// Send one SUBSCRIBE with up to [`RESUBSCRIBE_BATCH`] remembered
    /// subscriptions not yet confirmed on this connection, and return its
    /// id for `run(WaitFor::Ack(id))`; `None` when all are confirmed. Call
    /// it after a `connect` that returned session-present = false until it
    /// returns `None`. A filter the broker now refuses is forgotten (no
    /// `SubscribeRefused` from `run`).
    pub fn start_resubscribe<H: Host>(&mut self, host: &mut H) -> Result<Option<PacketId>, Error> {
        let now = host.now_ms();
        let r = flush(&mut self.session, &mut self.tx, host, now);
        self.check(r)?;
        let (len, id, n) = {
            // Borrows the filters from the registry until encoded.
            let mut batch: heapless::Vec<(&[u8], QoS), RESUBSCRIBE_BATCH> = heapless::Vec::new();
            let n = self.subs.for_resubscribe(RESUBSCRIBE_BATCH, |f, q| {
                // Cannot fail: for_resubscribe stops at the capacity.
                let _ = batch.push((f, q));
            });
            if n == 0 {
                return Ok(None);
            }
            let session = &mut self.session;
            let (len, id) = with_growth(&mut self.tx, |out| session.subscribe(&batch, now, out))?;
            (len, id, n)
        };
        self.subs.mark_resubscribe(id, n);
        self.suback.clear();
        let r = write_prefix(&self.tx, len, host);
        self.check(r)?;
        Ok(Some(id))
    }
}
