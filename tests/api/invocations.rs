//! Each invocation on its own: its DynamoDB calls carry its own trace header (or none), and its
//! deadline bounds its DynamoDB time so that Lambda never stops a request mid-transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::LifecycleExecutionId;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore};
use cancel_lifecycle_execution::telemetry::request_scope::{self, RequestScope};
use lambda_http::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::fault::FaultyDynamoDb;
use crate::helpers::logs::{capture_on_this_thread, stop_capture, summary_line, Buffer};
use crate::helpers::{
    app_with, call_event_as, cancel_body, client_for, new_id, rest_v1_event, Backend, Dynamo,
    ACCOUNT,
};

/// A DynamoDB stand-in that answers every GetItem with no item and records, per execution id
/// asked for, the trace header the request carried.
async fn recording_dynamodb() -> (String, Arc<Mutex<HashMap<String, Option<String>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0_u8; 8192];
                // Read the head and a body that holds the id (a GetItem is a few hundred bytes).
                while !String::from_utf8_lossy(&request).contains("\"}}") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request).to_string();
                let trace = text.lines().find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("x-amzn-trace-id")
                        .then(|| value.trim().to_owned())
                });
                let id = text
                    .split("lce-")
                    .nth(1)
                    .map(|rest| format!("lce-{}", &rest[..36]))
                    .unwrap_or_default();
                record.lock().unwrap().insert(id, trace);
                let body = "{}";
                // One request per connection, and said so: a client that kept the connection
                // would send its next call into a closed socket and retry it (two calls).
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                     connection: close\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (endpoint, seen)
}

/// Sets a trace header on every request before the service's own interceptor runs, as the
/// SDK's recursion detection does from a process environment left over from another
/// invocation.
#[derive(Debug)]
struct StaleTrace;

const STALE: &str = "Root=1-00000000-stale0000000000000000000";

impl aws_sdk_dynamodb::config::Intercept for StaleTrace {
    fn name(&self) -> &'static str {
        "StaleTrace"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut<
            '_,
        >,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("x-amzn-trace-id", STALE);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_dynamodb_call_carries_its_own_invocations_trace_header_or_none() {
    let (endpoint, seen) = recording_dynamodb().await;
    let client = cancel_lifecycle_execution::store::dynamodb::internals::client_from(
        crate::helpers::test_config(&endpoint).interceptor(StaleTrace),
    );
    let store = Arc::new(DynamoDbStore::new(
        client,
        TableNames {
            executions: "executions".into(),
            idempotency: "tokens".into(),
        },
    ));
    let mut expected = HashMap::new();
    let mut invocations = Vec::new();
    for n in 0..40 {
        let id = new_id();
        let trace = (n % 4 != 0).then(|| format!("Root=1-65540000-{n:024x}"));
        expected.insert(id.clone(), trace.clone());
        let store = Arc::clone(&store);
        invocations.push(tokio::spawn(async move {
            let id = LifecycleExecutionId::try_from(id).unwrap();
            let scope = RequestScope::new(trace, None);
            request_scope::within(scope, store.get_execution(&id)).await
        }));
    }
    for invocation in invocations {
        let (found, calls) = invocation.await.unwrap();
        assert_eq!(found.map_err(|e| e.to_string()), Ok(None));
        assert_eq!(calls, 1);
    }
    let outside = LifecycleExecutionId::try_from(new_id()).unwrap();
    store.get_execution(&outside).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    for (id, trace) in &expected {
        assert_eq!(
            seen.get(id),
            Some(trace),
            "{id}: its own trace header, or none"
        );
    }
    assert_eq!(
        seen.get(outside.as_str()),
        Some(&None),
        "outside an invocation: none"
    );
}

/// An invocation of Lambda's whose deadline is `from_now` away (negative: already past).
fn invocation_due_in(from_now_ms: i64) -> Context {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut context = Context::default();
    context.request_id = "deadline-invocation".to_owned();
    context.deadline = u64::try_from(now_ms + from_now_ms).unwrap();
    context
}

#[tokio::test]
async fn a_deadline_already_past_answers_503_without_a_dynamodb_call() {
    let dynamo = Dynamo::start().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let app = app_with(DynamoDbStore::new(
        dynamo.store.client().clone(),
        dynamo.tables.clone(),
    ));
    let event = rest_v1_event("PUT", &cancel_body("late", &id), Some(ACCOUNT));
    let logs = Buffer::default();
    capture_on_this_thread(&logs);

    let answer = call_event_as(&app, &event, invocation_due_in(-5_000)).await;
    stop_capture();

    assert_eq!(answer.status, 503, "{answer:?}");
    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("ServiceUnavailableException")
    );
    let line = summary_line(&logs);
    assert_eq!(line["dynamodb_calls"], 0, "{line}");
    assert!(
        line["cause"].as_str().unwrap().contains("deadline"),
        "{line}"
    );
    assert_eq!(dynamo.execution(&id).await.unwrap().status, "IN_PROGRESS");
}

