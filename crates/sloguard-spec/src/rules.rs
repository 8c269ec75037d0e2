//! `sloguard rules`: Prometheus recording and alerting rules that compute, across every replica,
//! the SLOs the in-process engine computes in each one.
//!
//! (Over 400 lines: one rule file is generated here, recording and alerting rules together,
//! so every recording name they share is written once.)
//!
//! Recording rules keep Sloth's names and labels (`slo:sli_error:ratio_rate5m` …
//! `slo:period_error_budget_remaining:ratio`, `sloth_slo_info`; labels `sloth_id`,
//! `sloth_service`, `sloth_slo`, `sloth_window`) so Sloth dashboards work unchanged. Where Sloth
//! users have asked for more, the rules differ:
//! - the period ratio is request-weighted: the sum over the period of 5m event rates, bad over
//!   total, instead of an average of 5m ratios (which weighs a quiet night like a busy day);
//! - a window without traffic has no ratio sample at all (`> 0` on the denominator), so there
//!   is no NaN to chart and nothing to alert on;
//! - `min_events` and `min_bad_events` add minimum-traffic and minimum-failure guards to every
//!   alert (counted with `increase` over sloguard's counters, as the engine counts them);
//! - each tier is its own alert rule with a stable `sloguard_tier` label (`page-1h`) beside
//!   `sloth_severity`, so a page says which windows fired;
//! - thresholds are compared with `>=`, as the in-process engine does;
//! - alerts are evaluated in the same group as the SLI recordings they read, right after them,
//!   so they fire in the evaluation that first sees the burn, not one cycle later.
//!
//! `RuleOptions::sloth_parity` (`rules --sloth-parity`) writes Sloth's own form instead, for
//! teams that need byte-level parity with what they have (see `sloth_form`).
//!
//! Rules read sloguard's counters (`sloguard_slo_events_total`, `sloguard_slo_bad_events_total`)
//! or, for imported Sloth and OpenSLO specs, the spec's own queries.

use sloguard_core::contract::recording::{
    self, BAD_EVENTS_RATE5M, CURRENT_BURN_RATE, ERROR_BUDGET, EVENTS_RATE5M, OBJECTIVE,
    PERIOD_BUDGET_REMAINING, PERIOD_BURN_RATE, SLI_ERROR_PREFIX, TIME_PERIOD_DAYS,
};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::{Queries, SloSpec, Spec};
use serde::Serialize;
use sloguard_core::contract;
use sloguard_core::duration::format_duration;

mod fleet;
mod sloth_form;

pub(crate) use fleet::fleet_notes;

/// A window as Prometheus writes durations, which is how Sloth names its recordings
/// (`ratio_rate4w` for 28 days): years and weeks only when exact, then days, hours, minutes,
/// seconds and milliseconds.
pub fn prometheus_duration(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, scale, exact_only) in [
        ("y", 365 * 86_400_000, true),
        ("w", 7 * 86_400_000, true),
        ("d", 86_400_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1_000, false),
        ("ms", 1, false),
    ] {
        if exact_only && ms % scale != 0 {
            continue;
        }
        if ms >= scale {
            out.push_str(&format!("{}{unit}", ms / scale));
            ms %= scale;
        }
    }
    out
}
use sloguard_core::model::{AlertTier, Severity};

/// A Prometheus rule file.
#[derive(Debug, Serialize)]
pub struct RuleFile {
    /// The groups.
    pub groups: Vec<Group>,
}

