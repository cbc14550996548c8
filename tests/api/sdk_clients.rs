//! aws-sdk-imagebuilder against the local endpoint on moto: every documented outcome arrives as
//! the modeled error variant, with its message and a request id.

use crate::helpers::fault::FaultyDynamoDb;
use crate::helpers::server::serve;
use crate::helpers::{client_for, new_id, spawn_app, Backend, Dynamo, ACCOUNT};
use aws_sdk_imagebuilder::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_imagebuilder::operation::cancel_lifecycle_execution::{
    CancelLifecycleExecutionError, CancelLifecycleExecutionOutput,
};
use aws_sdk_imagebuilder::operation::RequestId;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::DynamoDbStore;

type Outcome = Result<CancelLifecycleExecutionOutput, SdkError<CancelLifecycleExecutionError>>;
type IsVariant = fn(&CancelLifecycleExecutionError) -> bool;

/// An Image Builder client for `url`, without retries: each call is one request.
fn imagebuilder(url: &str) -> aws_sdk_imagebuilder::Client {
    let config = aws_sdk_imagebuilder::Config::builder()
        .behavior_version(aws_sdk_imagebuilder::config::BehaviorVersion::latest())
        .region(aws_sdk_imagebuilder::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_imagebuilder::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "tests",
        ))
        .endpoint_url(url)
        .retry_config(aws_sdk_imagebuilder::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_imagebuilder::Client::from_conf(config)
}

async fn cancel(url: &str, token: Option<&str>, id: &str) -> Outcome {
    imagebuilder(url)
        .cancel_lifecycle_execution()
        .set_client_token(token.map(str::to_owned))
        .lifecycle_execution_id(id)
        .send()
        .await
}

/// The service on moto, as `cargo run` with tables would run it.
async fn service_on_moto() -> (String, Dynamo) {
    let dynamo = Dynamo::start().await;
    let store = DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());
    (spawn_app(store).await, dynamo)
}

/// The modeled error of a failed call, with its message and request id checked.
fn modeled_error(outcome: Outcome) -> CancelLifecycleExecutionError {
    let error = match outcome {
        Ok(output) => panic!("expected an error, got {output:?}"),
        Err(error) => error.into_service_error(),
    };
    assert!(error.message().is_some_and(|m| !m.is_empty()), "{error:?}");
    assert!(
        error.request_id().is_some_and(|id| !id.is_empty()),
        "{error:?}"
    );
    error
}

#[tokio::test]
async fn a_cancel_returns_the_id_and_the_request_id() {
    let (url, dynamo) = service_on_moto().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;

    let output = cancel(&url, Some("sdk-1"), &id)
        .await
        .expect("the cancel succeeds");

    assert_eq!(output.lifecycle_execution_id(), Some(id.as_str()));
    assert!(output.request_id().is_some_and(|r| !r.is_empty()));
    assert_eq!(dynamo.execution(&id).await.unwrap().status, "CANCELLING");
}

#[tokio::test]
async fn an_omitted_client_token_is_filled_in_by_the_sdk_and_recorded() {
    let (url, dynamo) = service_on_moto().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "PENDING").await;

    let output = cancel(&url, None, &id).await.expect("the cancel succeeds");

    assert_eq!(output.lifecycle_execution_id(), Some(id.as_str()));
    let tokens = dynamo.token_items().await;
    assert_eq!(tokens.len(), 1);
    let key = crate::helpers::get_s(&tokens[0], "idempotencyKey").unwrap();
    let token = key.rsplit('#').next().unwrap();
    assert_eq!(token.len(), 36, "the SDK's token is a UUID: {key}");
}

#[tokio::test]
async fn refusals_arrive_as_their_modeled_errors() {
    let (url, dynamo) = service_on_moto().await;
    let (open, busy, done) = (new_id(), new_id(), new_id());
    dynamo.put_execution(&open, ACCOUNT, "PENDING").await;
    dynamo.put_execution(&busy, ACCOUNT, "CANCELLING").await;
    dynamo.put_execution(&done, ACCOUNT, "FAILED").await;
    cancel(&url, Some("used"), &open)
        .await
        .expect("the first cancel succeeds");

    let missing = modeled_error(cancel(&url, Some("a"), &new_id()).await);
    assert!(missing.is_client_exception(), "{missing:?}");
    assert!(missing.message().unwrap().contains("was not found"));

    let invalid = modeled_error(cancel(&url, Some("b"), "lce-123").await);
    assert!(invalid.is_client_exception(), "{invalid:?}");
    assert!(invalid
        .message()
        .unwrap()
        .starts_with("lifecycleExecutionId must match"));

    let in_use = modeled_error(cancel(&url, Some("c"), &busy).await);
    assert!(in_use.is_resource_in_use_exception(), "{in_use:?}");

    let mismatch = modeled_error(cancel(&url, Some("used"), &busy).await);
    assert!(
        mismatch.is_idempotent_parameter_mismatch_exception(),
        "{mismatch:?}"
    );

    let finished = modeled_error(cancel(&url, Some("d"), &done).await);
    assert!(finished.is_invalid_request_exception(), "{finished:?}");
    assert!(finished.message().unwrap().contains("status FAILED"));
}

#[tokio::test]
async fn a_caller_without_identity_or_default_account_gets_forbidden() {
    let dynamo = Dynamo::start().await;
    let store = DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());
    let url = serve(App::new(store, None)).await;

    let error = modeled_error(cancel(&url, Some("t"), &new_id()).await);

    assert!(error.is_forbidden_exception(), "{error:?}");
}

