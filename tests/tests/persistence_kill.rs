//! A process killed while it writes its state file restarts with a whole file: the last one
//! written before the kill, never a torn one.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use sloguard_e2e::{build_example, temp_dir};

fn first_line(exe: &std::path::Path, state: &std::path::Path, run_for: Duration) -> String {
    let mut child = Command::new(exe)
        .arg(state)
        .stdout(Stdio::piped())
        .spawn()
        .expect("worker starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    std::thread::sleep(run_for);
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
    let first = first_line(&exe, &state, Duration::from_millis(300));
    assert!(first.starts_with("started fresh"), "{first}");
    let mut last = 0u64;
    for round in 0..5u64 {
        let line = first_line(&exe, &state, Duration::from_millis(150 + 70 * round));
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
