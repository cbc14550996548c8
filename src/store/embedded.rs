//! The in-process store: the same semantics as DynamoDB, nothing to install, nothing kept.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{rfc3339_utc, CancelStore, Outcome, StoreError, CANCEL_STATUS_REASON};
use crate::cancel::{decide, Decision, ExecutionRecord, TokenRecord};
use crate::model::{AccountId, CancelRequest, ExecutionStatus, LifecycleExecutionId};

/// An execution as the embedded store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExecution {
    pub account_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub cancel_requested_at: Option<String>,
}

#[derive(Default)]
struct Tables {
    executions: HashMap<String, StoredExecution>,
    tokens: HashMap<String, TokenRecord>,
}

/// A mutex around two maps: one lock per cancel makes each step atomic, as one
/// `TransactWriteItems` is.
pub struct EmbeddedStore {
    tables: Mutex<Tables>,
    ttl_secs: i64,
}

impl EmbeddedStore {
    pub fn new(idempotency_ttl_secs: i64) -> Self {
        Self {
            tables: Mutex::new(Tables::default()),
            ttl_secs: idempotency_ttl_secs,
        }
    }

    /// Adds or replaces an execution, as the lifecycle engine would.
    pub fn put_execution(
        &self,
        id: &LifecycleExecutionId,
        account: &AccountId,
        status: ExecutionStatus,
    ) {
        self.put_raw_execution(id.as_str(), account.as_str(), status.as_str());
    }

    /// Adds or replaces an execution with any status string, as a buggy engine might write.
    pub fn put_raw_execution(&self, id: &str, account_id: &str, status: &str) {
        self.lock().executions.insert(
            id.to_owned(),
            StoredExecution {
                account_id: account_id.to_owned(),
                status: status.to_owned(),
                status_reason: None,
                cancel_requested_at: None,
            },
        );
    }

    /// The execution as stored now.
    pub fn execution(&self, id: &str) -> Option<StoredExecution> {
        self.lock().executions.get(id).cloned()
    }

    /// The idempotency record under `idempotency_key`, expired or not.
    pub fn token_record(&self, idempotency_key: &str) -> Option<TokenRecord> {
        self.lock().tokens.get(idempotency_key).cloned()
    }

    /// How many idempotency records are stored, expired ones included.
    pub fn token_record_count(&self) -> usize {
        self.lock().tokens.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave half a cancel behind (both writes
        // happen after every check), so the data stays usable.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cancel_now(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> Result<Outcome, StoreError> {
        let mut tables = self.lock();
        let key = request.idempotency_key();
        let id = request.lifecycle_execution_id.as_str();
        let execution = tables.executions.get(id).map(|e| ExecutionRecord {
            account_id: e.account_id.clone(),
            status: e.status.clone(),
        });
        match decide(
            request,
            tables.tokens.get(&key),
            execution.as_ref(),
            now_epoch_secs,
        ) {
            Decision::Cancel => {
                let response_body = request.success_body();
                tables.tokens.insert(
                    key,
                    TokenRecord {
                        lifecycle_execution_id: id.to_owned(),
                        response_body: response_body.clone(),
                        expires_at_epoch_secs: now_epoch_secs.saturating_add(self.ttl_secs),
                    },
                );
                if let Some(stored) = tables.executions.get_mut(id) {
                    stored.status = ExecutionStatus::Cancelling.as_str().to_owned();
                    stored.status_reason = Some(CANCEL_STATUS_REASON.to_owned());
                    stored.cancel_requested_at = Some(rfc3339_utc(now_epoch_secs));
                }
                Ok(Outcome::Cancelled { response_body })
            }
            Decision::Replay { response_body } => Ok(Outcome::Replayed { response_body }),
            Decision::Refuse(refusal) => Ok(Outcome::Refused(refusal)),
            Decision::Corrupt(cause) => Err(StoreError::Internal(cause.into())),
        }
    }
}

impl CancelStore for EmbeddedStore {
    async fn cancel(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> Result<Outcome, StoreError> {
        self.cancel_now(request, now_epoch_secs)
    }
}

/// The executions `cargo run` starts with, so that a newcomer has something to cancel.
pub const DEMO_EXECUTIONS: [(&str, ExecutionStatus); 5] = [
    (
        "lce-00000000-0000-4000-8000-000000000001",
        ExecutionStatus::InProgress,
    ),
    (
        "lce-00000000-0000-4000-8000-000000000002",
        ExecutionStatus::Pending,
    ),
    (
        "lce-00000000-0000-4000-8000-000000000003",
        ExecutionStatus::InProgress,
    ),
    (
        "lce-00000000-0000-4000-8000-000000000004",
        ExecutionStatus::Success,
    ),
    (
        "lce-00000000-0000-4000-8000-000000000005",
        ExecutionStatus::Cancelling,
    ),
];

impl EmbeddedStore {
    /// A store holding [`DEMO_EXECUTIONS`], all owned by `account`.
    pub fn with_demo_executions(idempotency_ttl_secs: i64, account: &AccountId) -> Self {
        let store = Self::new(idempotency_ttl_secs);
        for (id, status) in DEMO_EXECUTIONS {
            if let Ok(id) = LifecycleExecutionId::try_from(id.to_owned()) {
                store.put_execution(&id, account, status);
            }
        }
        store
    }
}
