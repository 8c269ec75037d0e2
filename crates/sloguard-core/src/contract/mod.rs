//! The metric contract: every metric family sloguard exposes, with its name, kind, unit,
//! help text, labels and OpenTelemetry instrument; and the alert name that generated rules
//! and notifications share.
//!
//! This is the one home of those facts. The Prometheus/OpenMetrics exposition, the `metrics`
//! and OpenTelemetry bridges, the generated Prometheus rules and the Grafana dashboard all read
//! them from here; platform teams' dashboards and rules depend on them, so they only change
//! with a note in the changelog.
//!
//! ```
//! use sloguard_core::contract::{self, Kind};
//!
//! assert_eq!(contract::SLO_EVENTS.name, "sloguard_slo_events_total");
//! assert_eq!(contract::SLO_EVENTS.kind, Kind::Counter);
//! assert_eq!(contract::SLO_BURN_RATE.labels, ["service", "slo", "window"]);
//! assert_eq!(contract::SLO_FAMILIES.len(), 12);
//! // Every name has one family; unknown names get a generic description.
//! assert_eq!(contract::describe("http_server_active_requests").help, "Number of active HTTP server requests.");
//! assert_eq!(contract::describe("my_seconds").unit, Some("seconds"));
//! assert_eq!(contract::alert_name("checkout-latency"), "CheckoutLatencyBudgetBurn");
//! assert_eq!(contract::alert_name_loses("disponibilité"), ['é']);
//! ```

pub mod recording;

/// What kind of metric a family is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A cumulative count.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A histogram of durations.
    Histogram,
}

impl Kind {
    /// The word the text formats use: `counter`, `gauge`, `histogram`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// How a family is published as an OpenTelemetry instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instrument {
    /// The instrument name, e.g. `sloguard.slo.events`.
    pub name: &'static str,
    /// The UCUM unit, if any (`{event}`, `1`).
    pub unit: Option<&'static str>,
    /// The instrument description.
    pub description: &'static str,
}

/// One metric family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// The Prometheus name (counters with their `_total`).
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// The OpenMetrics unit (`seconds`, `ratio`), if any.
    pub unit: Option<&'static str>,
    /// The help text.
    pub help: &'static str,
    /// The label names, in the order samples carry them.
    pub labels: &'static [&'static str],
    /// The OpenTelemetry instrument, for the families the OpenTelemetry bridge publishes.
    pub instrument: Option<Instrument>,
}

/// Label names shared by several families.
pub mod label {
    /// The service a registry measures.
    pub const SERVICE: &str = "service";
    /// The SLO's name.
    pub const SLO: &str = "slo";
    /// A burn-rate window, e.g. `5m` (see [`STANDARD_WINDOWS`](crate::model::STANDARD_WINDOWS)),
    /// or on budget and period series a compliance window: the rolling period (`30d`) or a
    /// calendar one (`week`, `month`, `quarter`).
    pub const WINDOW: &str = "window";
    /// An SLA's state: `met`, `at_risk`, `breached` or `no_data`.
    pub const STATUS: &str = "status";
    /// An alert severity: `page` or `ticket`.
    pub const SEVERITY: &str = "severity";
    /// An event's outcome: `success`, `error` or `cancelled`.
    pub const OUTCOME: &str = "outcome";
    /// A diagnostic's code (see [`crate::diagnostic`]).
    pub const CODE: &str = "code";
}

use label::{CODE, OUTCOME, SERVICE, SEVERITY, SLO, STATUS, WINDOW};

/// `sloguard_slo_events_total`: events judged by the SLI.
pub const SLO_EVENTS: Family = Family {
    name: "sloguard_slo_events_total",
    kind: Kind::Counter,
    unit: None,
    help: "Events judged by the SLI (cancelled events left out of the SLI are not counted).",
    labels: &[SERVICE, SLO],
    instrument: Some(Instrument {
        name: "sloguard.slo.events",
        unit: Some("{event}"),
        description: "Events judged by the SLI.",
    }),
};

/// `sloguard_slo_bad_events_total`: events that missed the SLI.
pub const SLO_BAD_EVENTS: Family = Family {
    name: "sloguard_slo_bad_events_total",
    kind: Kind::Counter,
    unit: None,
    help: "Events that missed the SLI.",
    labels: &[SERVICE, SLO],
    instrument: Some(Instrument {
        name: "sloguard.slo.bad_events",
        unit: Some("{event}"),
        description: "Events that missed the SLI.",
    }),
};

