//! Replay with calendar windows, an SLA and time slices: a three-month trace with one bad
//! week, and time-slice SLOs checked through the replay output against a plain event list.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};
use sloguard::spec::Spec;
use sloguard_cli::replay::{replay, Options};

/// 2026-01-01 00:00 UTC.
const JAN: u64 = 1_767_225_600;
const FEB: u64 = 1_769_904_000;
const MAR: u64 = 1_772_323_200;
const APR: u64 = 1_775_001_600;

fn run(spec: &str, events: impl Iterator<Item = (u64, bool)>, step: Duration) -> Vec<Value> {
    let spec = Spec::from_str(spec).expect("valid spec");
    let input: String = events
        .map(|(ts, ok)| json!({"ts": ts, "ok": ok}).to_string() + "\n")
        .collect();
    let mut out = Vec::new();
    let options = Options {
        step,
        ..Options::default()
    };
    replay(&spec, input.as_bytes(), &mut out, &options).expect("replays");
    String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn three_months_with_one_bad_week_breach_the_month_it_falls_in() {
    let spec = "service: shop
slos:
  - name: checkout
    objective: 99.9
    sli: availability
    calendars: [{period: week}]
    sla: {objective: 99, period: month}
";
    // One request a minute for January to March; 2026-02-09 to 02-16, one in ten fails
    // (February then ends at 2.5% bad, against the 1% the SLA allows).
    let bad_week = FEB + 8 * 86_400..FEB + 15 * 86_400;
    let events = (JAN..APR)
        .step_by(60)
        .map(|ts| (ts, !(bad_week.contains(&ts) && ts % 600 == 0)));
    let lines = run(spec, events, Duration::from_secs(3_600));

    let closed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["window"] == "month" && l.get("period").is_some())
        .collect();
    let months: Vec<(f64, &str)> = closed
        .iter()
        .map(|l| {
            (
                l["period"]["start"].as_f64().expect("start"),
                l["period"]["sla"].as_str().expect("an SLA outcome"),
            )
        })
        .collect();
    assert_eq!(
        months,
        [
            (JAN as f64, "met"),
            (FEB as f64, "breached"),
            (MAR as f64, "met")
        ],
        "{closed:?}"
    );
    let february = &closed[1]["period"];
    assert_eq!(february["events"], 28 * 1_440);
    assert_eq!(february["bad_events"], 7 * 144);
    assert_eq!(
        closed[0]["ts"], FEB as f64,
        "January is reported when it ends"
    );

    // During February the SLA goes from no data (its first instant) to met, at risk and
    // breached, and never back.
    let states: Vec<&str> = lines
        .iter()
        .filter(|l| l["compliance"].is_array())
        .filter_map(|l| {
            let ts = l["ts"].as_f64()?;
            let month = l["compliance"]
                .as_array()?
                .iter()
                .find(|w| w["window"] == "month")?;
            ((FEB as f64..MAR as f64).contains(&ts)).then(|| month["sla"]["status"].as_str())?
        })
        .collect();
    let mut changes = states.clone();
    changes.dedup();
    assert_eq!(
        changes,
        ["no_data", "met", "at_risk", "breached"],
        "{changes:?}"
    );
    // The weeks: only the bad one misses the SLO's 99.9%.
    let weeks_below: Vec<f64> = lines
        .iter()
        .filter(|l| l["window"] == "week")
        .filter(|l| l["period"]["sli_ratio"].as_f64().is_some_and(|r| r < 0.999))
        .map(|l| l["period"]["start"].as_f64().expect("start"))
        .collect();
    assert_eq!(weeks_below, [(FEB + 8 * 86_400) as f64]);
}

/// The Paris week and month keys of an instant.
fn local_keys(secs: u64) -> [(i16, i8); 2] {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
    let date = jiff::Timestamp::from_second(secs as i64)
        .expect("instant")
        .to_zoned(tz)
        .date();
    let week = date.iso_week_date();
    [(week.year(), week.week()), (date.year(), date.month())]
}

/// 2026-10-20 00:00 UTC; 12 days cross Paris' end of summer time, a week and a month.
const OCT20: u64 = 1_792_454_400;

fn slices_through_replay(empty: &str, mut events: Vec<(u64, bool)>) {
    events.sort_unstable();
    let Some(&(first, _)) = events.first() else {
        return;
    };
    let spec = format!(
        "service: shop
slos:
  - name: uptime
    objective: 99
    sli: availability
    time_slices: {{length: 1m, objective: 75, empty: {empty}}}
    calendars: [{{period: week, zone: Europe/Paris}}, {{period: month, zone: Europe/Paris}}]
"
    );
    let lines = run(
        &spec,
        events.iter().map(|&(at, ok)| (OCT20 + at, ok)),
        Duration::from_secs(86_400),
    );
    let last = lines
        .iter()
        .rev()
        .find(|l| l["compliance"].is_array())
        .expect("a status line");
    let end = last["ts"].as_f64().expect("ts") as u64 - OCT20;

    // The reference: slices from the first event's minute to the last closed one.
    let mut per_slice: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for &(at, ok) in &events {
        let s = per_slice.entry(at / 60).or_default();
        s.0 += 1;
        s.1 += u64::from(!ok);
    }
    let mut tables: [BTreeMap<(i16, i8), (u64, u64)>; 2] = Default::default();
    for k in first / 60..end / 60 {
        let (n, bad) = per_slice.get(&k).copied().unwrap_or_default();
        let bad_slice = match n {
            0 if empty == "skip" => continue,
            0 => true,
            _ => bad * 4 > n,
        };
        for (table, key) in tables.iter_mut().zip(local_keys(OCT20 + k * 60)) {
            let t = table.entry(key).or_default();
            t.0 += 1;
            t.1 += u64::from(bad_slice);
        }
    }
    for (i, name) in ["week", "month"].into_iter().enumerate() {
        let mut seen: Vec<((i16, i8), (u64, u64))> = lines
            .iter()
            .filter(|l| l["window"] == name)
            .map(|l| {
                let p = &l["period"];
                let start = p["start"].as_f64().expect("start") as u64;
                // A period the trace starts inside is keyed by the trace's first instant.
                let key = local_keys(start.max(OCT20 + first))[i];
                let counts = (
                    p["events"].as_u64().expect("events"),
                    p["bad_events"].as_u64().expect("bad"),
                );
                (key, counts)
            })
            .collect();
        let current = last["compliance"]
            .as_array()
            .and_then(|c| c.iter().find(|w| w["window"] == name))
            .expect("the window");
        seen.push((
            local_keys(OCT20 + end)[i],
            (
                current["events"].as_u64().expect("events"),
                current["bad_events"].as_u64().expect("bad"),
            ),
        ));
        for (key, counts) in &seen {
            let want = tables[i].get(key).copied().unwrap_or_default();
            assert_eq!(*counts, want, "{name} {key:?}");
        }
        let total: u64 = seen.iter().map(|(_, c)| c.0).sum();
        let want: u64 = tables[i].values().map(|c| c.0).sum();
        assert_eq!(total, want, "{name}: every slice once");
    }
}

fn bursts() -> impl Strategy<Value = Vec<(u64, bool)>> {
    prop::collection::vec((0..48u64, 0..600u64, prop::bool::weighted(0.85)), 1..400).prop_map(|v| {
        v.into_iter()
            .map(|(block, sec, ok)| (block * 21_600 + sec, ok))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn time_slices_through_replay_count_what_the_event_list_counts(
        skip in any::<bool>(),
        events in bursts(),
    ) {
        slices_through_replay(if skip { "skip" } else { "bad" }, events);
    }
}
