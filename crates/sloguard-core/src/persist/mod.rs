//! Window state that survives restarts (opt-in): a restart does not reset 30 days of budget.
//!
//! The state file holds, per SLO, its cumulative counts, its window rings, its calendar
//! windows with their past periods, and its time-slice state (the byte layout is in
//! `format.rs`). It is written atomically (a temporary file beside it, `fsync`,
//! `rename`, then `fsync` of the directory), so a crash at any moment leaves the previous file
//! or the new one, never a mix. It ends with a 64-bit FNV-1a checksum of everything before
//! it; a torn, truncated or corrupt file is detected, reported as an error and ignored, and
//! never panics the service.
//!
//! ```
//! use sloguard_core::{Outcome, Registry, model::Slo};
//! use std::time::Duration;
//!
//! let path = std::env::temp_dir().join(format!("sloguard-doc-{}.state", std::process::id()));
//! let before = Registry::builder("payments").build();
//! let slo = before.register(Slo::availability("availability").build().unwrap()).unwrap();
//! slo.record(Outcome::Error, Duration::from_millis(3));
//! before.save_state(&path).unwrap();
//!
//! let after = Registry::builder("payments").build();
//! after.register(Slo::availability("availability").build().unwrap()).unwrap();
//! let report = after.load_state(&path).unwrap();
//! assert_eq!(report.restored, vec!["availability".to_owned()]);
//! assert_eq!(after.slo("availability").unwrap().counts().bad, 1);
//! # std::fs::remove_file(&path).ok();
//! ```

mod alerts;
mod format;
mod incidents;
mod people;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use wire::{StateError, MAX_STATE_BYTES};

use crate::clock::duration_nanos;
use crate::diagnostic::{code, Diagnostic};
use crate::registry::{ObserverId, Registry};
use crate::sync::lock;
use format::SavedSlo;

/// What loading restored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// SLOs whose counts and windows were restored.
    pub restored: Vec<String>,
    /// SLOs in the file that are not registered, or whose period changed: left alone.
    pub skipped: Vec<String>,
    /// When the file was saved: the restored windows end there (a registry fed from a
    /// metrics engine fills them from there on).
    pub saved_at: Option<crate::clock::Timestamp>,
}

impl Registry {
    /// Writes every SLO's counts and windows to `path`, atomically (see the state file notes in the README).
    pub fn save_state(&self, path: &Path) -> std::io::Result<()> {
        let _one_save = lock(&self.inner.saving);
        let slos: Vec<SavedSlo<_>> = self
            .entries()
            .iter()
            .map(|entry| {
                // Counts and windows are read under the same lock the evaluator takes, so a
                // tick cannot slip between them.
                let state = lock(&entry.state);
                SavedSlo {
                    name: entry.definition.name().to_owned(),
                    period: entry.definition.period(),
                    counts: entry.recorder.counts(),
                    windows: state.windows.clone(),
                    calendars: entry
                        .definition
                        .calendars()
                        .iter()
                        .map(|c| c.key())
                        .zip(state.calendars.iter().cloned())
                        .chain([(crate::compliance::utc_days().key(), state.days.clone())])
                        .collect(),
                    slices: state.slices,
                    alerts: alert_states(&entry.definition, &state),
                    maintenance: state.maintenance.clone(),
                }
            })
            .collect();
        let incidents = lock(&self.inner.incidents).clone();
        let schedule = lock(&self.inner.maintenance).clone();
        let payload = format::encode(
            self.clock().now().as_unix_nanos(),
            &slos,
            &incidents,
            &schedule,
        );
        format::write_atomically(path, &format::frame(&payload))
    }

    /// Restores counts and windows from a file written by [`Registry::save_state`], for the
    /// SLOs registered under the same names with the same period. Call it after registering
    /// and before recording. A missing, torn or corrupt file is an error and changes nothing.
    /// A file that cannot be used is also reported as a diagnostic (except a missing one, the
    /// normal first start).
    ///
    /// A file that exists but cannot be used is renamed to `NAME.not-loaded-SECONDS` before
    /// anything can save over it (it may be another version's good file, or the evidence of
    /// what went wrong), and the diagnostic says so.
    pub fn load_state(&self, path: &Path) -> Result<LoadReport, StateError> {
        self.load_state_from(path, true)
    }

    /// [`Registry::load_state`] for tools that read a service's file without owning it (a
    /// report): a file that cannot be used is left where it is.
    pub fn load_state_read_only(&self, path: &Path) -> Result<LoadReport, StateError> {
        self.load_state_from(path, false)
    }

