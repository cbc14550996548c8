//! The in-process store: the same semantics as DynamoDB, nothing to install, nothing kept.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{rfc3339_utc, CancelStore, Outcome, StoreError, CANCEL_STATUS_REASON};
use crate::cancel::{decide, Decision, ExecutionRecord, TokenRecord};
use crate::get::ExecutionItem;
use crate::model::{AccountId, CancelRequest, ExecutionStatus, LifecycleExecutionId};

/// An execution as the embedded store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredExecution {
    pub account_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub cancel_requested_at: Option<String>,
    pub lifecycle_policy_arn: Option<String>,
    pub start_time_epoch_secs: Option<i64>,
    pub end_time_epoch_secs: Option<i64>,
}

impl StoredExecution {
    fn item(&self) -> ExecutionItem {
        ExecutionItem {
            account_id: self.account_id.clone(),
            status: Some(self.status.clone()),
            status_reason: self.status_reason.clone(),
            lifecycle_policy_arn: self.lifecycle_policy_arn.clone(),
            start_time_epoch_secs: self.start_time_epoch_secs.map(|t| t as f64),
            end_time_epoch_secs: self.end_time_epoch_secs.map(|t| t as f64),
        }
    }
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

    /// Adds or replaces an execution with any status string, as a buggy engine might write.
    pub fn put_raw_execution(&self, id: &str, account_id: &str, status: &str) {
        self.put_stored_execution(
            id,
            StoredExecution {
                account_id: account_id.to_owned(),
                status: status.to_owned(),
                status_reason: None,
                cancel_requested_at: None,
                lifecycle_policy_arn: None,
                start_time_epoch_secs: None,
                end_time_epoch_secs: None,
            },
        );
    }

    /// Adds or replaces an execution with every attribute given.
    pub fn put_stored_execution(&self, id: &str, execution: StoredExecution) {
        self.lock().executions.insert(id.to_owned(), execution);
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

    async fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<ExecutionItem>, StoreError> {
        Ok(self
            .lock()
            .executions
            .get(id.as_str())
            .map(StoredExecution::item))
    }
}

/// When the first demo execution started (2026-11-30T00:00:00Z); the others a minute apart.
pub const DEMO_START_EPOCH_SECS: i64 = 1_764_460_800;

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
    /// A store holding [`DEMO_EXECUTIONS`], all owned by `account`, started on
    /// [`DEMO_START_EPOCH_SECS`] under one demo lifecycle policy.
    pub fn with_demo_executions(idempotency_ttl_secs: i64, account: &AccountId) -> Self {
        let store = Self::new(idempotency_ttl_secs);
        for (n, (id, status)) in (0_i64..).zip(DEMO_EXECUTIONS) {
            let start = DEMO_START_EPOCH_SECS + 60 * n;
            store.put_stored_execution(
                id,
                StoredExecution {
                    account_id: account.as_str().to_owned(),
                    status: status.as_str().to_owned(),
                    status_reason: None,
                    cancel_requested_at: None,
                    lifecycle_policy_arn: Some(format!(
                        "arn:aws:imagebuilder:us-east-1:{account}:lifecycle-policy/demo-keep-latest-5"
                    )),
                    start_time_epoch_secs: Some(start),
                    end_time_epoch_secs: status.is_terminal().then_some(start + 600),
                },
            );
        }
        store
    }
}
