//! The transaction's retries and the classification of DynamoDB's answers, in process with
//! aws-smithy-mocks: conflicts, throttling inside the transaction, unknown outcomes and 5xx
//! answers, without moto.

use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::types::error::{
    TransactionCanceledException, TransactionInProgressException,
};
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::Outcome;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::dynamodb::internals::MAX_TRANSACTION_ATTEMPTS;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, StoreError};

use crate::helpers::{account, call, cancel_body, new_id, plain, request, ACCOUNT, NOW, TTL_SECS};

fn tables() -> TableNames {
    TableNames {
        executions: "executions".to_owned(),
        idempotency: "idempotency".to_owned(),
    }
}

/// A client whose answers come from `rules`, in order, with the SDK's own retries off so that
/// every call is the service's.
fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |config| {
        config.retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
    })
}

fn cancelled(reasons: Vec<CancellationReason>) -> TransactWriteItemsError {
    TransactWriteItemsError::TransactionCanceledException(
        TransactionCanceledException::builder()
            .set_cancellation_reasons(Some(reasons))
            .build(),
    )
}

fn reason(code: &str) -> CancellationReason {
    CancellationReason::builder().code(code).build()
}

fn stored_token(id: &str) -> CancellationReason {
    CancellationReason::builder()
        .code("ConditionalCheckFailed")
        .item("lifecycleExecutionId", AttributeValue::S(id.to_owned()))
        .item(
            "responseBody",
            AttributeValue::S(crate::helpers::success_body(id)),
        )
        .item("expiresAt", AttributeValue::N((NOW + TTL_SECS).to_string()))
        .build()
}

#[tokio::test]
async fn conflicts_are_retried_until_the_transaction_goes_through() {
    let rule = mock!(Client::transact_write_items)
        .sequence()
        .error(|| cancelled(vec![reason("None"), reason("TransactionConflict")]))
        .times(2)
        .output(|| TransactWriteItemsOutput::builder().build())
        .build();
    let store = DynamoDbStore::new(client(&[&rule]), tables());
    let id = new_id();

    let outcome = store
        .cancel(&request(ACCOUNT, "t", &id).plan(NOW, TTL_SECS))
        .await;

    assert_eq!(
        outcome.map_err(|e| e.to_string()),
        Ok(Outcome::Cancelled {
            response_body: crate::helpers::success_body(&id)
        })
    );
    assert_eq!(rule.num_calls(), 3);
}

/// A cancel over HTTP whose every transaction attempt is cancelled for `reasons`; returns the
/// answer and how many attempts were made.
async fn cancel_always_cancelled_for(
    reasons: [&'static str; 2],
) -> (crate::helpers::Received, usize) {
    let rule = mock!(Client::transact_write_items)
        .sequence()
        .error(move || cancelled(reasons.iter().map(|code| reason(code)).collect()))
        .repeatedly()
        .build();
    let app = App::new(
        DynamoDbStore::new(client(&[&rule]), tables()),
        Some(account(ACCOUNT)),
    );
    let body = cancel_body("t", &new_id());
    let answer = call(&app, plain("PUT", "/CancelLifecycleExecution", &body)).await;
    (answer, rule.num_calls())
}

#[tokio::test]
async fn conflicts_past_the_retry_budget_are_resource_in_use() {
    let (answer, attempts) = cancel_always_cancelled_for(["TransactionConflict", "None"]).await;

    answer.assert_error(
        400,
        "ResourceInUseException",
        "Other requests are changing this lifecycle execution right now; retry later.",
    );
    assert_eq!(attempts, MAX_TRANSACTION_ATTEMPTS as usize);
}

#[tokio::test]
async fn throttling_inside_the_transaction_is_retried_then_answered_429() {
    let (answer, attempts) = cancel_always_cancelled_for(["None", "ThrottlingError"]).await;

    answer.assert_error(
        429,
        "CallRateLimitExceededException",
        "The request rate is too high. Retry later with backoff.",
    );
    assert_eq!(attempts, MAX_TRANSACTION_ATTEMPTS as usize);
}

#[tokio::test]
async fn a_transaction_still_in_progress_is_an_unknown_outcome_and_the_retry_replays() {
    let id = new_id();
    let stored = id.clone();
    let in_progress = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::TransactionInProgressException(
            // As the SDK reads it off the wire: the code is in the metadata.
            TransactionInProgressException::builder()
                .meta(
                    aws_sdk_dynamodb::error::ErrorMetadata::builder()
                        .code("TransactionInProgressException")
                        .build(),
                )
                .build(),
        )
    });
    let replayed = mock!(Client::transact_write_items).then_error(move || {
        cancelled(vec![
            stored_token(&stored),
            reason("ConditionalCheckFailed"),
        ])
    });
    let app = App::new(
        DynamoDbStore::new(client(&[&in_progress, &replayed]), tables()),
        Some(account(ACCOUNT)),
    );
    let body = cancel_body("same-token", &id);

    let first = call(&app, plain("PUT", "/CancelLifecycleExecution", &body)).await;
    let retry = call(&app, plain("PUT", "/CancelLifecycleExecution", &body)).await;

    first.assert_error(
        503,
        "ServiceUnavailableException",
        "The service is temporarily unable to process the request. Retry later.",
    );
    retry.assert_success(&id);
}

