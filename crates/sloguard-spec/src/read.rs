//! Reading a spec file whole: every YAML document of it (or one JSON document), each in the
//! format it declares, grouped into one [`Spec`] per service in the order services first
//! appear. A refusal names the document (when the file has several) and its format.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_yaml_ng::Value;

use crate::{Format, Parts, Spec, SpecError};

/// What Sloth SLOs are read with (their specs give no period).
#[cfg(feature = "tools")]
pub(crate) type Periods = crate::sloth_windows::SlothPeriods;
/// Without the tools, no Sloth spec is read.
#[cfg(not(feature = "tools"))]
pub(crate) type Periods = ();

/// Every service `text` describes; Sloth SLOs get the period and windows of `periods`.
#[cfg_attr(not(feature = "tools"), allow(unused_variables))]
pub(crate) fn read_all(text: &str, periods: &Periods) -> Result<Vec<Spec>, SpecError> {
    let documents = documents(text)?;
    let count = documents.len();
    let mut read = Vec::new();
    // Status pages of native documents: (service, page).
    let mut pages = Vec::new();
    #[cfg(feature = "tools")]
    let mut openslo = crate::openslo::Objects::default();
    for (index, value) in documents {
        let in_document = |e: SpecError| SpecError {
            document: e.document.or((count > 1).then_some(index + 1)),
            ..e
        };
        let format = detect(&value).map_err(in_document)?;
        let source = Source { text, index };
        let parts = match format {
            Format::Native => {
                let mut native = source.typed::<crate::native::NativeSpec>()?;
                if let Some(page) = native.status_page() {
                    pages.push(page.map_err(in_document)?);
                }
                Some(native.into_slos())
            }
            #[cfg(feature = "tools")]
            Format::Sloth => Some(
                source
                    .typed::<crate::sloth::SlothSpec>()?
                    .into_slos(periods),
            ),
            #[cfg(feature = "tools")]
            Format::SlothKubernetes => Some(
                source
                    .typed::<crate::sloth::SlothKubernetes>()?
                    .into_slos(periods),
            ),
            #[cfg(feature = "tools")]
            Format::OpenSloV1Alpha => Some(
                source
                    .typed::<crate::openslo_alpha::AlphaSlo>()?
                    .into_slos(),
            ),
            #[cfg(feature = "tools")]
            Format::Pyrra => Some(source.typed::<crate::pyrra::PyrraSlo>()?.into_slos()),
            #[cfg(feature = "tools")]
            Format::OpenSlo => {
                let failed = |e: SpecError| in_document(e.with_format(format));
                if value.is_sequence() {
                    openslo.add_list(index, source.typed().map_err(failed)?);
                } else {
                    openslo.add(index, source.typed().map_err(failed)?);
                }
                None
            }
            #[cfg(not(feature = "tools"))]
            other => return Err(in_document(crate::without_tools(other))),
        };
        if let Some(parts) = parts {
            let parts = parts
                .and_then(|mut p| crate::names::check_parts(&mut p).map(|()| p))
                .map_err(|e| in_document(e.with_format(format)))?;
            read.push((index, format, parts));
        }
    }
    #[cfg(feature = "tools")]
    for (document, parts) in openslo.resolve()? {
        let parts = parts
            .and_then(|mut p| crate::names::check_parts(&mut p).map(|()| p))
            .map_err(|e| SpecError {
                document: (count > 1).then_some(document + 1),
                ..e.with_format(Format::OpenSlo)
            })?;
        read.push((document, Format::OpenSlo, parts));
    }
    // OpenSLO objects are resolved once all are read: back to the order of the file.
    read.sort_by_key(|(document, _, _)| *document);
    if count > 1 {
        for (document, _, (_, _, slos)) in &mut read {
            for slo in slos {
                slo.document = Some(*document + 1);
            }
        }
    }
    if read.is_empty() {
        return Err(SpecError::new(
            "",
            "the file defines no SLO (an OpenSLO file needs at least one `kind: SLO` object)",
        ));
    }
    let mut specs = group(
        read.into_iter()
            .map(|(_, format, parts)| (format, parts))
            .collect(),
    )?;
    for (service, page) in pages {
        if let Some(spec) = specs.iter_mut().find(|s| s.service == service) {
            crate::native::check_status_page(&page, spec)?;
            spec.status_page = Some(page);
        }
    }
    Ok(specs)
}

/// The documents of `text` that hold something (an empty document, as a trailing `---`
/// makes, is skipped), with their 0-based index among all documents.
fn documents(text: &str) -> Result<Vec<(usize, Value)>, SpecError> {
    let mut out = Vec::new();
    if is_json(text) {
        let value: Value = serde_json::from_str(text).map_err(crate::json_error)?;
        out.push((0, value));
    } else {
        let several = several_documents(text);
        // One at a time, stopping at the first error: after a syntax error the document
        // iterator has no next document to find.
        for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let value =
                <Value as serde::Deserialize>::deserialize(document).map_err(|e| SpecError {
                    document: several.then_some(index + 1),
                    ..crate::yaml_error(e, "")
                })?;
            if !value.is_null() {
                out.push((index, value));
            }
        }
    }
    if out.is_empty() {
        return Err(SpecError::new("", "the spec is empty"));
    }
    Ok(out)
}

