//! The transaction's Put and Update, sent on their own: the designs without a transaction use
//! the very conditions and items the service renders (`store::dynamodb::item`).

use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, Update};
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::domain::Outcome;
use cancel_lifecycle_execution::store::StoreError;

/// A `PutItem` with the Put's item and condition, returning the old item when it fails.
pub fn put_item(client: &Client, put: Put) -> PutItemFluentBuilder {
    client
        .put_item()
        .table_name(put.table_name())
        .set_item(Some(put.item().clone()))
        .set_condition_expression(put.condition_expression().map(str::to_owned))
        .set_expression_attribute_names(put.expression_attribute_names().cloned())
        .set_expression_attribute_values(put.expression_attribute_values().cloned())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
}

/// An `UpdateItem` with the Update's key, expression and condition, returning the old item
/// when it fails.
pub fn update_item(client: &Client, update: Update) -> UpdateItemFluentBuilder {
    client
        .update_item()
        .table_name(update.table_name())
        .set_key(Some(update.key().clone()))
        .update_expression(update.update_expression())
        .set_condition_expression(update.condition_expression().map(str::to_owned))
        .set_expression_attribute_names(update.expression_attribute_names().cloned())
        .set_expression_attribute_values(update.expression_attribute_values().cloned())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
}

/// The outcome of a failed condition. Old items that say "go ahead" mean the item changed
/// under the call: a conflict, not an answer.
pub fn decided(outcome: Outcome) -> Result<Outcome, StoreError> {
    match outcome {
        Outcome::Cancelled { .. } => Err(StoreError::Contention { attempts: 1 }),
        outcome => Ok(outcome),
    }
}

/// What a design's failure names in its cause: the harness reads outcomes, not causes.
pub const CALL: cancel_lifecycle_execution::store::dynamodb::internals::Call<'static> =
    cancel_lifecycle_execution::store::dynamodb::internals::Call {
        operation: "a design's call",
        tables: "the bench tables",
        endpoint: "the model endpoint",
        redact: None,
    };
