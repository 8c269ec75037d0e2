//! The `sloguard` command, as a library so its parts can be tested and reused.
//!
//! - [`lint`]: validate a spec and warn about what would not work as meant.
//! - [`rules`]: Prometheus rules with Sloth's names, improved where Sloth users asked.
//! - [`dashboard`]: a Grafana dashboard over those rules.
//! - [`check`]: a Nagios-compatible check of a running service's `/slo.json`.
//! - [`fetch`]: a running service's JSON documents, over HTTP or HTTPS.
//! - [`replay`]: the engine on virtual time over recorded traffic.
//! - [`incident_review`]: a post-incident review draft in Markdown.
//! - [`demo`]: an instrumented service, traffic, an incident, and its SLOs live.
//! - [`serve`]: a fleet's SLOs judged from a Prometheus-compatible engine, on the same pages.
//!
//! ```
//! let spec = sloguard::spec::Spec::from_str(r#"{"service": "payments", "availability": 99.9}"#).unwrap();
//! let rules = sloguard_cli::rules::render(&spec, sloguard_cli::rules::RulesFormat::Prometheus).unwrap();
//! assert!(rules.contains("record: slo:sli_error:ratio_rate5m"));
//! ```

pub mod check;
pub mod demo;
pub mod fetch;
pub mod incident_review;
pub mod replay;
pub mod serve;
pub mod sla_report;
pub mod write;

pub use sloguard_spec::{dashboard, lint, rules, sloth_windows};
