//! The SLO model: what an SLI judges, the objective, the period and the alert policy.
//!
//! Definitions are validated when built; anything that cannot work (an objective of 100%, a
//! tier that can never fire, a window longer than the period) is refused with a
//! [`DefinitionError`] naming the field and the reason.
//!
//! ```
//! use sloguard_core::model::{Slo, Sli};
//! use std::time::Duration;
//!
//! let slo = Slo::latency("latency", Duration::from_millis(300)).objective_percent(99.0).build().unwrap();
//! assert_eq!(slo.sli().kind(), "latency");
//! assert_eq!(slo.alerting().tiers.len(), 4);
//! ```

mod calendar;
mod error;
mod limits;
mod objective;
mod policy;
mod selector;
mod slices;
mod slo;
mod status_page;
mod validate;

pub use calendar::{Calendar, CalendarUnit, Sla, Weekday};
pub use error::{DefinitionError, DefinitionErrorKind};
pub use limits::{DEFAULT_PERIOD, MAX_PERIOD, MIN_PERIOD};
pub use objective::Objective;
pub use policy::{
    AlertPolicy, AlertTier, BudgetShare, Severity, DEFAULT_BUDGET_SHARES, DEFAULT_MIN_BAD_EVENTS,
    STANDARD_WINDOWS,
};
pub use selector::{Selector, OTHER_OPERATION};
pub use slices::{EmptySlices, SliceRule, TimeSlices, RATIO_SLICE_PARTS, SLICE_STEP};
pub use slo::{CancelledPolicy, MaintenancePolicy, Sli, Slo, SloBuilder, SloDefinition};
pub use status_page::{slug, ComponentState, StatusComponent, StatusPage, StatusWords};
