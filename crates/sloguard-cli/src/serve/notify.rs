//! `--notify FILE`: where `serve` sends the fleet's alert transitions, one notification per
//! transition to each sink (the library's own sinks, queued and retried).
//!
//! Secrets never sit in the file: a Slack webhook URL and a PagerDuty routing key are read from
//! an environment variable (`{env: NAME}`) or a file (`{file: PATH}`, trailing newline
//! dropped), and so is any webhook URL with a query or credentials in it. A secret written
//! inline is refused, and no error or log line ever repeats a secret's value (they name the
//! variable or the file).
//!
//! ```
//! use sloguard_cli::serve::notify::Notify;
//!
//! let file = "sinks:\n  - kind: alertmanager\n    url: http://127.0.0.1:9093\n  - kind: slack\n    url: https://hooks.slack.com/services/T0/B0/T0K3N\n";
//! let error = Notify::from_yaml(file).unwrap_err().to_string();
//! assert!(error.contains("sinks[1].url") && !error.contains("T0K3N"), "{error}");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sloguard::alerting::{self, Alertmanager, Queued, Webhook, DEFAULT_CAPACITY};
use sloguard::client::HttpClient;

/// The notify file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// A PEM file of CA certificates trusted besides the public roots, for sinks behind a
    /// private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The sinks.
    pub sinks: Vec<SinkSpec>,
}

/// A value written in the file, or read from the environment or a file.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Written inline.
    Inline(String),
    /// Read from this environment variable.
    Env {
        /// The variable.
        env: String,
    },
    /// Read from this file.
    File {
        /// The file.
        file: PathBuf,
    },
}

/// One sink.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum SinkSpec {
    /// sloguard's JSON, POSTed to a URL.
    Webhook {
        /// Where.
        url: Value,
    },
    /// A Slack-compatible incoming webhook (a secret).
    Slack {
        /// The webhook URL.
        url: Value,
    },
    /// PagerDuty Events v2.
    Pagerduty {
        /// The integration's routing key (a secret).
        routing_key: Value,
        /// Another Events API endpoint than PagerDuty's own.
        #[serde(default)]
        url: Option<String>,
    },
    /// An Alertmanager: two `serve` behind one spec send identical alerts, which it
    /// deduplicates.
    Alertmanager {
        /// Its base URL, `http://host:9093`.
        url: Value,
        /// Labels added to every alert.
        #[serde(default)]
        labels: BTreeMap<String, String>,
    },
    /// A `tracing` log line per transition.
    Log {},
}

/// Why the notify file cannot be used. Messages name fields, variables and files, never a
/// secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyError(pub String);

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotifyError {}

/// The sinks built from a notify file, with how each is named in logs.
pub struct Sinks {
    /// The queued sinks, to add to the registry.
    pub sinks: Vec<Queued>,
    /// Each sink as logs name it: its kind and where its secret comes from.
    pub names: Vec<String>,
}

impl Notify {
    /// Reads a notify file.
    pub fn from_path(path: &Path) -> Result<Notify, NotifyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NotifyError(format!("{}: {e}", path.display())))?;
        Notify::from_yaml(&text).map_err(|e| NotifyError(format!("{}: {e}", path.display())))
    }

    /// Reads a notify file's text and checks that no secret is written inline.
    pub fn from_yaml(text: &str) -> Result<Notify, NotifyError> {
        let notify: Notify =
            serde_yaml_ng::from_str(text).map_err(|e| NotifyError(e.to_string()))?;
        for (i, sink) in notify.sinks.iter().enumerate() {
            let inline_secret = match sink {
                SinkSpec::Slack {
                    url: Value::Inline(_),
                } => Some(("url", "a Slack webhook URL is a secret")),
                SinkSpec::Pagerduty {
                    routing_key: Value::Inline(_),
                    ..
                } => Some(("routing_key", "a PagerDuty routing key is a secret")),
                SinkSpec::Webhook {
                    url: Value::Inline(url),
                }
                | SinkSpec::Alertmanager {
                    url: Value::Inline(url),
                    ..
                } if url.contains(['?', '@']) => Some((
                    "url",
                    "a URL with a query or credentials in it holds a secret",
                )),
                _ => None,
            };
            if let Some((field, why)) = inline_secret {
                return Err(NotifyError(format!(
                    "sinks[{i}].{field}: {why}; read it from the environment ({{env: NAME}}) or a file ({{file: PATH}}), never write it inline"
                )));
            }
        }
        Ok(notify)
    }

    /// The sinks, their secrets read now.
    pub fn sinks(&self) -> Result<Sinks, NotifyError> {
        let client = match &self.ca_file {
            Some(path) => {
                HttpClient::with_ca_file(path).map_err(|e| NotifyError(format!("ca_file: {e}")))?
            }
            None => HttpClient::shared(),
        };
        let mut out = Sinks {
            sinks: Vec::new(),
            names: Vec::new(),
        };
        for (i, spec) in self.sinks.iter().enumerate() {
            let at = |field: &str| format!("sinks[{i}].{field}");
            let refused =
                |field: &str, e: &dyn std::fmt::Display| NotifyError(format!("{}: {e}", at(field)));
            let (sink, name) = match spec {
                SinkSpec::Webhook { url } => {
                    let (value, from) = url.read(&at("url"))?;
                    let hook = Webhook::new(&value).map_err(|e| refused("url", &e))?;
                    (
                        Queued::new(hook.client(client.clone()), DEFAULT_CAPACITY),
                        format!("webhook ({from})"),
                    )
                }
                SinkSpec::Slack { url } => {
                    let (value, from) = url.read(&at("url"))?;
                    let hook = Webhook::slack(&value).map_err(|e| refused("url", &e))?;
                    (
                        Queued::new(hook.client(client.clone()), DEFAULT_CAPACITY),
                        format!("slack ({from})"),
                    )
                }
                SinkSpec::Pagerduty { routing_key, url } => {
                    let (key, from) = routing_key.read(&at("routing_key"))?;
                    let mut hook =
                        Webhook::pagerduty(&key).map_err(|e| refused("routing_key", &e))?;
                    if let Some(url) = url {
                        hook = hook.url(url).map_err(|e| refused("url", &e))?;
                    }
                    (
                        Queued::new(hook.client(client.clone()), DEFAULT_CAPACITY),
                        format!("pagerduty ({from})"),
                    )
                }
                SinkSpec::Alertmanager { url, labels } => {
                    let (value, from) = url.read(&at("url"))?;
                    let mut am = Alertmanager::new(&value).map_err(|e| refused("url", &e))?;
                    for (k, v) in labels {
                        am = am.label(k, v);
                    }
                    (
                        Queued::new(am.client(client.clone()), DEFAULT_CAPACITY),
                        format!("alertmanager ({from})"),
                    )
                }
                SinkSpec::Log {} => (alerting::tracing(), "log".to_owned()),
            };
            out.sinks.push(sink);
            out.names.push(name);
        }
        Ok(out)
    }
}

