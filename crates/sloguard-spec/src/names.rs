//! Names that become Prometheus label and annotation names in the generated rules, checked
//! for every format in one place: what promtool would refuse, the spec refuses first, by
//! field, so `lint` and `rules` never pass a file Prometheus cannot load.
//!
//! ```
//! let spec = "service: x\nlabels: {bad-label: y}\nslos: [{name: a, objective: 99, sli: availability}]\n";
//! let error = sloguard_spec::Spec::from_str(spec).unwrap_err();
//! assert_eq!(error.field, "labels.bad-label");
//! ```

use std::collections::BTreeMap;

use crate::{Parts, SpecError};

/// Whether `name` is a label name Prometheus accepts: `[a-zA-Z_][a-zA-Z0-9_]*`, and not one
/// of the names beginning `__`, which Prometheus keeps for itself.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

fn check(map: &BTreeMap<String, String>, field: &str, what: &str) -> Result<(), SpecError> {
    match map.keys().find(|k| !is_label_name(k)) {
        None => Ok(()),
        Some(bad) => Err(SpecError::new(
            format!("{field}.{bad}"),
            format!("{bad:?} is not a Prometheus {what} name: letters, digits and _ only, not starting with a digit or __"),
        )),
    }
}

/// Checks every label and annotation name of a spec's parts. An info label (on
/// `sloth_slo_info` alone, as Sloth's `info_labels` plugin writes them) may be any name
/// Prometheus 3 accepts, with a note that older versions refuse it.
pub(crate) fn check_parts((_, labels, slos): &mut Parts) -> Result<(), SpecError> {
    check(labels, "labels", "label")?;
    for (i, slo) in slos.iter_mut().enumerate() {
        let at = |rest: &str| format!("slos[{i}].{rest}");
        check(&slo.labels, &at("labels"), "label")?;
        for name in slo.info_labels.keys().filter(|k| !is_label_name(k)) {
            if name.is_empty() || name.starts_with("__") {
                return Err(SpecError::new(
                    at(&format!("info_labels.{name}")),
                    format!("{name:?} is not a label name: empty, or starting with __ (kept for Prometheus itself)"),
                ));
            }
            slo.notes.push(format!("{}: {name:?} is a label name only from Prometheus 3.0 on (UTF-8 names); Prometheus 2 refuses the rule file", at(&format!("info_labels.{name}"))));
        }
        let a = &slo.alerting;
        check(&a.labels, &at("alerting.labels"), "label")?;
        check(&a.page_labels, &at("alerting.page_labels"), "label")?;
        check(&a.ticket_labels, &at("alerting.ticket_labels"), "label")?;
        check(&a.annotations, &at("alerting.annotations"), "annotation")?;
        check(
            &a.page_annotations,
            &at("alerting.page_annotations"),
            "annotation",
        )?;
        check(
            &a.ticket_annotations,
            &at("alerting.ticket_annotations"),
            "annotation",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_label_name;

    #[test]
    fn label_names_follow_prometheus() {
        for good in ["team", "_x", "a1_b", "sloth_id"] {
            assert!(is_label_name(good), "{good}");
        }
        for bad in ["", "1a", "bad-label", "a.b", "__name__", "é"] {
            assert!(!is_label_name(bad), "{bad}");
        }
    }
}
