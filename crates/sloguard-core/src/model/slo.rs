//! SLO definitions and their builder.

use std::time::Duration;

use super::calendar::{Calendar, Sla};
use super::error::DefinitionError;
use super::limits::DEFAULT_PERIOD;
use super::objective::Objective;
use super::policy::{AlertPolicy, STANDARD_WINDOWS};
use super::selector::Selector;
use super::slices::TimeSlices;
use super::validate::{self, Refusal};

/// What makes an event good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sli {
    /// Good when the event did not fail.
    Availability,
    /// Good when the event took at most `threshold` (inclusive) and, when
    /// `require_success` is set (the default), also did not fail: a fast error is not a
    /// good experience.
    Latency {
        /// The slowest good latency.
        threshold: Duration,
        /// Whether a failed event is bad however fast it was.
        require_success: bool,
    },
}

impl Sli {
    /// `availability` or `latency`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Sli::Availability => "availability",
            Sli::Latency { .. } => "latency",
        }
    }
}

/// What a cancelled event (the client went away before the answer was complete) counts as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CancelledPolicy {
    /// Counted on its own and left out of the SLI (the default): the service was not
    /// given the chance to finish.
    #[default]
    Exclude,
    /// Counted as a bad event: for services where a client timing out means the service
    /// was too slow.
    CountAsBad,
}

/// What events during a scheduled maintenance of the SLO count for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MaintenancePolicy {
    /// Left out of the budget, the burn rates, the calendar periods and the SLA (the default):
    /// contracts exclude announced maintenance, and so does the budget.
    #[default]
    Exclude,
    /// Counted like any other events (`maintenance: count`): for SLOs whose customers are
    /// not told of maintenance.
    Count,
}

/// A complete, validated SLO. Build one with [`Slo::availability`] or [`Slo::latency`].
#[derive(Clone, Debug, PartialEq)]
pub struct SloDefinition {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) sli: Sli,
    pub(crate) objective: Objective,
    pub(crate) period: Duration,
    pub(crate) alerting: AlertPolicy,
    pub(crate) cancelled: CancelledPolicy,
    pub(crate) maintenance: MaintenancePolicy,
    pub(crate) operations: Selector,
    pub(crate) runbook_url: Option<String>,
    pub(crate) alert_name: Option<String>,
    pub(crate) calendars: Vec<Calendar>,
    pub(crate) sla: Option<Sla>,
    pub(crate) time_slices: Option<TimeSlices>,
    pub(crate) alerting_window: Option<usize>,
    /// No events is normal for it (see [`SloDefinition::quiet_is_normal`]).
    pub(crate) quiet_is_normal: bool,
}

impl SloDefinition {
    /// This SLO, for which having no events is normal: the share of a split SLO that only
    /// later groups reach, say. It gets no `slo_without_events` diagnostic, and stays
    /// `no_data` while quiet, as every SLO does.
    pub fn quiet_is_normal(mut self) -> SloDefinition {
        self.quiet_is_normal = true;
        self
    }

    /// Whether having no events is normal for this SLO.
    pub fn is_quiet_normal(&self) -> bool {
        self.quiet_is_normal
    }

    /// The calendar compliance windows, beside the rolling period.
    pub fn calendars(&self) -> &[Calendar] {
        &self.calendars
    }

    /// The compliance window whose budget alert notifications quote (budget left, time to
    /// exhaustion), when it is a calendar window; `None`: the rolling period. Burn-rate tiers
    /// keep their own windows either way.
    pub fn alerting_window(&self) -> Option<&Calendar> {
        self.alerting_window.and_then(|i| self.calendars.get(i))
    }

    /// The index of [`SloDefinition::alerting_window`] among the calendars.
    pub(crate) fn alerting_window_index(&self) -> Option<usize> {
        self.alerting_window
    }

    /// The SLA, when one is tied to this SLO's SLI.
    pub fn sla(&self) -> Option<&Sla> {
        self.sla.as_ref()
    }

    /// The time slices its budgets count, when it is a time-slice SLO.
    pub fn time_slices(&self) -> Option<&TimeSlices> {
        self.time_slices.as_ref()
    }

