//! The cancel as one `TransactWriteItems`: a failed condition returns the old items, which the
//! domain's decision reads; conflicts and throttled items are retried a bounded number of times.

use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use tracing::warn;

use super::classify::{classify, is_throttling_code, Call};
use super::item::{status_update, token_put};
use crate::config::TableNames;
use crate::domain::{CancelPlan, Execution, Outcome, TokenRecord};
use crate::store::StoreError;

/// Attempts of one cancel when DynamoDB reports a `TransactionConflict` (or throttles one
/// item inside the transaction, which the SDK does not retry by itself).
pub const MAX_TRANSACTION_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF_MS: u64 = 10;

/// A cancelled transaction that a later attempt may get past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transient {
    Conflict,
    Throttled(String),
}

impl Transient {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Conflict => "TransactionConflict",
            Self::Throttled(_) => "Throttling",
        }
    }
}

/// What one attempt's cancelled transaction came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The old items decide the request: a replay or a refusal.
    Decided(Outcome),
    /// Another attempt may get past this.
    Retry(Transient),
}

/// Runs `plan` as one transaction, retrying what may pass on a later attempt.
pub async fn cancel(
    client: &Client,
    tables: &TableNames,
    plan: &CancelPlan,
    call: &Call<'_>,
) -> Result<Outcome, StoreError> {
    let items = vec![
        TransactWriteItem::builder()
            .put(token_put(plan, &tables.idempotency)?)
            .build(),
        TransactWriteItem::builder()
            .update(status_update(plan, &tables.executions)?)
            .build(),
    ];
    let mut last = Transient::Conflict;
    for attempt in 1..=MAX_TRANSACTION_ATTEMPTS {
        if attempt > 1 {
            tokio::time::sleep(backoff(attempt)).await;
        }
        let sent = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .send()
            .await;
        let reasons = match sent {
            Ok(_) => {
                return Ok(Outcome::Cancelled {
                    response_body: plan.response_body.clone(),
                })
            }
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    cancelled.cancellation_reasons().to_vec()
                }
                _ => return Err(classify(error, call)),
            },
        };
        match read_cancellation(plan, &reasons)? {
            Attempt::Decided(outcome) => return Ok(outcome),
            Attempt::Retry(transient) => {
                warn!(
                    attempt,
                    reason = transient.name(),
                    "transaction cancelled, retrying"
                );
                last = transient;
            }
        }
    }
    Err(match last {
        Transient::Conflict => StoreError::Contention {
            attempts: MAX_TRANSACTION_ATTEMPTS,
        },
        Transient::Throttled(code) => StoreError::Throttled(
            format!("{code} inside the transaction after {MAX_TRANSACTION_ATTEMPTS} attempts")
                .into(),
        ),
    })
}

/// Turns the reasons of a cancelled transaction into an outcome, or says to try again.
pub fn read_cancellation(
    plan: &CancelPlan,
    reasons: &[CancellationReason],
) -> Result<Attempt, StoreError> {
    let code = |r: &CancellationReason| r.code().unwrap_or("None").to_owned();
    if let Some(throttled) = reasons.iter().map(code).find(|c| is_throttling_code(c)) {
        return Ok(Attempt::Retry(Transient::Throttled(throttled)));
    }
    if reasons.iter().any(|r| code(r) == "TransactionConflict") {
        return Ok(Attempt::Retry(Transient::Conflict));
    }
    let [token_reason, execution_reason] = reasons else {
        return Err(StoreError::internal(format!(
            "expected 2 cancellation reasons, got {}",
            reasons.len()
        )));
    };
    let token = match token_reason.code() {
        Some("ConditionalCheckFailed") => {
            let item = token_reason.item().ok_or_else(|| {
                StoreError::internal("token condition failed without the old item")
            })?;
            Some(TokenRecord::from(item))
        }
        None | Some("None") => None,
        Some(other) => {
            return Err(StoreError::internal(format!(
                "TransactWriteItems: the token record's Put (idempotency table) was cancelled: {other}: {}",
                reason_message(token_reason, plan)
            )))
        }
    };
    let execution = match execution_reason.code() {
        // No old item: the execution does not exist.
        Some("ConditionalCheckFailed") => execution_reason.item().map(Execution::from),
        // The update's condition held, so only the token can have stopped the transaction;
        // if the token does not decide on its own, the items changed under us.
        None | Some("None") => match token {
            Some(ref t) if t.decides(plan.now_epoch_secs) => None,
            Some(_) => return Ok(Attempt::Retry(Transient::Conflict)),
            None => {
                return Err(StoreError::internal(
                    "transaction cancelled without a failed condition",
                ))
            }
        },
        Some(other) => {
            return Err(StoreError::internal(format!(
                "TransactWriteItems: the execution's Update (executions table) was cancelled: {other}: {}",
                reason_message(execution_reason, plan)
            )))
        }
    };
    Ok(match plan.decide(token.as_ref(), execution.as_ref())? {
        // The old items met the conditions: they changed between the transaction and its
        // read. Another attempt sees the new state.
        Outcome::Cancelled { .. } => Attempt::Retry(Transient::Conflict),
        outcome => Attempt::Decided(outcome),
    })
}

