//! The bytes of the state file: framing, checksum, and every field in order.
//!
//! Layout (little-endian): `SLOGUARD`, version `u32`, payload, FNV-1a `u64` of all before it.
//! The payload: saved-at `u64` (Unix ns), SLO count `u32`, then per SLO its name (`u32` length
//! and UTF-8 bytes), period `u64` (ns), good, bad and cancelled counts `u64`, and its windows:
//! the last observation (time, total, bad) and per ring its resolution, capacity, newest slot,
//! length and `capacity` samples (total, bad). Version 2 adds, per SLO, its calendar windows
//! (count `u32`, then each: key, period start and end, base total and bad, past-period count
//! `u32` and per past period start, end, events, bad) and its slice state (`u8` 0 for none, 1
//! for judged slices, 2 for ratio slices counted in parts, then length, open slice end, base
//! total and bad, last time, total and bad, judged total and bad). Version 3 adds, after the SLOs, the
//! incident log (`persist::incidents`), and version 4 after it the alert states
//! (`persist::alerts`), and version 5 after those what people wrote, the maintenance schedule
//! and what it left out (`persist::people`). Older versions are still read (without those
//! parts).

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::compliance::{CalendarTrack, PastPeriod, DAILY_HISTORY, HISTORY};
use crate::incidents::IncidentLog;
use crate::recorder::Counts;
use crate::slices::SliceTrack;
use crate::window::{Reading, Windows};

use super::wire::{checksum, put_u32, put_u64, Cursor, StateError, CLOCK_TOLERANCE_NANOS};

const MAGIC: &[u8; 8] = b"SLOGUARD";
const VERSION: u32 = 5;
/// The oldest version still read.
const FIRST_VERSION: u32 = 1;

/// Frames a payload: magic, version, payload, checksum.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    out.extend_from_slice(payload);
    let sum = checksum(&out);
    put_u64(&mut out, sum);
    out
}

/// Checks the frame and returns the version and the payload.
pub(crate) fn unframe(bytes: &[u8]) -> Result<(u32, &[u8]), StateError> {
    if bytes.len() < MAGIC.len() + 4 + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(StateError::NotAStateFile);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut c = Cursor::new(sum);
    if checksum(body) != c.u64()? {
        return Err(StateError::Corrupt);
    }
    let mut c = Cursor::new(&body[MAGIC.len()..]);
    let version = c.u32()?;
    if !(FIRST_VERSION..=VERSION).contains(&version) {
        return Err(StateError::NotAStateFile);
    }
    Ok((version, c.bytes))
}

