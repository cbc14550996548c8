//! Items and expressions: the schema's attribute names in one place, items decoded into the
//! domain's types, and a cancel plan rendered as the transaction's Put and Update.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, Update};
use aws_sdk_dynamodb::Client;

use crate::domain::execution::parse_timestamp;
use crate::domain::execution::LAST_PLAUSIBLE_EPOCH_SECS;
use crate::domain::list::{ListQuery, Listed, Page, Position};
use crate::domain::number::DynamoNumber;
use crate::domain::{AccountId, CancelPlan, Execution, StoredStatus, TokenRecord};
use crate::store::StoreError;

pub type Item = HashMap<String, AttributeValue>;

/// Attribute names of both tables (docs/API.md, "Schema").
pub mod attr {
    /// Executions table: key.
    pub const EXECUTION_ID: &str = "lifecycleExecutionId";
    pub const ACCOUNT_ID: &str = "accountId";
    pub const STATUS: &str = "status";
    pub const STATUS_REASON: &str = "statusReason";
    pub const CANCEL_REQUESTED_AT: &str = "cancelRequestedAt";
    pub const POLICY_ARN: &str = "lifecyclePolicyArn";
    pub const START_TIME: &str = "startTime";
    pub const END_TIME: &str = "endTime";
    pub const HAS_IMPACTED_RESOURCES: &str = "hasImpactedResources";
    /// Idempotency table: key.
    pub const IDEMPOTENCY_KEY: &str = "idempotencyKey";
    /// Idempotency table: the execution the token was used for (same name as the key above).
    pub const TOKEN_EXECUTION_ID: &str = EXECUTION_ID;
    pub const RESPONSE_BODY: &str = "responseBody";
    pub const CREATED_AT: &str = "createdAt";
    /// Idempotency table: the TTL attribute.
    pub const EXPIRES_AT: &str = "expiresAt";
}

/// The executions table's index for ListLifecycleExecutions: partition key `accountId` +
/// `lifecyclePolicyArn`, sort key `startTime` + `lifecycleExecutionId` (multi-attribute keys).
pub const INDEX: &str = "byPolicy";
/// The index's partition key attributes, then its sort key attributes, with their types.
pub const INDEX_PARTITION_KEY: [&str; 2] = [attr::ACCOUNT_ID, attr::POLICY_ARN];
pub const INDEX_SORT_KEY: [&str; 2] = [attr::START_TIME, attr::EXECUTION_ID];
/// What the index projects besides its keys: what GetLifecycleExecution shows.
pub const INDEX_PROJECTED: [&str; 4] = [
    attr::STATUS,
    attr::STATUS_REASON,
    attr::END_TIME,
    attr::HAS_IMPACTED_RESOURCES,
];

