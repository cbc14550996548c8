//! What the service tells its operators: one summary log line per request and, where asked
//! for, CloudWatch metrics in Embedded Metric Format on stdout (no SDK call, no added latency).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::config::RunMode;

/// The facts of one answered request, logged once and counted in the metrics.
#[derive(Debug, Clone)]
pub struct RequestSummary<'a> {
    pub request_id: &'a str,
    pub operation: &'static str,
    pub account_id: Option<&'a str>,
    pub lifecycle_execution_id: Option<&'a str>,
    /// A short, one-way digest of the client token: lets a retry be matched, never shows it.
    pub client_token_sha256: Option<String>,
    /// `Cancelled`, `Replayed` or the error name.
    pub outcome: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    pub dynamodb_calls: u32,
    /// The underlying cause of a 5xx (never sent to the caller).
    pub cause: Option<&'a str>,
}

/// The first 12 hex digits of the token's SHA-256.
pub fn token_digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

impl RequestSummary<'_> {
    /// The one log line of the request: every field, at INFO (WARN for a 5xx).
    pub fn log(&self) {
        macro_rules! summary_event {
            ($level:expr) => {
                tracing::event!(
                    target: "request",
                    $level,
                    request_id = %self.request_id,
                    operation = self.operation,
                    account_id = self.account_id,
                    lifecycle_execution_id = self.lifecycle_execution_id,
                    client_token_sha256 = self.client_token_sha256.as_deref(),
                    outcome = %self.outcome,
                    status = self.status,
                    duration_ms = self.duration_ms,
                    dynamodb_calls = self.dynamodb_calls,
                    cause = self.cause,
                    "request"
                )
            };
        }
        if self.status >= 500 {
            summary_event!(tracing::Level::WARN);
        } else {
            summary_event!(tracing::Level::INFO);
        }
    }
}

/// Where EMF documents go: stdout in production, a buffer in tests.
#[derive(Clone)]
pub enum MetricsSink {
    Stdout,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

/// CloudWatch Embedded Metric Format, one JSON document per request.
#[derive(Clone)]
pub struct Metrics {
    namespace: String,
    dimensions: Vec<String>,
    sink: MetricsSink,
}

/// The dimensions a document may carry.
pub const DIMENSION_NAMES: [&str; 2] = ["Operation", "Outcome"];

impl Metrics {
    pub fn new(namespace: String, dimensions: Vec<String>, sink: MetricsSink) -> Self {
        Self {
            namespace,
            dimensions,
            sink,
        }
    }

    /// The EMF document for one request.
    pub fn document(&self, summary: &RequestSummary<'_>, timestamp_ms: u128) -> serde_json::Value {
        serde_json::json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [self.dimensions],
                    "Metrics": [
                        {"Name": "Requests", "Unit": "Count"},
                        {"Name": "Latency", "Unit": "Milliseconds"},
                        {"Name": "DynamoDBCalls", "Unit": "Count"}
                    ]
                }]
            },
            "Operation": summary.operation,
            "Outcome": summary.outcome,
            "Requests": 1,
            "Latency": summary.duration_ms,
            "DynamoDBCalls": summary.dynamodb_calls,
            "StatusCode": summary.status,
            "requestId": summary.request_id,
        })
    }

    pub fn emit(&self, summary: &RequestSummary<'_>) {
        let timestamp_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let mut line = self.document(summary, timestamp_ms).to_string();
        line.push('\n');
        match &self.sink {
            // A failed write (closed stdout) must not fail the request.
            MetricsSink::Stdout => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            MetricsSink::Buffer(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend_from_slice(line.as_bytes());
                }
            }
        }
    }
}

/// Logs: JSON under Lambda (unless `AWS_LAMBDA_LOG_FORMAT=Text`), readable text elsewhere; the
/// level from `AWS_LAMBDA_LOG_LEVEL` under Lambda, else `RUST_LOG`, else INFO.
pub fn init_tracing(mode: RunMode) {
    use tracing_subscriber::EnvFilter;
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .filter(|_| mode == RunMode::Lambda)
        .map(|level| match level.to_ascii_lowercase().as_str() {
            "fatal" => "error".to_owned(),
            other => other.to_owned(),
        });
    let filter = match lambda_level {
        Some(level) => EnvFilter::try_new(level).ok(),
        None => EnvFilter::try_from_default_env().ok(),
    }
    .unwrap_or_else(|| EnvFilter::new("info"));
    let json = mode == RunMode::Lambda
        && !std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text"));
    let _ = if json {
        tracing::subscriber::set_global_default(json_subscriber(filter, std::io::stdout))
    } else {
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .finish(),
        )
    };
}

/// The JSON log format of Lambda mode: one object per event, fields at the top level.
pub fn json_subscriber<W>(
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_digest_is_short_stable_and_not_the_token() {
        assert_eq!(token_digest("abc"), "ba7816bf8f01");
        assert_eq!(token_digest("abc").len(), 12);
    }
}
