//! One contract, two adapters: every scenario runs on the embedded store and on DynamoDB (moto).

use crate::helpers::{
    new_id, request, success_body, Backend, RawExpiry, ACCOUNT, NOW, OTHER_ACCOUNT, TTL_SECS,
};
use cancel_lifecycle_execution::domain::cancel::CANCEL_STATUS_REASON;
use cancel_lifecycle_execution::domain::Execution;
use cancel_lifecycle_execution::domain::Outcome;
use cancel_lifecycle_execution::domain::Refusal;
use cancel_lifecycle_execution::domain::{ExecutionStatus, StoredStatus};
use cancel_lifecycle_execution::store::{CancelStore, StoreError};

async fn cancelling_a_cancellable_execution_moves_it_to_cancelling_and_records_the_token<
    B: Backend,
>(
    backend: B,
) {
    for status in ["PENDING", "IN_PROGRESS"] {
        let id = new_id();
        backend.put_execution(&id, ACCOUNT, status).await;
        let cancel = request(ACCOUNT, &format!("t-{status}"), &id);

        let outcome = backend.cancel_request(&cancel, NOW).await.unwrap();

        assert_eq!(
            outcome,
            Outcome::Cancelled {
                response_body: success_body(&id)
            }
        );
        let seen = backend.execution(&id).await.unwrap();
        assert_eq!(seen.status, "CANCELLING");
        assert_eq!(seen.status_reason.as_deref(), Some(CANCEL_STATUS_REASON));
        assert_eq!(
            seen.cancel_requested_at.as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
        let token = backend
            .token_record(&cancel.idempotency_key())
            .await
            .unwrap();
        assert_eq!(token.lifecycle_execution_id, Some(id.clone()));
        assert_eq!(token.response_body, Some(success_body(&id)));
        assert_eq!(token.expires_at_epoch_secs, Some(NOW + TTL_SECS));
    }
}

async fn a_replay_returns_the_first_body_byte_for_byte_after_the_execution_moved_on<B: Backend>(
    backend: B,
) {
    let id = new_id();
    backend.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let cancel = request(ACCOUNT, "replayed-token", &id);
    let Outcome::Cancelled {
        response_body: first,
    } = backend.cancel_request(&cancel, NOW).await.unwrap()
    else {
        panic!("the first cancel must succeed");
    };
    // The engine finishes the cancel.
    backend.put_execution(&id, ACCOUNT, "CANCELLED").await;

    let again = backend.cancel_request(&cancel, NOW + 60).await.unwrap();

    assert_eq!(
        again,
        Outcome::Replayed {
            response_body: first
        }
    );
    assert_eq!(backend.execution(&id).await.unwrap().status, "CANCELLED");
    assert_eq!(backend.token_record_count().await, 1);
}

async fn a_token_reused_for_another_execution_is_a_mismatch_and_changes_nothing<B: Backend>(
    backend: B,
) {
    let (first, second) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&second, ACCOUNT, "PENDING").await;
    backend.cancel("shared", &first).await.unwrap();

    let outcome = backend
        .cancel_at(ACCOUNT, "shared", &second, NOW + 1)
        .await
        .unwrap();

    assert_eq!(outcome, Outcome::Refused(Refusal::ParameterMismatch));
    assert_eq!(backend.execution(&second).await.unwrap().status, "PENDING");
    assert_eq!(backend.token_record_count().await, 1);
}

async fn a_token_reused_after_a_refusal_of_its_first_execution_is_still_checked<B: Backend>(
    backend: B,
) {
    // The mismatch check holds on the path where both conditions fail at once.
    let (first, finished) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&finished, ACCOUNT, "SUCCESS").await;
    backend.cancel("tok", &first).await.unwrap();

    let outcome = backend.cancel("tok", &finished).await.unwrap();

    assert_eq!(outcome, Outcome::Refused(Refusal::ParameterMismatch));
}

