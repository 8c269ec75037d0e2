//! Helpers for sloguard's end-to-end tests: start an example as a real process, talk to it
//! over real TCP on 127.0.0.1, and read what it exposes.
//!
//! ```
//! assert_eq!(sloguard_e2e::sum_samples("a_count{x=\"1\"} 2\na_count{x=\"2\"} 3\nb 9\n", "a_count"), 5.0);
//! ```

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub mod browser;
pub mod tls;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// Whether the tests run in CI, where a missing outside program is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The path of an outside program (`promtool`, `wrk`, ...), or `None` outside CI when it is
/// not installed (the caller then skips, saying so). In CI a missing program fails the test.
pub fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !in_ci(),
            "{name} is required in CI (.ci/run installs it) but is not on PATH"
        );
        eprintln!("skipping: {name} is not installed (CI installs it)");
    }
    found
}

/// Debian's Python (`/usr/bin/python3`, the one `apt-get install python3-*` serves, whatever
/// interpreter is first on PATH) when it can import `module`; `None` outside CI otherwise (the
/// caller skips, saying so). In CI a missing module fails the test.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let python = PathBuf::from("/usr/bin/python3");
    let imports = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|out| out.status.success());
    if !imports {
        assert!(
            !in_ci(),
            "/usr/bin/python3 with `{module}` is required in CI (.ci/run installs it)"
        );
        eprintln!("skipping: /usr/bin/python3 cannot import {module} (CI installs it)");
        return None;
    }
    Some(python)
}

/// Runs `command` with `input` on its standard input, and returns what it printed and how it
/// ended (standard output and error are captured).
pub fn output_with_stdin(command: &mut Command, input: &[u8]) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input)
        .expect("input written");
    child.wait_with_output().expect("the program ends")
}

