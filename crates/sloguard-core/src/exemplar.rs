//! Exemplars: a traced event kept beside a histogram bucket or a bad-event counter, so that a
//! bad bucket on a dashboard links to one trace that fell in it.
//!
//! At most one exemplar is kept per bucket (or per SLO's bad events) per [`INTERVAL_SECS`]:
//! the first traced event of an interval claims the slot with one atomic swap, and every other
//! event of that interval pays one atomic load. So the hot path stays flat however many
//! requests carry a trace, and a slot changes at most once per interval. A scrape reads the
//! newest exemplar of each slot; OpenMetrics is the only format that carries them.
//!
//! ```
//! use sloguard_core::exemplar::TraceContext;
//!
//! let ctx = TraceContext::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
//! assert_eq!(ctx.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert_eq!(ctx.span_id_hex(), "00f067aa0ba902b7");
//! // All-zero ids are invalid in W3C Trace Context, and so is any other shape.
//! assert!(TraceContext::from_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
//! assert!(TraceContext::from_traceparent("garbage").is_none());
//! ```

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Timestamp;

/// How long a slot keeps its exemplar before the next traced event may replace it.
pub const INTERVAL_SECS: u64 = 10;

/// The trace and span an event belongs to (W3C Trace Context ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceContext {
    trace_id: [u8; 16],
    span_id: [u8; 8],
}

impl TraceContext {
    /// A context from its ids; `None` when either is all zeros (invalid in W3C Trace Context).
    pub fn new(trace_id: [u8; 16], span_id: [u8; 8]) -> Option<Self> {
        (trace_id != [0; 16] && span_id != [0; 8]).then_some(TraceContext { trace_id, span_id })
    }

    /// The context of a W3C `traceparent` header value (`00-<trace id>-<parent id>-<flags>`):
    /// lowercase hex as the recommendation writes it; `None` for anything else. A version
    /// other than `00` is read by its first four fields, as the recommendation asks.
    pub fn from_traceparent(value: &str) -> Option<Self> {
        // Fixed positions: `vv-` then 32 digits, `-`, 16 digits, `-`, 2 digits (55 bytes),
        // read per request when a layer keeps exemplars, so no splitting.
        let b = value.trim().as_bytes();
        let fields_end = 55;
        if b.len() < fields_end || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        // Version 00 has exactly these fields; a later one may add `-…` after them.
        let version = &b[..2];
        let exact = b.len() == fields_end;
        if version == b"ff" || (version == b"00" && !exact) || (!exact && b[55] != b'-') {
            return None;
        }
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        hex_into(&b[3..35], &mut trace_id)?;
        hex_into(&b[36..52], &mut span_id)?;
        hex_into(&b[53..55], &mut [0u8; 1])?;
        hex_into(version, &mut [0u8; 1])?;
        TraceContext::new(trace_id, span_id)
    }

    /// The trace id's bytes.
    pub fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The span id's bytes.
    pub fn span_id(&self) -> [u8; 8] {
        self.span_id
    }

    /// The trace id as 32 lowercase hex digits, as tracing back ends show it.
    pub fn trace_id_hex(&self) -> String {
        hex(&self.trace_id)
    }

    /// The span id as 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        hex(&self.span_id)
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Lowercase hex digits of exactly `out.len()` bytes into `out`.
fn hex_into(digits: &[u8], out: &mut [u8]) -> Option<()> {
    if digits.len() != out.len() * 2 {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(())
}

/// One traced event: its context, its latency and when it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exemplar {
    /// The trace and span.
    pub context: TraceContext,
    /// The event's latency: the exemplar's value.
    pub value: Duration,
    /// When the event ended.
    pub at: Timestamp,
}

/// One exemplar slot: claimed by the first traced event of each interval.
#[derive(Default)]
pub(crate) struct Slot {
    /// The interval (seconds since the epoch / [`INTERVAL_SECS`], plus one) last claimed.
    claimed: AtomicU64,
    kept: Mutex<Option<Exemplar>>,
}

impl Slot {
    /// Offers an exemplar: kept if it is the first of its interval here.
    #[inline]
    pub(crate) fn offer(&self, exemplar: Exemplar) {
        let interval = exemplar.at.as_unix_nanos() / 1_000_000_000 / INTERVAL_SECS + 1;
        if self.claimed.load(Ordering::Relaxed) == interval
            || self.claimed.swap(interval, Ordering::Relaxed) == interval
        {
            return;
        }
        // Only the claimer writes; a reader holding the lock for a moment makes it skip this
        // interval rather than wait.
        if let Ok(mut kept) = self.kept.try_lock() {
            *kept = Some(exemplar);
        }
    }

    /// The newest exemplar kept.
    pub(crate) fn read(&self) -> Option<Exemplar> {
        *crate::sync::lock(&self.kept)
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot").field("kept", &self.read()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exemplar(secs: u64, trace: u8) -> Exemplar {
        Exemplar {
            context: TraceContext::new([trace; 16], [1; 8]).expect("valid"),
            value: Duration::from_millis(5),
            at: Timestamp::from_unix_secs(secs),
        }
    }

    #[test]
    fn one_exemplar_per_slot_per_interval() {
        let slot = Slot::default();
        assert_eq!(slot.read(), None);
        slot.offer(exemplar(1_000, 1));
        slot.offer(exemplar(1_001, 2));
        assert_eq!(
            slot.read(),
            Some(exemplar(1_000, 1)),
            "the first of its interval"
        );
        slot.offer(exemplar(1_000 + INTERVAL_SECS, 3));
        assert_eq!(slot.read(), Some(exemplar(1_000 + INTERVAL_SECS, 3)));
    }

    #[test]
    fn traceparents_are_read_strictly() {
        let ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = TraceContext::from_traceparent(ok).expect("valid");
        assert_eq!(ctx.span_id(), [0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
        for bad in [
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "",
        ] {
            assert_eq!(TraceContext::from_traceparent(bad), None, "{bad}");
        }
        // A later version may add fields after the flags.
        assert!(TraceContext::from_traceparent(&format!("01{}-more", &ok[2..])).is_some());
    }
}