async fn tokens_are_case_sensitive<B: Backend>(backend: B) {
    let (first, second) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&second, ACCOUNT, "PENDING").await;
    backend.cancel("Token", &first).await.unwrap();

    let outcome = backend.cancel("token", &second).await.unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: success_body(&second)
        }
    );
    assert_eq!(backend.token_record_count().await, 2);
}

async fn the_same_token_in_two_accounts_never_collides<B: Backend>(backend: B) {
    let (mine, theirs) = (new_id(), new_id());
    backend.put_execution(&mine, ACCOUNT, "PENDING").await;
    backend
        .put_execution(&theirs, OTHER_ACCOUNT, "PENDING")
        .await;
    backend.cancel("same", &mine).await.unwrap();

    let outcome = backend
        .cancel_at(OTHER_ACCOUNT, "same", &theirs, NOW)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: success_body(&theirs)
        }
    );
}

async fn an_expired_token_record_that_is_not_yet_deleted_counts_as_absent<B: Backend>(backend: B) {
    let (first, second) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&second, ACCOUNT, "PENDING").await;
    backend.cancel("old", &first).await.unwrap();
    // Still live at its expiry second, absent one second later.
    let at_expiry = NOW + TTL_SECS;
    assert_eq!(
        backend
            .cancel_at(ACCOUNT, "old", &second, at_expiry)
            .await
            .unwrap(),
        Outcome::Refused(Refusal::ParameterMismatch)
    );

    let outcome = backend
        .cancel_at(ACCOUNT, "old", &second, at_expiry + 1)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: success_body(&second)
        }
    );
    let cancel = request(ACCOUNT, "old", &second);
    let token = backend
        .token_record(&cancel.idempotency_key())
        .await
        .unwrap();
    assert_eq!(token.lifecycle_execution_id, Some(second));
    assert_eq!(token.expires_at_epoch_secs, Some(at_expiry + 1 + TTL_SECS));
}

async fn a_refused_request_stores_nothing_and_its_token_stays_free<B: Backend>(backend: B) {
    let (finished, open) = (new_id(), new_id());
    backend.put_execution(&finished, ACCOUNT, "SUCCESS").await;
    backend.put_execution(&open, ACCOUNT, "IN_PROGRESS").await;
    assert_eq!(
        backend.cancel("retry-me", &finished).await.unwrap(),
        Outcome::Refused(Refusal::Terminal(ExecutionStatus::Success))
    );
    assert_eq!(backend.token_record_count().await, 0);

    let outcome = backend.cancel("retry-me", &open).await.unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: success_body(&open)
        }
    );
}

async fn a_missing_execution_and_another_accounts_execution_are_both_not_found<B: Backend>(
    backend: B,
) {
    let theirs = new_id();
    backend
        .put_execution(&theirs, OTHER_ACCOUNT, "IN_PROGRESS")
        .await;

    let missing = backend.cancel("a", &new_id()).await.unwrap();
    let foreign = backend.cancel("b", &theirs).await.unwrap();

    assert_eq!(missing, Outcome::Refused(Refusal::NotFound));
    assert_eq!(foreign, Outcome::Refused(Refusal::NotFound));
    assert_eq!(
        backend.execution(&theirs).await.unwrap().status,
        "IN_PROGRESS"
    );
    assert_eq!(backend.token_record_count().await, 0);
}

async fn a_cancelling_execution_is_in_use<B: Backend>(backend: B) {
    let id = new_id();
    backend.put_execution(&id, ACCOUNT, "PENDING").await;
    backend.cancel("first", &id).await.unwrap();

    let outcome = backend.cancel("second", &id).await.unwrap();

    assert_eq!(outcome, Outcome::Refused(Refusal::InUse));
    assert_eq!(backend.token_record_count().await, 1);
}

