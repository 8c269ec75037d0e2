//! Problems the engine can detect, so that it never looks healthy while it cannot see.
//!
//! Each [`Diagnostic`] has a stable `code` (for tools), a `message` that says what is wrong
//! and how to fix it, and the SLO it concerns, if one. Some are reported by the parts that
//! notice them (the layer that sees no route templates, a state file that could not be
//! loaded) through [`Registry::report`](crate::Registry::report); others are derived from each
//! snapshot (an SLO without events while the service has traffic, a selector that matches no
//! route that had traffic, caught sink panics, sinks that drop or fail notifications). Every snapshot carries them all; each is
//! logged once through `tracing` (target `sloguard`, level warn) when it first appears.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::{Slo, Selector}, diagnostic::code};
//! use std::time::Duration;
//!
//! let registry = Registry::builder("payments").build();
//! let all = registry.register(Slo::availability("availability").build().unwrap()).unwrap();
//! // axum 0.7's syntax: 0.8's routes are `/users/{id}`, so this never matches.
//! registry.register(Slo::availability("users").operations(Selector::routes(["/users/:id"])).build().unwrap()).unwrap();
//! all.record(Outcome::Success, Duration::from_millis(3));
//! let snapshot = registry.snapshot();
//! let d = &snapshot.diagnostics[0];
//! assert_eq!((d.code, d.slo.as_deref()), (code::SLO_WITHOUT_EVENTS, Some("users")));
//! ```

use std::fmt;

/// The stable codes of diagnostics.
pub mod code {
    /// An SLO has had no events over its period while the service had traffic.
    pub const SLO_WITHOUT_EVENTS: &str = "slo_without_events";
    /// An SLO's selector matches none of the routes that had traffic.
    pub const SELECTOR_MATCHES_NOTHING: &str = "selector_matches_nothing";
    /// The layer sees requests but no route templates: it is applied outside the router.
    pub const LAYER_WITHOUT_ROUTES: &str = "layer_without_routes";
    /// The saved state could not be loaded: the figures start from nothing.
    pub const STATE_NOT_LOADED: &str = "state_not_loaded";
    /// An alert sink or tick observer panicked (caught and counted).
    pub const SINK_PANICKED: &str = "sink_panicked";
    /// Requests and calls both route events to one SLO: the second feeder is refused.
    pub const SLO_FED_TWICE: &str = "slo_fed_twice";
    /// An alert sink dropped or could not deliver notifications.
    pub const SINK_FAILING: &str = "sink_failing";
    /// An evaluation panicked (a bug): caught and counted, and the next one runs; the figures
    /// of that tick are missing.
    pub const EVALUATION_PANICKED: &str = "evaluation_panicked";
    /// A layer counted operation names as `other`: it reached its cap of distinct operations,
    /// or a name was longer than an operation name may be. SLOs that select those names see
    /// none of their events.
    pub const OPERATIONS_CAPPED: &str = "operations_capped";
    /// The metrics engine a fleet's counts come from (`sloguard serve --source`) cannot be
    /// reached or answers errors: every SLO it feeds has no data until it answers again.
    pub const SOURCE_UNREACHABLE: &str = "source_unreachable";
    /// The metrics engine has no series for an SLO (its counters, or its SLI queries, match
    /// nothing): the SLO has no data.
    pub const SOURCE_NO_SERIES: &str = "source_no_series";
    /// Scrape targets of an SLO's job are down (`up == 0`): its figures miss their events.
    pub const TARGETS_DOWN: &str = "targets_down";
}

/// One problem the engine detected.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// A stable code from [`code`].
    pub code: &'static str,
    /// The SLO it concerns, if one.
    pub slo: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic of the whole service.
    pub fn service(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            slo: None,
            message: message.into(),
        }
    }

    /// A diagnostic of one SLO.
    pub fn slo(code: &'static str, slo: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            slo: Some(slo.into()),
            message: message.into(),
        }
    }

    /// What identifies it: the same code for the same SLO is one diagnostic.
    pub(crate) fn key(&self) -> (&'static str, Option<String>) {
        (self.code, self.slo.clone())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.slo {
            Some(slo) => write!(f, "{} (SLO {slo:?}): {}", self.code, self.message),
            None => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

/// The names of `candidates` closest to `target` (fewest single-character edits first), at
/// most `n`: what a user most likely meant.
pub(crate) fn nearest<'a>(target: &str, candidates: &[&'a str], n: usize) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (edit_distance(target, c), *c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_names_come_first() {
        assert_eq!(edit_distance("/users/:id", "/users/{id}"), 2);
        let seen = ["/pay", "/users/{id}", "/refund", "/users"];
        assert_eq!(nearest("/users/:id", &seen, 2), ["/users/{id}", "/users"]);
    }
}
