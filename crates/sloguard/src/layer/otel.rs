//! The request series as OpenTelemetry histograms, for services that export OTLP: the same
//! requests as `http_server_request_duration_seconds` and `rpc_server_call_duration_seconds`,
//! recorded into `http.server.request.duration` and `rpc.server.call.duration` (seconds, the
//! conventions' advised buckets) with the conventions' dotted attribute names.
//!
//! OpenTelemetry has no observable histogram, so this is a second recording at the end of
//! each request, through the SDK: it costs what the SDK's histogram costs (its attribute
//! lookup), and only layers built with [`SliLayer::opentelemetry`](super::SliLayer::opentelemetry)
//! pay it.

use opentelemetry::metrics::{Histogram, Meter};
use opentelemetry::KeyValue;
use sloguard_core::contract::{self, Family};
use sloguard_core::histogram::Boundaries;

use super::rpc;

/// The two request instruments of a layer.
pub(crate) struct OtelRequests {
    http: Histogram<f64>,
    rpc: Histogram<f64>,
}

impl std::fmt::Debug for OtelRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtelRequests")
    }
}

fn histogram(meter: &Meter, family: &Family, boundaries: &Boundaries) -> Histogram<f64> {
    let instrument = family.instrument.unwrap_or(contract::Instrument {
        name: family.name,
        unit: None,
        description: family.help,
    });
    let builder = meter
        .f64_histogram(instrument.name)
        .with_description(instrument.description)
        .with_boundaries(boundaries.iter().map(|b| b.as_secs_f64()).collect());
    match instrument.unit {
        Some(unit) => builder.with_unit(unit),
        None => builder,
    }
    .build()
}

impl OtelRequests {
    pub(crate) fn new(meter: &Meter) -> Self {
        let advised = Boundaries::http_default();
        OtelRequests {
            http: histogram(meter, &contract::HTTP_REQUEST_DURATION, &advised),
            rpc: histogram(meter, &contract::RPC_SERVER_CALL_DURATION, &advised),
        }
    }

    /// Records one finished gRPC call of operation `route` that ended with code `code`.
    pub(crate) fn record_rpc(&self, route: &str, code: &'static str, seconds: f64) {
        self.rpc.record(
            seconds,
            &[
                KeyValue::new("rpc.system.name", "grpc"),
                KeyValue::new("rpc.method", rpc::method_label(route).to_owned()),
                KeyValue::new("rpc.response.status_code", code),
            ],
        );
    }

    /// Records one finished HTTP request: `status` 0 for no response, `u16::MAX` for the
    /// overflow series (neither has a status attribute).
    pub(crate) fn record_http(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        let mut attributes = vec![
            KeyValue::new("http.request.method", method),
            KeyValue::new("http.route", route.to_owned()),
        ];
        if status != 0 && status != u16::MAX {
            attributes.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
        }
        self.http.record(seconds, &attributes);
    }
}