pub fn string_value(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn number_value(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// An execution item as found; nothing in it makes the decoding fail.
impl From<&Item> for Execution {
    fn from(item: &Item) -> Self {
        let time = |name: &str| match item.get(name) {
            Some(AttributeValue::N(v) | AttributeValue::S(v)) => parse_timestamp(v),
            _ => None,
        };
        let owned = |name: &str| text(item, name).map(str::to_owned);
        Self {
            owner: owned(attr::ACCOUNT_ID).and_then(|a| AccountId::try_from(a).ok()),
            status: item.get(attr::STATUS).map(|value| match value {
                AttributeValue::S(status) => StoredStatus::from_text(status),
                _ => StoredStatus::NotAString,
            }),
            status_reason: owned(attr::STATUS_REASON),
            lifecycle_policy_arn: owned(attr::POLICY_ARN),
            start_time_epoch_secs: time(attr::START_TIME),
            end_time_epoch_secs: time(attr::END_TIME),
            cancel_requested_at: owned(attr::CANCEL_REQUESTED_AT),
            has_impacted_resources: item
                .get(attr::HAS_IMPACTED_RESOURCES)
                .and_then(|v| v.as_bool().ok().copied()),
        }
    }
}

/// A stored record as it is: a member missing or of another type reads as `None`.
impl From<&Item> for TokenRecord {
    fn from(item: &Item) -> Self {
        let expiry = |value: &AttributeValue| {
            let secs = value.as_n().ok()?.trim().parse::<f64>().ok()?;
            TokenRecord::expiry_from_epoch_secs(secs)
        };
        Self {
            lifecycle_execution_id: text(item, attr::TOKEN_EXECUTION_ID).map(str::to_owned),
            response_body: text(item, attr::RESPONSE_BODY).map(str::to_owned),
            expires_at_epoch_secs: item.get(attr::EXPIRES_AT).and_then(expiry),
        }
    }
}

/// One page's `Query`: the query's own partition, newest first, from its position.
pub fn page_query(client: &Client, table: &str, query: &ListQuery) -> QueryFluentBuilder {
    let start_key = query.after.as_ref().map(|after| {
        Item::from([
            (
                attr::ACCOUNT_ID.to_owned(),
                string_value(query.account_id.as_str()),
            ),
            (
                attr::POLICY_ARN.to_owned(),
                string_value(query.policy_arn.as_str()),
            ),
            (
                attr::START_TIME.to_owned(),
                AttributeValue::N(after.start_time.as_str().to_owned()),
            ),
            (
                attr::EXECUTION_ID.to_owned(),
                string_value(&after.lifecycle_execution_id),
            ),
        ])
    });
    client
        .query()
        .table_name(table)
        .index_name(INDEX)
        .key_condition_expression("#account = :account AND #policy = :policy")
        .expression_attribute_names("#account", attr::ACCOUNT_ID)
        .expression_attribute_names("#policy", attr::POLICY_ARN)
        .expression_attribute_values(":account", string_value(query.account_id.as_str()))
        .expression_attribute_values(":policy", string_value(query.policy_arn.as_str()))
        .scan_index_forward(false)
        .limit(i32::from(query.limit))
        .set_exclusive_start_key(start_key)
}

/// A `Query`'s items as listed executions, and where it stopped.
pub fn page_of(items: &[Item], last_evaluated_key: Option<&Item>) -> Page {
    let position = |item: &Item| {
        Some(Position {
            start_time: DynamoNumber::parse(item.get(attr::START_TIME)?.as_n().ok()?)?,
            lifecycle_execution_id: text(item, attr::EXECUTION_ID)?.to_owned(),
        })
    };
    Page {
        listed: items
            .iter()
            .filter_map(|item| {
                Some(Listed {
                    position: position(item)?,
                    execution: Execution::from(item),
                })
            })
            .collect(),
        last_evaluated: last_evaluated_key.and_then(position),
    }
}

/// The token record's Put: succeeds only where no live record holds the key (the condition
/// counts as absent what [`TokenRecord::decides`] does).
pub fn token_put(plan: &CancelPlan, table: &str) -> Result<Put, StoreError> {
    Put::builder()
        .table_name(table)
        .item(attr::IDEMPOTENCY_KEY, string_value(plan.idempotency_key()))
        .item(
            attr::TOKEN_EXECUTION_ID,
            string_value(plan.lifecycle_execution_id().as_str()),
        )
        .item(attr::RESPONSE_BODY, string_value(&plan.response_body))
        .item(attr::CREATED_AT, number_value(plan.now_epoch_secs))
        .item(attr::EXPIRES_AT, number_value(plan.expires_at_epoch_secs))
        .condition_expression(
            "attribute_not_exists(#key) OR NOT attribute_type(#execution, :string) \
             OR NOT attribute_type(#expires, :number) \
             OR #expires < :now OR #expires > :last_expiry",
        )
        .expression_attribute_names("#key", attr::IDEMPOTENCY_KEY)
        .expression_attribute_names("#execution", attr::TOKEN_EXECUTION_ID)
        .expression_attribute_values(":string", string_value("S"))
        .expression_attribute_names("#expires", attr::EXPIRES_AT)
        .expression_attribute_values(":number", string_value("N"))
        .expression_attribute_values(":now", number_value(plan.now_epoch_secs))
        .expression_attribute_values(":last_expiry", number_value(LAST_PLAUSIBLE_EPOCH_SECS))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| StoreError::Internal(e.into()))
}

/// The execution's Update: succeeds only for the caller's execution in a cancellable status.
pub fn status_update(plan: &CancelPlan, table: &str) -> Result<Update, StoreError> {
    let change = &plan.change;
    let from: Vec<String> = (0..change.from.len())
        .map(|i| format!(":from{i}"))
        .collect();
    let mut update = Update::builder()
        .table_name(table)
        .key(
            attr::EXECUTION_ID,
            string_value(plan.lifecycle_execution_id().as_str()),
        )
        .update_expression("SET #status = :to, #reason = :reason, #requested = :requested")
        .condition_expression(format!(
            "#account = :owner AND #status IN ({})",
            from.join(", ")
        ))
        .expression_attribute_names("#status", attr::STATUS)
        .expression_attribute_names("#reason", attr::STATUS_REASON)
        .expression_attribute_names("#requested", attr::CANCEL_REQUESTED_AT)
        .expression_attribute_names("#account", attr::ACCOUNT_ID)
        .expression_attribute_values(":to", string_value(change.to.as_str()))
        .expression_attribute_values(":reason", string_value(change.reason))
        .expression_attribute_values(":requested", string_value(&change.requested_at))
        .expression_attribute_values(":owner", string_value(change.owner.as_str()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    for (placeholder, status) in from.iter().zip(change.from) {
        update = update.expression_attribute_values(placeholder, string_value(status.as_str()));
    }
    update.build().map_err(|e| StoreError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ExecutionStatus;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn token_with_expiry(expires_at: AttributeValue) -> TokenRecord {
        TokenRecord::from(&item(&[
            (attr::TOKEN_EXECUTION_ID, string_value("lce-x")),
            (attr::RESPONSE_BODY, string_value("{}")),
            (attr::EXPIRES_AT, expires_at),
        ]))
    }

    #[test]
    fn an_expiry_that_is_no_number_or_out_of_range_reads_as_unknown() {
        let expiry = |value: AttributeValue| token_with_expiry(value).expires_at_epoch_secs;
        assert_eq!(
            expiry(AttributeValue::N("1800000000".into())),
            Some(1_800_000_000)
        );
        assert_eq!(
            expiry(AttributeValue::N("1800000000.5".into())),
            Some(1_800_000_000)
        );
        assert_eq!(expiry(AttributeValue::S("1800000000".into())), None);
        assert_eq!(expiry(AttributeValue::N("1e30".into())), None);
        assert_eq!(
            expiry(AttributeValue::N(
                (LAST_PLAUSIBLE_EPOCH_SECS + 1).to_string()
            )),
            None
        );
    }

    #[test]
    fn a_record_without_its_execution_id_or_body_reads_them_as_missing() {
        let partial = TokenRecord::from(&item(&[
            (attr::TOKEN_EXECUTION_ID, AttributeValue::N("1".into())),
            (attr::EXPIRES_AT, AttributeValue::N("1".into())),
        ]));
        assert_eq!(
            partial,
            TokenRecord {
                lifecycle_execution_id: None,
                response_body: None,
                expires_at_epoch_secs: Some(1),
            }
        );
    }

    #[test]
    fn an_execution_item_is_read_as_found() {
        let found = Execution::from(&item(&[
            (attr::ACCOUNT_ID, string_value("111122223333")),
            (attr::STATUS, AttributeValue::N("3".into())),
            (attr::START_TIME, AttributeValue::N("1700000000".into())),
            (attr::END_TIME, string_value("2023-11-14T22:13:20Z")),
        ]));
        assert_eq!(found.status, Some(StoredStatus::NotAString));
        assert_eq!(found.start_time_epoch_secs, Some(1_700_000_000.0));
        assert_eq!(found.end_time_epoch_secs, Some(1_700_000_000.0));
        let ownerless = Execution::from(&item(&[(attr::ACCOUNT_ID, string_value("root"))]));
        assert_eq!((ownerless.owner, ownerless.status), (None, None));
        let pending = Execution::from(&item(&[(attr::STATUS, string_value("PENDING"))]));
        assert_eq!(
            pending.status,
            Some(StoredStatus::Known(ExecutionStatus::Pending))
        );
    }
}
