//! The alert states in the state file (version 4): per SLO, in the order of the SLOs, a count
//! `u32` and per tier its id (`u32` length and UTF-8), firing `u8` and the time it last
//! changed state `u64` (Unix ns, 0 for never). SLA tiers are saved under their ids
//! (`sla-at-risk`, `sla-breached`).
//!
//! They make a restart no transition: a tier firing before it is firing after it, so nobody
//! is paged again for an alert they were paged for, and a tier that stopped holding while the
//! process was down resolves at the first evaluation, as it would have.

use crate::alert::TierState;
use crate::clock::Timestamp;

use super::wire::{put_u32, put_u64, Cursor, StateError};

/// One SLO's tiers: each tier's id and state.
pub(crate) type SavedAlerts = Vec<(String, TierState)>;

pub(super) fn encode(slos: &[SavedAlerts], out: &mut Vec<u8>) {
    for tiers in slos {
        put_u32(out, tiers.len() as u32);
        for (id, state) in tiers {
            put_u32(out, id.len() as u32);
            out.extend_from_slice(id.as_bytes());
            out.push(u8::from(state.firing));
            put_u64(out, state.since.map_or(0, Timestamp::as_unix_nanos));
        }
    }
}

pub(super) fn decode(c: &mut Cursor<'_>, slos: usize) -> Result<Vec<SavedAlerts>, StateError> {
    let mut out = Vec::with_capacity(slos);
    for _ in 0..slos {
        let count = c.u32()? as usize;
        // A tier id takes at least 13 bytes: a larger count is a corrupt file, not a reason
        // to allocate.
        if count > c.bytes.len() / 13 {
            return Err(StateError::Malformed(
                "more alert tiers than the file holds",
            ));
        }
        let mut tiers = Vec::with_capacity(count);
        for _ in 0..count {
            let id = c.string("an alert tier id is not UTF-8")?;
            let firing = match c.take(1)?[0] {
                0 => false,
                1 => true,
                _ => return Err(StateError::Malformed("an alert state is neither 0 nor 1")),
            };
            let since = c.u64()?;
            tiers.push((
                id,
                TierState {
                    firing,
                    since: (since > 0).then(|| Timestamp::from_unix_nanos(since)),
                    resumed: firing,
                },
            ));
        }
        out.push(tiers);
    }
    Ok(out)
}
