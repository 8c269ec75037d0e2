//! Imported PromQL queries, checked before any rule is written: the `{{.window}}` placeholder
//! (the only one there is, written as Sloth writes it), and the query itself for every window,
//! parsed by a maintained PromQL parser ([`promql_parser`]), so a query Prometheus would refuse
//! is refused here, with the field and the parser's words.
//!
//! ```
//! use sloguard_spec::query::check;
//!
//! assert!(check("sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))").is_ok());
//! let err = check("sum(rate(http_requests_total[{{.Window}}]))").unwrap_err().to_string();
//! assert!(err.contains("{{.window}}"), "{err}");
//! assert!(check("sum(rate(http_requests_total[5m]))").is_err(), "no window");
//! assert!(check("sum(rate(x{bad-label=\"1\"}[{{.window}}]))").is_err());
//! ```

use std::borrow::Cow;

/// The placeholder a query writes where the window goes.
pub const WINDOW: &str = "{{.window}}";

/// The windows every query is parsed with: the shortest and the longest a rule file uses.
const PROBE_WINDOWS: [&str; 2] = ["5m", "30d"];

/// `query` with its window placeholders (Go-template spacing allowed, `{{ .window }}`)
/// written as [`WINDOW`].
pub fn normalize(query: &str) -> Cow<'_, str> {
    if !query.contains("{{") {
        return Cow::Borrowed(query);
    }
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return Cow::Owned(out);
        };
        let inner = rest[start + 2..start + end].trim();
        if inner == ".window" {
            out.push_str(WINDOW);
        } else {
            out.push_str(&rest[start..start + end + 2]);
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `query` with the window written in.
pub fn with_window(query: &str, window: &str) -> String {
    query.replace(WINDOW, window)
}

/// Why an imported query is refused. Its `Display` is a sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// A `{{...}}` placeholder other than [`WINDOW`].
    UnknownPlaceholder {
        /// The placeholder as written.
        placeholder: String,
    },
    /// No [`WINDOW`]: every window would read the same value.
    NoWindow,
    /// Prometheus would refuse it.
    NotPromql {
        /// The parser's words.
        reason: String,
    },
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::UnknownPlaceholder { placeholder } => write!(
                f,
                "unknown placeholder {placeholder}: queries take {WINDOW} (lowercase), where the window goes"
            ),
            QueryError::NoWindow => write!(
                f,
                "the query has no {WINDOW}: it would give the same value for every window, so burn rates over 5m and 3d could not differ"
            ),
            QueryError::NotPromql { reason } => write!(f, "not valid PromQL: {reason}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// Checks a (normalized) query: it has the window placeholder and no other, and it parses as
/// PromQL with every window.
pub fn check(query: &str) -> Result<(), QueryError> {
    let query = normalize(query);
    let mut rest: &str = &query;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..]
            .find("}}")
            .map_or(rest.len(), |e| start + e + 2);
        let placeholder = &rest[start..end];
        if placeholder != WINDOW {
            return Err(QueryError::UnknownPlaceholder {
                placeholder: placeholder.to_owned(),
            });
        }
        rest = &rest[end..];
    }
    if !query.contains(WINDOW) {
        return Err(QueryError::NoWindow);
    }
    for window in PROBE_WINDOWS {
        promql_parser::parser::parse(&with_window(&query, window)).map_err(|e| {
            QueryError::NotPromql {
                reason: e.trim().to_owned(),
            }
        })?;
    }
    Ok(())
}

/// Whether `query` is a bare series selector (a metric name with label matchers), which a
/// counter source or a Pyrra metric may be and which sloguard then rates over each window.
pub fn is_selector(query: &str) -> bool {
    matches!(
        promql_parser::parser::parse(query),
        Ok(promql_parser::parser::Expr::VectorSelector(_))
    )
}