async fn finished_executions_are_refused_with_their_status_and_left_alone<B: Backend>(backend: B) {
    for status in [
        ExecutionStatus::Cancelled,
        ExecutionStatus::Success,
        ExecutionStatus::Failed,
    ] {
        let id = new_id();
        backend.put_execution(&id, ACCOUNT, status.as_str()).await;

        let outcome = backend.cancel("t", &id).await.unwrap();

        assert_eq!(outcome, Outcome::Refused(Refusal::Terminal(status)));
        let seen = backend.execution(&id).await.unwrap();
        assert_eq!(
            (seen.status.as_str(), seen.status_reason),
            (status.as_str(), None)
        );
    }
    assert_eq!(backend.token_record_count().await, 0);
}

fn damaged_statuses() -> [Option<StoredStatus>; 3] {
    [
        None,
        Some(StoredStatus::NotAString),
        Some(StoredStatus::Unknown("ARCHIVED".to_owned())),
    ]
}

async fn the_callers_own_item_without_a_known_status_is_corrupt_data_that_stores_nothing<
    B: Backend,
>(
    backend: B,
) {
    for status in damaged_statuses() {
        let id = new_id();
        backend
            .put_item_as_found(&id, Some(ACCOUNT), status.clone())
            .await;

        let outcome = backend.cancel("t", &id).await;

        assert!(
            matches!(outcome, Err(StoreError::CorruptExecution(_))),
            "{status:?}: {outcome:?}"
        );
    }
    assert_eq!(backend.token_record_count().await, 0);
}

async fn another_accounts_damaged_item_reads_as_not_found<B: Backend>(backend: B) {
    for (owner, status) in damaged_statuses()
        .into_iter()
        .map(|status| (Some(OTHER_ACCOUNT), status))
        .chain([(None, Some(StoredStatus::from_text("PENDING")))])
    {
        let id = new_id();
        backend.put_item_as_found(&id, owner, status.clone()).await;

        let outcome = backend.cancel("t", &id).await;

        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Ok(Outcome::Refused(Refusal::NotFound)),
            "{owner:?} {status:?}"
        );
    }
    assert_eq!(backend.token_record_count().await, 0);
}

async fn a_live_token_decides_alone_whatever_the_execution_item_holds_now<B: Backend>(backend: B) {
    for status in damaged_statuses() {
        let (id, other) = (new_id(), new_id());
        backend.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
        backend.put_execution(&other, ACCOUNT, "PENDING").await;
        let token = format!("t-{}", &id[4..12]);
        backend
            .cancel(&token, &id)
            .await
            .expect("the first cancel succeeds");
        // The item is damaged afterwards; the token still decides.
        backend
            .put_item_as_found(&id, Some(ACCOUNT), status.clone())
            .await;

        let replay = backend.cancel_at(ACCOUNT, &token, &id, NOW + 1).await;
        let mismatch = backend.cancel_at(ACCOUNT, &token, &other, NOW + 1).await;

        assert_eq!(
            replay.map_err(|e| e.to_string()),
            Ok(Outcome::Replayed {
                response_body: success_body(&id)
            }),
            "{status:?}"
        );
        assert_eq!(
            mismatch.map_err(|e| e.to_string()),
            Ok(Outcome::Refused(Refusal::ParameterMismatch)),
            "{status:?}"
        );
        assert_eq!(backend.execution(&other).await.unwrap().status, "PENDING");
    }
}

