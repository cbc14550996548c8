//! One contract, two adapters: every scenario runs on the embedded store and on DynamoDB (moto).

mod common;

use cancel_lifecycle_execution::cancel::Refusal;
use cancel_lifecycle_execution::get::ExecutionItem;
use cancel_lifecycle_execution::model::ExecutionStatus;
use cancel_lifecycle_execution::store::{CancelStore, Outcome, StoreError, CANCEL_STATUS_REASON};
use common::{new_id, request, Backend, ACCOUNT, NOW, OTHER_ACCOUNT, TTL_SECS};

fn body(id: &str) -> String {
    format!(r#"{{"lifecycleExecutionId":"{id}"}}"#)
}

async fn cancelling_a_cancellable_execution_moves_it_to_cancelling_and_records_the_token<
    B: Backend,
>(
    backend: B,
) {
    for status in ["PENDING", "IN_PROGRESS"] {
        let id = new_id();
        backend.put_execution(&id, ACCOUNT, status).await;
        let cancel = request(ACCOUNT, &format!("t-{status}"), &id);

        let outcome = backend.store().cancel(&cancel, NOW).await.unwrap();

        assert_eq!(
            outcome,
            Outcome::Cancelled {
                response_body: body(&id)
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
        assert_eq!(token.lifecycle_execution_id, id);
        assert_eq!(token.response_body, body(&id));
        assert_eq!(token.expires_at_epoch_secs, NOW + TTL_SECS);
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
    } = backend.store().cancel(&cancel, NOW).await.unwrap()
    else {
        panic!("the first cancel must succeed");
    };
    // The engine finishes the cancel.
    backend.put_execution(&id, ACCOUNT, "CANCELLED").await;

    let again = backend.store().cancel(&cancel, NOW + 60).await.unwrap();

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
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "shared", &first), NOW)
        .await
        .unwrap();

    let outcome = store
        .cancel(&request(ACCOUNT, "shared", &second), NOW + 1)
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
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "tok", &first), NOW)
        .await
        .unwrap();

    let outcome = store
        .cancel(&request(ACCOUNT, "tok", &finished), NOW)
        .await
        .unwrap();

    assert_eq!(outcome, Outcome::Refused(Refusal::ParameterMismatch));
}

async fn tokens_are_case_sensitive<B: Backend>(backend: B) {
    let (first, second) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&second, ACCOUNT, "PENDING").await;
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "Token", &first), NOW)
        .await
        .unwrap();

    let outcome = store
        .cancel(&request(ACCOUNT, "token", &second), NOW)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: body(&second)
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
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "same", &mine), NOW)
        .await
        .unwrap();

    let outcome = store
        .cancel(&request(OTHER_ACCOUNT, "same", &theirs), NOW)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: body(&theirs)
        }
    );
}

async fn an_expired_token_record_that_is_not_yet_deleted_counts_as_absent<B: Backend>(backend: B) {
    let (first, second) = (new_id(), new_id());
    backend.put_execution(&first, ACCOUNT, "PENDING").await;
    backend.put_execution(&second, ACCOUNT, "PENDING").await;
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "old", &first), NOW)
        .await
        .unwrap();
    // Still live at its expiry second, absent one second later.
    let at_expiry = NOW + TTL_SECS;
    assert_eq!(
        store
            .cancel(&request(ACCOUNT, "old", &second), at_expiry)
            .await
            .unwrap(),
        Outcome::Refused(Refusal::ParameterMismatch)
    );

    let outcome = store
        .cancel(&request(ACCOUNT, "old", &second), at_expiry + 1)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: body(&second)
        }
    );
    let cancel = request(ACCOUNT, "old", &second);
    let token = backend
        .token_record(&cancel.idempotency_key())
        .await
        .unwrap();
    assert_eq!(token.lifecycle_execution_id, second);
    assert_eq!(token.expires_at_epoch_secs, at_expiry + 1 + TTL_SECS);
}

async fn a_refused_request_stores_nothing_and_its_token_stays_free<B: Backend>(backend: B) {
    let (finished, open) = (new_id(), new_id());
    backend.put_execution(&finished, ACCOUNT, "SUCCESS").await;
    backend.put_execution(&open, ACCOUNT, "IN_PROGRESS").await;
    let store = backend.store();
    assert_eq!(
        store
            .cancel(&request(ACCOUNT, "retry-me", &finished), NOW)
            .await
            .unwrap(),
        Outcome::Refused(Refusal::Terminal(ExecutionStatus::Success))
    );
    assert_eq!(backend.token_record_count().await, 0);

    let outcome = store
        .cancel(&request(ACCOUNT, "retry-me", &open), NOW)
        .await
        .unwrap();

    assert_eq!(
        outcome,
        Outcome::Cancelled {
            response_body: body(&open)
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
    let store = backend.store();

    let missing = store
        .cancel(&request(ACCOUNT, "a", &new_id()), NOW)
        .await
        .unwrap();
    let foreign = store
        .cancel(&request(ACCOUNT, "b", &theirs), NOW)
        .await
        .unwrap();

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
    let store = backend.store();
    store
        .cancel(&request(ACCOUNT, "first", &id), NOW)
        .await
        .unwrap();

    let outcome = store
        .cancel(&request(ACCOUNT, "second", &id), NOW)
        .await
        .unwrap();

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

        let outcome = backend
            .store()
            .cancel(&request(ACCOUNT, "t", &id), NOW)
            .await
            .unwrap();

        assert_eq!(outcome, Outcome::Refused(Refusal::Terminal(status)));
        let seen = backend.execution(&id).await.unwrap();
        assert_eq!(
            (seen.status.as_str(), seen.status_reason),
            (status.as_str(), None)
        );
    }
    assert_eq!(backend.token_record_count().await, 0);
}

async fn an_unknown_stored_status_is_an_internal_failure_that_stores_nothing<B: Backend>(
    backend: B,
) {
    let id = new_id();
    backend.put_execution(&id, ACCOUNT, "ARCHIVED").await;

    let outcome = backend
        .store()
        .cancel(&request(ACCOUNT, "t", &id), NOW)
        .await;

    assert!(
        matches!(outcome, Err(StoreError::Internal(_))),
        "{outcome:?}"
    );
    assert_eq!(backend.token_record_count().await, 0);
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
        .get_execution(&common::id(&id))
        .await
        .unwrap();
    let missing = backend
        .store()
        .get_execution(&common::id(&new_id()))
        .await
        .unwrap();

    assert_eq!(
        item,
        Some(ExecutionItem {
            account_id: OTHER_ACCOUNT.to_owned(),
            status: Some("SUCCESS".to_owned()),
            status_reason: Some("Done.".to_owned()),
            lifecycle_policy_arn: Some(arn.to_owned()),
            start_time_epoch_secs: Some(1_700_000_000.0),
            end_time_epoch_secs: Some(1_700_000_600.0),
        })
    );
    assert_eq!(missing, None);
}

macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::common::Embedded::start().await).await;
                }
            )*
        }
        mod dynamodb_on_moto {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::common::Dynamo::start().await).await;
                }
            )*
        }
    };
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
    an_unknown_stored_status_is_an_internal_failure_that_stores_nothing,
    get_returns_the_stored_execution_whoever_owns_it_and_nothing_for_a_missing_one,
);
