//! The DynamoDB store: one `TransactWriteItems` per attempt, old items read from the failure.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use tracing::{instrument, warn};

use super::{rfc3339_utc, CancelStore, Outcome, StoreError, CANCEL_STATUS_REASON};
use crate::cancel::{decide, Decision, ExecutionRecord, TokenRecord};
use crate::get::{parse_timestamp, ExecutionItem};
use crate::model::{CancelRequest, ExecutionStatus, LifecycleExecutionId};

pub mod calls;
pub mod schema;

/// The two table names of API-CONTRACT §5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub executions: String,
    pub idempotency: String,
}

/// Attempts of one cancel when DynamoDB reports a `TransactionConflict` (or throttles one
/// item inside the transaction, which the SDK does not retry by itself).
pub const MAX_TRANSACTION_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF_MS: u64 = 10;

/// The most one cancel may take, all attempts included: well inside API Gateway's 29 s.
pub const CANCEL_DEADLINE: Duration = Duration::from_secs(8);

/// SDK timeouts: a DynamoDB that never answers costs at most `OPERATION`, not Lambda's timeout.
pub mod timeouts {
    use std::time::Duration;
    pub const CONNECT: Duration = Duration::from_secs(1);
    pub const ATTEMPT: Duration = Duration::from_secs(2);
    pub const OPERATION: Duration = Duration::from_secs(5);
}

/// The SDK timeouts of every DynamoDB client of this service.
pub fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(timeouts::CONNECT)
        .operation_attempt_timeout(timeouts::ATTEMPT)
        .operation_timeout(timeouts::OPERATION)
        .build()
}

/// Standard retries (throttling and transient errors), three attempts within `OPERATION`.
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(3)
}

/// The SDK configuration every DynamoDB client of this service uses: the endpoint, region and
/// credentials come from the environment (`AWS_ENDPOINT_URL_DYNAMODB` for a local server).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeout_config())
        .retry_config(retry_config())
        .load()
        .await
}

/// The service's DynamoDB client: [`load_sdk_config`] plus the call counter of the log line.
pub fn client(config: &aws_config::SdkConfig) -> Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(calls::CountCalls)
        .build();
    Client::from_conf(conf)
}

pub struct DynamoDbStore {
    client: Client,
    tables: TableNames,
    ttl_secs: i64,
}

/// A transaction cancelled for a reason that a later attempt may not meet.
enum Transient {
    Conflict,
    Throttled(String),
}

