//! The Prometheus HTTP query API (`/api/v1/query`, `/api/v1/query_range`), as Prometheus,
//! VictoriaMetrics, Thanos, Grafana Mimir and Cortex all answer it.
//!
//! Queries are POSTed as forms, so a batch of a thousand SLOs is never too long for a URL.
//! Answers are bounded ([`MAX_ANSWER_BYTES`]) and every failure is a [`SourceError`] that names
//! the engine by scheme, host and port only (a URL may carry credentials).
//!
//! ```
//! use sloguard_cli::serve::source::Source;
//! use std::time::Duration;
//!
//! let source = Source::new("http://127.0.0.1:9", sloguard::client::HttpClient::shared(), Duration::from_secs(2)).unwrap();
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let error = runtime.block_on(source.instant("up", 1_800_000_000)).unwrap_err();
//! assert!(error.to_string().contains("cannot connect"), "{error}");
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use sloguard::client::{HttpClient, RequestError};

/// The largest answer read from the engine.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024 * 1024;

/// One series of an answer: its labels and its points (Unix seconds, value).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Its labels, `__name__` included when the engine gives it.
    pub labels: BTreeMap<String, String>,
    /// Its points, oldest first.
    pub points: Vec<(i64, f64)>,
}

/// Why the engine gave no answer to use.
#[derive(Debug)]
#[non_exhaustive]
pub enum SourceError {
    /// The URL given with `--source` cannot be used.
    Url(String),
    /// No answer (see [`RequestError`]).
    Request(RequestError),
    /// An answer that is an error: the engine's status, its error type and message.
    Refused {
        /// The engine, `scheme://host:port`.
        engine: String,
        /// The HTTP status.
        status: u16,
        /// The engine's own words, when it gave them.
        error: String,
    },
    /// An answer that is not the query API's JSON.
    NotTheApi {
        /// The engine, `scheme://host:port`.
        engine: String,
        /// serde's reason.
        reason: String,
    },
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Url(reason) => write!(f, "the source URL cannot be used: {reason}"),
            SourceError::Request(e) => e.fmt(f),
            SourceError::Refused {
                engine,
                status,
                error,
            } => write!(
                f,
                "{engine}: the query was refused (HTTP {status}): {error}"
            ),
            SourceError::NotTheApi { engine, reason } => write!(
                f,
                "{engine}: the answer is not the Prometheus query API's ({reason})"
            ),
        }
    }
}

impl std::error::Error for SourceError {}

/// A Prometheus-compatible query API.
#[derive(Clone, Debug)]
pub struct Source {
    base: String,
    shown: String,
    client: HttpClient,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Answer<'a> {
    status: &'a str,
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    result: Vec<RawSeries<'a>>,
}

#[derive(Deserialize)]
struct RawSeries<'a> {
    metric: BTreeMap<String, String>,
    #[serde(borrow, default)]
    values: Vec<(f64, &'a str)>,
    #[serde(borrow, default)]
    value: Option<(f64, &'a str)>,
}

impl Source {
    /// The engine at `base` (`http://prometheus:9090`; a path prefix such as Mimir's
    /// `/prometheus` is kept), asked through `client` within `timeout` per query.
    pub fn new(base: &str, client: HttpClient, timeout: Duration) -> Result<Source, SourceError> {
        let base = base.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| {
                SourceError::Url(format!("{base:?} is not an http:// or https:// URL"))
            })?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit('@').next().unwrap_or_default();
        if host.is_empty() {
            return Err(SourceError::Url(format!("{base:?} names no host")));
        }
        let scheme = if base.starts_with("https") {
            "https"
        } else {
            "http"
        };
        Ok(Source {
            base: base.to_owned(),
            shown: format!("{scheme}://{host}"),
            client,
            timeout,
        })
    }

    /// The engine as messages name it: `scheme://host:port`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `expr` at each of `start`, `start + step`, …, `end` (Unix seconds).
    pub async fn range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: Duration,
    ) -> Result<Vec<Series>, SourceError> {
        let (start, end, step) = (
            start.to_string(),
            end.to_string(),
            step.as_secs().to_string(),
        );
        self.ask(
            "/api/v1/query_range",
            &[
                ("query", expr),
                ("start", &start),
                ("end", &end),
                ("step", &step),
            ],
        )
        .await
    }

    /// `expr` at `at` (Unix seconds).
    pub async fn instant(&self, expr: &str, at: i64) -> Result<Vec<Series>, SourceError> {
        let at = at.to_string();
        self.ask("/api/v1/query", &[("query", expr), ("time", &at)])
            .await
    }

    async fn ask(&self, path: &str, form: &[(&str, &str)]) -> Result<Vec<Series>, SourceError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish()
            .into_bytes();
        let response = self
            .client
            .post_async(
                &format!("{}{path}", self.base),
                "application/x-www-form-urlencoded",
                body,
                self.timeout,
                MAX_ANSWER_BYTES,
            )
            .await
            .map_err(SourceError::Request)?;
        read_answer(&self.shown, response.status.as_u16(), &response.body)
    }
}

