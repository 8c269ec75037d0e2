//! Any bytes as the body of a write (`POST /api/v2/incidents`, `.../updates`,
//! `/api/v2/scheduled-maintenances`), checked and applied as the write API does, then shown on
//! every page and document that shows them: never a panic; a refusal names a field. Run:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run write_body` in `fuzz/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sloguard::expose::status::{render_incident_page, render_page, statuspage_json, StatusView};
use sloguard::expose::write::{incident_from_json, maintenance_from_json};
use sloguard::incidents::{UpdateStatus, WriteError};
use sloguard::model::Slo;
use sloguard::Registry;

fn refused_by_field(e: &WriteError) {
    assert!(!e.to_string().is_empty());
}

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) else {
        return;
    };
    let registry = Registry::builder("payments").build();
    let Ok(slo) = Slo::availability("availability").build() else {
        return;
    };
    if registry.register(slo).is_err() {
        return;
    }
    match incident_from_json(&body).map(|new| registry.open_incident(new)) {
        Ok(Ok(incident)) => {
            if let Some(message) = body.get("message").and_then(|m| m.as_str()) {
                if let Err(e) = registry.post_update(incident.id, UpdateStatus::Identified, message) {
                    refused_by_field(&e);
                }
            }
        }
        Ok(Err(e)) | Err(e) => refused_by_field(&e),
    }
    match maintenance_from_json(&body).map(|new| registry.schedule_maintenance(new)) {
        Ok(Ok(_)) | Ok(Err(_)) | Err(_) => {}
    }
    let view = StatusView::of(&registry.snapshot(), registry.status_page());
    let page = render_page(&view);
    assert!(!page.contains("<script"), "a message reached the page unescaped");
    for incident in &view.incidents {
        let html = render_incident_page(&view, incident);
        assert!(!html.contains("<script"));
    }
    for document in ["summary", "incidents", "scheduled-maintenances"] {
        assert!(statuspage_json(&view, document).is_some());
    }
});
