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

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;
use sloguard_core::model::{SloBuilder, SloDefinition};
use sloguard_core::{Registry, SloRecorder};

#[cfg(feature = "tools")]
pub mod dashboard;
mod error;
#[cfg(feature = "tools")]
pub mod lint;
pub mod native;
#[cfg(feature = "tools")]
pub mod openslo;
#[cfg(feature = "tools")]
pub mod rules;
#[cfg(feature = "tools")]
pub mod sloth;
mod values;

pub use error::SpecError;

/// What each format's reader produces: service, labels and SLOs.
pub(crate) type Parts = (String, BTreeMap<String, String>, Vec<SloSpec>);

/// Which format a spec was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// sloguard's own.
    Native,
    /// Sloth `prometheus/v1`.
    Sloth,
    /// OpenSLO v1.
    OpenSlo,
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

impl Spec {
    /// Reads a spec from text (YAML, or JSON when it starts with `{`).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Spec, SpecError> {
        parse(text).map_err(|e| locate(e, text))
    }

    /// Reads a spec file; errors name the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Spec, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            file: Some(path.to_owned()),
            ..SpecError::new("", format!("cannot read the spec: {e}"))
        })?;
        Spec::from_str(&text).map_err(|e| SpecError {
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
        self.slos
            .iter()
            .enumerate()
            .map(|(i, slo)| {
                registry
                    .register(slo.definition.clone())
                    .map_err(|e| SpecError::new(format!("slos[{i}].name"), e.to_string()))
            })
            .collect()
    }

    /// A registry for the spec's service with every SLO registered.
    pub fn registry(&self) -> Result<Registry, SpecError> {
        let registry = Registry::builder(self.service.clone()).build();
        self.register(&registry)?;
        Ok(registry)
    }
}

fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// What tells the formats apart.
#[derive(serde::Deserialize)]
struct Probe {
    #[serde(default)]
    version: Option<serde_yaml_ng::Value>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<serde_yaml_ng::Value>,
}

/// Refuses a foreign format when the tools that import it are not compiled in.
#[cfg(not(feature = "tools"))]
fn without_tools(format: Format) -> Result<Spec, SpecError> {
    let name = match format {
        Format::Sloth => "a Sloth prometheus/v1 spec",
        Format::OpenSlo => "an OpenSLO spec",
        Format::Native => "a native spec",
    };
    Err(SpecError::new(
        "",
        format!("this is {name}; a service reads the native format only: generate the native spec with the `sloguard` command, or build with sloguard-spec's `tools` feature"),
    ))
}

fn parse(text: &str) -> Result<Spec, SpecError> {
    if is_json(text) {
        let probe: Probe = serde_json::from_str(text).map_err(json_error)?;
        return match kind(&probe) {
            Format::Native => finish(
                Format::Native,
                typed_json::<native::NativeSpec>(text)?.into_slos()?,
            ),
            #[cfg(feature = "tools")]
            Format::Sloth => finish(
                Format::Sloth,
                typed_json::<sloth::SlothSpec>(text)?.into_slos()?,
            ),
            #[cfg(feature = "tools")]
            Format::OpenSlo => {
                let (service, slo) = typed_json::<openslo::OpenSloDoc>(text)?.into_slo(0)?;
                finish(Format::OpenSlo, (service, BTreeMap::new(), vec![slo]))
            }
            #[cfg(not(feature = "tools"))]
            other => without_tools(other),
        };
    }
    let first = serde_yaml_ng::Deserializer::from_str(text).next();
    let Some(first) = first else {
        return Err(SpecError::new("", "the spec is empty"));
    };
    let probe: Probe =
        <Probe as serde::Deserialize>::deserialize(first).map_err(|e| yaml_error(e, ""))?;
    match kind(&probe) {
        Format::Native => finish(
            Format::Native,
            typed_yaml::<native::NativeSpec>(text)?.into_slos()?,
        ),
        #[cfg(feature = "tools")]
        Format::Sloth => finish(
            Format::Sloth,
            typed_yaml::<sloth::SlothSpec>(text)?.into_slos()?,
        ),
        #[cfg(not(feature = "tools"))]
        other => without_tools(other),
        #[cfg(feature = "tools")]
        Format::OpenSlo => {
            let mut service: Option<String> = None;
            let mut slos = Vec::new();
            for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
                let parsed: openslo::OpenSloDoc =
                    serde_path_to_error::deserialize(doc).map_err(|e| {
                        let path = e.path().to_string();
                        yaml_error(e.into_inner(), &path)
                    })?;
                let (s, slo) = parsed.into_slo(i)?;
                match &service {
                    Some(known) if *known != s => {
                        return Err(SpecError::new(
                            format!("document {}: spec.service", i + 1),
                            format!("all SLOs of one file must belong to one service; found {known:?} and {s:?}"),
                        ))
                    }
                    _ => service = Some(s),
                }
                slos.push(slo);
            }
            finish(
                Format::OpenSlo,
                (service.unwrap_or_default(), BTreeMap::new(), slos),
            )
        }
    }
}

fn kind(probe: &Probe) -> Format {
    if probe.api_version.is_some() {
        Format::OpenSlo
    } else if probe
        .version
        .as_ref()
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.starts_with("prometheus/"))
    {
        Format::Sloth
    } else {
        Format::Native
    }
}

fn finish(
    format: Format,
    (service, labels, slos): (String, BTreeMap<String, String>, Vec<SloSpec>),
) -> Result<Spec, SpecError> {
    let mut seen = std::collections::HashSet::new();
    for (i, slo) in slos.iter().enumerate() {
        if !seen.insert(slo.definition.name().to_owned()) {
            return Err(SpecError::new(
                format!("slos[{i}].name"),
                format!(
                    "two SLOs are named {:?}; names must be unique within a service",
                    slo.definition.name()
                ),
            ));
        }
    }
    Ok(Spec {
        service,
        labels,
        slos,
        format,
    })
}

fn typed_json<T: DeserializeOwned>(text: &str) -> Result<T, SpecError> {
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

fn typed_yaml<T: DeserializeOwned>(text: &str) -> Result<T, SpecError> {
    let Some(doc) = serde_yaml_ng::Deserializer::from_str(text).next() else {
        return Err(SpecError::new("", "the spec is empty"));
    };
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        yaml_error(e.into_inner(), &path)
    })
}

fn json_error(e: serde_json::Error) -> SpecError {
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

fn yaml_error(e: serde_yaml_ng::Error, path: &str) -> SpecError {
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

/// Gives errors found after parsing (they have a field but no position) the line of the SLO
/// they concern, found by its name, when the text says it once.
fn locate(mut e: SpecError, text: &str) -> SpecError {
    if e.line.is_some() {
        return e;
    }
    let key = e.field.split('.').next().unwrap_or_default().to_owned();
    let needle = if let Some(index) = key.strip_prefix("slos[").and_then(|k| k.strip_suffix(']')) {
        index
            .parse::<usize>()
            .ok()
            .and_then(|i| nth_slo_name_line(text, i))
    } else if !key.is_empty() {
        text.lines()
            .position(|l| l.trim_start().trim_start_matches('"').starts_with(&key))
            .map(|l| l + 1)
    } else {
        None
    };
    e.line = needle;
    e
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
