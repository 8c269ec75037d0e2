//! The limits of a period, which the definitions and their errors both name.

use std::time::Duration;

/// The default SLO period: 30 days.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(30 * 86_400);
/// The shortest period accepted: 1 hour.
pub const MIN_PERIOD: Duration = Duration::from_secs(3_600);

/// The longest SLO period: ten years of 366 days. Far past any promise people make, and well
/// inside what Prometheus' durations and the engine's arithmetic hold.
pub const MAX_PERIOD: Duration = Duration::from_secs(3_660 * 86_400);
