//! What people write, applied to a registry: incidents opened and updated
//! ([`crate::incidents::write`]), maintenance scheduled and cancelled
//! ([`crate::maintenance`]). Every write is checked whole, applied under one lock and, when the
//! registry keeps a state file, saved before it returns; one that cannot be saved is undone.

use crate::clock::Timestamp;
use crate::incidents::write::{text, MAX_MESSAGE, MAX_TITLE, MAX_UPDATES};
use crate::incidents::{
    Incident, IncidentLog, IncidentUpdate, NewIncident, Opener, UpdateStatus, WriteError,
};
use crate::maintenance::{
    Maintenance, MaintenanceLog, NewMaintenance, MAX_AHEAD, MAX_LENGTH, MAX_MAINTENANCES,
};
use crate::model::MaintenancePolicy;
use crate::registry::Registry;
use crate::sync::lock;

impl Registry {
    /// The components named by id or name, as ids, with the SLOs they are judged by; none
    /// named means every component.
    pub(crate) fn resolve_components(
        &self,
        named: &[String],
    ) -> Result<(Vec<String>, Vec<String>), WriteError> {
        let page = self.effective_status_page();
        let mut ids: Vec<String> = Vec::new();
        let mut slos: Vec<String> = Vec::new();
        let chosen: Vec<_> = if named.is_empty() {
            page.components.iter().collect()
        } else {
            named
                .iter()
                .map(|key| {
                    page.find_component(key).ok_or_else(|| WriteError::Invalid {
                        field: "components",
                        reason: format!(
                            "no component is named {key:?}; the components are {}",
                            page.components
                                .iter()
                                .map(|c| format!("{:?}", c.id()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
                })
                .collect::<Result<_, _>>()?
        };
        for c in chosen {
            if !ids.contains(&c.id()) {
                ids.push(c.id());
            }
            for s in &c.slos {
                if !slos.contains(s) {
                    slos.push(s.clone());
                }
            }
        }
        Ok((ids, slos))
    }

    /// Opens an incident a person writes (see [`crate::incidents`]), with its first update,
    /// and returns it.
    pub fn open_incident(&self, new: NewIncident) -> Result<Incident, WriteError> {
        let name = text("name", &new.name, MAX_TITLE)?;
        let message = text("message", &new.message, MAX_MESSAGE)?;
        let (components, declared_slos) = self.resolve_components(&new.components)?;
        self.write_people(|log, _, now| {
            if log.incidents.len() >= crate::incidents::MAX_INCIDENTS
                && log.incidents.iter().all(|i| i.resolved_at.is_none())
            {
                // Keeping this one would forget an open incident.
                return Err(WriteError::Conflict(format!(
                    "{} incidents are open, the most kept; resolve one first",
                    crate::incidents::MAX_INCIDENTS
                )));
            }
            let mut incident = Incident::opened(0, now, Opener::Person);
            incident.title = Some(name);
            incident.impact = Some(new.impact);
            incident.components = components;
            incident.declared_slos = declared_slos;
            incident.updates.push(IncidentUpdate {
                id: 1,
                at: now,
                status: new.status,
                message,
            });
            if new.status == UpdateStatus::Resolved {
                incident.resolved_at = Some(now);
            }
            let n = log.push(incident);
            Ok(log.incidents[n].clone())
        })
    }

    /// Posts an update to incident `id` (one the engine opened included); `resolved`
    /// resolves it. Returns the incident as it now stands.
    pub fn post_update(
        &self,
        id: u64,
        status: UpdateStatus,
        message: &str,
    ) -> Result<Incident, WriteError> {
        let message = text("message", message, MAX_MESSAGE)?;
        self.write_people(|log, _, now| {
            let incident = log
                .incidents
                .iter_mut()
                .find(|i| i.id == id)
                .ok_or_else(|| WriteError::NotFound {
                    what: "incident",
                    id: id.to_string(),
                })?;
            if incident.resolved_at.is_some() {
                return Err(WriteError::Conflict(format!(
                    "incident {id} is resolved; open a new incident to say more"
                )));
            }
            if incident.updates.len() >= MAX_UPDATES {
                return Err(WriteError::Conflict(format!(
                    "incident {id} has {MAX_UPDATES} updates, the most kept; resolve it and open a new one"
                )));
            }
            incident.updates.push(IncidentUpdate {
                id: incident.updates.len() as u64 + 1,
                at: now,
                status,
                message,
            });
            if status == UpdateStatus::Resolved {
                incident.resolved_at = Some(now);
            }
            Ok(incident.clone())
        })
    }

    /// Applies a write to the incident log and the maintenance schedule under one lock, then
    /// saves the state file when the registry keeps one; a change that cannot be saved is
    /// undone and is an error.
    pub(crate) fn write_people<T>(
        &self,
        change: impl FnOnce(&mut IncidentLog, &mut MaintenanceLog, Timestamp) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let _one_writer = lock(&self.inner.writes);
        let now = self.clock().now();
        let before = {
            let mut log = lock(&self.inner.incidents);
            let mut schedule = lock(&self.inner.maintenance);
            let before = (log.clone(), schedule.clone());
            let done = change(&mut log, &mut schedule, now)?;
            log.changed();
            (before, done)
        };
        let ((log_before, schedule_before), done) = before;
        let Some(path) = lock(&self.inner.state_path).clone() else {
            return Ok(done);
        };
        if let Err(e) = self.save_state(&path) {
            *lock(&self.inner.incidents) = log_before;
            *lock(&self.inner.maintenance) = schedule_before;
            return Err(WriteError::NotSaved(e));
        }
        Ok(done)
    }
}

impl Registry {
    /// Schedules a maintenance window and returns it.
    pub fn schedule_maintenance(&self, new: NewMaintenance) -> Result<Maintenance, WriteError> {
        let name = text("name", &new.name, MAX_TITLE)?;
        let message = text("message", &new.message, MAX_MESSAGE)?;
        let now = self.clock().now();
        let (start, end) = (new.scheduled_for, new.scheduled_until);
        let invalid = |field, reason: String| WriteError::Invalid { field, reason };
        if end <= start {
            return Err(invalid(
                "scheduled_until",
                "must be after scheduled_for".into(),
            ));
        }
        if end <= now {
            return Err(invalid(
                "scheduled_until",
                "is in the past: a window is kept from when it is scheduled, so one already over would leave nothing out".into(),
            ));
        }
        if end.saturating_duration_since(start) > MAX_LENGTH {
            return Err(invalid(
                "scheduled_until",
                format!(
                    "the window is longer than {} days",
                    MAX_LENGTH.as_secs() / 86_400
                ),
            ));
        }
        if start.saturating_duration_since(now) > MAX_AHEAD {
            return Err(invalid(
                "scheduled_for",
                format!("is more than {} days ahead", MAX_AHEAD.as_secs() / 86_400),
            ));
        }
        let (components, slos) = self.resolve_components(&new.components)?;
        if start <= now {
            // Under way already: what came before now is sampled as it was, not left out.
            self.tick_at(now);
        }
        self.write_people(|_, schedule, now| {
            if schedule.windows.len() >= MAX_MAINTENANCES {
                // The oldest finished window is forgotten; one still ahead never is.
                let Some(oldest) = schedule.windows.iter().position(|m| m.ends_at() <= now)
                else {
                    return Err(WriteError::Conflict(format!(
                        "{MAX_MAINTENANCES} maintenance windows are ahead or in progress, the most kept; cancel one first"
                    )));
                };
                schedule.windows.remove(oldest);
            }
            schedule.next_id += 1;
            let window = Maintenance {
                id: schedule.next_id,
                name,
                message,
                scheduled_for: start,
                scheduled_until: end,
                components,
                slos,
                created_at: now,
                cancelled_at: None,
            };
            schedule.windows.push_back(window.clone());
            Ok(window)
        })
    }

    /// Cancels maintenance window `id`: one not started never runs, one in progress ends now.
    pub fn cancel_maintenance(&self, id: u64) -> Result<Maintenance, WriteError> {
        // What came while it ran is sampled (and left out) before it ends.
        self.tick_at(self.clock().now());
        self.write_people(|_, schedule, now| {
            let window = schedule
                .windows
                .iter_mut()
                .find(|m| m.id == id)
                .ok_or_else(|| WriteError::NotFound {
                    what: "maintenance",
                    id: id.to_string(),
                })?;
            if window.cancelled_at.is_some() || window.ends_at() <= now {
                return Err(WriteError::Conflict(format!(
                    "maintenance {id} is already over"
                )));
            }
            window.cancelled_at = Some(now);
            Ok(window.clone())
        })
    }

    /// Every maintenance window kept, oldest first.
    pub fn maintenances(&self) -> Vec<Maintenance> {
        lock(&self.inner.maintenance)
            .windows
            .iter()
            .cloned()
            .collect()
    }

    /// Whether `slo` is under an active maintenance at `t` and leaves it out (its policy is
    /// not [`MaintenancePolicy::Count`]).
    pub fn under_maintenance(&self, slo: &str, t: Timestamp) -> bool {
        let excludes = self
            .entries()
            .iter()
            .find(|e| e.definition.name() == slo)
            .is_some_and(|e| e.definition.maintenance() == MaintenancePolicy::Exclude);
        excludes && lock(&self.inner.maintenance).active(slo, t)
    }
}
