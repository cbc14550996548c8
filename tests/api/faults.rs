//! The service in front of a DynamoDB that goes wrong (scripts/fault_dynamodb.py over moto):
//! each fault gives its documented answer within bounds, leaves no partial state, and the next
//! request after it succeeds.

use std::time::{Duration, Instant};

use crate::helpers::fault::FaultyDynamoDb;
use crate::helpers::logs::{capture_on_this_thread, stop_capture, summary_line, Buffer};
use crate::helpers::{
    account, app_with, call, cancel_body, client_for, new_id, plain, Backend, Dynamo, Received,
    ACCOUNT,
};
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::dynamodb::internals::REQUEST_DEADLINE;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore};

const PATH: &str = "/CancelLifecycleExecution";

struct Rig {
    app: App<DynamoDbStore>,
    faulty: FaultyDynamoDb,
    dynamo: Dynamo,
    id: String,
}

/// A cancellable execution on moto, and the service reaching moto through the fault endpoint.
async fn rig() -> Rig {
    let dynamo = Dynamo::start().await;
    let faulty = FaultyDynamoDb::start();
    let client = client_for(&faulty.endpoint);
    let store = DynamoDbStore::new(client, dynamo.tables.clone()).with_endpoint(&faulty.endpoint);
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    Rig {
        app: app_with(store),
        faulty,
        dynamo,
        id,
    }
}

impl Rig {
    async fn cancel(&self) -> Received {
        call(
            &self.app,
            plain("PUT", PATH, &cancel_body("fault-token", &self.id)),
        )
        .await
    }

    /// Under `mode`, the answer is `error`; nothing was written; after the fault, the same
    /// request succeeds and writes exactly one token and one status change. Returns how long
    /// the faulty request took and the `cause` its summary line gave.
    async fn assert_fault(&self, mode: &str, status: u16, error: &str) -> Fault {
        self.faulty.set(mode).await;
        let (answer, fault) =
            observed_cancel(&self.app, &cancel_body("fault-token", &self.id)).await;
        assert!(
            !fault.logs.contains("fault-token"),
            "{mode}: the raw token is logged"
        );
        assert_eq!(answer.status, status, "{mode}: {answer:?}");
        assert_eq!(answer.header("x-amzn-ErrorType"), Some(error), "{mode}");
        assert!(
            !answer.body.contains(&self.dynamo.tables.executions),
            "{mode}: {answer:?}"
        );
        assert!(
            !answer.body.contains(&self.dynamo.tables.idempotency),
            "{mode}: {answer:?}"
        );
        assert!(
            !answer.body.contains("secret-table-name"),
            "{mode}: {answer:?}"
        );
        assert_eq!(
            self.dynamo.token_record_count().await,
            0,
            "{mode}: no token without its change"
        );
        assert_eq!(
            self.dynamo.execution(&self.id).await.unwrap().status,
            "IN_PROGRESS",
            "{mode}"
        );

        self.faulty.set("none").await;
        self.cancel().await.assert_success(&self.id);
        assert_eq!(self.dynamo.token_record_count().await, 1, "{mode}");
        assert_eq!(
            self.dynamo.execution(&self.id).await.unwrap().status,
            "CANCELLING"
        );
        fault
    }
}

/// What a faulty request came to, for the operator.
struct Fault {
    took: Duration,
    cause: String,
    /// Every log line the request wrote.
    logs: String,
}