/// Whether a YAML text has a document separator after its first document.
fn several_documents(text: &str) -> bool {
    text.lines()
        .skip_while(|l| l.trim().is_empty() || l.starts_with('#') || l.starts_with('%'))
        .skip(1)
        .any(|l| l == "---" || l.starts_with("--- "))
}

pub(crate) fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// One document of the text, read into a typed structure with the position of any error.
struct Source<'a> {
    text: &'a str,
    index: usize,
}

impl Source<'_> {
    fn typed<T: DeserializeOwned>(&self) -> Result<T, SpecError> {
        if is_json(self.text) {
            return crate::typed_json(self.text);
        }
        let Some(document) = serde_yaml_ng::Deserializer::from_str(self.text).nth(self.index)
        else {
            return Err(SpecError::new("", "the spec is empty"));
        };
        serde_path_to_error::deserialize(document).map_err(|e| {
            let path = e.path().to_string();
            crate::yaml_error(e.into_inner(), &path)
        })
    }
}

fn text_of<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// The format a document declares.
fn detect(value: &Value) -> Result<Format, SpecError> {
    if let Value::Sequence(items) = value {
        // OpenSLO publishes objects as a YAML list.
        let versions: Vec<_> = items.iter().map(|i| text_of(i, "apiVersion")).collect();
        if !versions.is_empty() && versions.iter().all(|v| *v == Some("openslo/v1")) {
            return Ok(Format::OpenSlo);
        }
        return Err(SpecError::new(
            "",
            "a list of objects is read as OpenSLO v1 only, and every item needs `apiVersion: openslo/v1`",
        ));
    }
    if !value.is_mapping() {
        return Err(SpecError::new(
            "",
            "a spec is a mapping (service, slos, ...), or an OpenSLO list of objects",
        ));
    }
    if let Some(api_version) = value.get("apiVersion") {
        let kind = text_of(value, "kind").unwrap_or_default();
        let want_kind = |format: Format, expected: &str| {
            if kind == expected {
                Ok(format)
            } else {
                Err(SpecError::new(
                    "kind",
                    format!(
                        "kind {kind:?} of {} is not a spec sloguard reads; expected `kind: {expected}`",
                        api_version.as_str().unwrap_or_default()
                    ),
                ))
            }
        };
        return match api_version.as_str().unwrap_or_default() {
            "openslo/v1" => Ok(Format::OpenSlo),
            "openslo/v1alpha" => want_kind(Format::OpenSloV1Alpha, "SLO"),
            "pyrra.dev/v1alpha1" => want_kind(Format::Pyrra, "ServiceLevelObjective"),
            "sloth.slok.dev/v1" if kind == "AlertWindows" => Err(SpecError::new(
                "kind",
                "this is a Sloth AlertWindows file, not a spec: put it in a directory given to `sloguard rules --slo-period-windows-path DIR`",
            )),
            "sloth.slok.dev/v1" if kind == "ManagedPrometheusServiceLevel" => {
                Ok(Format::SlothKubernetes)
            }
            "sloth.slok.dev/v1" => want_kind(Format::SlothKubernetes, "PrometheusServiceLevel"),
            other => Err(SpecError::new(
                "apiVersion",
                format!(
                    "apiVersion {other:?} is not one sloguard reads; it reads openslo/v1, openslo/v1alpha, sloth.slok.dev/v1 (PrometheusServiceLevel), pyrra.dev/v1alpha1 (ServiceLevelObjective), Sloth's `version: prometheus/v1` and its own format"
                ),
            )),
        };
    }
    match value.get("version") {
        Some(v) if v.as_str() == Some("prometheus/v1") => Ok(Format::Sloth),
        Some(v) if v.as_str().is_some_and(|v| v.starts_with("prometheus/")) => Err(SpecError::new(
            "version",
            format!(
                "Sloth spec version {} is not supported; expected \"prometheus/v1\"",
                serde_json::to_string(v).unwrap_or_default()
            ),
        )),
        // The native format checks its own `version`.
        _ => Ok(Format::Native),
    }
}

/// One spec per service: documents of the same service are merged. Labels that the documents
/// of one service give differently stay with the SLOs of each document.
fn group(read: Vec<(Format, Parts)>) -> Result<Vec<Spec>, SpecError> {
    let mut specs: Vec<Spec> = Vec::new();
    for (format, (service, labels, slos)) in read {
        match specs.iter_mut().find(|s| s.service == service) {
            Some(spec) => {
                if spec.labels != labels {
                    for slo in spec.slos.iter_mut() {
                        fold(&spec.labels, &mut slo.labels);
                    }
                    spec.labels.clear();
                }
                let mut slos = slos;
                for slo in slos.iter_mut() {
                    fold(&labels, &mut slo.labels);
                }
                spec.slos.extend(slos);
            }
            None => specs.push(Spec {
                service,
                labels,
                slos,
                format,
                status_page: None,
            }),
        }
    }
    for spec in &specs {
        crate::unique_names(spec)?;
    }
    Ok(specs)
}

/// `outer` labels under `inner` ones (an SLO's own label wins).
fn fold(outer: &BTreeMap<String, String>, inner: &mut BTreeMap<String, String>) {
    for (k, v) in outer {
        inner.entry(k.clone()).or_insert_with(|| v.clone());
    }
}
