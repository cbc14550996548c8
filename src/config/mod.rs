//! Settings from the environment, parsed once at start; a bad one stops the start with its name.

use std::net::SocketAddr;

use crate::domain::AccountId;

mod local;
mod observe;

pub use local::LocalLimits;
pub use observe::{Dimension, LogFormat, LogSettings, MetricsConfig};

/// The two DynamoDB table names (`EXECUTIONS_TABLE`, `IDEMPOTENCY_TABLE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub executions: String,
    pub idempotency: String,
}

/// Where the process takes requests from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// `AWS_LAMBDA_RUNTIME_API` is set: Lambda, `sam local` or `cargo lambda watch`.
    Lambda,
    /// A plain HTTP server on `LISTEN_ADDR`.
    Local,
}

/// Which store serves the requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    DynamoDb(TableNames),
    /// In-process, lost on exit: the default locally, only by name (`STORE=embedded`) under Lambda.
    Embedded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: RunMode,
    pub store: StoreChoice,
    pub default_account: Option<AccountId>,
    pub idempotency_ttl_secs: i64,
    pub listen_addr: SocketAddr,
    /// Limits of the local server (not used under Lambda).
    pub local_limits: LocalLimits,
    /// CloudWatch EMF metrics on stdout, when on.
    pub metrics: Option<MetricsConfig>,
    pub log: LogSettings,
}

pub const DEFAULT_METRICS_NAMESPACE: &str = "ImageBuilder/CancelLifecycleExecution";

/// The account of unauthenticated local callers when nothing else is configured.
pub const LOCAL_DEFAULT_ACCOUNT: &str = "123456789012";
pub const DEFAULT_TTL_SECS: i64 = 86_400;
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:3000";

/// A setting that is missing or malformed, named so the operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

