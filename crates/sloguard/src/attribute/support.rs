//! What the code `#[sli]` expands to calls: call sites resolved once, the guard that records
//! a call exactly once, and the probes that turn a return value into an outcome. Reached by
//! the macro through `sloguard::__private`, never by users: none of it is a stable API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use sloguard_core::clock::{Clock, Tick};
use sloguard_core::diagnostic::{code, Diagnostic};
use sloguard_core::histogram::Histogram;
use sloguard_core::pending::{Finish, PendingEvent};
use sloguard_core::recorder::event_boundaries;
use sloguard_core::{Feed, Outcome, Registry, SloRecorder};

use super::{default_registry, ClassifyError, OPERATION_DURATION};

/// An SLO that an `#[sli]` of the default registry names, declared by the macro when the
/// program starts (before any call runs).
#[doc(hidden)]
#[derive(Debug)]
pub struct NamedSlo {
    pub(crate) slo: &'static str,
    pub(crate) location: &'static str,
}

impl NamedSlo {
    #[doc(hidden)]
    pub const fn new(slo: &'static str, location: &'static str) -> Self {
        NamedSlo { slo, location }
    }
}

#[cfg(feature = "macros")]
inventory::collect!(NamedSlo);

/// The handles of one call site, resolved once.
#[doc(hidden)]
#[derive(Debug)]
pub struct Resolved {
    /// `None` when the SLO is fed by requests (the layer): see [`Feed`].
    slo: Option<SloRecorder>,
    clock: Clock,
    /// Per outcome: success, error, cancelled.
    histograms: [Histogram; 3],
}

/// One `#[sli]` call site. Created by the macro as a `static`.
#[doc(hidden)]
#[derive(Debug)]
pub struct CallSite {
    slo: &'static str,
    operation: &'static str,
    location: &'static str,
    resolved: OnceLock<Resolved>,
    reported: AtomicBool,
}

impl CallSite {
    #[doc(hidden)]
    pub const fn new(slo: &'static str, operation: &'static str, location: &'static str) -> Self {
        CallSite {
            slo,
            operation,
            location,
            resolved: OnceLock::new(),
            reported: AtomicBool::new(false),
        }
    }

    /// The handles, resolving them on first use from `explicit` or the default registry.
    #[inline]
    pub fn resolve(
        &'static self,
        explicit: impl FnOnce() -> Option<Registry>,
    ) -> Option<&'static Resolved> {
        if let Some(r) = self.resolved.get() {
            return Some(r);
        }
        self.resolve_slow(explicit)
    }

    #[cold]
    fn resolve_slow(
        &'static self,
        explicit: impl FnOnce() -> Option<Registry>,
    ) -> Option<&'static Resolved> {
        let registry = explicit().or_else(|| default_registry().cloned());
        let Some(registry) = registry else {
            self.report(format_args!(
                "no registry: call sloguard::attribute::set_default_registry at start-up or name one with `registry = ...`"
            ));
            return None;
        };
        let Some(slo) = registry.slo(self.slo) else {
            self.report(format_args!(
                "no SLO named {:?} in the registry of service {:?} (it has: {})",
                self.slo,
                registry.service(),
                registry.slo_names().join(", ")
            ));
            return None;
        };
        // An SLO is fed by requests or by calls, never both: if the layer feeds it, these calls
        // are not recorded into it (they would count the same handler twice) and that is said.
        let owner = slo.claim(Feed::Calls).err();
        if owner.is_some() {
            registry.report(Diagnostic::slo(
                code::SLO_FED_TWICE,
                self.slo,
                format!(
                    "#[sli] at {} names it, but the layer already feeds it with requests, so those calls are not recorded into it (one event is never counted twice): give the function an SLO of its own, or give this SLO a route selector and the function another",
                    self.location
                ),
            ));
        }
        // The SLO's own event boundaries, so the operation histogram lines up with it.
        let boundaries = event_boundaries(slo.definition());
        let histogram = |outcome: Outcome| {
            registry.classic_histogram(
                OPERATION_DURATION,
                &[("operation", self.operation), ("outcome", outcome.as_str())],
                boundaries.clone(),
            )
        };
        let resolved = Resolved {
            clock: registry.clock().clone(),
            histograms: [
                histogram(Outcome::Success),
                histogram(Outcome::Error),
                histogram(Outcome::Cancelled),
            ],
            slo: owner.is_none().then_some(slo),
        };
        Some(self.resolved.get_or_init(|| resolved))
    }

    fn report(&self, why: std::fmt::Arguments<'_>) {
        if !self.reported.swap(true, Ordering::Relaxed) {
            tracing::error!(
                target: "sloguard",
                location = self.location,
                "#[sli] at {}: {why}; calls there are not recorded",
                self.location
            );
        }
    }
}