/// The series of a query API answer (`status` its HTTP status, `body` its bytes), or why it
/// holds none to use; `engine` names the engine in errors. Never panics, whatever the bytes.
pub fn read_answer(engine: &str, status: u16, body: &[u8]) -> Result<Vec<Series>, SourceError> {
    let success = (200..300).contains(&status);
    match serde_json::from_slice::<Answer<'_>>(body) {
        Ok(answer) if answer.status == "success" && success => Ok(answer
            .data
            .map(|d| d.result.into_iter().map(series).collect())
            .unwrap_or_default()),
        Ok(answer) => Err(SourceError::Refused {
            engine: engine.to_owned(),
            status,
            error: format!(
                "{}: {}",
                answer.error_type.unwrap_or_else(|| "error".to_owned()),
                answer.error.unwrap_or_default()
            ),
        }),
        Err(_) if !success => Err(SourceError::Refused {
            engine: engine.to_owned(),
            status,
            error: String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_owned(),
        }),
        Err(e) => Err(SourceError::NotTheApi {
            engine: engine.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// A series of the answer with its values read as numbers (`NaN` and `±Inf` included) and
/// its timestamps as whole seconds (queries ask for whole seconds).
fn series(raw: RawSeries<'_>) -> Series {
    let point = |(t, v): (f64, &str)| (t.round() as i64, v.parse::<f64>().unwrap_or(f64::NAN));
    Series {
        labels: raw.metric,
        points: raw.values.into_iter().chain(raw.value).map(point).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_is_shown_without_credentials_or_path() {
        let source = Source::new(
            "https://user:secret@mimir.example:443/prometheus/",
            HttpClient::shared(),
            Duration::from_secs(1),
        )
        .expect("a URL");
        assert_eq!(source.shown(), "https://mimir.example:443");
        assert!(Source::new("mimir:9009", HttpClient::shared(), Duration::from_secs(1)).is_err());
    }

    #[test]
    fn refusals_say_the_engines_own_words() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        let error = read_answer("http://p:9090", 400, body)
            .expect_err("refused")
            .to_string();
        assert_eq!(
            error,
            "http://p:9090: the query was refused (HTTP 400): bad_data: parse error at char 5"
        );
        let error = read_answer("http://p:9090", 502, b"<html>bad gateway</html>")
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("HTTP 502") && error.contains("bad gateway"),
            "{error}"
        );
        let error = read_answer("http://p:9090", 200, b"{}")
            .expect_err("not the API")
            .to_string();
        assert!(error.contains("not the Prometheus query API"), "{error}");
    }

    #[test]
    fn answers_are_read_with_their_special_values() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"slo":"a"},"values":[[1800000000,"3"],[1800000030,"NaN"],[1800000060.0,"+Inf"]]}]}}"#;
        let answer: Answer<'_> = serde_json::from_str(body).expect("an answer");
        let series: Vec<Series> = answer
            .data
            .expect("data")
            .result
            .into_iter()
            .map(series)
            .collect();
        assert_eq!(series[0].labels["slo"], "a");
        assert_eq!(series[0].points[0], (1_800_000_000, 3.0));
        assert!(series[0].points[1].1.is_nan());
        assert_eq!(series[0].points[2], (1_800_000_060, f64::INFINITY));
    }
}
