//! The Prometheus protobuf exposition, the format that carries native histograms.
//!
//! A scraper that lists `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
//! encoding=delimited` in its `Accept` header at least as high as OpenMetrics (Prometheus does
//! when its native histograms are on) gets every family of the text formats as
//! length-delimited `MetricFamily` messages (the published `metrics.proto` schema, proto2).
//!
//! Every histogram keeps its classic buckets there, so nothing a classic scraper reads is lost.
//! A histogram with the fine layout (the layer's request series with
//! [`SliLayer::native_histograms`](crate::layer::SliLayer::native_histograms), or a
//! [`Registry::histogram`](crate::Registry::histogram) of your own) also carries the native
//! (exponential) buckets of schema [`SCHEMA`]: 8 per power of two, each 9% wider than the one
//! before. They are derived from the fine log-linear buckets (32 per power of two of
//! nanoseconds): each fine bucket's count goes to the native bucket holding its midpoint, so a
//! native bucket's count is exact except for values within one fine bucket (at most 3.1%) of
//! its edges. Count and sum are exact, and so are the classic buckets an SLO threshold is.
//!
//! Exemplars ride on the classic buckets and the bad-event counters, as in OpenMetrics.
//!
//! ```
//! use sloguard::expose::protobuf;
//!
//! let prometheus = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3";
//! assert!(protobuf::wanted(Some(prometheus)));
//! assert!(!protobuf::wanted(Some("application/openmetrics-text; version=1.0.0")));
//! assert!(!protobuf::wanted(None));
//! ```

use prost::Message;
use sloguard_core::contract::{self, Kind};
use sloguard_core::exemplar::Exemplar;
use sloguard_core::histogram::{bucket_bounds_nanos, HistogramSnapshot};
use sloguard_core::series::{self, Value};
use sloguard_core::snapshot::Snapshot;

/// The media type of the exposition, as scrapers ask for it and as responses carry it.
pub const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// The native histogram schema: 2^(2^-3) = 1.09 between bucket edges.
pub const SCHEMA: i32 = 3;

/// Whether an `Accept` header asks for the protobuf exposition: it lists it (with `proto` set to
/// `MetricFamily` and `encoding` to `delimited`) with a weight above zero and no lower than any
/// text format's.
pub fn wanted(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let mut protobuf: f64 = 0.0;
    let mut text: f64 = 0.0;
    for part in accept.split(',') {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or_default().to_ascii_lowercase();
        let (mut q, mut proto, mut delimited) = (1.0, false, false);
        for param in params {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key.trim() {
                "q" => q = value.trim().parse().unwrap_or(0.0),
                "proto" => proto = value.trim() == "io.prometheus.client.MetricFamily",
                "encoding" => delimited = value.trim() == "delimited",
                _ => {}
            }
        }
        match media.as_str() {
            "application/vnd.google.protobuf" if proto && delimited => protobuf = protobuf.max(q),
            "application/openmetrics-text" | "text/plain" => text = text.max(q),
            _ => {}
        }
    }
    protobuf > 0.0 && protobuf >= text
}

/// Renders a snapshot as length-delimited `MetricFamily` messages.
pub fn render(snapshot: &Snapshot) -> Vec<u8> {
    let mut families = Vec::new();
    for published in &series::SLO_SERIES {
        if !(published.applies)(snapshot) {
            continue;
        }
        let f = published.family;
        let mut family = family(f.name, f.help, f.kind, f.unit);
        published.for_each(snapshot, |labels, value| {
            let label = pairs(labels.iter().copied());
            let value = match value {
                Value::Int(v) => v as f64,
                Value::Float(v) => v,
            };
            let metric = match f.kind {
                Kind::Counter => {
                    let exemplar = (f.name == contract::SLO_BAD_EVENTS.name)
                        .then(|| {
                            labels
                                .iter()
                                .find(|(k, _)| *k == contract::label::SLO)
                                .and_then(|(_, slo)| snapshot.slo(slo))
                                .and_then(|slo| slo.bad_event_exemplar.as_ref())
                                .map(|e| exemplar(e, 1.0))
                        })
                        .flatten();
                    Metric {
                        label,
                        counter: Some(Counter {
                            value: Some(value),
                            exemplar,
                        }),
                        ..Metric::default()
                    }
                }
                _ => Metric {
                    label,
                    gauge: Some(Gauge { value: Some(value) }),
                    ..Metric::default()
                },
            };
            family.metric.push(metric);
        });
        families.push(family);
    }
    for series in &snapshot.histograms {
        let described = contract::describe(&series.name);
        let fresh = families.last().is_none_or(|f| f.name() != series.name);
        if fresh {
            families.push(family(
                &series.name,
                described.help,
                Kind::Histogram,
                described.unit,
            ));
        }
        let label = pairs(series.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if let Some(family) = families.last_mut() {
            family.metric.push(Metric {
                label,
                histogram: Some(histogram(&series.histogram)),
                ..Metric::default()
            });
        }
    }
    for series in &snapshot.gauges {
        if families.last().is_none_or(|f| f.name() != series.name) {
            let described = contract::describe(&series.name);
            families.push(family(
                &series.name,
                described.help,
                Kind::Gauge,
                described.unit,
            ));
        }
        if let Some(family) = families.last_mut() {
            family.metric.push(Metric {
                label: pairs(series.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
                gauge: Some(Gauge {
                    value: Some(series.value as f64),
                }),
                ..Metric::default()
            });
        }
    }
    let mut out = Vec::new();
    for family in &families {
        // Writing into a Vec cannot run out of room.
        let _ = family.encode_length_delimited(&mut out);
    }
    out
}

fn family(name: &str, help: &str, kind: Kind, unit: Option<&str>) -> MetricFamily {
    MetricFamily {
        name: Some(name.to_owned()),
        help: Some(help.to_owned()),
        r#type: Some(match kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram => MetricType::Histogram,
        } as i32),
        metric: Vec::new(),
        unit: unit.map(str::to_owned),
    }
}

