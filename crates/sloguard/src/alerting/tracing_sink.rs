//! The `tracing` sink: each transition as a `tracing` event (`warn` when firing, `info` when
//! resolved), target `sloguard::alert`, with the numbers as fields.

use sloguard_core::alert::{AlertState, AlertTransition};

use super::queue::Deliver;
use super::summary::summary;

/// Emits transitions as `tracing` events.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingSink;

impl Deliver for TracingSink {
    fn target(&self) -> String {
        "tracing".to_owned()
    }

    fn deliver(&mut self, t: &AlertTransition) {
        let text = summary(t);
        let runbook = t.runbook_url.as_deref().unwrap_or("");
        match t.state {
            AlertState::Firing => tracing::warn!(
                target: "sloguard::alert",
                service = %t.service, slo = %t.slo, tier = %t.tier_id, severity = %t.severity, state = "firing",
                long_burn_rate = t.long_burn_rate.unwrap_or(0.0), budget_remaining = t.budget_remaining,
                runbook_url = runbook, "{text}"
            ),
            AlertState::Resolved => tracing::info!(
                target: "sloguard::alert",
                service = %t.service, slo = %t.slo, tier = %t.tier_id, severity = %t.severity, state = "resolved",
                long_burn_rate = t.long_burn_rate.unwrap_or(0.0), budget_remaining = t.budget_remaining,
                runbook_url = runbook, "{text}"
            ),
        }
    }
}
