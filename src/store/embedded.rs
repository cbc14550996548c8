//! The in-process store: the domain's plan applied under one lock, nothing to install,
//! nothing kept.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{CancelStore, StoreError};
use crate::domain::list::{ListQuery, Listed, Page, Position};
use crate::domain::number::DynamoNumber;
use crate::domain::{
    AccountId, CancelPlan, Execution, ExecutionStatus, LifecycleExecutionId, Outcome, TokenRecord,
};

#[derive(Default)]
struct Tables {
    executions: HashMap<String, Execution>,
    tokens: HashMap<String, TokenRecord>,
}

/// A mutex around two maps: one lock per cancel makes each step atomic, as one
/// `TransactWriteItems` is.
#[derive(Default)]
pub struct EmbeddedStore {
    tables: Mutex<Tables>,
}

impl EmbeddedStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an execution item, as the engine (or a buggy one) would.
    pub fn put_execution(&self, id: &str, execution: Execution) {
        self.lock().executions.insert(id.to_owned(), execution);
    }

    /// The execution as stored now.
    pub fn execution(&self, id: &str) -> Option<Execution> {
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

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // A panic while holding the lock cannot leave half a cancel behind (both writes
        // happen after the decision), so the data stays usable.
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CancelStore for EmbeddedStore {
    async fn cancel(&self, plan: &CancelPlan) -> Result<Outcome, StoreError> {
        let mut tables = self.lock();
        let Tables { executions, tokens } = &mut *tables;
        let key = plan.idempotency_key();
        let id = plan.lifecycle_execution_id().as_str();
        let outcome = plan.decide(tokens.get(&key), executions.get(id))?;
        if let Outcome::Cancelled { .. } = outcome {
            if let Some(execution) = executions.get_mut(id) {
                execution.apply(&plan.change);
                tokens.insert(key, plan.token_record());
            }
        }
        Ok(outcome)
    }

    async fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        Ok(self.execution(id.as_str()))
    }

    /// The same order, pages and positions as the DynamoDB index: an execution is listed when
    /// it has its owner, its policy and a start time (held here as a float, whose shortest
    /// decimal is its position).
    async fn list_executions(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let tables = self.lock();
        let mut listed: Vec<Listed> = tables
            .executions
            .iter()
            .filter(|(_, e)| {
                e.is_owned_by(&query.account_id)
                    && e.lifecycle_policy_arn.as_deref() == Some(query.policy_arn.as_str())
            })
            .filter_map(|(id, e)| {
                let start_time = DynamoNumber::parse(&e.start_time_epoch_secs?.to_string())?;
                let position = Position {
                    start_time,
                    lifecycle_execution_id: id.clone(),
                };
                Some(Listed {
                    position,
                    execution: e.clone(),
                })
            })
            .filter(|l| query.after.as_ref().is_none_or(|after| l.position < *after))
            .collect();
        listed.sort_by(|a, b| b.position.cmp(&a.position));
        listed.truncate(query.limit.into());
        Ok(Page {
            listed,
            last_evaluated: None,
        })
    }
}

/// When the first demo execution started (2025-11-30T00:00:00Z); the others a minute apart.
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
    pub fn with_demo_executions(account: &AccountId) -> Self {
        let store = Self::new();
        for (n, (id, status)) in (0_i64..).zip(DEMO_EXECUTIONS) {
            let start = DEMO_START_EPOCH_SECS + 60 * n;
            let execution = Execution {
                lifecycle_policy_arn: Some(format!(
                    "arn:aws:imagebuilder:us-east-1:{account}:lifecycle-policy/demo-keep-latest-5"
                )),
                start_time_epoch_secs: Some(start as f64),
                end_time_epoch_secs: status.is_terminal().then_some((start + 600) as f64),
                ..Execution::new(account.clone(), status)
            };
            store.put_execution(id, execution);
        }
        store
    }
}