#[tokio::test]
async fn a_5xx_from_dynamodb_is_unavailable_for_the_cancel_and_for_the_read_alike() {
    let transact = mock!(Client::transact_write_items)
        .sequence()
        .http_status(500, None)
        .build();
    let get = mock!(Client::get_item)
        .sequence()
        .http_status(500, None)
        .build();
    let store = DynamoDbStore::new(client(&[&transact, &get]), tables());
    let id = new_id();

    let cancel = store
        .cancel(&request(ACCOUNT, "t", &id).plan(NOW, TTL_SECS))
        .await;
    let read = store.get_execution(&crate::helpers::id(&id)).await;

    assert!(
        matches!(cancel, Err(StoreError::Unavailable(_))),
        "{cancel:?}"
    );
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
}

#[tokio::test]
async fn a_missing_table_is_a_service_error_for_the_cancel_and_for_the_read_alike() {
    use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
    let transact = mock!(Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::ResourceNotFoundException(
            ResourceNotFoundException::builder().build(),
        )
    });
    let get = mock!(Client::get_item).then_error(|| {
        GetItemError::ResourceNotFoundException(ResourceNotFoundException::builder().build())
    });
    let store = DynamoDbStore::new(client(&[&transact, &get]), tables());
    let id = new_id();

    let cancel = store
        .cancel(&request(ACCOUNT, "t", &id).plan(NOW, TTL_SECS))
        .await;
    let read = store.get_execution(&crate::helpers::id(&id)).await;

    assert!(matches!(cancel, Err(StoreError::Internal(_))), "{cancel:?}");
    assert!(matches!(read, Err(StoreError::Internal(_))), "{read:?}");
}

/// ListLifecycleExecutions while DynamoDB still builds the index (`create-tables` just added it):
/// DynamoDB refuses the Query with a ValidationException; the answer is 503, to retry later, and
/// the cause names the index. A missing index is a 500 whose cause says so.
#[tokio::test]
async fn a_list_while_the_index_is_built_is_unavailable_and_a_missing_index_is_a_service_error() {
    use aws_sdk_dynamodb::operation::query::QueryError;
    use cancel_lifecycle_execution::domain::list::ListRequest;
    let refused = |message: &'static str| {
        mock!(Client::query).then_error(move || {
            QueryError::generic(
                aws_sdk_dynamodb::error::ErrorMetadata::builder()
                    .code("ValidationException")
                    .message(message)
                    .build(),
            )
        })
    };
    let building = refused("Cannot read from backfilling global secondary index: byPolicy");
    let missing = refused("The table does not have the specified index: byPolicy");
    let store = DynamoDbStore::new(client(&[&building, &missing]), tables());
    let request = ListRequest {
        account_id: account(ACCOUNT),
        resource_arn: cancel_lifecycle_execution::domain::ImageBuilderArn::try_from(
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5".to_owned(),
        )
        .unwrap(),
        max_results: 25,
        next_token: None,
    };
    let query = request.query().unwrap().expect("the caller's own policy");

    let while_built = store.list_executions(&query).await;
    let without = store.list_executions(&query).await;

    match while_built {
        Err(StoreError::Unavailable(cause)) => {
            assert!(cause.to_string().contains("index byPolicy"), "{cause}")
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    match without {
        Err(StoreError::Internal(cause)) => {
            assert!(cause.to_string().contains("byPolicy"), "{cause}")
        }
        other => panic!("expected a service error, got {other:?}"),
    }
}
