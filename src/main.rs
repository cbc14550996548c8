//! `cancel-lifecycle-execution`: Lambda under a runtime API, a local HTTP server elsewhere,
//! and `create-tables` to prepare a DynamoDB endpoint.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;

use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::config::{
    Cli, Command, Config, LogFormat, LogSettings, RunMode, StoreChoice,
};
use cancel_lifecycle_execution::http::host::AllowedHosts;
use cancel_lifecycle_execution::http::{App, CANCEL_PATH};
use cancel_lifecycle_execution::store::dynamodb::REGIONAL_ENDPOINT;
use cancel_lifecycle_execution::store::dynamodb::{check_tables, TableCheck};
use cancel_lifecycle_execution::store::dynamodb::{client, load_sdk_config};
use cancel_lifecycle_execution::store::dynamodb::{
    create_tables as create_both_tables, TTL_ATTRIBUTE,
};
use cancel_lifecycle_execution::store::embedded::DEMO_EXECUTIONS;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, EmbeddedStore, StoreError};
use cancel_lifecycle_execution::telemetry::{self, Metrics, MetricsSink};
use cancel_lifecycle_execution::{lambda, local};
use tracing::{info, warn};

fn main() -> ExitCode {
    // Before the runtime starts any thread: `from_process` edits the environment.
    let cli = match Cli::from_process() {
        Ok(cli) => cli,
        // `--help`, `--version`, and a malformed value (named by its variable), as clap says it.
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let config = match Config::resolve(cli.settings) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("cancel-lifecycle-execution: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cancel-lifecycle-execution: {}", StartError::Runtime(error));
            return ExitCode::FAILURE;
        }
    };
    telemetry::init_tracing(&config.log, std::io::stderr().is_terminal());
    let result = runtime.block_on(async {
        match cli.command {
            Some(Command::CreateTables) => create_tables(&config).await,
            None => run(config.clone()).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            fatal(&config.log, &error);
            ExitCode::FAILURE
        }
    }
}

/// Why the process stopped after its settings were read.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("create-tables needs EXECUTIONS_TABLE and IDEMPOTENCY_TABLE")]
    CreateTablesWithoutTables,
    #[error(
        "AWS_REGION is not set (nor a region in the AWS config): DynamoDB needs one; \
         set AWS_REGION=us-east-1, say"
    )]
    NoRegion,
    #[error("could not create the tables: {0}")]
    CreateTables(StoreError),
    /// The start-up check found a table missing, keyed otherwise or not accessible.
    #[error("{0}")]
    WrongTables(String),
    #[error("cannot listen on {address} (LISTEN_ADDR): {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("Lambda runtime: {0}")]
    Lambda(lambda_runtime::Error),
    #[error("EMBEDDED_EXECUTIONS_FILE {path}: {problem}")]
    ExecutionsFile { path: String, problem: String },
}

/// A fatal error, said once: as a JSON log line where the log is JSON (Lambda), else on stderr.
fn fatal(log: &LogSettings, error: &StartError) {
    match log.format {
        LogFormat::Json => tracing::error!(message = %error, "stopped"),
        LogFormat::Text => eprintln!("cancel-lifecycle-execution: {error}"),
    }
}

async fn create_tables(config: &Config) -> Result<(), StartError> {
    let StoreChoice::DynamoDb(tables) = &config.store else {
        return Err(StartError::CreateTablesWithoutTables);
    };
    let (client, endpoint) = dynamodb_client(config).await?;
    create_both_tables(&client, tables, &endpoint)
        .await
        .map_err(StartError::CreateTables)?;
    info!(
        executions = %tables.executions,
        idempotency = %tables.idempotency,
        ttl_attribute = TTL_ATTRIBUTE,
        "tables ready"
    );
    Ok(())
}

async fn run(config: Config) -> Result<(), StartError> {
    match &config.store {
        StoreChoice::DynamoDb(tables) => {
            let (client, endpoint) = dynamodb_client(&config).await?;
            info!(executions = %tables.executions, idempotency = %tables.idempotency, %endpoint, "DynamoDB store");
            if config.startup_check {
                startup_check(&client, tables, &endpoint, config.mode).await?;
            }
            let store = DynamoDbStore::new(client, tables.clone()).with_endpoint(endpoint);
            serve(config, store).await
        }
        StoreChoice::Embedded => {
            if config.mode == RunMode::Lambda {
                warn!("embedded store under Lambda (STORE=embedded): data lives only as long as this instance");
                if let Some(account) = &config.default_account {
                    // A Lambda emulator: cargo lambda watch listens on every interface by default.
                    warn!(account = account.as_str(), "every caller without an identity acts as DEFAULT_ACCOUNT_ID: \
                          keep the emulator on loopback (cargo lambda watch --invoke-address 127.0.0.1)");
                }
            }
            let store = match (&config.embedded_executions_file, &config.default_account) {
                (Some(path), _) => {
                    let file_error = |problem: String| StartError::ExecutionsFile {
                        path: path.display().to_string(),
                        problem,
                    };
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| file_error(format!("cannot be read: {e}")))?;
                    EmbeddedStore::from_executions_file(&text).map_err(file_error)?
                }
                (None, Some(account)) => EmbeddedStore::with_demo_executions(account),
                (None, None) => {
                    warn!("embedded store without DEFAULT_ACCOUNT_ID: starting empty");
                    EmbeddedStore::new()
                }
            };
            serve(config, store).await
        }
    }
}

