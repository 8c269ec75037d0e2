//! What the services of one layer share: the settings the layer was built with, and the
//! configuration built from them on first use (operation table, series, clock).
//!
//! A request in flight keeps its configuration alive until its body ends, which may be after
//! every service is gone. It does so through its thread's [`Lease`], not a count of its own on
//! the configuration: a reference count that every worker thread writes twice per request is
//! a cache line they fight over (a second thread through the same layer cost 1.8 times the
//! first). Each thread's lease is its own 128-byte aligned allocation, so a request writes only
//! to a line its thread owns, unless it ends on another thread.
//!
//! Services are held the same way ([`Holder`]): the service the layer made holds the handle,
//! and a clone of it holds the lease of the thread it was cloned on, because axum clones a
//! route's service for every request (two threads cloning through one shared count cost 2.3
//! times one). The handle owns its leases; the configuration and each lease point back at
//! them only weakly, so nothing is a cycle: when the layer and the services it made are gone,
//! the clones and requests still running keep the configuration, and the last of them frees
//! it. A clone used on another thread than the one it was made on finds that thread's lease
//! through the configuration's weak per-thread pointers, writing only that lease's count.

use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use sloguard_core::per_thread::{PerThread, ThreadSlot};

use sloguard_core::clock::Clock;
use sloguard_core::diagnostic::{code, Diagnostic};
use sloguard_core::histogram::Boundaries;
use sloguard_core::model::Sli as SliKind;
use sloguard_core::Registry;

use super::exemplar::Exemplars;
use super::operation::{Shared, Source, Table, OTHER_INDEX, UNMATCHED_INDEX};

/// Where a request's latency ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LatencyEnd {
    /// When the response body ends (the default): what the client waits for.
    #[default]
    Body,
    /// When the response head is ready: for streams whose length is the client's choice.
    Head,
}

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) registry: Registry,
    pub(crate) latency_clock: Option<Clock>,
    pub(crate) source: Source,
    pub(crate) latency_end: LatencyEnd,
    pub(crate) max_operations: usize,
    pub(crate) count_unmatched: bool,
    pub(crate) boundaries: Boundaries,
    pub(crate) exemplars: Option<Exemplars>,
    /// Whether the request series keep fine buckets, for native histograms.
    pub(crate) native_histograms: bool,
    /// OpenTelemetry histograms the requests are recorded into too.
    #[cfg(feature = "opentelemetry")]
    pub(crate) otel: Option<Arc<super::otel::OtelRequests>>,
}

/// Everything the services of one layer share; built on the layer's first use, and again
/// (chained after this one, see [`Handle`]) when SLOs are registered later.
pub(crate) struct Config {
    settings: Settings,
    /// Each thread's lease on this version, weakly (its handle holds them): how a lease used on
    /// another thread than its own finds that thread's without writing the handle's count.
    leases: PerThread<OnceLock<Weak<Leased>>>,
    /// The version built after this one when SLOs were registered since.
    next: Mutex<Option<Arc<Handle>>>,
    /// The registry's SLO count when this was built.
    slo_count: usize,
    pub(crate) shared: Shared,
    pub(crate) table: Table,
    pub(crate) source: Source,
    /// Whether a name becomes an operation only once a response shows the service has it:
    /// for the URI path (gRPC methods), which any client can invent.
    pub(crate) admit_on_response: bool,
    pub(crate) clock: Clock,
    pub(crate) latency_end: LatencyEnd,
    /// Where requests' traces come from; `None` (the default) reads none.
    pub(crate) exemplars: Option<Exemplars>,
    pub(crate) classifier_panics: std::sync::atomic::AtomicU64,
    /// Requests that had no route template, while operations come from route templates.
    unrouted: std::sync::atomic::AtomicU64,
}

/// Unrouted requests, with no routed one among them, after which the layer reports that it
/// cannot see routes.
const UNROUTED_BEFORE_REPORT: u64 = 20;

