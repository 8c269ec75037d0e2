//! A grouped SLO (Pyrra's `grouping`) split into one SLO per group, for what judges SLOs one
//! by one (`sloguard serve`'s pages, incidents and notifications). The generated rules keep
//! the grouped SLO whole: its queries sum `by` the labels, so Prometheus keeps the groups apart.
//!
//! Each known group gets the grouped queries narrowed to it (`and on (labels)` a vector of its
//! label values), so nothing in a query is rewritten; one more SLO, "other", keeps every group
//! that was not known when the split was made (`unless on (labels)` the known ones), so a group
//! that appears later is judged too, never silently left out.
//!
//! ```
//! use std::collections::BTreeMap;
//! use sloguard_spec::{groups, Queries, Spec};
//!
//! let spec = Spec::from_str("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api, namespace: shop}\nspec:\n  target: '99'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'http_requests_total{code=\"500\"}'}\n      total: {metric: 'http_requests_total'}\n      grouping: [handler]\n").unwrap();
//! let pay = BTreeMap::from([("handler".to_owned(), "/pay".to_owned())]);
//! let split = groups::split(&spec.slos[0], &[pay]).unwrap();
//! let names: Vec<&str> = split.iter().map(|s| s.definition.name()).collect();
//! assert_eq!(names, ["api handler=/pay", "api (other handler)"]);
//! assert_eq!(split[0].definition.alert_name(), spec.slos[0].definition.alert_name());
//! let Some(Queries::Events { total_query, .. }) = &split[0].queries else { unreachable!() };
//! assert!(total_query.starts_with("sum((sum by (handler) (rate("), "{total_query}");
//! ```

use std::collections::BTreeMap;

use crate::rules::promql_string;
use crate::{Queries, SloSpec, SpecError};

/// One group: its value of each grouping label.
pub type Group = BTreeMap<String, String>;

/// `slo` as one SLO per group of `known`, then one for every other group; an SLO that is not
/// grouped comes back as it is.
pub fn split(slo: &SloSpec, known: &[Group]) -> Result<Vec<SloSpec>, SpecError> {
    if slo.grouping.is_empty() {
        return Ok(vec![slo.clone()]);
    }
    let on = slo.grouping.join(", ");
    let mut out = Vec::new();
    for group in known {
        let values: Vec<String> = slo
            .grouping
            .iter()
            .map(|l| format!("{l}={}", group.get(l).map_or("", String::as_str)))
            .collect();
        let name = format!("{} {}", slo.definition.name(), values.join(" "));
        let narrow =
            |agg: &str, q: &str| format!("{agg}(({q}) and on ({on}) {})", vector_of(&[group]));
        let mut one = narrowed(slo, name, narrow)?;
        one.labels
            .extend(group.iter().map(|(k, v)| (k.clone(), v.clone())));
        out.push(one);
    }
    let name = format!("{} (other {})", slo.definition.name(), on);
    let known_vector = (!known.is_empty()).then(|| vector_of(&known.iter().collect::<Vec<_>>()));
    let rest = |agg: &str, q: &str| match &known_vector {
        Some(v) => format!("{agg}(({q}) unless on ({on}) {v})"),
        None => format!("{agg}({q})"),
    };
    let mut later = narrowed(slo, name, rest)?;
    later.definition = later.definition.quiet_is_normal();
    out.push(later);
    Ok(out)
}

/// `slo` renamed, its queries passed through `narrow` with the aggregation that keeps their
/// meaning (events add up; ratios of the groups kept are averaged, one group's being its own),
/// ungrouped.
fn narrowed(
    slo: &SloSpec,
    name: String,
    narrow: impl Fn(&str, &str) -> String,
) -> Result<SloSpec, SpecError> {
    let definition = slo
        .definition
        .renamed(name)
        .map_err(|e| SpecError::new("name", e.reason()))?;
    let queries = slo.queries.as_ref().map(|q| match q {
        Queries::Events {
            error_query,
            total_query,
        } => Queries::Events {
            error_query: narrow("sum", error_query),
            total_query: narrow("sum", total_query),
        },
        Queries::Raw { error_ratio_query } => Queries::Raw {
            error_ratio_query: narrow("avg", error_ratio_query),
        },
    });
    Ok(SloSpec {
        definition,
        queries,
        grouping: Vec::new(),
        ..slo.clone()
    })
}

/// A vector with one series per group, carrying exactly the group's labels: `label_replace`
/// over `vector(1)`, joined with `or`.
fn vector_of(groups: &[&Group]) -> String {
    let one = |group: &Group| {
        group
            .iter()
            .fold("vector(1)".to_owned(), |inner, (label, value)| {
                format!(
                    "label_replace({inner}, {}, {}, \"\", \"\")",
                    promql_string(label),
                    promql_string(value)
                )
            })
    };
    let parts: Vec<String> = groups.iter().map(|g| one(g)).collect();
    format!("({})", parts.join(" or "))
}
