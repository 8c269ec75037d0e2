//! Imported PromQL queries, checked before any rule is written: the `{{.window}}` placeholder
//! (the only one there is, written as Sloth writes it), and the query itself for every window,
//! parsed by a maintained PromQL parser ([`promql_parser`]), so a query Prometheus would refuse
//! is refused here, with the field and the parser's words.
//!
//! ```
//! use sloguard_spec::query::check;
//!
//! assert!(check("sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))").is_ok());
//! let err = check("sum(rate(http_requests_total[{{.Window}}]))").unwrap_err();
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

/// Checks a (normalized) query: it has the window placeholder and no other, and it parses as
/// PromQL with every window. The error is a sentence for the user.
pub fn check(query: &str) -> Result<(), String> {
    let query = normalize(query);
    let mut rest: &str = &query;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..]
            .find("}}")
            .map_or(rest.len(), |e| start + e + 2);
        let placeholder = &rest[start..end];
        if placeholder != WINDOW {
            return Err(format!(
                "unknown placeholder {placeholder}: queries take {WINDOW} (lowercase), where the window goes"
            ));
        }
        rest = &rest[end..];
    }
    if !query.contains(WINDOW) {
        return Err(format!(
            "the query has no {WINDOW}: it would give the same value for every window, so burn rates over 5m and 3d could not differ"
        ));
    }
    for window in PROBE_WINDOWS {
        promql_parser::parser::parse(&with_window(&query, window))
            .map_err(|e| format!("not valid PromQL: {}", e.trim()))?;
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

/// A query of the spec, normalized and checked; a refusal names `field`.
pub(crate) fn checked(query: String, field: &str) -> Result<String, crate::SpecError> {
    check(&query).map_err(|why| crate::SpecError::new(field, why))?;
    Ok(normalize(&query).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
