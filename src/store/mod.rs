//! The store port: one atomic cancel step, and the typed ways it can fail.

pub mod dynamodb;
pub mod embedded;

use std::future::Future;

use crate::cancel::Refusal;
use crate::get::ExecutionItem;
use crate::model::{CancelRequest, LifecycleExecutionId};

pub use dynamodb::DynamoDbStore;
pub use embedded::EmbeddedStore;

/// What a cancel did, once the store has run its atomic step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The token was recorded and the execution moved to `CANCELLING`, in one step.
    Cancelled { response_body: String },
    /// The token was used before for this execution; nothing was written.
    Replayed { response_body: String },
    /// A documented refusal; nothing was written.
    Refused(Refusal),
}

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure of the store itself, kept typed until the HTTP layer renders it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database throttled the request beyond the SDK's retries.
    #[error("throttled by the database: {0}")]
    Throttled(#[source] Cause),
    /// The database did not answer in time, or could not be reached.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// Concurrent writes on the same items kept conflicting past the bounded retries.
    #[error("transaction kept conflicting after {attempts} attempts")]
    Contention { attempts: u32 },
    /// Anything else: a bug, a missing table, access denied, corrupt data.
    #[error("store failure: {0}")]
    Internal(#[source] Cause),
}

/// One method per operation; each is one atomic step with the facts the decision needs.
pub trait CancelStore: Send + Sync + 'static {
    /// Cancel `request`'s execution at `now_epoch_secs`, recording its token, or find why not.
    fn cancel(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> impl Future<Output = Result<Outcome, StoreError>> + Send;

    /// The execution item as it is now (one consistent read), whoever owns it.
    fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> impl Future<Output = Result<Option<ExecutionItem>, StoreError>> + Send;
}

/// The reason written to `statusReason` on cancel.
pub const CANCEL_STATUS_REASON: &str = "Cancellation requested by CancelLifecycleExecution.";

/// `cancelRequestedAt`'s format: RFC 3339 in UTC, whole seconds.
pub fn rfc3339_utc(epoch_secs: i64) -> String {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(epoch_secs)
        .fmt(DateTimeFormat::DateTime)
        // Only years past 9999 fail to format; no clock of ours gets there.
        .unwrap_or_else(|_| "9999-12-31T23:59:59Z".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(super::rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
