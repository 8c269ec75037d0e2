//! SLO spec files: one description of a service's SLOs for the in-process engine, the
//! generated Prometheus rules and the dashboards.
//!
//! (Over 400 lines: the format detection, the shared types and the error locating of all
//! three formats; each format's own reading is in its module.)
//!
//! This crate is the one home of the spec formats. A service reads its own (native) spec
//! through `sloguard`'s `spec` feature, which takes this crate without its `tools` feature.
//! Tools (the `sloguard` command) turn `tools` on for the rest: Sloth and OpenSLO import,
//! Prometheus rules ([`rules`]), Grafana dashboards ([`dashboard`]) and [`lint`].
//!
//! Three formats are read, in YAML or JSON: the native one ([`native`] shows it), Sloth's
//! `prometheus/v1` (`sloth`) and an OpenSLO v1 subset (`openslo`); the last two with `tools`. The format is told by
//! `version: prometheus/v1` (Sloth), `apiVersion: openslo/v1` (OpenSLO), or neither (native).
//! Unknown fields are errors, as is anything a format allows but sloguard does not support.
//! Errors name the file, line, column and field and say what is expected; nothing panics on
//! any input.
//!
//! ```
//! use sloguard_spec::Spec;
//!
//! let spec = Spec::from_str(r#"{"service": "API de pagamentos", "availability": 99.9}"#).unwrap();
//! assert_eq!(spec.service, "API de pagamentos");
//! assert_eq!(spec.slos[0].definition.name(), "availability");
//!
//! let err = Spec::from_str("service: x\nslos:\n  - name: a\n    objective: 100\n    sli: availability\n").unwrap_err();
//! assert_eq!((err.line, err.field.as_str()), (Some(4), "slos[0].objective"));
//! ```

// A SpecError says where (file, document, line, column, object, field) and why: it is made
// once, on the cold path of reading a file, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use sloguard_core::model::{SloBuilder, SloDefinition};
use sloguard_core::{Registry, SloRecorder};

#[cfg(feature = "tools")]
pub mod dashboard;
mod error;
#[cfg(feature = "tools")]
pub mod groups;
#[cfg(feature = "tools")]
pub mod lint;
mod names;
pub mod native;
#[cfg(feature = "tools")]
pub mod openslo;
#[cfg(feature = "tools")]
mod openslo_alpha;
#[cfg(feature = "tools")]
mod openslo_periods;
#[cfg(feature = "tools")]
pub mod pyrra;
#[cfg(feature = "tools")]
pub mod query;
mod read;
#[cfg(feature = "tools")]
pub mod rules;
#[cfg(feature = "tools")]
pub mod sloth;
#[cfg(feature = "tools")]
mod sloth_plugins;
#[cfg(feature = "tools")]
pub mod sloth_windows;
mod values;

pub use error::SpecError;

/// What each format's reader produces: service, labels and SLOs.
pub(crate) type Parts = (String, BTreeMap<String, String>, Vec<SloSpec>);

/// Which format a spec was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// sloguard's own.
    Native,
    /// Sloth `version: prometheus/v1`.
    Sloth,
    /// Sloth's Kubernetes resource, `sloth.slok.dev/v1` `PrometheusServiceLevel`.
    SlothKubernetes,
    /// OpenSLO v1.
    OpenSlo,
    /// OpenSLO `v1alpha`, as Sloth reads it.
    OpenSloV1Alpha,
    /// Pyrra `pyrra.dev/v1alpha1` `ServiceLevelObjective`.
    Pyrra,
}

impl Format {
    /// The format's name as errors and messages say it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "sloguard spec",
            Format::Sloth => "Sloth prometheus/v1",
            Format::SlothKubernetes => "Sloth PrometheusServiceLevel (sloth.slok.dev/v1)",
            Format::OpenSlo => "OpenSLO v1",
            Format::OpenSloV1Alpha => "OpenSLO v1alpha",
            Format::Pyrra => "Pyrra ServiceLevelObjective (pyrra.dev/v1alpha1)",
        }
    }
}

/// A service's SLOs, read from a spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The service.
    pub service: String,
    /// Labels for every generated series and alert.
    pub labels: BTreeMap<String, String>,
    /// The SLOs.
    pub slos: Vec<SloSpec>,
    /// The format it was written in.
    pub format: Format,
    /// The customer status page (native format's `status_page`), if the spec has one.
    pub status_page: Option<sloguard_core::model::StatusPage>,
}

