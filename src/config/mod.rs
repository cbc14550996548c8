//! Settings parsed once at start (`settings`, which `--help` prints), then checked against
//! each other (`Config::resolve`); a bad one stops the start with its name.

use std::net::SocketAddr;

use crate::domain::AccountId;

mod local_limits;
mod logs_and_metrics;
mod settings;

pub use local_limits::LocalLimits;
pub use logs_and_metrics::{Dimension, LogFormat, LogSettings, MetricsConfig};
pub use settings::{Cli, Command, Settings, StoreKind};

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
    /// Hosts the local server answers besides loopback and its listen host.
    pub local_allowed_hosts: Vec<String>,
    /// CloudWatch EMF metrics on stdout, when on.
    pub metrics: Option<MetricsConfig>,
    pub log: LogSettings,
    /// Whether a DynamoDB start checks both tables first (off only for the cold-start benchmark).
    pub startup_check: bool,
    /// The embedded store's executions, instead of the demo ones.
    pub embedded_executions_file: Option<std::path::PathBuf>,
    /// `AWS_ENDPOINT_URL_DYNAMODB`, to name the endpoint in the log.
    pub dynamodb_endpoint: Option<String>,
}

pub const DEFAULT_METRICS_NAMESPACE: &str = "ImageBuilder/CancelLifecycleExecution";

/// The account of unauthenticated local callers when nothing else is configured.
pub const LOCAL_DEFAULT_ACCOUNT: &str = "123456789012";
pub const DEFAULT_TTL_SECS: i64 = 86_400;
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:3000";

/// The longest `IDEMPOTENCY_TTL_SECONDS`: 366 days, so that `expiresAt` stays a plausible
/// instant in both stores.
pub const MAX_TTL_SECS: i64 = 31_622_400;

/// A setting that contradicts another or is malformed, named so the operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} {problem}")]
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
    /// The one place where settings meet: each rule between two of them is here.
    pub fn resolve(settings: Settings) -> Result<Self, ConfigError> {
        let mode = if settings.aws_lambda_runtime_api.is_some() {
            RunMode::Lambda
        } else {
            RunMode::Local
        };
        let store = store(&settings, mode)?;
        if settings.embedded_executions_file.is_some() && store != StoreChoice::Embedded {
            return Err(problem(
                "EMBEDDED_EXECUTIONS_FILE",
                "is set with DynamoDB tables, which it cannot fill: unset one of the two",
            ));
        }
        let default_account = default_account(&settings, mode, &store)?;
        // Checked whether or not metrics are on: a malformed setting stops the start.
        let dimensions = logs_and_metrics::dimensions(&settings.metrics_dimensions)?;
        let metrics = settings
            .metrics
            .unwrap_or(mode == RunMode::Lambda)
            .then(|| MetricsConfig {
                namespace: settings.metrics_namespace.clone(),
                dimensions,
            });
        Ok(Self {
            mode,
            store,
            default_account,
            idempotency_ttl_secs: settings.idempotency_ttl_seconds,
            listen_addr: settings.listen_addr,
            local_limits: LocalLimits::from(&settings),
            local_allowed_hosts: settings
                .local_allowed_hosts
                .iter()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .collect(),
            metrics,
            log: logs_and_metrics::log_settings(&settings, mode),
            startup_check: !settings.bench_skip_startup_check,
            embedded_executions_file: settings.embedded_executions_file.clone(),
            dynamodb_endpoint: settings.aws_endpoint_url_dynamodb.clone(),
        })
    }
}

fn store(settings: &Settings, mode: RunMode) -> Result<StoreChoice, ConfigError> {
    let executions = settings.executions_table.clone();
    let idempotency = settings.idempotency_table.clone();
    let tables = || -> Result<TableNames, ConfigError> {
        let required = |name: &'static str, value: Option<String>| {
            value.ok_or_else(|| {
                problem(
                    name,
                    "is not set: name the DynamoDB table (or set STORE=embedded)",
                )
            })
        };
        Ok(TableNames {
            executions: required("EXECUTIONS_TABLE", executions.clone())?,
            idempotency: required("IDEMPOTENCY_TABLE", idempotency.clone())?,
        })
    };
    match settings.store {
        Some(StoreKind::Embedded) => match (&executions, &idempotency) {
            (None, None) => Ok(StoreChoice::Embedded),
            (Some(_), _) => Err(problem(
                "EXECUTIONS_TABLE",
                "is set with STORE=embedded, which uses no table: unset one of the two",
            )),
            (None, Some(_)) => Err(problem(
                "IDEMPOTENCY_TABLE",
                "is set with STORE=embedded, which uses no table: unset one of the two",
            )),
        },
        None if mode == RunMode::Local && executions.is_none() => match idempotency {
            None => Ok(StoreChoice::Embedded),
            Some(_) => Err(problem(
                "EXECUTIONS_TABLE",
                "is not set while IDEMPOTENCY_TABLE is: name both DynamoDB tables, or neither \
                 for the embedded store",
            )),
        },
        _ => tables().map(StoreChoice::DynamoDb),
    }
}