/// Runs `promtool` with `args` in `dir`: whether it succeeded, and what it printed.
pub fn promtool(
    promtool: &std::path::Path,
    args: &[&str],
    dir: &std::path::Path,
) -> (bool, String) {
    let out = Command::new(promtool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Builds an example of `sloguard-examples` and returns its executable.
pub fn build_example(name: &str) -> PathBuf {
    build("sloguard-examples", "--example", name)
}

/// Builds the `sloguard` command and returns its executable.
pub fn build_cli() -> PathBuf {
    build("sloguard-cli", "--bin", "sloguard")
}

/// Removes from `command`'s environment the variables cargo sets for this test package, so
/// a cargo it runs (directly or through a script) builds as one started from a shell would.
pub fn as_from_a_shell(command: &mut Command) {
    // A test runs with the variables cargo sets for this package (CARGO_PKG_NAME,
    // CARGO_MANIFEST_DIR, ...). Build scripts that watch them (ring's does) would see another
    // value than in a build started from a shell and rebuild, and then again at the next
    // build from the shell: every test that starts an example would recompile TLS.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key.starts_with("CARGO_BIN_")
            || matches!(
                &*key,
                "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR" | "OUT_DIR"
            )
        {
            command.env_remove(&*key);
        }
    }
}

fn build(package: &str, kind: &str, name: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    as_from_a_shell(&mut command);
    let output = command
        .args([
            "build",
            "--quiet",
            "-p",
            package,
            kind,
            name,
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "building {name} failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|msg| msg["target"]["name"] == name)
        .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo did not report the executable of {name}"))
}

/// A running example process, killed when dropped.
pub struct Example {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl Example {
    /// Builds and starts an example on a free loopback port, and waits (at most 60 s) for the
    /// `listening on http://ADDR` line it prints first.
    pub fn start(name: &str, extra_args: &[&str]) -> Example {
        Example::start_with_env(name, extra_args, &[])
    }

    /// [`Example::start`] with these environment variables set.
    pub fn start_with_env(name: &str, extra_args: &[&str], env: &[(&str, &str)]) -> Example {
        Example::spawn(&build_example(name), extra_args, env)
    }

    /// Starts the program `exe` (an example, or the `sloguard` command) and waits (at most
    /// 60 s) for the `listening on http://ADDR` line it prints first.
    pub fn spawn(exe: &std::path::Path, extra_args: &[&str], env: &[(&str, &str)]) -> Example {
        let mut child = Command::new(exe)
            .args(extra_args)
            .envs(env.iter().copied())
            .env("SLOGUARD_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("example starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so the example never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the example prints its address");
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|a| a.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        Example { child, addr }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Asks the process to stop (SIGTERM) and waits for it (at most 60 s): how a service
    /// manager stops it, so it can save its state on the way out.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        wait_until_blocking(
            Duration::from_secs(60),
            "the process to exit after SIGTERM",
            || self.child.try_wait().ok().flatten(),
            Option::is_some,
        )
        .expect("exited")
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on a new connection: status and body.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    get_with(addr, path, None).await
}

/// A GET with an `Accept` header.
pub async fn get_with(addr: SocketAddr, path: &str, accept: Option<&str>) -> (u16, String) {
    let accept: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    get_with_headers(addr, path, &accept).await
}

/// A GET of `path` with these headers.
pub async fn get_with_headers(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut sender = connect(addr).await;
    let mut req = Request::get(path).header("host", addr.to_string());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let response = sender
        .send_request(req.body(Empty::<Bytes>::new()).expect("request"))
        .await
        .expect("response");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A GET that returns `None` instead of failing when the server is not (yet) there: for
/// polling programs that are starting up.
pub async fn try_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let req = Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .ok()?;
    let response = sender.send_request(req).await.ok()?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// A GET that reads the head and the first body frame, then drops the connection: the
/// client going away mid-body.
pub async fn get_and_hang_up(addr: SocketAddr, path: &str) -> u16 {
    let mut sender = connect(addr).await;
    let req = Request::get(path)
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .expect("request");
    let mut response = sender.send_request(req).await.expect("response");
    let status = response.status().as_u16();
    let _first = response.body_mut().frame().await;
    status
}

async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    // The connection task ends when the sender and response are dropped.
    tokio::spawn(connection);
    sender
}

/// The sum of every sample of `name` in a Prometheus text exposition (any labels).
pub fn sum_samples(exposition: &str, name: &str) -> f64 {
    exposition
        .lines()
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b'{' | b' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The `/slo.json` document of a running service.
pub async fn status(addr: SocketAddr) -> sloguard::expose::json::SloDocument {
    let (code, body) = get(addr, "/slo.json").await;
    assert_eq!(code, 200);
    serde_json::from_str(&body).expect("a valid /slo.json")
}

/// A child process killed (and reaped) when dropped, so no test leaves servers behind.
pub struct Daemon(pub Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a Prometheus server with `config`, its data under `data`, on a free loopback
/// port: the server (killed when dropped) and its address.
pub fn prometheus_server(
    exe: &std::path::Path,
    config: &std::path::Path,
    data: &std::path::Path,
) -> (Daemon, SocketAddr) {
    prometheus_server_with(exe, config, data, &[])
}

/// [`prometheus_server`] with more flags (`--enable-feature=...`).
pub fn prometheus_server_with(
    exe: &std::path::Path,
    config: &std::path::Path,
    data: &std::path::Path,
    flags: &[&str],
) -> (Daemon, SocketAddr) {
    let port = free_port();
    let daemon = Daemon(
        Command::new(exe)
            .args(flags)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    (daemon, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// A loopback port that was free a moment ago (for programs that cannot report the port
/// they bound themselves).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A fresh temporary directory for one test run.
pub fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("sloguard-{label}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The first value of an instant query to a Prometheus-compatible query API (Prometheus,
/// VictoriaMetrics) at `api`; `None` when it answers no series or no answer.
pub async fn query(api: SocketAddr, promql: &str) -> Option<f64> {
    let (code, body) = try_get(api, &format!("/api/v1/query?query={}", encode(promql))).await?;
    if code != 200 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Polls `check` every 200 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How long a test waits for something a program does promptly (a delivery, a count, a
/// transition): generous, because CI builds and tests on the same two loaded cores, and a
/// deadline only costs time when a test is failing anyway.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `observe` every 50 ms until what it returns satisfies `done`, for at most `limit`,
/// and returns that observation. At the deadline it panics with `what` and the last
/// observation, so a failure shows what did arrive instead of only that something did not.
pub async fn wait_until<T, F, Fut>(
    limit: Duration,
    what: &str,
    mut observe: F,
    done: impl Fn(&T) -> bool,
) -> T
where
    T: std::fmt::Debug,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = std::time::Instant::now() + limit;
    loop {
        let seen = observe().await;
        if done(&seen) {
            return seen;
        }
        assert!(
            std::time::Instant::now() <= deadline,
            "waited {limit:?} for {what}; the last observation was:\n{seen:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The blocking form of [`wait_until`], for tests without a runtime: polls every 20 ms.
pub fn wait_until_blocking<T: std::fmt::Debug>(
    limit: Duration,
    what: &str,
    mut observe: impl FnMut() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let seen = observe();
        if done(&seen) {
            return seen;
        }
        assert!(
            std::time::Instant::now() <= deadline,
            "waited {limit:?} for {what}; the last observation was:\n{seen:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