/// A cancellation reason's message (an item over the size limit says so here), without the
/// raw client token.
fn reason_message(reason: &CancellationReason, plan: &CancelPlan) -> String {
    super::classify::redact_token(
        reason.message().unwrap_or("no message"),
        plan.client_token(),
    )
}

/// Full jitter over an exponential ceiling: concurrent retries spread out instead of colliding.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = FIRST_BACKOFF_MS << attempt.saturating_sub(2).min(6);
    Duration::from_millis(fastrand::u64(1..=ceiling_ms))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;
    use crate::domain::{AccountId, CancelRequest, ClientToken, LifecycleExecutionId, Refusal};
    use crate::store::dynamodb::item::{attr, string_value};

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";
    const NOW: i64 = 1_800_000_000;

    fn plan() -> CancelPlan {
        CancelRequest {
            account_id: AccountId::try_from("111122223333".to_owned()).unwrap(),
            client_token: ClientToken::try_from("t".to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
        .plan(NOW, 86_400)
    }

    fn reason(code: &str, item: &[(&str, AttributeValue)]) -> CancellationReason {
        let mut builder = CancellationReason::builder().code(code);
        for (name, value) in item {
            builder = builder.item(*name, value.clone());
        }
        builder.build()
    }

    fn token_item(id: &str, expires_at: AttributeValue) -> Vec<(&'static str, AttributeValue)> {
        vec![
            (attr::IDEMPOTENCY_KEY, string_value("k")),
            (attr::TOKEN_EXECUTION_ID, string_value(id)),
            (
                attr::RESPONSE_BODY,
                string_value(format!(r#"{{"lifecycleExecutionId":"{id}"}}"#)),
            ),
            (attr::EXPIRES_AT, expires_at),
        ]
    }

    fn live_token(id: &str) -> Vec<(&'static str, AttributeValue)> {
        token_item(id, AttributeValue::N((NOW + 5).to_string()))
    }

    fn read(reasons: &[CancellationReason]) -> Result<Result<Outcome, &'static str>, String> {
        read_cancellation(&plan(), reasons)
            .map(|attempt| match attempt {
                Attempt::Decided(outcome) => Ok(outcome),
                Attempt::Retry(transient) => Err(transient.name()),
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_failed_token_put_for_the_same_id_is_a_replay_whatever_the_update_says() {
        let damaged = [("accountId", string_value("111122223333"))];
        for update in [
            reason("None", &[]),
            reason("ConditionalCheckFailed", &[]),
            reason("ConditionalCheckFailed", &damaged),
        ] {
            let outcome = read(&[reason("ConditionalCheckFailed", &live_token(ID)), update]);
            assert_eq!(
                outcome,
                Ok(Ok(Outcome::Replayed {
                    response_body: format!(r#"{{"lifecycleExecutionId":"{ID}"}}"#)
                }))
            );
        }
    }

    #[test]
    fn a_failed_token_put_for_another_id_is_a_mismatch() {
        let other = "lce-aaaaaaaa-2222-3333-4444-555555555555";
        let outcome = read(&[
            reason("ConditionalCheckFailed", &live_token(other)),
            reason("None", &[]),
        ]);
        assert_eq!(
            outcome,
            Ok(Ok(Outcome::Refused(Refusal::ParameterMismatch)))
        );
    }

    #[test]
    fn a_failed_token_put_whose_record_reads_as_expired_is_retried() {
        let stale = token_item(ID, AttributeValue::N((NOW - 1).to_string()));
        assert_eq!(
            read(&[
                reason("ConditionalCheckFailed", &stale),
                reason("None", &[])
            ]),
            Ok(Err("TransactionConflict"))
        );
    }

    #[test]
    fn a_failed_update_without_an_old_item_is_not_found() {
        let outcome = read(&[reason("None", &[]), reason("ConditionalCheckFailed", &[])]);
        assert_eq!(outcome, Ok(Ok(Outcome::Refused(Refusal::NotFound))));
    }

    #[test]
    fn a_failed_update_of_another_accounts_item_without_a_status_is_not_found() {
        let foreign = [("accountId", string_value("444455556666"))];
        let outcome = read(&[
            reason("None", &[]),
            reason("ConditionalCheckFailed", &foreign),
        ]);
        assert_eq!(outcome, Ok(Ok(Outcome::Refused(Refusal::NotFound))));
    }

    #[test]
    fn a_failed_update_of_a_cancelling_execution_is_in_use() {
        let old = [
            ("lifecycleExecutionId", string_value(ID)),
            ("accountId", string_value("111122223333")),
            ("status", string_value("CANCELLING")),
        ];
        let outcome = read(&[reason("None", &[]), reason("ConditionalCheckFailed", &old)]);
        assert_eq!(outcome, Ok(Ok(Outcome::Refused(Refusal::InUse))));
    }

    #[test]
    fn conflicts_and_throttling_inside_the_transaction_are_retried() {
        assert_eq!(
            read(&[reason("TransactionConflict", &[]), reason("None", &[])]),
            Ok(Err("TransactionConflict"))
        );
        assert_eq!(
            read(&[reason("None", &[]), reason("ThrottlingError", &[])]),
            Ok(Err("Throttling"))
        );
    }

    #[test]
    fn old_items_that_meet_the_conditions_mean_a_race_and_are_retried() {
        let old = [
            ("accountId", string_value("111122223333")),
            ("status", string_value("PENDING")),
        ];
        assert_eq!(
            read(&[reason("None", &[]), reason("ConditionalCheckFailed", &old)]),
            Ok(Err("TransactionConflict"))
        );
    }

    #[test]
    fn unexpected_reasons_are_internal_failures() {
        for reasons in [
            vec![reason("ValidationError", &[]), reason("None", &[])],
            vec![reason("None", &[]), reason("None", &[])],
            vec![reason("ConditionalCheckFailed", &[]), reason("None", &[])],
            vec![reason("None", &[])],
        ] {
            assert!(read(&reasons).is_err(), "{reasons:?}");
        }
    }

    #[test]
    fn the_callers_own_item_without_a_status_is_corrupt_data() {
        let own = [("accountId", string_value("111122223333"))];
        let error = read_cancellation(
            &plan(),
            &[reason("None", &[]), reason("ConditionalCheckFailed", &own)],
        );
        assert!(matches!(error, Err(StoreError::CorruptExecution(_))));
    }

    #[test]
    fn an_item_cancelled_for_its_size_is_named_with_its_reason() {
        let mut too_large = reason("ValidationError", &[]);
        too_large = CancellationReason::builder()
            .code(too_large.code().unwrap_or_default())
            .message("Item size to update has exceeded the maximum allowed size")
            .build();
        let cause = read(&[reason("None", &[]), too_large]).unwrap_err();
        assert!(
            cause.contains("the execution's Update (executions table)"),
            "{cause}"
        );
        assert!(
            cause.contains("ValidationError: Item size to update has exceeded"),
            "{cause}"
        );
    }
}
