//! The store port: one atomic cancel step, one read, and the typed ways they can fail.
//! Adapters only translate: the rules live in [`crate::domain`].

pub mod dynamodb;
pub mod embedded;
mod embedded_file;

use std::future::Future;

use crate::domain::list::{ListQuery, Page};
use crate::domain::{CancelPlan, CorruptExecution, Execution, LifecycleExecutionId, Outcome};

pub use dynamodb::DynamoDbStore;
pub use embedded::EmbeddedStore;

type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A failure of the store itself, kept typed until the HTTP layer renders it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database throttled the request beyond the SDK's retries.
    #[error("throttled by the database: {0}")]
    Throttled(#[source] Cause),
    /// The database did not answer in time, could not be reached, or left the outcome of a
    /// write unknown: a retry with the same token finds out.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// Concurrent writes on the same items kept conflicting past the bounded retries.
    #[error("transaction kept conflicting after {attempts} attempts")]
    Contention { attempts: u32 },
    /// The caller's own execution item breaks the schema.
    #[error(transparent)]
    CorruptExecution(#[from] CorruptExecution),
    /// Anything else: a bug, a missing table, access denied.
    #[error("store failure: {0}")]
    Internal(#[source] Cause),
}

impl StoreError {
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::Internal(cause.into().into())
    }
}

/// One method per operation; each is one atomic step.
pub trait CancelStore: Send + Sync + 'static {
    /// Runs `plan` if its decision says so, atomically; else finds the outcome without a write.
    fn cancel(&self, plan: &CancelPlan)
        -> impl Future<Output = Result<Outcome, StoreError>> + Send;

    /// The execution item as it is now (one consistent read), whoever owns it.
    fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> impl Future<Output = Result<Option<Execution>, StoreError>> + Send;

    /// One page of the caller's partition of the executions by policy, in the index's order
    /// (newest `startTime` first, ties by id), after `query.after`, at most `query.limit`.
    fn list_executions(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;
}