impl DynamoDbStore {
    pub fn new(client: Client, tables: TableNames, idempotency_ttl_secs: i64) -> Self {
        Self {
            client,
            tables,
            ttl_secs: idempotency_ttl_secs,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    fn transaction_items(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let id = request.lifecycle_execution_id.as_str();
        let now = AttributeValue::N(now_epoch_secs.to_string());
        let put = Put::builder()
            .table_name(&self.tables.idempotency)
            .item("idempotencyKey", s(request.idempotency_key()))
            .item("lifecycleExecutionId", s(id))
            .item("responseBody", s(request.success_body()))
            .item("createdAt", now.clone())
            .item(
                "expiresAt",
                AttributeValue::N(now_epoch_secs.saturating_add(self.ttl_secs).to_string()),
            )
            .condition_expression("attribute_not_exists(idempotencyKey) OR expiresAt < :now")
            .expression_attribute_values(":now", now)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Internal(e.into()))?;
        let update = Update::builder()
            .table_name(&self.tables.executions)
            .key("lifecycleExecutionId", s(id))
            .update_expression(
                "SET #status = :cancelling, statusReason = :reason, cancelRequestedAt = :at",
            )
            .condition_expression(
                "attribute_exists(lifecycleExecutionId) AND accountId = :account \
                 AND #status IN (:pending, :in_progress)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":cancelling", s(ExecutionStatus::Cancelling.as_str()))
            .expression_attribute_values(":reason", s(CANCEL_STATUS_REASON))
            .expression_attribute_values(":at", s(rfc3339_utc(now_epoch_secs)))
            .expression_attribute_values(":account", s(request.account_id.as_str()))
            .expression_attribute_values(":pending", s(ExecutionStatus::Pending.as_str()))
            .expression_attribute_values(":in_progress", s(ExecutionStatus::InProgress.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| StoreError::Internal(e.into()))?;
        Ok(vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(update).build(),
        ])
    }

    /// Turns the reasons of a cancelled transaction into an outcome, or says to try again.
    fn read_cancellation(
        request: &CancelRequest,
        reasons: &[CancellationReason],
        now_epoch_secs: i64,
    ) -> Result<Result<Outcome, Transient>, StoreError> {
        let code = |r: &CancellationReason| r.code().unwrap_or("None").to_owned();
        if let Some(throttled) = reasons.iter().map(code).find(|c| is_throttling_code(c)) {
            return Ok(Err(Transient::Throttled(throttled)));
        }
        if reasons.iter().any(|r| code(r) == "TransactionConflict") {
            return Ok(Err(Transient::Conflict));
        }
        let [token_reason, execution_reason] = reasons else {
            return Err(internal(format!(
                "expected 2 cancellation reasons, got {}",
                reasons.len()
            )));
        };
        let token = match token_reason.code() {
            Some("ConditionalCheckFailed") => {
                let item = token_reason
                    .item()
                    .ok_or_else(|| internal("token condition failed without the old item"))?;
                Some(token_record(item)?)
            }
            None | Some("None") => None,
            Some(other) => return Err(internal(format!("token put cancelled: {other}"))),
        };
        let execution = match execution_reason.code() {
            // No old item: the execution does not exist.
            Some("ConditionalCheckFailed") => {
                execution_reason.item().map(execution_record).transpose()?
            }
            None | Some("None") if token.is_some() => None,
            None | Some("None") => {
                return Err(internal("transaction cancelled without a failed condition"))
            }
            Some(other) => return Err(internal(format!("execution update cancelled: {other}"))),
        };
        Ok(
            match decide(request, token.as_ref(), execution.as_ref(), now_epoch_secs) {
                Decision::Replay { response_body } => Ok(Outcome::Replayed { response_body }),
                Decision::Refuse(refusal) => Ok(Outcome::Refused(refusal)),
                Decision::Corrupt(cause) => return Err(internal(cause)),
                // The old items satisfied the conditions: they changed between the
                // transaction and its read. Another attempt sees the new state.
                Decision::Cancel => Err(Transient::Conflict),
            },
        )
    }
}

impl CancelStore for DynamoDbStore {
    #[instrument(skip_all, fields(lifecycle_execution_id = %request.lifecycle_execution_id))]
    async fn cancel(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> Result<Outcome, StoreError> {
        within_deadline(self.cancel_with_retries(request, now_epoch_secs)).await
    }

    #[instrument(skip_all, fields(lifecycle_execution_id = %id))]
    async fn get_execution(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<ExecutionItem>, StoreError> {
        within_deadline(self.get_item(id)).await
    }
}

/// Bounds one request's work on DynamoDB, retries included, to [`CANCEL_DEADLINE`].
async fn within_deadline<T>(
    work: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(CANCEL_DEADLINE, work)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                format!("no answer within {CANCEL_DEADLINE:?}").into(),
            ))
        })
}

impl DynamoDbStore {
    async fn get_item(
        &self,
        id: &LifecycleExecutionId,
    ) -> Result<Option<ExecutionItem>, StoreError> {
        let found = self
            .client
            .get_item()
            .table_name(&self.tables.executions)
            .key("lifecycleExecutionId", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_sdk_error)?;
        Ok(found.item().map(execution_item))
    }

