//! The three-call design: a consistent read of the token, the execution's conditional update,
//! then the token's conditional put. What an idempotency layer wrapped around a plain update
//! does.
//!
//! Calls and write units per path (items under 1 KB; BENCHMARKS.md, "Cost"):
//! new cancel: GetItem + UpdateItem + PutItem (1 RRU, 2 WRU); replay and mismatch: GetItem
//! (1 RRU); refusal: GetItem + a failed UpdateItem (1 RRU, 1 WRU).
//!
//! What it gives up against docs/API.md ("Idempotency"): the token and the status change are two writes.
//! A crash (or a timeout) between the update and the put leaves a `CANCELLING` execution with no
//! token; the caller's retry with the same token then gets `ResourceInUseException` instead of
//! its 200. Two simultaneous requests with one token both find no token, one update wins and
//! the other answers `ResourceInUseException`, not the same 200.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use cancel_lifecycle_execution::domain::{
    CancelPlan, Execution, LifecycleExecutionId, Outcome, TokenRecord,
};
use cancel_lifecycle_execution::store::dynamodb::internals::classify;
use cancel_lifecycle_execution::store::dynamodb::internals::{
    attr, status_update, string_value, token_put,
};
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, StoreError};

use crate::standalone;

pub struct ThreeCalls(pub DynamoDbStore);

impl CancelStore for ThreeCalls {
    async fn cancel(&self, plan: &CancelPlan) -> Result<Outcome, StoreError> {
        let (client, tables) = (self.0.client(), self.0.tables());
        let found = client
            .get_item()
            .table_name(&tables.idempotency)
            .key(attr::IDEMPOTENCY_KEY, string_value(plan.idempotency_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(e, &standalone::CALL))?;
        if let Some(item) = found.item() {
            let token = TokenRecord::from(item);
            if token.decides(plan.now_epoch_secs) {
                return Ok(plan.decide(Some(&token), None)?);
            }
        }
        let update = status_update(plan, &tables.executions)?;
        if let Err(error) = standalone::update_item(client, update).send().await {
            return match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let execution = failed.item().map(Execution::from);
                    standalone::decided(plan.decide(None, execution.as_ref())?)
                }
                _ => Err(classify(error, &standalone::CALL)),
            };
        }
        // A crash here leaves the execution cancelled without its token.
        let put = token_put(plan, &tables.idempotency)?;
        match standalone::put_item(client, put).send().await {
            Ok(_) => Ok(Outcome::Cancelled {
                response_body: plan.response_body.clone(),
            }),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    let token = failed.item().map(TokenRecord::from);
                    standalone::decided(plan.decide(token.as_ref(), None)?)
                }
                _ => Err(classify(error, &standalone::CALL)),
            },
        }
    }

    async fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<Execution>, StoreError> {
        self.0.get_execution(id).await
    }

    /// The design under test changes only the cancel: the list is the service's own.
    async fn list_executions(
        &self,
        query: &cancel_lifecycle_execution::domain::list::ListQuery,
    ) -> Result<cancel_lifecycle_execution::domain::list::Page, StoreError> {
        self.0.list_executions(query).await
    }
}
