//! Headless Chromium (Debian's, installed by `.ci/run`), driven from the command line: the
//! DOM it builds for a page, and screenshots.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Daemon;

/// Runs headless Chromium with `args` on `url`, standard output to `out`, within 90 s.
pub async fn chromium(binary: &Path, profile: &Path, args: &[String], url: &str, out: Stdio) {
    let mut browser = Daemon(
        Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--virtual-time-budget=2000",
            ])
            .arg(format!(
                "--user-data-dir={}",
                profile.join("profile").display()
            ))
            .args(args)
            .arg(url)
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    while browser.0.try_wait().ok().flatten().is_none() {
        assert!(
            Instant::now() < deadline,
            "chromium did not finish within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The DOM Chromium builds for `url`, through the file `name` in `profile`.
pub async fn dump_dom(binary: &Path, profile: &Path, url: &str, name: &str) -> String {
    let file = profile.join(name);
    let out = std::fs::File::create(&file).expect("dom file");
    chromium(binary, profile, &["--dump-dom".to_owned()], url, out.into()).await;
    std::fs::read_to_string(&file).expect("dom")
}
