//! What the service tells its operators: logs, one summary line per request, EMF metrics.
//! Everything here takes values; nothing reads the environment.

pub mod invocation;
pub mod metrics;
pub mod request_scope;
pub mod summary;

pub use metrics::{Metrics, MetricsSink};
pub use summary::{take_cold_start, token_digest, Invocation, RequestOutcome, RequestSummary};

use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, LogSettings};

/// The SDK's crates log credentials (the access key id) and request and response data at
/// TRACE; whatever level is asked for, they log at DEBUG at most.
const SDK_TARGETS: [&str; 13] = [
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_sigv4",
    "aws_config",
    "aws_credential_types",
    "aws_sdk_dynamodb",
    "aws_sdk_sts",
    "aws_sdk_sso",
    "aws_sdk_ssooidc",
    "hyper",
    "hyper_util",
];

fn sdk_wire_log_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(SDK_TARGETS.map(|target| (target, LevelFilter::DEBUG)))
}

/// Installs the global subscriber: JSON on stdout or text on stderr, with colour only when
/// `ansi` (stderr is a terminal). A filter that does not parse falls back to `info`.
pub fn init_tracing(settings: &LogSettings, ansi: bool) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match settings.format {
        LogFormat::Json => {
            tracing::subscriber::set_global_default(json_subscriber(filter, std::io::stdout))
        }
        LogFormat::Text => {
            // Without the target: the summary line reads `INFO request request_id=...`, not
            // `INFO request: request request_id=...`.
            let text = tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(ansi)
                .with_writer(std::io::stderr)
                .with_filter(filter.and(sdk_wire_log_cap()));
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(text))
        }
    };
}

/// The JSON log format of Lambda mode: one object per event, fields at the top level, and
/// every line written inside an invocation's span carrying its `function_request_id`.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let format = tracing_subscriber::fmt::format()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false);
    let json = tracing_subscriber::fmt::layer()
        .json()
        .event_format(invocation::WithFunctionRequestId(format))
        .with_writer(writer)
        .with_filter(filter.and(sdk_wire_log_cap()));
    tracing_subscriber::registry()
        .with(invocation::RecordFunctionRequestId)
        .with(json)
}
