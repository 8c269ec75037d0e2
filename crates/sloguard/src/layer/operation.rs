//! Operations: the bounded set of names (route templates, gRPC methods) requests are grouped by.
//!
//! The table is resolved per request without a lock: a fixed array of write-once slots probed
//! from a cheap hash of the name's length and edge bytes (a name is compared in full before it
//! matches). Only a name seen for the first time takes a mutex to claim a slot. Past the cap
//! every new name goes to `other`, and once the cap is reached a miss no longer locks at all,
//! so a client sending a million distinct paths costs neither memory nor contention.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use http::{Extensions, HeaderMap, Method, Uri};
use sloguard_core::contract;
use sloguard_core::histogram::{Boundaries, Histogram};
use sloguard_core::model::Selector;
use sloguard_core::{Feed, Gauge, Registry, SloRecorder};

use super::rpc::RPC;

/// The operation that collects every name past the cap, and requests without a route.
pub use sloguard_core::model::OTHER_OPERATION as OTHER;
/// The default cap on distinct operations.
pub const DEFAULT_MAX_OPERATIONS: usize = 256;
/// The longest operation name, in bytes: a longer one is counted as `other` (route templates
/// and gRPC method names are far shorter; a client's invented names may not be).
pub const MAX_OPERATION_NAME: usize = 200;

/// The request histogram of the OpenTelemetry HTTP semantic conventions (see the
/// [contract](sloguard_core::contract::HTTP_REQUEST_DURATION)).
pub const REQUEST_DURATION: &str = contract::HTTP_REQUEST_DURATION.name;
/// The in-flight gauge of the OpenTelemetry HTTP semantic conventions (see the
/// [contract](sloguard_core::contract::HTTP_ACTIVE_REQUESTS)).
pub const ACTIVE_REQUESTS: &str = contract::HTTP_ACTIVE_REQUESTS.name;

/// What a user's operation function sees of a request.
#[derive(Debug)]
#[non_exhaustive]
pub struct RequestInfo<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI. Do not return its raw path as an operation name: every distinct path would
    /// become a series until the cap sends the rest to `other`.
    pub uri: &'a Uri,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The extensions (routers put their matched route here).
    pub extensions: &'a Extensions,
}

