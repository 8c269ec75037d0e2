//! [`SliService`]: the service that starts the clock and hands the request on.

use std::fmt;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_http::classify::MakeClassifier;
use tower_service::Service;

use super::classify::DefaultClassifier;
use super::config::{Config, Holder, Lease};
use super::finish::InFlight;
use super::future::ResponseFuture;
use super::operation::{method_index, PENDING_INDEX, POST};
use super::rpc::RPC;

/// A service whose every request is recorded as an SLI event. Made by [`SliLayer`](super::SliLayer).
#[derive(Clone)]
pub struct SliService<S, M = DefaultClassifier> {
    inner: S,
    make_classifier: M,
    config: Holder,
}

impl<S, M> SliService<S, M> {
    pub(crate) fn new(inner: S, make_classifier: M, config: Holder) -> Self {
        SliService {
            inner,
            make_classifier,
            config,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Takes the configuration that knows the SLOs registered since this one was built, and
    /// returns this thread's lease on it. Out of line: it runs once per registration, and
    /// keeping it out of `call` keeps `call` small.
    #[cold]
    #[inline(never)]
    fn refresh(&mut self) -> Lease {
        self.config.refresh();
        self.config.lease()
    }
}

impl<S: fmt::Debug, M> fmt::Debug for SliService<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, M, ReqBody, ResBody> Service<Request<ReqBody>> for SliService<S, M>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: fmt::Display + 'static,
    M: MakeClassifier,
    ResBody: http_body::Body,
{
    type Response = Response<super::ResponseBody<ResBody, M::ClassifyEos>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, M::Classifier>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let mut lease = self.config.lease();
        if lease.is_stale() {
            lease = self.refresh();
        }
        let config: &Config = &lease;
        let method = method_index(req.method());
        let name = config.source.name(&req);
        let operation = match name.as_deref() {
            // A gRPC method is any path a client sends: it becomes an operation once the
            // service answers it with anything but UNIMPLEMENTED (see `InFlight::admit`).
            Some(name) if config.admit_on_response => config.table.lookup(name),
            Some(name) => config.table.resolve(&config.shared, Some(name)),
            None => config.unnamed(),
        };
        let pending = (operation == PENDING_INDEX)
            .then(|| name.as_deref().map(Box::from))
            .flatten();
        drop(name);
        let classifier = self.make_classifier.make_classifier(&req);
        // gRPC calls are POSTs: other requests skip the header lookup.
        let method = if method == POST && super::rpc::is_grpc(req.headers()) {
            RPC
        } else {
            method
        };
        let trace = match &config.exemplars {
            None => None,
            Some(source) => source.trace(&req),
        };
        let mut in_flight = InFlight::start(lease, operation, method, trace);
        if let Some(name) = pending {
            in_flight.pending(name);
        }
        // A panic in the inner service unwinds through `in_flight`, whose drop records the
        // request as bad (the engine's `PendingEvent` rule). No `catch_unwind` here: it would
        // copy the request and the future through its frame on every call.
        ResponseFuture::new(self.inner.call(req), in_flight, classifier)
    }
}