/// The service in front of the fault endpoint in front of moto.
async fn service_on_faulty_dynamodb() -> (String, FaultyDynamoDb, Dynamo) {
    let dynamo = Dynamo::start().await;
    let faulty = FaultyDynamoDb::start();
    let client = client_for(&faulty.endpoint);
    let store = DynamoDbStore::new(client, dynamo.tables.clone());
    (spawn_app(store).await, faulty, dynamo)
}

#[tokio::test]
async fn database_failures_arrive_as_their_modeled_errors() {
    let (url, faulty, dynamo) = service_on_faulty_dynamodb().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let cases: [(&str, IsVariant); 3] = [
        (
            "throttling",
            CancelLifecycleExecutionError::is_call_rate_limit_exceeded_exception,
        ),
        (
            "internal-error",
            CancelLifecycleExecutionError::is_service_unavailable_exception,
        ),
        (
            "access-denied",
            CancelLifecycleExecutionError::is_service_exception,
        ),
    ];
    for (mode, is_expected) in cases {
        faulty.set(mode).await;

        let error = modeled_error(cancel(&url, Some("t"), &id).await);

        assert!(is_expected(&error), "{mode}: {error:?}");
        assert!(
            !error.message().unwrap().contains("secret-table-name"),
            "{mode}: {error:?}"
        );
    }
    faulty.set("none").await;
    cancel(&url, Some("t"), &id)
        .await
        .expect("the cancel succeeds once the fault ends");
}

#[tokio::test]
async fn get_lifecycle_execution_shows_the_status_before_and_after_a_cancel() {
    use aws_sdk_imagebuilder::types::LifecycleExecutionStatus;
    let (url, dynamo) = service_on_moto().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let client = imagebuilder(&url);
    let get = |id: String| {
        client
            .get_lifecycle_execution()
            .lifecycle_execution_id(id)
            .send()
    };

    let before = get(id.clone()).await.expect("get succeeds");
    cancel(&url, Some("then-get"), &id)
        .await
        .expect("cancel succeeds");
    let after = get(id.clone()).await.expect("get succeeds");

    let execution = before.lifecycle_execution().expect("an execution");
    assert_eq!(execution.lifecycle_execution_id(), Some(id.as_str()));
    let state = execution.state().expect("a state");
    assert_eq!(state.status(), Some(&LifecycleExecutionStatus::InProgress));
    assert!(before.request_id().is_some());
    let state = after
        .lifecycle_execution()
        .and_then(|e| e.state())
        .expect("a state");
    assert_eq!(state.status(), Some(&LifecycleExecutionStatus::Cancelling));
    assert_eq!(
        state.reason(),
        Some("Cancellation requested by CancelLifecycleExecution.")
    );

    let missing = get(new_id())
        .await
        .expect_err("an unknown id is refused")
        .into_service_error();
    assert!(missing.is_client_exception(), "{missing:?}");
    assert!(missing.request_id().is_some());
}

#[tokio::test]
async fn get_lifecycle_execution_reads_the_engines_policy_and_timestamps() {
    let (url, dynamo) = service_on_moto().await;
    let id = new_id();
    let arn = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";
    dynamo
        .put_finished_execution(&id, ACCOUNT, arn, 1_700_000_000, 1_700_000_600)
        .await;

    let output = imagebuilder(&url)
        .get_lifecycle_execution()
        .lifecycle_execution_id(&id)
        .send()
        .await
        .expect("get succeeds");

    let execution = output.lifecycle_execution().expect("an execution");
    assert_eq!(execution.lifecycle_policy_arn(), Some(arn));
    assert_eq!(
        execution.start_time().map(|t| t.secs()),
        Some(1_700_000_000)
    );
    assert_eq!(execution.end_time().map(|t| t.secs()), Some(1_700_000_600));
}

#[tokio::test]
async fn the_rust_sdk_lists_pages_to_the_end_cancels_one_and_sees_it_cancelling() {
    let (url, dynamo) = service_on_moto().await;
    let policy = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";
    let mut seeded = Vec::new();
    for n in 0..5 {
        let id = new_id();
        let start = (1_700_000_000 + 60 * n).to_string();
        dynamo
            .put_policy_execution(&id, ACCOUNT, policy, &start, "IN_PROGRESS")
            .await;
        seeded.push(id);
    }
    seeded.reverse();
    let client = imagebuilder(&url);

    let listed: Vec<String> = client
        .list_lifecycle_executions()
        .resource_arn(policy)
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("every page")
        .into_iter()
        .map(|e| e.lifecycle_execution_id().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(listed, seeded);

    client
        .cancel_lifecycle_execution()
        .lifecycle_execution_id(&listed[0])
        .send()
        .await
        .expect("cancelled");
    let seen = client
        .get_lifecycle_execution()
        .lifecycle_execution_id(&listed[0])
        .send()
        .await
        .expect("read");
    let status = seen
        .lifecycle_execution()
        .and_then(|e| e.state())
        .and_then(|s| s.status())
        .map(|s| s.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("CANCELLING"));

    let forged = client
        .list_lifecycle_executions()
        .resource_arn(policy)
        .next_token("forged")
        .send()
        .await;
    assert!(
        matches!(
            forged.map_err(|e| e.into_service_error()),
            Err(aws_sdk_imagebuilder::operation::list_lifecycle_executions::ListLifecycleExecutionsError::InvalidPaginationTokenException(_))
        ),
        "a forged token is the modeled InvalidPaginationTokenException"
    );
}
