//! The incident log in the state file (version 3), after the SLOs: the next incident number
//! `u64`, the incident count `u32`, then per incident: id, started, detected, first page and
//! resolved (`u64` Unix ns, 0 for none), peak burn rate and peak error ratio (`f64` bits),
//! timeline entries dropped,
//! the SLO count `u32` and per SLO its name, first bad minute, events, bad events, budget spent
//! (`f64` bits), base total and bad, tier count `u32` and tier ids; then the timeline count
//! `u32` and per entry its time, SLO, tier, severity (`u8` 0 page, 1 ticket), state (`u8` 0
//! firing, 1 resolved) and long burn rate (`f64` bits, NaN for none).

use std::collections::VecDeque;

use super::wire::{put_u32, put_u64, Cursor, StateError};
use crate::alert::AlertState;
use crate::clock::Timestamp;
use crate::incidents::{
    Incident, IncidentLog, SloImpact, TimelineEntry, MAX_INCIDENTS, MAX_TIMELINE,
};
use crate::model::Severity;

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn put_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    put_u64(out, t.map_or(0, Timestamp::as_unix_nanos));
}

pub(super) fn encode(log: &IncidentLog, out: &mut Vec<u8>) {
    put_u64(out, log.next_id);
    put_u32(out, log.incidents.len() as u32);
    for i in &log.incidents {
        put_u64(out, i.id);
        for t in [
            Some(i.started_at),
            Some(i.detected_at),
            i.first_page_at,
            i.resolved_at,
        ] {
            put_time(out, t);
        }
        put_u64(out, i.peak_burn_rate.to_bits());
        put_u64(out, i.peak_error_ratio.to_bits());
        put_u64(out, i.timeline_dropped);
        put_u32(out, i.slos.len() as u32);
        for s in &i.slos {
            put_str(out, &s.slo);
            for v in [
                s.first_bad_at.as_unix_nanos(),
                s.events,
                s.bad_events,
                s.budget_spent.to_bits(),
                s.base.0,
                s.base.1,
            ] {
                put_u64(out, v);
            }
            put_u32(out, s.tiers.len() as u32);
            for t in &s.tiers {
                put_str(out, t);
            }
        }
        put_u32(out, i.timeline.len() as u32);
        for e in &i.timeline {
            put_u64(out, e.at.as_unix_nanos());
            put_str(out, &e.slo);
            put_str(out, &e.tier);
            out.push(u8::from(e.severity == Severity::Ticket));
            out.push(u8::from(e.state == AlertState::Resolved));
            put_u64(out, e.long_burn_rate.unwrap_or(f64::NAN).to_bits());
        }
    }
}

fn time(c: &mut Cursor<'_>) -> Result<Option<Timestamp>, StateError> {
    let v = c.u64()?;
    Ok((v != 0).then(|| Timestamp::from_unix_nanos(v)))
}

fn bounded(c: &mut Cursor<'_>, most: usize, what: &'static str) -> Result<usize, StateError> {
    let n = c.u32()? as usize;
    if n > most {
        return Err(StateError::Malformed(what));
    }
    Ok(n)
}

pub(super) fn decode(c: &mut Cursor<'_>) -> Result<IncidentLog, StateError> {
    let next_id = c.u64()?;
    let count = bounded(c, MAX_INCIDENTS, "more incidents than are kept")?;
    let mut incidents = VecDeque::with_capacity(count);
    for _ in 0..count {
        let id = c.u64()?;
        let started_at = Timestamp::from_unix_nanos(c.u64()?);
        let detected_at = Timestamp::from_unix_nanos(c.u64()?);
        let (first_page_at, resolved_at) = (time(c)?, time(c)?);
        let peak_burn_rate = f64::from_bits(c.u64()?);
        let peak_error_ratio = f64::from_bits(c.u64()?);
        let timeline_dropped = c.u64()?;
        // An incident involves SLOs of one service: a thousand is already absurd.
        let slo_count = bounded(c, 1_000, "an incident with too many SLOs")?;
        let mut slos = Vec::with_capacity(slo_count);
        for _ in 0..slo_count {
            let slo = c.string("an SLO name is not UTF-8")?;
            let first_bad_at = Timestamp::from_unix_nanos(c.u64()?);
            let (events, bad_events) = (c.u64()?, c.u64()?);
            let budget_spent = f64::from_bits(c.u64()?);
            let base = (c.u64()?, c.u64()?);
            let tier_count = bounded(c, 1_000, "an SLO with too many tiers")?;
            let mut tiers = Vec::with_capacity(tier_count);
            for _ in 0..tier_count {
                tiers.push(c.string("a tier id is not UTF-8")?);
            }
            slos.push(SloImpact {
                slo,
                first_bad_at,
                events,
                bad_events,
                budget_spent,
                tiers,
                base,
            });
        }
        let entries = bounded(c, MAX_TIMELINE, "a timeline longer than is kept")?;
        let mut timeline = Vec::with_capacity(entries);
        for _ in 0..entries {
            let at = Timestamp::from_unix_nanos(c.u64()?);
            let slo = c.string("an SLO name is not UTF-8")?;
            let tier = c.string("a tier id is not UTF-8")?;
            let flags = c.take(2)?;
            let burn = f64::from_bits(c.u64()?);
            timeline.push(TimelineEntry {
                at,
                slo,
                tier,
                severity: if flags[0] == 0 {
                    Severity::Page
                } else {
                    Severity::Ticket
                },
                state: if flags[1] == 0 {
                    AlertState::Firing
                } else {
                    AlertState::Resolved
                },
                long_burn_rate: (!burn.is_nan()).then_some(burn),
            });
        }
        // What people wrote comes later in the file (`persist::people`).
        incidents.push_back(Incident {
            started_at,
            first_page_at,
            resolved_at,
            peak_burn_rate,
            peak_error_ratio,
            slos,
            timeline,
            timeline_dropped,
            ..Incident::opened(id, detected_at, crate::incidents::Opener::Engine)
        });
    }
    Ok(IncidentLog::from_parts(incidents, next_id))
}
