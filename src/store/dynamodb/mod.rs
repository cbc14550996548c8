//! The DynamoDB store: it translates the domain's plan into one transaction and items into the
//! domain's types; every rule it applies comes from [`crate::domain`].

mod check;
mod classify;
mod client;
mod item;
mod schema;
mod scope_interceptor;
mod transaction;

pub use check::{check_tables, TableCheck};
pub use client::{client, load_sdk_config};
pub use schema::{create_tables, TTL_ATTRIBUTE};

/// What the benchmark rig and the integration tests reach beyond the service's own API (the
/// rendered conditions and items, the classifier, the client's bounds), behind the `internals`
/// feature so that no other user of the library comes to depend on them.
#[cfg(feature = "internals")]
pub mod internals {
    pub use super::classify::{classify, Call};
    pub use super::client::{client_from, retry_config, REQUEST_DEADLINE};
    pub use super::item::{attr, status_update, string_value, token_put};
    pub use super::transaction::{read_cancellation, Attempt, MAX_TRANSACTION_ATTEMPTS};
}

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::Client;
use tracing::instrument;

use self::classify::Call;
use self::client::REQUEST_DEADLINE;
use self::item::{attr, string_value};
use super::{CancelStore, StoreError};
use crate::config::TableNames;
use crate::domain::list::{ListQuery, Page};
use crate::domain::{CancelPlan, Execution, LifecycleExecutionId, Outcome};
use crate::telemetry::request_scope;

pub struct DynamoDbStore {
    client: Client,
    tables: TableNames,
    /// Where the client sends, for the causes in the log.
    endpoint: String,
}

/// What the log names as the endpoint when none is configured.
pub const REGIONAL_ENDPOINT: &str = "the regional DynamoDB endpoint";

impl DynamoDbStore {
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self {
            client,
            tables,
            endpoint: REGIONAL_ENDPOINT.to_owned(),
        }
    }

    /// Names the endpoint in the causes of failures (`AWS_ENDPOINT_URL_DYNAMODB`, say).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &TableNames {
        &self.tables
    }
}

impl CancelStore for DynamoDbStore {
    #[instrument(skip_all, fields(lifecycle_execution_id = %plan.lifecycle_execution_id()))]
    async fn cancel(&self, plan: &CancelPlan) -> Result<Outcome, StoreError> {
        let tables = format!("{}, {}", self.tables.idempotency, self.tables.executions);
        let call = Call {
            operation: "TransactWriteItems",
            tables: &tables,
            endpoint: &self.endpoint,
            redact: Some(plan.client_token()),
        };
        within_deadline(transaction::cancel(&self.client, &self.tables, plan, &call)).await
    }

    #[instrument(skip_all, fields(lifecycle_execution_id = %id))]
    async fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        let call = Call {
            operation: "GetItem",
            tables: &self.tables.executions,
            endpoint: &self.endpoint,
            redact: None,
        };
        within_deadline(async {
            let found = self
                .client
                .get_item()
                .table_name(&self.tables.executions)
                .key(attr::EXECUTION_ID, string_value(id.as_str()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify::classify(e, &call))?;
            Ok(found.item().map(Execution::from))
        })
        .await
    }

    /// One `Query` of the caller's partition of the index, its start key rebuilt from the
    /// query's own account and policy: whatever a token held, no other partition is read.
    #[instrument(skip_all, fields(policy = %query.policy_arn))]
    async fn list_executions(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let tables = format!("{} (index {})", self.tables.executions, item::INDEX);
        let call = Call {
            operation: "Query",
            tables: &tables,
            endpoint: &self.endpoint,
            redact: None,
        };
        within_deadline(async {
            let found = item::page_query(&self.client, &self.tables.executions, query)
                .send()
                .await
                .map_err(|e| {
                    // An index still being built (`create-tables` just added it): retry later.
                    let building = e.message().is_some_and(|m| m.contains("backfilling"));
                    match classify::classify(e, &call) {
                        StoreError::Internal(cause) if building => StoreError::Unavailable(cause),
                        other => other,
                    }
                })?;
            Ok(item::page_of(found.items(), found.last_evaluated_key()))
        })
        .await
    }
}

/// Kept before an invocation's deadline to render and log the answer.
const ANSWER_TIME: Duration = Duration::from_millis(500);
/// The least DynamoDB time worth a call; with less left, none is made.
const MIN_CALL_TIME: Duration = Duration::from_millis(100);

/// Bounds one request's work on DynamoDB, retries included: at most [`REQUEST_DEADLINE`], and
/// under Lambda at most the time left before the invocation's deadline less [`ANSWER_TIME`], so
/// that Lambda never stops a request mid-transaction whatever the function's timeout (a
/// transaction abandoned at the bound may still commit: the retry with the same token finds it).
async fn within_deadline<T>(
    work: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let invocation_left = request_scope::deadline().map(|deadline| {
        deadline
            .saturating_duration_since(Instant::now())
            .saturating_sub(ANSWER_TIME)
    });
    let bound = invocation_left.map_or(REQUEST_DEADLINE, |left| left.min(REQUEST_DEADLINE));
    if bound < MIN_CALL_TIME {
        return Err(StoreError::Unavailable(
            format!(
                "deadline: {} ms of DynamoDB time left before the invocation's deadline (less \
                 {} ms to answer), under the {} ms a call needs: no call made",
                bound.as_millis(),
                ANSWER_TIME.as_millis(),
                MIN_CALL_TIME.as_millis()
            )
            .into(),
        ));
    }
    tokio::time::timeout(bound, work).await.unwrap_or_else(|_| {
        let cause = if bound < REQUEST_DEADLINE {
            format!("deadline: no answer within {bound:?}, the invocation's deadline less {ANSWER_TIME:?}")
        } else {
            format!("no answer within {REQUEST_DEADLINE:?}")
        };
        Err(StoreError::Unavailable(cause.into()))
    })
}