    fn load_state_from(&self, path: &Path, owned: bool) -> Result<LoadReport, StateError> {
        let now = self.clock().now();
        let decoded = read_bounded(path)
            // Decode everything first: a file that fails half-way changes nothing.
            .and_then(|bytes| format::decode(format::unframe(&bytes)?, now));
        let (decoded, incidents, schedule, saved_at) = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                let missing =
                    matches!(&e, StateError::Io(io) if io.kind() == std::io::ErrorKind::NotFound);
                if !missing {
                    // Kept, not overwritten by the next save: it may be another version's
                    // good file, or the evidence of what went wrong.
                    let kept = if owned {
                        set_aside(path)
                    } else {
                        "the file was left as it is".to_owned()
                    };
                    self.report(Diagnostic::service(
                        code::STATE_NOT_LOADED,
                        format!(
                            "the saved state {} could not be used ({e}); budgets and windows start from nothing; {kept}",
                            path.display()
                        ),
                    ));
                }
                return Err(e);
            }
        };
        let mut report = LoadReport {
            saved_at: Some(crate::clock::Timestamp::from_unix_nanos(saved_at)),
            ..LoadReport::default()
        };
        {
            // The incidents before the restart, then those since (normally none).
            let mut log = lock(&self.inner.incidents);
            let since = std::mem::take(&mut *log);
            *log = incidents;
            for mut incident in since.incidents {
                log.next_id += 1;
                incident.id = log.next_id;
                if log.incidents.len() >= crate::incidents::MAX_INCIDENTS {
                    log.incidents.pop_front();
                }
                log.incidents.push_back(incident);
            }
            log.changed();
        }
        {
            // The windows scheduled before the restart, then those since (normally none).
            let mut kept = lock(&self.inner.maintenance);
            let since = std::mem::replace(&mut *kept, schedule);
            for mut window in since.windows {
                kept.next_id += 1;
                window.id = kept.next_id;
                kept.windows.push_back(window);
            }
        }
        let entries = self.entries();
        for saved in decoded {
            // Windows of a time-slice SLO count slices: they fit only an SLO that cuts the
            // same slices and counts them the same way.
            let slice_shape = |e: &crate::registry::SloEntry| {
                e.definition.time_slices().map(|s| {
                    (
                        crate::clock::duration_nanos(s.length()),
                        s.rule() == crate::model::SliceRule::Ratio,
                    )
                })
            };
            let entry = entries.iter().find(|e| {
                e.definition.name() == saved.name
                    && e.definition.period() == saved.period
                    && slice_shape(e) == saved.slices.map(|s| (s.length, s.ratio))
            });
            match (entry, saved.windows) {
                (Some(entry), Some(windows)) => {
                    let mut state = lock(&entry.state);
                    entry.recorder.add_counts(saved.counts);
                    state.windows = windows;
                    let state = &mut *state;
                    for (track, calendar) in
                        state.calendars.iter_mut().zip(entry.definition.calendars())
                    {
                        let key = calendar.key();
                        match saved.calendars.iter().find(|(k, _)| *k == key) {
                            Some((_, saved)) => *track = saved.clone().kept(track.keep),
                            // A calendar added since the file was written.
                            None => track.rebase(calendar, &state.windows),
                        }
                    }
                    let days = crate::compliance::utc_days();
                    match saved.calendars.iter().find(|(k, _)| *k == days.key()) {
                        Some((_, saved)) => state.days = saved.clone().kept(state.days.keep),
                        // A file written before daily bars were kept.
                        None => state.days.rebase(days, &state.windows),
                    }
                    state.slices = saved.slices;
                    state.maintenance = crate::maintenance::MaintenanceTrack {
                        seen: saved.counts,
                        ..saved.maintenance
                    };
                    restore_alerts(&entry.definition, state, &saved.alerts);
                    report.restored.push(saved.name);
                }
                _ => report.skipped.push(saved.name),
            }
        }
        Ok(report)
    }

    /// Saves the state to `path` after evaluations at most every `every` of the registry's
    /// time, and once more when the returned guard is dropped (at shutdown). Failures are
    /// logged (`tracing`, target `sloguard`) and retried at the next save.
    ///
    /// People's writes (incidents, updates, maintenance) are saved to the same file at once,
    /// before they are acknowledged.
    pub fn persist_to(&self, path: impl Into<PathBuf>, every: Duration) -> Persistence {
        let path = path.into();
        *lock(&self.inner.state_path) = Some(path.clone());
        Persistence::start(self, path, every)
    }
}

/// An SLO's tier states under their ids, the SLA's after its burn-rate tiers.
fn alert_states(
    definition: &crate::model::SloDefinition,
    state: &crate::registry::EvalState,
) -> alerts::SavedAlerts {
    let tiers = definition.alerting().tiers.iter().map(|t| t.id());
    let sla = crate::alert::SLA_TIERS
        .iter()
        .map(|(id, _, _)| (*id).to_owned());
    tiers
        .zip(state.tiers.iter().copied())
        .chain(sla.zip(state.sla_tiers.iter().copied()))
        .collect()
}

