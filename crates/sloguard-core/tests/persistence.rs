//! State that survives restarts: a saved registry restores exactly; a torn, truncated or
//! corrupt file is detected, reported and ignored; no input makes loading panic.

use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use sloguard_core::clock::{Timestamp, VirtualClock};
use sloguard_core::model::Slo;
use sloguard_core::StateError;
use sloguard_core::{Outcome, Registry};

const T0: u64 = 1_767_225_600;

fn path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sloguard-state-{}-{name}", std::process::id()))
}

fn registry(clock: &VirtualClock) -> Registry {
    let r = Registry::builder("payments").clock(clock.clock()).build();
    r.register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    r.register(
        Slo::latency("latency", Duration::from_millis(300))
            .period(Duration::from_secs(7 * 86_400))
            .build()
            .expect("valid"),
    )
    .expect("ok");
    r
}

/// Two hours of traffic with a bad patch, saved.
fn saved(file: &std::path::Path) -> (VirtualClock, Registry) {
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let r = registry(&clock);
    let a = r.slo("availability").expect("a");
    let l = r.slo("latency").expect("l");
    for s in 0..7_200u64 {
        r.advance_to(Timestamp::from_unix_secs(T0 + s));
        let bad = (3_000..3_300).contains(&s);
        a.record(
            if bad {
                Outcome::Error
            } else {
                Outcome::Success
            },
            Duration::from_millis(20),
        );
        l.record(
            Outcome::Success,
            Duration::from_millis(if bad { 500 } else { 50 }),
        );
    }
    r.advance_to(Timestamp::from_unix_secs(T0 + 7_200));
    r.save_state(file).expect("saved");
    (clock, r)
}

#[test]
fn a_restart_keeps_the_budget_and_the_windows() {
    let file = path("roundtrip");
    let (clock, before) = saved(&file);
    let want = before.snapshot();

    let restarted = registry(&clock);
    let report = restarted.load_state(&file).expect("loads");
    assert_eq!(report.restored, ["availability", "latency"]);
    let got = restarted.snapshot();
    for (w, g) in want.slos.iter().zip(&got.slos) {
        assert_eq!(w.counts, g.counts);
        assert_eq!(
            w.evaluation.windows,
            g.evaluation.windows,
            "{}",
            w.definition.name()
        );
        assert_eq!(w.budget_remaining(), g.budget_remaining());
    }
    // Time goes on after the restart: the windows keep working from the restored history.
    let a = restarted.slo("availability").expect("a");
    for s in 0..600u64 {
        restarted.advance_to(Timestamp::from_unix_secs(T0 + 7_200 + s));
        a.record(Outcome::Success, Duration::from_millis(20));
    }
    restarted.advance_to(Timestamp::from_unix_secs(T0 + 7_800));
    let later = restarted.snapshot();
    let hour = later.slos[0]
        .evaluation
        .window(Duration::from_secs(3_600))
        .expect("1h");
    assert_eq!((hour.events, hour.bad_events), (3_600, 0));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn torn_truncated_and_corrupt_files_are_ignored_with_a_clear_error() {
    let file = path("corrupt");
    let (clock, _) = saved(&file);
    let good = std::fs::read(&file).expect("read");

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("torn half-way", good[..good.len() / 2].to_vec()),
        ("one byte short", good[..good.len() - 1].to_vec()),
        ("a flipped bit", {
            let mut b = good.clone();
            b[good.len() / 3] ^= 0x10;
            b
        }),
        ("empty", Vec::new()),
        ("not ours", b"{\"service\": \"payments\"}".to_vec()),
    ];
    for (what, bytes) in cases {
        std::fs::write(&file, &bytes).expect("write");
        let fresh = registry(&clock);
        let err = fresh.load_state(&file).expect_err(what);
        assert!(
            matches!(err, StateError::Corrupt | StateError::NotAStateFile),
            "{what}: {err}"
        );
        assert!(!err.to_string().is_empty());
        assert_eq!(
            fresh.slo("availability").expect("a").counts().events(),
            0,
            "{what}: nothing restored"
        );
    }
    let missing = registry(&clock)
        .load_state(&path("never-written"))
        .expect_err("missing");
    assert!(matches!(missing, StateError::Io(_)));
    let _ = std::fs::remove_file(&file);
    remove_set_aside(&file);
}

