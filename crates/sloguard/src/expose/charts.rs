//! The data behind the `/slo` page's charts (`/slo/charts.json`) and their drawing as inline
//! SVG: no script, no asset from elsewhere, readable with scripts off.
//!
//! Per SLO: the error-budget burn-down over the rolling period against the steady-spend line,
//! the burn rate per alerting window over the last 3 days with the tiers' thresholds, the SLI
//! per minute over the last 6 hours (see [`sloguard_core::history`]), and the latency distribution of the SLO's
//! events (its latency histograms, successes and errors together). Each drawn series carries
//! its last value (`data-last`) so a test can compare the drawing with this document.
//!
//! ```
//! use sloguard::{Outcome, Registry, expose::charts::ChartsDocument, model::Slo};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("shop").build();
//! let slo = registry.register(Slo::availability("checkout").build().unwrap()).unwrap();
//! slo.record(Outcome::Success, Duration::from_millis(3));
//! let doc = ChartsDocument::from_registry(&registry, &registry.snapshot());
//! assert_eq!(doc.slos[0].latency.iter().map(|b| b.count).sum::<u64>(), 1);
//! ```

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use sloguard_core::contract;
use sloguard_core::duration::format_duration;
use sloguard_core::history::Point;
use sloguard_core::snapshot::Snapshot;
use sloguard_core::Registry;

/// `[unix seconds, value or null]`.
pub type JsonPoint = (f64, Option<f64>);

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartsDocument {
    /// The service.
    pub service: String,
    /// When it was read, Unix seconds.
    pub taken_at: f64,
    /// One per SLO, in registration order.
    pub slos: Vec<SloCharts>,
}

/// The charts of one SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SloCharts {
    /// The SLO.
    pub name: String,
    /// The objective as a ratio (the SLI chart's target line).
    pub objective: f64,
    /// Budget left through the rolling period.
    pub budget: Vec<JsonPoint>,
    /// The steady-spend line: 1 at the period's start, 0 at its end (now).
    pub steady: Vec<JsonPoint>,
    /// Burn rate per alerting window, shortest first.
    pub burn_rates: Vec<BurnRateJson>,
    /// The good share per slot.
    pub sli: Vec<JsonPoint>,
    /// The latency distribution: events per bucket.
    pub latency: Vec<LatencyBucket>,
}

/// The burn rate over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnRateJson {
    /// The window (`1h`).
    pub window: String,
    /// The thresholds of the tiers using it.
    pub thresholds: Vec<ThresholdJson>,
    /// The points, oldest first.
    pub points: Vec<JsonPoint>,
}

/// A tier's threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdJson {
    /// The tier (`page-1h`).
    pub tier: String,
    /// Its burn-rate threshold.
    pub burn_rate: f64,
}

/// One latency bucket: events above the previous bound and at most `le_seconds`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyBucket {
    /// The upper bound, seconds; `null` for the last bucket (above every bound).
    pub le_seconds: Option<f64>,
    /// Events in it.
    pub count: u64,
}

fn points(series: &[Point]) -> Vec<JsonPoint> {
    series
        .iter()
        .map(|p| (p.at.as_unix_secs_f64(), p.value))
        .collect()
}

impl ChartsDocument {
    /// The charts of every SLO of `registry`; latencies from `snapshot`.
    pub fn from_registry(registry: &Registry, snapshot: &Snapshot) -> Self {
        let slos = snapshot
            .slos
            .iter()
            .filter_map(|slo| {
                let name = slo.definition.name();
                let history = registry.history(name)?;
                Some(SloCharts {
                    name: name.to_owned(),
                    objective: slo.definition.objective().ratio(),
                    budget: points(&history.budget),
                    steady: vec![
                        (history.period_start.as_unix_secs_f64(), Some(1.0)),
                        (history.now.as_unix_secs_f64(), Some(0.0)),
                    ],
                    burn_rates: history
                        .burn_rates
                        .iter()
                        .map(|s| BurnRateJson {
                            window: format_duration(s.window),
                            thresholds: s
                                .thresholds
                                .iter()
                                .map(|(tier, burn_rate)| ThresholdJson {
                                    tier: tier.clone(),
                                    burn_rate: *burn_rate,
                                })
                                .collect(),
                            points: points(&s.points),
                        })
                        .collect(),
                    sli: points(&history.sli),
                    latency: latency(snapshot, name),
                })
            })
            .collect();
        ChartsDocument {
            service: snapshot.service.clone(),
            taken_at: snapshot.taken_at.as_unix_secs_f64(),
            slos,
        }
    }
}

