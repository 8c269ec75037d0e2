//! The demo's payments API: `/pay` and `/refund`, with an incident switched on and off by the
//! demo's script, under the SLI layer, with the exposition endpoints beside it.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sloguard::clock::Clock;
use sloguard::model::{Selector, Slo, StatusComponent, StatusPage};
use sloguard::{expose, Registry, SliLayer};

/// What the service is going through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// All is well.
    Normal = 0,
    /// One `/pay` in eight fails with 503.
    ErrorSpike = 1,
    /// One `/pay` in two takes 400 ms.
    LatencyRegression = 2,
    /// All is well again.
    Recovery = 3,
}

impl Phase {
    pub(crate) fn from_u8(v: u8) -> Phase {
        match v {
            1 => Phase::ErrorSpike,
            2 => Phase::LatencyRegression,
            3 => Phase::Recovery,
            _ => Phase::Normal,
        }
    }

    /// What is happening, for the screen.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Normal => "normal traffic",
            Phase::ErrorSpike => "INCIDENT: 1 in 8 payments fails (HTTP 503)",
            Phase::LatencyRegression => "INCIDENT: 1 in 2 payments takes 400 ms",
            Phase::Recovery => "recovered: all requests fine again",
        }
    }
}

/// The shared incident switch.
#[derive(Clone, Default)]
pub(crate) struct Incident {
    phase: Arc<AtomicU8>,
    pays: Arc<AtomicU64>,
}

impl Incident {
    pub(crate) fn set(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    pub(crate) fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }
}

/// The demo's SLOs: availability of every route at 99.9%, `/pay` within 300 ms at 99%.
pub(crate) fn register(registry: &Registry) -> Result<(), sloguard::model::DefinitionError> {
    registry.register(
        Slo::availability("availability")
            .objective_percent(99.9)
            .description("Payment and refund requests succeed.")
            .runbook_url("https://runbooks.example/payments/availability")
            .build()?,
    )?;
    registry.register(
        Slo::latency("latency", Duration::from_millis(300))
            .objective_percent(99.0)
            .operations(Selector::routes(["/pay"]))
            .description("Payments are answered within 300 ms.")
            .runbook_url("https://runbooks.example/payments/latency")
            .build()?,
    )?;
    // What customers see at /status: one component per thing they use.
    registry.set_status_page(
        StatusPage::new("Acme Payments")
            .component(
                StatusComponent::new("Card payments", ["availability", "latency"])
                    .description("Paying by card at checkout"),
            )
            .component(StatusComponent::new("Refunds", ["availability"])),
    );
    Ok(())
}

async fn pay(incident: Incident) -> (StatusCode, &'static str) {
    let n = incident.pays.fetch_add(1, Ordering::Relaxed);
    match incident.phase() {
        Phase::ErrorSpike if n % 8 == 0 => (
            StatusCode::SERVICE_UNAVAILABLE,
            "payment gateway unavailable\n",
        ),
        Phase::LatencyRegression if n % 2 == 0 => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            (StatusCode::OK, "paid (slowly)\n")
        }
        _ => {
            tokio::time::sleep(Duration::from_millis(3)).await;
            (StatusCode::OK, "paid\n")
        }
    }
}

/// The app: instrumented routes, then the exposition endpoints (not counted).
pub(crate) fn router(registry: &Registry, incident: Incident) -> Router {
    let pay_incident = incident.clone();
    let mut router = Router::new()
        .route("/pay", get(move || pay(pay_incident.clone())))
        .route("/refund", get(|| async { "refunded\n" }))
        .layer(SliLayer::new(registry).latency_clock(Clock::system()));
    for (path, endpoint) in expose::endpoints(registry) {
        router = router.route_service(path, endpoint);
    }
    router
}
