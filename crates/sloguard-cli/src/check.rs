//! `sloguard check --url http(s)://HOST:PORT/slo.json [--ca-file FILE]`: a Nagios-plugin-compatible check, so
//! Nagios, Icinga and Mackerel check plugins can alert on SLO state without Prometheus.
//!
//! Exit codes follow the plugin guidelines: 0 OK, 1 WARNING (a ticket alert fires, budget
//! below `--warning-budget`, or the document lists diagnostics), 2 CRITICAL (a page alert
//! fires, or budget below `--critical-budget`), 3 UNKNOWN (unreachable, not a sloguard
//! document, no such SLO, or an SLO whose status is `no_data`: nothing to judge is never OK).
//! Over several SLOs the most urgent state wins: CRITICAL, then UNKNOWN, WARNING, OK.
//! One status line, then performance data per SLO: budget remaining and the burn rate of each
//! window with data.

use std::fmt::Write;

use sloguard::expose::json::{SloDocument, SloJson};

use crate::fetch::Fetcher;
use sloguard::snapshot::{Health, NoDataReason};

/// Nagios states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// 0
    Ok,
    /// 1
    Warning,
    /// 2
    Critical,
    /// 3
    Unknown,
}

impl State {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// How urgent: a page somewhere outranks an SLO that cannot be judged elsewhere.
    fn urgency(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Unknown => 2,
            State::Critical => 3,
        }
    }

    fn word(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }
}

/// What the check judges.
#[derive(Clone, Debug, Default)]
pub struct Thresholds {
    /// Only this SLO (default: all).
    pub slo: Option<String>,
    /// WARNING below this budget remaining (ratio).
    pub warning_budget: Option<f64>,
    /// CRITICAL below this budget remaining (ratio).
    pub critical_budget: Option<f64>,
}

fn judge(slo: &SloJson, t: &Thresholds) -> (State, String) {
    let budget = slo.budget_remaining;
    let pct = budget * 100.0;
    // The engine's one health decision, as the document states it.
    let health = Health::parse(&slo.status).unwrap_or(Health::NoData);
    if health == Health::NoData {
        return (
            State::Unknown,
            format!(
                "{}: no data (status {:?}): {}",
                slo.name,
                slo.status,
                slo.no_data_reason
                    .as_deref()
                    .and_then(NoDataReason::parse)
                    .unwrap_or(NoDataReason::of_document(slo.evaluated_at.is_some()))
                    .phrase()
            ),
        );
    }
    if health == Health::Page {
        return (
            State::Critical,
            format!("{}: page alert firing, {pct:.1}% budget left", slo.name),
        );
    }
    if t.critical_budget.is_some_and(|c| budget < c) {
        return (
            State::Critical,
            format!("{}: {pct:.1}% budget left", slo.name),
        );
    }
    if health == Health::Ticket {
        return (
            State::Warning,
            format!("{}: ticket alert firing, {pct:.1}% budget left", slo.name),
        );
    }
    if t.warning_budget.is_some_and(|w| budget < w) {
        return (
            State::Warning,
            format!("{}: {pct:.1}% budget left", slo.name),
        );
    }
    (State::Ok, format!("{}: {pct:.1}% budget left", slo.name))
}

