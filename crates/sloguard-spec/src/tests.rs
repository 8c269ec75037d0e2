//! Every accepted form and every refused form of spec files, with their messages.

use std::time::Duration;

use sloguard_core::model::{
    CalendarUnit, CancelledPolicy, Selector, Severity, Sli, SliceRule, Weekday,
};

use super::*;

fn ok(text: &str) -> Spec {
    Spec::from_str(text).unwrap_or_else(|e| panic!("should parse: {e}\n{text}"))
}

fn refused(text: &str) -> SpecError {
    let e = Spec::from_str(text).expect_err("should be refused");
    assert!(!e.message.is_empty());
    e
}

#[test]
fn shortest_forms() {
    let a = ok(r#"{"service": "API de pagamentos", "availability": 99.9}"#);
    assert_eq!(
        (a.service.as_str(), a.slos.len(), a.format),
        ("API de pagamentos", 1, Format::Native)
    );
    let d = &a.slos[0].definition;
    assert_eq!(
        (d.name(), d.sli(), d.objective().ratio()),
        ("availability", Sli::Availability, 0.999)
    );
    assert_eq!(d.period(), Duration::from_secs(30 * 86_400));

    let l = ok(r#"{"service": "x", "latency": {"threshold": "300ms", "objective": 99}}"#);
    let d = &l.slos[0].definition;
    assert_eq!(d.name(), "latency");
    assert!(
        matches!(d.sli(), Sli::Latency { threshold, require_success: true } if threshold == Duration::from_millis(300))
    );

    let both = ok("service: x\navailability: {objective: 99.5, period: 7d}\nlatency: {threshold: 1s, objective: 95}\n");
    assert_eq!(both.slos.len(), 2);
    assert_eq!(
        both.slos[0].definition.period(),
        Duration::from_secs(7 * 86_400)
    );
}

const FULL: &str = r#"
version: sloguard/v1
service: payments
labels: {team: payments}
slos:
  - name: availability
    objective: 99.9
    sli: availability
  - name: latency
    description: Payments answer within 300 ms.
    objective: 99
    period: 28d
    sli:
      latency: {threshold: 300ms, require_success: false}
    operations: {routes: [/pay]}
    cancelled: bad
    maintenance: count
    labels: {tier: gold}
    alerting:
      name: PaymentsLatency
      runbook_url: https://runbooks.example/payments-latency
      min_events: 100
      disable: [ticket-3d]
      labels: {channel: payments}
      annotations: {dashboard: https://grafana.example/d/payments}
  - name: api
    objective: 99.5
    sli: availability
    operations: {prefix: /api/}
    alerting:
      tiers:
        - {severity: page, burn_rate: 10, long_window: 1h, short_window: 5m}
        - {severity: ticket, burn_rate: 2, long_window: 1d, short_window: 2h, enabled: false}
"#;

#[test]
fn full_native_form() {
    let spec = ok(FULL);
    assert_eq!(
        spec.labels.get("team").map(String::as_str),
        Some("payments")
    );
    let latency = &spec.slos[1];
    let d = &latency.definition;
    assert_eq!(d.period(), Duration::from_secs(28 * 86_400));
    assert!(matches!(
        d.sli(),
        Sli::Latency {
            require_success: false,
            ..
        }
    ));
    assert_eq!(d.operations(), &Selector::routes(["/pay"]));
    assert_eq!(d.cancelled(), CancelledPolicy::CountAsBad);
    assert_eq!(
        d.maintenance(),
        sloguard_core::model::MaintenancePolicy::Count
    );
    assert_eq!(
        spec.slos[0].definition.maintenance(),
        sloguard_core::model::MaintenancePolicy::Exclude,
        "excluded unless the SLO says count"
    );
    assert_eq!(d.alerting().min_events, 100);
    let disabled: Vec<String> = d
        .alerting()
        .tiers
        .iter()
        .filter(|t| !t.enabled)
        .map(|t| t.id())
        .collect();
    assert_eq!(disabled, ["ticket-3d"]);
    assert_eq!(
        latency.alerting.runbook_url.as_deref(),
        Some("https://runbooks.example/payments-latency")
    );
    assert_eq!(
        spec.slos[1].definition.alert_name(),
        "PaymentsLatency",
        "alerting.name"
    );
    let api = &spec.slos[2].definition;
    assert_eq!(api.operations(), &Selector::prefix("/api/"));
    assert_eq!(api.alerting().tiers.len(), 2);
    assert!(!api.alerting().tiers[1].enabled);
    assert_eq!(api.alerting().tiers[0].severity, Severity::Page);
    // The same spec as JSON.
    let json = r#"{"service": "payments", "slos": [{"name": "a", "objective": 99.9, "sli": "availability", "operations": "all"},
        {"name": "l", "objective": 99, "sli": {"latency": {"threshold": "250ms"}}}]}"#;
    assert_eq!(ok(json).slos.len(), 2);
}

#[test]
fn refused_forms_say_where_and_why() {
    let cases: &[(&str, Option<usize>, &str, &str)] = &[
        ("service: x\nslos:\n  - name: a\n    objective: 100\n    sli: availability\n", Some(4), "slos[0].objective", "out of range"),
        ("service: x\nslos:\n  - name: a\n    objective: 99\n    sli: availability\n    colour: red\n", Some(6), "slos[0].colour", "unknown field `colour`"),
        ("service: x\nslos:\n  - name: a\n    objective: 99\n    sli: {latency: {threshold: 5 minutes}}\n", Some(5), "slos[0].sli.latency.threshold", "invalid duration"),
        ("service: x\nslos:\n  - name: a\n    objective: 99\n    sli: speed\n", Some(5), "slos[0].sli", "unknown variant `speed`"),
        ("service: x\nslos:\n  - name: a\n    sli: availability\n", Some(3), "slos[0]", "missing field `objective`"),
        ("service: x\n", None, "slos", "defines no SLO"),
        ("service: ''\navailability: 99\n", Some(1), "service", "empty"),
        ("service: x\navailability: 99\nversion: sloguard/v9\n", Some(3), "version", "unknown version"),
        ("service: x\nslos:\n  - name: a\n    objective: 90\n    sli: availability\n", Some(3), "slos[0].alerting.tiers[0].burn_rate", "can never be reached"),
        ("service: x\nslos:\n  - name: a\n    objective: 99\n    period: 1d\n    sli: availability\n", Some(3), "slos[0].alerting.tiers[3].long_window", "longer than the SLO period"),
        ("service: x\nslos:\n  - name: a\n    objective: 99\n    sli: availability\n    alerting: {disable: [page-2h]}\n", Some(3), "slos[0].alerting.disable[0]", "no tier \"page-2h\""),
        ("service: x\nslos:\n  - {name: a, objective: 99, sli: availability}\n  - {name: a, objective: 98, sli: availability}\n", Some(4), "slos[1].name", "unique"),
        ("service: x\navailability: 99\nslos: [\n", Some(4), "", ""),
        ("{\"service\": \"x\", \"availability\": 99, \"extra\": 1}", Some(1), "extra", "unknown field `extra`"),
        ("{\"service\": \"x\", \"availability\": 120}", Some(1), "availability", "out of range"),
        ("", None, "", "the spec is empty"),
    ];
    for (text, line, field, message) in cases {
        let e = refused(text);
        assert_eq!(e.line, *line, "line of {text:?}: {e}");
        assert_eq!(&e.field, field, "field of {text:?}: {e}");
        assert!(e.message.contains(message), "message of {text:?}: {e}");
    }
}

#[test]
fn errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("sloguard-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("payments.yaml");
    std::fs::write(
        &path,
        "service: x\nslos:\n  - name: a\n    objective: 0\n    sli: availability\n",
    )
    .expect("write");
    let e = Spec::from_path(&path).expect_err("refused");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}:4:", path.display())),
        "{text}"
    );
    assert!(text.contains("field `slos[0].objective`"), "{text}");
    let missing = Spec::from_path(dir.join("nope.yaml")).expect_err("missing");
    assert!(missing.to_string().contains("cannot read the spec"));
    let _ = std::fs::remove_dir_all(&dir);
}