/// The SLO's judged events (successes and errors) per latency bucket.
fn latency(snapshot: &Snapshot, slo: &str) -> Vec<LatencyBucket> {
    let mut cumulative: Vec<(f64, u64)> = Vec::new();
    let mut count = 0;
    for h in snapshot.histograms.iter().filter(|h| {
        h.name == contract::SLO_EVENT_DURATION.name
            && h.labels.iter().any(|(k, v)| k == "slo" && v == slo)
            && !h
                .labels
                .iter()
                .any(|(k, v)| k == "outcome" && v == "cancelled")
    }) {
        count += h.histogram.count();
        for (i, (le, c)) in h.histogram.classic().iter().enumerate() {
            match cumulative.get_mut(i) {
                Some(slot) => slot.1 += c,
                None => cumulative.push((le.as_secs_f64(), *c)),
            }
        }
    }
    let mut out = Vec::new();
    let mut below = 0;
    for (le, c) in cumulative {
        out.push(LatencyBucket {
            le_seconds: Some(le),
            count: c.saturating_sub(below),
        });
        below = c;
    }
    out.push(LatencyBucket {
        le_seconds: None,
        count: count.saturating_sub(below),
    });
    out
}

/// Renders the charts document.
pub fn render(registry: &Registry, snapshot: &Snapshot) -> String {
    serde_json::to_string_pretty(&ChartsDocument::from_registry(registry, snapshot))
        .unwrap_or_else(|_| "{}".to_owned())
}

const W: f64 = 400.0;
const H: f64 = 170.0;
const PAD: f64 = 24.0;
const COLORS: [&str; 7] = [
    "#2563eb", "#c2410c", "#7c3aed", "#0f766e", "#b91c1c", "#4d7c0f", "#a16207",
];

/// Maps data to the drawing area.
struct Frame {
    t0: f64,
    t1: f64,
    y_max: f64,
}

impl Frame {
    fn x(&self, t: f64) -> f64 {
        PAD + (t - self.t0) / (self.t1 - self.t0).max(1e-9) * (W - 2.0 * PAD)
    }
    fn y(&self, v: f64) -> f64 {
        H - PAD + -(v.clamp(0.0, self.y_max) / self.y_max.max(1e-12)) * (H - 2.0 * PAD)
    }
    /// A path through the points, broken at gaps.
    fn path(&self, series: &[JsonPoint]) -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for (t, v) in series {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        self.x(*t),
                        self.y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    }
}

fn last_value(series: &[JsonPoint]) -> String {
    series
        .iter()
        .rev()
        .find_map(|(_, v)| *v)
        .map_or("none".to_owned(), |v| format!("{v:.6}"))
}

fn open_svg(out: &mut String, chart: &str, title: &str) {
    let _ = write!(
        out,
        "<figure class=\"chart\" data-chart=\"{chart}\"><figcaption>{title}</figcaption><svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{title}\" preserveAspectRatio=\"none\"><rect x=\"{PAD}\" y=\"{PAD}\" width=\"{}\" height=\"{}\" fill=\"#f8f9fb\"/>",
        W - 2.0 * PAD,
        H - 2.0 * PAD
    );
}

fn hline(out: &mut String, frame: &Frame, v: f64, label: &str, class: &str) {
    let y = frame.y(v);
    let _ = write!(
        out,
        "<line class=\"{class}\" x1=\"{PAD}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6b7280\">{label}</text>",
        W - PAD,
        W - PAD,
        y - 2.0
    );
}

fn series(out: &mut String, frame: &Frame, data: &[JsonPoint], color: &str, name: &str) {
    let _ = write!(
        out,
        "<path class=\"series\" data-series=\"{name}\" data-last=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\"/>",
        last_value(data),
        frame.path(data)
    );
}

fn axis_note(out: &mut String, left: &str, right: &str) {
    let _ = write!(
        out,
        "<text x=\"{PAD}\" y=\"{}\" font-size=\"10\" fill=\"#6b7280\">{left}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\" fill=\"#6b7280\">{right}</text></svg></figure>",
        H - 8.0,
        W - PAD,
        H - 8.0
    );
}

/// The first and last time of a series.
fn span(s: &[JsonPoint]) -> (f64, f64) {
    (
        s.first().map_or(0.0, |p| p.0),
        s.last().map_or(1.0, |p| p.0),
    )
}

/// The four charts of one SLO as inline SVG.
pub fn svg(c: &SloCharts, period: &str) -> String {
    let mut out = String::new();
    budget_chart(&mut out, c, period);
    burn_rate_chart(&mut out, c);
    sli_chart(&mut out, c);
    latency_chart(&mut out, c);
    out
}