/// One rule group.
#[derive(Debug, Serialize)]
pub struct Group {
    /// Sloth's group names: `sloth-slo-sli-recordings-ID` and so on.
    pub name: String,
    /// How often Prometheus evaluates the group, when the spec says (Sloth's `interval`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// A recording or alerting rule.
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Recording rules: the series written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Alerting rules: the alert name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The PromQL expression.
    pub expr: String,
    /// Alerts only: how long the condition must hold before the alert fires (Prometheus'
    /// `for`); none unless the spec asks (Sloth's `alert_for` plugin).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// Labels added.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations (alerts only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Escapes a string for a PromQL double-quoted literal.
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `sloth_id` of an SLO: `service-slo`.
pub fn sloth_id(service: &str, slo: &str) -> String {
    format!("{service}-{slo}")
}

/// The alert name of an SLO: the same one in-process notifications use
/// ([`SloDefinition::alert_name`](sloguard_core::model::SloDefinition::alert_name)).
pub fn alert_name(slo: &SloSpec) -> String {
    slo.definition.alert_name()
}

/// What Sloth's command line can change about a rule file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// Labels added to every rule (Sloth's `--extra-labels`).
    pub extra_labels: BTreeMap<String, String>,
    /// No alerting rules (Sloth's `--disable-alerts`).
    pub disable_alerts: bool,
    /// No recording rules, alerts only (Sloth's `--disable-recordings`): the recordings the
    /// alerts read must then come from elsewhere.
    pub disable_recordings: bool,
    /// Sloth's own rule form instead of sloguard's (`--sloth-parity`): the same expressions,
    /// groups and numbers Sloth writes, for byte-level parity with existing dashboards and
    /// alerts, giving up the differences listed at the top of this module.
    pub sloth_parity: bool,
}

struct Ctx<'a> {
    spec: &'a Spec,
    slo: &'a SloSpec,
    options: &'a RuleOptions,
    id: String,
    /// `{sloth_id="…",sloth_service="…",sloth_slo="…"}`
    ids: String,
    /// `{service="…",slo="…"}` for sloguard's counters.
    counters: String,
}

impl Ctx<'_> {
    fn labels(&self) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = self.options.extra_labels.clone();
        labels.extend(self.spec.labels.clone());
        labels.extend(self.slo.labels.clone());
        labels.insert("sloth_id".into(), self.id.clone());
        labels.insert("sloth_service".into(), self.spec.service.clone());
        labels.insert("sloth_slo".into(), self.slo.definition.name().to_owned());
        labels
    }

    fn record(&self, name: &str, expr: String, extra: &[(&str, &str)]) -> Rule {
        let mut labels = self.labels();
        for (k, v) in extra {
            labels.insert((*k).to_owned(), (*v).to_owned());
        }
        Rule {
            record: Some(name.to_owned()),
            alert: None,
            expr,
            pending: None,
            labels,
            annotations: BTreeMap::new(),
        }
    }

    /// `sloth_slo_info`, with the spec's info labels.
    fn info(&self, objective: &str) -> Rule {
        let version = format!("sloguard-{}", env!("CARGO_PKG_VERSION"));
        let mut info = self.record(
            "sloth_slo_info",
            "vector(1)".into(),
            &[
                ("sloth_mode", "cli-gen-prom"),
                ("sloth_spec", "prometheus/v1"),
                ("sloth_version", &version),
                ("sloth_objective", objective),
            ],
        );
        info.labels.extend(self.slo.info_labels.clone());
        info
    }

    /// The error ratio over `window`, absent without traffic (for a time-slice SLO, the
    /// share of bad slices).
    fn sli_ratio(&self, window: &Duration) -> String {
        if self.slo.definition.time_slices().is_some() {
            return self.slice_ratio(window);
        }
        self.ratio(&prometheus_duration(*window))
    }

    /// The error ratio of the events over `window`, absent without traffic.
    fn ratio(&self, window: &str) -> String {
        match &self.slo.queries {
            None => format!(
                "(sum(rate({bad}{c}[{window}])) / (sum(rate({all}{c}[{window}])) > 0))",
                bad = contract::SLO_BAD_EVENTS.name,
                all = contract::SLO_EVENTS.name,
                c = self.counters
            ),
            Some(Queries::Events {
                error_query,
                total_query,
            }) => format!(
                "(({}) / (({}) > 0))",
                error_query.replace("{{.window}}", window),
                total_query.replace("{{.window}}", window)
            ),
            Some(Queries::Raw { error_ratio_query }) => {
                format!("({})", error_ratio_query.replace("{{.window}}", window))
            }
        }
    }

    /// The event rate over `window`, when the SLI has one.
    fn events(&self, window: &str) -> Option<String> {
        match &self.slo.queries {
            None => Some(format!(
                "sum(rate({}{}[{window}]))",
                contract::SLO_EVENTS.name,
                self.counters
            )),
            Some(Queries::Events { total_query, .. }) => {
                Some(format!("({})", total_query.replace("{{.window}}", window)))
            }
            Some(Queries::Raw { .. }) => None,
        }
    }

    fn bad_events(&self, window: &str) -> Option<String> {
        match &self.slo.queries {
            None => Some(format!(
                "sum(rate({}{}[{window}]))",
                contract::SLO_BAD_EVENTS.name,
                self.counters
            )),
            Some(Queries::Events { error_query, .. }) => {
                Some(format!("({})", error_query.replace("{{.window}}", window)))
            }
            Some(Queries::Raw { .. }) => None,
        }
    }

    /// The number of events (or bad events) in `window`, for the alerts' minimum counts. Over
    /// sloguard's counters it is `increase`, which Prometheus does not extrapolate far past a
    /// series' start, so a young process's few minutes are not read as a full window of
    /// traffic; over imported rate queries it is the rate times the window, which is.
    fn count(&self, bad: bool, window: &Duration) -> Option<String> {
        let w = prometheus_duration(*window);
        if self.slo.definition.time_slices().is_some() {
            return Some(self.slice_total(bad, window));
        }
        match &self.slo.queries {
            None => Some(format!(
                "sum(increase({}{}[{w}]))",
                if bad {
                    contract::SLO_BAD_EVENTS.name
                } else {
                    contract::SLO_EVENTS.name
                },
                self.counters
            )),
            Some(_) => {
                let rate = if bad {
                    self.bad_events(&w)
                } else {
                    self.events(&w)
                }?;
                Some(format!("({rate}) * {}", window.as_secs()))
            }
        }
    }
}