/// The series of a classic histogram a latency threshold reads: from a selector of the
/// histogram (its base name, or its `_bucket` or `_count` series), the selector of its bucket
/// at `le` and of its count. `None` when `query` is no such selector.
///
/// An integral bound matches both ways exporters write it (`le="1"` and `le="1.0"`).
pub fn histogram_at(query: &str, le: f64) -> Option<(String, String)> {
    use promql_parser::parser::{parse, Expr};
    let Ok(Expr::VectorSelector(selector)) = parse(query.trim()) else {
        return None;
    };
    if !selector.matchers.or_matchers.is_empty() || selector.offset.is_some() {
        return None;
    }
    let name = selector.name?;
    let base = ["_bucket", "_count", "_sum"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(&name);
    let matchers: Vec<String> = selector
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != "le" && m.name != "__name__")
        .map(ToString::to_string)
        .collect();
    let bound = if le.fract() == 0.0 && le.abs() < 1e15 {
        format!("le=~\"{le}|{le}.0\"")
    } else {
        format!("le=\"{le}\"")
    };
    let with = |extra: Option<&str>| {
        let mut all = matchers.clone();
        all.extend(extra.map(str::to_owned));
        all.join(",")
    };
    Some((
        format!("{base}_bucket{{{}}}", with(Some(&bound))),
        format!("{base}_count{{{}}}", with(None)),
    ))
}

/// The jobs a query names with `job="…"` in its selectors: the scrape targets whose `up`
/// tells whether the query sees all it should. Empty when it names none (or does not parse).
pub fn jobs(query: &str) -> Vec<String> {
    use promql_parser::label::MatchOp;
    use promql_parser::parser::{parse, Expr};
    use promql_parser::util::{walk_expr, ExprVisitor};
    struct Jobs(Vec<String>);
    impl ExprVisitor for Jobs {
        type Error = std::convert::Infallible;
        fn pre_visit(&mut self, expr: &Expr) -> Result<bool, Self::Error> {
            let selector = match expr {
                Expr::VectorSelector(v) => v,
                Expr::MatrixSelector(m) => &m.vs,
                _ => return Ok(true),
            };
            for m in &selector.matchers.matchers {
                if m.name == "job" && m.op == MatchOp::Equal && !self.0.contains(&m.value) {
                    self.0.push(m.value.clone());
                }
            }
            Ok(true)
        }
    }
    let mut jobs = Jobs(Vec::new());
    if let Ok(expr) = parse(&with_window(query, PROBE_WINDOWS[0])) {
        let _ = walk_expr(&mut jobs, &expr);
    }
    jobs.0
}

/// A query of the spec, normalized and checked; a refusal names `field`.
pub(crate) fn checked(query: String, field: &str) -> Result<String, crate::SpecError> {
    check(&query).map_err(|why| crate::SpecError::new(field, why.to_string()))?;
    Ok(normalize(&query).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_selector_gives_its_bucket_and_count() {
        let (bucket, count) = histogram_at(
            "http_request_duration_seconds_bucket{job=\"api\",le=\"9\"}",
            0.5,
        )
        .expect("a histogram");
        assert_eq!(
            bucket,
            "http_request_duration_seconds_bucket{job=\"api\",le=\"0.5\"}"
        );
        assert_eq!(count, "http_request_duration_seconds_count{job=\"api\"}");
        let (bucket, _) = histogram_at("rpc_seconds", 1.0).expect("a histogram");
        assert_eq!(bucket, "rpc_seconds_bucket{le=~\"1|1.0\"}");
        assert!(histogram_at("histogram_quantile(0.9, rate(x_bucket[5m]))", 0.5).is_none());
    }

    #[test]
    fn the_jobs_a_query_names() {
        let q = "sum(rate(http_requests_total{job=\"api\",code=~\"5..\"}[{{.window}}])) / sum(rate(x{job=\"web\"}[{{.window}}])) + sum(rate(y{job=~\"z.*\"}[{{.window}}]))";
        assert_eq!(jobs(q), ["api", "web"]);
        assert!(jobs("sum(rate(x[{{.window}}]))").is_empty());
    }

    #[test]
    fn placeholders_in_go_template_spacing_are_the_window() {
        assert_eq!(normalize("rate(x[{{ .window }}])"), "rate(x[{{.window}}])");
        assert!(check("rate(x[{{ .window }}])").is_ok());
    }

    #[test]
    fn what_prometheus_would_refuse_is_refused() {
        for bad in [
            "sum(rate(x[{{.window}}])",
            "sum(rate(x{bad-label=\"a\"}[{{.window}}]))",
            "sum(rate(x[{{.window}}])) /",
            "rate(x[{{.Window}}])",
            "rate(x[5m])",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad:?} accepted");
        }
    }
}
