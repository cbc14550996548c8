//! Every setting, declared once with its variable, default and meaning: what `--help` prints.
//! Each is a `--long` option that also reads its environment variable; the rules between
//! settings are `Config::resolve`'s.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::LogFormat;

/// The `RUST_LOG` syntax, for `--help`: a bare word is a target name, not a level.
const AFTER_HELP: &str = "\
Every option can also be given by its environment variable; an empty or blank variable counts as unset.

RUST_LOG is a tracing filter: a level (error, warn, info, debug, trace), or comma-separated
directives `target=level` (for example `info,cancel_lifecycle_execution=debug`). A bare word
that is no level, such as `debugg`, names a target and silences everything else; a directive
that does not parse stops the start.";

#[derive(Debug, Parser)]
#[command(
    name = "cancel-lifecycle-execution",
    version,
    about = "EC2 Image Builder's CancelLifecycleExecution and GetLifecycleExecution: a Lambda \
             function under a Lambda runtime API, a local HTTP server elsewhere.",
    after_long_help = AFTER_HELP,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Create both DynamoDB tables (and TTL on expiresAt) where missing, then exit. Uses
    /// STORE, EXECUTIONS_TABLE, IDEMPOTENCY_TABLE and RUST_LOG (before or after the command),
    /// and the AWS SDK's region and endpoint variables.
    CreateTables,
}

/// Which store serves the requests (`STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    Dynamodb,
    Embedded,
}