/// `bytes` (a whole state file) with its last eight bytes replaced by the format's checksum
/// (FNV-1a, 64 bits) of everything before them: what a program that writes a file with valid
/// framing but wrong contents would produce.
fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    let end = bytes.len() - 8;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &bytes[..end] {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    bytes[end..].copy_from_slice(&h.to_le_bytes());
    bytes
}

/// The copies of `file` that loading set aside (`NAME.not-loaded-SECONDS`).
fn set_aside(file: &std::path::Path) -> Vec<PathBuf> {
    let name = file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    std::fs::read_dir(file.parent().expect("dir"))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(&format!("{name}.not-loaded-"))
            })
        })
        .collect()
}

fn remove_set_aside(file: &std::path::Path) {
    for copy in set_aside(file) {
        let _ = std::fs::remove_file(copy);
    }
}

/// Where the first SLO's (`availability`'s) finest ring keeps its newest slot and its length
/// in a file `saved` wrote: magic and version (12), saved-at (8), SLO count (4), name (4 + 12),
/// period (8), counts (24), last observation (24), then the ring's resolution and capacity.
const NEWEST_SLOT_AT: usize = 12 + 8 + 4 + 4 + 12 + 8 + 24 + 24 + 16;
const LENGTH_AT: usize = NEWEST_SLOT_AT + 8;

