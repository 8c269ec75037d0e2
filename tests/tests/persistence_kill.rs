//! A process killed while it writes its state file restarts with a whole file: the last one
//! written before the kill, never a torn one.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sloguard_e2e::{build_example, temp_dir, wait_until_blocking, PATIENCE};

/// What identifies one version of the state file: the worker writes a temporary file and
/// renames it over the old one, so each save is a new inode.
fn version(state: &Path) -> Option<(u64, i64, i64)> {
    let meta = std::fs::metadata(state).ok()?;
    Some((meta.ino(), meta.mtime(), meta.mtime_nsec()))
}

/// Starts the worker, reads its first line, waits until it has saved at least once after
/// loading (however loaded the machine), lets it run `then` more, and kills it.
fn first_line(exe: &Path, state: &Path, then: Duration) -> String {
    let before = version(state);
    let mut child = Command::new(exe)
        .arg(state)
        .stdout(Stdio::piped())
        .spawn()
        .expect("worker starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let saved = wait_until_blocking(
        PATIENCE,
        "the worker to save its state once",
        || version(state),
        |now| now.is_some() && *now != before,
    );
    assert_ne!(saved, before);
    // Then a kill at a point that varies by round, so it lands within a write sooner or later.
    std::thread::sleep(then);
    // SIGKILL: no chance to finish a write or clean up.
    child.kill().expect("killed");
    let _ = child.wait();
    line.trim().to_owned()
}

#[test]
fn killing_the_process_mid_write_never_leaves_a_torn_state() {
    let exe = build_example("persistent_worker");
    let dir = temp_dir("kill");
    let state = dir.join("worker.state");
    let first = first_line(&exe, &state, Duration::from_millis(100));
    assert!(first.starts_with("started fresh"), "{first}");
    let mut last = 0u64;
    for round in 0..5u64 {
        let line = first_line(&exe, &state, Duration::from_millis(20 + 37 * round));
        let loaded: u64 = line
            .strip_prefix("loaded ")
            .and_then(|l| l.strip_suffix(" events"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("round {round}: the state was not loaded: {line}"));
        assert!(
            loaded > last,
            "round {round}: {loaded} events after {last}: the count must only grow"
        );
        last = loaded;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