/// `sloguard_slo_objective_ratio`: the objective, e.g. 0.999.
pub const SLO_OBJECTIVE: Family = Family {
    name: "sloguard_slo_objective_ratio",
    kind: Kind::Gauge,
    unit: Some("ratio"),
    help: "The SLO's objective: the share of events that must be good.",
    labels: &[SERVICE, SLO],
    instrument: Some(Instrument {
        name: "sloguard.slo.objective",
        unit: Some("1"),
        description: "The SLO's objective.",
    }),
};

/// `sloguard_slo_burn_rate`: the in-process burn rate per window.
pub const SLO_BURN_RATE: Family = Family {
    name: "sloguard_slo_burn_rate",
    kind: Kind::Gauge,
    unit: None,
    help: "How fast the error budget is spent over the window; 1 spends exactly the budget over the period. No sample for a window without events.",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.burn_rate",
        unit: None,
        description: "How fast the error budget is spent over the window.",
    }),
};

/// `sloguard_slo_error_budget_remaining_ratio`: the budget left in each compliance window
/// (`window`: the rolling period such as `30d`, or `week`, `month`, `quarter`).
pub const SLO_BUDGET_REMAINING: Family = Family {
    name: "sloguard_slo_error_budget_remaining_ratio",
    kind: Kind::Gauge,
    unit: Some("ratio"),
    help: "Share of the error budget left in the compliance window (the rolling period, or the current calendar week, month or quarter); below zero when overspent.",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.error_budget_remaining",
        unit: Some("1"),
        description: "Share of the error budget left over the SLO period.",
    }),
};

/// `sloguard_slo_alert_firing`: 1 while an alert of that severity fires.
pub const SLO_ALERT_FIRING: Family = Family {
    name: "sloguard_slo_alert_firing",
    kind: Kind::Gauge,
    unit: None,
    help: "1 while a multiwindow multi-burn-rate alert of this severity fires.",
    labels: &[SERVICE, SLO, SEVERITY],
    instrument: Some(Instrument {
        name: "sloguard.slo.alert_firing",
        unit: None,
        description: "1 while an alert of this severity fires.",
    }),
};

/// `sloguard_slo_no_data`: 1 while the SLO's status is `no_data` (no event in its longest
/// alerting window), so dashboards do not show its untouched budget as health.
pub const SLO_NO_DATA: Family = Family {
    name: "sloguard_slo_no_data",
    kind: Kind::Gauge,
    unit: None,
    help: "1 while the SLO has no event in its longest alerting window: its figures judge nothing.",
    labels: &[SERVICE, SLO],
    instrument: Some(Instrument {
        name: "sloguard.slo.no_data",
        unit: None,
        description: "1 while the SLO has no event in its longest alerting window.",
    }),
};

/// `sloguard_slo_period_events`: events in the current calendar period on this replica.
/// Summed over replicas by the fleet rules, instantly (no 30-day range query).
pub const SLO_PERIOD_EVENTS: Family = Family {
    name: "sloguard_slo_period_events",
    kind: Kind::Gauge,
    unit: None,
    help: "Events this replica judged in the current calendar period (slices, for a time-slice SLO); back to 0 when a period starts; kept across restarts with the state file.",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.period.events",
        unit: Some("{event}"),
        description: "Events this replica judged in the current calendar period.",
    }),
};

/// `sloguard_slo_period_bad_events`: bad events in the current calendar period on this replica.
pub const SLO_PERIOD_BAD_EVENTS: Family = Family {
    name: "sloguard_slo_period_bad_events",
    kind: Kind::Gauge,
    unit: None,
    help: "Bad events this replica judged in the current calendar period (bad slices, for a time-slice SLO).",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.period.bad_events",
        unit: Some("{event}"),
        description: "Bad events this replica judged in the current calendar period.",
    }),
};

