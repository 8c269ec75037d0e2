//! One request in flight, recorded exactly once.
//!
//! [`InFlight`] is created in `call` before the inner service runs and travels from the
//! response future into the response body. Whichever of them ends the request calls
//! [`InFlight::finish`]. The once-only rule (a second finish does nothing; a drop records
//! cancelled, or error while a panic unwinds) is the engine's [`PendingEvent`], shared with
//! the `#[sli]` attribute; this module says what one request records.

use http::StatusCode;
use sloguard_core::clock::Tick;
use sloguard_core::exemplar::{Exemplar, TraceContext};
use sloguard_core::histogram::Histogram;
use sloguard_core::pending::{Finish, PendingEvent};
use sloguard_core::{Outcome, SloRecorder};

use super::config::{Config, LatencyEnd, Lease};
use super::operation::{POST, UNMATCHED_INDEX};
use super::rpc;
use super::rpc::RPC;

/// What a finished request records: its SLOs, its request series, the in-flight gauge.
pub(crate) struct Request {
    config: Lease,
    operation: u32,
    /// The method's index, or [`RPC`] for a gRPC call (always a `POST`).
    method: u8,
    /// 0 until the response head is seen; for a gRPC call, its code once seen
    /// ([`rpc::NO_CODE`] until then).
    status: u16,
    start: Tick,
    /// When latency is measured to the response head: the tick it was seen at.
    end: Option<Tick>,
    /// What few requests have, boxed: most requests move a null pointer, not the bytes of
    /// these, at every step from the service to the body.
    rare: Option<Box<Rare>>,
}

/// What few requests carry.
#[derive(Default)]
struct Rare {
    /// The name of a request whose operation is pending (see [`InFlight::admit`]).
    pending: Option<Box<str>>,
    /// The request's trace, when the layer keeps exemplars and the request had one.
    trace: Option<TraceContext>,
}

impl Finish for Request {
    fn finish(&mut self, outcome: Outcome) {
        let mut outcome = outcome;
        if self.method == RPC {
            (self.status, outcome) = call_end(self.status, outcome);
        }
        let config: &Config = &self.config;
        let end = self.end.unwrap_or_else(|| config.clock.tick());
        let latency = config.clock.nanos_between(self.start, end);
        let operation = config.table.get(&config.shared, self.operation);
        for slo in operation.slos.iter() {
            slo.record_nanos(outcome, latency);
        }
        let series = operation.series(&config.shared, self.method, self.status);
        series.record_nanos(latency);
        #[cfg(feature = "opentelemetry")]
        if let Some(otel) = &config.shared.otel {
            let seconds = latency as f64 / 1e9;
            if self.method == RPC {
                otel.record_rpc(&operation.name, rpc::code_name(self.status), seconds);
            } else {
                // An HTTP method index: below `METHODS.len()` by construction.
                otel.record_http(
                    super::operation::METHODS[usize::from(self.method)],
                    &operation.name,
                    self.status,
                    seconds,
                );
            }
        }
        if let Some(context) = self.rare.as_ref().and_then(|rare| rare.trace) {
            offer_exemplars(config, &operation.slos, series, outcome, latency, context);
        }
        config.shared.active(http_method(self.method)).decrement();
    }
}

/// Offers a traced request's exemplar to its latency bucket and, when it is bad, to its SLOs'
/// bad-event counters (each keeps at most one per interval).
#[cold]
#[inline(never)]
fn offer_exemplars(
    config: &Config,
    slos: &[SloRecorder],
    series: &Histogram,
    outcome: Outcome,
    latency: u64,
    context: TraceContext,
) {
    let exemplar = Exemplar {
        context,
        value: std::time::Duration::from_nanos(latency),
        at: config.shared.registry.clock().now(),
    };
    series.offer_exemplar(exemplar);
    for slo in slos {
        slo.offer_exemplar(outcome, exemplar);
    }
}

/// A gRPC call's code and outcome at its end (see [`rpc`]): its code is the one seen, else
/// what its end says; a call that carried no `grpc-status` failed, unless it was cancelled.
#[cold]
fn call_end(seen: u16, outcome: Outcome) -> (u16, Outcome) {
    let outcome = match outcome {
        Outcome::Success if !rpc::carried_status(seen) => Outcome::Error,
        judged => judged,
    };
    let code = match (seen, outcome) {
        (rpc::NO_CODE, Outcome::Cancelled) => rpc::CANCELLED,
        (rpc::NO_CODE, _) => rpc::UNKNOWN,
        (code, _) => code & !rpc::FROM_HTTP,
    };
    (code, outcome)
}

/// The index of the HTTP method of a request recorded with `method` (gRPC calls are POSTs).
#[inline]
fn http_method(method: u8) -> u8 {
    if method == RPC {
        POST
    } else {
        method
    }
}

#[cold]
#[inline(never)]
fn admit(request: &mut Request, name: &str, headers: &http::HeaderMap) {
    // A gRPC call's head code, from its `grpc-status` or its HTTP status (a router's 404 is
    // UNIMPLEMENTED too); for anything else, its `grpc-status`.
    let unimplemented = if request.method == RPC {
        request.status & !rpc::FROM_HTTP == GRPC_UNIMPLEMENTED_CODE
    } else {
        headers
            .get("grpc-status")
            .is_some_and(|code| code.as_bytes() == GRPC_UNIMPLEMENTED)
    };
    let config: &Config = &request.config;
    request.operation = if unimplemented {
        UNMATCHED_INDEX
    } else {
        config.table.admit(&config.shared, name)
    };
}

