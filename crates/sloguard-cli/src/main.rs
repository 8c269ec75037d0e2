//! The `sloguard` command. See `sloguard --help`.
// Printing results on standard output is what a command does.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sloguard::spec::Spec;
use sloguard_cli::fetch::{FetchError, Fetcher};
use sloguard_cli::{
    check, dashboard, demo, incident_review, lint, replay, rules, serve, sla_report, sloth_windows,
    write,
};

#[derive(Parser)]
#[command(
    name = "sloguard",
    version,
    about = "SLOs for Rust services: lint specs, generate Prometheus rules and Grafana dashboards, check live services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an instrumented payments API with traffic, an incident and live SLOs.
    Demo(DemoArgs),
    /// Validate a spec and warn about alerts that would not work as meant.
    Lint(LintArgs),
    /// Print Prometheus recording and alerting rules (Sloth-compatible names).
    Rules(RulesArgs),
    /// Print a Grafana dashboard over the generated recording rules.
    Dashboard(DashboardArgs),
    /// Run the engine on virtual time over recorded events (JSON Lines in, JSON Lines out).
    Replay(ReplayArgs),
    /// Print past calendar periods and their SLA outcomes, from a running service's /slo.json
    /// (--url) or a state file read with its spec (--spec and --state).
    SlaReport(SlaReportArgs),
    /// A post-incident review draft in Markdown, from a running service, a state file or a
    /// replay.
    IncidentReview(IncidentReviewArgs),
    /// Check a running service's /slo.json, as a Nagios plugin (exit 0/1/2/3).
    Check(CheckArgs),
    /// Judge a fleet's SLOs from a Prometheus-compatible engine, and serve the same pages,
    /// documents and notifications one process has.
    Serve(ServeArgs),
    /// Open, update and resolve incidents on a service's status page (token from
    /// SLOGUARD_WRITE_TOKEN or SLOGUARD_WRITE_TOKEN_FILE).
    #[command(subcommand)]
    Incident(write::IncidentCommand),
    /// Schedule and cancel maintenance windows (token from SLOGUARD_WRITE_TOKEN or
    /// SLOGUARD_WRITE_TOKEN_FILE).
    #[command(subcommand)]
    Maintenance(write::MaintenanceCommand),
}

/// The arguments of `sloguard serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// The spec file (sloguard, Sloth, OpenSLO or Pyrra; one service).
    #[arg(long)]
    spec: PathBuf,
    /// The engine's query API base URL, e.g. http://127.0.0.1:9090 (Prometheus,
    /// VictoriaMetrics, Thanos, Mimir, Cortex).
    #[arg(long)]
    source: String,
    /// Where the pages and documents are served.
    #[arg(long, default_value = "127.0.0.1:9300")]
    listen: std::net::SocketAddr,
    /// A state file: incident history and windows kept across restarts.
    #[arg(long)]
    state: Option<PathBuf>,
    /// A YAML file of sinks for the fleet's notifications (secrets from the environment or
    /// files).
    #[arg(long)]
    notify: Option<PathBuf>,
    /// How often the fleet is read and judged (10s, 15s, 30s or 1m).
    #[arg(long, default_value = "30s", value_parser = parse_step)]
    step: Duration,
    /// How far behind the present each read stays, so the engine holds the step's samples
    /// (at least the scrape interval).
    #[arg(long, default_value = "30s", value_parser = parse_step)]
    delay: Duration,
    /// For Sloth, OpenSLO and Pyrra specs: the shortest range their queries take a rate over
    /// (at least two scrape intervals; four is safer).
    #[arg(long, default_value = "2m", value_parser = parse_step)]
    rate_window: Duration,
    /// The longest one query may take.
    #[arg(long, default_value = "30s", value_parser = parse_step)]
    query_timeout: Duration,
    /// A PEM file of CA certificates, for an https:// engine behind a private CA.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// The tenant of a multi-tenant engine (Grafana Mimir, Cortex): sent as X-Scope-OrgID.
    #[arg(long)]
    tenant: Option<String>,
    /// A file holding a bearer token for the engine (never the token itself on the command
    /// line).
    #[arg(long, value_name = "FILE")]
    bearer_token_file: Option<PathBuf>,
    #[command(flatten)]
    periods: SlothPeriodArgs,
}

