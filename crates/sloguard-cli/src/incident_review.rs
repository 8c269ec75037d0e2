//! `sloguard incident-review`: a post-incident review draft in Markdown, from the incident
//! history of a running service (`/slo/incidents.json`), a state file, or a replay. The
//! measured parts are filled in (timeline, impact in requests and minutes, budget cost, what
//! fired when); what only people know (cause, actions) is left as headings to write under.

use std::fmt::Write;

use sloguard::clock::Timestamp;
use sloguard::duration::human_duration;
use sloguard::expose::incidents::{IncidentJson, IncidentsDocument};
use sloguard::words::{percent, utc_minute};

fn at(secs: f64) -> String {
    utc_minute(Timestamp::from_unix_secs_f64(secs).unwrap_or(Timestamp::EPOCH))
}

fn after(from: f64, to: f64) -> String {
    human_duration(seconds(to - from))
}

/// A span in seconds as a duration: zero when negative or not a number, and never a panic
/// (values are checked by [`check_times`] first; this is the floor under it).
fn seconds(span: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(span.max(0.0)).unwrap_or(std::time::Duration::ZERO)
}

/// Refuses an incident whose times cannot be right (from a document fetched from anywhere),
/// naming the incident and the field.
/// Why no draft was written.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ReviewError {
    /// The history holds no incident of this number.
    NoSuchIncident {
        /// The service.
        service: String,
        /// The number asked for.
        id: u64,
    },
    /// The history holds no incident at all.
    NoIncident {
        /// The service.
        service: String,
    },
    /// A time or span of the incident cannot be (a hostile or broken document).
    ImpossibleValue {
        /// The incident.
        id: u64,
        /// The field, e.g. `timeline[3].at`.
        field: String,
        /// The value read.
        value: f64,
        /// What it should be.
        expected: &'static str,
    },
}

impl std::fmt::Display for ReviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReviewError::NoSuchIncident { service, id } => {
                write!(f, "no incident {id} in the history of {service}")
            }
            ReviewError::NoIncident { service } => {
                write!(f, "{service} has no incident in its history")
            }
            ReviewError::ImpossibleValue {
                id,
                field,
                value,
                expected,
            } => write!(f, "incident {id}: {field} {value:?} is not {expected}"),
        }
    }
}

impl std::error::Error for ReviewError {}

fn check_times(i: &IncidentJson) -> Result<(), ReviewError> {
    let latest = Timestamp::LATEST.as_unix_secs_f64();
    // Times and spans share one range (0 to 2500 in seconds) and differ in what they are.
    let within = |what: &'static str| {
        move |field: &str, v: f64| {
            if v.is_finite() && (0.0..=latest).contains(&v) {
                Ok(())
            } else {
                Err(ReviewError::ImpossibleValue {
                    id: i.id,
                    field: field.to_owned(),
                    value: v,
                    expected: what,
                })
            }
        }
    };
    let time = within("a time between 1970 and 2500");
    let span = within("a duration in seconds (0 or more)");
    time("started_at", i.started_at)?;
    time("detected_at", i.detected_at)?;
    i.first_page_at
        .map_or(Ok(()), |v| time("first_page_at", v))?;
    i.resolved_at.map_or(Ok(()), |v| time("resolved_at", v))?;
    span("duration_seconds", i.duration_seconds)?;
    i.detection_delay_seconds
        .map_or(Ok(()), |v| span("detection_delay_seconds", v))?;
    for (n, s) in i.slos.iter().enumerate() {
        time(&format!("slos[{n}].first_bad_at"), s.first_bad_at)?;
    }
    for (n, e) in i.timeline.iter().enumerate() {
        time(&format!("timeline[{n}].at"), e.at)?;
    }
    for (n, u) in i.updates.iter().enumerate() {
        time(&format!("updates[{n}].at"), u.at)?;
    }
    if let Some(t) = i.alerts_ended_at {
        time("alerts_ended_at", t)?;
    }
    Ok(())
}

