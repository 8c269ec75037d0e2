//! Instructions per request through `SliLayer`, the same work as the `layer/sloguard` bench,
//! for callgrind: instruction counts repeat exactly where wall-clock figures move with code
//! layout. Only the request loop is counted: the setup (the latency clock's calibration
//! among it, whose loop count depends on timing) is not.
//!
//! ```sh
//! cargo build --release -p sloguard-benches --example layer_insn
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/layer.cg --collect-atstart=no \
//!     --toggle-collect='layer_insn::requests*' target/release/examples/layer_insn 10000
//! callgrind_annotate /tmp/layer.cg | head -30   # total / 10000 = instructions per request
//! # the same with `10000 bare` after the count: the service without the layer; with
//! # `10000 cloned` and `--toggle-collect='layer_insn::cloned_requests*'`: a clone per request
//! ```
#![allow(missing_docs, clippy::print_stdout)]

use bytes::Bytes;
use http_body_util::Full;
use sloguard::SliLayer;
use sloguard_benches::request::{drive, ok};
use tower::{Layer, Service};

/// Sends the number of requests given as the first argument through the layer, or through the
/// bare service when the second argument is `bare` (the difference is the layer's cost), or
/// each through a fresh clone of the layer's service when it is `cloned` (axum's pattern).
fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let mode = args.next();
    if mode.as_deref() == Some("bare") {
        requests(&mut tower::service_fn(ok), n);
    } else {
        let registry = sloguard_benches::request::registry();
        let mut sloguard = SliLayer::new(&registry)
            .operation("/pay")
            .layer(tower::service_fn(ok));
        // The first request makes its series; the counted ones find them.
        drive(&mut sloguard.clone());
        if mode.as_deref() == Some("cloned") {
            cloned_requests(&sloguard, n);
        } else {
            requests(&mut sloguard, n);
        }
    }
    println!("{n}");
}

/// The counted part with a clone per request.
#[inline(never)]
fn cloned_requests<S, B>(service: &S, n: u64)
where
    S: Clone + Service<http::Request<Full<Bytes>>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    for _ in 0..n {
        drive(&mut service.clone());
    }
}

/// The counted part: `n` requests.
#[inline(never)]
fn requests<S, B>(service: &mut S, n: u64)
where
    S: Service<http::Request<Full<Bytes>>, Response = http::Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
{
    for _ in 0..n {
        drive(service);
    }
}