#[tokio::test]
async fn a_near_deadline_bounds_dynamodb_time_and_the_retry_finds_the_true_answer() {
    let dynamo = Dynamo::start().await;
    let faulty = FaultyDynamoDb::start();
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let app = app_with(DynamoDbStore::new(
        client_for(&faulty.endpoint),
        dynamo.tables.clone(),
    ));
    let event = rest_v1_event("PUT", &cancel_body("near", &id), Some(ACCOUNT));

    // DynamoDB answers after 1 s; 300 ms leave no DynamoDB time at all, 1,200 ms leave 700.
    faulty.set("slow").await;
    for due_in in [300, 1_200] {
        let started = Instant::now();
        let answer = call_event_as(&app, &event, invocation_due_in(due_in)).await;
        assert_eq!(answer.status, 503, "{due_in} ms: {answer:?}");
        assert!(
            started.elapsed() < Duration::from_millis(due_in as u64),
            "{due_in} ms: answered after {:?}, past the deadline",
            started.elapsed()
        );
    }
    // The transaction abandoned at its bound still reaches DynamoDB: the retry must find it.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    faulty.set("none").await;

    let retry = call_event_as(&app, &event, invocation_due_in(10_000)).await;

    retry.assert_success(&id);
    assert_eq!(dynamo.execution(&id).await.unwrap().status, "CANCELLING");
}

#[tokio::test]
async fn every_line_an_invocation_writes_carries_its_function_request_id() {
    use cancel_lifecycle_execution::domain::{Execution, ExecutionStatus};
    use cancel_lifecycle_execution::store::EmbeddedStore;
    let store = EmbeddedStore::new();
    let id = new_id();
    // A start time in milliseconds: GetLifecycleExecution logs it as damaged data.
    store.put_execution(
        &id,
        Execution {
            start_time_epoch_secs: Some(1_764_460_800_000.0),
            ..Execution::new(crate::helpers::account(ACCOUNT), ExecutionStatus::Pending)
        },
    );
    let app = app_with(store);
    let mut event = rest_v1_event("GET", "", Some(ACCOUNT));
    event["path"] = "/GetLifecycleExecution".into();
    event["resource"] = "/GetLifecycleExecution".into();
    event["queryStringParameters"] = serde_json::json!({ "lifecycleExecutionId": id });
    let mut context = invocation_due_in(10_000);
    context.request_id = "invocation-with-lines".to_owned();
    let logs = Buffer::default();
    capture_on_this_thread(&logs);

    let answer = call_event_as(&app, &event, context).await;
    stop_capture();

    assert_eq!(answer.status, 200, "{answer:?}");
    let lines = logs.json_lines();
    assert!(
        lines.len() >= 2,
        "a damaged-data line and the summary: {lines:?}"
    );
    for line in &lines {
        assert_eq!(
            line["function_request_id"], "invocation-with-lines",
            "{line}"
        );
    }
    assert!(lines.iter().any(|l| l["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("damaged data"))));
}