type NameFn = dyn Fn(&RequestInfo<'_>) -> Option<Cow<'static, str>> + Send + Sync;

/// Where a request's operation name comes from.
#[derive(Clone)]
pub(crate) enum Source {
    /// axum's `MatchedPath`; `other` when no route matched.
    RouteTemplate,
    /// The URI path as is: right for gRPC, where it is `/package.Service/Method`.
    UriPath,
    /// One name for every request.
    Fixed(Arc<str>),
    /// A user's function; `None` means `other`.
    Custom(Arc<NameFn>),
}

impl Source {
    pub(crate) fn custom(
        f: impl Fn(&RequestInfo<'_>) -> Option<Cow<'static, str>> + Send + Sync + 'static,
    ) -> Self {
        Source::Custom(Arc::new(f))
    }

    pub(crate) fn name<'a, B>(&'a self, req: &'a http::Request<B>) -> Option<Cow<'a, str>> {
        match self {
            Source::RouteTemplate => route_template(req).map(Cow::Borrowed),
            Source::UriPath => Some(Cow::Borrowed(req.uri().path())),
            Source::Fixed(name) => Some(Cow::Borrowed(name)),
            Source::Custom(f) => f(&RequestInfo {
                method: req.method(),
                uri: req.uri(),
                headers: req.headers(),
                extensions: req.extensions(),
            }),
        }
    }
}

#[cfg(feature = "axum")]
fn route_template<B>(req: &http::Request<B>) -> Option<&str> {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .map(axum::extract::MatchedPath::as_str)
}

#[cfg(not(feature = "axum"))]
fn route_template<B>(_: &http::Request<B>) -> Option<&str> {
    None
}

/// Methods get a fixed index; unknown ones share `_OTHER`, as the semantic conventions ask.
pub(crate) const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];

/// The index of `POST` in [`METHODS`].
pub(crate) const POST: u8 = 2;

/// The index of `_OTHER` in [`METHODS`].
const OTHER_METHOD: u8 = METHODS.len() as u8 - 1;

pub(crate) fn method_index(m: &Method) -> u8 {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    KNOWN
        .iter()
        .position(|k| k == m)
        .map_or(OTHER_METHOD, |i| i as u8)
}

/// Request series per method and status of one operation: a small write-once table.
const SERIES_SLOTS: usize = 32;

/// One operation: its name, the SLOs that select it, and its request series.
pub(crate) struct Operation {
    pub(crate) name: Box<str>,
    /// The name's key, compared before the name itself (see [`NameKey`]).
    key: NameKey,
    pub(crate) slos: Box<[SloRecorder]>,
    series: Box<[OnceLock<(u32, Histogram)>]>,
    overflow: OnceLock<Histogram>,
}

impl Operation {
    /// Whether this is the operation called `name`, whose key is `key`.
    #[inline]
    fn is(&self, name: &str, key: &NameKey) -> bool {
        self.key == *key && (key.is_whole() || *self.name == *name)
    }

    /// The request histogram of `(method, status)`; a status of 0 means no response. With the
    /// method [`RPC`], the status is a gRPC code.
    #[inline]
    pub(crate) fn series(&self, shared: &Shared, method: u8, status: u16) -> &Histogram {
        let key = (method as u32) << 16 | status as u32;
        let start = (key as usize).wrapping_mul(0x9E37_79B9) >> 7;
        // The series a request finds is nearly always made already, in its first slot.
        if let Some((k, h)) = self.series[start % SERIES_SLOTS].get() {
            if *k == key {
                return h;
            }
        }
        self.series_slow(shared, key, start)
    }

    #[cold]
    #[inline(never)]
    fn series_slow(&self, shared: &Shared, key: u32, start: usize) -> &Histogram {
        let (method, status) = ((key >> 16) as u8, key as u16);
        for i in 0..SERIES_SLOTS {
            let slot = &self.series[(start + i) % SERIES_SLOTS];
            let (k, h) = slot.get_or_init(|| (key, shared.histogram(&self.name, method, status)));
            if *k == key {
                return h;
            }
        }
        // The overflow series holds every method and status past the table: it claims no
        // method it did not see (`_OTHER`, as the semantic conventions name the rest).
        let _ = method;
        self.overflow
            .get_or_init(|| shared.histogram(&self.name, OTHER_METHOD, u16::MAX))
    }
}

/// What an operation is built from: shared by every operation of a layer.
pub(crate) struct Shared {
    pub(crate) registry: Registry,
    pub(crate) slos: Vec<SloRecorder>,
    pub(crate) boundaries: Boundaries,
    /// Whether request series keep the fine layout (for native histograms) or only the
    /// classic buckets.
    pub(crate) fine: bool,
    /// OpenTelemetry histograms the requests are recorded into too.
    #[cfg(feature = "opentelemetry")]
    pub(crate) otel: Option<Arc<super::otel::OtelRequests>>,
    active: [OnceLock<Gauge>; METHODS.len()],
}

impl Shared {
    pub(crate) fn new(registry: Registry, slos: Vec<SloRecorder>, boundaries: Boundaries) -> Self {
        Shared {
            registry,
            slos,
            boundaries,
            fine: false,
            #[cfg(feature = "opentelemetry")]
            otel: None,
            active: Default::default(),
        }
    }

    fn histogram(&self, route: &str, method: u8, status: u16) -> Histogram {
        if method == RPC {
            let code = super::rpc::code_name(status);
            return self.made(
                contract::RPC_SERVER_CALL_DURATION.name,
                &[
                    ("rpc_system_name", "grpc"),
                    ("rpc_method", super::rpc::method_label(route)),
                    ("rpc_response_status_code", code),
                ],
            );
        }
        let status_label: Cow<'_, str> = match status {
            0 => Cow::Borrowed(""),
            u16::MAX => Cow::Borrowed(OTHER),
            code => Cow::Owned(code.to_string()),
        };
        self.made(
            REQUEST_DURATION,
            &[
                ("http_request_method", METHODS[method as usize]),
                ("http_route", route),
                ("http_response_status_code", &status_label),
            ],
        )
    }

    /// The series `name` with `labels`, in the layout the layer keeps.
    fn made(&self, name: &str, labels: &[(&str, &str)]) -> Histogram {
        if self.fine {
            self.registry
                .histogram(name, labels, self.boundaries.clone())
        } else {
            self.registry
                .classic_histogram(name, labels, self.boundaries.clone())
        }
    }

    pub(crate) fn active(&self, method: u8) -> &Gauge {
        self.active[method as usize].get_or_init(|| {
            self.registry.gauge(
                ACTIVE_REQUESTS,
                &[("http_request_method", METHODS[method as usize])],
            )
        })
    }

    /// The operation called `name`, with the SLOs that select it and that requests may feed:
    /// each is claimed for requests here (once per operation, off the hot path), and one an
    /// `#[sli]` attribute feeds or names (on the default registry) is left out, so no event is
    /// counted twice.
    fn operation(&self, name: &str) -> Operation {
        let on_default =
            crate::attribute::default_registry().is_some_and(|d| d.is_same(&self.registry));
        let slos = self
            .slos
            .iter()
            .filter(|s| selector(s).matches(name))
            .filter(|s| {
                !(on_default
                    && crate::attribute::named_by_attribute(s.definition().name()).is_some())
            })
            .filter(|s| s.claim(Feed::Requests).is_ok())
            .cloned()
            .collect();
        Operation {
            name: name.into(),
            key: NameKey::of(name),
            slos,
            series: (0..SERIES_SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: OnceLock::new(),
        }
    }
}

impl Shared {
    /// An operation no SLO is fed by.
    fn unselected(&self, name: &str) -> Operation {
        Operation {
            name: name.into(),
            key: NameKey::of(name),
            slos: Box::default(),
            series: (0..SERIES_SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: OnceLock::new(),
        }
    }
}

fn selector(slo: &SloRecorder) -> &Selector {
    slo.definition().operations()
}

/// The route → operation table of one layer.
pub(crate) struct Table {
    slots: Box<[OnceLock<Operation>]>,
    /// Made on first use, like every operation, so that building the layer claims no SLO.
    other: OnceLock<Operation>,
    /// Requests no route matched: no SLO's events unless the layer counts them.
    unmatched: OnceLock<Operation>,
    count_unmatched: bool,
    cap: usize,
    count: AtomicUsize,
    full: AtomicBool,
    /// Whether a name too long to be an operation was seen (reported once).
    long_seen: AtomicBool,
    insert: Mutex<()>,
}

/// Index of the `other` operation in [`Table::get`].
pub(crate) const OTHER_INDEX: u32 = u32::MAX;
/// Index of the requests no route matched (also labelled `other` in the request series).
pub(crate) const UNMATCHED_INDEX: u32 = u32::MAX - 1;
/// Index of a request whose name is not an operation yet, and becomes one only when the
/// response shows the service has it (gRPC: any status but `UNIMPLEMENTED`); until then, and
/// if it never answers, it reads as `other`.
pub(crate) const PENDING_INDEX: u32 = u32::MAX - 2;

impl Table {
    pub(crate) fn new(cap: usize, count_unmatched: bool) -> Self {
        let capacity = (cap.max(1) * 2).next_power_of_two();
        Table {
            slots: (0..capacity).map(|_| OnceLock::new()).collect(),
            other: OnceLock::new(),
            unmatched: OnceLock::new(),
            count_unmatched,
            cap,
            count: AtomicUsize::new(0),
            full: AtomicBool::new(cap == 0),
            long_seen: AtomicBool::new(false),
            insert: Mutex::new(()),
        }
    }

    /// The operation at an index from [`Table::resolve`].
    pub(crate) fn get(&self, shared: &Shared, index: u32) -> &Operation {
        if index == UNMATCHED_INDEX {
            return self.unmatched.get_or_init(|| {
                if self.count_unmatched {
                    shared.operation(OTHER)
                } else {
                    shared.unselected(OTHER)
                }
            });
        }
        match self.slots.get(index as usize).and_then(OnceLock::get) {
            Some(operation) => operation,
            None => self.other.get_or_init(|| shared.operation(OTHER)),
        }
    }

    /// Operations known, `other` not included.
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// The index of the operation called `name`, adding it if there is room.
    #[inline]
    pub(crate) fn resolve(&self, shared: &Shared, name: Option<&str>) -> u32 {
        let Some(name) = name else {
            return OTHER_INDEX;
        };
        let key = NameKey::of(name);
        match self.find(name, &key) {
            Ok(index) => index,
            Err(true) => self.insert(shared, name, &key),
            Err(false) => OTHER_INDEX,
        }
    }

    /// The index of the operation called `name` if it is one already; [`PENDING_INDEX`] if it
    /// could become one (see [`Table::admit`]); `other` past the cap.
    #[inline]
    pub(crate) fn lookup(&self, name: &str) -> u32 {
        match self.find(name, &NameKey::of(name)) {
            Ok(index) => index,
            Err(_) if self.full.load(Ordering::Relaxed) => OTHER_INDEX,
            Err(_) => PENDING_INDEX,
        }
    }

    /// A pending name the response showed to be an operation: added if there is room.
    #[cold]
    pub(crate) fn admit(&self, shared: &Shared, name: &str) -> u32 {
        self.resolve(shared, Some(name))
    }

    /// The slot holding `name`, or whether there is a free slot to put it in.
    #[inline]
    fn find(&self, name: &str, key: &NameKey) -> Result<u32, bool> {
        let start = key.hash() as usize;
        let mask = self.slots.len() - 1;
        for i in 0..self.slots.len() {
            let index = (start + i) & mask;
            match self.slots[index].get() {
                Some(op) if op.is(name, key) => return Ok(index as u32),
                Some(_) => continue,
                None => return Err(true),
            }
        }
        Err(false)
    }

    #[cold]
    fn insert(&self, shared: &Shared, name: &str, key: &NameKey) -> u32 {
        if self.full.load(Ordering::Relaxed) || name == OTHER {
            return OTHER_INDEX;
        }
        if name.len() > MAX_OPERATION_NAME {
            if self.long_seen.swap(true, Ordering::Relaxed) {
                return OTHER_INDEX;
            }
            self.capped(
                shared,
                format!("an operation name of {} bytes (more than {MAX_OPERATION_NAME}) was counted as `other`; SLOs selecting it see none of its events", name.len()),
            );
            return OTHER_INDEX;
        }
        let _guard = self.insert.lock().unwrap_or_else(PoisonError::into_inner);
        let start = key.hash() as usize;
        let mask = self.slots.len() - 1;
        for i in 0..self.slots.len() {
            let index = (start + i) & mask;
            match self.slots[index].get() {
                Some(op) if op.is(name, key) => return index as u32,
                Some(_) => continue,
                None => {
                    if self.count.load(Ordering::Relaxed) >= self.cap {
                        self.full.store(true, Ordering::Relaxed);
                        self.capped(
                            shared,
                            format!("the layer reached its cap of {} distinct operations; every new name since is counted as `other`, so SLOs selecting one see none of its events (raise SliLayer::max_operations, or name operations by template)", self.cap),
                        );
                        return OTHER_INDEX;
                    }
                    let _ = self.slots[index].set(shared.operation(name));
                    self.count.fetch_add(1, Ordering::Relaxed);
                    return index as u32;
                }
            }
        }
        OTHER_INDEX
    }
}

impl Table {
    /// Reports that names went to `other` (once per reason: the diagnostic keeps the latest).
    #[cold]
    fn capped(&self, shared: &Shared, message: String) {
        shared
            .registry
            .report(sloguard_core::diagnostic::Diagnostic::service(
                sloguard_core::diagnostic::code::OPERATIONS_CAPPED,
                message,
            ));
    }
}

/// A name's length and its first and last eight bytes, read with fixed-size loads (two
/// overlapping ones for short names) rather than a copy of a variable length, which would be a
/// call to `memcpy` on every request. It hashes in O(1) whatever the name's length: route
/// templates differ early (`/users`, `/orders`) or late (`/{id}`, `/{id}/items`), so this
/// spreads them well, and a collision only costs one more probe. Up to 16 bytes it holds every
/// byte of the name, so equal keys are equal names and the lookup compares no string.
#[derive(Clone, Copy, PartialEq, Eq)]
struct NameKey {
    len: usize,
    head: u64,
    tail: u64,
}

impl NameKey {
    #[inline]
    fn of(name: &str) -> Self {
        let b = name.as_bytes();
        let n = b.len();
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
        let half = |at: usize| {
            u64::from(u32::from_le_bytes(
                b[at..at + 4].try_into().unwrap_or([0; 4]),
            ))
        };
        let (head, tail) = match n {
            8.. => (word(0), word(n - 8)),
            4..=7 => (half(0), half(n - 4)),
            // Bytes 0, n/2 and n-1: every byte of a name of up to three.
            1..=3 => (
                u64::from(b[0]) | u64::from(b[n / 2]) << 8,
                u64::from(b[n - 1]),
            ),
            0 => (0, 0),
        };
        NameKey { len: n, head, tail }
    }

    /// Whether the key holds the whole name.
    #[inline]
    fn is_whole(&self) -> bool {
        self.len <= 16
    }

    #[inline]
    fn hash(&self) -> u64 {
        let mut h = (self.len as u64) ^ self.head.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h = (h ^ self.tail).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
        h ^ (h >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sloguard_core::model::Slo;

    fn shared(slos: Vec<SloRecorder>) -> Shared {
        Shared::new(
            Registry::builder("t").build(),
            slos,
            Boundaries::http_default(),
        )
    }

    #[test]
    fn names_resolve_to_stable_indices_and_past_the_cap_to_other() {
        let s = shared(Vec::new());
        let table = Table::new(3, false);
        let a = table.resolve(&s, Some("/a"));
        assert_eq!(table.resolve(&s, Some("/a")), a);
        let b = table.resolve(&s, Some("/b/{id}"));
        let c = table.resolve(&s, Some("/c"));
        assert!(a != b && b != c && c != OTHER_INDEX);
        assert_eq!(table.resolve(&s, Some("/d")), OTHER_INDEX);
        assert_eq!(
            table.resolve(&s, Some("/a")),
            a,
            "known names still resolve when full"
        );
        assert_eq!(table.resolve(&s, None), OTHER_INDEX);
        assert_eq!(table.resolve(&s, Some(OTHER)), OTHER_INDEX);
        assert_eq!(&*table.get(&s, b).name, "/b/{id}");
        assert_eq!(&*table.get(&s, OTHER_INDEX).name, OTHER);
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn names_of_every_length_resolve_apart() {
        let s = shared(Vec::new());
        let table = Table::new(64, false);
        // Lengths 0 to 24 cover every branch of the key; names differing only in the middle
        // must still be told apart.
        let names: Vec<String> = (0..=24)
            .map(|n| "/abcdefghijklmnopqrstuvwxyz"[..n].to_owned())
            .chain([
                "/a{id}b/x".into(),
                "/a{ix}b/x".into(),
                "/aXb".into(),
                "/aYb".into(),
                // Past 16 bytes the key leaves the middle out: these two share a key.
                "/0123456789abcdefghi".into(),
                "/01234567X9abcdefghi".into(),
            ])
            .collect();
        let indices: Vec<u32> = names.iter().map(|n| table.resolve(&s, Some(n))).collect();
        let distinct: std::collections::HashSet<_> = indices.iter().collect();
        assert_eq!(distinct.len(), names.len());
        for (name, index) in names.iter().zip(&indices) {
            assert_eq!(table.resolve(&s, Some(name)), *index);
            assert_eq!(&*table.get(&s, *index).name, name.as_str());
        }
    }

    #[test]
    fn a_flood_of_distinct_names_stays_within_the_cap() {
        let s = shared(Vec::new());
        let table = Table::new(DEFAULT_MAX_OPERATIONS, false);
        for i in 0..100_000 {
            table.resolve(&s, Some(&format!("/raw/{i}")));
        }
        assert_eq!(table.len(), DEFAULT_MAX_OPERATIONS);
    }

    #[test]
    fn operations_carry_the_slos_that_select_them() {
        let registry = Registry::builder("t").build();
        let all = registry
            .register(Slo::availability("all").build().expect("valid"))
            .expect("ok");
        let pay = registry
            .register(
                Slo::availability("pay")
                    .operations(Selector::routes(["/pay"]))
                    .build()
                    .expect("valid"),
            )
            .expect("ok");
        let s = Shared::new(registry, vec![all, pay], Boundaries::http_default());
        let table = Table::new(8, false);
        let names = |i| -> Vec<String> {
            table
                .get(&s, i)
                .slos
                .iter()
                .map(|r| r.definition().name().to_owned())
                .collect()
        };
        assert_eq!(names(table.resolve(&s, Some("/pay"))), ["all", "pay"]);
        assert_eq!(names(table.resolve(&s, Some("/refund"))), ["all"]);
        assert_eq!(names(OTHER_INDEX), ["all"]);
    }

    #[test]
    fn series_per_method_and_status_are_distinct_and_reused() {
        let s = shared(Vec::new());
        let table = Table::new(8, false);
        let op = table.get(&s, table.resolve(&s, Some("/pay")));
        op.series(&s, 0, 200).record_nanos(1);
        op.series(&s, 0, 200).record_nanos(1);
        op.series(&s, 2, 500).record_nanos(1);
        assert_eq!(s.registry.histogram_count(), 2);
        for status in 100..200 {
            op.series(&s, 0, status).record_nanos(1);
        }
        // 32 slots per operation, then one overflow series.
        assert_eq!(s.registry.histogram_count(), SERIES_SLOTS + 1);
        assert_eq!(method_index(&Method::PATCH), 8);
        assert_eq!(method_index(&Method::POST), POST);
        assert_eq!(
            method_index(&Method::from_bytes(b"PURGE").expect("method")),
            9
        );
    }
}
