//! `sloguard serve` at scale: 10, 100 and 1,000 SLOs against a real Prometheus backfilled with
//! 30 days of synthetic series (two replicas per SLO, hourly samples, per minute for the last
//! two hours), written as OpenMetrics and turned into blocks by
//! `promtool tsdb create-blocks-from openmetrics`.
//!
//! For each size, in a process of its own (so its resident memory is its own): the start
//! (rebuilding every window from 30 days of history), then one evaluation (one step: the
//! queries and the judging of every SLO), timed five times; with the queries each asks and the
//! peak resident memory. Goal: one evaluation of 1,000 SLOs under 2 s, at most 20 queries,
//! under 200 MB.
//!
//! `cargo bench -p sloguard-benches --bench serve_scale` (needs `prometheus` and `promtool`;
//! takes a few minutes). `SERVE_SCALE_SIZES=10,100` picks sizes.

// The table on standard output is what this bench is for.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sloguard::spec::Spec;
use sloguard_cli::serve::{Fleet, Options};

const REPLICAS: usize = 2;
const DAY: i64 = 86_400;
const BLOCK: i64 = 2 * 3600;

/// The spec: `n` availability SLOs of service `bench`.
fn spec(n: usize) -> Spec {
    let mut text = String::from("service: bench\nslos:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  - name: slo-{i}\n    objective: 99.9\n    sli: availability\n"
        ));
    }
    Spec::from_str(&text).expect("a spec")
}

/// The sample times: hourly for 30 days, then per minute for the last two hours.
fn times(end: i64) -> Vec<i64> {
    let fine_from = end - 2 * 3600;
    let mut t: Vec<i64> = (0..)
        .map(|h| end - 31 * DAY + h * 3600)
        .take_while(|t| *t < fine_from)
        .collect();
    t.extend((0..=120).map(|m| fine_from + m * 60));
    t
}

/// Replica `r` of SLO `i` at `t`: 10 requests a second, one in a thousand bad (two in a
/// thousand for every tenth SLO).
fn counts(i: usize, r: usize, t: i64, start: i64) -> (u64, u64) {
    let events = ((t - start) as u64) * (10 + r as u64);
    let per_mille = if i % 10 == 0 { 2 } else { 1 };
    (events, events * per_mille / 1000)
}

/// Writes the series as OpenMetrics files, one per two-hour block, and turns each into blocks.
fn backfill(n: usize, end: i64, dir: &Path, promtool: &Path) {
    let times = times(end);
    let start = times[0] - 3600;
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let mut block_start = times[0].div_euclid(BLOCK) * BLOCK;
    while block_start <= end {
        let in_block: Vec<i64> = times
            .iter()
            .copied()
            .filter(|t| (block_start..block_start + BLOCK).contains(t))
            .collect();
        block_start += BLOCK;
        if in_block.is_empty() {
            continue;
        }
        let file = dir.join("block.om");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
        for (family, bad) in [
            ("sloguard_slo_events", false),
            ("sloguard_slo_bad_events", true),
        ] {
            writeln!(out, "# TYPE {family} counter").expect("write");
            for i in 0..n {
                for r in 0..REPLICAS {
                    for t in &in_block {
                        let (events, bad_events) = counts(i, r, *t, start);
                        writeln!(
                            out,
                            "{family}_total{{service=\"bench\",slo=\"slo-{i}\",instance=\"r{r}\",job=\"bench\"}} {} {t}",
                            if bad { bad_events } else { events }
                        )
                        .expect("write");
                    }
                }
            }
        }
        writeln!(out, "# EOF").expect("write");
        drop(out);
        let made = Command::new(promtool)
            .args(["tsdb", "create-blocks-from", "openmetrics", "-q"])
            .arg(&file)
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .expect("promtool runs");
        assert!(made.success(), "promtool could not make blocks");
    }
}

fn peak_resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One size, in this process: prints one table row.
fn measure(n: usize) {
    let prometheus = which("prometheus").expect("prometheus");
    let promtool = which("promtool").expect("promtool");
    let dir = std::env::temp_dir().join(format!("sloguard-serve-scale-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let end = now - now % 60;
    let made = Instant::now();
    backfill(n, end, &dir, &promtool);
    let backfill_secs = made.elapsed().as_secs_f64();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    std::fs::write(
        dir.join("prometheus.yml"),
        "global:\n  scrape_interval: 1h\n",
    )
    .expect("config");
    let mut server = Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg("--storage.tsdb.retention.time=90d")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let source = format!("http://127.0.0.1:{port}");
    let ready = (0..600).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        sloguard::client::HttpClient::shared()
            .get(&format!("{source}/-/ready"), Duration::from_secs(2), 1024)
            .is_ok_and(|r| r.status.is_success())
    });
    assert!(ready, "Prometheus did not get ready");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let options = Options {
        source,
        step: Duration::from_secs(30),
        delay: Duration::ZERO,
        rate_window: Duration::from_secs(120),
        query_timeout: Duration::from_secs(120),
        ca_file: None,
        tenant: None,
        bearer_token_file: None,
        state: None,
    };
    let mut fleet = Fleet::new(&spec(n), options, end).expect("a fleet");
    let started = Instant::now();
    let rebuilt = runtime.block_on(fleet.advance(end));
    let start_secs = started.elapsed().as_secs_f64();
    let mut evaluations = Vec::new();
    let mut queries = 0;
    for k in 1..=5 {
        let t = Instant::now();
        let step = runtime.block_on(fleet.advance(end + 30 * k));
        evaluations.push(t.elapsed().as_secs_f64());
        queries = step.queries;
    }
    evaluations.sort_by(f64::total_cmp);
    let snapshot = fleet.registry().snapshot();
    let judged = snapshot
        .slos
        .iter()
        .filter(|s| s.evaluated_at.is_some() && s.blind.is_none())
        .count();
    assert_eq!(judged, n, "every SLO judged, none blind");
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "| {n} | {} | {start_secs:.2} s | {} | {:.3} s | {queries} | {:.0} MB | {backfill_secs:.0} s |",
        2 * REPLICAS * n,
        rebuilt.queries,
        evaluations[evaluations.len() / 2],
        peak_resident_mb()
    );
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn main() {
    if let Ok(n) = std::env::var("SERVE_SCALE_ONE") {
        measure(n.parse().expect("a size"));
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if which("prometheus").is_none() || which("promtool").is_none() {
        println!(
            "serve_scale: needs prometheus and promtool (Debian's prometheus package); skipped"
        );
        return;
    }
    let sizes = std::env::var("SERVE_SCALE_SIZES").unwrap_or_else(|_| "10,100,1000".to_owned());
    println!("| SLOs | series | start (30 days rebuilt) | start queries | one evaluation (median of 5) | queries per evaluation | peak resident | backfill |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for n in sizes.split(',') {
        let status = Command::new(std::env::current_exe().expect("exe"))
            .env("SERVE_SCALE_ONE", n.trim())
            .status()
            .expect("runs");
        assert!(status.success(), "size {n} failed");
    }
}