/// Restores the tier states saved under the ids the definition still has (a tier changed
/// since starts afresh). A restored firing tier is marked resumed: its first evaluation says
/// so to the sinks that keep alerts alive, instead of paging anew.
fn restore_alerts(
    definition: &crate::model::SloDefinition,
    state: &mut crate::registry::EvalState,
    saved: &alerts::SavedAlerts,
) {
    let find = |id: &str| saved.iter().find(|(i, _)| i == id).map(|(_, s)| *s);
    for (tier, slot) in definition.alerting().tiers.iter().zip(&mut state.tiers) {
        if let Some(saved) = find(&tier.id()) {
            *slot = saved;
        }
    }
    for ((id, _, _), slot) in crate::alert::SLA_TIERS.iter().zip(&mut state.sla_tiers) {
        if let Some(saved) = find(id) {
            *slot = saved;
        }
    }
}

/// Renames a state file that could not be loaded to `NAME.not-loaded-SECONDS`, and says
/// where it went (or why it stayed).
fn set_aside(path: &Path) -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".not-loaded-{seconds}"));
    let aside = PathBuf::from(aside);
    match std::fs::rename(path, &aside) {
        Ok(()) => format!("the file was kept as {}", aside.display()),
        Err(e) => format!("the file could not be set aside ({e}) and the next save replaces it"),
    }
}

/// The bytes of the file at `path`, refusing one larger than [`MAX_STATE_BYTES`] before
/// reading it.
fn read_bounded(path: &Path) -> Result<Vec<u8>, StateError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(StateError::Io)?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells a file that is too large (even one that grows).
    file.take(MAX_STATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(StateError::Io)?;
    if bytes.len() as u64 > MAX_STATE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(StateError::TooLarge(size));
    }
    Ok(bytes)
}

/// Periodic saving; see [`Registry::persist_to`]. Dropping it saves one last time.
#[derive(Debug)]
pub struct Persistence {
    registry: Registry,
    path: PathBuf,
    observer: ObserverId,
    active: Arc<AtomicBool>,
    saver: Option<std::thread::JoinHandle<()>>,
}

fn report_failure(path: &Path, e: &std::io::Error) {
    tracing::error!(target: "sloguard", path = %path.display(), "cannot save the SLO state: {e}");
}

impl Persistence {
    fn start(registry: &Registry, path: PathBuf, every: Duration) -> Self {
        let active = Arc::new(AtomicBool::new(true));
        let last = AtomicU64::new(0);
        let every = duration_nanos(every);
        // Saves happen on a thread of their own: a slow or stuck disk must not hold up the
        // evaluator, which delivers the alerts. The evaluator only asks; a request made while
        // one is pending is the same request.
        let (ask, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let saver = {
            let (target, registry) = (path.clone(), registry.downgrade());
            std::thread::Builder::new()
                .name("sloguard-persist".into())
                .spawn(move || {
                    while asked.recv().is_ok() {
                        let Some(registry) = registry.upgrade() else {
                            return;
                        };
                        if let Err(e) = registry.save_state(&target) {
                            report_failure(&target, &e);
                        }
                    }
                })
                .map_err(|e| {
                    tracing::error!(target: "sloguard", "could not start the state-saving thread ({e}); the state is saved only at shutdown");
                })
                .ok()
        };
        let flag = Arc::clone(&active);
        let observer = registry.on_tick(move |snapshot| {
            let now = snapshot.taken_at.as_unix_nanos();
            if !flag.load(Ordering::Relaxed)
                || now.saturating_sub(last.load(Ordering::Relaxed)) < every
            {
                return;
            }
            last.store(now, Ordering::Relaxed);
            let _ = ask.try_send(());
        });
        Persistence {
            registry: registry.clone(),
            path,
            observer,
            active,
            saver,
        }
    }
}

impl Drop for Persistence {
    fn drop(&mut self) {
        self.active.store(false, Ordering::Relaxed);
        lock(&self.registry.inner.state_path).take();
        // Removing the observer drops the only sender: the saving thread ends after the save
        // it may be doing.
        self.registry.remove_observer(self.observer);
        if let Some(saver) = self.saver.take() {
            let _ = saver.join();
        }
        if let Err(e) = self.registry.save_state(&self.path) {
            report_failure(&self.path, &e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Slo;

    #[test]
    fn periodic_saving_leaves_no_reference_cycle_and_no_observer_behind() {
        let path =
            std::env::temp_dir().join(format!("sloguard-cycle-{}.state", std::process::id()));
        let registry = Registry::builder("payments").build();
        registry
            .register(Slo::availability("availability").build().expect("valid"))
            .expect("registered");
        let weak = registry.downgrade();
        let persistence = registry.persist_to(&path, Duration::from_secs(60));
        assert_eq!(crate::sync::read(&registry.inner.observers).len(), 1);
        drop(persistence);
        assert!(path.exists(), "saved once more when dropped");
        assert!(crate::sync::read(&registry.inner.observers).is_empty());
        drop(registry);
        assert!(weak.upgrade().is_none(), "nothing keeps the registry alive");
        std::fs::remove_file(&path).ok();
    }
}
