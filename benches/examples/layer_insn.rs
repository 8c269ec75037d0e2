//! Instructions per request through `SliLayer`, the same work as the `layer/sloguard` bench,
//! for callgrind: instruction counts repeat exactly where wall-clock figures move with code
//! layout. Run it for two request counts and take the difference:
//!
//! ```sh
//! cargo build --release -p sloguard-benches --example layer_insn
//! for n in 1000 11000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/layer_insn $n 2>&1 | grep Collected; done
//! # (second - first) / 10000 = instructions per request
//! ```
#![allow(missing_docs, clippy::print_stdout)]

use sloguard::SliLayer;
use sloguard_benches::request::{drive, ok};
use tower::Layer;

/// Sends the number of requests given as the first argument through the layer.
fn main() {
    let registry = sloguard_benches::request::registry();
    let mut sloguard = SliLayer::new(&registry)
        .operation("/pay")
        .layer(tower::service_fn(ok));
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    for _ in 0..n {
        drive(&mut sloguard);
    }
    println!("{n}");
}
