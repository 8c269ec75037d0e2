//! The `/slo` status page: one self-contained HTML page a person reads at a glance.
//!
//! Per SLO: a badge (healthy, ticket or page), the error budget left as a bar and a figure,
//! the burn rate per window with the ones past an alert threshold marked, and when the
//! budget runs out at the current pace; then each calendar compliance window (its current
//! period's SLI, budget left and SLA state, the one alert notifications quote marked) with its
//! past periods folded under it. It refreshes itself every 10 seconds, loads nothing from
//! anywhere, works without scripts, and its cards stack on a phone screen. Every name is
//! HTML-escaped.

use std::fmt::Write;

use sloguard_core::compliance::{ComplianceWindow, SlaStatus};
use sloguard_core::duration::{format_duration, human_duration};
use sloguard_core::model::SloDefinition;
use sloguard_core::snapshot::{BudgetLevel, Health, SloSnapshot, Snapshot};
use sloguard_core::words::{
    achieved, coverage_phrase, objective_percent, percent_1, sli_goal, utc_minute, Outlook,
};

use super::charts::{ChartsDocument, SloCharts};

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}\
header{padding:16px 20px;background:#1d2330;color:#fff}header h1{margin:0;font-size:1.3em}\
header p{margin:4px 0 0;opacity:.75;font-size:.9em}main{display:grid;gap:16px;padding:16px;\
grid-template-columns:repeat(auto-fill,minmax(min(100%,380px),1fr))}\
.slo{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
.slo h2{margin:0 0 4px;font-size:1.1em;display:flex;justify-content:space-between;gap:8px;align-items:center}\
.meta{color:#5b6475;font-size:.85em;margin:0 0 12px}.badge{font-size:.75em;padding:3px 8px;border-radius:99px;\
color:#fff;white-space:nowrap}.ok{background:#1f8b4c}.no_data{background:#6b7280}.ticket{background:#c77700}.page{background:#c62828}\
.bar{height:14px;border-radius:7px;background:#e3e6ec;overflow:hidden}.fill{height:100%}\
.budget-line{display:flex;justify-content:space-between;font-size:.9em;margin:10px 0 4px}\
.budget{font-weight:700}table{width:100%;border-collapse:collapse;margin-top:12px;font-size:.85em}\
th,td{text-align:right;padding:3px 4px;border-bottom:1px solid #eef0f3}th:first-child,td:first-child{text-align:left}\
td.hot{color:#c62828;font-weight:700}.note{font-size:.85em;color:#5b6475;margin-top:10px}\
.diagnostics{margin:16px 16px 0;padding:12px 16px;border-radius:10px;background:#fff4e5;border:1px solid #c77700}\
.diagnostics ul{margin:6px 0 0;padding-left:20px}.diagnostics code{font-size:.85em}\
h3{font-size:.95em;margin:16px 0 0}details{font-size:.85em;margin-top:6px}summary{cursor:pointer;color:#5b6475}\
.quoted{font-size:.75em;color:#5b6475}td.met{color:#1f8b4c}td.at_risk{color:#c77700;font-weight:700}\
td.breached{color:#c62828;font-weight:700}.charts{display:grid;gap:8px;margin-top:12px}\
.chart{margin:0}.chart figcaption{font-size:.8em;color:#5b6475}.chart svg{width:100%;height:auto;display:block}\
.incidents{margin:0 16px 16px;background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-x:auto}\
.incidents h2{margin:0;font-size:1.1em}.incidents td.summary{text-align:left;min-width:16em}tr.open td{color:#c62828}";

/// Renders a snapshot as the status page, with the charts of `charts` (see
/// [`ChartsDocument::from_registry`]).
pub fn render(snapshot: &Snapshot, charts: &ChartsDocument) -> String {
    let mut out = String::with_capacity(4096 + snapshot.slos.len() * 2048);
    out.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    out.push_str("<meta http-equiv=\"refresh\" content=\"10\">");
    let _ = write!(
        out,
        "<title>SLOs of {}</title><style>{STYLE}</style></head><body>",
        Escaped(&snapshot.service)
    );
    let _ = write!(
        out,
        "<header><h1>Service level objectives: {}</h1><p>{} SLO(s); this page refreshes every 10 seconds.</p></header><main>",
        Escaped(&snapshot.service),
        snapshot.slos.len()
    );
    if !snapshot.diagnostics.is_empty() {
        // Before the cards: what the engine cannot see changes how to read them.
        out.push_str("</main><section class=\"diagnostics\" role=\"alert\"><strong>sloguard cannot see everything it should:</strong><ul>");
        for d in &snapshot.diagnostics {
            let slo = d
                .slo
                .as_deref()
                .map(|s| format!(" SLO <b>{}</b>:", Escaped(s)))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><code>{}</code>{slo} {}</li>",
                d.code,
                Escaped(&d.message)
            );
        }
        out.push_str("</ul></section><main>");
    }
    if snapshot.slos.is_empty() {
        out.push_str("<p>No SLO is registered.</p>");
    }
    for slo in &snapshot.slos {
        let drawn = charts.slos.iter().find(|c| c.name == slo.definition.name());
        card(&mut out, slo, drawn);
    }
    out.push_str("</main>");
    incidents(&mut out, snapshot);
    out.push_str("</body></html>\n");
    out
}

fn card(out: &mut String, slo: &SloSnapshot, charts: Option<&SloCharts>) {
    let def = &slo.definition;
    let health = slo.health();
    let no_data = slo
        .no_data_reason()
        .map(|r| format!("NO DATA: {}", r.phrase()));
    let badge = match health {
        // Nothing to judge (or alerts not evaluated yet): never claim health.
        Health::NoData => no_data.as_deref().unwrap_or("NO DATA"),
        Health::Page => "PAGE: act now",
        Health::Ticket => "TICKET: look soon",
        Health::Ok => "healthy",
    };
    let badge_class = health.as_str();
    let _ = write!(
        out,
        "<section class=\"slo\" data-slo=\"{name}\"><h2><span class=\"name\">{name}</span><span class=\"badge {badge_class}\">{badge}</span></h2>",
        name = Escaped(def.name())
    );
    let coverage = coverage_phrase(slo.coverage(), def.period())
        .map(|c| format!(" Figures are {c}."))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<p class=\"meta\">Objective: {}% of {}, over {}.{coverage} {}</p>",
        objective_percent(def.objective().ratio()),
        sli_goal(def.sli()),
        format_duration(def.period()),
        def.description()
            .map(|d| Escaped(d).to_string())
            .unwrap_or_default()
    );
    let remaining = slo.budget_remaining();
    let shown = (remaining * 100.0).clamp(0.0, 100.0);
    let color = match slo.budget_level() {
        BudgetLevel::Comfortable => "#1f8b4c",
        BudgetLevel::Low => "#c77700",
        BudgetLevel::Critical => "#c62828",
    };
    let _ = write!(
        out,
        "<div class=\"budget-line\"><span>Error budget left</span><span class=\"budget\">{}</span></div>\
         <div class=\"bar\" role=\"meter\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"{shown:.1}\">\
         <div class=\"fill\" style=\"width:{shown:.1}%;background:{color}\"></div></div>",
        percent_1(remaining)
    );
    let p = &slo.evaluation.period;
    let _ = write!(
        out,
        "<p class=\"note\">{} of {} events bad in the period; {} since start ({} cancelled, not counted).</p>",
        p.bad_events,
        p.events,
        slo.counts.bad,
        slo.counts.cancelled
    );
    if slo.under_maintenance || slo.excluded.events() > 0 {
        let _ = write!(
            out,
            "<p class=\"note\" data-maintenance=\"{}\">{}{} events ({} bad) left out for scheduled maintenance.</p>",
            slo.under_maintenance,
            if slo.under_maintenance {
                "Under maintenance: its events are left out and its alerts held (shown here, not sent). "
            } else {
                ""
            },
            slo.excluded.events(),
            slo.excluded.bad
        );
    }
    out.push_str("<table><thead><tr><th>Window</th><th>Events</th><th>Bad</th><th>Burn rate</th></tr></thead><tbody>");
    for w in slo.windows() {
        let (class, rate) = match w.burn_rate {
            Some(r) if slo.past_threshold(w) => (" class=\"hot\"", format!("{r:.2}x")),
            Some(r) => ("", format!("{r:.2}x")),
            None => ("", "no traffic".to_owned()),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td{class}>{rate}</td></tr>",
            format_duration(w.window),
            w.events,
            w.bad_events
        );
    }
    out.push_str("</tbody></table>");
    let outlook = match Outlook::of(slo.evaluation.time_to_exhaustion) {
        Outlook::Spent => "The error budget is spent.".to_owned(),
        Outlook::RunsOutIn(d) => format!(
            "At the pace of the last hour, the budget runs out in {}.",
            human_duration(d)
        ),
        Outlook::Steady => "Nothing is spending the budget right now.".to_owned(),
    };
    let _ = write!(out, "<p class=\"note outlook\">{outlook}</p>");
    compliance(out, slo);
    if let Some(charts) = charts {
        let _ = write!(
            out,
            "<div class=\"charts\">{}</div>",
            super::charts::svg(charts, &format_duration(def.period()))
        );
    }
    out.push_str("</section>");
}

/// The incident history, newest first.
fn incidents(out: &mut String, snapshot: &Snapshot) {
    out.push_str("<section class=\"incidents\"><h2>Incidents</h2>");
    if snapshot.incidents.is_empty() {
        out.push_str("<p class=\"note\">No incident since the history began.</p></section>");
        return;
    }
    out.push_str("<table><thead><tr><th>#</th><th>Started</th><th>State</th><th>Lasted</th><th>First page after</th><th>Peak burn</th><th>What happened</th></tr></thead><tbody>");
    for i in snapshot.incidents.iter().rev() {
        let state = if i.resolved_at.is_some() {
            "resolved"
        } else {
            "open"
        };
        let delay = i
            .detection_delay()
            .map_or("no page".to_owned(), human_duration);
        let _ = write!(
            out,
            "<tr data-incident=\"{id}\" class=\"{state}\"><td>{id}</td><td>{started}</td><td>{state}</td><td>{lasted}</td><td>{delay}</td><td>{peak:.1}x</td><td class=\"summary\">{summary}</td></tr>",
            id = i.id,
            started = utc_minute(i.started_at),
            lasted = human_duration(i.duration(snapshot.taken_at)),
            peak = i.peak_burn_rate,
            summary = Escaped(&i.summary(&snapshot.service, snapshot.taken_at)),
        );
    }
    out.push_str("</tbody></table></section>");
}

/// The calendar compliance windows of an SLO: the current periods, then the past ones.
fn compliance(out: &mut String, slo: &SloSnapshot) {
    let def = &slo.definition;
    if slo.compliance.is_empty() {
        return;
    }
    out.push_str("<h3>Compliance windows</h3><table class=\"compliance\"><thead><tr><th>Window</th><th>Period</th><th>SLI</th><th>Budget left</th><th>SLA</th></tr></thead><tbody>");
    for w in &slo.compliance {
        let quoted = if def.alerting_window().map(|c| c.name()) == Some(w.name) {
            " <span class=\"quoted\">(alerts quote it)</span>"
        } else {
            ""
        };
        let runs_out = match w.time_to_exhaustion {
            Some(d) if !d.is_zero() => format!(", runs out in {}", human_duration(d)),
            _ => String::new(),
        };
        let (sla_class, sla) = match &w.sla {
            Some(s) => (
                s.status.as_str(),
                format!(
                    "{}% {}",
                    objective_percent(s.objective),
                    sla_words(s.status)
                ),
            ),
            None => ("", "-".to_owned()),
        };
        let _ = write!(
            out,
            "<tr data-window=\"{name}\"><td>{name} ({zone}){quoted}</td><td>{period}</td><td>{sli}</td><td>{budget}{runs_out}</td><td class=\"{sla_class}\">{sla}</td></tr>",
            name = w.name,
            zone = Escaped(&w.zone),
            period = period_label(def, w, w.start),
            sli = achieved(w.sli()),
            budget = percent_1(w.budget_remaining),
        );
    }
    out.push_str("</tbody></table>");
    for w in slo.compliance.iter().filter(|w| !w.past.is_empty()) {
        let sla_past = w.sla.as_ref().map(|s| &s.past);
        let _ = write!(
            out,
            "<details data-window=\"{name}\"><summary>Past {name}s ({count})</summary><table><thead><tr><th>{name}</th><th>Events</th><th>Bad</th><th>SLI</th><th>SLA</th></tr></thead><tbody>",
            name = w.name,
            count = w.past.len()
        );
        for (i, p) in w.past.iter().enumerate() {
            let status = sla_past.and_then(|past| past.get(i));
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                period_label(def, w, p.start),
                p.events,
                p.bad_events,
                achieved(p.sli()),
                status.map_or("", |s| s.as_str()),
                status.map_or("-", |s| sla_words(*s))
            );
        }
        out.push_str("</tbody></table></details>");
    }
}

/// The local date a period of `w` starts on (`2026-11-01`).
fn period_label(
    def: &SloDefinition,
    w: &ComplianceWindow,
    start: sloguard_core::clock::Timestamp,
) -> String {
    def.calendars()
        .iter()
        .find(|c| c.name() == w.name)
        .map(|c| c.label(start))
        .unwrap_or_default()
}

fn sla_words(status: SlaStatus) -> &'static str {
    match status {
        SlaStatus::Met => "met",
        SlaStatus::AtRisk => "at risk",
        SlaStatus::Breached => "breached",
        SlaStatus::NoData => "no data",
    }
}

/// Writes text with `& < > " '` escaped: the one HTML escaping of the pages.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => std::fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped() {
        assert_eq!(
            Escaped("<a href='x'>&\"</a>").to_string(),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(objective_percent(0.999), "99.9");
        assert_eq!(objective_percent(0.99), "99");
    }
}