/// DynamoDB only: the embedded store's records are typed and cannot hold such an expiry.
#[tokio::test]
async fn on_dynamodb_a_token_record_whose_expiry_is_not_a_readable_number_counts_as_expired() {
    let backend = crate::helpers::Dynamo::start().await;
    for (n, expiry) in [RawExpiry::Text("tomorrow"), RawExpiry::Number("1e30")]
        .into_iter()
        .enumerate()
    {
        let (old, id) = (new_id(), new_id());
        backend.put_execution(&id, ACCOUNT, "PENDING").await;
        let token = format!("damaged-{n}");
        let cancel = request(ACCOUNT, &token, &id);
        backend
            .put_token_record(&cancel.idempotency_key(), &old, expiry)
            .await;

        let outcome = backend.cancel_request(&cancel, NOW).await;

        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Ok(Outcome::Cancelled {
                response_body: success_body(&id)
            }),
            "{expiry:?}"
        );
        let record = backend
            .token_record(&cancel.idempotency_key())
            .await
            .unwrap();
        assert_eq!(record.lifecycle_execution_id, Some(id));
        assert_eq!(record.expires_at_epoch_secs, Some(NOW + TTL_SECS));
    }
}

async fn get_returns_the_stored_execution_whoever_owns_it_and_nothing_for_a_missing_one<
    B: Backend,
>(
    backend: B,
) {
    let id = new_id();
    let arn = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";
    backend
        .put_finished_execution(&id, OTHER_ACCOUNT, arn, 1_700_000_000, 1_700_000_600)
        .await;

    let item = backend
        .store()
        .get_execution(&crate::helpers::id(&id))
        .await
        .unwrap();
    let missing = backend
        .store()
        .get_execution(&crate::helpers::id(&new_id()))
        .await
        .unwrap();

    assert_eq!(
        item,
        Some(Execution {
            owner: Some(crate::helpers::account(OTHER_ACCOUNT)),
            status: Some(StoredStatus::Known(ExecutionStatus::Success)),
            status_reason: Some("Done.".to_owned()),
            lifecycle_policy_arn: Some(arn.to_owned()),
            start_time_epoch_secs: Some(1_700_000_000.0),
            end_time_epoch_secs: Some(1_700_000_600.0),
            cancel_requested_at: None,
            has_impacted_resources: Some(true),
        })
    );
    assert_eq!(missing, None);
}

async fn get_returns_a_damaged_item_as_found<B: Backend>(backend: B) {
    for status in damaged_statuses() {
        let id = new_id();
        backend
            .put_item_as_found(&id, Some(ACCOUNT), status.clone())
            .await;

        let item = backend
            .store()
            .get_execution(&crate::helpers::id(&id))
            .await
            .unwrap()
            .expect("the item is there");

        assert_eq!(item.status, status);
        assert_eq!(item.owner, Some(crate::helpers::account(ACCOUNT)));
    }
}

contract!(
    cancelling_a_cancellable_execution_moves_it_to_cancelling_and_records_the_token,
    a_replay_returns_the_first_body_byte_for_byte_after_the_execution_moved_on,
    a_token_reused_for_another_execution_is_a_mismatch_and_changes_nothing,
    a_token_reused_after_a_refusal_of_its_first_execution_is_still_checked,
    tokens_are_case_sensitive,
    the_same_token_in_two_accounts_never_collides,
    an_expired_token_record_that_is_not_yet_deleted_counts_as_absent,
    a_refused_request_stores_nothing_and_its_token_stays_free,
    a_missing_execution_and_another_accounts_execution_are_both_not_found,
    a_cancelling_execution_is_in_use,
    finished_executions_are_refused_with_their_status_and_left_alone,
    the_callers_own_item_without_a_known_status_is_corrupt_data_that_stores_nothing,
    another_accounts_damaged_item_reads_as_not_found,
    a_live_token_decides_alone_whatever_the_execution_item_holds_now,
    get_returns_the_stored_execution_whoever_owns_it_and_nothing_for_a_missing_one,
    get_returns_a_damaged_item_as_found,
    the_largest_allowed_token_lifetime_replays,
);

