//! Sloth's own rule form, for `rules --sloth-parity`: teams with dashboards, alert routes and
//! recorded history built on Sloth's output get the same expressions, groups and numbers.
//!
//! What parity gives up (each a deliberate difference of the default form, see the module
//! above): the period ratio is the average of 5m ratios, a window without traffic records NaN,
//! no minimum-traffic guards, one alert per severity (its tiers joined with `or`, no
//! `sloguard_tier` label), `>` thresholds, and alerts in a group of their own, one evaluation
//! behind the ratios they read. The annotations are worded by sloguard, and `sloth_version`
//! names sloguard.

use sloguard_core::contract::recording::{
    self, CURRENT_BURN_RATE, ERROR_BUDGET, OBJECTIVE, PERIOD_BUDGET_REMAINING, PERIOD_BURN_RATE,
    SLI_ERROR_PREFIX, TIME_PERIOD_DAYS,
};
use std::collections::BTreeMap;

use sloguard_core::contract;
use sloguard_core::model::{AlertTier, Severity};

use super::{prometheus_duration, promql_string, windows, Ctx, Group, Rule};
use crate::Queries;

/// A float as Go's `%v` writes it, which is how Sloth writes numbers: the shortest digits
/// that read back the same, with an exponent (two digits at least) below 1e-4 and from 1e21.
pub(super) fn go_float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exponent = v.abs().log10().floor() as i32;
    if (-4..21).contains(&exponent) {
        return format!("{v}");
    }
    let scientific = format!("{v:e}");
    let (mantissa, exp) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// The objective as Sloth holds it: the percentage the spec wrote, divided by 100 in binary
/// (so 99.9 is 0.9990000000000001, as in Sloth's files).
fn sloth_percent(ctx: &Ctx<'_>) -> f64 {
    let percent = ctx.slo.definition.objective().ratio() * 100.0;
    // The objective is kept as a ratio rounded to 12 decimals; its percentage is recovered to
    // the digits a spec can write.
    (percent * 1e10).round() / 1e10
}

impl Ctx<'_> {
    /// `{sloth_id="…", sloth_service="…", sloth_slo="…"}` as Sloth spaces it.
    fn sloth_ids(&self) -> String {
        format!(
            "{{sloth_id={}, sloth_service={}, sloth_slo={}}}",
            promql_string(&self.id),
            promql_string(&self.spec.service),
            promql_string(self.slo.definition.name())
        )
    }

    /// The error ratio over `window` in Sloth's form: no guard against an empty window.
    fn sloth_ratio(&self, window: &str) -> String {
        let with = |q: &str| q.replace(crate::query::WINDOW, window);
        match &self.slo.queries {
            None => format!(
                "(sum(rate({bad}{c}[{window}])))\n/\n(sum(rate({all}{c}[{window}])))\n",
                bad = contract::SLO_BAD_EVENTS.name,
                all = contract::SLO_EVENTS.name,
                c = self.counters
            ),
            Some(Queries::Events {
                error_query,
                total_query,
            }) => format!("({})\n/\n({})\n", with(error_query), with(total_query)),
            Some(Queries::Raw { error_ratio_query }) => format!("({})", with(error_ratio_query)),
        }
    }

    /// Sloth's alert labels: the alerting labels, the severity's, and `sloth_severity`; the
    /// SLO's identity comes with the series the expression keeps.
    fn sloth_alert(&self, severity: Severity, tiers: &[&AlertTier], budget: &str) -> Rule {
        let ids = self.sloth_ids();
        let pair = |tier: &AlertTier| {
            let factor = go_float(tier.burn_rate);
            let cond = |w| {
                format!(
                    "({SLI_ERROR_PREFIX}{}{ids} > ({factor} * {budget}))",
                    prometheus_duration(w)
                )
            };
            format!(
                "(\n    {}\n    and ignoring (sloth_window)\n    {}\n)",
                cond(tier.short_window),
                cond(tier.long_window)
            )
        };
        let expr = tiers
            .iter()
            .map(|t| pair(t))
            .collect::<Vec<_>>()
            .join("\nor ignoring (sloth_window)\n")
            + "\n";
        let meta = &self.slo.alerting;
        let (severity_labels, severity_annotations) = match severity {
            Severity::Page => (&meta.page_labels, &meta.page_annotations),
            Severity::Ticket => (&meta.ticket_labels, &meta.ticket_annotations),
        };
        let mut labels = meta.labels.clone();
        labels.extend(severity_labels.clone());
        labels.insert(recording::label::SEVERITY.into(), severity.as_str().into());
        let mut annotations = BTreeMap::new();
        annotations.insert(
            "title".into(),
            format!(
                "({}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}}: error budget burning too fast",
                severity.as_str()
            ),
        );
        annotations.insert(
            "summary".into(),
            "{{$labels.sloth_service}} {{$labels.sloth_slo}} spends its error budget faster than its alert windows allow.".into(),
        );
        if let Some(url) = &meta.runbook_url {
            annotations.insert("runbook_url".into(), url.clone());
        }
        annotations.extend(meta.annotations.clone());
        annotations.extend(severity_annotations.clone());
        Rule {
            record: None,
            alert: Some(super::alert_name(self.slo)),
            expr,
            pending: meta.pending(severity),
            labels,
            annotations,
        }
    }
}