fn pairs<'a>(labels: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<LabelPair> {
    labels
        .map(|(k, v)| LabelPair {
            name: Some(k.to_owned()),
            value: Some(v.to_owned()),
        })
        .collect()
}

fn exemplar(e: &Exemplar, value: f64) -> ProtoExemplar {
    let nanos = e.at.as_unix_nanos();
    ProtoExemplar {
        label: pairs(
            [
                ("trace_id", e.context.trace_id_hex()),
                ("span_id", e.context.span_id_hex()),
            ]
            .iter()
            .map(|(k, v)| (*k, v.as_str())),
        ),
        value: Some(value),
        timestamp: Some(ProtoTimestamp {
            seconds: (nanos / 1_000_000_000) as i64,
            nanos: (nanos % 1_000_000_000) as i32,
        }),
    }
}

/// A histogram: its classic buckets, and its native buckets when it has fine ones.
fn histogram(h: &HistogramSnapshot) -> Histogram {
    let exemplar_of = |bucket: usize| {
        h.exemplars()
            .iter()
            .find(|(b, _)| *b == bucket)
            .map(|(_, e)| exemplar(e, e.value.as_secs_f64()))
    };
    let mut bucket: Vec<Bucket> = h
        .classic()
        .iter()
        .enumerate()
        .map(|(i, (bound, count))| Bucket {
            cumulative_count: Some(*count),
            upper_bound: Some(bound.as_secs_f64()),
            exemplar: exemplar_of(i),
        })
        .collect();
    if let Some(e) = exemplar_of(h.classic().len()) {
        bucket.push(Bucket {
            cumulative_count: Some(h.count()),
            upper_bound: Some(f64::INFINITY),
            exemplar: Some(e),
        });
    }
    let mut out = Histogram {
        sample_count: Some(h.count()),
        sample_sum: Some(h.sum_nanos() as f64 / 1e9),
        bucket,
        ..Histogram::default()
    };
    if h.is_fine() {
        // Fine buckets: native too. An empty native histogram says it is one with a span of
        // length zero.
        let native = native_buckets(h.buckets());
        out.schema = Some(SCHEMA);
        out.zero_threshold = Some(0.0);
        out.zero_count = Some(native.zero);
        let (spans, deltas) = spans_and_deltas(&native.buckets);
        out.positive_span = if spans.is_empty() {
            vec![BucketSpan {
                offset: Some(0),
                length: Some(0),
            }]
        } else {
            spans
        };
        out.positive_delta = deltas;
    }
    out
}

/// Native buckets: the count of values of zero, and `(index, count)` of schema [`SCHEMA`] in
/// order, where bucket `i` holds values in `(2^((i-1)/8), 2^(i/8)]` seconds.
struct Native {
    zero: u64,
    buckets: Vec<(i32, u64)>,
}

fn native_buckets(fine: &[(u32, u64)]) -> Native {
    let mut zero = 0;
    let mut buckets: Vec<(i32, u64)> = Vec::new();
    for (index, count) in fine {
        let (lower, upper) = bucket_bounds_nanos(*index);
        if upper <= 1 {
            zero += count;
            continue;
        }
        // The overflow bucket has no upper edge: its lower one stands for it.
        let mid = if upper == u64::MAX {
            lower as f64
        } else {
            (lower as f64 + (upper - 1) as f64) / 2.0
        };
        let native = native_index(mid / 1e9);
        match buckets.last_mut() {
            Some((last, c)) if *last == native => *c += count,
            _ => buckets.push((native, *count)),
        }
    }
    Native { zero, buckets }
}