/// One SLO of a spec: the engine's definition plus what rule generation needs.
#[derive(Clone, Debug)]
pub struct SloSpec {
    /// The definition the engine runs.
    pub definition: SloDefinition,
    /// Labels for this SLO's series and alerts.
    pub labels: BTreeMap<String, String>,
    /// Alert names, labels, annotations and runbook.
    pub alerting: AlertingMeta,
    /// For imported Sloth and OpenSLO specs: the queries rules are generated over (instead of
    /// sloguard's counters).
    pub queries: Option<Queries>,
    /// Labels added to this SLO's `sloth_slo_info` series only (Sloth's `infoLabels`).
    pub info_labels: BTreeMap<String, String>,
    /// Evaluation intervals of the rule groups (Sloth's `interval`), when the spec sets them.
    pub intervals: Intervals,
    /// Labels the SLO is split by (Pyrra's `grouping`): its queries sum `by` them, so the
    /// generated rules keep one series, and alert, per group.
    pub grouping: Vec<String>,
    /// Sloth's `sli_total_amount` plugin: the total query is also recorded, per window, as
    /// `slo:sli_total:amount<window>` (a group of its own).
    pub total_amount_records: bool,
    /// What an import could not carry over, in words; `sloguard lint` warns with each.
    pub notes: Vec<String>,
    /// The document (1-based) of a file of several it was read from, so a note's field can be
    /// found in it; `None` for a file of one.
    pub document: Option<usize>,
}

/// How often Prometheus evaluates each rule group of an SLO; unset means Prometheus' global
/// evaluation interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intervals {
    /// The SLI recordings (and the alerts, which sloguard evaluates right after them).
    pub sli: Option<std::time::Duration>,
    /// The metadata recordings.
    pub meta: Option<std::time::Duration>,
    /// The alerts: when it differs from `sli`, alerts get a group of their own.
    pub alert: Option<std::time::Duration>,
}

impl SloSpec {
    fn plain(builder: SloBuilder, field: &str) -> Result<SloSpec, SpecError> {
        let definition = builder
            .build()
            .map_err(|e| SpecError::new(format!("{field}.{}", e.field), e.reason()))?;
        Ok(SloSpec {
            definition,
            labels: BTreeMap::new(),
            alerting: AlertingMeta::default(),
            queries: None,
            info_labels: BTreeMap::new(),
            intervals: Intervals::default(),
            total_amount_records: false,
            document: None,
            grouping: Vec::new(),
            notes: Vec::new(),
        })
    }
}

/// What alerts carry beside the numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertingMeta {
    /// A runbook URL, sent with every alert.
    pub runbook_url: Option<String>,
    /// Labels for every alert of the SLO.
    pub labels: BTreeMap<String, String>,
    /// Annotations for every alert of the SLO.
    pub annotations: BTreeMap<String, String>,
    /// Labels for page alerts only.
    pub page_labels: BTreeMap<String, String>,
    /// Annotations for page alerts only.
    pub page_annotations: BTreeMap<String, String>,
    /// Labels for ticket alerts only.
    pub ticket_labels: BTreeMap<String, String>,
    /// Annotations for ticket alerts only.
    pub ticket_annotations: BTreeMap<String, String>,
    /// How long a page alert's condition holds before it fires in the generated rules.
    pub page_for: Option<std::time::Duration>,
    /// How long a ticket alert's condition holds before it fires in the generated rules.
    pub ticket_for: Option<std::time::Duration>,
}

impl AlertingMeta {
    /// The `for` of the generated alerts of one severity, as Prometheus writes durations.
    #[cfg(feature = "tools")]
    pub(crate) fn pending(&self, severity: sloguard_core::model::Severity) -> Option<String> {
        match severity {
            sloguard_core::model::Severity::Page => self.page_for,
            sloguard_core::model::Severity::Ticket => self.ticket_for,
        }
        .map(crate::rules::prometheus_duration)
    }
}

/// `sum`, or `sum by (a, b) ` when an SLO is split by labels.
pub(crate) fn sum_by(grouping: &[String]) -> String {
    if grouping.is_empty() {
        "sum".to_owned()
    } else {
        format!("sum by ({}) ", grouping.join(", "))
    }
}

/// The queries of an imported SLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Queries {
    /// Error and total event rates; `{{.window}}` stands for the window.
    Events {
        /// The rate of bad events.
        error_query: String,
        /// The rate of all events.
        total_query: String,
    },
    /// The error ratio directly; `{{.window}}` stands for the window.
    Raw {
        /// The error ratio.
        error_ratio_query: String,
    },
}

