//! The checks an SLO definition passes before it is built: each returns the field it refuses
//! and why, and [`SloBuilder::build`](super::SloBuilder::build) names the SLO.

use std::time::Duration;

use super::calendar::{Calendar, Sla};
use super::error::DefinitionErrorKind;
use super::limits::{MAX_PERIOD, MIN_PERIOD};
use super::objective::Objective;
use super::policy::AlertPolicy;
use super::slices::TimeSlices;

/// The field a check refuses, and why.
pub(super) type Refusal = (String, DefinitionErrorKind);

fn refuse(field: impl Into<String>, kind: DefinitionErrorKind) -> Result<(), Refusal> {
    Err((field.into(), kind))
}

/// A name people and Prometheus can read: not empty, no control character, and an alert name
/// Prometheus accepts (given, or derived without losing letters).
pub(super) fn name(name: &str, alert_name: Option<&str>) -> Result<(), Refusal> {
    if name.trim().is_empty() {
        return refuse("name", DefinitionErrorKind::EmptyName);
    }
    if name.chars().any(char::is_control) {
        return refuse("name", DefinitionErrorKind::NameHasControlCharacter);
    }
    match alert_name {
        Some(given) if !crate::contract::is_valid_alert_name(given) => refuse(
            "alerting.name",
            DefinitionErrorKind::InvalidAlertName {
                given: given.to_owned(),
            },
        ),
        Some(_) => Ok(()),
        None => {
            let lost = crate::contract::alert_name_loses(name);
            if lost.is_empty() {
                return Ok(());
            }
            refuse(
                "name",
                DefinitionErrorKind::NameLosesLetters {
                    lost,
                    alert_name: crate::contract::alert_name(name),
                },
            )
        }
    }
}

/// A latency SLI's threshold above zero.
pub(super) fn latency_threshold(threshold: Option<Duration>) -> Result<(), Refusal> {
    match threshold {
        Some(threshold) if threshold.is_zero() => {
            refuse("sli.threshold", DefinitionErrorKind::ZeroDuration)
        }
        _ => Ok(()),
    }
}

/// A period of whole seconds between [`MIN_PERIOD`] and [`MAX_PERIOD`].
pub(super) fn period(period: Duration) -> Result<(), Refusal> {
    if period < MIN_PERIOD {
        return refuse("period", DefinitionErrorKind::PeriodTooShort { period });
    }
    if period > MAX_PERIOD {
        return refuse("period", DefinitionErrorKind::PeriodTooLong { period });
    }
    if period.subsec_nanos() != 0 {
        return refuse(
            "period",
            DefinitionErrorKind::NotWholeSeconds { duration: period },
        );
    }
    Ok(())
}

/// Every enabled tier can fire and reads windows that fit the period. A disabled tier never
/// runs, so it may hold values that would not work.
pub(super) fn tiers(
    policy: &AlertPolicy,
    objective: Objective,
    period: Duration,
) -> Result<(), Refusal> {
    for (i, tier) in policy.tiers.iter().enumerate().filter(|(_, t)| t.enabled) {
        let field = |name: &str| format!("alerting.tiers[{i}].{name}");
        if !(tier.burn_rate.is_finite() && tier.burn_rate > 0.0) {
            return refuse(
                field("burn_rate"),
                DefinitionErrorKind::InvalidBurnRate {
                    burn_rate: tier.burn_rate,
                },
            );
        }
        if tier.burn_rate * objective.error_budget() >= 1.0 {
            return refuse(
                field("burn_rate"),
                DefinitionErrorKind::UnreachableBurnRate {
                    burn_rate: tier.burn_rate,
                    max_burn_rate: objective.max_burn_rate(),
                },
            );
        }
        for (name, window) in [
            ("long_window", tier.long_window),
            ("short_window", tier.short_window),
        ] {
            window_fits(window, period).map_err(|kind| (field(name), kind))?;
        }
        if tier.short_window >= tier.long_window {
            return refuse(
                field("short_window"),
                DefinitionErrorKind::ShortWindowNotShorter {
                    short: tier.short_window,
                    long: tier.long_window,
                },
            );
        }
    }
    Ok(())
}

/// A window of whole seconds, above zero, no longer than the period.
fn window_fits(window: Duration, period: Duration) -> Result<(), DefinitionErrorKind> {
    if window.is_zero() {
        return Err(DefinitionErrorKind::ZeroDuration);
    }
    if window.subsec_nanos() != 0 {
        return Err(DefinitionErrorKind::NotWholeSeconds { duration: window });
    }
    if window > period {
        return Err(DefinitionErrorKind::WindowLongerThanPeriod { window, period });
    }
    Ok(())
}

/// The calendar windows, with the SLA's added when it is not among them; no two of one name.
pub(super) fn calendars(
    mut calendars: Vec<Calendar>,
    sla: Option<&Sla>,
) -> Result<Vec<Calendar>, Refusal> {
    if let Some(sla) = sla {
        if !calendars.iter().any(|c| c == sla.calendar()) {
            calendars.push(sla.calendar().clone());
        }
    }
    for (i, calendar) in calendars.iter().enumerate() {
        if calendars[..i].iter().any(|c| c.name() == calendar.name()) {
            return Err((
                format!("calendars[{i}]"),
                DefinitionErrorKind::DuplicateCalendar {
                    name: calendar.name().to_owned(),
                },
            ));
        }
    }
    Ok(calendars)
}

/// The index of the calendar window the alerts quote, which must be one of the SLO's.
pub(super) fn alerting_window(
    name: Option<&str>,
    calendars: &[Calendar],
) -> Result<Option<usize>, Refusal> {
    let Some(name) = name else {
        return Ok(None);
    };
    match calendars.iter().position(|c| c.name() == name) {
        Some(index) => Ok(Some(index)),
        None => Err((
            "alerting.window".to_owned(),
            DefinitionErrorKind::UnknownAlertingWindow {
                window: name.to_owned(),
                known: calendars.iter().map(|c| c.name().to_owned()).collect(),
            },
        )),
    }
}

/// Time slices no longer than the shortest window an enabled tier reads.
pub(super) fn slices(slices: Option<&TimeSlices>, policy: &AlertPolicy) -> Result<(), Refusal> {
    let Some(slices) = slices else {
        return Ok(());
    };
    let shortest = policy
        .tiers
        .iter()
        .enumerate()
        .filter(|(_, t)| t.enabled)
        .min_by_key(|(_, t)| t.short_window);
    match shortest.filter(|(_, t)| t.short_window < slices.length()) {
        Some((i, tier)) => refuse(
            format!("alerting.tiers[{i}].short_window"),
            DefinitionErrorKind::SliceLongerThanWindow {
                slice: slices.length(),
                window: tier.short_window,
            },
        ),
        None => Ok(()),
    }
}