/// What one call records when it ends: its SLO and its operation series.
#[doc(hidden)]
#[derive(Debug)]
pub struct Call {
    resolved: Option<&'static Resolved>,
    start: Tick,
}

impl Finish for Call {
    #[inline]
    fn finish(&mut self, outcome: Outcome) {
        if let Some(r) = self.resolved {
            let latency = r.clock.nanos_since(self.start);
            if let Some(slo) = &r.slo {
                slo.record_nanos(outcome, latency);
            }
            let index = match outcome {
                Outcome::Success => 0,
                Outcome::Error => 1,
                Outcome::Cancelled => 2,
            };
            r.histograms[index].record_nanos(latency);
        }
    }
}

/// One call in progress: recorded once when finished, or by the engine's [`PendingEvent`]
/// rule when dropped (cancelled; error while a panic unwinds).
#[doc(hidden)]
#[derive(Debug)]
pub struct Guard(PendingEvent<Call>);

impl Guard {
    #[doc(hidden)]
    #[inline]
    pub fn start(resolved: Option<&'static Resolved>) -> Self {
        let start = resolved.map_or(Tick::default(), |r| r.clock.tick());
        Guard(PendingEvent::new(Call { resolved, start }))
    }

    #[doc(hidden)]
    #[inline]
    pub fn finish(mut self, outcome: Outcome) {
        self.0.finish(outcome);
    }
}

/// Wraps a return value so the most specific outcome rule applies (autoref specialization):
/// an HTTP response or status code (5xx bad, as the layer judges), then `Result` with a
/// [`ClassifyError`] error (`StatusCode` is one: 5xx is a fault), then any `Result`, then any
/// other value.
#[doc(hidden)]
pub struct Probe<'a, T>(pub &'a T);

#[doc(hidden)]
pub trait ViaHttp {
    fn __sloguard_outcome(&self) -> Outcome;
}
#[doc(hidden)]
pub trait ViaClassifyError {
    fn __sloguard_outcome(&self) -> Outcome;
}
#[doc(hidden)]
pub trait ViaResult {
    fn __sloguard_outcome(&self) -> Outcome;
}
#[doc(hidden)]
pub trait ViaAny {
    fn __sloguard_outcome(&self) -> Outcome;
}

/// HTTP values are judged as the layer judges them: 5xx is bad, everything else (4xx
/// included: the client's doing) is good.
#[cfg(any(feature = "tower", feature = "expose"))]
mod http_outcomes {
    use super::{ClassifyError, Outcome, Probe, ViaHttp};

    fn by_status(status: http::StatusCode) -> Outcome {
        if status.is_server_error() {
            Outcome::Error
        } else {
            Outcome::Success
        }
    }

    /// `Result<_, StatusCode>`: an error status is a fault only when it is a 5xx.
    impl ClassifyError for http::StatusCode {
        fn is_fault(&self) -> bool {
            self.is_server_error()
        }
    }

    impl<B> ViaHttp for &&&Probe<'_, http::Response<B>> {
        fn __sloguard_outcome(&self) -> Outcome {
            by_status(self.0.status())
        }
    }

    impl ViaHttp for &&&Probe<'_, http::StatusCode> {
        fn __sloguard_outcome(&self) -> Outcome {
            by_status(*self.0)
        }
    }

    impl<B, E: ClassifyError> ViaHttp for &&&Probe<'_, Result<http::Response<B>, E>> {
        fn __sloguard_outcome(&self) -> Outcome {
            match self.0 {
                Ok(response) => by_status(response.status()),
                Err(e) if e.is_fault() => Outcome::Error,
                Err(_) => Outcome::Success,
            }
        }
    }
}

impl<T, E: ClassifyError> ViaClassifyError for &&Probe<'_, Result<T, E>> {
    fn __sloguard_outcome(&self) -> Outcome {
        match self.0 {
            Ok(_) => Outcome::Success,
            Err(e) if e.is_fault() => Outcome::Error,
            Err(_) => Outcome::Success,
        }
    }
}

impl<T, E> ViaResult for &Probe<'_, Result<T, E>> {
    fn __sloguard_outcome(&self) -> Outcome {
        match self.0 {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Error,
        }
    }
}

impl<T> ViaAny for Probe<'_, T> {
    fn __sloguard_outcome(&self) -> Outcome {
        Outcome::Success
    }
}

/// Applies `bad_if` / `good_if` predicates over the default outcome.
#[doc(hidden)]
#[inline]
pub fn decide(default: Outcome, bad: Option<bool>, good: Option<bool>) -> Outcome {
    if bad == Some(true) {
        Outcome::Error
    } else if good == Some(true) {
        Outcome::Success
    } else {
        default
    }
}