/// Perfdata labels are quoted; a quote inside is doubled, as the guidelines ask, and the
/// characters that end a label or the perfdata (`=`, `|`, a line break) become `_`.
fn label(s: &str) -> String {
    let safe: String = s
        .chars()
        .map(|c| {
            if matches!(c, '=' | '|' | '\n' | '\r') {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("'{}'", safe.replace('\'', "''"))
}

/// Names in the status text: `|` would start the perfdata and a line break a second line of
/// output, so they become `/` and a space.
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => '/',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

/// The status line and state of a document.
pub fn evaluate(doc: &SloDocument, t: &Thresholds) -> (State, String) {
    let slos: Vec<&SloJson> = doc
        .slos
        .iter()
        .filter(|s| t.slo.as_ref().is_none_or(|n| &s.name == n))
        .collect();
    if slos.is_empty() {
        let what = t
            .slo
            .as_deref()
            .map_or("no SLO in the document".to_owned(), |n| {
                format!("no SLO named {n:?}")
            });
        return (
            State::Unknown,
            format!("SLO UNKNOWN - {}: {}", text(&doc.service), text(&what)),
        );
    }
    let mut judged: Vec<(State, String)> = slos.iter().map(|s| judge(s, t)).collect();
    if !doc.diagnostics.is_empty() {
        let listed: Vec<String> = doc
            .diagnostics
            .iter()
            .map(|d| match &d.slo {
                Some(slo) => format!("{} ({slo})", d.code),
                None => d.code.clone(),
            })
            .collect();
        judged.push((
            State::Warning,
            format!("sloguard cannot see everything: {}", listed.join(", ")),
        ));
    }
    let state = judged
        .iter()
        .map(|(s, _)| *s)
        .max_by_key(|s| s.urgency())
        .unwrap_or(State::Ok);
    // Most urgent first, so the line starts with what needs attention.
    let mut parts: Vec<&(State, String)> = judged.iter().collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.0.urgency()));
    let summary: Vec<&str> = parts.iter().map(|(_, s)| s.as_str()).collect();
    let mut line = format!(
        "SLO {} - {}: {} |",
        state.word(),
        text(&doc.service),
        text(&summary.join("; "))
    );
    for slo in slos {
        let warn = t.warning_budget.map(|w| w.to_string()).unwrap_or_default();
        let crit = t.critical_budget.map(|c| c.to_string()).unwrap_or_default();
        let _ = write!(
            line,
            " {}={:.4};{warn};{crit};;",
            label(&format!("{}_budget", slo.name)),
            slo.budget_remaining
        );
        for (window, burn) in &slo.burn_rate.0 {
            if let Some(b) = burn {
                let _ = write!(
                    line,
                    " {}={b:.4};;;0;",
                    label(&format!("{}_burn_{window}", slo.name))
                );
            }
        }
    }
    (state, line)
}

/// Fetches `url` (plain HTTP) and evaluates it; any failure is UNKNOWN with the reason.
pub fn run(url: &str, t: &Thresholds, fetcher: &Fetcher) -> (State, String) {
    match fetcher.document(url) {
        Ok(doc) => evaluate(&doc, t),
        Err(e) => (State::Unknown, format!("SLO UNKNOWN - {e}")),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sloguard::clock::{Timestamp, VirtualClock};
    use sloguard::model::{AlertPolicy, Severity, Slo};
    use sloguard::{Outcome, Registry};

    use super::*;

    /// A document with one SLO of `good`/`bad` events, evaluated or not.
    fn document(name: &str, good: u64, bad: u64, policy: AlertPolicy, tick: bool) -> SloDocument {
        let clock = VirtualClock::new(Timestamp::from_unix_secs(1_767_225_600));
        let registry = Registry::builder("payments").clock(clock.clock()).build();
        let slo = registry
            .register(
                Slo::availability(name)
                    .objective_percent(99.0)
                    .alerting(policy)
                    .build()
                    .expect("valid"),
            )
            .expect("ok");
        for i in 0..good + bad {
            slo.record(
                if i < bad {
                    Outcome::Error
                } else {
                    Outcome::Success
                },
                Duration::from_millis(5),
            );
        }
        if tick {
            registry.advance_to(Timestamp::from_unix_secs(1_767_225_610));
        }
        SloDocument::from_snapshot(&registry.snapshot())
    }

    #[test]
    fn budget_thresholds_and_alerts_map_to_nagios_states() {
        let none = AlertPolicy::none;
        // 0.5% bad on a 1% budget: half the budget left.
        let half = document("api", 995, 5, none(), true);
        let t = |w: Option<f64>, c: Option<f64>| Thresholds {
            slo: None,
            warning_budget: w,
            critical_budget: c,
        };
        assert_eq!(evaluate(&half, &t(None, None)).0, State::Ok);
        assert_eq!(evaluate(&half, &t(Some(0.6), None)).0, State::Warning);
        assert_eq!(
            evaluate(&half, &t(Some(0.6), Some(0.55))).0,
            State::Critical
        );
        let (_, line) = evaluate(&half, &t(Some(0.6), Some(0.2)));
        assert_eq!(
            line.split(" | ").next(),
            Some("SLO WARNING - payments: api: 50.0% budget left")
        );
        assert!(line.contains("'api_budget'=0.5000;0.6;0.2;;"), "{line}");
        assert!(line.contains("'api_burn_5m'=0.5000;;;0;"), "{line}");

        // A firing ticket is a WARNING, a firing page CRITICAL, without any threshold.
        let ticket = document(
            "api",
            990,
            10,
            AlertPolicy::workbook().disable(Severity::Page),
            true,
        );
        assert_eq!(evaluate(&ticket, &t(None, None)).0, State::Warning);
        let page = document("api", 900, 100, AlertPolicy::workbook(), true);
        let (state, line) = evaluate(&page, &t(None, None));
        assert_eq!(state, State::Critical);
        assert!(line.contains("page alert firing"), "{line}");
    }

    #[test]
    fn no_data_is_unknown_and_diagnostics_warn() {
        let t = Thresholds::default();
        // Before the first evaluation nothing is judged, whatever the reading: never a colour.
        for (good, bad) in [(10, 0), (0, 10)] {
            let fresh = document("api", good, bad, AlertPolicy::workbook(), false);
            assert_eq!(fresh.slos[0].status, "no_data");
            let (state, line) = evaluate(&fresh, &t);
            assert_eq!(state, State::Unknown);
            assert!(line.contains("not evaluated yet"), "{line}");
        }
        // An SLO without events: nothing to judge.
        let quiet = document("api", 0, 0, AlertPolicy::workbook(), true);
        let (state, line) = evaluate(&quiet, &t);
        assert_eq!(state, State::Unknown);
        assert!(line.contains("no data"), "{line}");
        // A page outranks an SLO that cannot be judged.
        let mut both = document("api", 900, 100, AlertPolicy::workbook(), true);
        both.slos.push(quiet.slos[0].clone());
        assert_eq!(evaluate(&both, &t).0, State::Critical);
        // A healthy SLO with a diagnostic beside it is a WARNING that names it.
        let mut seen = document("api", 1000, 0, AlertPolicy::workbook(), true);
        assert_eq!(evaluate(&seen, &t).0, State::Ok);
        seen.diagnostics
            .push(sloguard::expose::json::DiagnosticJson {
                code: "selector_matches_nothing".into(),
                slo: Some("users".into()),
                message: "it selects [\"/users/:id\"]".into(),
            });
        let (state, line) = evaluate(&seen, &t);
        assert_eq!(state, State::Warning);
        assert!(line.contains("selector_matches_nothing (users)"), "{line}");
    }

    #[test]
    fn perfdata_labels_are_quoted_and_unknown_slos_are_unknown() {
        let doc = document("it's", 10, 0, AlertPolicy::none(), false);
        let (_, line) = evaluate(&doc, &Thresholds::default());
        assert!(line.contains("'it''s_budget'=1.0000"), "{line}");
        let only = Thresholds {
            slo: Some("nope".into()),
            ..Thresholds::default()
        };
        assert_eq!(evaluate(&doc, &only).0, State::Unknown);
    }

    #[test]
    fn names_cannot_add_perfdata_or_lines() {
        let doc = document("a|b=c", 10, 0, AlertPolicy::none(), false);
        let (_, line) = evaluate(&doc, &Thresholds::default());
        let (status, perfdata) = line.split_once(" |").expect("one separator");
        assert!(!perfdata.contains('|'), "{line}");
        assert!(status.contains("a/b=c: "), "{status}");
        assert!(perfdata.contains(" 'a_b_c_budget'=1.0000"), "{perfdata}");
        assert_eq!(text("x\ny\rz"), "x y z");
    }
}