    async fn cancel_with_retries(
        &self,
        request: &CancelRequest,
        now_epoch_secs: i64,
    ) -> Result<Outcome, StoreError> {
        let items = self.transaction_items(request, now_epoch_secs)?;
        let mut last = Transient::Conflict;
        for attempt in 1..=MAX_TRANSACTION_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let cancelled = match sent {
                Ok(_) => {
                    return Ok(Outcome::Cancelled {
                        response_body: request.success_body(),
                    })
                }
                Err(SdkError::ServiceError(e)) => match e.into_err() {
                    TransactWriteItemsError::TransactionCanceledException(cancelled) => cancelled,
                    other => return Err(classify_service_error(other)),
                },
                Err(other) => return Err(classify_sdk_error(other)),
            };
            match Self::read_cancellation(
                request,
                cancelled.cancellation_reasons(),
                now_epoch_secs,
            )? {
                Ok(outcome) => return Ok(outcome),
                Err(transient) => {
                    warn!(
                        attempt,
                        reason = transient_name(&transient),
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
}

fn transient_name(transient: &Transient) -> &'static str {
    match transient {
        Transient::Conflict => "TransactionConflict",
        Transient::Throttled(_) => "Throttling",
    }
}

/// Full jitter over an exponential ceiling: concurrent retries spread out instead of colliding.
fn backoff(attempt: u32) -> Duration {
    let ceiling_ms = FIRST_BACKOFF_MS << attempt.saturating_sub(2).min(6);
    Duration::from_millis(fastrand::u64(1..=ceiling_ms))
}

fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingError"
            | "ThrottlingException"
            | "ProvisionedThroughputExceeded"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
    )
}

fn internal(cause: impl Into<String>) -> StoreError {
    StoreError::Internal(cause.into().into())
}

/// Any operation's service error: throttling, a DynamoDB-side failure, or ours.
pub(crate) fn classify_service_error<E>(error: E) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error.code() {
        Some(code) if is_throttling_code(code) => StoreError::Throttled(error.into()),
        Some("InternalServerError" | "ServiceUnavailable" | "ServiceUnavailableException") => {
            StoreError::Unavailable(error.into())
        }
        _ => StoreError::Internal(error.into()),
    }
}

/// Any SDK failure: timeouts and connection failures are unavailability; a 5xx answer that
/// the SDK's retries did not get past is too.
pub(crate) fn classify_sdk_error<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(Box::new(error))
        }
        SdkError::DispatchFailure(ref failure) if failure.is_timeout() || failure.is_io() => {
            StoreError::Unavailable(Box::new(error))
        }
        SdkError::ServiceError(e) => {
            let server_error = e.raw().status().is_server_error();
            match classify_service_error(e.into_err()) {
                StoreError::Internal(cause) if server_error => StoreError::Unavailable(cause),
                classified => classified,
            }
        }
        other => StoreError::Internal(Box::new(other)),
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn string_attr<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

fn token_record(item: &HashMap<String, AttributeValue>) -> Result<TokenRecord, StoreError> {
    let corrupt = |what: &str| internal(format!("idempotency record without a valid {what}"));
    let expires_at_epoch_secs = match item.get("expiresAt") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().map_err(|_| corrupt("expiresAt"))?,
        _ => return Err(corrupt("expiresAt")),
    };
    Ok(TokenRecord {
        lifecycle_execution_id: string_attr(item, "lifecycleExecutionId")
            .ok_or_else(|| corrupt("lifecycleExecutionId"))?
            .to_owned(),
        response_body: string_attr(item, "responseBody")
            .ok_or_else(|| corrupt("responseBody"))?
            .to_owned(),
        expires_at_epoch_secs,
    })
}

/// An execution item for GetLifecycleExecution; timestamps as epoch seconds or RFC 3339.
fn execution_item(item: &HashMap<String, AttributeValue>) -> ExecutionItem {
    let time = |name: &str| match item.get(name) {
        Some(AttributeValue::N(n) | AttributeValue::S(n)) => parse_timestamp(n),
        _ => None,
    };
    let text = |name: &str| string_attr(item, name).map(str::to_owned);
    ExecutionItem {
        account_id: text("accountId").unwrap_or_default(),
        status: text("status"),
        status_reason: text("statusReason"),
        lifecycle_policy_arn: text("lifecyclePolicyArn"),
        start_time_epoch_secs: time("startTime"),
        end_time_epoch_secs: time("endTime"),
    }
}

