//! The native spec format.
//!
//! ```yaml
//! service: payments
//! labels: {team: payments}
//! slos:
//!   - name: latency
//!     description: Payments answer within 300 ms.
//!     objective: 99          # percent
//!     period: 30d            # default 30d
//!     sli: {latency: {threshold: 300ms}}   # or: sli: availability
//!     # fleet rules from a native histogram instead of sloguard's counters:
//!     # sli: {latency: {threshold: 300ms, native_histogram: 'http_server_request_duration_seconds{job="payments"}'}}
//!     operations: {routes: [/pay]}         # or {prefix: /api/}, or all (default)
//!     cancelled: exclude                   # or bad
//!     maintenance: exclude                 # or count: events in maintenance windows count
//!     calendars: [{period: month, zone: Europe/Paris}]  # week (first_day), month, quarter
//!     sla: {objective: 99.5, period: month, zone: Europe/Paris}  # met / at risk / breached
//!     time_slices: {length: 1m, objective: 95, empty: skip}  # budgets count minutes; or empty: bad
//!     # or {length: 1m, rule: ratio}: each minute counts its share of good events
//!     alerting:
//!       name: PaymentsLatency
//!       runbook_url: https://runbooks.example/payments-latency
//!       min_events: 100      # no alert on fewer events in the long window
//!       min_bad_events: 10   # nor on fewer bad events (the default)
//!       window: month        # notifications quote this calendar window's budget
//!       disable: [ticket-3d]               # tier ids, or `page` / `ticket`
//!       labels: {team: payments}
//!       annotations: {dashboard: https://grafana.example/d/payments}
//! status_page:               # the customer page /status and /api/v2/*.json
//!   title: Acme Payments
//!   url: https://status.acme.example   # page.url in /api/v2/*.json (default /status)
//!   components: [{name: Card payments, slos: [latency], description: Paying by card}]
//!   words: {degraded_performance: Slower than usual}   # per state; also operational,
//!                              # partial_outage, major_outage, no_data, under_maintenance
//! ```
//!
//! The shortest forms: `{"service": "API de pagamentos", "availability": 99.9}` and
//! `{"service": "x", "latency": {"threshold": "300ms", "objective": 99}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use sloguard_core::model::{
    AlertPolicy, AlertTier, Calendar, CalendarUnit, CancelledPolicy, ComponentState, EmptySlices,
    Selector, Severity, Sla, Slo, SloBuilder, StatusComponent, StatusPage, TimeSlices, Weekday,
};

