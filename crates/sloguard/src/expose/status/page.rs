//! The status pages' HTML: `/status` (components with 90 days of bars, maintenance ahead and
//! in progress, incidents with their updates) and one page per incident,
//! `/status/incidents/ID`. Self-contained (no script, nothing loaded from anywhere), and
//! every name and message HTML-escaped: what people write is shown as text, never run.
//!
//! ```
//! use sloguard::{Registry, expose::status::{StatusView, render_page}, model::Slo};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! let html = render_page(&StatusView::of(&registry.snapshot(), registry.status_page()));
//! assert!(html.contains("No incidents reported."));
//! ```

use std::fmt::Write;

use sloguard_core::maintenance::MaintenanceStatus;
use sloguard_core::words::utc_minute;

use super::super::html::Escaped;
use super::{CustomerIncident, MaintenanceView, StatusView};

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f7f8fa;color:#1d2330}\
main{max-width:860px;margin:0 auto;padding:16px}h1{font-size:1.5em;margin:8px 0 16px}\
.banner{padding:14px 16px;border-radius:8px;color:#fff;font-weight:600;margin-bottom:16px}\
.operational{background:#1f8b4c}.no_data{background:#6b7280}.degraded_performance{background:#c77700}\
.partial_outage{background:#d9480f}.major_outage{background:#c62828}\
.component{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:10px;box-shadow:0 1px 2px rgba(0,0,0,.1)}\
.component h2{font-size:1em;margin:0;display:flex;justify-content:space-between;gap:8px}\
.state{font-weight:500;font-size:.9em}.state.operational,.state.no_data,.state.degraded_performance,\
.state.partial_outage,.state.major_outage{background:none}.state.operational{color:#1f8b4c}\
.state.no_data{color:#6b7280}.state.degraded_performance{color:#c77700}.state.partial_outage{color:#d9480f}\
.state.major_outage{color:#c62828}.desc{color:#5b6475;font-size:.85em;margin:4px 0 0}\
.bars{display:flex;gap:1px;height:28px;margin-top:10px}.bar{flex:1;border-radius:2px;min-width:1px}\
.legend{display:flex;justify-content:space-between;font-size:.75em;color:#6b7280;margin-top:4px}\
.incident{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:10px;border-left:4px solid #c77700}\
.incident.resolved{border-left-color:#9ca3af}.incident h3{margin:0 0 6px;font-size:1em}\
.update{font-size:.9em;margin:6px 0}.update b{text-transform:capitalize}.when{color:#6b7280;font-size:.85em}\
.maintenance{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:10px;border-left:4px solid #2563eb}\
.under_maintenance{background:#2563eb}.state.under_maintenance{background:none;color:#2563eb}\
.body{white-space:pre-wrap}a{color:inherit}";

/// The page's head and title, up to the opening of `main`.
fn open_page(out: &mut String, title: &str, refresh: bool) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{}<title>{}</title><style>{STYLE}</style></head><body><main>",
        if refresh { "<meta http-equiv=\"refresh\" content=\"30\">" } else { "" },
        escaped(title),
    );
}

/// An incident's updates, newest first.
fn write_updates(out: &mut String, i: &CustomerIncident) {
    for u in &i.updates {
        let _ = write!(
            out,
            "<p class=\"update\" data-status=\"{status}\"><b>{status}</b> - <span class=\"body\">{}</span><br><span class=\"when\">{}</span></p>",
            escaped(&u.body),
            utc_minute(u.at),
            status = u.status.as_str(),
        );
    }
}

/// The names of the components with these ids, in the page's order.
fn component_names<'a>(view: &'a StatusView, ids: &[String]) -> Vec<&'a str> {
    view.components
        .iter()
        .filter(|c| ids.contains(&c.id))
        .map(|c| c.name.as_str())
        .collect()
}

/// An incident's class on the pages.
fn resolved_or_open(i: &CustomerIncident) -> &'static str {
    if i.resolved_at.is_some() {
        "resolved"
    } else {
        "open"
    }
}

/// A maintenance window: when, what, and where it stands.
fn write_maintenance(out: &mut String, view: &StatusView, m: &MaintenanceView) {
    let names = component_names(view, &m.components);
    let when = match m.status {
        MaintenanceStatus::InProgress => "In progress",
        _ => "Scheduled",
    };
    let _ = write!(
        out,
        "<section class=\"maintenance\" id=\"maintenance-{id}\" data-maintenance=\"{id}\" data-status=\"{status}\"><h3>{name}</h3><p class=\"update\"><b>{when}</b> - {from} to {until}</p><p class=\"update body\">{message}</p><p class=\"when\">Affects {affects}</p></section>",
        id = m.id,
        status = m.status.as_str(),
        name = escaped(&m.name),
        from = utc_minute(m.scheduled_for),
        until = utc_minute(m.scheduled_until),
        message = escaped(&m.message),
        affects = escaped(&names.join(", ")),
    );
}

fn escaped(text: &str) -> String {
    Escaped(text).to_string()
}

/// The `/status` page.
pub fn render_page(view: &StatusView) -> String {
    let words = &view.page.words;
    let overall = view.overall();
    let mut out = String::with_capacity(8192 + view.components.len() * 6000);
    open_page(&mut out, &format!("{} status", view.page.title), true);
    let _ = write!(
        out,
        "<h1>{title} status</h1><div class=\"banner {class}\" data-state=\"{class}\">{banner}</div>",
        title = escaped(&view.page.title),
        class = overall.as_str(),
        banner = escaped(words.of(overall)),
    );
    let ahead: Vec<&MaintenanceView> = view
        .maintenances
        .iter()
        .filter(|m| {
            matches!(
                m.status,
                MaintenanceStatus::Scheduled | MaintenanceStatus::InProgress
            )
        })
        .collect();
    if !ahead.is_empty() {
        out.push_str("<h2>Scheduled maintenance</h2>");
        for m in ahead {
            write_maintenance(&mut out, view, m);
        }
    }
    for c in &view.components {
        let _ = write!(
            out,
            "<section class=\"component\" data-component=\"{id}\" data-state=\"{state}\"><h2><span>{name}</span><span class=\"state {state}\">{words}</span></h2>",
            id = c.id,
            state = c.state.as_str(),
            name = escaped(&c.name),
            words = escaped(words.of(c.state)),
        );
        if let Some(d) = &c.description {
            let _ = write!(out, "<p class=\"desc\">{}</p>", escaped(d));
        }
        out.push_str(
            "<div class=\"bars\" role=\"img\" aria-label=\"the last 90 days, one bar per day\">",
        );
        for (date, state) in &c.days {
            let _ = write!(
                out,
                "<span class=\"bar {s}\" data-day=\"{date}\" data-state=\"{s}\" title=\"{date}: {w}\"></span>",
                s = state.as_str(),
                w = escaped(words.of(*state)),
            );
        }
        out.push_str("</div><div class=\"legend\"><span>90 days ago</span><span>today</span></div></section>");
    }
    out.push_str("<h2>Incidents</h2>");
    if view.incidents.is_empty() {
        out.push_str("<p class=\"when\">No incidents reported.</p>");
    }
    for i in &view.incidents {
        let class = resolved_or_open(i);
        // Relative: `/status` links to `/status/incidents/ID` wherever it is mounted.
        let _ = write!(
            out,
            "<section class=\"incident {class}\" id=\"incident-{id}\" data-incident=\"{id}\"><h3><a href=\"status/incidents/{id}\">{name}</a></h3>",
            id = i.id,
            name = escaped(&i.name)
        );
        write_updates(&mut out, i);
        out.push_str("</section>");
    }
    let _ = writeln!(
        out,
        "<p class=\"when\">Updated {}.</p></main></body></html>",
        utc_minute(view.updated_at)
    );
    out
}

/// The page of one incident (`/status/incidents/ID`): its title, the components it touched,
/// from when to when, and every update.
pub fn render_incident_page(view: &StatusView, i: &CustomerIncident) -> String {
    let words = &view.page.words;
    let mut out = String::with_capacity(4096);
    open_page(&mut out, &format!("{} - {}", i.name, view.page.title), true);
    let class = resolved_or_open(i);
    let names = component_names(view, &i.components);
    let _ = write!(
        out,
        "<p class=\"when\"><a href=\"../../status\">{page} status</a></p><h1>{name}</h1><div class=\"banner {state}\" data-state=\"{state}\">{words}</div><section class=\"incident {class}\" data-incident=\"{id}\" data-status=\"{status}\"><p class=\"when\">Affected: {affected}. Impact: {impact}. From {from}{until}.</p>",
        page = escaped(&view.page.title),
        name = escaped(&i.name),
        state = if i.resolved_at.is_some() { "operational" } else { i.state.as_str() },
        words = escaped(if i.resolved_at.is_some() { "Resolved" } else { words.of(i.state) }),
        id = i.id,
        status = i.status().as_str(),
        // Component names may end a sentence of their own.
        affected = escaped(names.join(", ").trim_end_matches('.')),
        impact = i.impact.as_str(),
        from = utc_minute(i.started_at),
        until = i.resolved_at.map_or_else(|| " (ongoing)".to_owned(), |t| format!(" to {}", utc_minute(t))),
    );
    write_updates(&mut out, i);
    let _ = writeln!(
        out,
        "</section><p class=\"when\">Updated {}.</p></main></body></html>",
        utc_minute(view.updated_at)
    );
    out
}