/// `sloguard_slo_period_start_seconds`: when this replica's current calendar period started,
/// so fleet rules sum only replicas that agree on the period.
pub const SLO_PERIOD_START: Family = Family {
    name: "sloguard_slo_period_start_seconds",
    kind: Kind::Gauge,
    unit: Some("seconds"),
    help: "Start of the current calendar period, Unix seconds.",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.period.start",
        unit: Some("s"),
        description: "Start of the current calendar period, Unix seconds.",
    }),
};

/// `sloguard_slo_period_end_seconds`: when the current calendar period ends (the next one's
/// start), for the fleet rules' share of the period gone.
pub const SLO_PERIOD_END: Family = Family {
    name: "sloguard_slo_period_end_seconds",
    kind: Kind::Gauge,
    unit: Some("seconds"),
    help: "End of the current calendar period (the next one's start), Unix seconds.",
    labels: &[SERVICE, SLO, WINDOW],
    instrument: Some(Instrument {
        name: "sloguard.slo.period.end",
        unit: Some("s"),
        description: "End of the current calendar period, Unix seconds.",
    }),
};

/// `sloguard_slo_sla_status`: 1 for the SLA's current state, 0 for the others.
pub const SLO_SLA_STATUS: Family = Family {
    name: "sloguard_slo_sla_status",
    kind: Kind::Gauge,
    unit: None,
    help: "1 for the SLA's state in the current period (met, at_risk, breached, no_data), 0 for the others.",
    labels: &[SERVICE, SLO, WINDOW, STATUS],
    instrument: Some(Instrument {
        name: "sloguard.slo.sla_status",
        unit: None,
        description: "1 for the SLA's state in the current period, 0 for the others.",
    }),
};

/// The SLO families, in the order the exposition writes them.
pub const SLO_FAMILIES: [&Family; 12] = [
    &SLO_EVENTS,
    &SLO_BAD_EVENTS,
    &SLO_OBJECTIVE,
    &SLO_BURN_RATE,
    &SLO_BUDGET_REMAINING,
    &SLO_ALERT_FIRING,
    &SLO_NO_DATA,
    &SLO_PERIOD_EVENTS,
    &SLO_PERIOD_BAD_EVENTS,
    &SLO_PERIOD_START,
    &SLO_PERIOD_END,
    &SLO_SLA_STATUS,
];

/// `sloguard_diagnostics`: how many diagnostics of each code the engine reports (see
/// [`crate::diagnostic`]); no sample for a code with none.
pub const DIAGNOSTICS: Family = Family {
    name: "sloguard_diagnostics",
    kind: Kind::Gauge,
    unit: None,
    help:
        "Problems sloguard detected that keep it from seeing everything (see /slo.json), by code.",
    labels: &[SERVICE, CODE],
    instrument: Some(Instrument {
        name: "sloguard.diagnostics",
        unit: None,
        description: "Problems sloguard detected that keep it from seeing everything, by code.",
    }),
};

/// `sloguard_slo_event_duration_seconds`: the latency of an SLO's events, by outcome.
pub const SLO_EVENT_DURATION: Family = Family {
    name: "sloguard_slo_event_duration_seconds",
    kind: Kind::Histogram,
    unit: Some("seconds"),
    help: "Latency of the events of an SLO, by outcome.",
    labels: &[SERVICE, SLO, OUTCOME],
    instrument: None,
};

/// `http_server_request_duration_seconds`, as the OpenTelemetry HTTP semantic conventions
/// name it in Prometheus.
pub const HTTP_REQUEST_DURATION: Family = Family {
    name: "http_server_request_duration_seconds",
    kind: Kind::Histogram,
    unit: Some("seconds"),
    help: "Duration of HTTP server requests.",
    labels: &[
        "http_request_method",
        "http_route",
        "http_response_status_code",
    ],
    instrument: Some(Instrument {
        name: "http.server.request.duration",
        unit: Some("s"),
        description: "Duration of HTTP server requests.",
    }),
};

/// `rpc_server_call_duration_seconds`, as the OpenTelemetry RPC semantic conventions name
/// `rpc.server.call.duration` in Prometheus: gRPC calls (told apart by their content type),
/// by fully qualified method (`package.Service/Method`, or `_OTHER` for a method the service
/// does not have) and by the name of the gRPC status code (`OK`, `NOT_FOUND`).
pub const RPC_SERVER_CALL_DURATION: Family = Family {
    name: "rpc_server_call_duration_seconds",
    kind: Kind::Histogram,
    unit: Some("seconds"),
    help: "Duration of incoming RPCs.",
    labels: &["rpc_system_name", "rpc_method", "rpc_response_status_code"],
    instrument: Some(Instrument {
        name: "rpc.server.call.duration",
        unit: Some("s"),
        description: "Duration of incoming RPCs.",
    }),
};