const SLOTH: &str = r##"
version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    labels: {category: availability}
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
    alerting:
      name: "MyServiceHighErrorRate"
      labels: {category: "availability"}
      annotations: {summary: "High error rate on 'myservice' requests responses", runbook: "https://runbooks.example/errors"}
      page_alert:
        labels: {severity: "pageteam", routing_key: "myteam"}
      ticket_alert:
        labels: {severity: "slack", slack_channel: "#alerts-myteam"}
  - name: "latency-raw"
    objective: 99
    sli:
      raw:
        error_ratio_query: 1 - (sum(rate(ok[{{.window}}])) / sum(rate(all[{{.window}}])))
    alerting:
      page_alert: {disable: true}
"##;

#[test]
fn sloth_specs_are_imported() {
    let spec = ok(SLOTH);
    assert_eq!(
        (spec.format, spec.service.as_str()),
        (Format::Sloth, "myservice")
    );
    let a = &spec.slos[0];
    assert!(
        matches!(&a.queries, Some(Queries::Events { error_query, .. }) if error_query.contains("{{.window}}"))
    );
    assert_eq!(
        a.alerting
            .page_labels
            .get("routing_key")
            .map(String::as_str),
        Some("myteam")
    );
    assert_eq!(
        a.alerting.runbook_url.as_deref(),
        Some("https://runbooks.example/errors")
    );
    let raw = &spec.slos[1];
    assert!(matches!(raw.queries, Some(Queries::Raw { .. })));
    assert!(raw
        .definition
        .alerting()
        .tiers
        .iter()
        .filter(|t| t.severity == Severity::Page)
        .all(|t| !t.enabled));
    let plugin = refused("version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    sli: {plugin: {id: x}}\n");
    assert!(
        plugin.message.contains("plugin \"x\" runs Go code"),
        "{plugin}"
    );
    let version = refused("version: prometheus/v2\nservice: s\nslos: []\n");
    assert!(version.message.contains("not supported"));
}

const OPENSLO: &str = r#"
apiVersion: openslo/v1
kind: SLO
metadata:
  name: web-availability
  displayName: Web availability
spec:
  description: 99.5% of web requests succeed
  service: web
  indicator:
    metadata: {name: web-success}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))'}}
        total:
          metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[{{.window}}]))'}}
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.995
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: web-errors}
spec:
  service: web
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: errors}}}
        total: {metricSource: {type: Prometheus, spec: {query: total}}}
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: 99}]
"#;

#[test]
fn openslo_subset_is_imported_and_the_rest_refused() {
    let spec = ok(OPENSLO);
    assert_eq!(
        (spec.format, spec.service.as_str(), spec.slos.len()),
        (Format::OpenSlo, "web", 2)
    );
    let a = &spec.slos[0].definition;
    assert_eq!(
        (a.objective().ratio(), a.period()),
        (0.995, Duration::from_secs(28 * 86_400))
    );
    assert!(
        matches!(&spec.slos[0].queries, Some(Queries::Events { error_query, .. }) if error_query.contains("code!~"))
    );
    assert_eq!(spec.slos[1].definition.objective().ratio(), 0.99);
    let swap = |from: &str, to: &str| {
        OPENSLO
            .split("---")
            .next()
            .unwrap_or_default()
            .replace(from, to)
    };
    let cases = [
        (
            swap(
                "budgetingMethod: Occurrences",
                "budgetingMethod: Timeslices",
            ),
            "spec.objectives[0].timeSliceWindow",
            "missing: Timeslices needs the slice length",
        ),
        (
            swap("budgetingMethod: Occurrences", "budgetingMethod: Minutes"),
            "spec.budgetingMethod",
            "not a budgeting method",
        ),
        (
            swap("isRolling: true", "isRolling: false"),
            "spec.timeWindow[0].isRolling",
            "needs `calendar",
        ),
        (
            swap("ratioMetric:", "thresholdMetric: {}\n      ratioMetric:"),
            "spec.objectives[0]",
            "needs the objective's op and value",
        ),
        (
            swap("kind: SLO", "kind: Budget"),
            "kind",
            "not imported yet",
        ),
        (
            swap("target: 0.995", "target: 1.5"),
            "spec.objectives[0]",
            "out of range",
        ),
        (
            swap("duration: 28d", "duration: 1M"),
            "spec.timeWindow[0].duration",
            "unknown unit",
        ),
    ];
    for (text, field, message) in cases {
        let e = refused(&text);
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn a_spec_builds_a_registry() {
    let registry = ok(FULL).registry().expect("registers");
    assert_eq!(registry.service(), "payments");
    assert_eq!(registry.slo_names(), ["availability", "latency", "api"]);
}

#[test]
fn a_spec_registers_only_into_a_registry_of_its_own_service() {
    let spec = ok(r#"{"service": "payments", "availability": 99.9}"#);
    let other = Registry::builder("checkout").build();
    let err = spec.register(&other).expect_err("refused");
    assert_eq!(err.field, "service");
    assert!(err.to_string().contains("\"payments\""), "{err}");
    assert!(other.slo_names().is_empty());
    let own = Registry::builder("payments").build();
    assert_eq!(spec.register(&own).map(|r| r.len()).ok(), Some(1));
}

#[test]
fn a_ratio_where_a_percentage_is_expected_gets_a_hint_at_its_field() {
    let err = Spec::from_str(
        "service: x\nslos:\n  - name: a\n    objective: 0.999\n    sli: availability\n",
    )
    .expect_err("refused");
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(4), "slos[0].objective")
    );
    assert!(err.to_string().contains("did you mean 99.9?"), "{err}");
    let err = Spec::from_str(r#"{"service": "x", "availability": 0.995}"#).expect_err("refused");
    assert!(err.to_string().contains("did you mean 99.5?"), "{err}");
}

#[test]
fn a_name_whose_alert_name_loses_letters_needs_alerting_name() {
    let err = Spec::from_str(
        "service: x\nslos:\n  - name: disponibilité\n    objective: 99.9\n    sli: availability\n",
    )
    .expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("DisponibilitBudgetBurn"), "{message}");
    assert!(message.contains("alerting.name"), "{message}");
    assert!(message.contains("slos[0].name"), "{message}");
    let named = ok("service: x\nslos:\n  - name: disponibilité\n    objective: 99.9\n    sli: availability\n    alerting: {runbook_url: https://r.example, name: Disponibilite}\n");
    assert!(crate::lint::lint(&named, None).is_empty());
}

/// OpenSLO v1 as the specification publishes it: a list, an SLI referenced by name, a
/// Service object, label lists, a bare counter selector.
const OPENSLO_LIST: &str = r#"
- apiVersion: openslo/v1
  kind: Service
  metadata: {name: web}
  spec: {description: The web shop}
- apiVersion: openslo/v1
  kind: SLI
  metadata: {name: web-errors-sli}
  spec:
    ratioMetric:
      counter: true
      bad: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code=~"5.."}'}}}
      total: {metricSource: {type: Prometheus, spec: {query: 'http_requests_total'}}}
