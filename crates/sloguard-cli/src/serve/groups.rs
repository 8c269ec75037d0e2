//! Grouped SLOs (Pyrra's `grouping`) split at start: `serve` asks the engine which groups
//! each one has over its period and judges one SLO per group, one card, incident and
//! notification each, plus one SLO for any group that appears later
//! ([`sloguard::spec::groups`]). An engine that does not answer stops the start: judging the
//! groups' sum instead would hide one failing group among healthy ones.
//!
//! ```
//! use sloguard_cli::serve::groups::groups_query;
//!
//! let spec = sloguard::spec::Spec::from_str("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: api, namespace: shop}\nspec:\n  target: '99'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'http_requests_total{code=\"500\"}'}\n      total: {metric: 'http_requests_total'}\n      grouping: [handler]\n").unwrap();
//! assert_eq!(
//!     groups_query(&spec.slos[0]).unwrap(),
//!     "group by (handler) (sum by (handler) (rate(http_requests_total[4w])))"
//! );
//! ```

use sloguard::spec::groups::{split, Group};
use sloguard::spec::{Queries, SloSpec, Spec};
use sloguard_spec::query::with_window;
use sloguard_spec::rules::prometheus_duration;

use super::source::Source;
use super::{engine_client, Options, ServeError};

/// The most groups one SLO is split into: each is an SLO of its own (about 40 KB), and a
/// grouping with more values than this is one to narrow in the spec first.
pub const MAX_GROUPS: usize = 200;

/// The query that lists a grouped SLO's groups: its total over its period, grouped.
pub fn groups_query(slo: &SloSpec) -> Option<String> {
    if slo.grouping.is_empty() {
        return None;
    }
    let query = match slo.queries.as_ref()? {
        Queries::Events { total_query, .. } => total_query,
        Queries::Raw { error_ratio_query } => error_ratio_query,
    };
    let period = prometheus_duration(slo.definition.period());
    Some(format!(
        "group by ({}) ({})",
        slo.grouping.join(", "),
        with_window(query, &period)
    ))
}

/// `spec` with every grouped SLO split into its groups as the engine knows them at `at`
/// (Unix seconds); a spec without grouped SLOs comes back as it is, unasked.
pub async fn split_groups(spec: &Spec, options: &Options, at: i64) -> Result<Spec, ServeError> {
    if spec.slos.iter().all(|s| s.grouping.is_empty()) {
        return Ok(spec.clone());
    }
    let source = Source::new(
        &options.source,
        engine_client(options)?,
        options.query_timeout,
    )
    .map_err(ServeError::Source)?;
    let mut out = spec.clone();
    out.slos.clear();
    for slo in &spec.slos {
        let Some(query) = groups_query(slo) else {
            out.slos.push(slo.clone());
            continue;
        };
        let name = slo.definition.name();
        let on = slo.grouping.join(", ");
        let series = source.instant(&query, at).await.map_err(|e| {
            ServeError::Setup(format!(
                "SLO {name:?} is one SLO per value of {on}, and the engine was asked which values it has and did not answer ({e}); serve does not start rather than judge the groups' sum"
            ))
        })?;
        let mut groups: Vec<Group> = series
            .into_iter()
            .map(|s| {
                slo.grouping
                    .iter()
                    .map(|l| (l.clone(), s.labels.get(l).cloned().unwrap_or_default()))
                    .collect()
            })
            .collect();
        groups.sort();
        groups.dedup();
        if groups.len() > MAX_GROUPS {
            return Err(ServeError::Setup(format!(
                "SLO {name:?} has {} values of {on} over its period, more than the {MAX_GROUPS} SLOs serve splits one into: narrow its queries in the spec",
                groups.len()
            )));
        }
        eprintln!(
            "sloguard serve: SLO {name:?} judged as {} SLOs, one per value of {on} and one for values that appear later",
            groups.len() + 1
        );
        out.slos
            .extend(split(slo, &groups).map_err(|e| ServeError::Setup(e.to_string()))?);
    }
    Ok(out)
}
