//! What people write about incidents: open one, post updates, resolve it.
//!
//! Every write is checked whole before anything changes (a clear [`WriteError`] naming the
//! field), then applied and, when the registry keeps a state file
//! ([`Registry::persist_to`](crate::Registry::persist_to)), saved at once: a write is
//! acknowledged only once it is on disk, and one that cannot be saved is undone.
//!
//! ```
//! use sloguard_core::incidents::{Impact, NewIncident, UpdateStatus};
//! use sloguard_core::{Registry, model::{Slo, StatusComponent, StatusPage}};
//!
//! let registry = Registry::builder("payments").build();
//! registry.register(Slo::availability("cards").build().unwrap()).unwrap();
//! registry.set_status_page(StatusPage::new("Acme").component(StatusComponent::new("Card payments", ["cards"])));
//! let opened = registry.open_incident(NewIncident {
//!     name: "Card payments fail for some customers".into(),
//!     status: UpdateStatus::Investigating,
//!     impact: Impact::Major,
//!     components: vec!["card-payments".into()],
//!     message: "We are looking into reports of failed card payments.".into(),
//! }).unwrap();
//! registry.post_update(opened.id, UpdateStatus::Resolved, "Fixed by a rollback.").unwrap();
//! let incident = &registry.incidents()[0];
//! assert!(incident.resolved_at.is_some());
//! assert_eq!(incident.updates.len(), 2);
//! assert_eq!(incident.declared_slos, ["cards"]);
//! ```

use crate::clock::Timestamp;
use crate::model::ComponentState;

/// Updates kept per incident; a further one is refused.
pub const MAX_UPDATES: usize = 100;
/// The longest title, in bytes.
pub const MAX_TITLE: usize = 200;
/// The longest message, in bytes.
pub const MAX_MESSAGE: usize = 5_000;

/// Where an incident stands, in Statuspage's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpdateStatus {
    /// Something is wrong and people are finding out what.
    Investigating,
    /// The cause is known.
    Identified,
    /// A fix is out and people are watching it.
    Monitoring,
    /// It is over.
    Resolved,
}

impl UpdateStatus {
    /// Every status, in the order an incident goes through them.
    pub const ALL: [UpdateStatus; 4] = [
        UpdateStatus::Investigating,
        UpdateStatus::Identified,
        UpdateStatus::Monitoring,
        UpdateStatus::Resolved,
    ];

    /// Its name in the API and the Statuspage documents (`investigating`).
    pub const fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "investigating",
            UpdateStatus::Identified => "identified",
            UpdateStatus::Monitoring => "monitoring",
            UpdateStatus::Resolved => "resolved",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<UpdateStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// How badly a person says an incident hurts, in Statuspage's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// Worth telling, no component hurt.
    None,
    /// Its components are degraded.
    Minor,
    /// Its components are partly down.
    Major,
    /// Its components are down.
    Critical,
}

impl Impact {
    /// Every impact, least first.
    pub const ALL: [Impact; 4] = [Impact::None, Impact::Minor, Impact::Major, Impact::Critical];

    /// Its name in the API and the Statuspage documents (`major`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// The impact named `name`.
    pub fn parse(name: &str) -> Option<Impact> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The state its components are shown in while it is open.
    pub const fn component_state(self) -> ComponentState {
        match self {
            Impact::None => ComponentState::Operational,
            Impact::Minor => ComponentState::DegradedPerformance,
            Impact::Major => ComponentState::PartialOutage,
            Impact::Critical => ComponentState::MajorOutage,
        }
    }

    /// The impact that describes a component state.
    pub const fn of_state(state: ComponentState) -> Impact {
        match state {
            ComponentState::MajorOutage => Impact::Critical,
            ComponentState::PartialOutage => Impact::Major,
            ComponentState::Operational | ComponentState::UnderMaintenance => Impact::None,
            ComponentState::NoData | ComponentState::DegradedPerformance => Impact::Minor,
        }
    }
}

/// One update people posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentUpdate {
    /// Its number in the incident, from 1.
    pub id: u64,
    /// When it was posted.
    pub at: Timestamp,
    /// Where the incident stands.
    pub status: UpdateStatus,
    /// What customers are told, as written (escaped wherever it is shown).
    pub message: String,
}

/// An incident a person opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIncident {
    /// Its title.
    pub name: String,
    /// Where it stands (`resolved` opens it resolved: an incident told after the fact).
    pub status: UpdateStatus,
    /// How badly it hurts.
    pub impact: Impact,
    /// The status page components it touches, by id or name (none: the whole service).
    pub components: Vec<String>,
    /// The first update's message.
    pub message: String,
}

/// Why a write was refused or not kept.
#[derive(Debug)]
pub enum WriteError {
    /// A field is missing, malformed or out of bounds: the field and why.
    Invalid {
        /// The field, as the API names it.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No incident or maintenance has that id.
    NotFound {
        /// `incident` or `maintenance`.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The write does not fit the present state (an update to a resolved incident).
    Conflict(String),
    /// The change could not be saved to the state file, and was undone.
    NotSaved(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            WriteError::NotFound { what, id } => write!(f, "there is no {what} {id}"),
            WriteError::Conflict(why) => f.write_str(why),
            WriteError::NotSaved(e) => write!(
                f,
                "the change could not be saved to the state file and was undone: {e}"
            ),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::NotSaved(e) => Some(e),
            _ => None,
        }
    }
}

/// `text` as a bounded, non-blank field.
pub(crate) fn text(field: &'static str, text: &str, max: usize) -> Result<String, WriteError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(WriteError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    if trimmed.len() > max {
        return Err(WriteError::Invalid {
            field,
            reason: format!("is {} bytes long; at most {max} are kept", trimmed.len()),
        });
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(WriteError::Invalid {
            field,
            reason: "holds control characters".into(),
        });
    }
    Ok(trimmed.to_owned())
}