    /// The name its alerts carry, in process and in the generated rules: the one given with
    /// [`SloBuilder::alert_name`], or [`contract::alert_name`](crate::contract::alert_name) of
    /// the SLO's name.
    pub fn alert_name(&self) -> String {
        self.alert_name
            .clone()
            .unwrap_or_else(|| crate::contract::alert_name(&self.name))
    }
    /// The name, unique within its service.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The same SLO under another name, its alerts keeping this one's alert name (one SLO
    /// split into several, such as one per group of a grouped SLI, alerts as one).
    pub fn renamed(&self, name: impl Into<String>) -> Result<SloDefinition, DefinitionError> {
        let name = name.into();
        let alert_name = self.alert_name();
        validate::name(&name, Some(&alert_name)).map_err(|(field, kind)| DefinitionError {
            slo: name.clone(),
            field,
            kind,
        })?;
        Ok(SloDefinition {
            name,
            alert_name: Some(alert_name),
            ..self.clone()
        })
    }
    /// A human description, if one was given.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// What makes an event good.
    pub fn sli(&self) -> Sli {
        self.sli
    }
    /// The objective.
    pub fn objective(&self) -> Objective {
        self.objective
    }
    /// The rolling period over which the objective holds.
    pub fn period(&self) -> Duration {
        self.period
    }
    /// The alert policy.
    pub fn alerting(&self) -> &AlertPolicy {
        &self.alerting
    }
    /// What events during a scheduled maintenance count for.
    pub fn maintenance(&self) -> MaintenancePolicy {
        self.maintenance
    }

    /// What a cancelled event counts as.
    pub fn cancelled(&self) -> CancelledPolicy {
        self.cancelled
    }
    /// The operations whose events this SLO judges.
    pub fn operations(&self) -> &Selector {
        &self.operations
    }
    /// Where responders find what to do when this SLO alerts.
    pub fn runbook_url(&self) -> Option<&str> {
        self.runbook_url.as_deref()
    }
    /// The windows evaluated for this SLO, shortest first: the standard ones and its enabled
    /// tiers', within the period.
    pub fn evaluated_windows(&self) -> Vec<Duration> {
        let mut windows: Vec<Duration> = STANDARD_WINDOWS
            .iter()
            .copied()
            .chain(
                self.alerting
                    .enabled_tiers()
                    .flat_map(|t| [t.long_window, t.short_window]),
            )
            .filter(|w| *w <= self.period)
            .collect();
        windows.sort_unstable();
        windows.dedup();
        windows
    }
}

/// Entry points for building SLO definitions.
///
/// ```
/// use sloguard_core::model::{Slo, AlertPolicy, Severity};
/// use std::time::Duration;
///
/// let checkout = Slo::availability("checkout").objective_percent(99.9).build().unwrap();
/// assert!((checkout.objective().error_budget() - 0.001).abs() < 1e-12);
///
/// let fast = Slo::latency("checkout-latency", Duration::from_millis(300))
///     .objective_percent(99.0)
///     .alerting(AlertPolicy::workbook().disable(Severity::Ticket))
///     .build()
///     .unwrap();
/// assert_eq!(fast.period(), Duration::from_secs(30 * 86_400));
///
/// let err = Slo::availability("checkout").objective_percent(100.0).build().unwrap_err();
/// assert_eq!(err.field, "objective");
/// ```
#[derive(Debug)]
pub struct Slo;

impl Slo {
    /// An availability SLO: good when the event did not fail.
    pub fn availability(name: impl Into<String>) -> SloBuilder {
        SloBuilder::new(name.into(), Sli::Availability)
    }

