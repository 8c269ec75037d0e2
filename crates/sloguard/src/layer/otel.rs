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

use super::operation::{METHODS, RPC};
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

    /// Records one finished request of operation `route`, as its Prometheus series has it:
    /// `method` a method index or [`RPC`], `status` an HTTP status (0: no response) or, for
    /// a gRPC call, its code.
    pub(crate) fn record(&self, route: &str, method: u8, status: u16, seconds: f64) {
        if method == RPC {
            let code = rpc::CODE_NAMES
                .get(usize::from(status))
                .copied()
                .unwrap_or("UNKNOWN");
            self.rpc.record(
                seconds,
                &[
                    KeyValue::new("rpc.system.name", "grpc"),
                    KeyValue::new("rpc.method", rpc::method_label(route).to_owned()),
                    KeyValue::new("rpc.response.status_code", code),
                ],
            );
            return;
        }
        let method = METHODS
            .get(usize::from(method))
            .copied()
            .unwrap_or("_OTHER");
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
