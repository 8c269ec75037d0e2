//! The layer allocates nothing per request beyond what the inner service does: a counting
//! allocator compares a bare service with the same service under `SliLayer`, driven through
//! `call`, the response future and the body to its end.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::future::{ready, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use sloguard::layer::SliLayer;
use sloguard::model::Slo;
use sloguard::Registry;
use tower::{Layer, Service};

struct Counting;

thread_local! {
    // Per thread, so tests and threads running beside this one do not count.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the only addition is a
// thread-local counter that is const-initialised and has no destructor, so touching it can
// neither allocate nor re-enter the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Drives one request through `service` to the end of its body, on this thread.
fn drive<S, B>(service: &mut S)
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: Body,
{
    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let mut future = pin!(service.call(Request::new(())));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("the inner service answers at once");
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        assert!(frame.is_ok());
    }
}

fn ok(_: Request<()>) -> std::future::Ready<Result<Response<Full<Bytes>>, Infallible>> {
    ready(Ok(Response::new(Full::new(Bytes::from_static(b"ok")))))
}

fn per_thousand(mut run: impl FnMut()) -> u64 {
    for _ in 0..20 {
        run(); // the first requests create the thread's shards and the series
    }
    let before = allocations();
    for _ in 0..1_000 {
        run();
    }
    allocations() - before
}

#[test]
fn the_layer_adds_no_allocation_per_request() {
    let registry = Registry::builder("alloc").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("ok");
    registry
        .register(
            Slo::latency("latency", std::time::Duration::from_millis(300))
                .build()
                .expect("valid"),
        )
        .expect("ok");

    let mut bare = tower::service_fn(ok);
    let bare_allocations = per_thousand(|| drive(&mut bare));

    let mut layered = SliLayer::new(&registry)
        .operation("checkout")
        .layer(tower::service_fn(ok));
    let layered_allocations = per_thousand(|| drive(&mut layered));

    assert_eq!(
        layered_allocations, bare_allocations,
        "allocations per 1,000 requests"
    );
    assert_eq!(
        registry
            .slo("availability")
            .expect("registered")
            .counts()
            .events(),
        1_020
    );
}