/// Text from the service (names, the summary) as Markdown shows it literally: the characters
/// that would make emphasis, links, code, HTML, headings or table cells are escaped, and a
/// line break is a space.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The draft for incident `id` (the latest when `None`) of `doc`.
pub fn render(doc: &IncidentsDocument, id: Option<u64>) -> Result<String, ReviewError> {
    let service = || doc.service.clone();
    let incident = match id {
        Some(id) => doc.incidents.iter().find(|i| i.id == id).ok_or_else(|| {
            ReviewError::NoSuchIncident {
                service: service(),
                id,
            }
        })?,
        None => doc
            .incidents
            .last()
            .ok_or_else(|| ReviewError::NoIncident { service: service() })?,
    };
    check_times(incident)?;
    Ok(review(&doc.service, incident))
}

/// The draft for one incident.
pub fn review(service: &str, i: &IncidentJson) -> String {
    let mut out = String::new();
    heading(&mut out, service, i);
    timeline(&mut out, i);
    impact(&mut out, i);
    what_fired(&mut out, i);
    for heading in [
        "Cause",
        "What went well",
        "What went wrong",
        "Actions (owner, due date)",
    ] {
        let _ = writeln!(out, "\n## {heading}\n\n_To be written._");
    }
    out
}

/// The title, and what kind of draft this is.
fn heading(out: &mut String, service: &str, i: &IncidentJson) {
    let _ = writeln!(
        out,
        "# Post-incident review (draft): {}, incident {}\n",
        md(service),
        i.id
    );
    let state = if i.resolved_at.is_some() {
        "resolved"
    } else {
        "still open when this draft was written"
    };
    let _ = writeln!(
        out,
        "_Drafted by sloguard from its own measurements; the incident is {state}. Check the figures, then write the sections that only people can._\n"
    );
    let _ = writeln!(out, "## Summary\n\n{}\n", md(&i.summary));
}

/// From the first bad minute to the resolution, with what people wrote, in time order.
fn timeline(out: &mut String, i: &IncidentJson) {
    let _ = writeln!(out, "## Timeline (UTC)\n");
    let by_person = i.opened_by == "person";
    let mut lines: Vec<(f64, String)> = Vec::new();
    if by_person {
        lines.push((
            i.detected_at,
            format!(
                "opened by a person: {}.",
                md(i.title.as_deref().unwrap_or("(no title)"))
            ),
        ));
    } else {
        lines.push((
            i.started_at,
            "first bad minute; customers start to be affected.".to_owned(),
        ));
        lines.push((
            i.detected_at,
            format!(
                "first alert ({} after the first bad minute).",
                after(i.started_at, i.detected_at)
            ),
        ));
    }
    if let Some(page) = i.first_page_at {
        lines.push((
            page,
            format!("first page: detection delay {}.", after(i.started_at, page)),
        ));
    }
    for u in &i.updates {
        lines.push((
            u.at,
            format!("update ({}): {}", md(&u.status), md(&u.message)),
        ));
    }
    if let Some(ended) = i.alerts_ended_at {
        lines.push((ended, "the alerts stop firing.".to_owned()));
    }
    let people_resolved = i.updates.last().is_some_and(|u| u.status == "resolved");
    if let (Some(end), false) = (i.resolved_at, people_resolved) {
        lines.push((
            end,
            format!(
                "the last alert resolves; the incident lasted {}.",
                after(i.started_at, end)
            ),
        ));
    }
    // Stable: lines at one time keep the order above.
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, line) in &lines {
        let _ = writeln!(out, "- **{}**: {line}", at(*t));
    }
    if i.first_page_at.is_none() && !by_person {
        let _ = writeln!(out, "- No page fired: tickets only.");
    }
    match i.resolved_at {
        Some(end) => {
            let _ = writeln!(
                out,
                "- The incident lasted {}{}.\n",
                after(i.started_at, end),
                if people_resolved {
                    " (resolved by a person)"
                } else {
                    ""
                }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- Not resolved yet ({} so far).\n",
                human_duration(seconds(i.duration_seconds))
            );
        }
    }
}

