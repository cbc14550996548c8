//! The token-first design: two single-item conditional writes and no transaction. Put the token
//! record (absent or expired); on failure the old record decides replay or mismatch. Then update
//! the execution with the token's key stamped on it; on failure, an execution already stamped
//! with this key is a replay, anything else is refused and the token record is deleted again.
//!
//! Calls and write units per path (items under 1 KB; BENCHMARKS.md, "Cost"):
//! new cancel: PutItem + UpdateItem (2 WRU); replay and mismatch: a failed PutItem (1 WRU);
//! refusal: PutItem + a failed UpdateItem + DeleteItem (3 WRU).
//!
//! Against docs/API.md ("Idempotency") it keeps: one token decides first (the put's condition), no double
//! cancel (the update's condition), a replay after the execution moved on. It weakens:
//! - a crash (or a timeout whose outcome is unknown) between the put and the update leaves a
//!   token record without the status change; every later request with that token replays a 200
//!   for an execution that was never cancelled, until the record expires (24 h): a lost cancel;
//! - a crash between a refused update and the delete leaves the refused request's token: its
//!   retry gets a 200 instead of the refusal;
//! - a simultaneous second request with the same token is answered 200 from the record while
//!   the first request's update is still running, and may yet be refused.
//!
//! It also writes an attribute (`cancelTokenKey`) onto the lifecycle engine's item, outside
//! the list of attributes this service may change (docs/API.md ("Schema")).

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use cancel_lifecycle_execution::domain::{
    CancelPlan, Execution, LifecycleExecutionId, Outcome, TokenRecord,
};
use cancel_lifecycle_execution::store::dynamodb::internals::classify;
use cancel_lifecycle_execution::store::dynamodb::internals::{
    attr, status_update, string_value, token_put,
};
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, StoreError};

use crate::standalone;

/// The execution item's stamp: the idempotency key of the request that cancelled it.
pub const STAMP: &str = "cancelTokenKey";

pub struct TokenFirst(pub DynamoDbStore);

impl TokenFirst {
    /// Removes this request's own token record (same execution, same creation time).
    async fn forget_token(&self, plan: &CancelPlan) -> Result<(), StoreError> {
        let removed = self
            .0
            .client()
            .delete_item()
            .table_name(&self.0.tables().idempotency)
            .key(attr::IDEMPOTENCY_KEY, string_value(plan.idempotency_key()))
            .condition_expression("#id = :id AND #created = :created")
            .expression_attribute_names("#id", attr::TOKEN_EXECUTION_ID)
            .expression_attribute_names("#created", attr::CREATED_AT)
            .expression_attribute_values(
                ":id",
                string_value(plan.lifecycle_execution_id().as_str()),
            )
            .expression_attribute_values(
                ":created",
                AttributeValue::N(plan.now_epoch_secs.to_string()),
            )
            .send()
            .await;
        match removed {
            Ok(_) => Ok(()),
            // Not ours any more: another request's record stays.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(error) => Err(classify(error, &standalone::CALL)),
        }
    }
}

impl CancelStore for TokenFirst {
    async fn cancel(&self, plan: &CancelPlan) -> Result<Outcome, StoreError> {
        let (client, tables) = (self.0.client(), self.0.tables());
        let put = token_put(plan, &tables.idempotency)?;
        if let Err(error) = standalone::put_item(client, put).send().await {
            return match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().map(TokenRecord::from) {
                        Some(token) if token.decides(plan.now_epoch_secs) => {
                            Ok(plan.decide(Some(&token), None)?)
                        }
                        // Expired between the condition and now: try again later.
                        _ => Err(StoreError::Contention { attempts: 1 }),
                    }
                }
                _ => Err(classify(error, &standalone::CALL)),
            };
        }
        // A crash here leaves a token record without its status change.
        let update = status_update(plan, &tables.executions)?;
        let stamped = standalone::update_item(client, update.clone())
            .update_expression(format!("{}, #stamp = :stamp", update.update_expression()))
            .expression_attribute_names("#stamp", STAMP)
            .expression_attribute_values(":stamp", string_value(plan.idempotency_key()))
            .send()
            .await;
        let Err(error) = stamped else {
            return Ok(Outcome::Cancelled {
                response_body: plan.response_body.clone(),
            });
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(failed)) =
            error.as_service_error()
        else {
            // Unknown outcome: the token record stays, so a retry replays.
            return Err(classify(error, &standalone::CALL));
        };
        let old = failed.item();
        let stamp = old
            .and_then(|item| item.get(STAMP))
            .and_then(|v| v.as_s().ok());
        if stamp.is_some_and(|key| *key == plan.idempotency_key()) {
            return Ok(Outcome::Replayed {
                response_body: plan.response_body.clone(),
            });
        }
        let execution = old.map(Execution::from);
        let outcome = plan.decide(None, execution.as_ref());
        self.forget_token(plan).await?;
        standalone::decided(outcome?)
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