pub(crate) fn problem(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Parses the settings from any variable source; empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mode = if var("AWS_LAMBDA_RUNTIME_API").is_some() {
            RunMode::Lambda
        } else {
            RunMode::Local
        };
        let tables = || -> Result<TableNames, ConfigError> {
            let required = |name: &'static str| {
                var(name).ok_or_else(|| {
                    problem(
                        name,
                        "is not set: name the DynamoDB table (or set STORE=embedded)",
                    )
                })
            };
            Ok(TableNames {
                executions: required("EXECUTIONS_TABLE")?,
                idempotency: required("IDEMPOTENCY_TABLE")?,
            })
        };
        let store = match var("STORE").as_deref() {
            Some("embedded") => StoreChoice::Embedded,
            Some("dynamodb") => StoreChoice::DynamoDb(tables()?),
            Some(other) => {
                return Err(problem(
                    "STORE",
                    format!("is {other:?}: use \"dynamodb\" or \"embedded\""),
                ))
            }
            None if mode == RunMode::Local && var("EXECUTIONS_TABLE").is_none() => {
                StoreChoice::Embedded
            }
            None => StoreChoice::DynamoDb(tables()?),
        };
        let default_account = match var("DEFAULT_ACCOUNT_ID") {
            // Under Lambda with DynamoDB, any event without an identity (an ALB, a function
            // URL without auth) would act as this account.
            Some(_) if mode == RunMode::Lambda && store != StoreChoice::Embedded => {
                return Err(problem(
                    "DEFAULT_ACCOUNT_ID",
                    "is set under Lambda with DynamoDB: unauthenticated events would act as \
                     that account. Unset it (it is for local development and STORE=embedded)",
                ))
            }
            Some(value) => Some(
                AccountId::try_from(value)
                    .map_err(|rule| problem("DEFAULT_ACCOUNT_ID", format!("{rule}")))?,
            ),
            None if mode == RunMode::Local && store == StoreChoice::Embedded => {
                AccountId::try_from(LOCAL_DEFAULT_ACCOUNT.to_owned()).ok()
            }
            None => None,
        };
        let idempotency_ttl_secs = match var("IDEMPOTENCY_TTL_SECONDS") {
            Some(value) => value
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|secs| *secs > 0)
                .ok_or_else(|| {
                    problem(
                        "IDEMPOTENCY_TTL_SECONDS",
                        "must be a positive whole number of seconds",
                    )
                })?,
            None => DEFAULT_TTL_SECS,
        };
        let listen_addr = var("LISTEN_ADDR")
            .unwrap_or_else(|| DEFAULT_LISTEN_ADDR.to_owned())
            .parse::<SocketAddr>()
            .map_err(|_| {
                problem(
                    "LISTEN_ADDR",
                    "must be an address and port, like 127.0.0.1:3000",
                )
            })?;
        let metrics_on = match var("METRICS").map(|v| v.to_ascii_lowercase()).as_deref() {
            None => mode == RunMode::Lambda,
            Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(_) => return Err(problem("METRICS", "must be on or off")),
        };
        let metrics = if metrics_on {
            Some(MetricsConfig {
                namespace: var("METRICS_NAMESPACE")
                    .unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned()),
                dimensions: match var("METRICS_DIMENSIONS") {
                    Some(names) => observe::dimensions(&names)?,
                    None => Dimension::DEFAULT.to_vec(),
                },
            })
        } else {
            None
        };
        let local_limits = local::limits(&var)?;
        let level = match (mode, var("AWS_LAMBDA_LOG_LEVEL")) {
            (RunMode::Lambda, Some(level)) if level.eq_ignore_ascii_case("fatal") => {
                "error".to_owned()
            }
            (RunMode::Lambda, Some(level)) => level.to_ascii_lowercase(),
            _ => var("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
        };
        let log = LogSettings {
            filter: level,
            format: match (mode, var("AWS_LAMBDA_LOG_FORMAT")) {
                (RunMode::Lambda, Some(format)) if format.eq_ignore_ascii_case("text") => {
                    LogFormat::Text
                }
                (RunMode::Lambda, _) => LogFormat::Json,
                (RunMode::Local, _) => LogFormat::Text,
            },
            function_version: var("AWS_LAMBDA_FUNCTION_VERSION"),
        };
        Ok(Self {
            mode,
            store,
            default_account,
            idempotency_ttl_secs,
            listen_addr,
            local_limits,
            metrics,
            log,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn tables() -> StoreChoice {
        StoreChoice::DynamoDb(TableNames {
            executions: "ex".into(),
            idempotency: "tok".into(),
        })
    }

    #[test]
    fn locally_with_nothing_set_the_embedded_store_serves_the_demo_account() {
        let config = config(&[]).unwrap();
        assert_eq!(config.mode, RunMode::Local);
        assert_eq!(config.store, StoreChoice::Embedded);
        assert_eq!(
            config.default_account.unwrap().as_str(),
            LOCAL_DEFAULT_ACCOUNT
        );
        assert_eq!(config.idempotency_ttl_secs, 86_400);
        assert_eq!(config.listen_addr.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn locally_with_tables_set_dynamodb_serves_and_no_account_is_assumed() {
        let config = config(&[("EXECUTIONS_TABLE", "ex"), ("IDEMPOTENCY_TABLE", "tok")]).unwrap();
        assert_eq!(config.store, tables());
        assert_eq!(config.default_account, None);
    }

    #[test]
    fn under_lambda_missing_tables_fail_the_start_with_the_variable_named() {
        let error = config(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("EXECUTIONS_TABLE", "ex"),
        ])
        .unwrap_err();
        assert_eq!(error.name, "IDEMPOTENCY_TABLE");
        let error = config(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]).unwrap_err();
        assert_eq!(error.name, "EXECUTIONS_TABLE");
    }

    #[test]
    fn under_lambda_the_embedded_store_runs_only_when_named() {
        let config = config(&[("AWS_LAMBDA_RUNTIME_API", "x"), ("STORE", "embedded")]).unwrap();
        assert_eq!(
            (config.mode, config.store),
            (RunMode::Lambda, StoreChoice::Embedded)
        );
        assert_eq!(config.default_account, None);
    }

    #[test]
    fn metrics_are_on_under_lambda_and_off_locally_unless_asked() {
        assert_eq!(config(&[]).unwrap().metrics, None);
        let lambda = config(&[("AWS_LAMBDA_RUNTIME_API", "x"), ("STORE", "embedded")]).unwrap();
        assert_eq!(
            lambda.metrics,
            Some(MetricsConfig {
                namespace: DEFAULT_METRICS_NAMESPACE.to_owned(),
                dimensions: vec![Dimension::Operation, Dimension::Outcome],
            })
        );
        let local = config(&[
            ("METRICS", "on"),
            ("METRICS_NAMESPACE", "Team/Cancel"),
            ("METRICS_DIMENSIONS", "Outcome"),
        ])
        .unwrap();
        assert_eq!(
            local.metrics,
            Some(MetricsConfig {
                namespace: "Team/Cancel".to_owned(),
                dimensions: vec![Dimension::Outcome],
            })
        );
    }

    #[test]
    fn malformed_settings_are_named() {
        for (name, value) in [
            ("DEFAULT_ACCOUNT_ID", "12345"),
            ("IDEMPOTENCY_TTL_SECONDS", "0"),
            ("IDEMPOTENCY_TTL_SECONDS", "soon"),
            ("LISTEN_ADDR", "localhost"),
            ("STORE", "memory"),
            ("METRICS", "maybe"),
            ("LOCAL_MAX_CONNECTIONS", "0"),
            ("LOCAL_HEADER_TIMEOUT_MS", "soon"),
        ] {
            assert_eq!(config(&[(name, value)]).unwrap_err().name, name);
        }
    }

    #[test]
    fn a_dimension_named_twice_or_unknown_is_refused_at_start() {
        for value in ["Outcome,Outcome", "Operation, Operation", "Region"] {
            let error = config(&[("METRICS", "on"), ("METRICS_DIMENSIONS", value)]).unwrap_err();
            assert_eq!(error.name, "METRICS_DIMENSIONS", "{value}");
        }
    }

    #[test]
    fn a_default_account_under_lambda_with_dynamodb_is_refused_at_start() {
        let error = config(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("EXECUTIONS_TABLE", "ex"),
            ("IDEMPOTENCY_TABLE", "tok"),
            ("DEFAULT_ACCOUNT_ID", "123456789012"),
        ])
        .unwrap_err();
        assert_eq!(error.name, "DEFAULT_ACCOUNT_ID");
        assert!(error.problem.contains("Unset it"), "{error}");
        let watch = config(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("STORE", "embedded"),
            ("DEFAULT_ACCOUNT_ID", "123456789012"),
        ])
        .unwrap();
        assert!(watch.default_account.is_some());
    }

    #[test]
    fn log_settings_follow_lambdas_variables_under_lambda_and_rust_log_elsewhere() {
        let local = config(&[("RUST_LOG", "debug"), ("AWS_LAMBDA_LOG_LEVEL", "WARN")]).unwrap();
        assert_eq!(
            (local.log.filter.as_str(), local.log.format),
            ("debug", LogFormat::Text)
        );
        let lambda = config(&[
            ("AWS_LAMBDA_RUNTIME_API", "x"),
            ("STORE", "embedded"),
            ("AWS_LAMBDA_LOG_LEVEL", "FATAL"),
        ])
        .unwrap();
        assert_eq!(
            (lambda.log.filter.as_str(), lambda.log.format),
            ("error", LogFormat::Json)
        );
        let text = config(&[
            ("AWS_LAMBDA_RUNTIME_API", "x"),
            ("STORE", "embedded"),
            ("AWS_LAMBDA_LOG_FORMAT", "Text"),
        ])
        .unwrap();
        assert_eq!(text.log.format, LogFormat::Text);
    }

    #[test]
    fn local_limits_default_to_the_documented_values_and_can_be_shortened() {
        assert_eq!(config(&[]).unwrap().local_limits, LocalLimits::default());
        let short = config(&[
            ("LOCAL_HEADER_TIMEOUT_MS", "250"),
            ("LOCAL_MAX_CONNECTIONS", "4"),
        ])
        .unwrap()
        .local_limits;
        assert_eq!(short.header_timeout, Duration::from_millis(250));
        assert_eq!(short.max_connections, 4);
    }
}