/// `http_server_active_requests`: requests in flight, by method.
pub const HTTP_ACTIVE_REQUESTS: Family = Family {
    name: "http_server_active_requests",
    kind: Kind::Gauge,
    unit: None,
    help: "Number of active HTTP server requests.",
    labels: &["http_request_method"],
    instrument: Some(Instrument {
        name: "http.server.active_requests",
        unit: Some("{request}"),
        description: "Number of active HTTP server requests.",
    }),
};

/// `sloguard_operation_duration_seconds`: calls instrumented with `#[sli]`.
pub const OPERATION_DURATION: Family = Family {
    name: "sloguard_operation_duration_seconds",
    kind: Kind::Histogram,
    unit: Some("seconds"),
    help: "Duration of operations instrumented with #[sli].",
    labels: &["operation", OUTCOME],
    instrument: None,
};

/// Every family sloguard writes.
pub const ALL: [&Family; 18] = [
    &SLO_EVENTS,
    &SLO_BAD_EVENTS,
    &SLO_OBJECTIVE,
    &SLO_BURN_RATE,
    &SLO_BUDGET_REMAINING,
    &SLO_ALERT_FIRING,
    &SLO_NO_DATA,
    &SLO_PERIOD_EVENTS,
    &SLO_PERIOD_BAD_EVENTS,
    &SLO_PERIOD_START,
    &SLO_PERIOD_END,
    &SLO_SLA_STATUS,
    &DIAGNOSTICS,
    &SLO_EVENT_DURATION,
    &HTTP_REQUEST_DURATION,
    &RPC_SERVER_CALL_DURATION,
    &HTTP_ACTIVE_REQUESTS,
    &OPERATION_DURATION,
];

/// The family of a series name: one of [`ALL`], or for a series a user registered under a
/// name of their own, a generic description whose unit follows the name's suffix.
pub fn describe(name: &str) -> Family {
    if let Some(family) = ALL.iter().find(|f| f.name == name) {
        return **family;
    }
    Family {
        name: "",
        kind: Kind::Gauge,
        unit: ["seconds", "ratio"]
            .into_iter()
            .find(|u| name.strip_suffix(u).is_some_and(|n| n.ends_with('_'))),
        help: "Recorded by sloguard.",
        labels: &[],
        instrument: None,
    }
}

/// The alert names of SLA notifications, one per state whatever the SLO (the `slo` label
/// tells them apart), so that one Alertmanager route can take every SLA breach.
pub const SLA_AT_RISK_ALERT: &str = "SlaAtRisk";
/// See [`SLA_AT_RISK_ALERT`].
pub const SLA_BREACHED_ALERT: &str = "SlaBreached";

/// The alert name the generated Prometheus rules use too: the SLO's name in CamelCase plus
/// `BudgetBurn` (`checkout-latency` → `CheckoutLatencyBudgetBurn`). Prometheus alert names
/// are ASCII, so the rule is: ASCII letters and digits are kept, every other character
/// separates words, and a name that would start with a digit (or be empty) starts with
/// `Slo`. Letters outside ASCII are therefore lost (`disponibilité` →
/// `DisponibilitBudgetBurn`): [`alert_name_loses`] lists them, and an SLO whose name would
/// lose letters is refused unless it is given an alert name of its own.
pub fn alert_name(slo: &str) -> String {
    let mut out = String::new();
    for word in slo
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Slo");
    }
    out.push_str("BudgetBurn");
    out
}

/// Whether Prometheus accepts `name` as an alert name (the metric-name rule:
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub fn is_valid_alert_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// The letters and digits of an SLO name that [`alert_name`] cannot keep (non-ASCII ones), in
/// order: empty when the alert name says everything the SLO name does.
pub fn alert_name_loses(slo: &str) -> Vec<char> {
    slo.chars()
        .filter(|c| c.is_alphanumeric() && !c.is_ascii_alphanumeric())
        .collect()
}