/// The windows rules are recorded for: the ones the in-process engine evaluates.
pub fn windows(slo: &SloSpec) -> Vec<Duration> {
    slo.definition.evaluated_windows()
}

/// Formats a float for PromQL without losing digits.
fn num(v: f64) -> String {
    format!("{v:?}")
}

impl<'a> Ctx<'a> {
    fn new(spec: &'a Spec, slo: &'a SloSpec, options: &'a RuleOptions) -> Ctx<'a> {
        let def = &slo.definition;
        let id = sloth_id(&spec.service, def.name());
        Ctx {
            options,
            spec,
            slo,
            ids: format!(
                "{{sloth_id={},sloth_service={},sloth_slo={}}}",
                promql_string(&id),
                promql_string(&spec.service),
                promql_string(def.name())
            ),
            counters: format!(
                "{{{}={},{}={}}}",
                contract::label::SERVICE,
                promql_string(&spec.service),
                contract::label::SLO,
                promql_string(def.name())
            ),
            id,
        }
    }
}

fn slo_groups(spec: &Spec, slo: &SloSpec, options: &RuleOptions) -> Vec<Group> {
    let ctx = Ctx::new(spec, slo, options);
    let mut groups = if options.sloth_parity {
        sloth_form::groups(&ctx)
    } else {
        own_groups(&ctx)
    };
    groups.extend(total_amount_group(&ctx));
    groups
}

/// Sloth's `sli_total_amount` plugin: the total query over every window the SLI is recorded
/// for and over the period, as `slo:sli_total:amount<window>`, in a group of its own.
fn total_amount_group(ctx: &Ctx<'_>) -> Option<Group> {
    let slo = ctx.slo;
    if !slo.total_amount_records || ctx.options.disable_recordings {
        return None;
    }
    let mut every = windows(slo);
    every.push(slo.definition.period());
    every.dedup();
    let rules = every
        .into_iter()
        .map(|window| {
            let w = prometheus_duration(window);
            let total = match &slo.queries {
                Some(Queries::Events { total_query, .. }) => total_query.replace("{{.window}}", &w),
                _ => ctx.events(&w)?,
            };
            Some(ctx.record(&format!("slo:sli_total:amount{w}"), total, &[]))
        })
        .collect::<Option<Vec<Rule>>>()?;
    Some(Group {
        name: format!("sloth-slo-sli-total-amount-{}", ctx.id),
        interval: None,
        rules,
    })
}

fn own_groups(ctx: &Ctx<'_>) -> Vec<Group> {
    let (slo, options) = (ctx.slo, ctx.options);
    let def = &slo.definition;
    let budget = def.objective().error_budget();
    let (mut sli, mut meta) = (sli_rules(ctx), meta_rules(ctx));
    // Alerts go in the group of the SLI recordings they read, right after them: rules of one
    // group run in order, so an alert sees this cycle's ratios. (In a group of their own, as
    // Sloth writes them, they would read ratios one evaluation old, and fire a cycle late.)
    // A spec that gives the alerts an evaluation interval of their own gets them in a group
    // of their own, at that interval.
    let alerts: Vec<Rule> = def
        .alerting()
        .enabled_tiers()
        .filter(|_| !options.disable_alerts)
        .map(|tier| alert(ctx, tier, budget))
        .collect();
    if options.disable_recordings {
        sli.clear();
        meta.clear();
    }
    let slices = def.time_slices();
    let intervals = slo.intervals;
    let interval = |d: Option<Duration>| d.map(prometheus_duration);
    let separate_alerts = intervals.alert.is_some() && intervals.alert != intervals.sli;
    let mut groups = Vec::new();
    if let Some(slices) = slices.filter(|_| !options.disable_recordings) {
        groups.push(ctx.slice_group(slices));
    }
    let alert_group = if separate_alerts {
        Some(alerts)
    } else {
        sli.extend(alerts);
        None
    };
    for (kind, every, rules) in [
        ("sli-recordings", intervals.sli, sli),
        ("meta-recordings", intervals.meta, meta),
    ] {
        if !rules.is_empty() {
            groups.push(Group {
                name: format!("sloth-slo-{kind}-{}", ctx.id),
                interval: interval(every),
                rules,
            });
        }
    }
    if let Some(rules) = alert_group.filter(|r| !r.is_empty()) {
        groups.push(Group {
            name: format!("sloth-slo-alerts-{}", ctx.id),
            interval: interval(intervals.alert),
            rules,
        });
    }
    groups
}

/// The SLI recordings: the error ratio over every window the tiers and the period read, and
/// the 5m event rates the period ratio is summed from.
fn sli_rules(ctx: &Ctx<'_>) -> Vec<Rule> {
    let def = &ctx.slo.definition;
    let period = prometheus_duration(def.period());

    // SLI error ratios per window, and the 5m event rates the period ratio is summed from.
    let mut sli = Vec::new();
    for window in windows(ctx.slo) {
        let w = prometheus_duration(window);
        sli.push(ctx.record(
            &format!("{SLI_ERROR_PREFIX}{w}"),
            ctx.sli_ratio(&window),
            &[("sloth_window", &w)],
        ));
    }
    let slices = def.time_slices();
    let period_ratio = match (ctx.bad_events("5m"), ctx.events("5m")) {
        _ if slices.is_some() => ctx.slice_ratio(&def.period()),
        (Some(bad), Some(total)) => {
            sli.push(ctx.record(BAD_EVENTS_RATE5M, bad, &[]));
            sli.push(ctx.record(EVENTS_RATE5M, total, &[]));
            format!(
                "(sum_over_time({BAD_EVENTS_RATE5M}{ids}[{period}]) / (sum_over_time({EVENTS_RATE5M}{ids}[{period}]) > 0))",
                ids = ctx.ids
            )
        }
        // A raw ratio has no event counts to weigh by: average the 5m ratios, as Sloth does.
        _ => format!(
            "(sum_over_time({SLI_ERROR_PREFIX}5m{ids}[{period}]) / ignoring (sloth_window) count_over_time({SLI_ERROR_PREFIX}5m{ids}[{period}]))",
            ids = ctx.ids
        ),
    };
    sli.push(ctx.record(
        &format!("{SLI_ERROR_PREFIX}{period}"),
        period_ratio,
        &[("sloth_window", &period)],
    ));

    sli
}

/// The meta recordings: objective, budget, period, current and period burn rates, budget
/// remaining, the info series and the calendar rules.
fn meta_rules(ctx: &Ctx<'_>) -> Vec<Rule> {
    let def = &ctx.slo.definition;
    let slices = def.time_slices();
    let period = prometheus_duration(def.period());
    let budget = def.objective().error_budget();
    let on = "on (sloth_id, sloth_slo, sloth_service) group_left";
    let mut meta = vec![
        ctx.record(
            OBJECTIVE,
            format!("vector({})", num(def.objective().ratio())),
            &[],
        ),
        ctx.record(ERROR_BUDGET, format!("vector({})", num(budget)), &[]),
        ctx.record(
            TIME_PERIOD_DAYS,
            format!("vector({})", num(def.period().as_secs_f64() / 86_400.0)),
            &[],
        ),
        ctx.record(
            CURRENT_BURN_RATE,
            format!(
                "{SLI_ERROR_PREFIX}5m{ids} / {on} {ERROR_BUDGET}{ids}",
                ids = ctx.ids
            ),
            &[],
        ),
        ctx.record(
            PERIOD_BURN_RATE,
            format!(
                "{SLI_ERROR_PREFIX}{period}{ids} / {on} {ERROR_BUDGET}{ids}",
                ids = ctx.ids
            ),
            &[],
        ),
        ctx.record(
            PERIOD_BUDGET_REMAINING,
            format!("1 - {PERIOD_BURN_RATE}{}", ctx.ids),
            &[],
        ),
    ];
    meta.push(ctx.info(num(def.objective().percent()).trim_end_matches(".0")));
    if slices.is_none() && ctx.slo.queries.is_none() {
        meta.extend(ctx.calendar_rules());
    }

    meta
}

fn alert(ctx: &Ctx<'_>, tier: &AlertTier, budget: f64) -> Rule {
    let threshold = format!("({} * {})", num(tier.burn_rate), num(budget));
    let (long, short) = (
        prometheus_duration(tier.long_window),
        prometheus_duration(tier.short_window),
    );
    let condition = |w: &str| {
        format!(
            "max({SLI_ERROR_PREFIX}{w}{ids} >= {threshold}) without (sloth_window)",
            ids = ctx.ids
        )
    };
    let mut expr = format!("{}\nand\n{}", condition(&long), condition(&short));
    let policy = ctx.slo.definition.alerting();
    for (bad, minimum) in [(false, policy.min_events), (true, policy.min_bad_events)] {
        if minimum == 0 {
            continue;
        }
        if let Some(count) = ctx.count(bad, &tier.long_window) {
            // Each group's alert is guarded by that group's own events.
            let on = ctx.slo.grouping.join(", ");
            expr.push_str(&format!("\nand on ({on})\n({count} >= {minimum})"));
        }
    }
    let meta = &ctx.slo.alerting;
    let mut labels = ctx.labels();
    labels.extend(meta.labels.clone());
    let (severity_labels, severity_annotations) = match tier.severity {
        Severity::Page => (&meta.page_labels, &meta.page_annotations),
        Severity::Ticket => (&meta.ticket_labels, &meta.ticket_annotations),
    };
    labels.insert(
        recording::label::SEVERITY.into(),
        tier.severity.as_str().into(),
    );
    labels.insert(recording::label::TIER.into(), tier.id());
    labels.extend(severity_labels.clone());
    let mut annotations = BTreeMap::new();
    let slo_name = ctx.slo.definition.name();
    annotations.insert(
        "title".into(),
        format!(
            "(>= {}x burn over {long} and {short}) {} SLO error budget burn rate is too fast.",
            num(tier.burn_rate),
            slo_name
        ),
    );
    annotations.insert(
        "summary".into(),
        format!(
            "{} SLO of {} is spending its {} error budget {}x too fast: at this pace {:.0}% of it is gone within {long}.",
            slo_name,
            ctx.spec.service,
            format_duration(ctx.slo.definition.period()),
            num(tier.burn_rate),
            tier.budget_consumed_when_firing(ctx.slo.definition.period()) * 100.0
        ),
    );
    if let Some(url) = &meta.runbook_url {
        annotations.insert("runbook_url".into(), url.clone());
    }
    annotations.extend(meta.annotations.clone());
    annotations.extend(severity_annotations.clone());
    Rule {
        record: None,
        alert: Some(alert_name(ctx.slo)),
        expr,
        pending: meta.pending(tier.severity),
        labels,
        annotations,
    }
}

/// The rule file of a spec.
pub fn rule_file(spec: &Spec) -> RuleFile {
    rule_file_with(spec, &RuleOptions::default())
}

/// The rule file of a spec, with Sloth's command-line options.
pub fn rule_file_with(spec: &Spec, options: &RuleOptions) -> RuleFile {
    RuleFile {
        groups: spec
            .slos
            .iter()
            .flat_map(|slo| slo_groups(spec, slo, options))
            .collect(),
    }
}

/// How rules are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    /// A plain Prometheus rule file.
    Prometheus,
    /// A `PrometheusRule` for the Prometheus Operator.
    PrometheusOperator,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrometheusRule<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: OperatorMeta,
    spec: &'a RuleFile,
}

