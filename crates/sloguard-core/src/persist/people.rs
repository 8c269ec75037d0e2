//! What people wrote, and what maintenance left out, in the state file (version 5), after
//! the alert states:
//! - per incident of the log, in its order: opener `u8` (0 engine, 1 person), title (`u8` 0 for
//!   none, else 1 and a string), impact `u8` (255 for none), alerts ended at `u64` (0 for
//!   none), components and declared SLOs (each a count `u32` and strings), and updates (count
//!   `u32`, then per update its id, time, status `u8` and message);
//! - the maintenance schedule: next id `u64`, count `u32`, then per window its id, name,
//!   message, start, end, created, cancelled (0 for none), components and SLOs;
//! - per SLO, in the order of the SLOs: the excluded good, bad and cancelled counts `u64`, and
//!   the held alerts (`u8` 0 for none, else 1, a count `u32` and a `u8` per tier).
//!
//! Strings are a `u32` length and UTF-8 bytes.

use std::collections::VecDeque;

use super::wire::{put_u32, put_u64, Cursor, StateError};
use crate::clock::Timestamp;
use crate::incidents::write::MAX_UPDATES;
use crate::incidents::{Impact, IncidentLog, IncidentUpdate, Opener, UpdateStatus};
use crate::maintenance::{Maintenance, MaintenanceLog, MaintenanceTrack, MAX_MAINTENANCES};
use crate::recorder::Counts;

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn put_strs(out: &mut Vec<u8>, list: &[String]) {
    put_u32(out, list.len() as u32);
    for s in list {
        put_str(out, s);
    }
}

fn put_time(out: &mut Vec<u8>, t: Option<Timestamp>) {
    put_u64(out, t.map_or(0, Timestamp::as_unix_nanos));
}

pub(super) fn encode(
    log: &IncidentLog,
    schedule: &MaintenanceLog,
    slos: &[MaintenanceTrack],
    out: &mut Vec<u8>,
) {
    for i in &log.incidents {
        out.push(u8::from(i.opened_by == Opener::Person));
        match &i.title {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                put_str(out, t);
            }
        }
        out.push(i.impact.map_or(255, |x| x as u8));
        put_time(out, i.alerts_ended_at);
        put_strs(out, &i.components);
        put_strs(out, &i.declared_slos);
        put_u32(out, i.updates.len() as u32);
        for u in &i.updates {
            put_u64(out, u.id);
            put_u64(out, u.at.as_unix_nanos());
            out.push(u.status as u8);
            put_str(out, &u.message);
        }
    }
    put_u64(out, schedule.next_id);
    put_u32(out, schedule.windows.len() as u32);
    for m in &schedule.windows {
        put_u64(out, m.id);
        put_str(out, &m.name);
        put_str(out, &m.message);
        for t in [m.scheduled_for, m.scheduled_until, m.created_at] {
            put_u64(out, t.as_unix_nanos());
        }
        put_time(out, m.cancelled_at);
        put_strs(out, &m.components);
        put_strs(out, &m.slos);
    }
    for track in slos {
        let e = track.excluded;
        for v in [e.good, e.bad, e.cancelled] {
            put_u64(out, v);
        }
        match &track.held {
            None => out.push(0),
            Some(tiers) => {
                out.push(1);
                put_u32(out, tiers.len() as u32);
                out.extend(tiers.iter().map(|f| u8::from(*f)));
            }
        }
    }
}

fn time(c: &mut Cursor<'_>) -> Result<Option<Timestamp>, StateError> {
    let v = c.u64()?;
    Ok((v != 0).then(|| Timestamp::from_unix_nanos(v)))
}

/// A count of items each at least `least` bytes long: more than the rest of the file holds
/// is a corrupt file, not a reason to allocate.
fn count(c: &mut Cursor<'_>, least: usize, what: &'static str) -> Result<usize, StateError> {
    let n = c.u32()? as usize;
    if n > c.bytes.len() / least.max(1) {
        return Err(StateError::Malformed(what));
    }
    Ok(n)
}

fn strs(c: &mut Cursor<'_>) -> Result<Vec<String>, StateError> {
    let n = count(c, 4, "more names than the file holds")?;
    (0..n).map(|_| c.string("a name is not UTF-8")).collect()
}

fn flag(c: &mut Cursor<'_>, what: &'static str) -> Result<bool, StateError> {
    match c.take(1)?[0] {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(StateError::Malformed(what)),
    }
}

/// Reads the section into `log` (decoded already from its own section) and returns the
/// schedule and each SLO's maintenance track.
pub(super) fn decode(
    c: &mut Cursor<'_>,
    log: &mut IncidentLog,
    slos: usize,
) -> Result<(MaintenanceLog, Vec<MaintenanceTrack>), StateError> {
    for i in log.incidents.iter_mut() {
        i.opened_by = if flag(c, "an incident opener is neither 0 nor 1")? {
            Opener::Person
        } else {
            Opener::Engine
        };
        i.title = if flag(c, "an incident title flag is neither 0 nor 1")? {
            Some(c.string("an incident title is not UTF-8")?)
        } else {
            None
        };
        i.impact = match c.take(1)?[0] {
            255 => None,
            n => Some(
                *Impact::ALL
                    .get(n as usize)
                    .ok_or(StateError::Malformed("an unknown incident impact"))?,
            ),
        };
        i.alerts_ended_at = time(c)?;
        i.components = strs(c)?;
        i.declared_slos = strs(c)?;
        let n = count(c, 21, "more updates than the file holds")?;
        if n > MAX_UPDATES {
            return Err(StateError::Malformed("more updates than are kept"));
        }
        i.updates = (0..n)
            .map(|_| {
                Ok(IncidentUpdate {
                    id: c.u64()?,
                    at: Timestamp::from_unix_nanos(c.u64()?),
                    status: *UpdateStatus::ALL
                        .get(c.take(1)?[0] as usize)
                        .ok_or(StateError::Malformed("an unknown update status"))?,
                    message: c.string("an update is not UTF-8")?,
                })
            })
            .collect::<Result<_, StateError>>()?;
    }
    log.changed();
    let next_id = c.u64()?;
    let n = count(c, 56, "more maintenance windows than the file holds")?;
    if n > MAX_MAINTENANCES {
        return Err(StateError::Malformed(
            "more maintenance windows than are kept",
        ));
    }
    let mut windows = VecDeque::with_capacity(n);
    for _ in 0..n {
        windows.push_back(Maintenance {
            id: c.u64()?,
            name: c.string("a maintenance name is not UTF-8")?,
            message: c.string("a maintenance message is not UTF-8")?,
            scheduled_for: Timestamp::from_unix_nanos(c.u64()?),
            scheduled_until: Timestamp::from_unix_nanos(c.u64()?),
            created_at: Timestamp::from_unix_nanos(c.u64()?),
            cancelled_at: time(c)?,
            components: strs(c)?,
            slos: strs(c)?,
        });
    }
    let mut tracks = Vec::with_capacity(slos);
    for _ in 0..slos {
        let excluded = Counts {
            good: c.u64()?,
            bad: c.u64()?,
            cancelled: c.u64()?,
        };
        let held = if flag(c, "a held-alerts flag is neither 0 nor 1")? {
            let n = count(c, 1, "more held tiers than the file holds")?;
            Some(c.take(n)?.iter().map(|b| *b != 0).collect())
        } else {
            None
        };
        tracks.push(MaintenanceTrack {
            seen: Counts::default(),
            excluded,
            held,
        });
    }
    Ok((MaintenanceLog { windows, next_id }, tracks))
}
