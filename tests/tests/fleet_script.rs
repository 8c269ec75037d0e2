//! The README's fleet commands, as a newcomer runs them: `bash examples/fleet/run.sh` starts
//! three replicas, a Prometheus and `sloguard serve`, and `sloguard check` on serve's
//! `/slo.json` says CRITICAL (the failing replica pages, for the fleet). Free ports are passed
//! through the script's variables; stopping the script stops everything it started.
//!
//! Needs Debian's `prometheus` and `curl`: in CI a missing program fails the test; elsewhere it
//! is skipped with a message.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use sloguard_e2e::{as_from_a_shell, build_cli, free_port, program, wait_until_blocking, Daemon};

#[test]
fn the_readme_fleet_runs_in_two_commands() {
    let (Some(_), Some(_)) = (program("prometheus"), program("curl")) else {
        return;
    };
    let cli = build_cli();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let replicas = format!("{} {} {}", free_port(), free_port(), free_port());
    let serve = free_port();
    let mut script = Command::new("bash");
    script
        .arg("examples/fleet/run.sh")
        .current_dir(root)
        .env("FLEET_SECONDS", "300")
        .env("FLEET_REPLICA_PORTS", &replicas)
        .env("FLEET_PROMETHEUS_PORT", free_port().to_string())
        .env("FLEET_SERVE_PORT", serve.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group, so the whole fleet is stopped with it.
        .process_group(0);
    as_from_a_shell(&mut script);
    let fleet = Daemon(script.spawn().expect("the script starts"));
    let _group = Group(fleet.0.id());

    // The second command: CRITICAL once serve judges the fleet (exit 2).
    let url = format!("http://127.0.0.1:{serve}/slo.json");
    let (code, out) = wait_until_blocking(
        Duration::from_secs(240),
        "the fleet's check to say CRITICAL",
        || {
            let check = Command::new(&cli)
                .args(["check", "--url", &url, "--timeout", "5"])
                .output()
                .expect("check runs");
            (
                check.status.code(),
                String::from_utf8_lossy(&check.stdout).into_owned(),
            )
        },
        |(code, _)| *code == Some(2),
    );
    assert_eq!(code, Some(2));
    assert!(out.contains("availability: page alert firing"), "{out}");

    // Stopping the script (SIGTERM, as Ctrl-C or a service manager would) stops the fleet:
    // nothing answers on serve's port any more.
    let _ = Command::new("kill")
        .args(["-s", "TERM", &fleet.0.id().to_string()])
        .status();
    wait_until_blocking(
        Duration::from_secs(60),
        "the fleet to stop with its script",
        || std::net::TcpStream::connect(("127.0.0.1", serve)).is_err(),
        |stopped| *stopped,
    );
    drop(fleet);
}

/// The script's process group, killed whatever happens to the test, so a failing run leaves
/// no replica or Prometheus behind.
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}