    /// A latency SLO: good when the event took at most `threshold` and did not fail.
    pub fn latency(name: impl Into<String>, threshold: Duration) -> SloBuilder {
        SloBuilder::new(
            name.into(),
            Sli::Latency {
                threshold,
                require_success: true,
            },
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum ObjectiveInput {
    Percent(f64),
    Ratio(f64),
}

/// Builds an [`SloDefinition`]. Defaults: objective 99.9%, period 30 days,
/// [`AlertPolicy::for_period`] of the period (the Workbook's table for 30 days), cancelled events excluded, every operation selected.
#[derive(Clone, Debug)]
pub struct SloBuilder {
    name: String,
    description: Option<String>,
    sli: Sli,
    objective: ObjectiveInput,
    period: Duration,
    alerting: Option<AlertPolicy>,
    cancelled: CancelledPolicy,
    maintenance: MaintenancePolicy,
    operations: Selector,
    runbook_url: Option<String>,
    alert_name: Option<String>,
    calendars: Vec<Calendar>,
    sla: Option<Sla>,
    time_slices: Option<TimeSlices>,
    alerting_window: Option<String>,
}

impl SloBuilder {
    fn new(name: String, sli: Sli) -> Self {
        SloBuilder {
            name,
            description: None,
            sli,
            objective: ObjectiveInput::Percent(99.9),
            period: DEFAULT_PERIOD,
            alerting: None,
            cancelled: CancelledPolicy::Exclude,
            maintenance: MaintenancePolicy::Exclude,
            operations: Selector::All,
            runbook_url: None,
            alert_name: None,
            calendars: Vec::new(),
            sla: None,
            time_slices: None,
            alerting_window: None,
        }
    }

    /// A calendar compliance window beside the rolling period (repeatable, one per unit):
    /// its own budget, starting whole at each period's start. Alert notifications quote the
    /// rolling period's budget unless [`SloBuilder::alerting_window`] names this one.
    pub fn calendar(mut self, calendar: Calendar) -> Self {
        self.calendars.push(calendar);
        self
    }

    /// The compliance window alert notifications quote (`week`, `month` or `quarter`: one of
    /// the SLO's calendars or its SLA's): "this month's error budget runs out in 3h" instead
    /// of the rolling period's. The burn-rate tiers keep their windows and thresholds.
    pub fn alerting_window(mut self, window: impl Into<String>) -> Self {
        self.alerting_window = Some(window.into());
        self
    }

    /// The SLA tied to this SLO's SLI: met, at risk or breached per calendar period (whose
    /// compliance window is added when not given).
    pub fn sla(mut self, sla: Sla) -> Self {
        self.sla = Some(sla);
        self
    }

    /// Makes it a time-slice SLO: its budget counts slices, each judged by its own objective.
    pub fn time_slices(mut self, slices: TimeSlices) -> Self {
        self.time_slices = Some(slices);
        self
    }

    /// The objective as a percentage, e.g. `99.9`.
    pub fn objective_percent(mut self, percent: f64) -> Self {
        self.objective = ObjectiveInput::Percent(percent);
        self
    }

    /// The objective as a ratio, e.g. `0.999`.
    pub fn objective_ratio(mut self, ratio: f64) -> Self {
        self.objective = ObjectiveInput::Ratio(ratio);
        self
    }

    /// The rolling period (default 30 days).
    pub fn period(mut self, period: Duration) -> Self {
        self.period = period;
        self
    }

    /// The alert policy (default [`AlertPolicy::for_period`] of the period: the Workbook's
    /// tiers, each spending the same share of this SLO's budget).
    pub fn alerting(mut self, policy: AlertPolicy) -> Self {
        self.alerting = Some(policy);
        self
    }

    /// A human description, shown on status pages and in alerts.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// What a cancelled event counts as (default: excluded).
    pub fn cancelled(mut self, policy: CancelledPolicy) -> Self {
        self.cancelled = policy;
        self
    }

    /// What events during a scheduled maintenance count for (default: excluded).
    pub fn maintenance(mut self, policy: MaintenancePolicy) -> Self {
        self.maintenance = policy;
        self
    }

    /// Where responders find what to do when this SLO alerts; sent with every notification.
    pub fn runbook_url(mut self, url: impl Into<String>) -> Self {
        self.runbook_url = Some(url.into());
        self
    }

    /// The name its alerts carry (default: [`contract::alert_name`](crate::contract::alert_name)
    /// of the SLO's name). Prometheus alert names are ASCII: letters, digits, `_` and `:`, not
    /// starting with a digit. Needed when the SLO's name has letters outside ASCII.
    pub fn alert_name(mut self, name: impl Into<String>) -> Self {
        self.alert_name = Some(name.into());
        self
    }

    /// The operations this SLO judges (default: all).
    pub fn operations(mut self, selector: Selector) -> Self {
        self.operations = selector;
        self
    }

    /// For latency SLOs: whether a failed event is bad however fast it was (default true).
    /// No effect on availability SLOs.
    pub fn latency_requires_success(mut self, require: bool) -> Self {
        if let Sli::Latency {
            require_success, ..
        } = &mut self.sli
        {
            *require_success = require;
        }
        self
    }

    /// Validates and builds the definition: the first problem found is refused with the
    /// field it is in (see [`DefinitionErrorKind`](super::DefinitionErrorKind)).
    pub fn build(self) -> Result<SloDefinition, DefinitionError> {
        let fail = |(field, kind): Refusal| DefinitionError {
            slo: self.name.clone(),
            field,
            kind,
        };
        validate::name(&self.name, self.alert_name.as_deref()).map_err(fail)?;
        let objective = match self.objective {
            ObjectiveInput::Percent(p) => Objective::from_percent(p),
            ObjectiveInput::Ratio(r) => Objective::from_ratio(r),
        }
        .map_err(|kind| fail(("objective".into(), kind)))?;
        let threshold = match self.sli {
            Sli::Latency { threshold, .. } => Some(threshold),
            Sli::Availability => None,
        };
        validate::latency_threshold(threshold).map_err(fail)?;
        validate::period(self.period).map_err(fail)?;
        let alerting = self
            .alerting
            .unwrap_or_else(|| AlertPolicy::for_period(self.period));
        validate::tiers(&alerting, objective, self.period).map_err(fail)?;
        let calendars = validate::calendars(self.calendars, self.sla.as_ref()).map_err(fail)?;
        let alerting_window =
            validate::alerting_window(self.alerting_window.as_deref(), &calendars).map_err(fail)?;
        validate::slices(self.time_slices.as_ref(), &alerting).map_err(fail)?;
        Ok(SloDefinition {
            calendars,
            alerting_window,
            sla: self.sla,
            time_slices: self.time_slices,
            name: self.name,
            description: self.description,
            sli: self.sli,
            objective,
            period: self.period,
            alerting,
            quiet_is_normal: false,
            cancelled: self.cancelled,
            maintenance: self.maintenance,
            operations: self.operations,
            runbook_url: self.runbook_url,
            alert_name: self.alert_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertTier, Severity};
    use crate::model::{DefinitionErrorKind, MAX_PERIOD};

    fn kind_of(b: SloBuilder) -> (String, DefinitionErrorKind) {
        let e = b.build().expect_err("must be refused");
        assert!(!e.to_string().is_empty());
        (e.field, e.kind)
    }

    #[test]
    fn periods_and_windows_are_what_prometheus_can_say() {
        let (field, kind) =
            kind_of(Slo::availability("a").period(Duration::from_secs(500 * 365 * 86_400)));
        assert_eq!(field, "period");
        assert!(
            matches!(kind, DefinitionErrorKind::PeriodTooLong { .. }),
            "{kind}"
        );
        // Ten years' default tiers page at 1,756x, beyond a 99.9% objective's 1,000x: the
        // period itself is fine with tiers it can reach.
        assert!(Slo::availability("a")
            .period(MAX_PERIOD)
            .alerting(AlertPolicy::workbook())
            .build()
            .is_ok());
        let (field, kind) =
            kind_of(Slo::availability("a").period(Duration::from_millis(7_200_500)));
        assert_eq!(field, "period");
        assert!(
            matches!(kind, DefinitionErrorKind::NotWholeSeconds { .. }),
            "{kind}"
        );
        let tier = AlertTier::new(
            Severity::Page,
            14.4,
            Duration::from_secs(3_600),
            Duration::from_millis(400),
        );
        let (field, kind) =
            kind_of(Slo::availability("a").alerting(AlertPolicy::none().tier(tier)));
        assert_eq!(field, "alerting.tiers[0].short_window");
        assert!(
            kind.to_string().contains("not a whole number of seconds"),
            "{kind}"
        );
    }

    #[test]
    fn objective_from_percent_or_ratio() {
        let p = Slo::availability("a")
            .objective_percent(99.9)
            .build()
            .expect("valid");
        let r = Slo::availability("a")
            .objective_ratio(0.999)
            .build()
            .expect("valid");
        assert!((p.objective().ratio() - 0.999).abs() < 1e-12);
        assert!((r.objective().percent() - 99.9).abs() < 1e-9);
        assert!((p.objective().max_burn_rate() - 1000.0).abs() < 1e-6);
    }

    #[test]
    fn a_ratio_written_as_a_percentage_gets_a_hint_and_errors_quote_the_value() {
        let (field, kind) = kind_of(Slo::availability("a").objective_percent(0.999));
        assert_eq!(field, "objective");
        assert!(kind.to_string().contains("did you mean 99.9?"), "{kind}");
        let (_, kind) = kind_of(Slo::availability("a").objective_percent(100.0));
        assert!(
            kind.to_string()
                .starts_with("objective 100% is out of range"),
            "{kind}"
        );
        let (_, kind) = kind_of(Slo::availability("a").objective_ratio(1.5));
        assert!(
            kind.to_string()
                .starts_with("objective 1.5 is out of range"),
            "{kind}"
        );
    }

    #[test]
    fn refuses_objectives_outside_zero_and_one_hundred() {
        for bad in [0.0, 100.0, -1.0, 150.0, f64::NAN, f64::INFINITY] {
            let (field, kind) = kind_of(Slo::availability("a").objective_percent(bad));
            assert_eq!(field, "objective");
            assert!(matches!(
                kind,
                DefinitionErrorKind::ObjectiveOutOfRange { .. }
            ));
        }
        let (field, _) = kind_of(Slo::availability("a").objective_ratio(1.0));
        assert_eq!(field, "objective");
    }

    #[test]
    fn refuses_empty_names_and_control_characters() {
        assert_eq!(
            kind_of(Slo::availability("  ")).1,
            DefinitionErrorKind::EmptyName
        );
        assert_eq!(
            kind_of(Slo::availability("a\nb")).1,
            DefinitionErrorKind::NameHasControlCharacter
        );
    }

    #[test]
    fn a_name_whose_alert_name_would_lose_letters_needs_an_alert_name() {
        let (field, kind) = kind_of(Slo::availability("disponibilité"));
        assert_eq!(field, "name");
        assert_eq!(
            kind,
            DefinitionErrorKind::NameLosesLetters {
                lost: vec!['é'],
                alert_name: "DisponibilitBudgetBurn".into()
            }
        );
        assert!(kind.to_string().contains("ASCII letters"), "{kind}");
        let named = Slo::availability("disponibilité")
            .alert_name("DisponibiliteBudgetBurn")
            .build()
            .expect("valid");
        assert_eq!(named.alert_name(), "DisponibiliteBudgetBurn");
        // Spaces and punctuation separate words; nothing is lost.
        let spaced = Slo::availability("checkout api").build().expect("valid");
        assert_eq!(spaced.alert_name(), "CheckoutApiBudgetBurn");
        let (field, kind) = kind_of(Slo::availability("a").alert_name("Budget burn"));
        assert_eq!(field, "alerting.name");
        assert!(kind.to_string().contains("\"Budget burn\""), "{kind}");
    }

    #[test]
    fn refuses_a_tier_that_can_never_fire() {
        // 90%: at most 10x, so the workbook's 14.4x page can never fire.
        let (field, kind) = kind_of(Slo::availability("a").objective_percent(90.0));
        assert_eq!(field, "alerting.tiers[0].burn_rate");
        assert!(matches!(
            kind,
            DefinitionErrorKind::UnreachableBurnRate { .. }
        ));
        // ... unless it is disabled.
        let policy = AlertPolicy::workbook().disable(Severity::Page);
        assert!(Slo::availability("a")
            .objective_percent(90.0)
            .alerting(policy)
            .build()
            .is_ok());
    }

    #[test]
    fn refuses_windows_longer_than_the_period() {
        let (field, kind) = kind_of(Slo::availability("a").period(Duration::from_secs(2 * 86_400)));
        assert_eq!(field, "alerting.tiers[3].long_window");
        assert!(matches!(
            kind,
            DefinitionErrorKind::WindowLongerThanPeriod { .. }
        ));
    }

    #[test]
    fn refuses_bad_tiers_and_durations() {
        let min = |m: u64| Duration::from_secs(m * 60);
        let tier = |rate, long, short| {
            AlertPolicy::none().tier(AlertTier::new(Severity::Page, rate, long, short))
        };
        let cases = [
            (tier(0.0, min(60), min(5)), "alerting.tiers[0].burn_rate"),
            (
                tier(f64::NAN, min(60), min(5)),
                "alerting.tiers[0].burn_rate",
            ),
            (tier(2.0, min(5), min(60)), "alerting.tiers[0].short_window"),
            (
                tier(2.0, min(60), Duration::ZERO),
                "alerting.tiers[0].short_window",
            ),
        ];
        for (policy, want) in cases {
            assert_eq!(kind_of(Slo::availability("a").alerting(policy)).0, want);
        }
        assert_eq!(
            kind_of(Slo::latency("l", Duration::ZERO)).0,
            "sli.threshold"
        );
        assert_eq!(kind_of(Slo::availability("a").period(min(10))).0, "period");
    }
}