fn default_account(
    settings: &Settings,
    mode: RunMode,
    store: &StoreChoice,
) -> Result<Option<AccountId>, ConfigError> {
    match settings.default_account_id.clone() {
        // Under Lambda with DynamoDB, any event without an identity (an ALB, a function
        // URL without auth) would act as this account.
        Some(_) if mode == RunMode::Lambda && *store != StoreChoice::Embedded => Err(problem(
            "DEFAULT_ACCOUNT_ID",
            "is set under Lambda with DynamoDB: unauthenticated events would act as \
             that account. Unset it (it is for local development and STORE=embedded)",
        )),
        Some(value) => AccountId::try_from(value)
            .map(Some)
            .map_err(|rule| problem("DEFAULT_ACCOUNT_ID", format!("{rule}"))),
        None if mode == RunMode::Local && *store == StoreChoice::Embedded => {
            Ok(AccountId::try_from(LOCAL_DEFAULT_ACCOUNT.to_owned()).ok())
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The settings as if each `(variable, value)` were in the environment (and nothing else):
    /// each becomes its `--long` option, a blank one is left out, as `Cli::from_process` does.
    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        use clap::CommandFactory;
        let mut argv = vec!["cancel-lifecycle-execution".to_owned()];
        for (name, value) in vars.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let long = Cli::command()
                .get_arguments()
                .find(|a| a.get_env().is_some_and(|env| env == *name))
                .and_then(|a| a.get_long().map(str::to_owned))
                .unwrap_or_else(|| panic!("{name} is no setting"));
            argv.push(format!("--{long}={value}"));
        }
        let cli = Cli::parse_without_env(argv).map_err(|e| e.to_string())?;
        Config::resolve(cli.settings).map_err(|e| e.to_string())
    }

    /// The variable an error names: clap's `<NAME>` for a malformed value, else the first word.
    fn named(error: &str) -> &str {
        match (error.find('<'), error.find('>')) {
            (Some(start), Some(end)) if start < end => &error[start + 1..end],
            _ => error.split_whitespace().next().unwrap_or_default(),
        }
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
        assert_eq!(named(&error), "IDEMPOTENCY_TABLE");
        let error = config(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]).unwrap_err();
        assert_eq!(named(&error), "EXECUTIONS_TABLE");
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
            assert_eq!(named(&config(&[(name, value)]).unwrap_err()), name);
        }
    }

    #[test]
    fn a_dimension_named_twice_or_unknown_is_refused_at_start_with_metrics_on_or_off() {
        for value in ["Outcome,Outcome", "Operation, Operation", "Region", "Foo"] {
            for metrics in ["on", "off"] {
                let error =
                    config(&[("METRICS", metrics), ("METRICS_DIMENSIONS", value)]).unwrap_err();
                assert_eq!(named(&error), "METRICS_DIMENSIONS", "{value} {metrics}");
            }
            let local_default = config(&[("METRICS_DIMENSIONS", value)]).unwrap_err();
            assert_eq!(named(&local_default), "METRICS_DIMENSIONS", "{value}");
        }
    }

    #[test]
    fn a_namespace_cloudwatch_would_drop_is_refused_at_start() {
        let too_long = format!("AWS/{}", "x".repeat(300));
        let long = "x".repeat(256);
        for value in [
            too_long.as_str(),
            &long,
            "AWS/Lambda",
            "Team*Cancel",
            "Team\tCancel",
            "é",
        ] {
            let error = config(&[("METRICS_NAMESPACE", value)]).unwrap_err();
            assert_eq!(named(&error), "METRICS_NAMESPACE", "{value:?}");
        }
        for value in [
            "Team/Cancel",
            "a",
            "My Team:Cancel#1_x.y-z",
            &"x".repeat(255),
        ] {
            let config = config(&[("METRICS", "on"), ("METRICS_NAMESPACE", value)]).unwrap();
            assert_eq!(config.metrics.unwrap().namespace, value);
        }
    }

    #[test]
    fn an_executions_file_with_dynamodb_tables_is_refused_at_start() {
        let error = config(&[
            ("EXECUTIONS_TABLE", "ex"),
            ("IDEMPOTENCY_TABLE", "tok"),
            ("EMBEDDED_EXECUTIONS_FILE", "executions.json"),
        ])
        .unwrap_err();
        assert_eq!(named(&error), "EMBEDDED_EXECUTIONS_FILE");
        let embedded = config(&[("EMBEDDED_EXECUTIONS_FILE", "executions.json")]).unwrap();
        assert_eq!(
            embedded.embedded_executions_file.as_deref(),
            Some(std::path::Path::new("executions.json"))
        );
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
        assert_eq!(named(&error), "DEFAULT_ACCOUNT_ID");
        assert!(error.contains("Unset it"), "{error}");
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
        assert_eq!(
            config(&[]).unwrap().local_limits,
            LocalLimits {
                header_timeout: Duration::from_secs(10),
                body_timeout: Duration::from_secs(10),
                write_timeout: Duration::from_secs(10),
                max_connections: 256,
                shutdown_deadline: Duration::from_secs(10),
            }
        );
        let short = config(&[
            ("LOCAL_HEADER_TIMEOUT_MS", "250"),
            ("LOCAL_MAX_CONNECTIONS", "4"),
        ])
        .unwrap()
        .local_limits;
        assert_eq!(short.header_timeout, Duration::from_millis(250));
        assert_eq!(short.max_connections, 4);
    }

    #[test]
    fn a_lambda_log_format_that_is_neither_json_nor_text_stops_the_start() {
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("STORE", "embedded"),
        ];
        for accepted in ["JSON", "json", "Text", "TEXT"] {
            let vars = [lambda[0], lambda[1], ("AWS_LAMBDA_LOG_FORMAT", accepted)];
            assert!(config(&vars).is_ok(), "{accepted}");
        }
        let vars = [lambda[0], lambda[1], ("AWS_LAMBDA_LOG_FORMAT", "xml")];
        assert_eq!(named(&config(&vars).unwrap_err()), "AWS_LAMBDA_LOG_FORMAT");
    }

    #[test]
    fn create_tables_takes_its_settings_after_the_command_too() {
        let cli = Cli::parse_without_env([
            "cancel-lifecycle-execution",
            "create-tables",
            "--executions-table=ex",
            "--idempotency-table=tok",
        ])
        .unwrap();
        assert_eq!(cli.command, Some(Command::CreateTables));
        assert_eq!(Config::resolve(cli.settings).unwrap().store, tables());
    }

    #[test]
    fn the_benchmarks_switch_turns_the_startup_check_off_and_nothing_else_does() {
        assert!(config(&[]).unwrap().startup_check);
        let cli =
            Cli::parse_without_env(["cancel-lifecycle-execution", "--bench-skip-startup-check"])
                .unwrap();
        assert!(!Config::resolve(cli.settings).unwrap().startup_check);
    }

    #[test]
    fn settings_that_contradict_each_other_stop_the_start_naming_one_of_them() {
        for (vars, name) in [
            (&[("IDEMPOTENCY_TABLE", "tok")][..], "EXECUTIONS_TABLE"),
            (
                &[("STORE", "embedded"), ("EXECUTIONS_TABLE", "ex")][..],
                "EXECUTIONS_TABLE",
            ),
            (
                &[("STORE", "embedded"), ("IDEMPOTENCY_TABLE", "tok")][..],
                "IDEMPOTENCY_TABLE",
            ),
        ] {
            assert_eq!(named(&config(vars).unwrap_err()), name, "{vars:?}");
        }
    }

    #[test]
    fn a_log_filter_that_does_not_parse_stops_the_start() {
        for value in ["foo=debugg", "=info", "info,[", "foo=info=debug"] {
            assert_eq!(
                named(&config(&[("RUST_LOG", value)]).unwrap_err()),
                "RUST_LOG",
                "{value}"
            );
        }
        assert!(config(&[("RUST_LOG", "info,cancel_lifecycle_execution=debug")]).is_ok());
    }

    #[test]
    fn the_token_lifetime_is_one_second_to_366_days() {
        let ttl = |value: &str| config(&[("IDEMPOTENCY_TTL_SECONDS", value)]);
        assert_eq!(ttl("1").unwrap().idempotency_ttl_secs, 1);
        assert_eq!(ttl("31622400").unwrap().idempotency_ttl_secs, MAX_TTL_SECS);
        for value in ["31622401", "9999999999999", "-1"] {
            assert_eq!(
                named(&ttl(value).unwrap_err()),
                "IDEMPOTENCY_TTL_SECONDS",
                "{value}"
            );
        }
    }
}