/// Writes `bytes` to `path` atomically and durably.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (tmp, mut file) = create_temporary(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename itself is made durable by syncing the directory that holds it.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// A new temporary file beside `path`, created exclusively: a name no one can guess ahead
/// (process, time and a counter) and `create_new`, which fails on anything already there,
/// a symbolic link planted by another user included, instead of writing through it.
fn create_temporary(path: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut attempt = 0;
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut name = path.as_os_str().to_owned();
        name.push(format!(
            ".{}-{nanos:09}-{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = std::path::PathBuf::from(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// One SLO as saved: what [`encode`] writes and [`decode`] reads back.
pub(crate) struct SavedSlo<W> {
    pub(crate) name: String,
    pub(crate) period: Duration,
    pub(crate) counts: Counts,
    pub(crate) windows: W,
    /// Each calendar window under its [`Calendar::key`](crate::model::Calendar::key).
    pub(crate) calendars: Vec<(String, CalendarTrack)>,
    pub(crate) slices: Option<SliceTrack>,
    /// Its tiers' alert states, by tier id.
    pub(crate) alerts: super::alerts::SavedAlerts,
    /// What maintenance left out of it, and its held alerts.
    pub(crate) maintenance: crate::maintenance::MaintenanceTrack,
}

/// The payload of a state file (framing aside) for these SLOs.
pub(crate) fn encode(
    saved_at: u64,
    slos: &[SavedSlo<Windows>],
    incidents: &IncidentLog,
    schedule: &crate::maintenance::MaintenanceLog,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(slos.len() * (crate::window::WINDOW_BYTES + 256));
    put_u64(&mut out, saved_at);
    put_u32(&mut out, slos.len() as u32);
    for slo in slos {
        let name = slo.name.as_bytes();
        put_u32(&mut out, name.len() as u32);
        out.extend_from_slice(name);
        put_u64(&mut out, crate::clock::duration_nanos(slo.period));
        put_u64(&mut out, slo.counts.good);
        put_u64(&mut out, slo.counts.bad);
        put_u64(&mut out, slo.counts.cancelled);
        encode_windows(&slo.windows, &mut out);
        put_u32(&mut out, slo.calendars.len() as u32);
        for (key, track) in &slo.calendars {
            put_u32(&mut out, key.len() as u32);
            out.extend_from_slice(key.as_bytes());
            for v in [track.start, track.end, track.base.total, track.base.bad] {
                put_u64(&mut out, v);
            }
            put_u32(&mut out, track.past.len() as u32);
            for p in &track.past {
                let (start, end) = (p.start.as_unix_nanos(), p.end.as_unix_nanos());
                for v in [start, end, p.events, p.bad_events] {
                    put_u64(&mut out, v);
                }
            }
        }
        match &slo.slices {
            None => out.push(0),
            Some(t) => {
                out.push(if t.ratio { 2 } else { 1 });
                let (last_at, last) = t.last;
                for v in [
                    t.length,
                    t.end,
                    t.base.total,
                    t.base.bad,
                    last_at,
                    last.total,
                    last.bad,
                    t.judged.total,
                    t.judged.bad,
                ] {
                    put_u64(&mut out, v);
                }
            }
        }
    }
    super::incidents::encode(incidents, &mut out);
    let alerts: Vec<_> = slos.iter().map(|s| s.alerts.clone()).collect();
    super::alerts::encode(&alerts, &mut out);
    let tracks: Vec<_> = slos.iter().map(|s| s.maintenance.clone()).collect();
    super::people::encode(incidents, schedule, &tracks, &mut out);
    out
}

fn decode_calendar(c: &mut Cursor<'_>) -> Result<(String, CalendarTrack), StateError> {
    let key = c.string("a calendar key is not UTF-8")?;
    let (start, end, base) = (c.u64()?, c.u64()?, c.reading()?);
    let count = c.u32()? as usize;
    let keep = HISTORY.max(DAILY_HISTORY);
    if count > keep {
        return Err(StateError::Malformed("more past periods than are kept"));
    }
    let mut past = std::collections::VecDeque::with_capacity(count);
    for _ in 0..count {
        past.push_back(PastPeriod {
            start: Timestamp::from_unix_nanos(c.u64()?),
            end: Timestamp::from_unix_nanos(c.u64()?),
            events: c.u64()?,
            bad_events: c.u64()?,
        });
    }
    if end <= start {
        return Err(StateError::Malformed(
            "a calendar period ends before it starts",
        ));
    }
    Ok((
        key,
        // The track it is restored into says how many it keeps.
        CalendarTrack {
            start,
            end,
            base,
            past,
            keep,
        },
    ))
}

fn decode_slices(c: &mut Cursor<'_>) -> Result<Option<SliceTrack>, StateError> {
    match c.take(1)?[0] {
        0 => Ok(None),
        flag @ (1 | 2) => {
            let (length, end, base) = (c.u64()?, c.u64()?, c.reading()?);
            let last = (c.u64()?, c.reading()?);
            let judged = c.reading()?;
            if length == 0 {
                return Err(StateError::Malformed("a time slice of zero length"));
            }
            Ok(Some(SliceTrack {
                length,
                end,
                base,
                last,
                judged,
                ratio: flag == 2,
            }))
        }
        _ => Err(StateError::Malformed("slice state flag")),
    }
}

/// A decoded payload: the SLOs (windows `None` where their shape does not fit the period)
/// and the incident log.
/// The SLOs, the incidents, and when the file was saved (nanoseconds since the epoch).
pub(crate) type Decoded = (
    Vec<SavedSlo<Option<Windows>>>,
    IncidentLog,
    crate::maintenance::MaintenanceLog,
    u64,
);

/// Reads a whole payload; windows are `None` where their shape does not fit the period.
/// Reads a payload saved no later than `now` (within the clocks' tolerance).
pub(crate) fn decode(
    (version, payload): (u32, &[u8]),
    now: Timestamp,
) -> Result<Decoded, StateError> {
    let mut c = Cursor::new(payload);
    let saved_at = c.u64()?;
    if saved_at > now.as_unix_nanos().saturating_add(CLOCK_TOLERANCE_NANOS) {
        return Err(StateError::FromTheFuture {
            saved_at: Timestamp::from_unix_nanos(saved_at),
            now,
        });
    }
    let count = c.u32()?;
    let mut slos = Vec::new();
    for _ in 0..count {
        let name = c.string("an SLO name is not UTF-8")?;
        let period = Duration::from_nanos(c.u64()?);
        let counts = Counts {
            good: c.u64()?,
            bad: c.u64()?,
            cancelled: c.u64()?,
        };
        let windows = decode_windows(period, &mut c)?;
        if windows.as_ref().is_some_and(|w| w.last.0 > saved_at) {
            return Err(StateError::Malformed(
                "an observation is later than the save",
            ));
        }
        let (mut calendars, mut slices) = (Vec::new(), None);
        if version >= 2 {
            for _ in 0..c.u32()? {
                calendars.push(decode_calendar(&mut c)?);
            }
            slices = decode_slices(&mut c)?;
        }
        slos.push(SavedSlo {
            name,
            period,
            counts,
            windows,
            calendars,
            slices,
            alerts: Vec::new(),
            maintenance: crate::maintenance::MaintenanceTrack::default(),
        });
    }
    let mut incidents = if version >= 3 {
        super::incidents::decode(&mut c)?
    } else {
        IncidentLog::default()
    };
    if version >= 4 {
        let alerts = super::alerts::decode(&mut c, slos.len())?;
        for (slo, alerts) in slos.iter_mut().zip(alerts) {
            slo.alerts = alerts;
        }
    }
    let mut schedule = crate::maintenance::MaintenanceLog::default();
    if version >= 5 {
        let (saved, tracks) = super::people::decode(&mut c, &mut incidents, slos.len())?;
        schedule = saved;
        for (slo, track) in slos.iter_mut().zip(tracks) {
            slo.maintenance = track;
        }
    }
    if !c.is_empty() {
        return Err(StateError::Malformed("trailing bytes"));
    }
    Ok((slos, incidents, schedule, saved_at))
}

fn encode_windows(w: &Windows, out: &mut Vec<u8>) {
    put_u64(out, w.last.0);
    put_u64(out, w.last.1.total);
    put_u64(out, w.last.1.bad);
    for ring in &w.rings {
        put_u64(out, ring.resolution);
        put_u64(out, ring.samples.len() as u64);
        put_u64(out, ring.newest_slot);
        put_u64(out, ring.len);
        for s in ring.samples.iter() {
            put_u64(out, s.total);
            put_u64(out, s.bad);
        }
    }
}

/// Reads rings written by [`encode_windows`] for an SLO of this period. `None` when the
/// shape does not match (the period changed since the file was written).
fn decode_windows(period: Duration, c: &mut Cursor<'_>) -> Result<Option<Windows>, StateError> {
    let fresh = Windows::new(period, 0, Reading::default());
    let last = (
        c.u64()?,
        Reading {
            total: c.u64()?,
            bad: c.u64()?,
        },
    );
    let mut rings = fresh.rings.clone();
    let mut fits = true;
    for ring in rings.iter_mut() {
        let resolution = c.u64()?;
        let capacity = c.u64()?;
        let newest_slot = c.u64()?;
        let len = c.u64()?;
        // Read every sample even when the shape is wrong, so the next SLO starts in place.
        let mut samples = Vec::with_capacity(capacity.min(1 << 16) as usize);
        for _ in 0..capacity {
            samples.push(Reading {
                total: c.u64()?,
                bad: c.u64()?,
            });
        }
        if resolution != ring.resolution || capacity != ring.capacity() {
            fits = false;
            continue;
        }
        ring.samples = samples.into_boxed_slice();
        ring.newest_slot = newest_slot;
        ring.len = len;
        check_ring(ring, last)?;
    }
    Ok(fits.then_some(Windows { rings, last }))
}

/// The invariants the evaluator relies on, which a file with a valid checksum can still break
/// (written by a buggy or hostile program): the newest sample is the last observation's slot,
/// the samples held fit the slots before it, and counts never go backwards or have more bad
/// events than events.
fn check_ring(ring: &crate::window::Ring, last: (u64, Reading)) -> Result<(), StateError> {
    if ring.newest_slot != last.0 / ring.resolution {
        return Err(StateError::Malformed(
            "a ring's newest sample is not at the last observation",
        ));
    }
    if ring.len == 0 || ring.len > ring.capacity() || ring.len > ring.newest_slot + 1 {
        return Err(StateError::Malformed(
            "a ring's length does not fit its slots",
        ));
    }
    let oldest = ring.newest_slot + 1 - ring.len;
    let mut before = Reading::default();
    for slot in oldest..=ring.newest_slot {
        let r = ring.samples[(slot % ring.capacity()) as usize];
        if r.bad > r.total || r.total < before.total || r.bad < before.bad {
            return Err(StateError::Malformed("a ring's counts go backwards"));
        }
        before = r;
    }
    if last.1.total < before.total || last.1.bad < before.bad || last.1.bad > last.1.total {
        return Err(StateError::Malformed(
            "the last observation is behind the ring's newest sample",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_one_files_are_still_read() {
        let period = Duration::from_secs(30 * 86_400);
        let slo = SavedSlo {
            name: "checkout".to_owned(),
            period,
            counts: Counts {
                good: 7,
                bad: 3,
                cancelled: 0,
            },
            windows: Windows::new(period, 0, Reading::default()),
            calendars: Vec::new(),
            slices: None,
            alerts: Vec::new(),
            maintenance: crate::maintenance::MaintenanceTrack::default(),
        };
        let v5 = encode(
            0,
            std::slice::from_ref(&slo),
            &IncidentLog::default(),
            &crate::maintenance::MaintenanceLog::default(),
        );
        // Version 4 had no people's section (schedule id and count, then per SLO its three
        // excluded counts and a held flag: 37 bytes here).
        let v4 = &v5[..v5.len() - 37];
        let (decoded, _, schedule, _) =
            decode((4, v4), Timestamp::LATEST).expect("a version 4 payload");
        assert!(schedule.windows.is_empty() && decoded[0].maintenance.held.is_none());
        // Version 3 had no alert states (a count per SLO: 4 bytes when empty).
        let v3 = &v4[..v4.len() - 4];
        let (decoded, _, _, _) = decode((3, v3), Timestamp::LATEST).expect("a version 3 payload");
        assert!(decoded[0].alerts.is_empty());
        // Version 2 had no incident log (next id and count: 12 bytes when empty).
        let v2 = &v3[..v3.len() - 12];
        let (decoded, log, _, _) = decode((2, v2), Timestamp::LATEST).expect("a version 2 payload");
        assert_eq!((decoded.len(), log), (1, IncidentLog::default()));
        // Version 1 ended each SLO with its windows: no calendar count, no slice flag.
        let v1 = &v2[..v2.len() - 5];
        let (decoded, _, _, _) = decode((1, v1), Timestamp::LATEST).expect("a version 1 payload");
        assert_eq!((decoded[0].counts.good, decoded[0].counts.bad), (7, 3));
        assert!(decoded[0].windows.is_some() && decoded[0].calendars.is_empty());
        assert!(
            decode((2, v1), Timestamp::LATEST).is_err(),
            "read as version 2 it ends early"
        );
        let mut framed = frame(v1);
        framed[8..12].copy_from_slice(&1u32.to_le_bytes());
        let len = framed.len();
        let sum = checksum(&framed[..len - 8]);
        framed[len - 8..].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(unframe(&framed).expect("framed").0, 1);
    }
}
