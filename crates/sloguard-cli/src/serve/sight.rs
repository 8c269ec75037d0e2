//! What the engine cannot see, per SLO, after each read: no series at all (the SLO is blind:
//! `no_data`, its alerts held), or scrape targets of its jobs down (`up == 0`): some down is a
//! `targets_down` diagnostic that says how many of how many, all down is blind too.
//!
//! An SLO's jobs are the `job` labels of its own series (sloguard's counters) and the jobs
//! its imported queries name (`job="…"`); an imported SLI that names no job is judged by its
//! series alone.
//!
//! ```
//! use sloguard_cli::serve::sight::targets_of;
//! use sloguard_cli::serve::source::Series;
//! use std::collections::BTreeSet;
//!
//! let up = |job: &str, value: f64| Series { labels: [("job".to_owned(), job.to_owned())].into(), points: vec![(0, value)] };
//! let targets = [up("payments", 1.0), up("payments", 0.0), up("search", 0.0)];
//! let jobs: BTreeSet<String> = ["payments".to_owned()].into();
//! assert_eq!(targets_of(&targets, &jobs), (1, 2));
//! ```

use std::collections::BTreeSet;

use sloguard::diagnostic::{code, Diagnostic};
use sloguard::Registry;

use super::counts::{Plan, Seen};
use super::source::Series;

/// Of the `up` series `targets`, those of `jobs`: (down, all).
pub fn targets_of(targets: &[Series], jobs: &BTreeSet<String>) -> (usize, usize) {
    targets
        .iter()
        .filter(|t| t.labels.get("job").is_some_and(|j| jobs.contains(j)))
        .fold((0, 0), |(down, all), t| {
            let up = t.points.last().is_some_and(|(_, v)| *v >= 1.0);
            (down + usize::from(!up), all + 1)
        })
}

/// Judges every SLO's sight from the last read and the targets' `up`: sets each blind or
/// not, and reports or withdraws its diagnostics. Returns how many are blind.
pub fn judge(registry: &Registry, plan: &Plan, seen: &Seen, targets: Option<&[Series]>) -> usize {
    let mut blind = 0;
    for (i, name) in plan.names().iter().enumerate() {
        let jobs = seen.jobs.get(i).cloned().unwrap_or_default();
        let (down, all) = targets.map_or((0, 0), |t| targets_of(t, &jobs));
        let named = jobs
            .iter()
            .map(|j| format!("{j:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut why = None;
        if down > 0 {
            registry.report(Diagnostic::slo(
                code::TARGETS_DOWN,
                name,
                format!(
                    "{down} of {all} scrape targets of job {named} are down (up == 0): the figures miss their events until they are scraped again"
                ),
            ));
            if down == all {
                why = Some(format!("all {all} scrape targets of job {named} are down"));
            }
        } else {
            registry.withdraw(code::TARGETS_DOWN, Some(name));
        }
        if seen.present.get(i).copied().unwrap_or(false) || plan.quiet_is_normal(i) {
            registry.withdraw(code::SOURCE_NO_SERIES, Some(name));
        } else {
            registry.report(Diagnostic::slo(
                code::SOURCE_NO_SERIES,
                name,
                "the metrics engine has no series for this SLO at the latest step: are its targets scraped, and do its queries (or sloguard's counters with its service and SLO labels) match?",
            ));
            why.get_or_insert_with(|| "the metrics engine has no series for it".to_owned());
        }
        blind += usize::from(why.is_some());
        registry.set_blind(name, why);
    }
    blind
}
