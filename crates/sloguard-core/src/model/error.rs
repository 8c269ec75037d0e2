//! Why an SLO definition was refused.

use std::fmt;
use std::time::Duration;

use crate::duration::format_duration;

/// An SLO definition that cannot work, with the SLO, the field and the reason.
///
/// `field` is a path in the same words a spec file uses (`objective`,
/// `alerting.tiers[0].long_window`), so a spec loader can point at the line that caused it.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionError {
    /// The SLO's name as given (may be empty when the name itself is the problem).
    pub slo: String,
    /// The field at fault.
    pub field: String,
    /// What is wrong with it.
    pub kind: DefinitionErrorKind,
}

/// The ways an SLO definition can be wrong.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum DefinitionErrorKind {
    /// The name is empty or only whitespace.
    EmptyName,
    /// The name holds a control character (it ends up in labels, file names and alerts).
    NameHasControlCharacter,
    /// The name has letters or digits outside ASCII, which the alert name (derived from the
    /// name, ASCII by Prometheus' rule) would lose, and no alert name was given.
    NameLosesLetters {
        /// The letters the alert name would lose.
        lost: Vec<char>,
        /// The alert name the SLO would get.
        alert_name: String,
    },
    /// A given alert name that Prometheus would refuse.
    InvalidAlertName {
        /// The alert name as given.
        given: String,
    },
    /// Objectives must lie strictly between 0 and 100% (0 and 1 as a ratio).
    ObjectiveOutOfRange {
        /// The ratio that was given (a percentage is divided by 100 first).
        ratio: f64,
        /// The objective as the user wrote it, e.g. `100%` or `1`.
        written: String,
    },
    /// A percentage below 1: almost certainly a ratio (`0.999`) where a percentage (`99.9`)
    /// is expected.
    ObjectiveLooksLikeRatio {
        /// The percentage given.
        percent: f64,
    },
    /// A duration that must be positive was zero.
    ZeroDuration,
    /// The period is shorter than the shortest supported period.
    PeriodTooShort {
        /// The period given.
        period: Duration,
    },
    /// The period is longer than the longest supported period ([`MAX_PERIOD`]).
    ///
    /// [`MAX_PERIOD`]: crate::model::MAX_PERIOD
    PeriodTooLong {
        /// The period given.
        period: Duration,
    },
    /// A window or period that is not a whole number of seconds: Prometheus' range
    /// selectors, where the generated rules use it, cannot say it.
    NotWholeSeconds {
        /// The duration given.
        duration: Duration,
    },
    /// A burn-rate threshold that is zero, negative or not a number.
    InvalidBurnRate {
        /// The threshold given.
        burn_rate: f64,
    },
    /// A tier's threshold times the error budget is 1 or more: even 100% errors cannot reach
    /// it, so the alert could never fire.
    UnreachableBurnRate {
        /// The threshold given.
        burn_rate: f64,
        /// The highest burn rate this objective allows (`1 / (1 - objective)`).
        max_burn_rate: f64,
    },
    /// A tier's short window is not shorter than its long window.
    ShortWindowNotShorter {
        /// The short window.
        short: Duration,
        /// The long window.
        long: Duration,
    },
    /// A window is longer than the SLO period, so it cannot be measured within it.
    WindowLongerThanPeriod {
        /// The window.
        window: Duration,
        /// The period.
        period: Duration,
    },
    /// Another SLO in the same registry already has this name.
    DuplicateName,
    /// A time zone the time-zone database does not know.
    UnknownTimeZone {
        /// The zone as given.
        zone: String,
    },
    /// Two compliance windows of one SLO are the same calendar period.
    DuplicateCalendar {
        /// The period's name (`month`).
        name: String,
    },
    /// An alerting window that is none of the SLO's calendar windows.
    UnknownAlertingWindow {
        /// The window named (`month`).
        window: String,
        /// The calendar windows the SLO has.
        known: Vec<String>,
    },
    /// A time-slice length that is not a whole number of 10 s steps up to a day.
    InvalidSliceLength {
        /// The length given.
        length: Duration,
    },
    /// A time slice longer than an alerting window: the window could not hold one slice.
    SliceLongerThanWindow {
        /// The slice length.
        slice: Duration,
        /// The window.
        window: Duration,
    },
}

