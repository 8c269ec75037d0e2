//! An event in progress, and the rule that records it exactly once.
//!
//! The tower layer (one request) and the `#[sli]` attribute (one call) both hold a
//! [`PendingEvent`] from the start of the event to its end. The rule lives here only:
//! - the first [`PendingEvent::finish`] records the event; any later one does nothing;
//! - dropped unfinished (a future or body abandoned by the client), it records
//!   [`Outcome::Cancelled`];
//! - dropped unfinished while a panic unwinds, it records [`Outcome::Error`].
//!
//! ```
//! use sloguard_core::Outcome;
//! use sloguard_core::pending::{Finish, PendingEvent};
//!
//! struct Log(Vec<Outcome>);
//! impl Finish for &mut Log {
//!     fn finish(&mut self, outcome: Outcome) { self.0.push(outcome); }
//! }
//!
//! let mut log = Log(Vec::new());
//! let mut event = PendingEvent::new(&mut log);
//! event.finish(Outcome::Success);
//! event.finish(Outcome::Error); // ignored: recorded once
//! drop(event);
//! assert_eq!(log.0, [Outcome::Success]);
//!
//! drop(PendingEvent::new(&mut log)); // abandoned
//! assert_eq!(log.0, [Outcome::Success, Outcome::Cancelled]);
//! ```

use crate::recorder::Outcome;

/// Where a pending event is recorded when it ends.
pub trait Finish {
    /// Records the event with its outcome. Called at most once per [`PendingEvent`].
    fn finish(&mut self, outcome: Outcome);
}

/// An event between its start and its end; see the [module docs](self).
#[derive(Debug)]
pub struct PendingEvent<T: Finish> {
    target: T,
    done: bool,
}

impl<T: Finish> PendingEvent<T> {
    /// An event that `target` records when it ends.
    #[inline]
    pub fn new(target: T) -> Self {
        PendingEvent {
            target,
            done: false,
        }
    }

    /// Ends the event with `outcome`, unless it has ended already.
    #[inline]
    pub fn finish(&mut self, outcome: Outcome) {
        if !std::mem::replace(&mut self.done, true) {
            self.target.finish(outcome);
        }
    }

    /// The target, to read what it has gathered.
    #[inline]
    pub fn target(&self) -> &T {
        &self.target
    }

    /// The target, to note what is learnt while the event runs (a response status).
    #[inline]
    pub fn target_mut(&mut self) -> &mut T {
        &mut self.target
    }
}

impl<T: Finish> Drop for PendingEvent<T> {
    #[inline]
    fn drop(&mut self) {
        // Ended events (nearly all) skip the panic check.
        if !self.done {
            let outcome = if std::thread::panicking() {
                Outcome::Error
            } else {
                Outcome::Cancelled
            };
            self.finish(outcome);
        }
    }
}