/// The budget burn-down over the rolling period, against the steady-spend line.
fn budget_chart(out: &mut String, c: &SloCharts, period: &str) {
    let (t0, t1) = span(&c.steady);
    let frame = Frame { t0, t1, y_max: 1.0 };
    open_svg(
        out,
        "budget",
        &format!("Error budget left over the {period} period (dashed: steady spend)"),
    );
    hline(out, &frame, 0.5, "50%", "grid");
    let _ = write!(
        out,
        "<path class=\"steady\" d=\"{}\" fill=\"none\" stroke=\"#9ca3af\" stroke-dasharray=\"6 4\"/>",
        frame.path(&c.steady)
    );
    series(out, &frame, &c.budget, COLORS[0], "budget");
    axis_note(out, &format!("{period} ago"), "now");
}

/// The burn rate of each alerting window, with the tiers' thresholds.
fn burn_rate_chart(out: &mut String, c: &SloCharts) {
    let (t0, t1) = c
        .burn_rates
        .iter()
        .map(|s| span(&s.points))
        .fold((f64::MAX, f64::MIN), |(a, b), (x, y)| (a.min(x), b.max(y)));
    let highest = c
        .burn_rates
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .chain(
            c.burn_rates
                .iter()
                .flat_map(|s| s.thresholds.iter().map(|t| t.burn_rate)),
        )
        .fold(1.0_f64, f64::max);
    let frame = Frame {
        t0: if t0 < t1 { t0 } else { t1 - 1.0 },
        t1,
        y_max: highest * 1.1,
    };
    open_svg(
        out,
        "burn-rates",
        "Burn rate per alerting window (dashed: tier thresholds)",
    );
    let mut drawn: Vec<f64> = Vec::new();
    for t in c.burn_rates.iter().flat_map(|s| &s.thresholds) {
        if !drawn.contains(&t.burn_rate) {
            drawn.push(t.burn_rate);
            hline(
                out,
                &frame,
                t.burn_rate,
                &format!("{}x {}", t.burn_rate, t.tier),
                "threshold",
            );
        }
    }
    for (i, s) in c.burn_rates.iter().enumerate() {
        series(out, &frame, &s.points, COLORS[i % COLORS.len()], &s.window);
    }
    let legend: Vec<String> = c
        .burn_rates
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "<tspan fill=\"{}\">{}</tspan>",
                COLORS[i % COLORS.len()],
                s.window
            )
        })
        .collect();
    axis_note(
        out,
        "3 days ago (windows under 1h: 6 hours)",
        &legend.join(" "),
    );
}

/// The good share per minute over the last 6 hours, against the objective.
fn sli_chart(out: &mut String, c: &SloCharts) {
    let (t0, t1) = span(&c.sli);
    let lowest = c.sli.iter().filter_map(|p| p.1).fold(c.objective, f64::min);
    let floor = (lowest - (1.0 - lowest) * 0.2).max(0.0);
    let shifted: Vec<JsonPoint> = c
        .sli
        .iter()
        .map(|(t, v)| (*t, v.map(|v| v - floor)))
        .collect();
    let frame = Frame {
        t0,
        t1,
        y_max: 1.0 - floor,
    };
    open_svg(
        out,
        "sli",
        "Good share of events per minute, last 6 hours (dashed: the objective)",
    );
    hline(
        out,
        &frame,
        c.objective - floor,
        &format!("{}%", sloguard_core::words::objective_percent(c.objective)),
        "objective",
    );
    let _ = write!(
        out,
        "<path class=\"series\" data-series=\"sli\" data-last=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"/>",
        last_value(&c.sli),
        frame.path(&shifted),
        COLORS[3]
    );
    axis_note(out, &format!("from {:.1}%", floor * 100.0), "now");
}

/// The latency distribution of the SLO's events.
fn latency_chart(out: &mut String, c: &SloCharts) {
    let total: u64 = c.latency.iter().map(|b| b.count).sum();
    open_svg(
        out,
        "latency",
        &format!("Latency of the SLO's events ({total} events)"),
    );
    let most = c.latency.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let n = c.latency.len().max(1) as f64;
    let width = (W - 2.0 * PAD) / n;
    for (i, b) in c.latency.iter().enumerate() {
        let h = b.count as f64 / most * (H - 2.0 * PAD);
        let label = b.le_seconds.map_or("more".to_owned(), |s| {
            format_duration(std::time::Duration::from_secs_f64(s))
        });
        let _ = write!(
            out,
            "<rect class=\"bucket\" data-count=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#6b7280\">{label}</text>",
            b.count,
            PAD + i as f64 * width + 1.0,
            H - PAD - h,
            (width - 2.0).max(1.0),
            COLORS[0],
            PAD + (i as f64 + 0.5) * width,
            H - PAD + 10.0
        );
    }
    out.push_str("</svg></figure>");
}
