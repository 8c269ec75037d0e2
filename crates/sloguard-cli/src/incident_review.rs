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
    utc_minute(Timestamp::from_unix_nanos((secs.max(0.0) * 1e9) as u64))
}

fn after(from: f64, to: f64) -> String {
    human_duration(std::time::Duration::from_secs_f64((to - from).max(0.0)))
}

/// The draft for incident `id` (the latest when `None`) of `doc`.
pub fn render(doc: &IncidentsDocument, id: Option<u64>) -> Result<String, String> {
    let incident = match id {
        Some(id) => doc
            .incidents
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| format!("no incident {id} in the history of {}", doc.service))?,
        None => doc
            .incidents
            .last()
            .ok_or_else(|| format!("{} has no incident in its history", doc.service))?,
    };
    Ok(review(&doc.service, incident))
}

/// The draft for one incident.
pub fn review(service: &str, i: &IncidentJson) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Post-incident review (draft): {service}, incident {}\n",
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
    let _ = writeln!(out, "## Summary\n\n{}\n", i.summary);
    let _ = writeln!(out, "## Timeline (UTC)\n");
    let _ = writeln!(
        out,
        "- **{}**: first bad minute; customers start to be affected.",
        at(i.started_at)
    );
    let _ = writeln!(
        out,
        "- **{}**: first alert ({} after the first bad minute).",
        at(i.detected_at),
        after(i.started_at, i.detected_at)
    );
    match i.first_page_at {
        Some(page) => {
            let _ = writeln!(
                out,
                "- **{}**: first page: detection delay {}.",
                at(page),
                after(i.started_at, page)
            );
        }
        None => {
            let _ = writeln!(out, "- No page fired: tickets only.");
        }
    }
    match i.resolved_at {
        Some(end) => {
            let _ = writeln!(
                out,
                "- **{}**: the last alert resolves; the incident lasted {}.\n",
                at(end),
                after(i.started_at, end)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- Not resolved yet ({} so far).\n",
                human_duration(std::time::Duration::from_secs_f64(i.duration_seconds))
            );
        }
    }
    let _ = writeln!(out, "## Impact on customers\n");
    let share = if i.events > 0 {
        percent(i.bad_events as f64 / i.events as f64)
    } else {
        "none".to_owned()
    };
    let minutes = (i.duration_seconds / 60.0).round();
    let _ = writeln!(
        out,
        "{} of {} requests went wrong ({share}) over {minutes:.0} minutes; the highest burn rate of a firing alert was {:.1}x.\n",
        i.bad_events, i.events, i.peak_burn_rate
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
            s.slo,
            at(s.first_bad_at),
            s.events,
            s.bad_events,
            percent(s.budget_spent),
            s.tiers.join(", ")
        );
    }
    let _ = writeln!(out, "\n## What fired when\n");
    let _ = writeln!(
        out,
        "| time (UTC) | since start | SLO | alert | severity | state | long-window burn |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | ---: |");
    for e in &i.timeline {
        let burn = e
            .long_burn_rate
            .map_or("no traffic".to_owned(), |b| format!("{b:.1}x"));
        let _ = writeln!(
            out,
            "| {} | +{} | {} | {} | {} | {} | {burn} |",
            at(e.at),
            after(i.started_at, e.at),
            e.slo,
            e.tier,
            e.severity,
            e.state
        );
    }
    if i.timeline_dropped > 0 {
        let _ = writeln!(
            out,
            "\n{} later transitions were not kept.",
            i.timeline_dropped
        );
    }
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