impl DefinitionError {
    /// What is wrong, without the SLO and field (for callers that report those themselves).
    pub fn reason(&self) -> String {
        self.kind.to_string()
    }
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SLO {:?}, field `{}`: {}",
            self.slo, self.field, self.kind
        )
    }
}

impl fmt::Display for DefinitionErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyName => write!(f, "the name is empty; give the SLO a name"),
            Self::NameHasControlCharacter => {
                write!(f, "the name holds a control character (newline, tab, ...)")
            }
            Self::NameLosesLetters { lost, alert_name } => write!(
                f,
                "its alert name would be {alert_name}, losing {lost:?}: alert names hold ASCII letters and digits only (other characters, such as spaces and `-`, separate words); write the name with ASCII letters, or give the alert name (`alerting.name` in a spec, `.alert_name(..)` in code)"
            ),
            Self::InvalidAlertName { given } => write!(
                f,
                "alert name {given:?} is not one Prometheus accepts: use ASCII letters, digits, `_` and `:`, not starting with a digit (for example CheckoutBudgetBurn)"
            ),
            Self::ObjectiveOutOfRange { written, .. } => write!(
                f,
                "objective {written} is out of range; it must be above 0% and below 100% \
                 (for example 99.9 as a percentage or 0.999 as a ratio)"
            ),
            Self::ObjectiveLooksLikeRatio { percent } => write!(
                f,
                "objective {percent} is read as a percentage, {percent}%, which looks like a ratio: did you mean {}?",
                (percent * 100.0 * 1e9).round() / 1e9
            ),
            Self::ZeroDuration => write!(f, "must be longer than zero"),
            Self::PeriodTooShort { period } => write!(
                f,
                "period {} is too short; it must be at least 1h",
                format_duration(*period)
            ),
            Self::PeriodTooLong { period } => write!(
                f,
                "period {} is too long; it must be at most {}",
                format_duration(*period),
                format_duration(super::limits::MAX_PERIOD)
            ),
            Self::NotWholeSeconds { duration } => write!(
                f,
                "{} is not a whole number of seconds, which Prometheus needs for a window",
                format_duration(*duration)
            ),
            Self::InvalidBurnRate { burn_rate } => write!(
                f,
                "burn-rate threshold {burn_rate} must be a number greater than zero"
            ),
            Self::UnreachableBurnRate {
                burn_rate,
                max_burn_rate,
            } => write!(
                f,
                "burn-rate threshold {burn_rate} can never be reached: with this objective the \
                 burn rate is at most {max_burn_rate:.3} (every event bad); lower the threshold \
                 or disable the tier"
            ),
            Self::ShortWindowNotShorter { short, long } => write!(
                f,
                "short window {} must be shorter than the long window {}",
                format_duration(*short),
                format_duration(*long)
            ),
            Self::WindowLongerThanPeriod { window, period } => write!(
                f,
                "window {} is longer than the SLO period {}; shorten the window, lengthen the \
                 period, or disable the tier",
                format_duration(*window),
                format_duration(*period)
            ),
            Self::DuplicateName => {
                write!(f, "another SLO of this service already has this name")
            }
            Self::UnknownTimeZone { zone } => write!(
                f,
                "time zone {zone:?} is not in the time-zone database; write UTC or an IANA name such as Europe/Paris or America/New_York"
            ),
            Self::InvalidSliceLength { length } => write!(
                f,
                "time slice {} must be a whole number of 10s steps, at most 1d (for example 1m or 5m)",
                format_duration(*length)
            ),
            Self::SliceLongerThanWindow { slice, window } => write!(
                f,
                "time slice {} is longer than the alerting window {}, which could not hold one slice; shorten the slice or lengthen the window",
                format_duration(*slice),
                format_duration(*window)
            ),
            Self::DuplicateCalendar { name } => write!(
                f,
                "the calendar {name} is given twice; each compliance window is a different period"
            ),
            Self::UnknownAlertingWindow { window, known } if known.is_empty() => write!(
                f,
                "alerting cannot read the {window:?} window: the SLO has no calendar windows (add one under calendars, or an SLA)"
            ),
            Self::UnknownAlertingWindow { window, known } => write!(
                f,
                "alerting cannot read the {window:?} window: the SLO's calendar windows are {}",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for DefinitionError {}