- apiVersion: openslo/v1
  kind: SLO
  metadata:
    name: web-errors
    labels: {team: [shop, web], tier: "1"}
  spec:
    service: web
    indicatorRef: web-errors-sli
    timeWindow: [{duration: 30d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.999}]
"#;

#[test]
fn openslo_as_published_lists_references_and_label_lists() {
    let spec = ok(OPENSLO_LIST);
    assert_eq!((spec.service.as_str(), spec.slos.len()), ("web", 1));
    let slo = &spec.slos[0];
    assert_eq!(slo.labels.get("team").map(String::as_str), Some("shop,web"));
    match &slo.queries {
        Some(Queries::Events {
            error_query,
            total_query,
        }) => {
            assert_eq!(
                error_query,
                "sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))"
            );
            assert_eq!(total_query, "sum(rate(http_requests_total[{{.window}}]))");
        }
        other => panic!("{other:?}"),
    }
    let cases = [
        (
            OPENSLO_LIST.replace("indicatorRef: web-errors-sli", "indicatorRef: nope"),
            "SLO \"web-errors\"",
            "spec.indicatorRef",
            "no SLI object is named \"nope\"",
        ),
        (
            OPENSLO_LIST.replace(
                "type: Prometheus, spec: {query: 'http_requests_total'}",
                "type: Datadog, spec: {query: 'sum:requests{*}'}",
            ),
            "SLO \"web-errors\"",
            "SLI \"web-errors-sli\" spec.ratioMetric.total.metricSource.type",
            "Datadog",
        ),
        (
            OPENSLO_LIST.replace("service: web\n", "service: shop\n"),
            "SLO \"web-errors\"",
            "spec.service",
            "no Service object is named \"shop\"",
        ),
        (
            OPENSLO_LIST.replace(
                "'http_requests_total'}",
                "'sum(rate(http_requests_total[5m])'}",
            ),
            "SLO \"web-errors\"",
            "SLI \"web-errors-sli\" spec.ratioMetric.total.metricSource.spec.query",
            "{{.window}}",
        ),
    ];
    for (text, object, field, message) in cases {
        let e = refused(&text);
        assert_eq!(e.object.as_deref(), Some(object), "{e}");
        assert_eq!(e.format, Some("OpenSLO v1"), "{e}");
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
        assert!(!e.to_string().contains("struct"), "no internal type: {e}");
    }
}

