//! The primitives every part of the state file is written and read with: integers, the
//! cursor that reads them with bounds checks, the checksum, and the one error type.

use std::fmt;

use crate::clock::Timestamp;
use crate::window::Reading;

/// Why a state file was not used.
#[derive(Debug)]
pub enum StateError {
    /// It could not be read.
    Io(std::io::Error),
    /// It is not a sloguard state file, or a version this one cannot read.
    NotAStateFile,
    /// Its checksum does not match: torn by a crash mid-write, or corrupted.
    Corrupt,
    /// It ends early or holds a value that cannot be right.
    Malformed(&'static str),
    /// It was saved at a time later than now (while the clock ran fast, or on a machine whose
    /// clock is ahead): its windows would stand still until then.
    FromTheFuture {
        /// When it says it was saved.
        saved_at: Timestamp,
        /// The time it was loaded at.
        now: Timestamp,
    },
    /// It is larger than any state file sloguard writes ([`MAX_STATE_BYTES`]).
    TooLarge(u64),
}

/// The largest state file read: far more than the SLOs and incidents of any service need
/// (a window ring set is under 64 KiB per SLO), small enough to read without harm.
pub const MAX_STATE_BYTES: u64 = 64 * 1024 * 1024;

/// How far ahead of the loading clock a save may be: clocks of two machines that share a
/// state file disagree by that much at most when they are synchronised.
pub(crate) const CLOCK_TOLERANCE_NANOS: u64 = 60 * 1_000_000_000;

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Io(e) => write!(f, "cannot read the state file: {e}"),
            StateError::NotAStateFile => {
                f.write_str("not a sloguard state file (or an unknown version)")
            }
            StateError::Corrupt => {
                f.write_str("the state file is corrupt (checksum mismatch); it was ignored")
            }
            StateError::Malformed(what) => {
                write!(f, "the state file is malformed ({what}); it was ignored")
            }
            StateError::FromTheFuture { saved_at, now } => write!(
                f,
                "the state file was saved at {saved_at}, after now ({now}): written while a clock ran fast; it was ignored"
            ),
            StateError::TooLarge(bytes) => write!(
                f,
                "the state file holds {bytes} bytes, more than a state file can ({MAX_STATE_BYTES}); it was ignored"
            ),
        }
    }
}

impl std::error::Error for StateError {}

/// 64-bit FNV-1a: enough to tell a torn or flipped file from a whole one.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Little-endian writer helpers.
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A bounds-checked reader: every read can fail, none can panic.
pub(crate) struct Cursor<'a> {
    pub(crate) bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.bytes.len() < n {
            return Err(StateError::Malformed("ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    pub(super) fn u64(&mut self) -> Result<u64, StateError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
    pub(super) fn u32(&mut self) -> Result<u32, StateError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn reading(&mut self) -> Result<Reading, StateError> {
        Ok(Reading {
            total: self.u64()?,
            bad: self.u64()?,
        })
    }
    pub(super) fn string(&mut self, what: &'static str) -> Result<String, StateError> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| StateError::Malformed(what))
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}
