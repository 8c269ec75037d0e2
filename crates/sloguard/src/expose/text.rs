//! Prometheus text format 0.0.4 and OpenMetrics 1.0.
//!
//! The SLO series are [`series::SLO_SERIES`], the mapping both bridges walk too; histograms and gauges of the registry (the
//! layer's request series, for one) follow them. A burn-rate window without events has no
//! sample at all: absent means "no data", which is what `None` means in the engine, and keeps
//! NaN out of dashboards and rules.
//!
//! In OpenMetrics only, a histogram bucket and an SLO's bad-event counter carry the exemplar
//! kept for them (see [`sloguard_core::exemplar`]), linking them to a trace:
//! `…_bucket{…,le="0.5"} 12 # {trace_id="4bf9…",span_id="00f0…"} 0.31 1765000000.123`.

use std::fmt::Write;

use sloguard_core::contract::{self, Family, Kind};
use sloguard_core::exemplar::Exemplar;
use sloguard_core::series::{self, Value};
use sloguard_core::snapshot::Snapshot;

/// The two text formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// The format a scraper asks for in its `Accept` header: OpenMetrics when it lists
    /// `application/openmetrics-text` (and not with `q=0`), Prometheus text otherwise.
    pub fn from_accept(accept: Option<&str>) -> Self {
        let wants_openmetrics = accept.is_some_and(|a| {
            a.split(',').any(|part| {
                let mut params = part.split(';').map(str::trim);
                let media = params.next().unwrap_or_default();
                let refused = params
                    .filter_map(|p| p.strip_prefix("q="))
                    .any(|q| q.trim().parse::<f64>().is_ok_and(|q| q <= 0.0));
                media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
            })
        });
        if wants_openmetrics {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }

    /// The `Content-Type` of a response in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// Renders a snapshot in `format`.
pub fn render(snapshot: &Snapshot, format: Format) -> String {
    let mut out =
        String::with_capacity(1024 + snapshot.slos.len() * 2048 + snapshot.histograms.len() * 1536);
    render_into(&mut out, snapshot, format);
    out
}

struct Writer<'a> {
    out: &'a mut String,
    format: Format,
}

impl Writer<'_> {
    /// Writes HELP, TYPE (and UNIT for OpenMetrics) of a family, as the contract gives them.
    fn family(&mut self, name: &str, family: &Family) {
        // OpenMetrics names a counter family without its `_total` suffix.
        let name = match (self.format, family.kind) {
            (Format::OpenMetrics, Kind::Counter) => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        let _ = write!(self.out, "# HELP {name} ");
        escape_help(self.out, family.help);
        let _ = writeln!(self.out, "\n# TYPE {name} {}", family.kind.as_str());
        if self.format == Format::OpenMetrics {
            if let Some(unit) = family.unit {
                let _ = writeln!(self.out, "# UNIT {name} {unit}");
            }
        }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: Value) {
        self.sample_with(name, labels, None, value);
    }

    /// A sample with one more label after `labels` (the `le` of a bucket).
    fn sample_with(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: Value,
    ) {
        self.sample_suffixed(name, "", labels, extra, value);
    }

    /// A sample of `name` + `suffix` (`_bucket`, `_sum`, `_count`), written without building
    /// the full name first.
    fn sample_suffixed(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: Value,
    ) {
        self.sample_exemplified(name, suffix, labels, extra, value, None);
    }

    /// [`Writer::sample_suffixed`] with an exemplar `(value, exemplar)` after the value, written
    /// only in OpenMetrics: the text format 0.0.4 has no place for one.
    fn sample_exemplified(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        extra: Option<(&str, &str)>,
        value: Value,
        exemplar: Option<(f64, &Exemplar)>,
    ) {
        self.out.push_str(name);
        self.out.push_str(suffix);
        if !labels.is_empty() || extra.is_some() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().chain(extra.as_ref()).enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label(self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        match value {
            Value::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            Value::Float(v) => write_float(self.out, v),
        }
        if let (Format::OpenMetrics, Some((value, e))) = (self.format, exemplar) {
            let _ = write!(
                self.out,
                " # {{trace_id=\"{}\",span_id=\"{}\"}} ",
                e.context.trace_id_hex(),
                e.context.span_id_hex()
            );
            write_float(self.out, value);
            let millis = e.at.as_unix_nanos() / 1_000_000;
            let _ = write!(self.out, " {}.{:03}", millis / 1_000, millis % 1_000);
        }
        self.out.push('\n');
    }
}

fn write_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        // Debug keeps a decimal point or exponent ("1.0", "1e-7"): valid in both formats.
        let _ = write!(out, "{v:?}");
    }
}