/// The schema-[`SCHEMA`] bucket of a positive value in seconds.
fn native_index(seconds: f64) -> i32 {
    (seconds.log2() * f64::from(1 << SCHEMA)).ceil() as i32
}

/// Spans of consecutive buckets and the count deltas the format wants (each count minus the
/// one before, the first against zero).
fn spans_and_deltas(buckets: &[(i32, u64)]) -> (Vec<BucketSpan>, Vec<i64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let (mut previous_index, mut previous_count) = (None::<i32>, 0i64);
    for (index, count) in buckets {
        let count = *count as i64;
        match previous_index {
            Some(p) if *index == p + 1 => {
                if let Some(span) = spans.last_mut() {
                    span.length = Some(span.length.unwrap_or(0) + 1);
                }
            }
            Some(p) => spans.push(BucketSpan {
                offset: Some(index - p - 1),
                length: Some(1),
            }),
            None => spans.push(BucketSpan {
                offset: Some(*index),
                length: Some(1),
            }),
        }
        deltas.push(count - previous_count);
        previous_index = Some(*index);
        previous_count = count;
    }
    (spans, deltas)
}

// The messages of Prometheus's `metrics.proto` (package `io.prometheus.client`, proto2) that
// this exposition writes, with their published field numbers.

#[derive(Clone, PartialEq, prost::Message)]
struct LabelPair {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
enum MetricType {
    Counter = 0,
    Gauge = 1,
    Histogram = 4,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Gauge {
    #[prost(double, optional, tag = "1")]
    value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Counter {
    #[prost(double, optional, tag = "1")]
    value: Option<f64>,
    #[prost(message, optional, tag = "2")]
    exemplar: Option<ProtoExemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Bucket {
    #[prost(uint64, optional, tag = "1")]
    cumulative_count: Option<u64>,
    #[prost(double, optional, tag = "2")]
    upper_bound: Option<f64>,
    #[prost(message, optional, tag = "3")]
    exemplar: Option<ProtoExemplar>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct BucketSpan {
    #[prost(sint32, optional, tag = "1")]
    offset: Option<i32>,
    #[prost(uint32, optional, tag = "2")]
    length: Option<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Histogram {
    #[prost(uint64, optional, tag = "1")]
    sample_count: Option<u64>,
    #[prost(double, optional, tag = "2")]
    sample_sum: Option<f64>,
    #[prost(message, repeated, tag = "3")]
    bucket: Vec<Bucket>,
    #[prost(sint32, optional, tag = "5")]
    schema: Option<i32>,
    #[prost(double, optional, tag = "6")]
    zero_threshold: Option<f64>,
    #[prost(uint64, optional, tag = "7")]
    zero_count: Option<u64>,
    #[prost(message, repeated, tag = "12")]
    positive_span: Vec<BucketSpan>,
    #[prost(sint64, repeated, packed = "false", tag = "13")]
    positive_delta: Vec<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProtoTimestamp {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProtoExemplar {
    #[prost(message, repeated, tag = "1")]
    label: Vec<LabelPair>,
    #[prost(double, optional, tag = "2")]
    value: Option<f64>,
    #[prost(message, optional, tag = "3")]
    timestamp: Option<ProtoTimestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Metric {
    #[prost(message, repeated, tag = "1")]
    label: Vec<LabelPair>,
    #[prost(message, optional, tag = "2")]
    gauge: Option<Gauge>,
    #[prost(message, optional, tag = "3")]
    counter: Option<Counter>,
    #[prost(message, optional, tag = "7")]
    histogram: Option<Histogram>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct MetricFamily {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    help: Option<String>,
    #[prost(enumeration = "MetricType", optional, tag = "3")]
    r#type: Option<i32>,
    #[prost(message, repeated, tag = "4")]
    metric: Vec<Metric>,
    #[prost(string, optional, tag = "5")]
    unit: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_indices_follow_the_schema_edges() {
        // (2^((i-1)/8), 2^(i/8)]: 1 s is the top of bucket 0; a bit more is bucket 1.
        assert_eq!(native_index(1.0), 0);
        assert_eq!(native_index(1.01), 1);
        assert_eq!(native_index(0.5), -8);
        assert_eq!(native_index(0.1), -26);
    }

    #[test]
    fn spans_cover_gaps_and_deltas_start_from_zero() {
        let (spans, deltas) = spans_and_deltas(&[(-3, 2), (-2, 5), (1, 1), (2, 1)]);
        let spans: Vec<_> = spans.iter().map(|s| (s.offset, s.length)).collect();
        assert_eq!(spans, [(Some(-3), Some(2)), (Some(2), Some(2))]);
        assert_eq!(deltas, [2, 3, -4, 0]);
    }

    /// The families of an exposition, decoded as a scraper decodes them.
    fn decode(mut bytes: &[u8]) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            out.push(MetricFamily::decode_length_delimited(&mut bytes).expect("decodes"));
        }
        out
    }

    #[test]
    fn a_fine_histogram_is_native_and_classic_and_every_family_is_there() {
        use sloguard_core::histogram::Boundaries;
        use sloguard_core::model::Slo;
        use std::time::Duration;

        let registry = sloguard_core::Registry::builder("p").build();
        registry
            .register(Slo::availability("a").build().expect("valid"))
            .expect("ok");
        let fine = registry.histogram(
            "work_seconds",
            &[("job", "x")],
            Boundaries::new([Duration::from_millis(100)]).expect("one"),
        );
        let classic = registry.classic_histogram(
            "other_seconds",
            &[],
            Boundaries::new([Duration::from_millis(100)]).expect("one"),
        );
        // 3 values of 10 ms, 2 of 200 ms (each with its fine bucket inside one native bucket),
        // and one of 0.
        for ms in [10, 10, 10, 200, 200] {
            fine.record(Duration::from_millis(ms));
            classic.record(Duration::from_millis(ms));
        }
        fine.record(Duration::ZERO);
        let families = decode(&render(&registry.snapshot()));
        let names: Vec<&str> = families.iter().map(MetricFamily::name).collect();
        assert!(names.contains(&"sloguard_slo_events_total"), "{names:?}");
        let histogram = |name: &str| {
            families
                .iter()
                .find(|f| f.name() == name)
                .and_then(|f| f.metric[0].histogram.clone())
                .expect("histogram")
        };
        let h = histogram("work_seconds");
        assert_eq!(
            (h.sample_count, h.schema, h.zero_count),
            (Some(6), Some(SCHEMA), Some(1))
        );
        assert_eq!(h.bucket[0].cumulative_count, Some(4), "classic le=0.1 kept");
        // Rebuild the native buckets from spans and deltas.
        let mut native = Vec::new();
        let (mut index, mut count, mut deltas) = (0i32, 0i64, h.positive_delta.iter());
        for span in &h.positive_span {
            index += span.offset();
            for _ in 0..span.length() {
                count += deltas.next().expect("a delta per bucket");
                native.push((index, count));
                index += 1;
            }
        }
        assert_eq!(
            native,
            [(native_index(0.010), 3), (native_index(0.200), 2)],
            "each value in the bucket of its schema-3 edges"
        );
        // 210 ms is within one fine bucket (4.2 ms wide there) of the edge 2^(-18/8) s =
        // 210.2 ms: it may land one native bucket up, never further.
        let near = registry.histogram("near_seconds", &[], Boundaries::http_default());
        near.record(Duration::from_millis(210));
        let near = native_buckets(near.snapshot().buckets());
        let exact = native_index(0.210);
        assert!(matches!(near.buckets[..], [(i, 1)] if i == exact || i == exact + 1));
        let c = histogram("other_seconds");
        assert_eq!(
            (c.sample_count, c.schema),
            (Some(5), None),
            "classic stays classic"
        );
        assert!(c.positive_span.is_empty());

        // Before their first value, each says what it is: the fine one native (a span of
        // length zero), the classic one classic.
        let bounds = || Boundaries::new([Duration::from_millis(100)]).expect("one");
        registry.histogram("fresh_fine_seconds", &[], bounds());
        registry.classic_histogram("fresh_classic_seconds", &[], bounds());
        let families = decode(&render(&registry.snapshot()));
        let fresh = |name: &str| {
            families
                .iter()
                .find(|f| f.name() == name)
                .and_then(|f| f.metric[0].histogram.clone())
                .expect("histogram")
        };
        let f = fresh("fresh_fine_seconds");
        assert_eq!(
            (f.sample_count, f.schema, f.positive_span.len()),
            (Some(0), Some(SCHEMA), 1)
        );
        assert_eq!(fresh("fresh_classic_seconds").schema, None);
    }

    #[test]
    fn prometheus_asks_for_protobuf_only_above_text() {
        let pb = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
        assert!(wanted(Some(pb)));
        assert!(!wanted(Some(&format!("{pb};q=0.2,text/plain;q=0.5"))));
        assert!(!wanted(Some(&format!("{pb};q=0"))));
        assert!(!wanted(Some(
            "application/vnd.google.protobuf;encoding=text"
        )));
    }
}