impl Config {
    pub(crate) fn new(settings: &Settings) -> Self {
        let registry = &settings.registry;
        // Read before the SLOs: an SLO added in between makes this stale, never lost.
        let slo_count = registry.slo_count();
        let slos: Vec<_> = registry
            .slo_names()
            .iter()
            .filter_map(|n| registry.slo(n))
            .collect();
        // Every latency SLO threshold is a histogram boundary, so the request histogram
        // counts exactly what the SLO judges. Past the boundary limit the thresholds are left
        // out of the histogram (the SLO counts stay exact).
        let thresholds = slos.iter().filter_map(|s| match s.definition().sli() {
            SliKind::Latency { threshold, .. } => Some(threshold),
            SliKind::Availability => None,
        });
        let boundaries = settings
            .boundaries
            .clone()
            .with(thresholds)
            .unwrap_or_else(|_| settings.boundaries.clone());
        let mut shared = Shared::new(registry.clone(), slos, boundaries);
        shared.fine = settings.native_histograms;
        #[cfg(feature = "opentelemetry")]
        {
            shared.otel = settings.otel.clone();
        }
        Config {
            settings: settings.clone(),
            leases: PerThread::new(),
            next: Mutex::new(None),
            slo_count,
            table: Table::new(settings.max_operations, settings.count_unmatched),
            shared,
            source: settings.source.clone(),
            admit_on_response: matches!(settings.source, Source::UriPath),
            clock: settings
                .latency_clock
                .clone()
                .unwrap_or_else(|| registry.clock().clone()),
            latency_end: settings.latency_end,
            exemplars: settings.exemplars.clone(),
            classifier_panics: std::sync::atomic::AtomicU64::new(0),
            unrouted: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether SLOs were registered since this was built.
    #[inline]
    pub(crate) fn is_stale(&self) -> bool {
        self.shared.registry.slo_count() != self.slo_count
    }

    /// The operation of a request without an operation name. With route templates as the
    /// source, that is a request no route matched (a fallback, a scanner's probe): it is not
    /// an operation of the service, so it is no SLO's event unless the layer counts unmatched
    /// requests; either way it is in the request series as `other`. A layer that has never
    /// seen a route template is blind, and says so once. With other sources, `other`.
    #[cold]
    pub(crate) fn unnamed(&self) -> u32 {
        if !matches!(self.source, Source::RouteTemplate) {
            return OTHER_INDEX;
        }
        self.unrouted();
        UNMATCHED_INDEX
    }

    fn unrouted(&self) {
        // Counting stops at the threshold, so a service whose requests are all unrouted pays
        // one load of a line nobody writes, not a contended increment per request.
        if self.unrouted.load(std::sync::atomic::Ordering::Relaxed) >= UNROUTED_BEFORE_REPORT {
            return;
        }
        let seen = self
            .unrouted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if seen == UNROUTED_BEFORE_REPORT && self.table.len() == 0 {
            let how = if cfg!(feature = "axum") {
                "apply it to the router with `Router::layer(SliLayer::new(&registry))` after the routes, not around the router (`ServiceBuilder::new().layer(..).service(router)` or `layer.layer(router)` see requests before routing)"
            } else {
                "enable sloguard's `axum` feature, which reads axum's `MatchedPath`, or name operations with `SliLayer::operation_fn`"
            };
            self.shared.registry.report(Diagnostic::service(
                code::LAYER_WITHOUT_ROUTES,
                format!("the layer has seen {seen} requests and not one route template, so no request is an SLO event (requests no route matched are not counted): {how}"),
            ));
        }
    }
}

/// One version of a layer's configuration as the layer and the services it made hold it:
/// the configuration and each thread's lease on it.
pub(crate) struct Handle {
    config: Arc<Config>,
    leases: PerThread<OnceLock<Lease>>,
}

impl Handle {
    pub(crate) fn new(settings: &Settings) -> Self {
        Handle {
            config: Arc::new(Config::new(settings)),
            leases: PerThread::new(),
        }
    }

    /// The version that knows every registered SLO: this one, or one built after it.
    /// Requests already in flight finish with the version they started with.
    #[cold]
    pub(crate) fn latest(self: &Arc<Self>) -> Arc<Handle> {
        match self.config.newer() {
            Some(newer) => newer.latest(),
            None => Arc::clone(self),
        }
    }

    /// The calling thread's lease, for a request that starts now or a service cloned now.
    #[inline]
    pub(crate) fn lease(self: &Arc<Self>) -> Lease {
        self.leases
            .with(|lease| lease.get_or_init(|| self.new_lease()).clone())
    }

    /// The thread's first lease on this version. Out of line: once per thread.
    #[cold]
    #[inline(never)]
    fn new_lease(self: &Arc<Self>) -> Lease {
        let lease = Arc::new(Leased {
            config: Arc::clone(&self.config),
            handle: Arc::downgrade(self),
            thread: ThreadSlot::current(),
        });
        self.config.leases.with(|weak| {
            let _ = weak.set(Arc::downgrade(&lease));
        });
        Lease(lease)
    }
}

impl Deref for Handle {
    type Target = Config;
    #[inline]
    fn deref(&self) -> &Config {
        &self.config
    }
}

impl Config {
    /// The version built after this one if SLOs were registered since (built now if none
    /// was yet); `None` while this one knows them all.
    fn newer(&self) -> Option<Arc<Handle>> {
        if !self.is_stale() {
            return None;
        }
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        Some(Arc::clone(next.get_or_insert_with(|| {
            Arc::new(Handle::new(&self.settings))
        })))
    }
}

/// A thread's hold on a configuration, shared by that thread's requests in flight and the
/// services cloned on it (see the module docs). Cloning and dropping it writes only to the
/// thread's own line.
#[derive(Clone)]
pub(crate) struct Lease(Arc<Leased>);

/// Aligned to 128 bytes (two lines: x86 prefetches lines in pairs), so that no two threads'
/// leases, and their reference counts, share a line.
#[repr(align(128))]
struct Leased {
    config: Arc<Config>,
    /// Weak: the handle holds its leases, so a strong count back would be a cycle. Upgraded
    /// only when a lease is used on another thread than its own, to take that thread's.
    handle: Weak<Handle>,
    thread: ThreadSlot,
}

impl Lease {
    /// This lease if it is the calling thread's; else the calling thread's lease on the same
    /// version, if it has one or the handle is still held to make one (else this one: right,
    /// only not on a line of this thread's own).
    #[inline]
    fn for_this_thread(&self) -> Lease {
        if self.is_this_threads() {
            return self.clone();
        }
        self.rehome()
    }

    #[inline]
    fn is_this_threads(&self) -> bool {
        self.0.thread == ThreadSlot::current()
    }

    #[cold]
    #[inline(never)]
    fn rehome(&self) -> Lease {
        let here = self
            .0
            .config
            .leases
            .with(|weak| weak.get().and_then(Weak::upgrade));
        if let Some(here) = here {
            return Lease(here);
        }
        // The thread's first lease on this version: through the handle's count, once.
        match self.0.handle.upgrade() {
            Some(handle) => handle.lease(),
            None => self.clone(),
        }
    }

    /// The version that knows every registered SLO, as a lease of the calling thread's.
    #[cold]
    fn latest(&self) -> Lease {
        match self.0.config.newer() {
            Some(newer) => newer.latest().lease(),
            None => self.clone(),
        }
    }
}

impl Deref for Lease {
    type Target = Config;
    #[inline]
    fn deref(&self) -> &Config {
        &self.0.config
    }
}

/// How a service holds its layer's configuration. A service the layer made holds the handle;
/// a clone of it holds the lease of the thread it was cloned on. axum clones a route's
/// service for every request, on the worker thread that serves it, so holding the handle in
/// every clone would write its shared count twice per request from every worker; a lease is
/// written only by its own thread.
pub(crate) enum Holder {
    Layer(Arc<Handle>),
    Thread(Lease),
}

impl Holder {
    /// A lease for a request starting now on the calling thread. A clone used on another
    /// thread than the one it was cloned on moves to this thread's lease, once.
    #[inline]
    pub(crate) fn lease(&mut self) -> Lease {
        match self {
            Holder::Layer(handle) => handle.lease(),
            Holder::Thread(lease) => {
                if !lease.is_this_threads() {
                    *lease = lease.rehome();
                }
                lease.clone()
            }
        }
    }

    /// Moves to the version that knows the SLOs registered since this one was built.
    #[cold]
    pub(crate) fn refresh(&mut self) {
        *self = match self {
            Holder::Layer(handle) => Holder::Layer(handle.latest()),
            Holder::Thread(lease) => Holder::Thread(lease.latest()),
        }
    }
}

impl Clone for Holder {
    #[inline]
    fn clone(&self) -> Self {
        Holder::Thread(match self {
            Holder::Layer(handle) => handle.lease(),
            Holder::Thread(lease) => lease.for_this_thread(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SliLayer;

    fn lease_of(holder: &Holder) -> &Arc<Leased> {
        match holder {
            Holder::Thread(lease) => &lease.0,
            Holder::Layer(_) => panic!("a clone holds a lease, not the handle"),
        }
    }

    /// A layer (over a registry of its own), its handle, and a clone of a service it made.
    fn layer_handle_and_clone() -> (SliLayer, Arc<Handle>, Holder) {
        let layer = SliLayer::new(&Registry::builder("t").build());
        let handle = layer.config();
        let clone = Holder::Layer(Arc::clone(&handle)).clone();
        (layer, handle, clone)
    }

    #[test]
    fn each_thread_has_its_own_lease_and_a_lease_outlives_the_layer() {
        let registry = Registry::builder("t").build();
        let handle = SliLayer::new(&registry).config();
        let (a, b) = (handle.lease(), handle.lease());
        assert!(Arc::ptr_eq(&a.0, &b.0), "one lease per thread");
        let other = std::thread::scope(|s| s.spawn(|| handle.lease()).join().expect("thread"));
        assert!(!Arc::ptr_eq(&a.0, &other.0), "another thread, another line");
        let config = Arc::downgrade(&handle.config);
        drop((handle, b, other));
        assert!(config.upgrade().is_some(), "a request in flight keeps it");
        drop(a);
        assert!(config.upgrade().is_none(), "and nothing else does");
    }

    #[test]
    fn a_clone_holds_the_lease_of_the_thread_it_was_cloned_on_and_writes_no_shared_count() {
        let registry = Registry::builder("t").build();
        let handle = SliLayer::new(&registry).config();
        let made = Holder::Layer(Arc::clone(&handle));
        let count = Arc::strong_count(&handle);
        let here = made.clone();
        let again = here.clone();
        assert_eq!(
            Arc::strong_count(&handle),
            count,
            "the handle's count untouched"
        );
        assert!(Arc::ptr_eq(lease_of(&here), &handle.lease().0));
        assert!(Arc::ptr_eq(lease_of(&again), lease_of(&here)));
        std::thread::scope(|s| {
            s.spawn(|| {
                let mine = handle.lease();
                assert!(!Arc::ptr_eq(&mine.0, lease_of(&here)));
                assert!(Arc::ptr_eq(lease_of(&made.clone()), &mine.0));
                assert!(
                    Arc::ptr_eq(lease_of(&here.clone()), &mine.0),
                    "a clone of a clone made elsewhere takes this thread's lease"
                );
            })
            .join()
            .expect("thread");
        });
        // A clone moved to another thread moves to that thread's lease when it is used there.
        let mut moved = here.clone();
        let (theirs, held) = std::thread::scope(|s| {
            s.spawn(move || {
                let theirs = moved.lease();
                (theirs, moved)
            })
            .join()
            .expect("thread")
        });
        assert!(!Arc::ptr_eq(&theirs.0, lease_of(&here)));
        assert!(Arc::ptr_eq(&theirs.0, lease_of(&held)));
    }

    #[test]
    fn a_lease_used_elsewhere_finds_that_threads_lease_without_the_handle() {
        let (layer, handle, here) = layer_handle_and_clone();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            let elsewhere = Arc::clone(&handle);
            let (here, barrier) = (&here, &barrier);
            let other = s.spawn(move || {
                let theirs = elsewhere.lease();
                drop(elsewhere);
                barrier.wait();
                barrier.wait();
                // The handle is gone: only the thread's own lease, kept by `theirs`, is left
                // to find, and it is found without the handle.
                let clone = here.clone();
                assert!(Arc::ptr_eq(lease_of(&clone), &theirs.0));
                assert!(!Arc::ptr_eq(lease_of(&clone), lease_of(here)));
            });
            barrier.wait();
            let gone = Arc::downgrade(&handle);
            drop((handle, layer));
            assert!(gone.upgrade().is_none(), "nothing else holds the handle");
            barrier.wait();
            other.join().expect("thread");
        });
    }

    #[test]
    fn a_clone_outlives_the_layer_and_its_handle() {
        let (layer, handle, clone) = layer_handle_and_clone();
        let config = Arc::downgrade(&handle.config);
        drop((layer, handle));
        let mut elsewhere = std::thread::scope(|s| {
            s.spawn(|| {
                let mut c = clone.clone();
                let _ = c.lease();
                c
            })
            .join()
            .expect("thread")
        });
        assert!(
            Arc::ptr_eq(lease_of(&elsewhere), lease_of(&clone)),
            "with the handle gone, a clone elsewhere shares the lease it was cloned from"
        );
        assert_eq!(elsewhere.lease().table.len(), 0);
        drop((clone, elsewhere));
        assert!(
            config.upgrade().is_none(),
            "nothing keeps the configuration"
        );
    }
}