impl Value {
    /// The value, and where it came from in words that never repeat it.
    fn read(&self, field: &str) -> Result<(String, String), NotifyError> {
        match self {
            Value::Inline(v) => Ok((v.clone(), "inline".to_owned())),
            Value::Env { env } => match std::env::var(env) {
                Ok(v) if !v.trim().is_empty() => Ok((v.trim().to_owned(), format!("${env}"))),
                _ => Err(NotifyError(format!(
                    "{field}: the environment variable {env} is not set (or empty)"
                ))),
            },
            Value::File { file } => match std::fs::read_to_string(file) {
                Ok(v) if !v.trim().is_empty() => {
                    Ok((v.trim().to_owned(), format!("file {}", file.display())))
                }
                Ok(_) => Err(NotifyError(format!(
                    "{field}: the file {} is empty",
                    file.display()
                ))),
                Err(e) => Err(NotifyError(format!(
                    "{field}: cannot read {}: {}",
                    file.display(),
                    e.kind()
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_the_environment_or_files_and_are_never_repeated() {
        let dir = std::env::temp_dir().join(format!("sloguard-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let key = dir.join("pagerduty");
        std::fs::write(&key, "R0UTINGKEY-secret\n").expect("written");
        let text = format!(
            "sinks:\n  - kind: pagerduty\n    routing_key: {{file: {}}}\n    url: http://127.0.0.1:9/v2/enqueue\n  - kind: slack\n    url: {{env: SLOGUARD_TEST_UNSET_SLACK}}\n",
            key.display()
        );
        let notify = Notify::from_yaml(&text).expect("valid");
        let error = notify
            .sinks()
            .err()
            .expect("the variable is unset")
            .to_string();
        assert!(
            error.contains("sinks[1].url") && error.contains("SLOGUARD_TEST_UNSET_SLACK"),
            "{error}"
        );
        let only_pd = Notify::from_yaml(&text.replace(
            "  - kind: slack\n    url: {env: SLOGUARD_TEST_UNSET_SLACK}\n",
            "",
        ))
        .expect("valid");
        let sinks = only_pd.sinks().expect("the key is read");
        assert_eq!(sinks.names, [format!("pagerduty (file {})", key.display())]);
        assert!(!format!("{:?}", sinks.names).contains("secret"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn inline_secrets_and_unknown_fields_are_refused() {
        for (text, field) in [
            (
                "sinks:\n  - kind: pagerduty\n    routing_key: abc\n",
                "routing_key",
            ),
            (
                "sinks:\n  - kind: webhook\n    url: https://h.example/x?token=abc\n",
                "url",
            ),
            (
                "sinks:\n  - kind: alertmanager\n    url: http://u:pw@h.example:9093\n",
                "url",
            ),
        ] {
            let error = Notify::from_yaml(text).expect_err("refused").to_string();
            assert!(
                error.contains(field) && !error.contains("abc") && !error.contains("pw"),
                "{error}"
            );
        }
        assert!(
            Notify::from_yaml("sinks:\n  - kind: webhook\n    url: http://h\n    urll: x\n")
                .is_err()
        );
        assert!(Notify::from_yaml("sinks:\n  - kind: email\n").is_err());
        let ok = Notify::from_yaml("sinks:\n  - kind: alertmanager\n    url: http://127.0.0.1:9093\n    labels: {team: payments}\n  - kind: log\n").expect("valid");
        assert_eq!(
            ok.sinks().expect("built").names,
            ["alertmanager (inline)", "log"]
        );
    }
}