fn execution_record(item: &HashMap<String, AttributeValue>) -> Result<ExecutionRecord, StoreError> {
    Ok(ExecutionRecord {
        // An item without an owner belongs to nobody who can call: it reads as not found.
        account_id: string_attr(item, "accountId")
            .unwrap_or_default()
            .to_owned(),
        status: string_attr(item, "status")
            .ok_or_else(|| internal("execution item without a string status"))?
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::Refusal;
    use crate::model::{AccountId, ClientToken, LifecycleExecutionId};

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";
    const NOW: i64 = 1_800_000_000;

    fn request() -> CancelRequest {
        CancelRequest {
            account_id: AccountId::try_from("111122223333".to_owned()).unwrap(),
            client_token: ClientToken::try_from("t".to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
    }

    fn reason(code: &str, item: &[(&str, AttributeValue)]) -> CancellationReason {
        let mut builder = CancellationReason::builder().code(code);
        for (name, value) in item {
            builder = builder.item(*name, value.clone());
        }
        builder.build()
    }

    fn token_item(id: &str) -> Vec<(&'static str, AttributeValue)> {
        vec![
            ("idempotencyKey", s("k")),
            ("lifecycleExecutionId", s(id)),
            (
                "responseBody",
                s(format!(r#"{{"lifecycleExecutionId":"{id}"}}"#)),
            ),
            ("expiresAt", AttributeValue::N((NOW + 5).to_string())),
        ]
    }

    fn read(reasons: &[CancellationReason]) -> Result<Result<Outcome, &'static str>, String> {
        DynamoDbStore::read_cancellation(&request(), reasons, NOW)
            .map(|r| r.map_err(|t| transient_name(&t)))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_failed_token_put_for_the_same_id_is_a_replay_whatever_the_update_says() {
        for update in [reason("None", &[]), reason("ConditionalCheckFailed", &[])] {
            let outcome = read(&[reason("ConditionalCheckFailed", &token_item(ID)), update]);
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
            reason("ConditionalCheckFailed", &token_item(other)),
            reason("None", &[]),
        ]);
        assert_eq!(
            outcome,
            Ok(Ok(Outcome::Refused(Refusal::ParameterMismatch)))
        );
    }

    #[test]
    fn a_failed_update_without_an_old_item_is_not_found() {
        let outcome = read(&[reason("None", &[]), reason("ConditionalCheckFailed", &[])]);
        assert_eq!(outcome, Ok(Ok(Outcome::Refused(Refusal::NotFound))));
    }

    #[test]
    fn a_failed_update_of_a_cancelling_execution_is_in_use() {
        let old = [
            ("lifecycleExecutionId", s(ID)),
            ("accountId", s("111122223333")),
            ("status", s("CANCELLING")),
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
        let old = [("accountId", s("111122223333")), ("status", s("PENDING"))];
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
    fn service_errors_are_classified_by_code() {
        use aws_sdk_dynamodb::error::ErrorMetadata;
        use aws_sdk_dynamodb::types::error::{
            InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException,
        };
        let meta = |code: &str| ErrorMetadata::builder().code(code).build();
        let throttled = TransactWriteItemsError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .meta(meta("ProvisionedThroughputExceededException"))
                .build(),
        );
        let internal = TransactWriteItemsError::InternalServerError(
            InternalServerError::builder()
                .meta(meta("InternalServerError"))
                .build(),
        );
        let missing = TransactWriteItemsError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(meta("ResourceNotFoundException"))
                .build(),
        );
        assert!(matches!(
            classify_service_error(throttled),
            StoreError::Throttled(_)
        ));
        assert!(matches!(
            classify_service_error(internal),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify_service_error(missing),
            StoreError::Internal(_)
        ));
    }
}
