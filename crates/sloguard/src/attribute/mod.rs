//! Runtime support of the `#[sli]` attribute: the default registry, call sites resolved once,
//! and how a function's return value becomes an outcome.
//!
//! ```
//! use sloguard::{attribute::ClassifyError, model::Slo, Registry};
//!
//! #[derive(Debug)]
//! enum ChargeError { CardDeclined, GatewayDown }
//!
//! // A declined card is the customer's business, not a fault of the service.
//! impl ClassifyError for ChargeError {
//!     fn is_fault(&self) -> bool { matches!(self, ChargeError::GatewayDown) }
//! }
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("charges").build().unwrap()).unwrap();
//! sloguard::attribute::set_default_registry(registry.clone()).unwrap();
//!
//! #[sloguard::sli(slo = "charges", operation = "charge_card")]
//! fn charge(declined: bool) -> Result<u32, ChargeError> {
//!     if declined { Err(ChargeError::CardDeclined) } else { Ok(42) }
//! }
//!
//! charge(false).unwrap();
//! charge(true).unwrap_err();
//! let counts = registry.slo("charges").unwrap().counts();
//! assert_eq!((counts.good, counts.bad), (2, 0));
//! ```
//!
//! A call site resolves its SLO the first time it runs (from the registry named in the
//! attribute, or the default one) and keeps the handles in a `static`; every later call costs
//! two clock reads and the core record. A name that no SLO defines is reported once through
//! `tracing` (target `sloguard`, level error) with the file and line of the attribute, and
//! those calls are not recorded: a typo never takes the host down.

pub(crate) mod support;

use std::sync::OnceLock;

use sloguard_core::contract;
use sloguard_core::Registry;

/// The operation histogram of calls instrumented with `#[sli]` (see the
/// [contract](sloguard_core::contract::OPERATION_DURATION)).
pub const OPERATION_DURATION: &str = contract::OPERATION_DURATION.name;

static DEFAULT: OnceLock<Registry> = OnceLock::new();

/// Sets the process-wide registry that `#[sli]` call sites use when the attribute names none.
/// It can be set once; a second call returns the registry it was given back.
pub fn set_default_registry(registry: Registry) -> Result<(), Registry> {
    DEFAULT.set(registry)
}

/// Where an `#[sli]` of the default registry names the SLO `slo` (its file and line), if one
/// does anywhere in the program. Such an SLO is fed by calls only: a layer on the default
/// registry leaves it out from the first request on, whichever runs first. (A site naming its
/// registry with `registry = ...` cannot be known before it runs; there the first feeder
/// owns the SLO and the other is refused with a `slo_fed_twice` diagnostic.)
pub fn named_by_attribute(slo: &str) -> Option<&'static str> {
    #[cfg(feature = "macros")]
    {
        inventory::iter::<support::NamedSlo>
            .into_iter()
            .find(|n| n.slo == slo)
            .map(|n| n.location)
    }
    #[cfg(not(feature = "macros"))]
    {
        let _ = slo;
        None
    }
}

/// The process-wide default registry, if one was set.
pub fn default_registry() -> Option<&'static Registry> {
    DEFAULT.get()
}

/// Lets an error type say that some of its errors are not the service's fault (a validation
/// error, a declined card): those count as good events. Errors of types that do not implement
/// it are all faults.
pub trait ClassifyError {
    /// Whether this error is the service's fault (default: yes).
    fn is_fault(&self) -> bool {
        true
    }
}

/// What `registry = ...` in the attribute may evaluate to.
pub trait IntoRegistry {
    /// The registry.
    fn into_registry(self) -> Registry;
}

impl IntoRegistry for Registry {
    fn into_registry(self) -> Registry {
        self
    }
}

impl IntoRegistry for &Registry {
    fn into_registry(self) -> Registry {
        self.clone()
    }
}