/// Label values escape backslash, double quote and line feed; everything else, non-ASCII
/// included, is written as is (Rust strings are always valid UTF-8).
fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn label_refs(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Renders a snapshot into `out`.
pub fn render_into(out: &mut String, snapshot: &Snapshot, format: Format) {
    let mut w = Writer { out, format };
    for published in &series::SLO_SERIES {
        if !(published.applies)(snapshot) {
            continue;
        }
        let f = published.family;
        w.family(f.name, f);
        if f.name == contract::SLO_BAD_EVENTS.name {
            // A bad-event counter links to a recent bad event's trace; its value is the
            // increment, 1.
            published.for_each(snapshot, |labels, value| {
                let exemplar = labels
                    .iter()
                    .find(|(k, _)| *k == contract::label::SLO)
                    .and_then(|(_, slo)| snapshot.slo(slo))
                    .and_then(|slo| slo.bad_event_exemplar.as_ref())
                    .map(|e| (1.0, e));
                w.sample_exemplified(f.name, "", labels, None, value, exemplar);
            });
            continue;
        }
        published.for_each(snapshot, |labels, value| w.sample(f.name, labels, value));
    }

    let mut last_family = "";
    for series in &snapshot.histograms {
        if series.name != last_family {
            let family = Family {
                kind: Kind::Histogram,
                ..contract::describe(&series.name)
            };
            w.family(&series.name, &family);
            last_family = &series.name;
        }
        let labels = label_refs(&series.labels);
        let (name, h) = (series.name.as_str(), &series.histogram);
        let mut le = String::new();
        let exemplar_of = |bucket: usize| {
            h.exemplars()
                .iter()
                .find(|(b, _)| *b == bucket)
                .map(|(_, e)| (e.value.as_secs_f64(), e))
        };
        for (bucket, (bound, count)) in h.classic().iter().enumerate() {
            le.clear();
            write_float(&mut le, bound.as_secs_f64());
            w.sample_exemplified(
                name,
                "_bucket",
                &labels,
                Some(("le", &le)),
                Value::Int(*count),
                exemplar_of(bucket),
            );
        }
        w.sample_exemplified(
            name,
            "_bucket",
            &labels,
            Some(("le", "+Inf")),
            Value::Int(h.count()),
            exemplar_of(h.classic().len()),
        );
        w.sample_suffixed(
            name,
            "_sum",
            &labels,
            None,
            Value::Float(h.sum_nanos() as f64 / 1e9),
        );
        w.sample_suffixed(name, "_count", &labels, None, Value::Int(h.count()));
    }

    let mut last_family = "";
    for series in &snapshot.gauges {
        if series.name != last_family {
            let family = Family {
                kind: Kind::Gauge,
                ..contract::describe(&series.name)
            };
            w.family(&series.name, &family);
            last_family = &series.name;
        }
        w.sample(
            &series.name,
            &label_refs(&series.labels),
            Value::Float(series.value as f64),
        );
    }

    if format == Format::OpenMetrics {
        w.out.push_str("# EOF\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_negotiation() {
        assert_eq!(Format::from_accept(None), Format::Prometheus);
        assert_eq!(Format::from_accept(Some("text/plain")), Format::Prometheus);
        let prometheus_scraper = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";
        assert_eq!(
            Format::from_accept(Some(prometheus_scraper)),
            Format::OpenMetrics
        );
        assert_eq!(
            Format::from_accept(Some("application/openmetrics-text; q=0")),
            Format::Prometheus
        );
        assert_eq!(
            Format::from_accept(Some("application/openmetrics-text;q=0.0")),
            Format::Prometheus
        );
    }

    #[test]
    fn floats_are_written_the_way_both_formats_read_them() {
        let cases = [
            (1.0, "1.0"),
            (0.005, "0.005"),
            (1e-7, "1e-7"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (-2.5, "-2.5"),
        ];
        for (v, want) in cases {
            let mut s = String::new();
            write_float(&mut s, v);
            assert_eq!(s, want);
        }
    }
}