/// The arguments of `sloguard demo`.
#[derive(clap::Args)]
struct DemoArgs {
    /// How long the demo runs.
    #[arg(long, default_value = "60s", value_parser = parse_step)]
    duration: Duration,
    /// Where the API listens; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: std::net::SocketAddr,
    /// Requests per second from the built-in load generator.
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// Never use colors (also: the NO_COLOR variable, or output that is not a terminal).
    #[arg(long)]
    no_color: bool,
}

/// The arguments of `sloguard lint`.
#[derive(clap::Args)]
struct LintArgs {
    /// The spec file (YAML or JSON, one or several documents; sloguard, Sloth, OpenSLO or
    /// Pyrra).
    spec: PathBuf,
    /// Expected events per second, to warn about low-traffic alerting risk.
    #[arg(long, value_name = "PER_SECOND")]
    expected_rate: Option<f64>,
    #[command(flatten)]
    periods: SlothPeriodArgs,
}

/// The arguments of `sloguard rules`.
#[derive(clap::Args)]
struct RulesArgs {
    /// The spec file.
    spec: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "prometheus")]
    format: RulesFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    periods: SlothPeriodArgs,
    /// A label for every rule, `key=value` (repeatable), as Sloth's `--extra-labels`.
    #[arg(long = "extra-labels", short = 'l', value_name = "KEY=VALUE", value_parser = parse_label)]
    extra_labels: Vec<(String, String)>,
    /// Write no alerting rules.
    #[arg(long)]
    disable_alerts: bool,
    /// Write no recording rules (alerts only; their recordings must come from elsewhere).
    #[arg(long)]
    disable_recordings: bool,
    /// Write Sloth's own rule form (averaged period ratio, one alert per severity, no
    /// traffic guards), for byte-level parity with dashboards and alerts built on Sloth.
    #[arg(long)]
    sloth_parity: bool,
}

/// The arguments of `sloguard dashboard`.
#[derive(clap::Args)]
struct DashboardArgs {
    /// The spec file.
    spec: PathBuf,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// The arguments of `sloguard replay`.
#[derive(clap::Args)]
struct ReplayArgs {
    /// The spec file.
    #[arg(long)]
    spec: PathBuf,
    /// The events (JSON Lines, in time order); `-` for standard input.
    #[arg(long)]
    events: String,
    /// Output cadence in event time.
    #[arg(long, default_value = "1m", value_parser = parse_step)]
    step: Duration,
    /// Where to write; `-` (the default) for standard output.
    #[arg(long, short, default_value = "-")]
    output: String,
    /// Report malformed lines and go on, instead of stopping at the first.
    #[arg(long)]
    skip_malformed: bool,
    /// Maintenance windows (a JSON array of objects as the write API takes them: name,
    /// scheduled_for, scheduled_until, components, message): their events are left out and
    /// their alerts held.
    #[arg(long, value_name = "FILE")]
    maintenance: Option<PathBuf>,
}

/// The arguments of `sloguard sla-report`.
#[derive(clap::Args)]
struct SlaReportArgs {
    /// The /slo.json URL of a running service.
    #[arg(long, conflicts_with_all = ["spec", "state"], required_unless_present = "state")]
    url: Option<String>,
    /// The spec whose SLOs the state file holds.
    #[arg(long, requires = "state")]
    spec: Option<PathBuf>,
    /// A state file written by the service (`persist_to`).
    #[arg(long, requires = "spec")]
    state: Option<PathBuf>,
    /// Only this SLO.
    #[arg(long)]
    slo: Option<String>,
    #[command(flatten)]
    fetch: FetchArgs,
}

/// The arguments of `sloguard incident-review`.
#[derive(clap::Args)]
struct IncidentReviewArgs {
    /// The /slo/incidents.json URL of a running service.
    #[arg(long, conflicts_with_all = ["spec", "state", "events"], required_unless_present = "spec")]
    url: Option<String>,
    /// The spec, with --state (a state file) or --events (a replay).
    #[arg(long)]
    spec: Option<PathBuf>,
    /// A state file written by the service (`persist_to`).
    #[arg(long, requires = "spec", conflicts_with = "events")]
    state: Option<PathBuf>,
    /// Events to replay (JSON Lines, as `sloguard replay` reads them).
    #[arg(long, requires = "spec")]
    events: Option<PathBuf>,
    /// The incident number (default: the latest).
    #[arg(long)]
    id: Option<u64>,
    #[command(flatten)]
    fetch: FetchArgs,
}

/// The arguments of `sloguard check`.
#[derive(clap::Args)]
struct CheckArgs {
    /// The /slo.json URL, e.g. http://127.0.0.1:3000/slo.json
    #[arg(long)]
    url: String,
    /// Only this SLO.
    #[arg(long)]
    slo: Option<String>,
    /// WARNING when the budget remaining (ratio, e.g. 0.25) is below this.
    #[arg(long, value_name = "RATIO")]
    warning_budget: Option<f64>,
    /// CRITICAL when the budget remaining (ratio, e.g. 0.05) is below this.
    #[arg(long, value_name = "RATIO")]
    critical_budget: Option<f64>,
    #[command(flatten)]
    fetch: FetchArgs,
}

/// How documents are fetched from a running service.
#[derive(clap::Args)]
struct FetchArgs {
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// A PEM file of CA certificates to trust besides the public roots, for an https:// URL
    /// behind a private CA.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
}

impl FetchArgs {
    fn fetcher(&self) -> Result<Fetcher, FetchError> {
        Fetcher::new(self.ca_file.as_deref(), Duration::from_secs(self.timeout))
    }
}

/// The period Sloth specs get (they give none) and where to find windows for other periods.
#[derive(clap::Args)]
struct SlothPeriodArgs {
    /// The period of Sloth SLOs, as Sloth's `--default-slo-period` (30d and 28d are built in).
    #[arg(long, default_value = "30d", value_parser = parse_step)]
    default_slo_period: Duration,
    /// A directory of Sloth `AlertWindows` files for other periods.
    #[arg(long, value_name = "DIR")]
    slo_period_windows_path: Option<PathBuf>,
}

impl SlothPeriodArgs {
    fn periods(&self) -> Result<sloth_windows::SlothPeriods, ExitCode> {
        let periods = sloth_windows::SlothPeriods::builtin(self.default_slo_period);
        match &self.slo_period_windows_path {
            Some(dir) => periods.load_dir(dir).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }),
            None => Ok(periods),
        }
    }
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not key=value"))
}