fn put_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn a_valid_checksum_over_broken_invariants_is_refused_and_set_aside() {
    let file = path("invariants");
    let (clock, _) = saved(&file);
    let good = std::fs::read(&file).expect("read");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a newest slot and a length that disagree", {
            let mut b = good.clone();
            put_u64(&mut b, NEWEST_SLOT_AT, 3);
            put_u64(&mut b, LENGTH_AT, 10);
            with_checksum(b)
        }),
        ("a length of zero", {
            let mut b = good.clone();
            put_u64(&mut b, LENGTH_AT, 0);
            with_checksum(b)
        }),
        ("counts that go backwards", {
            // The newest sample of the finest ring, which follows the length.
            let mut b = good.clone();
            let newest =
                u64::from_le_bytes(b[NEWEST_SLOT_AT..NEWEST_SLOT_AT + 8].try_into().expect("8"));
            let capacity =
                u64::from_le_bytes(b[NEWEST_SLOT_AT - 8..NEWEST_SLOT_AT].try_into().expect("8"));
            let sample = LENGTH_AT + 8 + (newest % capacity) as usize * 16;
            put_u64(&mut b, sample, 0);
            with_checksum(b)
        }),
    ];
    for (what, bytes) in cases {
        std::fs::write(&file, &bytes).expect("write");
        let fresh = registry(&clock);
        let err = fresh.load_state(&file).expect_err(what);
        assert!(matches!(err, StateError::Malformed(_)), "{what}: {err}");
        assert_eq!(
            fresh.slo("availability").expect("a").counts().events(),
            0,
            "{what}"
        );
        let diagnostic = fresh
            .snapshot()
            .diagnostics
            .into_iter()
            .find(|d| d.code == sloguard_core::diagnostic::code::STATE_NOT_LOADED)
            .unwrap_or_else(|| panic!("{what}: no state_not_loaded diagnostic"));
        assert!(
            diagnostic.message.contains("was kept as"),
            "{}",
            diagnostic.message
        );
        // Kept aside, byte for byte, before any save could replace it.
        assert!(!file.exists(), "{what}: moved away");
        let copies = set_aside(&file);
        assert!(
            copies
                .iter()
                .any(|c| std::fs::read(c).ok().as_deref() == Some(&bytes[..])),
            "{what}: {copies:?}"
        );
        // The service goes on evaluating, and its next save does not touch the copy.
        fresh.advance_to(clock.now().saturating_add(Duration::from_secs(60)));
        fresh.save_state(&file).expect("saves");
        assert!(!set_aside(&file).is_empty());
        remove_set_aside(&file);
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_file_saved_in_the_future_is_refused() {
    let file = path("future");
    let (_, saved_registry) = saved(&file);
    drop(saved_registry);
    // The file's clock ran a day ahead of this one.
    let behind = VirtualClock::new(Timestamp::from_unix_secs(T0 + 7_200 - 86_400));
    let err = registry(&behind)
        .load_state(&file)
        .expect_err("from the future");
    assert!(matches!(err, StateError::FromTheFuture { .. }), "{err}");
    assert!(err.to_string().contains("after now"), "{err}");
    // A minute ahead is a synchronised clock on another machine: loaded.
    std::fs::rename(set_aside(&file).pop().expect("set aside"), &file).expect("back");
    let close = VirtualClock::new(Timestamp::from_unix_secs(T0 + 7_200 - 30));
    registry(&close)
        .load_state(&file)
        .expect("half a minute ahead loads");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn an_oversized_file_is_refused_without_being_read() {
    let file = path("oversized");
    let f = std::fs::File::create(&file).expect("create");
    // Sparse: no disk is spent, but a reader without a limit would allocate all of it.
    f.set_len(sloguard_core::MAX_STATE_BYTES * 4).expect("size");
    drop(f);
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let err = registry(&clock).load_state(&file).expect_err("too large");
    assert!(
        matches!(err, StateError::TooLarge(n) if n == sloguard_core::MAX_STATE_BYTES * 4),
        "{err}"
    );
    remove_set_aside(&file);
    let _ = std::fs::remove_file(&file);
}

#[cfg(unix)]
#[test]
fn saving_never_writes_through_a_planted_link() {
    let file = path("planted");
    let victim = path("victim");
    std::fs::write(&victim, b"precious").expect("victim");
    // The name the old code wrote its temporary file to.
    let mut planted = file.as_os_str().to_owned();
    planted.push(".tmp");
    let _ = std::fs::remove_file(&planted);
    std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    registry(&clock).save_state(&file).expect("saves");
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    registry(&clock)
        .load_state(&file)
        .expect("the saved file loads");
    for p in [file, victim, PathBuf::from(planted)] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn a_changed_period_skips_that_slo() {
    let file = path("period");
    let (clock, _) = saved(&file);
    let other = Registry::builder("payments").clock(clock.clock()).build();
    other
        .register(
            Slo::availability("availability")
                .period(Duration::from_secs(28 * 86_400))
                .build()
                .expect("valid"),
        )
        .expect("ok");
    let report = other.load_state(&file).expect("loads");
    assert_eq!(report.skipped, ["availability", "latency"]);
    assert!(report.restored.is_empty());
    let _ = std::fs::remove_file(&file);
}

#[test]
fn periodic_saving_writes_the_file_and_saves_at_shutdown() {
    let file = path("periodic");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let r = registry(&clock);
    let guard = r.persist_to(&file, Duration::from_secs(60));
    let a = r.slo("availability").expect("a");
    for s in 0..120u64 {
        r.advance_to(Timestamp::from_unix_secs(T0 + s));
        a.record(Outcome::Success, Duration::from_millis(1));
    }
    // Saves happen on a thread of their own, soon after the evaluation that asked.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(file.exists(), "saved during evaluation");
    a.record(Outcome::Error, Duration::from_millis(1));
    drop(guard);
    let restored = registry(&clock);
    restored.load_state(&file).expect("loads");
    assert_eq!(
        restored.slo("availability").expect("a").counts().bad,
        1,
        "the shutdown save has the last event"
    );
    let _ = std::fs::remove_file(&file);
}

proptest! {
    #[test]
    fn no_bytes_make_loading_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096), framed in any::<bool>()) {
        let file = path(&format!("fuzz-{}", bytes.len()));
        // Framed payloads pass the checksum and reach the decoder itself.
        let content = if framed {
            let mut out = b"SLOGUARD".to_vec();
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&bytes);
            out.extend_from_slice(&[0; 8]);
            with_checksum(out)
        } else {
            bytes
        };
        std::fs::write(&file, &content).expect("write");
        let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
        let _ = registry(&clock).load_state(&file);
        let _ = std::fs::remove_file(&file);
        remove_set_aside(&file);
    }
}

