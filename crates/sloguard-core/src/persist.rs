//! Window state that survives restarts (opt-in): a restart does not reset 30 days of budget.
//!
//! The state file holds, per SLO, its cumulative counts and its window rings. It is written
//! atomically (a temporary file beside it, `fsync`, `rename`, then `fsync` of the directory),
//! so a crash at any moment leaves the previous file or the new one, never a mix. It ends with a
//! 64-bit FNV-1a checksum of everything before it; a torn, truncated or corrupt file is detected,
//! reported as an error and ignored, and never panics the service.
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

use std::fmt;
use std::io::Write;
use std::path::Path;

const MAGIC: &[u8; 8] = b"SLOGUARD";
const VERSION: u32 = 1;

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
}

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
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        if self.bytes.len() < n {
            return Err(StateError::Malformed("ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    pub(crate) fn u64(&mut self) -> Result<u64, StateError> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, StateError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Frames a payload: magic, version, payload, checksum.
pub(crate) fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    out.extend_from_slice(payload);
    let sum = checksum(&out);
    put_u64(&mut out, sum);
    out
}

/// Checks the frame and returns the payload.
pub(crate) fn unframe(bytes: &[u8]) -> Result<&[u8], StateError> {
    if bytes.len() < MAGIC.len() + 4 + 8 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(StateError::NotAStateFile);
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut c = Cursor::new(sum);
    if checksum(body) != c.u64()? {
        return Err(StateError::Corrupt);
    }
    let mut c = Cursor::new(&body[MAGIC.len()..]);
    if c.u32()? != VERSION {
        return Err(StateError::NotAStateFile);
    }
    Ok(c.bytes)
}

/// Writes `bytes` to `path` atomically and durably.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    // The rename itself is made durable by syncing the directory that holds it.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// What loading restored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// SLOs whose counts and windows were restored.
    pub restored: Vec<String>,
    /// SLOs in the file that are not registered, or whose period changed: left alone.
    pub skipped: Vec<String>,
}

/// Periodic saving; see [`Registry::persist_to`](crate::registry::Registry::persist_to).
/// Dropping it saves one last time.
#[derive(Debug)]
pub struct Persistence {
    registry: crate::registry::Registry,
    path: std::path::PathBuf,
    active: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Persistence {
    pub(crate) fn start(
        registry: crate::registry::Registry,
        path: std::path::PathBuf,
        every: std::time::Duration,
    ) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let active = Arc::new(AtomicBool::new(true));
        let last = Arc::new(AtomicU64::new(0));
        let every = crate::clock::duration_nanos(every);
        // The observer keeps the registry alive: a registry that persists lives as long as the
        // process anyway.
        let (flag, target, saver) = (Arc::clone(&active), path.clone(), registry.clone());
        registry.on_tick(move |snapshot| {
            let now = snapshot.taken_at.as_unix_nanos();
            if !flag.load(Ordering::Relaxed)
                || now.saturating_sub(last.load(Ordering::Relaxed)) < every
            {
                return;
            }
            last.store(now, Ordering::Relaxed);
            if let Err(e) = saver.save_state(&target) {
                eprintln!(
                    "sloguard: cannot save the SLO state to {}: {e}",
                    target.display()
                );
            }
        });
        Persistence {
            registry,
            path,
            active,
        }
    }
}

impl Drop for Persistence {
    fn drop(&mut self) {
        self.active
            .store(false, std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = self.registry.save_state(&self.path) {
            eprintln!(
                "sloguard: cannot save the SLO state to {}: {e}",
                self.path.display()
            );
        }
    }
}