fn parse_step(text: &str) -> Result<Duration, String> {
    sloguard::duration::parse_duration(text).map_err(|e| e.to_string())
}

fn run_replay(spec: &Spec, events: &str, output: &str, options: &replay::Options) -> ExitCode {
    let input: Box<dyn std::io::BufRead> = if events == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(events) {
            Ok(f) => Box::new(std::io::BufReader::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("error: cannot read {events}: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let out: Box<dyn Write> = if output == "-" {
        Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        ))
    } else {
        match std::fs::File::create(output) {
            Ok(f) => Box::new(std::io::BufWriter::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("error: cannot write {output}: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    match replay::replay(spec, input, out, options) {
        Ok(stats) => {
            eprintln!(
                "sloguard replay: {} events, {} lines written, {} malformed lines skipped",
                stats.events, stats.lines_out, stats.skipped
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {events}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read_specs(path: &PathBuf, periods: &SlothPeriodArgs) -> Result<Vec<Spec>, ExitCode> {
    Spec::all_from_path_with(path, &periods.periods()?).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

fn read_spec(path: &PathBuf) -> Result<Spec, ExitCode> {
    Spec::from_path(path).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

fn write_out(output: Option<&PathBuf>, text: &str) -> ExitCode {
    let written = match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A report on standard output, or why there is none on standard error (exit 2).
fn printed(command: &str, report: Result<String, String>) -> ExitCode {
    match report {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sloguard {command}: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, ExitCode> {
    match cli.command {
        Command::Demo(args) => demo_command(args),
        Command::Lint(args) => lint_command(args),
        Command::Rules(args) => rules_command(args),
        Command::Dashboard(args) => dashboard_command(args),
        Command::Replay(args) => replay_command(args),
        Command::IncidentReview(args) => incident_review_command(args),
        Command::SlaReport(args) => sla_report_command(args),
        Command::Check(args) => check_command(args),
        Command::Serve(args) => serve_command(args),
        Command::Incident(command) => written(write::run_incident(command)),
        Command::Maintenance(command) => written(write::run_maintenance(command)),
    }
}

/// Prints what a write did, or why it did not happen (exit 1).
fn written(result: Result<String, write::WriteFailure>) -> Result<ExitCode, ExitCode> {
    match result {
        Ok(line) => {
            println!("{line}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn serve_command(args: ServeArgs) -> Result<ExitCode, ExitCode> {
    let specs = read_specs(&args.spec, &args.periods)?;
    let fail = |e: serve::ServeError| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    };
    let spec = serve::command::one_service(specs).map_err(fail)?;
    let options = serve::Options {
        source: args.source,
        step: args.step,
        delay: args.delay,
        rate_window: args.rate_window,
        query_timeout: args.query_timeout,
        ca_file: args.ca_file,
        tenant: args.tenant,
        bearer_token_file: args.bearer_token_file,
        state: args.state,
    };
    serve::command::run(&spec, options, args.listen, args.notify.as_deref()).map_err(fail)?;
    Ok(ExitCode::SUCCESS)
}

fn demo_command(args: DemoArgs) -> Result<ExitCode, ExitCode> {
    let DemoArgs {
        duration,
        addr,
        rate,
        no_color,
    } = args;
    Ok({
        if !addr.ip().is_loopback() {
            eprintln!("error: the demo only listens on loopback addresses (127.0.0.1 or ::1)");
            return Err(ExitCode::FAILURE);
        }
        let options = demo::Options {
            duration: duration.max(Duration::from_secs(10)),
            addr,
            rate: rate.clamp(1, 500),
            color: no_color.then_some(false),
        };
        match demo::run(&options) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn lint_command(args: LintArgs) -> Result<ExitCode, ExitCode> {
    let LintArgs {
        spec,
        expected_rate,
        periods,
    } = args;
    // A Sloth AlertWindows file is not a spec but is checked all the same: what its tiers
    // make of its period, and where it goes.
    if let Some(windows) = std::fs::read_to_string(&spec)
        .ok()
        .and_then(|text| sloth_windows::AlertWindows::parse(&text).ok())
    {
        let tiers: Vec<String> = windows
            .policy()
            .tiers
            .iter()
            .map(|t| format!("{} {:.4}x", t.id(), t.burn_rate))
            .collect();
        println!(
            "{}: Sloth AlertWindows for a {} period ({}); give its directory to `--slo-period-windows-path DIR`",
            spec.display(),
            sloguard::duration::format_duration(windows.period),
            tiers.join(", ")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = std::fs::read_to_string(&spec).unwrap_or_default();
    Ok({
        for parsed in read_specs(&spec, &periods)? {
            let warnings = lint::lint(&parsed, expected_rate);
            for w in &warnings {
                // A note that starts with its field (`slos[0].objective: ...`) gets its line.
                let line = w
                    .message
                    .split_once(": ")
                    .filter(|(field, _)| !field.contains(' '))
                    .and_then(|(field, _)| {
                        let slo = parsed.slos.iter().find(|s| s.definition.name() == w.slo);
                        sloguard::spec::line_of_field(&text, slo.and_then(|s| s.document), field)
                    })
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default();
                eprintln!(
                    "warning: {}{line}: SLO {:?}: {}",
                    spec.display(),
                    w.slo,
                    w.message
                );
            }
            println!(
                "{}: {} SLO(s) of service {:?} ({}), {} warning(s)",
                spec.display(),
                parsed.slos.len(),
                parsed.service,
                parsed.format.name(),
                warnings.len()
            );
        }
        ExitCode::SUCCESS
    })
}

fn rules_command(args: RulesArgs) -> Result<ExitCode, ExitCode> {
    let RulesArgs {
        spec,
        format,
        output,
        periods,
        extra_labels,
        disable_alerts,
        disable_recordings,
        sloth_parity,
    } = args;
    Ok({
        let parsed = read_specs(&spec, &periods)?;
        let options = rules::RuleOptions {
            extra_labels: extra_labels.into_iter().collect(),
            disable_alerts,
            disable_recordings,
            sloth_parity,
        };
        match rules::render_all_with(&parsed, format.into(), &options) {
            Ok(text) => write_out(output.as_ref(), &text),
            Err(e) => {
                eprintln!("error: cannot write the rules: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn dashboard_command(args: DashboardArgs) -> Result<ExitCode, ExitCode> {
    let DashboardArgs { spec, output } = args;
    Ok({
        let parsed = read_spec(&spec)?;
        write_out(output.as_ref(), &(dashboard::render(&parsed) + "\n"))
    })
}

fn replay_command(args: ReplayArgs) -> Result<ExitCode, ExitCode> {
    let ReplayArgs {
        spec,
        events,
        step,
        output,
        skip_malformed,
        maintenance,
    } = args;
    Ok({
        let parsed = read_spec(&spec)?;
        let maintenance = match maintenance {
            None => Vec::new(),
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| replay::maintenance_windows(&text))
                .map_err(|e| {
                    eprintln!("error: {}: {e}", path.display());
                    ExitCode::FAILURE
                })?,
        };
        let options = replay::Options {
            step,
            malformed: if skip_malformed {
                replay::Malformed::Skip
            } else {
                replay::Malformed::Fail
            },
            maintenance,
        };
        run_replay(&parsed, &events, &output, &options)
    })
}

fn incident_review_command(args: IncidentReviewArgs) -> Result<ExitCode, ExitCode> {
    let IncidentReviewArgs {
        url,
        spec,
        state,
        events,
        id,
        fetch,
    } = args;
    Ok({
        let doc = match (url, spec, state, events) {
            (Some(url), ..) => fetch
                .fetcher()
                .and_then(|f| f.json(&url, "a sloguard /slo/incidents.json document"))
                .map_err(|e| e.to_string()),
            (None, Some(spec), Some(state), None) => {
                let spec = read_spec(&spec)?;
                sla_report::registry_from_state(&spec, &state)
                    .map(|r| {
                        sloguard::expose::incidents::IncidentsDocument::from_snapshot(&r.snapshot())
                    })
                    .map_err(|e| e.to_string())
            }
            (None, Some(spec), None, Some(events)) => {
                let spec = read_spec(&spec)?;
                std::fs::File::open(&events)
                    .map_err(|e| format!("cannot read {}: {e}", events.display()))
                    .and_then(|f| {
                        replay::replay_incidents(
                            &spec,
                            std::io::BufReader::new(f),
                            &replay::Options::default(),
                        )
                        .map_err(|e| e.to_string())
                    })
            }
            _ => Err("give --url, or --spec with --state or --events".to_owned()),
        };
        printed(
            "incident-review",
            doc.and_then(|doc| incident_review::render(&doc, id).map_err(|e| e.to_string())),
        )
    })
}

fn sla_report_command(args: SlaReportArgs) -> Result<ExitCode, ExitCode> {
    let SlaReportArgs {
        url,
        spec,
        state,
        slo,
        fetch,
    } = args;
    Ok({
        let doc = match (url, spec, state) {
            (Some(url), _, _) => fetch
                .fetcher()
                .and_then(|f| f.document(&url))
                .map_err(|e| e.to_string()),
            (None, Some(spec), Some(state)) => {
                let spec = read_spec(&spec)?;
                sla_report::from_state(&spec, &state).map_err(|e| e.to_string())
            }
            _ => Err("give --url, or --spec with --state".to_owned()),
        };
        printed(
            "sla-report",
            doc.map(|doc| sla_report::render(&doc, slo.as_deref())),
        )
    })
}

fn check_command(args: CheckArgs) -> Result<ExitCode, ExitCode> {
    let CheckArgs {
        url,
        slo,
        warning_budget,
        critical_budget,
        fetch,
    } = args;
    Ok({
        let thresholds = check::Thresholds {
            slo,
            warning_budget,
            critical_budget,
        };
        let (state, line) = match fetch.fetcher() {
            Ok(fetcher) => check::run(&url, &thresholds, &fetcher),
            Err(e) => (check::State::Unknown, format!("SLO UNKNOWN - {e}")),
        };
        println!("{line}");
        ExitCode::from(state.code())
    })
}

fn main() -> ExitCode {
    run(Cli::parse()).unwrap_or_else(|code| code)
}

/// `--format` of `rules` (the command line's words for [`rules::RulesFormat`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RulesFormat {
    /// A plain Prometheus rule file.
    Prometheus,
    /// A `PrometheusRule` for the Prometheus Operator.
    PrometheusOperator,
}

impl From<RulesFormat> for rules::RulesFormat {
    fn from(format: RulesFormat) -> Self {
        match format {
            RulesFormat::Prometheus => rules::RulesFormat::Prometheus,
            RulesFormat::PrometheusOperator => rules::RulesFormat::PrometheusOperator,
        }
    }
}