/// The settings as given, typed; `Config::resolve` checks how they fit together.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `dynamodb` or `embedded`; unset: DynamoDB under Lambda, and locally when
    /// EXECUTIONS_TABLE is set, else the embedded store with demo executions.
    #[arg(long, env = "STORE", value_name = "STORE", global = true)]
    pub store: Option<StoreKind>,
    /// The lifecycle engine's executions table (DynamoDB).
    #[arg(
        long,
        env = "EXECUTIONS_TABLE",
        value_name = "EXECUTIONS_TABLE",
        global = true
    )]
    pub executions_table: Option<String>,
    /// The client-token table (DynamoDB).
    #[arg(
        long,
        env = "IDEMPOTENCY_TABLE",
        value_name = "IDEMPOTENCY_TABLE",
        global = true
    )]
    pub idempotency_table: Option<String>,
    /// Embedded store only: a JSON file of executions that replaces the demo ones (each as
    /// GetLifecycleExecution shows it, plus accountId).
    #[arg(
        long,
        env = "EMBEDDED_EXECUTIONS_FILE",
        value_name = "EMBEDDED_EXECUTIONS_FILE"
    )]
    pub embedded_executions_file: Option<std::path::PathBuf>,
    /// The account of callers without an identity (12 digits); locally with the embedded
    /// store it defaults to 123456789012; refused under Lambda with DynamoDB.
    #[arg(long, env = "DEFAULT_ACCOUNT_ID", value_name = "DEFAULT_ACCOUNT_ID")]
    pub default_account_id: Option<String>,
    /// How long a client token is honoured, in seconds (1 to 31622400, 366 days).
    #[arg(long, env = "IDEMPOTENCY_TTL_SECONDS", value_name = "IDEMPOTENCY_TTL_SECONDS",
          default_value_t = super::DEFAULT_TTL_SECS,
          value_parser = clap::value_parser!(i64).range(1..=super::MAX_TTL_SECS))]
    pub idempotency_ttl_seconds: i64,
    /// The local server's address and port.
    #[arg(long, env = "LISTEN_ADDR", value_name = "LISTEN_ADDR", default_value = super::DEFAULT_LISTEN_ADDR)]
    pub listen_addr: SocketAddr,
    /// EMF metrics on stdout: `on` or `off`; unset: on under Lambda, off locally.
    #[arg(long, env = "METRICS", value_name = "METRICS", value_parser = on_off)]
    pub metrics: Option<bool>,
    /// The metrics' CloudWatch namespace: 1 to 255 of A-Z a-z 0-9 . - _ / # : and space, not
    /// beginning with AWS/ (CloudWatch drops any other).
    #[arg(long, env = "METRICS_NAMESPACE", value_name = "METRICS_NAMESPACE",
          default_value = super::DEFAULT_METRICS_NAMESPACE, value_parser = metrics_namespace)]
    pub metrics_namespace: String,
    /// The metrics' dimension set: a comma-separated subset of Operation, Outcome,
    /// FunctionVersion.
    #[arg(
        long,
        env = "METRICS_DIMENSIONS",
        value_name = "METRICS_DIMENSIONS",
        default_value = "Operation,Outcome"
    )]
    pub metrics_dimensions: String,
    /// The log filter outside Lambda (syntax below).
    #[arg(long, env = "RUST_LOG", value_name = "RUST_LOG", default_value = "info",
          value_parser = log_filter, global = true)]
    pub rust_log: String,
    /// Local server: from the connection (or the previous response) to the end of the next
    /// request's headers, ms; so also how long a keep-alive connection may sit idle.
    #[arg(long, env = "LOCAL_HEADER_TIMEOUT_MS", value_name = "LOCAL_HEADER_TIMEOUT_MS",
          default_value_t = 10_000, value_parser = positive)]
    pub local_header_timeout_ms: u64,
    /// Local server: from the end of the headers to the end of the body, ms (at most 20000,
    /// inside the 25 s request timeout, so a slow body is a 400, not a 503).
    #[arg(long, env = "LOCAL_BODY_TIMEOUT_MS", value_name = "LOCAL_BODY_TIMEOUT_MS",
          default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    pub local_body_timeout_ms: u64,
    /// Local server: how long a response may wait on a client that reads nothing, ms; then the
    /// connection ends.
    #[arg(long, env = "LOCAL_WRITE_TIMEOUT_MS", value_name = "LOCAL_WRITE_TIMEOUT_MS",
          default_value_t = 10_000, value_parser = positive)]
    pub local_write_timeout_ms: u64,
    /// Local server: hosts it answers besides loopback names and its listen host, comma-separated
    /// (requests for any other Host get ForbiddenException).
    #[arg(
        long,
        env = "LOCAL_ALLOWED_HOSTS",
        value_name = "LOCAL_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub local_allowed_hosts: Vec<String>,
    /// Local server: connections open at once; at the cap it stops accepting.
    #[arg(long, env = "LOCAL_MAX_CONNECTIONS", value_name = "LOCAL_MAX_CONNECTIONS",
          default_value_t = 256, value_parser = positive)]
    pub local_max_connections: u64,
    /// Local server: after SIGTERM, how long requests in flight may take, ms.
    #[arg(long, env = "LOCAL_SHUTDOWN_DEADLINE_MS", value_name = "LOCAL_SHUTDOWN_DEADLINE_MS",
          default_value_t = 10_000, value_parser = positive)]
    pub local_shutdown_deadline_ms: u64,
    /// Set by Lambda, `sam local` and `cargo lambda watch`: run as a Lambda function.
    #[arg(
        long,
        env = "AWS_LAMBDA_RUNTIME_API",
        value_name = "AWS_LAMBDA_RUNTIME_API"
    )]
    pub aws_lambda_runtime_api: Option<String>,
    /// Set by Lambda: the log level under Lambda (replaces RUST_LOG there).
    #[arg(long, env = "AWS_LAMBDA_LOG_LEVEL", value_name = "AWS_LAMBDA_LOG_LEVEL", value_parser = lambda_level)]
    pub aws_lambda_log_level: Option<String>,
    /// Set by Lambda: `JSON` (the default under Lambda) or `Text`.
    #[arg(
        long,
        env = "AWS_LAMBDA_LOG_FORMAT",
        value_name = "AWS_LAMBDA_LOG_FORMAT",
        ignore_case = true
    )]
    pub aws_lambda_log_format: Option<LogFormat>,
    /// Set by Lambda: the function version, for the FunctionVersion dimension.
    #[arg(
        long,
        env = "AWS_LAMBDA_FUNCTION_VERSION",
        value_name = "AWS_LAMBDA_FUNCTION_VERSION"
    )]
    pub aws_lambda_function_version: Option<String>,
    /// The AWS SDK's own DynamoDB endpoint variable, read here only to name the endpoint in the
    /// log (the SDK reads it itself).
    #[arg(long, env = "AWS_ENDPOINT_URL_DYNAMODB", hide = true)]
    pub aws_endpoint_url_dynamodb: Option<String>,
    /// For the cold-start benchmark only: start without the start-up check of the tables.
    #[arg(long, env = "BENCH_SKIP_STARTUP_CHECK", hide = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub bench_skip_startup_check: bool,
}