/// DynamoDB only (the embedded store's records are typed): a live record whose members are
/// missing or of another type, written as damaged or foreign data might be.
async fn put_damaged_token(
    dynamo: &crate::helpers::Dynamo,
    key: &str,
    execution_id: Option<aws_sdk_dynamodb::types::AttributeValue>,
    response_body: Option<aws_sdk_dynamodb::types::AttributeValue>,
) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let mut item = std::collections::HashMap::from([
        (
            "idempotencyKey".to_owned(),
            AttributeValue::S(key.to_owned()),
        ),
        ("createdAt".to_owned(), AttributeValue::N(NOW.to_string())),
        (
            "expiresAt".to_owned(),
            AttributeValue::N((NOW + TTL_SECS).to_string()),
        ),
    ]);
    if let Some(id) = execution_id {
        item.insert("lifecycleExecutionId".to_owned(), id);
    }
    if let Some(body) = response_body {
        item.insert("responseBody".to_owned(), body);
    }
    dynamo.put_item(&dynamo.tables.idempotency, item).await;
}

#[tokio::test]
async fn on_dynamodb_a_live_record_without_a_string_body_replays_the_canonical_body_or_is_a_mismatch(
) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let dynamo = crate::helpers::Dynamo::start().await;
    for (n, damaged_body) in [None, Some(AttributeValue::N("7".to_owned()))]
        .into_iter()
        .enumerate()
    {
        let (id, other) = (new_id(), new_id());
        dynamo.put_execution(&id, ACCOUNT, "CANCELLED").await;
        dynamo.put_execution(&other, ACCOUNT, "PENDING").await;
        let token = format!("no-body-{n}");
        let cancel = request(ACCOUNT, &token, &id);
        put_damaged_token(
            &dynamo,
            &cancel.idempotency_key(),
            Some(AttributeValue::S(id.clone())),
            damaged_body,
        )
        .await;

        let same = dynamo.cancel_request(&cancel, NOW).await;
        let another = dynamo.cancel(&token, &other).await;

        assert_eq!(
            same.map_err(|e| e.to_string()),
            Ok(Outcome::Replayed {
                response_body: success_body(&id)
            })
        );
        assert_eq!(
            another.map_err(|e| e.to_string()),
            Ok(Outcome::Refused(Refusal::ParameterMismatch))
        );
        assert_eq!(dynamo.execution(&other).await.unwrap().status, "PENDING");
    }
}

#[tokio::test]
async fn on_dynamodb_a_record_without_a_string_execution_id_counts_as_absent() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let dynamo = crate::helpers::Dynamo::start().await;
    for (n, damaged_id) in [None, Some(AttributeValue::N("1".to_owned()))]
        .into_iter()
        .enumerate()
    {
        let id = new_id();
        dynamo.put_execution(&id, ACCOUNT, "PENDING").await;
        let cancel = request(ACCOUNT, &format!("no-id-{n}"), &id);
        put_damaged_token(&dynamo, &cancel.idempotency_key(), damaged_id, None).await;

        let outcome = dynamo.cancel_request(&cancel, NOW).await;

        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Ok(Outcome::Cancelled {
                response_body: success_body(&id)
            })
        );
        assert_eq!(dynamo.execution(&id).await.unwrap().status, "CANCELLING");
    }
}

/// The largest token lifetime the settings allow still replays, on both stores alike.
async fn the_largest_allowed_token_lifetime_replays<B: Backend>(backend: B) {
    let ttl = cancel_lifecycle_execution::config::MAX_TTL_SECS;
    let id = new_id();
    backend.put_execution(&id, ACCOUNT, "PENDING").await;
    let cancel = request(ACCOUNT, "longest", &id);
    let first = backend.store().cancel(&cancel.plan(NOW, ttl)).await;
    let again = backend.store().cancel(&cancel.plan(NOW + 1, ttl)).await;
    assert_eq!(
        first.map_err(|e| e.to_string()),
        Ok(Outcome::Cancelled {
            response_body: success_body(&id)
        })
    );
    assert_eq!(
        again.map_err(|e| e.to_string()),
        Ok(Outcome::Replayed {
            response_body: success_body(&id)
        })
    );
}