impl Queries {
    /// The event queries of a latency SLO read from a native histogram: all events are the
    /// histogram's count, bad ones the share above `threshold` (`histogram_fraction`, which
    /// interpolates inside the native bucket that holds the threshold), both per second over
    /// the window. The series `selector` picks are summed into one histogram first: a series
    /// without events in the window has no fraction (NaN), which must not reach the sum.
    ///
    /// ```
    /// use sloguard_spec::Queries;
    /// use std::time::Duration;
    ///
    /// let Queries::Events { error_query, total_query } = Queries::native_latency(
    ///     "http_server_request_duration_seconds{job=\"payments\"}",
    ///     Duration::from_millis(300),
    /// ) else { unreachable!() };
    /// assert_eq!(total_query, "histogram_count(sum(rate(http_server_request_duration_seconds{job=\"payments\"}[{{.window}}])))");
    /// assert!(error_query.contains("histogram_fraction(0, 0.3, sum(rate("), "{error_query}");
    /// ```
    pub fn native_latency(selector: &str, threshold: std::time::Duration) -> Queries {
        Queries::native_latency_by(selector, threshold, &[])
    }

    /// [`Queries::native_latency`], summed `by` the `grouping` labels (one histogram, and one
    /// SLO, per group).
    pub fn native_latency_by(
        selector: &str,
        threshold: std::time::Duration,
        grouping: &[String],
    ) -> Queries {
        let rate = format!("{}(rate({selector}[{{{{.window}}}}]))", sum_by(grouping));
        Queries::Events {
            error_query: format!(
                "histogram_count({rate}) * (1 - histogram_fraction(0, {}, {rate}))",
                threshold.as_secs_f64()
            ),
            total_query: format!("histogram_count({rate})"),
        }
    }
}

impl Spec {
    /// Reads a spec from text (YAML, or JSON when it starts with `{`) that describes one
    /// service; a file of several services is read with [`Spec::all_from_str`].
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Spec, SpecError> {
        let mut all = Spec::all_from_str(text)?;
        if all.len() > 1 {
            let services: Vec<&str> = all.iter().map(|s| s.service.as_str()).collect();
            return Err(SpecError::new(
                "service",
                format!(
                    "the file describes {} services ({}); one service reads one spec: split the file, or read it with Spec::all_from_str",
                    all.len(),
                    services.join(", ")
                ),
            ));
        }
        Ok(all.remove(0))
    }

    /// Reads every document of a text (YAML documents separated by `---`, OpenSLO lists of
    /// objects, or one JSON document): one spec per service, in the order services appear.
    pub fn all_from_str(text: &str) -> Result<Vec<Spec>, SpecError> {
        read::read_all(text, &Default::default()).map_err(|e| locate(e, text))
    }

    /// [`Spec::all_from_str`], with the period and alert windows Sloth SLOs get (Sloth's
    /// `--default-slo-period` and `--slo-period-windows-path`).
    #[cfg(feature = "tools")]
    pub fn all_from_str_with(
        text: &str,
        periods: &sloth_windows::SlothPeriods,
    ) -> Result<Vec<Spec>, SpecError> {
        read::read_all(text, periods).map_err(|e| locate(e, text))
    }

    /// [`Spec::all_from_path`], with the period and windows Sloth SLOs get.
    #[cfg(feature = "tools")]
    pub fn all_from_path_with(
        path: impl AsRef<Path>,
        periods: &sloth_windows::SlothPeriods,
    ) -> Result<Vec<Spec>, SpecError> {
        let path = path.as_ref();
        Spec::all_from_str_with(&read_file(path)?, periods).map_err(|e| SpecError {
            file: Some(path.to_owned()),
            ..e
        })
    }