impl Settings {
    /// Every setting at its declared default (the one home of each), the environment ignored.
    pub fn defaults() -> Self {
        Cli::parse_without_env(["cancel-lifecycle-execution"])
            .map(|cli| cli.settings)
            .unwrap_or_else(|error| unreachable!("the declared defaults parse: {error}"))
    }
}

impl Cli {
    /// Parses the command line and the environment. An empty or blank variable counts as
    /// unset (clap would take `""` as a value), so those are removed first: call this before
    /// any other thread exists.
    pub fn from_process() -> Result<Self, clap::Error> {
        use clap::CommandFactory;
        for argument in Self::command().get_arguments() {
            if let Some(name) = argument.get_env() {
                let blank = std::env::var_os(name)
                    .is_some_and(|value| value.to_string_lossy().trim().is_empty());
                if blank {
                    std::env::remove_var(name);
                }
            }
        }
        Self::try_parse()
    }

    /// `argv` alone, as if no variable were set.
    pub(crate) fn parse_without_env(
        argv: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    ) -> Result<Self, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command()
            .mut_args(|argument| argument.env(None::<&str>))
            .try_get_matches_from(argv)?;
        Self::from_arg_matches(&matches)
    }
}

fn positive(value: &str) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "must be a positive whole number".to_owned())
}

fn on_off(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => Ok(true),
        "off" | "false" | "0" => Ok(false),
        _ => Err("must be on or off".to_owned()),
    }
}

/// A namespace CloudWatch takes: metrics under any other are dropped, and every alarm and
/// dashboard widget would get no data, in silence.
fn metrics_namespace(value: &str) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if value.chars().count() > 255 || value.trim().is_empty() {
        Err("must be 1 to 255 characters, not all spaces".to_owned())
    } else if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        Err(format!(
            "has {c:?}: use only A-Z a-z 0-9 . - _ / # : and space"
        ))
    } else if value.starts_with("AWS/") {
        Err("must not begin with AWS/ (reserved for AWS services)".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

/// A tracing filter that parses; a typo must not fall back to another level in silence.
fn log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::builder()
        .parse(value)
        .map(|_| value.to_owned())
        .map_err(|error| format!("is no log filter ({error}); see the RUST_LOG syntax in --help"))
}

/// Lambda's levels (TRACE to FATAL), as a tracing level; FATAL is tracing's ERROR.
fn lambda_level(value: &str) -> Result<String, String> {
    let level = value.to_ascii_lowercase();
    match level.as_str() {
        "fatal" => Ok("error".to_owned()),
        "trace" | "debug" | "info" | "warn" | "error" => Ok(level),
        _ => Err("must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// The settings table as `--help` describes it: variable, default, meaning.
    fn help_table() -> String {
        let mut rows = vec![
            "| variable | default | meaning |".to_owned(),
            "| --- | --- | --- |".to_owned(),
        ];
        for argument in Cli::command().get_arguments() {
            let Some(env) = argument.get_env().filter(|_| !argument.is_hide_set()) else {
                continue;
            };
            let defaults: Vec<_> = argument
                .get_default_values()
                .iter()
                .map(|d| format!("`{}`", d.to_string_lossy()))
                .collect();
            let default = if defaults.is_empty() {
                "unset".to_owned()
            } else {
                defaults.join(", ")
            };
            let help = argument
                .get_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            rows.push(format!(
                "| `{}` | {default} | {help} |",
                env.to_string_lossy()
            ));
        }
        rows.join("\n")
    }

    #[test]
    fn the_settings_table_in_operations_md_is_what_help_prints() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/OPERATIONS.md");
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        let table = help_table();
        assert!(
            doc.contains(&table),
            "docs/OPERATIONS.md must hold the settings table exactly as --help has it:\n\n{table}\n"
        );
    }

    #[test]
    fn every_setting_is_a_long_option_with_its_variable_and_help() {
        for argument in Cli::command().get_arguments() {
            let id = argument.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            assert!(
                argument.get_long().is_some(),
                "{id} has no --long: it would be positional"
            );
            assert!(
                argument.get_env().is_some(),
                "{id} has no environment variable"
            );
            assert!(argument.get_help().is_some(), "{id} has no help text");
        }
    }
}