#[test]
fn every_document_of_a_multi_document_file_is_read_and_refusals_name_it() {
    let sloth = |service: &str, query: &str| {
        format!("version: prometheus/v1\nservice: {service}\nslos:\n  - name: errors\n    objective: 99.9\n    sli: {{events: {{error_query: '{query}', total_query: 'sum(rate(x[{{{{.window}}}}]))'}}}}\n    alerting: {{name: Errors}}\n")
    };
    let good = "sum(rate(x{code=\"500\"}[{{.window}}]))";
    let text = format!("{}---\n{}", sloth("a", good), sloth("b", good));
    let all = Spec::all_from_str(&text).expect("both read");
    assert_eq!(
        all.iter().map(|s| s.service.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let one = refused(&text);
    assert!(one.message.contains("2 services (a, b)"), "{one}");
    for (bad, why) in [
        ("sum(rate(x[{{.window}}])", "not valid PromQL"),
        (
            "sum(rate(x{bad-label=\"1\"}[{{.window}}]))",
            "not valid PromQL",
        ),
        (
            "sum(rate(x[{{.Window}}]))",
            "unknown placeholder {{.Window}}",
        ),
        ("sum(rate(x[5m]))", "has no {{.window}}"),
    ] {
        let text = format!("{}---\n{}", sloth("a", good), sloth("b", bad));
        let e = Spec::all_from_str(&text).expect_err(bad);
        assert_eq!(
            (e.document, e.format),
            (Some(2), Some("Sloth prometheus/v1")),
            "{e}"
        );
        assert_eq!(e.field, "slos[0].sli.events.error_query", "{e}");
        assert!(e.message.contains(why), "{bad}: {e}");
    }
    let empty = refused("version: prometheus/v1\nservice: s\nslos: []\n");
    assert!(empty.message.contains("no SLOs"), "{empty}");
}

#[test]
fn sloth_kubernetes_resources_and_plugins() {
    let text = "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nmetadata: {name: shop, namespace: prod, labels: {app: shop}}\nspec:\n  service: shop\n  labels: {owner: team-a}\n  slos:\n    - name: requests\n      objective: 99.5\n      infoLabels: {tier: gold}\n      sli:\n        events:\n          errorQuery: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))\n          totalQuery: sum(rate(http_requests_total[{{.window}}]))\n      alerting:\n        name: ShopRequests\n        pageAlert: {labels: {severity: critical}}\n        ticketAlert: {disable: true}\n";
    let spec = ok(text);
    assert_eq!(
        (spec.format, spec.service.as_str()),
        (Format::SlothKubernetes, "shop")
    );
    let slo = &spec.slos[0];
    assert_eq!(slo.definition.alert_name(), "ShopRequests");
    assert_eq!(
        slo.info_labels.get("tier").map(String::as_str),
        Some("gold")
    );
    assert_eq!(
        slo.alerting.page_labels.get("severity").map(String::as_str),
        Some("critical")
    );
    assert!(slo
        .definition
        .alerting()
        .tiers
        .iter()
        .filter(|t| t.severity == Severity::Ticket)
        .all(|t| !t.enabled));
    let debug = ok(&text.replace(
        "  slos:\n",
        "  sloPlugins: {chain: [{id: sloth.dev/core/debug/v1, config: {msg: hi}}]}\n  slos:\n",
    ));
    assert_eq!(
        debug.slos[0].notes,
        ["sloPlugins.chain[0]: sloth.dev/core/debug/v1 only logs while Sloth generates, so it changes nothing here"]
    );
    let windows = refused("apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec: {}\n");
    assert!(windows.message.contains("AlertWindows"), "{windows}");
    let unknown = refused("apiVersion: example.com/v3\nkind: Thing\n");
    assert!(unknown.message.contains("openslo/v1"), "{unknown}");
}

#[test]
fn openslo_v1alpha_is_read_as_sloth_reads_it() {
    let text = "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: availability, displayName: Availability}\nspec:\n  service: shop\n  budgetingMethod: Occurrences\n  objectives:\n    - ratioMetrics:\n        good: {source: prometheus, queryType: promql, query: 'sum(rate(ok_total[{{.window}}]))'}\n        total: {source: prometheus, queryType: promql, query: 'sum(rate(all_total[{{.window}}]))'}\n      target: 0.99\n  timeWindows: [{count: 28, unit: Day, isRolling: true}]\n";
    let spec = ok(text);
    let slo = &spec.slos[0];
    assert_eq!(slo.definition.name(), "availability-0");
    assert_eq!(slo.definition.period(), Duration::from_secs(28 * 86_400));
    assert!(
        matches!(&slo.queries, Some(Queries::Raw { error_ratio_query }) if error_query_has(error_ratio_query))
    );
    assert!(slo.definition.alerting().enabled_tiers().next().is_none());
    assert!(crate::lint::lint(&spec, None)
        .iter()
        .any(|w| w.message.contains("Sloth disables")));
    let datadog = refused(&text.replace("good: {source: prometheus", "good: {source: datadog"));
    assert_eq!(
        datadog.field, "spec.objectives[0].ratioMetrics.good.source",
        "{datadog}"
    );
}

fn error_query_has(q: &str) -> bool {
    q.starts_with("(1 - ((") && q.contains("ok_total") && q.contains("all_total")
}

#[test]
fn pyrra_indicators_and_grouping_are_imported_and_bad_ones_refused_by_field() {
    let base = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: api-latency\n  namespace: shop\n  labels: {prometheus: k8s, pyrra.dev/team: checkout}\nspec:\n  target: '99'\n  window: 2w\n  alerting: {name: ApiLatency}\n  indicator:\n";
    let latency = format!("{base}    latency:\n      success: {{metric: 'http_request_duration_seconds_bucket{{job=\"api\",le=\"0.5\"}}'}}\n      total: {{metric: 'http_request_duration_seconds_count{{job=\"api\"}}'}}\n");
    let spec = ok(&latency);
    assert_eq!(
        (spec.format, spec.service.as_str()),
        (Format::Pyrra, "shop")
    );
    let slo = &spec.slos[0];
    assert_eq!(slo.labels.get("team").map(String::as_str), Some("checkout"));
    assert!(!slo.labels.contains_key("prometheus"));
    assert_eq!(slo.definition.period(), Duration::from_secs(14 * 86_400));
    assert_eq!(slo.definition.objective().ratio(), 0.99);
    assert_eq!(slo.definition.alert_name(), "ApiLatency");
    match &slo.queries {
        Some(Queries::Events { error_query, .. }) => assert!(
            error_query.contains(" - sum(rate(http_request_duration_seconds_bucket"),
            "{error_query}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(crate::lint::lint(&spec, None)
        .iter()
        .any(|w| w.message.contains("absent")));
    // latencyNative, bool_gauge and grouping, read as Pyrra documents them.
    let native = ok(&format!(
        "{base}    latencyNative: {{latency: 200ms, total: {{metric: 'rpc_seconds{{job=\"a\"}}'}}, grouping: [service, method]}}\n"
    ));
    let slo = &native.slos[0];
    assert_eq!(slo.grouping, ["service", "method"]);
    match &slo.queries {
        Some(Queries::Events {
            error_query,
            total_query,
        }) => {
            assert_eq!(total_query, "histogram_count(sum by (service, method) (rate(rpc_seconds{job=\"a\"}[{{.window}}])))");
            assert!(
                error_query.contains("histogram_fraction(0, 0.2, sum by (service, method) (rate("),
                "{error_query}"
            );
        }
        other => panic!("{other:?}"),
    }
    let gauge = ok(&format!(
        "{base}    bool_gauge: {{metric: 'probe_success{{job=\"b\"}}'}}\n"
    ));
    assert!(matches!(
        &gauge.slos[0].queries,
        Some(Queries::Raw { error_ratio_query }) if error_ratio_query == "1 - (sum(sum_over_time(probe_success{job=\"b\"}[{{.window}}])) / sum(count_over_time(probe_success{job=\"b\"}[{{.window}}])))"
    ));
    assert!(gauge.slos[0]
        .notes
        .iter()
        .any(|n| n.starts_with("spec.indicator.bool_gauge: read as an error ratio")));
    let offset = ok(&format!("{base}    ratio: {{errors: {{metric: 'e{{code=\"500\"}} offset 1m'}}, total: {{metric: 'e offset 1m'}}}}\n"));
    assert!(matches!(
        &offset.slos[0].queries,
        Some(Queries::Events { total_query, .. }) if total_query == "sum(rate(e[{{.window}}] offset 1m))"
    ));
    let dynamic = refused(
        &format!(
            "{base}    ratio: {{errors: {{metric: 'e{{code=\"500\"}}'}}, total: {{metric: e}}}}\n"
        )
        .replace(
            "alerting: {name: ApiLatency}",
            "alerting: {burnRateType: dynamic}",
        ),
    );
    assert_eq!(dynamic.field, "spec.alerting.burnRateType", "{dynamic}");
    // A field one of Pyrra's examples writes but its resource does not have: Kubernetes drops it.
    let stray = ok(&format!(
        "{base}    ratio: {{errors: {{metric: 'e{{code=\"500\"}}'}}, total: {{metric: e}}}}\n"
    )
    .replace("  window: 2w\n", "  window: 2w\n  latency: '1'\n"));
    assert!(stray.slos[0]
        .notes
        .iter()
        .any(|n| n.starts_with("spec.latency: not a field")));
    for (indicator, field, word) in [
        (
            "    ratio: {errors: {metric: 'e'}, total: {metric: 't'}, grouping: [route-name]}\n",
            "spec.indicator.ratio.grouping",
            "label name",
        ),
        (
            "    ratio: {errors: {metric: 'e'}, total: {metric: 't'}}\n    bool_gauge: {metric: up}\n",
            "spec.indicator",
            "exactly one indicator",
        ),
        (
            "    ratio: {errors: {metric: 'sum(e)'}, total: {metric: 't'}}\n",
            "spec.indicator.ratio.errors.metric",
            "series selector",
        ),
    ] {
        let e = refused(&format!("{base}{indicator}"));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(word), "{e}");
        assert!(e.to_string().contains("Pyrra"), "{e}");
    }
}

const POLICIES: &str = r#"
- apiVersion: openslo/v1
  kind: AlertCondition
  metadata: {name: slow-burn}
  spec:
    severity: ticket
    condition: {kind: burnrate, op: gte, threshold: 2, lookbackWindow: 1d}
- apiVersion: openslo/v1
  kind: AlertPolicy
  metadata: {name: standard}
  spec:
    alertWhenBreaching: true
    conditions:
      - kind: AlertCondition
        metadata: {name: fast-burn}
        spec:
          severity: page
          condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}
      - conditionRef: slow-burn
    notificationTargets: [{targetRef: on-call}]
"#;

#[test]
fn openslo_alert_policies_become_tiers() {
    let text = OPENSLO_LIST.replace(
        "    objectives: [{target: 0.999}]\n",
        "    objectives: [{target: 0.999}]\n    alertPolicies: [{alertPolicyRef: standard}]\n",
    ) + POLICIES;
    let spec = ok(&text);
    let tiers: Vec<(Severity, f64, u64, u64)> = spec.slos[0]
        .definition
        .alerting()
        .tiers
        .iter()
        .map(|t| {
            (
                t.severity,
                t.burn_rate,
                t.long_window.as_secs(),
                t.short_window.as_secs(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [
            (Severity::Page, 14.4, 3_600, 300),
            (Severity::Ticket, 2.0, 86_400, 7_200)
        ]
    );
    assert!(crate::lint::lint(&spec, None)
        .iter()
        .any(|w| w.message.contains("notificationTargets")));
    let cases = [
        (
            "conditionRef: slow-burn",
            "conditionRef: nope",
            "AlertPolicy \"standard\" spec.conditions[1].conditionRef",
            "nope",
        ),
        (
            "lookbackWindow: 1h}",
            "lookbackWindow: 1h, alertAfter: 5m}",
            "AlertPolicy \"standard\" spec.conditions[0].spec.condition.alertAfter",
            "alertAfter",
        ),
        (
            "severity: ticket",
            "severity: info",
            "AlertCondition \"slow-burn\" spec.severity",
            "info",
        ),
        (
            "op: gte, threshold: 2,",
            "op: lte, threshold: 2,",
            "AlertCondition \"slow-burn\" spec.condition.op",
            "lte",
        ),
    ];
    for (from, to, field, word) in cases {
        let e = refused(&text.replace(from, to));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(word), "{e}");
        assert_eq!(e.object.as_deref(), Some("SLO \"web-errors\""), "{e}");
    }
}

#[test]
fn a_query_refusal_points_at_the_query_line_of_its_document() {
    let first = "version: prometheus/v1\nservice: ok\nslos:\n  - name: a\n    objective: 99\n    sli: {raw: {error_ratio_query: 'x[{{.window}}]'}}\n    alerting: {name: A}\n";
    let second = "version: prometheus/v1\nservice: s\nslos:\n  - name: a\n    objective: 99\n    sli:\n      events:\n        error_query: sum(rate(x{bad-label=\"1\"}[{{.window}}]))\n        total_query: sum(rate(x[{{.window}}]))\n    alerting: {name: A}\n";
    let e = Spec::all_from_str(&format!("{first}---\n{second}")).expect_err("refused");
    // 7 lines, the separator, then the query on the 8th line of the second document.
    assert_eq!((e.document, e.line), (Some(2), Some(16)), "{e}");
    assert!(e.message.contains("not valid PromQL"), "{e}");
}

const OPENSLO_THRESHOLD: &str = r#"- apiVersion: openslo/v1
  kind: SLI
  metadata: {name: api-latency}
  spec:
    thresholdMetric:
      metricSource: {type: Prometheus, spec: {query: 'http_request_duration_seconds_bucket{job="api"}'}}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: api-latency}
  spec:
    service: api
    indicatorRef: api-latency
    timeWindow: [{duration: 30d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{op: lte, value: 0.25, target: 0.99}]
"#;

#[test]
fn openslo_threshold_metric_over_a_histogram_is_a_latency_sli() {
    let spec = ok(OPENSLO_THRESHOLD);
    let slo = &spec.slos[0];
    assert!(
        matches!(slo.definition.sli(), sloguard_core::model::Sli::Latency { threshold, .. } if threshold == Duration::from_millis(250)),
        "{:?}",
        slo.definition.sli()
    );
    match &slo.queries {
        Some(Queries::Events {
            error_query,
            total_query,
        }) => {
            assert_eq!(
                total_query,
                "sum(rate(http_request_duration_seconds_count{job=\"api\"}[{{.window}}]))"
            );
            assert!(
                error_query
                    .contains("http_request_duration_seconds_bucket{job=\"api\",le=\"0.25\"}"),
                "{error_query}"
            );
        }
        other => panic!("{other:?}"),
    }
    let cases = [
        ("op: lte", "op: gte", "spec.objectives[0].op", "latency SLI"),
        ("value: 0.25", "value: -1", "spec.objectives[0].value", "positive"),
        (
            "'http_request_duration_seconds_bucket{job=\"api\"}'",
            "'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))'",
            "SLI \"api-latency\" spec.thresholdMetric.metricSource.spec.query",
            "time slices",
        ),
        ("op: lte, value: 0.25, ", "", "spec.objectives[0]", "op and value"),
    ];
    for (from, to, field, message) in cases {
        let e = refused(&OPENSLO_THRESHOLD.replace(from, to));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
        assert_eq!(e.object.as_deref(), Some("SLO \"api-latency\""), "{e}");
    }
}

#[test]
fn native_calendars_and_sla() {
    let text = "service: shop\nslos:\n  - name: checkout\n    objective: 99.9\n    sli: availability\n    calendars: [{period: week, first_day: sunday}, {period: quarter, zone: America/New_York}]\n    sla: {objective: 99.5, period: month, zone: Europe/Paris}\n";
    let spec = ok(text);
    let def = &spec.slos[0].definition;
    let names: Vec<&str> = def.calendars().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["week", "quarter", "month"]);
    let sla = def.sla().expect("an SLA");
    assert_eq!(
        (sla.objective().ratio(), sla.calendar().zone()),
        (0.995, "Europe/Paris")
    );
    for (from, to, field, message) in [
        (
            "zone: Europe/Paris",
            "zone: Europe/Pariss",
            "slos[0].sla.zone",
            "IANA",
        ),
        (
            "period: quarter",
            "period: year",
            "slos[0].calendars[1].period",
            "week, month or quarter",
        ),
        (
            "first_day: sunday",
            "first_day: someday",
            "slos[0].calendars[0].first_day",
            "day of the week",
        ),
        (
            "objective: 99.5",
            "objective: 0.995",
            "slos[0].sla.objective",
            "did you mean 99.5",
        ),
        (
            "period: month, zone",
            "period: quarter, zone",
            "calendars[2]",
            "given twice",
        ),
        (
            "period: month, zone: Europe/Paris",
            "period: month, zone: UTC, extra: 1",
            "slos[0].sla",
            "extra",
        ),
    ] {
        let e = refused(&text.replace(from, to));
        assert!(e.field.ends_with(field), "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn native_time_slice_rules_and_the_alerting_window() {
    let text = "service: shop\nslos:\n  - name: checkout\n    objective: 99\n    sli: availability\n    time_slices: {length: 1m, rule: ratio}\n    sla: {objective: 99.5, period: month}\n    alerting: {window: month}\n";
    let def = ok(text).slos.remove(0).definition;
    assert_eq!(def.time_slices().map(|s| s.rule()), Some(SliceRule::Ratio));
    assert_eq!(def.alerting_window().map(|c| c.name()), Some("month"));
    let flawless = ok(&text.replace("rule: ratio", "objective: 100"))
        .slos
        .remove(0)
        .definition;
    assert_eq!(
        flawless.time_slices().map(|s| s.rule()),
        Some(SliceRule::Objective(1.0))
    );
    for (from, to, field, message) in [
        (
            "rule: ratio",
            "empty: bad",
            "slos[0].time_slices.objective",
            "missing",
        ),
        (
            "rule: ratio",
            "rule: ratio, objective: 90",
            "slos[0].time_slices.objective",
            "no slice objective",
        ),
        (
            "rule: ratio",
            "rule: mean",
            "slos[0].time_slices.rule",
            "not a slice rule",
        ),
        (
            "rule: ratio",
            "objective: 100.5",
            "slos[0].time_slices.objective",
            "out of range",
        ),
        (
            "{window: month}",
            "{window: week}",
            "slos[0].alerting.window",
            "calendar windows are month",
        ),
    ] {
        let e = refused(&text.replace(from, to));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

/// The first SLO of [`OPENSLO`] with its time window and objective replaced.
fn openslo_with(window: &str, method: &str, objective: &str) -> String {
    let first = OPENSLO.split("---").next().unwrap_or_default();
    let head = first.split("  timeWindow:").next().unwrap_or_default();
    format!("{head}  timeWindow:\n{window}\n  budgetingMethod: {method}\n  objectives:\n    - {objective}\n")
}

#[test]
fn openslo_calendar_windows_are_compliance_windows_that_alerting_quotes() {
    let month = "    - duration: 1M\n      calendar: {startTime: '2026-01-01 00:00:00', timeZone: Europe/Paris}";
    let spec = ok(&openslo_with(month, "Occurrences", "target: 0.995"));
    let slo = &spec.slos[0];
    let def = &slo.definition;
    let window = def.alerting_window().expect("alerting quotes the month");
    assert_eq!((window.name(), window.zone()), ("month", "Europe/Paris"));
    assert_eq!(def.calendars().len(), 1);
    assert_eq!(def.period(), Duration::from_secs(30 * 86_400));
    assert!(
        slo.notes.iter().any(|n| n.contains("calendar window 1M")
            && n.contains("rolling 30d period beside it")),
        "{:?}",
        slo.notes
    );
    let sunday_weeks = "    - duration: 1w\n      isRolling: false\n      calendar: {startTime: 2026-01-04 00:00:00, timeZone: UTC}";
    let def = ok(&openslo_with(sunday_weeks, "Occurrences", "target: 0.995"))
        .slos
        .remove(0)
        .definition;
    assert_eq!(
        def.calendars()[0].unit(),
        CalendarUnit::Week(Weekday::Sunday)
    );
    let anchored = |duration: &str, start: &str, zone: &str| {
        format!("    - duration: {duration}\n      calendar: {{startTime: '{start}', timeZone: {zone}}}")
    };
    let cases = [
        (
            anchored("1M", "2026-01-21 12:30:00", "UTC"),
            "spec.timeWindow[0].calendar.startTime",
            "does not start a calendar month",
        ),
        (
            anchored("1Q", "2026-02-01 00:00:00", "UTC"),
            "spec.timeWindow[0].calendar.startTime",
            "quarters start on 1 January",
        ),
        (
            anchored("1Y", "2026-01-01 00:00:00", "UTC"),
            "spec.timeWindow[0].duration",
            "a week (1w), a month (1M) or a quarter (1Q)",
        ),
        (
            anchored("1M", "first of January", "UTC"),
            "spec.timeWindow[0].calendar.startTime",
            "not a local date and time",
        ),
        (
            anchored("1M", "2026-01-01 00:00:00", "Mars/Olympus"),
            "spec.timeWindow[0].calendar.timeZone",
            "Mars/Olympus",
        ),
        (
            format!(
                "{}\n      isRolling: true",
                anchored("1M", "2026-01-01 00:00:00", "UTC")
            ),
            "spec.timeWindow[0].isRolling",
            "does not roll",
        ),
    ];
    for (window, field, message) in cases {
        let e = refused(&openslo_with(&window, "Occurrences", "target: 0.995"));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn openslo_timeslices_and_ratio_timeslices_are_time_slice_slos() {
    let rolling = "    - duration: 28d\n      isRolling: true";
    let slices = |method: &str, objective: &str| {
        ok(&openslo_with(rolling, method, objective)).slos.remove(0)
    };
    let minutes = slices(
        "Timeslices",
        "{target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 1m}",
    );
    let rule = minutes.definition.time_slices().expect("time slices");
    assert_eq!(
        (rule.length(), rule.rule()),
        (Duration::from_secs(60), SliceRule::Objective(0.95))
    );
    assert!(
        minutes.notes.iter().any(|n| n.contains("skipped")),
        "{:?}",
        minutes.notes
    );
    // A bare number is minutes, as the specification reads it; a target of 1 is allowed.
    let five = slices(
        "Timeslices",
        "{target: 0.99, timeSliceTarget: 1, timeSliceWindow: 5}",
    );
    let rule = five.definition.time_slices().expect("time slices");
    assert_eq!(
        (rule.length(), rule.rule()),
        (Duration::from_secs(300), SliceRule::Objective(1.0))
    );
    let ratio = slices("RatioTimeslices", "{target: 0.99, timeSliceWindow: 1m}");
    assert_eq!(
        ratio.definition.time_slices().map(|s| s.rule()),
        Some(SliceRule::Ratio)
    );
    let cases = [
        (
            "RatioTimeslices",
            "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 1m}",
            "spec.objectives[0].timeSliceTarget",
            "has no slice target",
        ),
        (
            "Timeslices",
            "{target: 0.99, timeSliceWindow: 1m}",
            "spec.objectives[0].timeSliceTarget",
            "missing",
        ),
        (
            "Timeslices",
            "{target: 0.99, timeSliceTarget: 1.5, timeSliceWindow: 1m}",
            "spec.objectives[0].timeSliceTarget",
            "not a share in (0, 1]",
        ),
        (
            "Timeslices",
            "{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 45s}",
            "spec.objectives[0].timeSliceWindow",
            "whole number of 10s steps",
        ),
        (
            "Occurrences",
            "{target: 0.99, timeSliceWindow: 1m}",
            "spec.objectives[0].timeSliceWindow",
            "not Occurrences",
        ),
    ];
    for (method, objective, field, message) in cases {
        let e = refused(&openslo_with(rolling, method, objective));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn native_status_page() {
    let text = "service: shop\nslos:\n  - {name: checkout, objective: 99.9, sli: availability}\nstatus_page:\n  title: Acme Shop\n  components: [{name: Checkout, slos: [checkout], description: Paying for orders}]\n  words: {degraded_performance: Slower than usual}\n";
    let spec = ok(text);
    let page = spec.status_page.clone().expect("a status page");
    assert_eq!(page.title, "Acme Shop");
    assert_eq!(page.components[0].slos, ["checkout"]);
    assert_eq!(
        page.words
            .of(sloguard_core::model::ComponentState::DegradedPerformance),
        "Slower than usual"
    );
    let registry = spec.registry().expect("registers");
    assert_eq!(registry.status_page(), Some(page));
    for (from, to, field, message) in [
        (
            "slos: [checkout]",
            "slos: [cart]",
            "status_page.components[0].slos[0]",
            "no SLO is named \"cart\"",
        ),
        (
            "degraded_performance:",
            "degraded:",
            "status_page.words.degraded",
            "not a state",
        ),
        (
            "slos: [checkout]",
            "slos: []",
            "status_page.components[0].slos",
            "at least one",
        ),
    ] {
        let e = refused(&text.replace(from, to));
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

#[test]
fn a_latency_slo_can_read_its_fleet_rules_from_a_native_histogram() {
    let spec = ok(r#"
service: payments
slos:
  - name: latency
    objective: 99
    sli: {latency: {threshold: 250ms, native_histogram: 'http_server_request_duration_seconds{job="payments"}'}}
"#);
    let slo = &spec.slos[0];
    let Some(Queries::Events {
        error_query,
        total_query,
    }) = &slo.queries
    else {
        panic!("{:?}", slo.queries);
    };
    assert!(error_query.contains("histogram_fraction(0, 0.25, sum(rate(http_server_request_duration_seconds{job=\"payments\"}[{{.window}}])))"), "{error_query}");
    assert!(
        total_query.starts_with("histogram_count(sum(rate("),
        "{total_query}"
    );
    // Failures under the threshold are good for the histogram and bad for the process.
    assert!(
        slo.notes
            .iter()
            .any(|n| n.contains("require_success: false")),
        "{:?}",
        slo.notes
    );
    let agreed = ok(r#"
service: payments
slos:
  - name: latency
    objective: 99
    sli: {latency: {threshold: 250ms, require_success: false, native_histogram: 'h_seconds'}}
"#);
    assert!(agreed.slos[0].notes.is_empty());
    assert!(ok(
        "service: x\nslos:\n  - {name: l, objective: 99, sli: {latency: {threshold: 1s}}}\n"
    )
    .slos[0]
        .queries
        .is_none());
}

#[test]
fn a_native_histogram_that_is_no_selector_is_refused_at_its_field() {
    let e = refused(
        r#"
service: payments
slos:
  - name: latency
    objective: 99
    sli: {latency: {threshold: 250ms, native_histogram: 'rate(h[5m])'}}
"#,
    );
    assert!(
        e.to_string()
            .contains("slos[0].sli.latency.native_histogram"),
        "{e}"
    );
    assert!(e.to_string().contains("not a series selector"), "{e}");
}

#[test]
fn an_openslo_ratio_objective_with_op_and_no_value_reads_with_a_note() {
    let text = OPENSLO_LIST.replace(
        "objectives: [{target: 0.999}]",
        "objectives: [{op: lte, target: 0.999}]",
    );
    assert_ne!(text, OPENSLO_LIST);
    let spec = ok(&text);
    let slo = &spec.slos[0];
    assert!(matches!(slo.queries, Some(Queries::Events { .. })));
    assert!(
        slo.notes
            .iter()
            .any(|n| n.contains("op only matters for a thresholdMetric")),
        "{:?}",
        slo.notes
    );
    // With a value, it is a threshold objective, which a ratio SLI cannot take.
    let e = refused(&OPENSLO_LIST.replace(
        "objectives: [{target: 0.999}]",
        "objectives: [{op: lte, value: 0.5, target: 0.999}]",
    ));
    assert_eq!(e.field, "spec.objectives[0].op", "{e}");
}

/// The burn rates of an SLO's tiers, in order.
fn burn_rates(slo: &SloSpec) -> Vec<f64> {
    let tiers = &slo.definition.alerting().tiers;
    tiers.iter().map(|t| t.burn_rate).collect()
}

#[test]
fn low_objectives_leave_the_tiers_they_cannot_reach_out_and_say_so() {
    // 90%: at most 10x, so Sloth's 14.4x page tier cannot fire; the 6x one can.
    let sloth = ok(&SLOTH.replace("objective: 99.9", "objective: 90"));
    let slo = &sloth.slos[0];
    assert_eq!(burn_rates(slo), [6.0, 3.0, 1.0], "the 14.4x tier left out");
    assert_eq!(slo.notes.len(), 1, "{:?}", slo.notes);
    assert!(
        slo.notes[0]
            .contains("slos[0].objective: tier page-1h (burn rate 14.4) can never fire at 90%"),
        "{:?}",
        slo.notes
    );
    // 50%: at most 2x, so only the 1x ticket remains.
    let pyrra = ok("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: batch, namespace: jobs}\nspec:\n  target: '50'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'jobs_total{status=\"failed\"}'}\n      total: {metric: 'jobs_total'}\n");
    let slo = &pyrra.slos[0];
    let kept = burn_rates(slo);
    assert!(
        kept.iter().all(|rate| rate * 0.5 < 1.0) && !kept.is_empty(),
        "{kept:?}"
    );
    assert_eq!(
        slo.notes
            .iter()
            .filter(|n| n.starts_with("spec.target: tier"))
            .count(),
        4 - kept.len(),
        "{:?}",
        slo.notes
    );
    // The usual objectives keep all four tiers and say nothing of them.
    assert_eq!(ok(SLOTH).slos[0].definition.alerting().tiers.len(), 4);
}

#[test]
fn one_period_gives_one_set_of_burn_rates_whichever_format_names_it() {
    let four_weeks = [13.44, 5.6, 2.8, 0.9333];
    let native = ok("service: x\nslos:\n  - name: a\n    objective: 99.9\n    period: 28d\n    sli: availability\n");
    let openslo = ok(OPENSLO);
    let openslo_alpha = ok("apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: x\n  objectives:\n    - ratioMetrics:\n        good: {source: prometheus, queryType: promql, query: 'sum(rate(ok_total[{{.window}}]))'}\n        total: {source: prometheus, queryType: promql, query: 'sum(rate(all_total[{{.window}}]))'}\n      target: 0.999\n  timeWindows: [{count: 28, unit: Day}]\n");
    let pyrra = ok("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: a, namespace: x}\nspec:\n  target: '99.9'\n  window: 4w\n  indicator:\n    ratio:\n      errors: {metric: 'requests_total{code=~\"5..\"}'}\n      total: {metric: 'requests_total'}\n");
    let sloth = read::read_all(
        SLOTH,
        &crate::sloth_windows::SlothPeriods::builtin(Duration::from_secs(28 * 86_400)),
    )
    .expect("Sloth with a 28-day default period")
    .remove(0);
    for (format, slo) in [
        ("native", &native.slos[0]),
        ("OpenSLO v1", &openslo.slos[0]),
        ("OpenSLO v1alpha", &openslo_alpha.slos[0]),
        ("Pyrra", &pyrra.slos[0]),
        ("Sloth", &sloth.slos[0]),
    ] {
        assert_eq!(
            slo.definition.period(),
            Duration::from_secs(28 * 86_400),
            "{format}"
        );
        let tiers = &slo.definition.alerting().tiers;
        let rates: Vec<f64> = tiers
            .iter()
            .map(|t| (t.burn_rate * 1e4).round() / 1e4)
            .collect();
        assert_eq!(rates, four_weeks, "{format}");
    }
    // Thirty days is the Workbook's table, exactly.
    let thirty = ok("service: x\navailability: 99.9\n");
    assert_eq!(burn_rates(&thirty.slos[0]), [14.4, 6.0, 3.0, 1.0]);
}

const SLOTH_PLUGINS: &str = r#"
version: prometheus/v1
service: shop
labels: {tier: 2, generated: true}
slo_plugins:
  chain:
    - id: sloth.dev/contrib/rule_intervals/v1
      config: {interval: {default: 2m, alert: 30s}}
    - id: sloth.dev/contrib/alert_for/v1
slos:
  - name: requests
    objective: 99.9
    plugins:
      chain:
        - id: sloth.dev/contrib/info_labels/v1
          priority: 10
          config: {labels: {team: payments}}
        - id: sloth.dev/contrib/sli_total_amount/v1
          priority: -5
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      labels: {objective: 99.9}
      page_alert: {for: 5m}
"#;

#[test]
fn sloth_plugins_are_read_by_id() {
    let spec = ok(SLOTH_PLUGINS);
    assert_eq!(spec.labels["tier"], "2", "numbers are label text");
    assert_eq!(spec.labels["generated"], "true");
    let slo = &spec.slos[0];
    assert_eq!(slo.info_labels["team"], "payments");
    assert!(slo.total_amount_records);
    assert_eq!(slo.alerting.labels["objective"], "99.9");
    assert_eq!(
        (slo.intervals.sli, slo.intervals.meta, slo.intervals.alert),
        (
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(120)),
            Some(Duration::from_secs(30))
        )
    );
    assert_eq!(slo.alerting.page_for, Some(Duration::from_secs(300)));
    assert_eq!(slo.alerting.ticket_for, None);
    let rules = crate::rules::rule_file(&spec);
    let groups: Vec<&str> = rules.groups.iter().map(|g| g.name.as_str()).collect();
    assert!(
        groups.contains(&"sloth-slo-sli-total-amount-shop-requests"),
        "{groups:?}"
    );
    let total = rules
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .find(|r| r.record.as_deref() == Some("slo:sli_total:amount30d"))
        .expect("the period's total");
    assert_eq!(total.expr, "sum(rate(http_requests_total[30d]))");
    let pages: Vec<Option<&str>> = rules
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.alert.is_some())
        .map(|r| r.pending.as_deref())
        .collect();
    assert!(
        pages.contains(&Some("5m")) && pages.contains(&None),
        "{pages:?}"
    );

    // Without alert_for, `for` is left out as Sloth leaves it out, and lint says so.
    let without = ok(&SLOTH_PLUGINS.replace("    - id: sloth.dev/contrib/alert_for/v1\n", ""));
    assert_eq!(without.slos[0].alerting.page_for, None);
    assert!(without.slos[0]
        .notes
        .iter()
        .any(|n| n.starts_with("slos[0].alerting.page_alert.for: left out")));

    // What sloguard cannot carry is refused by the plugin's id and field.
    let denominator = refused(&SLOTH_PLUGINS.replace(
        "sloth.dev/contrib/alert_for/v1",
        "sloth.dev/contrib/denominator_corrected_rules/v1",
    ));
    assert_eq!(
        denominator.field, "slo_plugins.chain[1].id",
        "{denominator}"
    );
    assert!(denominator.message.contains("denominator_corrected_rules"));
    let go =
        refused(&SLOTH_PLUGINS.replace("sloth.dev/contrib/alert_for/v1", "my_company/retries/v1"));
    assert!(
        go.message.contains("Go code that Sloth loads from source"),
        "{go}"
    );
    let overridden = refused(&SLOTH_PLUGINS.replace(
        "slo_plugins:\n  chain:\n",
        "slo_plugins:\n  overridePrevious: true\n  chain:\n",
    ));
    assert!(
        overridden.message.contains("sloth.dev/core/sli_rules/v1"),
        "{overridden}"
    );
    let metricsql = refused(
        &SLOTH_PLUGINS
            .replace(
                "sloth.dev/contrib/alert_for/v1",
                "sloth.dev/contrib/validate_victoria_metrics/v1",
            )
            .replace(
                "sum(rate(http_requests_total{code",
                "sum(rate_over_sum(http_requests_total{code",
            ),
    );
    assert!(metricsql.message.contains("MetricsQL"), "{metricsql}");
    let bad_config = refused(&SLOTH_PLUGINS.replace(
        "{interval: {default: 2m, alert: 30s}}",
        "{interval: {alert: 30s}}",
    ));
    assert!(bad_config.message.contains("default"), "{bad_config}");
}

#[test]
fn openslo_metric_sources_by_reference_take_the_data_source_type() {
    let text = r#"
- apiVersion: openslo/v1
  kind: DataSource
  metadata: {name: thanos}
  spec:
    type: Prometheus
    connectionDetails: {url: http://thanos.example:9090}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: web}
  spec:
    service: web
    indicator:
      metadata: {name: web-ok}
      spec:
        ratioMetric:
          counter: true
          good: {metricSource: {metricSourceRef: thanos, spec: {query: 'http_requests_total{code!~"5.."}'}}}
          total: {metricSource: {metricSourceRef: thanos, spec: {query: 'http_requests_total'}}}
    timeWindow: [{duration: 28d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.99}]
"#;
    let spec = ok(text);
    assert!(matches!(
        &spec.slos[0].queries,
        Some(Queries::Events { total_query, .. }) if total_query == "sum(rate(http_requests_total[{{.window}}]))"
    ));
    let untyped = refused(&text.replace("    type: Prometheus\n", ""));
    assert!(untyped.message.contains("names no DataSource"), "{untyped}");
    let elsewhere = refused(&text.replace("type: Prometheus", "type: Datadog"));
    assert!(elsewhere.message.contains("Datadog"), "{elsewhere}");
    let unknown = refused(&text.replace(
        "metricSourceRef: thanos, spec: {query: 'http_requests_total'}",
        "metricSourceRef: nowhere, spec: {query: 'http_requests_total'}",
    ));
    assert!(
        unknown.message.contains("\"nowhere\" names no DataSource"),
        "{unknown}"
    );
}

#[test]
fn openslo_objectives_are_one_slo_each_and_counter_may_be_left_out() {
    // As OpenSLO's own examples write them: two objectives, no `counter`, no alert policies.
    let text = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: web}\nspec:\n  service: web\n  indicator:\n    metadata: {name: ok}\n    spec:\n      ratioMetric:\n        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(ok_total[{{.window}}]))'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(all_total[{{.window}}]))'}}}\n  timeWindow: [{duration: 30d, isRolling: true}]\n  budgetingMethod: Occurrences\n  objectives:\n    - {displayName: Internal, target: 0.995}\n    - {displayName: SLA, target: 0.99}\n  alertPolicies:\n";
    let spec = ok(text);
    let names: Vec<&str> = spec.slos.iter().map(|s| s.definition.name()).collect();
    assert_eq!(names, ["web-0", "web-1"]);
    let objectives: Vec<f64> = spec
        .slos
        .iter()
        .map(|s| s.definition.objective().ratio())
        .collect();
    assert_eq!(objectives, [0.995, 0.99]);
    assert!(spec.slos[1].notes[0].starts_with("spec.objectives[1]: one of 2 objectives"));
}

#[test]
fn a_note_names_the_line_of_its_field_in_its_document() {
    let text = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: a, namespace: x}\nspec:\n  target: '99'\n  window: 4w\n  alerting: {absent: false}\n  indicator:\n    ratio:\n      errors: {metric: 'e{code=\"500\"}'}\n      total: {metric: e}\n---\napiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: b, namespace: x}\nspec:\n  target: '99'\n  window: 4w\n  alerting: {absent: false}\n  indicator:\n    ratio:\n      errors: {metric: 'e{code=\"500\"}'}\n      total: {metric: e}\n      grouping: [route]\n";
    let spec = ok(text);
    let b = &spec.slos[1];
    assert_eq!(b.document, Some(2));
    let field = b.notes[0].split_once(": ").expect("a field first").0;
    assert_eq!(field, "spec.indicator.ratio.grouping");
    assert_eq!(line_of_field(text, b.document, field), Some(24));
    assert_eq!(text.lines().nth(23), Some("      grouping: [route]"));
}