/// One cancel through `app` with its log captured: the answer, how long it took and the
/// `cause` of its summary line.
async fn observed_cancel<S: CancelStore>(app: &App<S>, body: &str) -> (Received, Fault) {
    let logs = Buffer::default();
    capture_on_this_thread(&logs);
    let started = Instant::now();
    let answer = call(app, plain("PUT", PATH, body)).await;
    let took = started.elapsed();
    stop_capture();
    let cause = summary_line(&logs)["cause"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (
        answer,
        Fault {
            took,
            cause,
            logs: logs.text(),
        },
    )
}

impl Fault {
    /// The cause names every one of `parts`.
    fn names(&self, parts: &[&str]) {
        for part in parts {
            assert!(
                self.cause.contains(part),
                "the cause {:?} does not name {part:?}",
                self.cause
            );
        }
    }
}

#[tokio::test]
async fn throttling_exception_is_call_rate_limit_exceeded() {
    rig()
        .await
        .assert_fault("throttling", 429, "CallRateLimitExceededException")
        .await
        .names(&[
            "TransactWriteItems",
            "ThrottlingException",
            "Rate of requests",
            "DynamoDB request id FAULT",
        ]);
}

#[tokio::test]
async fn provisioned_throughput_exceeded_is_call_rate_limit_exceeded() {
    rig()
        .await
        .assert_fault(
            "provisioned-throughput",
            429,
            "CallRateLimitExceededException",
        )
        .await
        .names(&[
            "TransactWriteItems",
            "ProvisionedThroughputExceededException",
        ]);
}

#[tokio::test]
async fn a_throttling_error_inside_the_transaction_is_call_rate_limit_exceeded() {
    rig()
        .await
        .assert_fault(
            "transaction-throttled",
            429,
            "CallRateLimitExceededException",
        )
        .await
        .names(&["ThrottlingError inside the transaction"]);
}

#[tokio::test]
async fn an_internal_server_error_from_dynamodb_is_service_unavailable() {
    rig()
        .await
        .assert_fault("internal-error", 503, "ServiceUnavailableException")
        .await
        .names(&["TransactWriteItems", "InternalServerError", "HTTP 500"]);
}

#[tokio::test]
async fn a_503_from_dynamodb_is_service_unavailable() {
    rig()
        .await
        .assert_fault("service-unavailable", 503, "ServiceUnavailableException")
        .await
        .names(&["TransactWriteItems", "ServiceUnavailable", "HTTP 503"]);
}

#[tokio::test]
async fn access_denied_is_a_service_exception_that_names_nothing_internal() {
    rig()
        .await
        .assert_fault("access-denied", 500, "ServiceException")
        .await
        .names(&[
            "TransactWriteItems",
            "AccessDeniedException",
            "not authorized",
        ]);
}

#[tokio::test]
async fn a_missing_table_is_a_service_exception_that_names_nothing_internal() {
    rig()
        .await
        .assert_fault("missing-table", 500, "ServiceException")
        .await
        .names(&[
            "TransactWriteItems",
            "ResourceNotFoundException",
            "Requested resource not found",
        ]);
}

#[tokio::test]
async fn a_dynamodb_that_never_answers_gives_503_within_the_cancel_deadline() {
    let rig = rig().await;
    let fault = rig
        .assert_fault("silent", 503, "ServiceUnavailableException")
        .await;

    fault.names(&[
        "TransactWriteItems",
        "no answer from",
        &rig.faulty.endpoint,
        "timed out",
    ]);
    // A bound the service promises (its own deadline), not a speed target.
    assert!(
        fault.took <= REQUEST_DEADLINE + Duration::from_secs(2),
        "took {:?}",
        fault.took
    );
}

#[tokio::test]
async fn a_refused_connection_gives_503_and_the_next_request_succeeds_once_dynamodb_is_back() {
    let dynamo = Dynamo::start().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "PENDING").await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed_port}");
    let down =
        DynamoDbStore::new(client_for(&endpoint), dynamo.tables.clone()).with_endpoint(&endpoint);
    let body = cancel_body("refused", &id);

    let (answer, fault) = observed_cancel(&app_with(down), &body).await;
    let took = fault.took;
    fault.names(&[
        "TransactWriteItems",
        "no answer from",
        &endpoint,
        "connection failed",
    ]);

    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("ServiceUnavailableException")
    );
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    assert_eq!(dynamo.token_record_count().await, 0);
    let up = App::new(
        DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone()),
        Some(account(ACCOUNT)),
    );
    call(&up, plain("PUT", PATH, &body))
        .await
        .assert_success(&id);
}

/// The same failure as DynamoDB's own API gives it (moto, no fault endpoint): tables that do
/// not exist.
#[tokio::test]
async fn a_table_that_does_not_exist_on_dynamodb_is_a_service_exception_whose_cause_names_it() {
    let endpoint = crate::helpers::moto_endpoint();
    let tables = crate::helpers::unique_tables();
    let store = DynamoDbStore::new(client_for(&endpoint), tables.clone()).with_endpoint(&endpoint);
    let app = app_with(store);

    let (answer, fault) = observed_cancel(&app, &cancel_body("t", &new_id())).await;

    answer.assert_error(
        500,
        "ServiceException",
        "The service could not process the request because of an internal error. Retry later.",
    );
    assert!(!answer.body.contains(&tables.executions) && !answer.body.contains("idempotency"));
    fault.names(&[
        "TransactWriteItems",
        &tables.executions,
        "ResourceNotFoundException",
    ]);
}

/// An executions table keyed otherwise (moto's own answer): the cause says so.
#[tokio::test]
async fn an_executions_table_keyed_otherwise_is_a_service_exception_whose_cause_says_so() {
    let dynamo = Dynamo::start().await;
    let mut tables = dynamo.tables.clone();
    tables.executions = format!("{}-keyed-otherwise", tables.executions);
    crate::helpers::create_table_keyed_on_id(&tables.executions).await;
    let store = DynamoDbStore::new(client_for(&crate::helpers::moto_endpoint()), tables);
    let app = app_with(store);

    let (answer, fault) = observed_cancel(&app, &cancel_body("t", &new_id())).await;

    assert_eq!(answer.status, 500, "{answer:?}");
    fault.names(&["TransactWriteItems", "ValidationException"]);
}

/// An execution item near DynamoDB's 400 KB limit: the status change would push it over; the
/// cause names the size, and nothing is written.
#[tokio::test]
async fn an_execution_item_that_the_cancel_would_push_over_the_size_limit_is_named_in_the_cause() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let dynamo = Dynamo::start().await;
    let id = new_id();
    let notes = AttributeValue::S("x".repeat(404_850));
    dynamo
        .put_in_progress_with(&id, ACCOUNT, [("engineNotes", notes)])
        .await;
    let app = App::new(
        DynamoDbStore::new(
            client_for(&crate::helpers::moto_endpoint()),
            dynamo.tables.clone(),
        ),
        Some(account(ACCOUNT)),
    );
    let (answer, fault) = observed_cancel(&app, &cancel_body("big", &id)).await;

    assert_eq!(answer.status, 500, "{answer:?}");
    fault
        // moto answers the call with the error; DynamoDB cancels the transaction with the item's
        // own reason, which `transaction`'s unit tests read.
        .names(&["TransactWriteItems", "ValidationException", "Item size"]);
    assert_eq!(dynamo.token_record_count().await, 0);
}
