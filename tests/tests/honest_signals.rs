//! Ways to be blind, replayed over real TCP against axum apps: each ends in working counts or
//! a diagnostic that names the fix (issue "honest signals").

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use sloguard::diagnostic::code;
use sloguard::expose::json::SloDocument;
use sloguard::model::{Selector, Slo};
use sloguard::{Registry, SliLayer};
use sloguard_e2e::get as fetch;
use tower::Layer;

/// Serves `service` on a free loopback port until the returned task is aborted.
async fn serve<S>(service: S) -> (SocketAddr, tokio::task::JoinHandle<()>)
where
    S: tower::Service<Request<Incoming>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: Into<hyper::Response<axum::body::Body>>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = tower::ServiceExt::map_response(service.clone(), Into::into);
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    (addr, task)
}

fn registry(users_route: &str) -> Registry {
    let registry = Registry::builder("accounts").build();
    registry
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("registered");
    registry
        .register(
            Slo::availability("users")
                .operations(Selector::routes([users_route]))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    registry
}

fn routes() -> Router {
    Router::new()
        .route("/users/{id}", get(|| async { "a user" }))
        .route("/health", get(|| async { "ok" }))
}

fn document(registry: &Registry) -> SloDocument {
    registry.tick();
    SloDocument::from_snapshot(&registry.snapshot())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_outside_the_router_is_reported_with_the_fix() {
    let registry = registry("/users/{id}");
    // The layer wraps the router: it sees requests before routing, so never a route.
    let app = SliLayer::new(&registry).layer(routes());
    let app =
        tower::ServiceExt::<Request<Incoming>>::map_response(app, |r| r.map(axum::body::Body::new));
    let (addr, server) = serve(app).await;
    for i in 0..25 {
        assert_eq!(fetch(addr, &format!("/users/{i}")).await.0, 200);
    }
    server.abort();
    let doc = document(&registry);
    let blind = doc
        .diagnostics
        .iter()
        .find(|d| d.code == code::LAYER_WITHOUT_ROUTES)
        .expect("the blind layer is reported");
    assert!(blind.message.contains("Router::layer"), "{}", blind.message);
    // Unrouted requests are no SLO's events: both SLOs say so instead of claiming health.
    for name in ["users", "availability"] {
        let slo = doc.slo(name).expect("listed");
        assert_eq!((slo.events, slo.status.as_str()), (0, "no_data"), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selector_in_the_old_route_syntax_names_the_route_it_meant() {
    let registry = registry("/users/:id");
    let app = routes().layer(SliLayer::new(&registry));
    let (addr, server) = serve(app).await;
    for i in 0..5 {
        assert_eq!(fetch(addr, &format!("/users/{i}")).await.0, 200);
    }
    server.abort();
    let doc = document(&registry);
    let wrong = doc
        .diagnostics
        .iter()
        .find(|d| d.code == code::SELECTOR_MATCHES_NOTHING)
        .expect("the selector is reported");
    assert_eq!(wrong.slo.as_deref(), Some("users"));
    assert!(
        wrong.message.contains("\"/users/{id}\""),
        "{}",
        wrong.message
    );
    assert!(wrong.message.contains("axum 0.8"), "{}", wrong.message);
    assert_eq!(doc.slo("users").expect("listed").status, "no_data");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixed_app_counts_and_reports_nothing() {
    let registry = registry("/users/{id}");
    let app = routes().layer(SliLayer::new(&registry));
    let (addr, server) = serve(app).await;
    for i in 0..5 {
        assert_eq!(fetch(addr, &format!("/users/{i}")).await.0, 200);
    }
    assert_eq!(fetch(addr, "/health").await.0, 200);
    server.abort();
    let doc = document(&registry);
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    let users = doc.slo("users").expect("listed");
    assert_eq!((users.events, users.status.as_str()), (5, "ok"));
    assert_eq!(doc.slo("availability").expect("listed").events, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_slo_registered_after_the_layer_receives_events() {
    let registry = registry("/users/{id}");
    let app = routes().layer(SliLayer::new(&registry));
    let (addr, server) = serve(app).await;
    assert_eq!(fetch(addr, "/users/1").await.0, 200);
    // Registered while the service runs, after the layer read the SLOs.
    let late = registry
        .register(
            Slo::availability("late-health")
                .operations(Selector::routes(["/health"]))
                .build()
                .expect("valid"),
        )
        .expect("registered");
    for _ in 0..3 {
        assert_eq!(fetch(addr, "/health").await.0, 200);
    }
    assert_eq!(fetch(addr, "/users/2").await.0, 200);
    server.abort();
    assert_eq!(late.counts().events(), 3);
    let doc = document(&registry);
    assert_eq!(doc.slo("availability").expect("listed").events, 5);
    assert_eq!(doc.slo("users").expect("listed").events, 2);
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_no_route_matched_are_not_events_unless_counted() {
    for count_unmatched in [false, true] {
        let registry = registry("/users/{id}");
        let layer = SliLayer::new(&registry).count_unmatched(count_unmatched);
        let (addr, server) = serve(routes().layer(layer)).await;
        assert_eq!(fetch(addr, "/users/1").await.0, 200);
        // A scanner probing paths the service does not have.
        for probe in ["/wp-login.php", "/.env", "/admin"] {
            assert_eq!(fetch(addr, probe).await.0, 404);
        }
        server.abort();
        let snapshot = registry.snapshot();
        let probes = snapshot
            .histograms
            .iter()
            .filter(|h| {
                h.labels
                    .iter()
                    .any(|(k, v)| k == "http_route" && v == "other")
            })
            .map(|h| h.histogram.count())
            .sum::<u64>();
        assert_eq!(probes, 3, "always in the request series");
        let events = registry
            .slo("availability")
            .expect("registered")
            .counts()
            .events();
        assert_eq!(events, if count_unmatched { 4 } else { 1 });
    }
}

/// An app whose `/fail` answers 500, on a registry stepped on virtual time from a cold start,
/// with request latencies on the real clock (as the demo runs).
async fn fresh_app() -> (
    sloguard::sim::Simulation,
    SocketAddr,
    tokio::task::JoinHandle<()>,
) {
    let sim = sloguard::sim::Simulation::new(
        "accounts",
        sloguard::clock::Timestamp::from_unix_secs(1_767_225_600),
    );
    sim.registry()
        .register(Slo::availability("availability").build().expect("valid"))
        .expect("registered");
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/fail",
            get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down") }),
        )
        .layer(SliLayer::new(sim.registry()).latency_clock(sloguard::clock::Clock::system()));
    let (addr, server) = serve(app).await;
    (sim, addr, server)
}

fn pages(sim: &sloguard::sim::Simulation) -> usize {
    sim.transitions()
        .iter()
        .filter(|t| t.severity == sloguard::model::Severity::Page)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_process_pages_on_an_outage_and_not_on_three_failures() {
    // 63 requests, one a second, 3 of them failing, then ten quiet minutes: no page.
    let (sim, addr, server) = fresh_app().await;
    let start = sim.now();
    for second in 0..63u64 {
        sim.advance_to(start.saturating_add(std::time::Duration::from_secs(second)));
        let path = if second % 21 == 20 { "/fail" } else { "/ok" };
        fetch(addr, path).await;
    }
    sim.advance_to(start.saturating_add(std::time::Duration::from_secs(663)));
    server.abort();
    assert_eq!(
        sim.registry()
            .slo("availability")
            .expect("registered")
            .counts()
            .bad,
        3
    );
    assert_eq!(pages(&sim), 0, "{:?}", sim.transitions());

    // A total outage at 20 requests a second pages within two minutes.
    let (sim, addr, server) = fresh_app().await;
    let start = sim.now();
    let mut paged_at = None;
    for second in 0..120u64 {
        sim.advance_to(start.saturating_add(std::time::Duration::from_secs(second)));
        if pages(&sim) > 0 {
            paged_at = Some(second);
            break;
        }
        for _ in 0..20 {
            assert_eq!(fetch(addr, "/fail").await.0, 500);
        }
    }
    server.abort();
    let paged_at = paged_at.expect("the outage pages within two minutes");
    assert!(paged_at <= 20, "paged after {paged_at} s of outage");
}

static FED_TWICE: std::sync::LazyLock<Registry> =
    std::sync::LazyLock::new(|| registry("/users/{id}"));

#[sloguard::sli(slo = "availability", registry = &*FED_TWICE)]
async fn checkout() -> &'static str {
    "paid"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_under_the_layer_and_sli_is_counted_once() {
    let app = Router::new()
        .route("/checkout", get(checkout))
        .layer(SliLayer::new(&FED_TWICE));
    let (addr, server) = serve(app).await;
    for _ in 0..3 {
        assert_eq!(fetch(addr, "/checkout").await.0, 200);
    }
    server.abort();
    let doc = document(&FED_TWICE);
    // The layer fed the SLO first: each request is one event, not two.
    assert_eq!(doc.slo("availability").expect("listed").events, 3);
    let twice = doc
        .diagnostics
        .iter()
        .find(|d| d.code == code::SLO_FED_TWICE)
        .expect("the attribute is refused, loudly");
    assert_eq!(twice.slo.as_deref(), Some("availability"));
    assert!(
        twice.message.contains("honest_signals.rs"),
        "{}",
        twice.message
    );
    // The calls are still in their own operation histogram.
    let calls: u64 = FED_TWICE
        .snapshot()
        .histograms
        .iter()
        .filter(|h| h.name == sloguard::contract::OPERATION_DURATION.name)
        .map(|h| h.histogram.count())
        .sum();
    assert_eq!(calls, 3);
}

/// The only test of this program that sets the default registry.
fn default_registry() -> &'static Registry {
    static DEFAULT: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(|| {
        let registry = Registry::builder("exports").build();
        for name in ["api", "nightly-export"] {
            registry
                .register(Slo::availability(name).build().expect("valid"))
                .expect("registered");
        }
        sloguard::attribute::set_default_registry(registry.clone()).expect("set once");
        registry
    })
}

#[sloguard::sli(slo = "nightly-export")]
async fn export() -> Result<u32, std::io::Error> {
    Ok(7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_slo_an_attribute_names_is_never_fed_requests_even_before_its_first_call() {
    let registry = default_registry();
    assert!(sloguard::attribute::named_by_attribute("nightly-export")
        .is_some_and(|at| at.contains("honest_signals.rs")));
    // Both SLOs select every operation; requests come first, the job runs afterwards.
    let (addr, server) = serve(routes().layer(SliLayer::new(registry))).await;
    for _ in 0..4 {
        assert_eq!(fetch(addr, "/health").await.0, 200);
    }
    server.abort();
    for _ in 0..2 {
        assert_eq!(export().await.expect("ok"), 7);
    }
    let doc = document(registry);
    assert_eq!(doc.slo("api").expect("listed").events, 4);
    assert_eq!(
        doc.slo("nightly-export").expect("listed").events,
        2,
        "the calls only, not the requests"
    );
    assert!(
        doc.diagnostics
            .iter()
            .all(|d| d.code != code::SLO_FED_TWICE),
        "{:?}",
        doc.diagnostics
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_registers_only_into_its_own_service_and_its_rules_then_find_the_series() {
    let spec = sloguard::spec::Spec::from_str(
        "service: payments\nslos:\n  - name: availability\n    objective: 99.9\n    sli: availability\n",
    )
    .expect("valid spec");
    // Registered into another service's registry, the rules would select series that never
    // exist: refused, with the fix.
    let other = Registry::builder("checkout").build();
    let err = spec.register(&other).expect_err("refused");
    assert!(
        err.to_string().contains("Registry::builder(\"payments\")"),
        "{err}"
    );
    assert_eq!(other.slo_count(), 0, "nothing half-registered");

    let registry = spec.registry().expect("its own registry");
    let app = Router::new()
        .route("/pay", get(|| async { "paid" }))
        .layer(SliLayer::new(&registry))
        .route_service("/metrics", sloguard::expose::metrics(&registry));
    let (addr, server) = serve(app).await;
    for _ in 0..3 {
        assert_eq!(fetch(addr, "/pay").await.0, 200);
    }
    registry.tick();
    let (status, metrics) = fetch(addr, "/metrics").await;
    server.abort();
    assert_eq!(status, 200);
    // Every counter selector of the generated rules finds a series in the scrape.
    let rules = sloguard_cli::rules::render(&spec, sloguard_cli::rules::RulesFormat::Prometheus)
        .expect("rules");
    let wanted = "sloguard_slo_events_total{service=\"payments\",slo=\"availability\"}";
    assert!(rules.contains(wanted), "{rules}");
    let scraped = metrics
        .lines()
        .find(|l| {
            l.starts_with("sloguard_slo_events_total{")
                && l.contains("service=\"payments\"")
                && l.contains("slo=\"availability\"")
        })
        .unwrap_or_else(|| panic!("no series for the rules in:\n{metrics}"));
    assert!(scraped.ends_with(" 3"), "{scraped}");
}

static JUDGED: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(|| {
    let registry = Registry::builder("orders").build();
    for name in ["opaque", "status"] {
        registry
            .register(Slo::availability(name).build().expect("valid"))
            .expect("registered");
    }
    registry
});

#[sloguard::sli(slo = "opaque", registry = &*JUDGED)]
async fn opaque(fail: bool) -> impl IntoResponse {
    // A tuple, not a response: only what axum makes of it says 500.
    let status = if fail {
        hyper::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        hyper::StatusCode::OK
    };
    (status, "text")
}

#[sloguard::sli(slo = "status", registry = &*JUDGED)]
async fn by_status(found: bool) -> Result<&'static str, hyper::StatusCode> {
    if found {
        Ok("an order")
    } else {
        Err(hyper::StatusCode::NOT_FOUND)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_under_sli_are_judged_as_the_layer_judges() {
    let app = Router::new()
        .route("/ok", get(|| async { opaque(false).await.into_response() }))
        .route(
            "/boom",
            get(|| async { opaque(true).await.into_response() }),
        )
        .route("/order", get(|| async { by_status(true).await }))
        .route("/missing", get(|| async { by_status(false).await }));
    let (addr, server) = serve(app).await;
    for (path, want) in [
        ("/ok", 200),
        ("/boom", 500),
        ("/order", 200),
        ("/missing", 404),
    ] {
        assert_eq!(fetch(addr, path).await.0, want, "{path}");
    }
    server.abort();
    let doc = document(&JUDGED);
    let opaque = doc.slo("opaque").expect("listed");
    assert_eq!(
        (opaque.events, opaque.bad_events),
        (2, 1),
        "a 500 inside impl IntoResponse is bad"
    );
    let status = doc.slo("status").expect("listed");
    assert_eq!(
        (status.events, status.bad_events),
        (2, 0),
        "a 404 is the client's, as in the layer"
    );
}