use super::values::{DurationText, Either, ObjectiveOrMap, Percent};
use super::{AlertingMeta, Parts, SloSpec, SpecError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NativeSpec {
    #[serde(default)]
    version: Option<String>,
    service: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    slos: Vec<NativeSlo>,
    #[serde(default)]
    availability: Option<ObjectiveOrMap<AvailabilityShort>>,
    #[serde(default)]
    latency: Option<LatencyShort>,
    #[serde(default)]
    status_page: Option<StatusPageSpec>,
}

/// The customer status page: `{title, components: [{name, slos, description}], words}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusPageSpec {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    components: Vec<ComponentSpec>,
    #[serde(default)]
    words: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentSpec {
    name: String,
    slos: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

/// Every SLO a component names must be one of the spec's.
pub(crate) fn check_status_page(page: &StatusPage, spec: &crate::Spec) -> Result<(), SpecError> {
    for (i, c) in page.components.iter().enumerate() {
        if c.slos.is_empty() {
            return Err(SpecError::new(
                format!("status_page.components[{i}].slos"),
                "a component needs at least one SLO to be judged by",
            ));
        }
        for (j, name) in c.slos.iter().enumerate() {
            if !spec.slos.iter().any(|s| s.definition.name() == name) {
                let known: Vec<&str> = spec.slos.iter().map(|s| s.definition.name()).collect();
                return Err(SpecError::new(
                    format!("status_page.components[{i}].slos[{j}]"),
                    format!(
                        "no SLO is named {name:?} (the spec has: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityShort {
    objective: Percent,
    #[serde(default)]
    period: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyShort {
    threshold: DurationText,
    objective: Percent,
    #[serde(default)]
    period: Option<DurationText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NativeSlo {
    name: String,
    #[serde(default)]
    description: Option<String>,
    objective: Percent,
    #[serde(default)]
    period: Option<DurationText>,
    // `singleton_map` reads `{latency: {...}}` (and a plain `availability`) in YAML and JSON
    // alike, instead of YAML tags.
    #[serde(with = "serde_yaml_ng::with::singleton_map")]
    sli: SliSpec,
    #[serde(default, with = "serde_yaml_ng::with::singleton_map")]
    operations: Option<OperationsSpec>,
    #[serde(default)]
    cancelled: Option<CancelledSpec>,
    #[serde(default)]
    maintenance: Option<MaintenanceSpec>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    alerting: Option<AlertingSpec>,
    #[serde(default)]
    calendars: Vec<CalendarSpec>,
    #[serde(default)]
    sla: Option<SlaSpec>,
    #[serde(default)]
    time_slices: Option<TimeSlicesSpec>,
}

/// `{length: 1m, objective: 95, empty: skip}`: a slice is good when `objective`% of its
/// events are; `{length: 1m, rule: ratio}`: each slice counts its share of good events.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeSlicesSpec {
    length: DurationText,
    /// A percentage; unlike an SLO's objective it may be 100 (checked by the engine).
    #[serde(default)]
    objective: Option<f64>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    empty: Option<String>,
}

/// A calendar compliance window: `{period: month, zone: Europe/Paris}`; weeks may give
/// `first_day` (ISO weeks start on Monday).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpec {
    period: String,
    #[serde(default = "utc")]
    zone: String,
    #[serde(default)]
    first_day: Option<String>,
}

fn utc() -> String {
    "UTC".to_owned()
}

/// `{objective: 99.5, period: month, zone: UTC}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaSpec {
    objective: Percent,
    #[serde(flatten)]
    calendar: CalendarSpec,
}

impl CalendarSpec {
    fn calendar(&self, field: &str) -> Result<Calendar, SpecError> {
        let unit = match (self.period.as_str(), &self.first_day) {
            ("week", first) => CalendarUnit::Week(match first {
                None => Weekday::Monday,
                Some(day) => Weekday::parse(day).ok_or_else(|| {
                    SpecError::new(
                        format!("{field}.first_day"),
                        format!("{day:?} is not a day of the week (monday … sunday)"),
                    )
                })?,
            }),
            ("month", None) => CalendarUnit::Month,
            ("quarter", None) => CalendarUnit::Quarter,
            ("month" | "quarter", Some(_)) => {
                return Err(SpecError::new(
                    format!("{field}.first_day"),
                    "first_day applies to weeks only",
                ))
            }
            (other, _) => {
                return Err(SpecError::new(
                    format!("{field}.period"),
                    format!("calendar period {other:?}: write week, month or quarter (a rolling period is the SLO's `period`)"),
                ))
            }
        };
        Calendar::new(unit, &self.zone)
            .map_err(|e| SpecError::new(format!("{field}.zone"), e.to_string()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SliSpec {
    Availability,
    Latency(LatencySli),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencySli {
    threshold: DurationText,
    #[serde(default = "yes")]
    require_success: bool,
    /// A selector of a native histogram the fleet's rules, dashboard and `serve` read this
    /// SLO from (with `histogram_fraction`), instead of sloguard's counters.
    #[serde(default)]
    native_histogram: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OperationsSpec {
    All,
    Routes(Vec<String>),
    Prefix(String),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CancelledSpec {
    Exclude,
    Bad,
}

/// What events during a scheduled maintenance count for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MaintenanceSpec {
    Exclude,
    Count,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertingSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    runbook_url: Option<String>,
    #[serde(default)]
    min_events: u64,
    #[serde(default)]
    min_bad_events: Option<u64>,
    /// The compliance window notifications quote: `week`, `month`, `quarter`.
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    tiers: Option<Vec<TierSpec>>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierSpec {
    severity: SeveritySpec,
    burn_rate: f64,
    long_window: DurationText,
    short_window: DurationText,
    #[serde(default = "yes")]
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SeveritySpec {
    Page,
    Ticket,
}

/// Applies the fields every format shares to a builder.
fn period(b: SloBuilder, p: Option<DurationText>) -> SloBuilder {
    match p {
        Some(p) => b.period(p.0),
        None => b,
    }
}

impl NativeSpec {
    /// The status page, taken out of the spec: `(service, page)`.
    pub(crate) fn status_page(&mut self) -> Option<Result<(String, StatusPage), SpecError>> {
        let spec = self.status_page.take()?;
        let mut page = StatusPage::new(spec.title.unwrap_or_else(|| self.service.clone()));
        if let Some(url) = spec.url {
            let absolute = url.starts_with("https://") || url.starts_with("http://");
            if !absolute || url.contains(char::is_whitespace) {
                return Some(Err(SpecError::new(
                    "status_page.url",
                    format!("{url:?} is not an absolute http:// or https:// URL"),
                )));
            }
            page = page.url(url);
        }
        for c in spec.components {
            let mut component = StatusComponent::new(c.name, c.slos);
            if let Some(d) = c.description {
                component = component.description(d);
            }
            page = page.component(component);
        }
        for (word, text) in spec.words {
            let Some(state) = ComponentState::ALL.into_iter().find(|s| s.as_str() == word) else {
                let known: Vec<&str> = ComponentState::ALL.iter().map(|s| s.as_str()).collect();
                return Some(Err(SpecError::new(
                    format!("status_page.words.{word}"),
                    format!("not a state; the states are {}", known.join(", ")),
                )));
            };
            page = page.words(state, text);
        }
        Some(Ok((self.service.clone(), page)))
    }

    pub(crate) fn into_slos(self) -> Result<Parts, SpecError> {
        if let Some(v) = &self.version {
            if v != "sloguard/v1" {
                return Err(SpecError::new(
                    "version",
                    format!("unknown version {v:?}; expected \"sloguard/v1\" (or leave it out)"),
                ));
            }
        }
        if self.service.trim().is_empty() {
            return Err(SpecError::new("service", "the service name is empty"));
        }
        let mut slos = Vec::new();
        if let Some(short) = self.availability {
            let builder = match short.0 {
                Either::Objective(p) => Slo::availability("availability").objective_percent(p.0),
                Either::Map(m) => period(
                    Slo::availability("availability").objective_percent(m.objective.0),
                    m.period,
                ),
            };
            slos.push(SloSpec::plain(builder, "availability")?);
        }
        if let Some(short) = self.latency {
            let builder = period(
                Slo::latency("latency", short.threshold.0).objective_percent(short.objective.0),
                short.period,
            );
            slos.push(SloSpec::plain(builder, "latency")?);
        }
        for (i, slo) in self.slos.into_iter().enumerate() {
            slos.push(slo.into_spec(i)?);
        }
        if slos.is_empty() {
            return Err(SpecError::new(
                "slos",
                "the spec defines no SLO: list them under `slos`, or use the short forms `availability: 99.9` or `latency: {threshold: 300ms, objective: 99}`",
            ));
        }
        Ok((self.service, self.labels, slos))
    }
}

impl NativeSlo {
    fn into_spec(self, index: usize) -> Result<SloSpec, SpecError> {
        let at = |field: &str| format!("slos[{index}].{field}");
        let mut notes = Vec::new();
        let mut queries = None;
        if let SliSpec::Latency(l) = &self.sli {
            if let Some(selector) = &l.native_histogram {
                // The PromQL parser comes with the tools; the library reads the field as is
                // (only the tools write rules from it).
                #[cfg(feature = "tools")]
                if !crate::query::is_selector(selector) {
                    return Err(SpecError::new(
                        at("sli.latency.native_histogram"),
                        format!("{selector:?} is not a series selector: write the native histogram's name with its matchers, e.g. http_server_request_duration_seconds{{job=\"payments\",http_route=\"/pay\"}}"),
                    ));
                }
                queries = Some(crate::Queries::native_latency(selector, l.threshold.0));
                if l.require_success {
                    notes.push(format!("{}: the fleet's rules read latency only from the native histogram, so a failed request under the threshold is good there and bad in the process (set require_success: false to make them agree)", at("sli.latency.native_histogram")));
                }
            }
        }
        let mut builder = match self.sli {
            SliSpec::Availability => Slo::availability(self.name.clone()),
            SliSpec::Latency(l) => Slo::latency(self.name.clone(), l.threshold.0)
                .latency_requires_success(l.require_success),
        }
        .objective_percent(self.objective.0);
        builder = period(builder, self.period);
        for (i, c) in self.calendars.iter().enumerate() {
            builder = builder.calendar(c.calendar(&at(&format!("calendars[{i}]")))?);
        }
        if let Some(sla) = &self.sla {
            let calendar = sla.calendar.calendar(&at("sla"))?;
            builder = builder.sla(
                Sla::new(sla.objective.0, calendar)
                    .map_err(|e| SpecError::new(at("sla.objective"), e.to_string()))?,
            );
        }
        if let Some(slices) = &self.time_slices {
            builder = builder.time_slices(slices.rule(&at)?);
        }
        if let Some(d) = self.description {
            builder = builder.description(d);
        }
        if let Some(ops) = self.operations {
            builder = builder.operations(match ops {
                OperationsSpec::All => Selector::All,
                OperationsSpec::Routes(r) => Selector::Routes(r),
                OperationsSpec::Prefix(p) => Selector::Prefix(p),
            });
        }
        if let Some(CancelledSpec::Bad) = self.cancelled {
            builder = builder.cancelled(CancelledPolicy::CountAsBad);
        }
        if let Some(MaintenanceSpec::Count) = self.maintenance {
            builder = builder.maintenance(sloguard_core::model::MaintenancePolicy::Count);
        }
        let alerting = self.alerting.unwrap_or_default();
        let period = self
            .period
            .map_or(sloguard_core::model::DEFAULT_PERIOD, |p| p.0);
        let policy = alerting.policy(&at, period)?;
        builder = builder.alerting(policy);
        if let Some(url) = &alerting.runbook_url {
            builder = builder.runbook_url(url.clone());
        }
        if let Some(name) = alerting.name {
            builder = builder.alert_name(name);
        }
        if let Some(window) = alerting.window {
            builder = builder.alerting_window(window);
        }
        let definition = builder.build().map_err(|e| {
            SpecError::new(at(&e.field), format!("SLO {:?}: {}", e.slo, e.reason()))
        })?;
        Ok(SloSpec {
            definition,
            labels: self.labels,
            alerting: AlertingMeta {
                runbook_url: alerting.runbook_url,
                labels: alerting.labels,
                annotations: alerting.annotations,
                ..AlertingMeta::default()
            },
            queries,
            info_labels: BTreeMap::new(),
            intervals: crate::Intervals::default(),
            total_amount_records: false,
            document: None,
            grouping: Vec::new(),
            notes,
        })
    }
}

impl TimeSlicesSpec {
    /// The slice rule this spec describes; `at` names a field of the SLO.
    fn rule(&self, at: &dyn Fn(&str) -> String) -> Result<TimeSlices, SpecError> {
        let made = match (self.rule.as_deref(), self.objective) {
            (None | Some("objective"), Some(objective)) => {
                TimeSlices::new(self.length.0, objective)
            }
            (Some("ratio"), None) => TimeSlices::ratio(self.length.0),
            (Some("ratio"), Some(_)) => return Err(SpecError::new(
                at("time_slices.objective"),
                "ratio slices have no slice objective (each counts its share of good events); drop `objective` or the `rule`",
            )),
            (None | Some("objective"), None) => return Err(SpecError::new(
                at("time_slices.objective"),
                "missing: give the share of good events that makes a slice good (objective: 95), or `rule: ratio` to count each slice by its share",
            )),
            (Some(other), _) => return Err(SpecError::new(
                at("time_slices.rule"),
                format!("{other:?} is not a slice rule; expected `objective` (the default: a slice is good or bad) or `ratio` (a slice counts its share of good events)"),
            )),
        };
        let mut rule = made.map_err(|e| {
            let field = match e {
                sloguard_core::model::DefinitionErrorKind::InvalidSliceLength { .. } => {
                    "time_slices.length"
                }
                _ => "time_slices.objective",
            };
            SpecError::new(at(field), e.to_string())
        })?;
        if let Some(word) = &self.empty {
            rule = rule.empty(EmptySlices::parse(word).ok_or_else(|| {
                SpecError::new(
                    at("time_slices.empty"),
                    format!("{word:?} is not a rule for slices without events; expected `skip` (the default) or `bad` (never `good`: a service nobody reaches would look perfect)"),
                )
            })?);
        }
        Ok(rule)
    }
}

impl AlertingSpec {
    /// The alert policy: the given tiers (by default the Workbook's for the SLO's period; one
    /// the objective can never reach is refused, so the spec says which to disable), the
    /// traffic guards, and the tiers disabled by id or severity; `at` names a field of the SLO.
    fn policy(
        &self,
        at: &dyn Fn(&str) -> String,
        period: Duration,
    ) -> Result<AlertPolicy, SpecError> {
        let mut policy = match &self.tiers {
            Some(tiers) => tiers.iter().fold(AlertPolicy::none(), |p, t| {
                let severity = match t.severity {
                    SeveritySpec::Page => Severity::Page,
                    SeveritySpec::Ticket => Severity::Ticket,
                };
                let mut tier =
                    AlertTier::new(severity, t.burn_rate, t.long_window.0, t.short_window.0);
                tier.enabled = t.enabled;
                p.tier(tier)
            }),
            None => AlertPolicy::for_period(period),
        }
        .min_events(self.min_events)
        .min_bad_events(
            self.min_bad_events
                .unwrap_or(sloguard_core::model::DEFAULT_MIN_BAD_EVENTS),
        );
        for (j, id) in self.disable.iter().enumerate() {
            policy = match id.as_str() {
                "page" => policy.disable(Severity::Page),
                "ticket" => policy.disable(Severity::Ticket),
                _ => {
                    let known: Vec<String> = policy.tiers.iter().map(AlertTier::id).collect();
                    policy.disable_tier(id).ok_or_else(|| {
                        SpecError::new(
                            at(&format!("alerting.disable[{j}]")),
                            format!(
                                "no tier {id:?}; expected `page`, `ticket` or one of: {}",
                                known.join(", ")
                            ),
                        )
                    })?
                }
            };
        }
        Ok(policy)
    }
}