#[test]
fn a_restart_keeps_the_current_calendar_period_to_itself() {
    use sloguard_core::model::Calendar;
    // 2026-01-31 00:00 UTC.
    let start = 1_769_817_600;
    let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
    let build = |clock: &VirtualClock| {
        let r = Registry::builder("shop").clock(clock.clock()).build();
        let slo = Slo::availability("checkout")
            .calendar(Calendar::month("UTC").expect("zone"))
            .build()
            .expect("valid");
        let recorder = r.register(slo).expect("registers");
        (r, recorder)
    };
    let (first, slo) = build(&clock);
    for _ in 0..100 {
        slo.record(Outcome::Error, Duration::from_millis(1));
    }
    // Into February, with 50 good events there.
    first.advance_to(Timestamp::from_unix_secs(start + 86_400 + 600));
    for _ in 0..50 {
        slo.record(Outcome::Success, Duration::from_millis(1));
    }
    first.advance_to(Timestamp::from_unix_secs(start + 86_400 + 1_200));
    let file = path("calendar");
    first.save_state(&file).expect("saved");

    let (restarted, _) = build(&clock);
    restarted.load_state(&file).expect("loads");
    let snapshot = restarted.snapshot();
    let month = &snapshot.slo("checkout").expect("registered").compliance[0];
    assert_eq!(
        (month.events, month.bad_events),
        (50, 0),
        "January's errors are not February's"
    );
    assert_eq!(month.past.len(), 1, "January is kept");
    assert_eq!((month.past[0].events, month.past[0].bad_events), (100, 100));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_restart_keeps_time_slices_and_sla_history() {
    use sloguard_core::compliance::SlaStatus;
    use sloguard_core::model::{Calendar, Sla, TimeSlices};
    // 2026-01-31 00:00 UTC.
    let start = 1_769_817_600;
    let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
    let build_with = |clock: &VirtualClock, ratio: bool| {
        let r = Registry::builder("shop").clock(clock.clock()).build();
        let minute = Duration::from_secs(60);
        let slices = if ratio {
            TimeSlices::ratio(minute)
        } else {
            TimeSlices::new(minute, 90.0)
        };
        let slo = Slo::availability("uptime")
            .time_slices(slices.expect("valid"))
            .sla(Sla::new(99.0, Calendar::month("UTC").expect("zone")).expect("valid"))
            .build()
            .expect("valid");
        let recorder = r.register(slo).expect("registers");
        (r, recorder)
    };
    let build = |clock: &VirtualClock| build_with(clock, false);
    let (first, slo) = build(&clock);
    // January 31st: 30 bad minutes, 30 good ones; then 10 good minutes of February.
    for minute in 0..70 {
        let day = if minute < 60 { 0 } else { 86_400 - 3_600 };
        first.advance_to(Timestamp::from_unix_secs(start + day + minute * 60 + 1));
        let outcome = if minute < 30 {
            Outcome::Error
        } else {
            Outcome::Success
        };
        slo.record(outcome, Duration::from_millis(1));
    }
    first.advance_to(Timestamp::from_unix_secs(start + 86_400 + 30 * 60));
    let before = first.snapshot();
    let file = path("slices");
    first.save_state(&file).expect("saved");

    let (restarted, _) = build(&clock);
    restarted.load_state(&file).expect("loads");
    let after = restarted.snapshot();
    let (b, a) = (
        &before.slo("uptime").expect("registered"),
        &after.slo("uptime").expect("registered"),
    );
    assert_eq!(
        a.compliance, b.compliance,
        "the month and its past, as saved"
    );
    assert_eq!(a.evaluation.period, b.evaluation.period, "slices, as saved");
    let month = &a.compliance[0];
    assert_eq!((month.past[0].events, month.past[0].bad_events), (60, 30));
    assert_eq!(
        month.sla.as_ref().expect("an SLA").past,
        [SlaStatus::Breached]
    );
    assert_eq!(month.events, 10, "February's good minutes");
    // Ratio slices count in parts: judged slices' windows would mix units, so they are left.
    let (ratio, _) = build_with(&clock, true);
    let report = ratio.load_state(&file).expect("loads");
    assert_eq!(
        (report.restored.len(), report.skipped.as_slice()),
        (0, ["uptime".to_owned()].as_slice())
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_restart_keeps_the_incident_history_and_the_daily_bars() {
    // 2026-02-01 22:00 UTC: an hour of failures, then past midnight into a second day.
    let start = 1_769_983_200;
    let clock = VirtualClock::new(Timestamp::from_unix_secs(start));
    let build = |clock: &VirtualClock| {
        let r = Registry::builder("shop").clock(clock.clock()).build();
        let slo = r
            .register(Slo::availability("checkout").build().expect("valid"))
            .expect("registers");
        (r, slo)
    };
    let (first, slo) = build(&clock);
    for minute in 0..9 * 60 {
        first.advance_to(Timestamp::from_unix_secs(start + minute * 60));
        let failing = (30..90).contains(&minute);
        for i in 0..20 {
            let outcome = if failing && i % 4 == 0 {
                Outcome::Error
            } else {
                Outcome::Success
            };
            slo.record(outcome, Duration::from_millis(1));
        }
    }
    let incidents = first.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert!(incidents[0].resolved_at.is_some());
    assert_eq!(incidents[0].slos[0].bad_events, 60 * 5);
    // Snapshots share the history until it changes: a scrape copies a pointer.
    let (a, b) = (first.snapshot(), first.snapshot());
    assert!(std::sync::Arc::ptr_eq(&a.incidents, &b.incidents));
    let days = first.snapshot().slos[0].days.clone();
    assert_eq!(days.len(), 2, "today and yesterday");
    assert_eq!(
        (days[1].events, days[1].bad_events),
        (120 * 20, 60 * 5),
        "the first day"
    );
    let file = path("incidents");
    first.save_state(&file).expect("saved");

    let (restarted, _) = build(&clock);
    restarted.load_state(&file).expect("loads");
    assert_eq!(restarted.incidents(), incidents);
    assert_eq!(restarted.snapshot().slos[0].days, days);
    let _ = std::fs::remove_file(&file);
}

/// A registry whose sink keeps every transition, for restarts during an alert.
fn listened(
    clock: &VirtualClock,
) -> (
    Registry,
    std::sync::Arc<std::sync::Mutex<Vec<sloguard_core::alert::AlertTransition>>>,
) {
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = {
        let heard = std::sync::Arc::clone(&heard);
        move |t: &sloguard_core::alert::AlertTransition| heard.lock().expect("lock").push(t.clone())
    };
    let r = Registry::builder("payments")
        .clock(clock.clock())
        .alert_sink(sink)
        .build();
    r.register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    (r, heard)
}

/// Five minutes of nothing but errors, then ten quiet seconds: the pages fire.
fn total_outage(registry: &Registry) {
    let slo = registry.slo("availability").expect("registered");
    for s in 1..=300u64 {
        registry.advance_to(Timestamp::from_unix_secs(T0 + s));
        slo.record(Outcome::Error, Duration::from_millis(5));
    }
    registry.advance_to(Timestamp::from_unix_secs(T0 + 310));
}

#[test]
fn a_restart_during_a_page_is_no_new_page_and_no_new_incident() {
    let file = path("paging");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (before, heard) = listened(&clock);
    total_outage(&before);
    let fired: Vec<String> = heard
        .lock()
        .expect("lock")
        .iter()
        .map(|t| t.tier_id.clone())
        .collect();
    assert!(fired.contains(&"page-1h".to_owned()), "{fired:?}");
    before.save_state(&file).expect("saved");
    let incident = before.incidents()[0].clone();

    // Restarted while the errors go on: the pages resume (no new alert, no new incident).
    let (after, heard_after) = listened(&clock);
    after.load_state(&file).expect("loads");
    let slo = after.slo("availability").expect("registered");
    for s in 311..=330u64 {
        after.advance_to(Timestamp::from_unix_secs(T0 + s));
        slo.record(Outcome::Error, Duration::from_millis(5));
    }
    let resumed = heard_after.lock().expect("lock").clone();
    assert!(!resumed.is_empty(), "the sinks hear that the pages go on");
    for t in &resumed {
        assert!(
            t.is_resumed(),
            "{} {:?} at {:?} since {:?}",
            t.tier_id,
            t.state,
            t.at,
            t.firing_since
        );
    }
    let tiers: Vec<&str> = resumed.iter().map(|t| t.tier_id.as_str()).collect();
    assert_eq!(tiers, fired.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(resumed[0].firing_since, heard.lock().expect("lock")[0].at);
    let incidents = after.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(
        (incidents[0].id, incidents[0].started_at),
        (incident.id, incident.started_at)
    );
    assert!(incidents[0].resolved_at.is_none());
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_page_that_ended_while_the_process_was_down_resolves_at_the_first_evaluation() {
    let file = path("resolving");
    let clock = VirtualClock::new(Timestamp::from_unix_secs(T0));
    let (before, _) = listened(&clock);
    total_outage(&before);
    before.save_state(&file).expect("saved");

    // Down for two hours with no errors since: the 1h page no longer holds.
    clock.set(Timestamp::from_unix_secs(T0 + 310 + 7_200));
    let (after, heard) = listened(&clock);
    after.load_state(&file).expect("loads");
    after.tick();
    let heard = heard.lock().expect("lock").clone();
    let page = heard
        .iter()
        .find(|t| t.tier_id == "page-1h")
        .expect("page-1h heard");
    assert_eq!(page.state, sloguard_core::alert::AlertState::Resolved);
    assert!(!page.is_resumed());
    let _ = std::fs::remove_file(&file);
}