/// The groups of one SLO in Sloth's form.
pub(super) fn groups(ctx: &Ctx<'_>) -> Vec<Group> {
    let def = &ctx.slo.definition;
    let ids = ctx.sloth_ids();
    let period = prometheus_duration(def.period());
    let options = ctx.options;

    let mut sli: Vec<Rule> = windows(ctx.slo)
        .into_iter()
        .map(|w| {
            let w = prometheus_duration(w);
            ctx.record(
                &format!("{SLI_ERROR_PREFIX}{w}"),
                ctx.sloth_ratio(&w),
                &[("sloth_window", &w)],
            )
        })
        .collect();
    // Sloth labels the period ratio with its window only: the rest comes with the 5m series.
    sli.push(Rule {
        record: Some(format!("{SLI_ERROR_PREFIX}{period}")),
        alert: None,
        pending: None,
        expr: format!(
            "sum_over_time({SLI_ERROR_PREFIX}5m{ids}[{period}])\n/ ignoring (sloth_window)\ncount_over_time({SLI_ERROR_PREFIX}5m{ids}[{period}])\n"
        ),
        labels: BTreeMap::from([("sloth_window".to_owned(), period.clone())]),
        annotations: BTreeMap::new(),
    });

    let percent = sloth_percent(ctx);
    let objective = go_float(percent / 100.0);
    let burn = |window: &str| {
        format!(
            "{SLI_ERROR_PREFIX}{window}{ids}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n{ERROR_BUDGET}{ids}\n"
        )
    };
    let mut meta = vec![
        ctx.record(OBJECTIVE, format!("vector({objective})"), &[]),
        ctx.record(ERROR_BUDGET, format!("vector(1-{objective})"), &[]),
        ctx.record(
            TIME_PERIOD_DAYS,
            format!(
                "vector({})",
                go_float(def.period().as_secs_f64() / 86_400.0)
            ),
            &[],
        ),
        ctx.record(CURRENT_BURN_RATE, burn("5m"), &[]),
        ctx.record(PERIOD_BURN_RATE, burn(&period), &[]),
        ctx.record(
            PERIOD_BUDGET_REMAINING,
            format!("1 - {PERIOD_BURN_RATE}{ids}"),
            &[],
        ),
    ];
    meta.push(ctx.info(&go_float(percent)));

    let budget = go_float((100.0 - percent) / 100.0);
    let mut alerts = Vec::new();
    if !options.disable_alerts {
        for severity in [Severity::Page, Severity::Ticket] {
            let tiers: Vec<&AlertTier> = def
                .alerting()
                .enabled_tiers()
                .filter(|t| t.severity == severity)
                .collect();
            if !tiers.is_empty() {
                alerts.push(ctx.sloth_alert(severity, &tiers, &budget));
            }
        }
    }
    if options.disable_recordings {
        sli.clear();
        meta.clear();
    }
    let intervals = ctx.slo.intervals;
    [
        ("sli-recordings", intervals.sli, sli),
        ("meta-recordings", intervals.meta, meta),
        ("alerts", intervals.alert, alerts),
    ]
    .into_iter()
    .filter(|(_, _, rules)| !rules.is_empty())
    .map(|(kind, every, rules)| Group {
        name: format!("sloth-slo-{kind}-{}", ctx.id),
        interval: every.map(prometheus_duration),
        rules,
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::go_float;

    #[test]
    fn numbers_are_written_as_go_writes_them() {
        assert_eq!(go_float(99.9 / 100.0), "0.9990000000000001");
        assert_eq!(go_float((100.0 - 99.9) / 100.0), "0.0009999999999999432");
        assert_eq!(go_float(14.4), "14.4");
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(30.0), "30");
        assert_eq!(go_float((100.0 - 99.999) / 100.0), "1.0000000000047748e-05");
        assert_eq!(go_float(0.0001), "0.0001");
    }
}