/// How many requests went wrong, per SLO.
fn impact(out: &mut String, i: &IncidentJson) {
    let _ = writeln!(out, "## Impact on customers\n");
    let share = if i.events > 0 {
        percent(i.bad_events as f64 / i.events as f64)
    } else {
        "none".to_owned()
    };
    let minutes = (i.duration_seconds / 60.0).round();
    let _ = writeln!(
        out,
        "{} of {} requests went wrong ({share}) over {minutes:.0} minutes; the highest burn rate of a firing alert was {}.\n",
        i.bad_events,
        i.events,
        sloguard::words::burn(Some(i.peak_burn_rate))
    );
    let _ = writeln!(
        out,
        "| SLO | first bad minute | requests | bad | error budget spent | alerts |"
    );
    let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | --- |");
    for s in &i.slos {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md(&s.slo),
            at(s.first_bad_at),
            s.events,
            s.bad_events,
            percent(s.budget_spent),
            md(&s.tiers.join(", "))
        );
    }
}

/// Every transition of the incident.
fn what_fired(out: &mut String, i: &IncidentJson) {
    let _ = writeln!(out, "\n## What fired when\n");
    let _ = writeln!(
        out,
        "| time (UTC) | since start | SLO | alert | severity | state | long-window burn |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | ---: |");
    for e in &i.timeline {
        let burn = sloguard::words::burn(e.long_burn_rate);
        let _ = writeln!(
            out,
            "| {} | +{} | {} | {} | {} | {} | {burn} |",
            at(e.at),
            after(i.started_at, e.at),
            md(&e.slo),
            md(&e.tier),
            md(&e.severity),
            md(&e.state)
        );
    }
    if i.timeline_dropped > 0 {
        let _ = writeln!(
            out,
            "\n{} later transitions were not kept.",
            i.timeline_dropped
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document as a service (or anything answering at its URL) might send it.
    fn document(
        service: &str,
        slo: &str,
        started_at: f64,
        duration_seconds: f64,
    ) -> IncidentsDocument {
        serde_json::from_value(serde_json::json!({
            "service": service,
            "taken_at": 1_800_000_600.0,
            "incidents": [{
                "id": 1, "state": "resolved", "severity": "page",
                "started_at": started_at, "detected_at": 1_800_000_060.0,
                "first_page_at": 1_800_000_060.0, "resolved_at": 1_800_000_600.0,
                "detection_delay_seconds": 60.0, "duration_seconds": duration_seconds,
                "peak_burn_rate": 20.0, "peak_error_ratio": 0.02, "events": 100, "bad_events": 2,
                "summary": format!("2% of {service} requests failed"),
                "slos": [{"slo": slo, "first_bad_at": 1_800_000_000.0, "events": 100,
                          "bad_events": 2, "budget_spent": 0.1, "tiers": ["page-1h"]}],
                "timeline": [{"at": 1_800_000_060.0, "slo": slo, "tier": "page-1h",
                              "severity": "page", "state": "firing", "long_burn_rate": 20.0}],
                "timeline_dropped": 0
            }]
        }))
        .expect("a document")
    }

    #[test]
    fn impossible_times_are_refused_by_field_not_a_panic() {
        let good = document("payments", "availability", 1_800_000_000.0, 600.0);
        assert!(render(&good, None).is_ok());
        for (started_at, duration, field) in [
            (-5.0, 600.0, "started_at -5"),
            (1e300, 600.0, "started_at 1e300"),
            (1_800_000_000.0, -600.0, "duration_seconds -600"),
            (1_800_000_000.0, 1e300, "duration_seconds 1e300"),
        ] {
            let doc = document("payments", "availability", started_at, duration);
            let error = render(&doc, None).expect_err(field).to_string();
            assert!(
                error.starts_with(&format!("incident 1: {field}")),
                "{error}"
            );
        }
    }

    #[test]
    fn names_cannot_change_the_markdown() {
        let doc = document("pay|ments <b>", "a*b_[x](http://e)", 1_800_000_000.0, 600.0);
        let draft = render(&doc, None).expect("a draft");
        assert!(
            draft.starts_with("# Post-incident review (draft): pay\\|ments \\<b\\>, incident 1\n")
        );
        assert!(draft.contains("| a\\*b\\_\\[x\\](http://e) |"), "{draft}");
        assert!(!draft.contains("<b>"));
        // Every row of the impact table has its six cells, whatever the names hold.
        let row = draft
            .lines()
            .find(|l| l.contains("a\\*b"))
            .expect("the SLO's row");
        assert_eq!(row.matches(" | ").count(), 5, "{row}");
    }
}