    /// Reads a spec file of one service; errors name the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Spec, SpecError> {
        let path = path.as_ref();
        Spec::from_str(&read_file(path)?).map_err(|e| SpecError {
            file: Some(path.to_owned()),
            ..e
        })
    }

    /// Reads every service of a spec file; errors name the file.
    pub fn all_from_path(path: impl AsRef<Path>) -> Result<Vec<Spec>, SpecError> {
        let path = path.as_ref();
        Spec::all_from_str(&read_file(path)?).map_err(|e| SpecError {
            file: Some(path.to_owned()),
            ..e
        })
    }

    /// Registers every SLO of the spec in `registry`, which must measure the spec's service:
    /// the series carry the registry's service name, and the rules generated from the spec
    /// select the spec's, so a mismatch would leave every generated rule without data.
    pub fn register(&self, registry: &Registry) -> Result<Vec<SloRecorder>, SpecError> {
        if registry.service() != self.service {
            return Err(SpecError::new(
                "service",
                format!(
                    "the spec describes service {:?} but the registry measures {:?}: build the registry with Registry::builder({:?}) (or Spec::registry()), or fix the spec's service",
                    self.service,
                    registry.service(),
                    self.service
                ),
            ));
        }
        let recorders = self
            .slos
            .iter()
            .enumerate()
            .map(|(i, slo)| {
                registry
                    .register(slo.definition.clone())
                    .map_err(|e| SpecError::new(format!("slos[{i}].name"), e.to_string()))
            })
            .collect();
        if let Some(page) = &self.status_page {
            registry.set_status_page(page.clone());
        }
        recorders
    }

    /// A registry for the spec's service with every SLO registered.
    pub fn registry(&self) -> Result<Registry, SpecError> {
        let registry = Registry::builder(self.service.clone()).build();
        self.register(&registry)?;
        Ok(registry)
    }
}

/// Refuses a foreign format when the tools that import it are not compiled in.
#[cfg(not(feature = "tools"))]
pub(crate) fn without_tools(format: Format) -> SpecError {
    SpecError::new(
        "",
        format!("this is {}; a service reads the native format only: generate the native spec with the `sloguard` command, or build with sloguard-spec's `tools` feature", format.name()),
    )
}

/// Refuses two SLOs of one service with the same name.
pub(crate) fn unique_names(spec: &Spec) -> Result<(), SpecError> {
    let mut seen = std::collections::HashSet::new();
    for (i, slo) in spec.slos.iter().enumerate() {
        if !seen.insert(slo.definition.name().to_owned()) {
            return Err(SpecError::new(
                format!("slos[{i}].name"),
                format!(
                    "service {:?} has two SLOs named {:?}; names must be unique within a service",
                    spec.service,
                    slo.definition.name()
                ),
            ));
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<String, SpecError> {
    std::fs::read_to_string(path).map_err(|e| SpecError {
        file: Some(path.to_owned()),
        ..SpecError::new("", format!("cannot read the spec: {e}"))
    })
}

pub(crate) fn typed_json<T: DeserializeOwned>(text: &str) -> Result<T, SpecError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = json_error(e.into_inner());
        SpecError {
            field: if path == "." { String::new() } else { path },
            ..inner
        }
    })
}

pub(crate) fn json_error(e: serde_json::Error) -> SpecError {
    let message = e.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    SpecError::new("", message).at(
        Some(e.line()).filter(|l| *l > 0),
        Some(e.column()).filter(|c| *c > 0),
    )
}

pub(crate) fn yaml_error(e: serde_yaml_ng::Error, path: &str) -> SpecError {
    let location = e.location();
    let mut message = e.to_string();
    if let Some((m, _)) = message.rsplit_once(" at line ") {
        message = m.to_owned();
    }
    // The YAML library starts its messages with its own idea of the path (`slos[0]: `); the
    // field is reported apart.
    if let Some((prefix, rest)) = message.split_once(": ") {
        if !prefix.contains(' ') && path.starts_with(prefix.trim_end_matches('.')) {
            message = rest.to_owned();
        }
    }
    let field = if path == "." {
        String::new()
    } else {
        path.to_owned()
    };
    SpecError::new(field, message).at(
        location.as_ref().map(|l| l.line()),
        location.as_ref().map(|l| l.column()),
    )
}

/// The line of `field` (such as `slos[0].objective`, as notes name them) in a spec text, in
/// its `document` (1-based, [`SloSpec::document`]) when it has several.
pub fn line_of_field(text: &str, document: Option<usize>, field: &str) -> Option<usize> {
    if read::is_json(text) {
        return None;
    }
    locate(
        SpecError {
            document,
            ..SpecError::new(field, "")
        },
        text,
    )
    .line
}

