//! The one summary log line of every request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::domain::{bounded, Operation, QUOTED_MAX_CHARS};
use crate::error::ErrorKind;

/// How a request ended, as the log line and the metrics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A cancel that wrote the token and the status change.
    Cancelled,
    /// A cancel answered from its stored token.
    Replayed,
    /// A GetLifecycleExecution that found the caller's execution.
    Returned,
    /// A page of ListLifecycleExecutions (empty or not).
    Listed,
    /// A documented error.
    Failed(ErrorKind),
}

impl RequestOutcome {
    /// Every name the log line and the `Outcome` dimension can show.
    pub fn all() -> impl Iterator<Item = Self> {
        [
            Self::Cancelled,
            Self::Replayed,
            Self::Returned,
            Self::Listed,
        ]
        .into_iter()
        .chain(ErrorKind::ALL.into_iter().map(Self::Failed))
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Cancelled => "Cancelled",
            Self::Replayed => "Replayed",
            Self::Returned => "Returned",
            Self::Listed => "Listed",
            Self::Failed(kind) => kind.name(),
        }
    }
}

/// The facts of one answered request, logged once and counted in the metrics.
#[derive(Debug, Clone)]
pub struct RequestSummary<'a> {
    pub request_id: &'a str,
    /// `None` when the path names no operation.
    pub operation: Option<Operation>,
    pub account_id: Option<&'a str>,
    pub lifecycle_execution_id: Option<&'a str>,
    /// A short, one-way digest of the client token: lets a retry be matched, never shows it.
    pub client_token_sha256: Option<String>,
    /// ListLifecycleExecutions' `resourceArn`, quoted to at most 256 characters.
    pub resource_arn: Option<&'a str>,
    pub outcome: RequestOutcome,
    pub status: u16,
    pub duration: Duration,
    pub dynamodb_calls: u32,
    /// The underlying cause of a 5xx (never sent to the caller).
    pub cause: Option<&'a str>,
    /// The caller went away before the answer was ready (the work ran to its end anyway).
    pub caller_gone: bool,
    /// Under Lambda: the invocation's facts, to join the line with Lambda's REPORT line and
    /// the trace.
    pub lambda: Option<Invocation<'a>>,
}

/// What Lambda says of one invocation, under the key names Powertools for AWS Lambda's Logger
/// uses for the same facts (`function_request_id`, `xray_trace_id`, `cold_start`).
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// Lambda's request id (the one its REPORT line carries), not API Gateway's.
    pub function_request_id: &'a str,
    pub xray_trace_id: Option<&'a str>,
    /// Whether this is the process's first invocation.
    pub cold_start: bool,
}

static FIRST_INVOCATION_SEEN: AtomicBool = AtomicBool::new(false);

/// True for the first invocation this process answers, false ever after.
pub fn take_cold_start() -> bool {
    !FIRST_INVOCATION_SEEN.swap(true, Ordering::Relaxed)
}

/// The most characters of a cause on the line: its quoted values are bounded already
/// ([`crate::domain::quoted`]); this bounds what else it holds (an SDK's message), so that a
/// line stays far under CloudWatch Logs' 256 KB event (16 KiB is the promise).
pub const CAUSE_MAX_CHARS: usize = 4096;

/// The name the log line gives a request whose path names no operation.
pub const UNKNOWN_OPERATION: &str = "Unknown";

/// The first 12 hex digits of the token's SHA-256.
pub fn token_digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds with at most microsecond precision, so a log line reads `0.146`, not
/// `0.14602800000000002`.
pub fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

impl RequestSummary<'_> {
    pub fn operation_name(&self) -> &'static str {
        self.operation.map_or(UNKNOWN_OPERATION, Operation::name)
    }

    /// The one log line of the request: every field, at INFO (WARN for a 5xx).
    pub fn log(&self) {
        let cause = self.cause.map(|cause| bounded(cause, CAUSE_MAX_CHARS));
        let resource_arn = self.resource_arn.map(|arn| bounded(arn, QUOTED_MAX_CHARS));
        macro_rules! summary_event {
            ($level:expr) => {
                tracing::event!(
                    target: "request",
                    $level,
                    request_id = %self.request_id,
                    operation = self.operation_name(),
                    account_id = self.account_id,
                    lifecycle_execution_id = self.lifecycle_execution_id,
                    client_token_sha256 = self.client_token_sha256.as_deref(),
                    resource_arn = resource_arn.as_deref(),
                    outcome = self.outcome.name(),
                    status = self.status,
                    duration_ms = millis(self.duration),
                    dynamodb_calls = self.dynamodb_calls,
                    cause = cause.as_deref(),
                    caller_gone = self.caller_gone.then_some(true),
                    function_request_id = self.lambda.map(|l| l.function_request_id),
                    xray_trace_id = self.lambda.and_then(|l| l.xray_trace_id),
                    cold_start = self.lambda.map(|l| l.cold_start),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_digest_is_short_stable_and_not_the_token() {
        assert_eq!(token_digest("abc"), "ba7816bf8f01");
        assert_eq!(token_digest("abc").len(), 12);
    }

    #[test]
    fn durations_read_as_milliseconds_with_at_most_three_decimals() {
        assert_eq!(millis(Duration::from_nanos(146_028)), 0.146);
        assert_eq!(millis(Duration::from_millis(12)), 12.0);
    }

    #[test]
    fn every_outcome_has_a_distinct_name() {
        let names: Vec<_> = RequestOutcome::all().map(RequestOutcome::name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }
}