#[derive(Serialize)]
struct OperatorMeta {
    name: String,
    labels: BTreeMap<String, String>,
}

/// The rules of a spec as YAML.
pub fn render(spec: &Spec, format: RulesFormat) -> Result<String, serde_yaml_ng::Error> {
    render_all(std::slice::from_ref(spec), format)
}

/// The rules of several services' specs (a multi-document file) as YAML: one rule file with
/// every group, or one `PrometheusRule` document per service.
pub fn render_all(specs: &[Spec], format: RulesFormat) -> Result<String, serde_yaml_ng::Error> {
    render_all_with(specs, format, &RuleOptions::default())
}

/// [`render_all`] with Sloth's command-line options.
pub fn render_all_with(
    specs: &[Spec],
    format: RulesFormat,
    options: &RuleOptions,
) -> Result<String, serde_yaml_ng::Error> {
    let services: Vec<String> = specs.iter().map(|s| format!("{:?}", s.service)).collect();
    let header = format!(
        "# Generated by sloguard {} for service {}; do not edit.\n",
        env!("CARGO_PKG_VERSION"),
        services.join(", ")
    );
    let body = match format {
        RulesFormat::Prometheus => serde_yaml_ng::to_string(&RuleFile {
            groups: specs
                .iter()
                .flat_map(|s| rule_file_with(s, options).groups)
                .collect(),
        })?,
        RulesFormat::PrometheusOperator => {
            let mut documents = Vec::new();
            for spec in specs {
                documents.push(operator_document(spec, options)?);
            }
            documents.join("---\n")
        }
    };
    Ok(header + &body)
}

fn operator_document(spec: &Spec, options: &RuleOptions) -> Result<String, serde_yaml_ng::Error> {
    let file = rule_file_with(spec, options);
    let slug: String = spec
        .service
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = format!("{}-slos", slug.trim_matches('-'));
    let mut labels = BTreeMap::new();
    labels.insert("app.kubernetes.io/component".into(), "SLO".into());
    labels.insert("app.kubernetes.io/managed-by".into(), "sloguard".into());
    serde_yaml_ng::to_string(&PrometheusRule {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: OperatorMeta { name, labels },
        spec: &file,
    })
}