/// A gRPC call's code from its response head: a trailers-only `grpc-status`, else one its
/// HTTP status implies; still unknown (trailers to come) for a 200 without one.
#[cold]
fn head_code(seen: u16, status: u16, headers: &http::HeaderMap) -> u16 {
    rpc::status_in(headers)
        .or_else(|| rpc::from_http_status(status))
        .unwrap_or(seen)
}

/// The `grpc-status` of a method the server does not have.
const GRPC_UNIMPLEMENTED: &[u8] = b"12";
/// Its code.
const GRPC_UNIMPLEMENTED_CODE: u16 = 12;

/// A request between `call` and its end.
pub(crate) struct InFlight(PendingEvent<Request>);

impl InFlight {
    /// A request starts; `method` is [`RPC`] for a gRPC call.
    pub(crate) fn start(
        config: Lease,
        operation: u32,
        method: u8,
        trace: Option<TraceContext>,
    ) -> Self {
        config.shared.active(http_method(method)).increment();
        let start = config.clock.tick();
        InFlight(PendingEvent::new(Request {
            config,
            operation,
            method,
            status: if method == RPC { rpc::NO_CODE } else { 0 },
            start,
            end: None,
            rare: trace.map(|trace| {
                Box::new(Rare {
                    trace: Some(trace),
                    pending: None,
                })
            }),
        }))
    }

    /// The request's name is not an operation yet: it becomes one at [`InFlight::admit`].
    #[cold]
    pub(crate) fn pending(&mut self, name: Box<str>) {
        self.0
            .target_mut()
            .rare
            .get_or_insert_with(Box::default)
            .pending = Some(name);
    }

    /// The response head of a request whose operation is pending: a gRPC `UNIMPLEMENTED` in
    /// the head (a trailers-only answer, as servers give for a method they do not have) makes
    /// it no operation of the service, like a request no route matched; any other answer
    /// makes its name an operation, if the table has room.
    #[inline]
    pub(crate) fn admit(&mut self, headers: &http::HeaderMap) {
        let request = self.0.target_mut();
        if let Some(name) = request.rare.as_mut().and_then(|rare| rare.pending.take()) {
            admit(request, &name, headers);
        }
    }

    /// The response head arrived.
    pub(crate) fn head(&mut self, status: StatusCode, headers: &http::HeaderMap) {
        let request = self.0.target_mut();
        request.status = if request.method == RPC {
            head_code(request.status, status.as_u16(), headers)
        } else {
            status.as_u16()
        };
        if request.config.latency_end == LatencyEnd::Head {
            request.end = Some(request.config.clock.tick());
        }
    }

    /// The trailers arrived: a gRPC call's `grpc-status`, unless its head had one.
    #[inline]
    pub(crate) fn trailers(&mut self, trailers: &http::HeaderMap) {
        let request = self.0.target_mut();
        if request.method == RPC && request.status == rpc::NO_CODE {
            request.status = rpc::status_in(trailers).unwrap_or(rpc::NO_CODE);
        }
    }

    pub(crate) fn latency_ends_at_head(&self) -> bool {
        self.0.target().config.latency_end == LatencyEnd::Head
    }

    /// Records the request once; later calls do nothing.
    pub(crate) fn finish(&mut self, outcome: Outcome) {
        self.0.finish(outcome);
    }

    /// The layer's configuration, for guarded classification.
    pub(crate) fn config(&self) -> &Config {
        &self.0.target().config
    }

    /// The fallback outcome when a classifier panicked: 5xx (or no response) is bad, and so is
    /// a gRPC call whose head did not say `OK`.
    pub(crate) fn fallback_outcome(&self) -> Outcome {
        let Request { method, status, .. } = *self.0.target();
        let bad = if method == RPC {
            status != 0
        } else {
            status == 0 || status >= 500
        };
        if bad {
            Outcome::Error
        } else {
            Outcome::Success
        }
    }
}

/// Records the request as bad when dropped armed: armed around a poll of the inner service's
/// future and disarmed when the poll returns, so only a panic unwinding through it finishes
/// the request. Cheaper than `catch_unwind`, which would copy the poll's result through its
/// frame on every poll.
pub(crate) struct BadIfUnwound<'a, C> {
    state: &'a mut Option<(InFlight, C)>,
    armed: bool,
}

impl<'a, C> BadIfUnwound<'a, C> {
    #[inline]
    pub(crate) fn arm(state: &'a mut Option<(InFlight, C)>) -> Self {
        BadIfUnwound { state, armed: true }
    }

    /// The poll returned: from here on the state is the caller's to finish.
    #[inline]
    pub(crate) fn disarm(&mut self) -> &mut Option<(InFlight, C)> {
        self.armed = false;
        self.state
    }
}

impl<C> Drop for BadIfUnwound<'_, C> {
    #[inline]
    fn drop(&mut self) {
        if self.armed {
            if let Some((in_flight, _)) = self.state.as_mut() {
                in_flight.finish(Outcome::Error);
            }
        }
    }
}

/// Runs a user's classifier, so that a panic in it never reaches the host: it is counted,
/// reported once, and `None` is returned for the caller to fall back on.
pub(crate) fn guarded<R>(config: &Config, classify: impl FnOnce() -> R) -> Option<R> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(classify)) {
        Ok(r) => Some(r),
        Err(_) => {
            if config
                .classifier_panics
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                == 0
            {
                tracing::error!(
                    target: "sloguard",
                    "a response classifier panicked; the request was judged by its status (5xx is bad) and the panic is counted (reported once)"
                );
            }
            None
        }
    }
}