/// Gives errors found after parsing (they have a field but no position) the line of the SLO
/// they concern, found by its name, when the text says it once.
/// In a multi-document file, within the document the error names; the field's own line when
/// its last key is written below the SLO's name (`error_query:`), else the SLO's name.
fn locate(mut e: SpecError, text: &str) -> SpecError {
    if e.line.is_some() {
        return e;
    }
    let (offset, text) = document_text(text, e.document);
    let key = e.field.split('.').next().unwrap_or_default().to_owned();
    let needle = if let Some(index) = key.strip_prefix("slos[").and_then(|k| k.strip_suffix(']')) {
        index
            .parse::<usize>()
            .ok()
            .and_then(|i| nth_slo_name_line(text, i))
            .map(|slo_line| field_line(text, slo_line, &e.field).unwrap_or(slo_line))
    } else if !key.is_empty() {
        // The whole path when it can be followed (`spec.indicator.ratio.grouping`), else its
        // first key.
        walk(text, 0, e.field.split('.')).or_else(|| {
            text.lines()
                .position(|l| l.trim_start().trim_start_matches('"').starts_with(&key))
                .map(|l| l + 1)
        })
    } else {
        None
    };
    e.line = needle.map(|l| l + offset);
    e
}

/// The lines before document `document` (1-based) and that document's text.
fn document_text(text: &str, document: Option<usize>) -> (usize, &str) {
    let Some(document) = document.filter(|d| *d > 1) else {
        return (0, text);
    };
    let mut seen = 1;
    let mut start = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n > 0 && (line.trim_end() == "---" || line.starts_with("--- ")) {
            seen += 1;
            if seen == document {
                let offset = text[..start + line.len()].lines().count();
                return (offset, &text[start + line.len()..]);
            }
        }
        start += line.len();
    }
    (0, text)
}

/// The line, after the SLO's name at `slo_line`, where the field's last key is written, before
/// the next SLO.
fn field_line(text: &str, slo_line: usize, field: &str) -> Option<usize> {
    if field.split('.').count() < 2 {
        return None;
    }
    walk(text, slo_line, field.split('.').skip(1))
}

/// The 1-based line of the last of `keys`, each found after the one before (so
/// `page_alert.for` and `ticket_alert.for` find their own `for`), in the spelling written or
/// its camelCase, from the 0-based line `from`.
fn walk<'k>(text: &str, from: usize, keys: impl Iterator<Item = &'k str>) -> Option<usize> {
    let mut from = from;
    let mut found = None;
    for key in keys {
        let key = key.split(['[', ' ']).next()?;
        if key.is_empty() {
            return None;
        }
        let n = key_line(text, from, key).or_else(|| key_line(text, from, &camel(key)))?;
        found = Some(n + 1);
        from = n + 1;
    }
    found
}

/// The 0-based line at or after `from`, within one SLO, where `key:` is written.
fn key_line(text: &str, from: usize, key: &str) -> Option<usize> {
    for (n, line) in text.lines().enumerate().skip(from) {
        let trimmed = line
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches('"');
        if line.trim_start().starts_with("- name:") || line.trim_start().starts_with("- {name:") {
            return None;
        }
        if trimmed.starts_with(&format!("{key}:")) || trimmed.starts_with(&format!("{key}\":")) {
            return Some(n);
        }
    }
    None
}

/// `page_alert` as `pageAlert`.
fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// The line of the `i`-th SLO's `name`, in a native or Sloth spec.
fn nth_slo_name_line(text: &str, i: usize) -> Option<usize> {
    let mut in_slos = false;
    let mut seen = 0usize;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("slos:") || trimmed.starts_with("\"slos\"") {
            in_slos = true;
            continue;
        }
        if in_slos
            && (trimmed.starts_with("- name:")
                || trimmed.starts_with("{\"name\"")
                || trimmed.starts_with("- {name:"))
        {
            if seen == i {
                return Some(n + 1);
            }
            seen += 1;
        }
    }
    None
}

#[cfg(all(test, feature = "tools"))]
mod tests;

#[cfg(all(test, not(feature = "tools")))]
mod without_tools {
    use super::*;

    #[test]
    fn a_service_reads_the_native_format_and_refuses_the_others_by_name() {
        let native = Spec::from_str(r#"{"service": "payments", "availability": 99.9}"#);
        assert_eq!(native.map(|s| s.slos.len()).ok(), Some(1));
        let sloth = "version: prometheus/v1\nservice: x\nslos: []\n";
        let err = Spec::from_str(sloth).expect_err("refused");
        assert!(err.to_string().contains("Sloth"), "{err}");
        let openslo = r#"{"apiVersion": "openslo/v1", "kind": "SLO"}"#;
        let err = Spec::from_str(openslo).expect_err("refused");
        assert!(err.to_string().contains("OpenSLO"), "{err}");
    }
}