/// The SDK client and the endpoint it sends to; DynamoDB without a region cannot start.
async fn dynamodb_client(
    config: &Config,
) -> Result<(aws_sdk_dynamodb::Client, String), StartError> {
    let sdk_config = load_sdk_config().await.ok_or(StartError::NoRegion)?;
    let region = sdk_config.region().ok_or(StartError::NoRegion)?;
    // The SDK reads the service's own variable before the shared one; so does the log.
    let endpoint = config
        .dynamodb_endpoint
        .clone()
        .or_else(|| sdk_config.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("{REGIONAL_ENDPOINT} of {region}"));
    Ok((client(&sdk_config), endpoint))
}

/// Both tables exist and are keyed as the schema says. A wrong table stops a local start;
/// under Lambda it is one ERROR line at init and the function answers with the documented
/// errors. No answer within the bound is a WARN line, and the start goes on.
async fn startup_check(
    client: &aws_sdk_dynamodb::Client,
    tables: &TableNames,
    endpoint: &str,
    mode: RunMode,
) -> Result<(), StartError> {
    match (check_tables(client, tables, endpoint).await, mode) {
        (Ok(()), _) => Ok(()),
        (Err(TableCheck::Wrong(problem)), RunMode::Local) => Err(StartError::WrongTables(problem)),
        (Err(TableCheck::Wrong(problem)), RunMode::Lambda) => {
            tracing::error!(%problem, "start-up check: the tables are not as the schema says");
            Ok(())
        }
        (Err(TableCheck::NoAnswer(problem)), _) => {
            warn!(%problem, "start-up check: no answer; starting anyway");
            Ok(())
        }
        (Err(TableCheck::IndexBuilding(problem)), _) => {
            warn!(%problem, "start-up check: ListLifecycleExecutions answers ServiceUnavailableException until the index is active");
            Ok(())
        }
    }
}

async fn serve<S: CancelStore>(config: Config, store: S) -> Result<(), StartError> {
    let mut app = App::new(store, config.default_account.clone())
        .with_idempotency_ttl_secs(config.idempotency_ttl_secs);
    if let Some(metrics) = &config.metrics {
        app = app.with_metrics(Metrics::new(
            metrics.namespace.clone(),
            metrics.dimensions.clone(),
            config.log.function_version.clone(),
            MetricsSink::Stdout,
        ));
    }
    match config.mode {
        RunMode::Lambda => lambda::run(app.router()).await.map_err(StartError::Lambda),
        RunMode::Local => {
            let cannot_listen = |source| StartError::Listen {
                address: config.listen_addr,
                source,
            };
            let listener = tokio::net::TcpListener::bind(config.listen_addr)
                .await
                .map_err(cannot_listen)?;
            let address = listener.local_addr().map_err(cannot_listen)?;
            let shutdown = shutdown_signal();
            info!(%address, "listening");
            if address.ip().is_unspecified() && config.local_allowed_hosts.is_empty() {
                warn!(%address, "listening on every interface: only loopback hosts are answered; \
                      name the others callers use in LOCAL_ALLOWED_HOSTS");
            }
            print_try_command(&config, &address.to_string());
            let limits = config.local_limits;
            let listen_host = match address.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                std::net::IpAddr::V4(ip) => ip.to_string(),
            };
            let allowed = AllowedHosts::new(
                std::iter::once(listen_host).chain(config.local_allowed_hosts.iter().cloned()),
            );
            let in_flight = app.in_flight();
            let router = app.with_allowed_hosts(allowed).router();
            local::serve(router, in_flight, listener, limits, shutdown).await;
            Ok(())
        }
    }
}

/// Tells a newcomer what to try. Written without `println!`: a closed stdout must not panic.
fn print_try_command(config: &Config, address: &str) {
    use std::io::Write;
    let account = config
        .default_account
        .as_ref()
        .map_or("none: set DEFAULT_ACCOUNT_ID", |a| a.as_str());
    let mut text = format!(
        "CancelLifecycleExecution listening on http://{address} (caller account {account})\n"
    );
    if let Some(path) = &config.embedded_executions_file {
        text.push_str(&format!(
            "embedded store (nothing is kept on exit) with the executions of {}\n",
            path.display()
        ));
    } else if config.store == StoreChoice::Embedded {
        // Two cancellable executions: the second command does not meet the first one's cancel.
        let (first, _) = DEMO_EXECUTIONS[0];
        let (second, _) = DEMO_EXECUTIONS[1];
        let demo = DEMO_EXECUTIONS.map(|(id, status)| format!("  {id} {}", status.as_str()));
        text.push_str(&format!(
            "embedded store (nothing is kept on exit); demo executions:\n{}\n\
             try:\n  curl -sS -X PUT http://{address}{CANCEL_PATH} -H 'Content-Type: application/json' \\\n    \
             -d '{{\"clientToken\":\"try-1\",\"lifecycleExecutionId\":\"{first}\"}}'\n\
             or, with the AWS CLI (`make venv` puts one in .venv/bin):\n  \
             .venv/bin/aws imagebuilder cancel-lifecycle-execution --endpoint-url http://{address} \\\n    \
             --no-sign-request --region us-east-1 --lifecycle-execution-id {second}\n",
            demo.join("\n")
        ));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// SIGTERM (as Lambda and process managers send) or Ctrl-C. The handlers are installed
/// now, before the server says it is ready, so an early signal is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {},
                    _ = interrupt.recv() => {},
                }
            }
            _ => {
                warn!("cannot install signal handlers: stop with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    }
}
