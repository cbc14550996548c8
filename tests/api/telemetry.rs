//! The request summary log line and the EMF metrics document, parsed and checked for a
//! success, a replay, a 400 and a 503.

use std::sync::Arc;

use crate::helpers::logs::{capture_on_this_thread, stop_capture, summary_line, Buffer};
use crate::helpers::{
    app_with, cancel_body, client_for, new_id, plain, unique_tables, Backend, Dynamo, ACCOUNT,
};
use cancel_lifecycle_execution::config::Dimension;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore};
use cancel_lifecycle_execution::telemetry::{token_digest, Metrics, MetricsSink};
use serde_json::Value;

const PATH: &str = "/CancelLifecycleExecution";
const TOKEN: &str = "Secret-Token-42";

/// Runs one request with JSON logs captured; returns (status, summary line, EMF document, all logs).
async fn observe<S: CancelStore>(store: S, body: String) -> (u16, Value, Value, String) {
    observe_request(store, plain("PUT", PATH, &body)).await
}

/// [`observe`] for any request.
async fn observe_request<S: CancelStore>(
    store: S,
    request: http::Request<http_body_util::Full<bytes::Bytes>>,
) -> (u16, Value, Value, String) {
    let logs = Buffer::default();
    let metrics = Buffer::default();
    capture_on_this_thread(&logs);
    let app = app_with(store).with_metrics(Metrics::new(
        "Test/Cancel".to_owned(),
        Dimension::DEFAULT.to_vec(),
        None,
        MetricsSink::Buffer(Arc::clone(&metrics.0)),
    ));

    let response = crate::helpers::call(&app, request).await;
    stop_capture();

    let summary = summary_line(&logs);
    let documents = metrics.json_lines();
    assert_eq!(documents.len(), 1, "exactly one EMF document");
    (response.status, summary, documents[0].clone(), logs.text())
}

fn assert_summary(line: &Value, id: &str, outcome: &str, status: u16, calls: u64) {
    assert!(
        line["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{line}"
    );
    assert_eq!(line["operation"], "CancelLifecycleExecution");
    assert_eq!(line["account_id"], ACCOUNT);
    assert_eq!(line["lifecycle_execution_id"], id);
    assert_eq!(line["client_token_sha256"], token_digest(TOKEN));
    assert_eq!(line["outcome"], outcome);
    assert_eq!(line["status"], status);
    assert!(
        line["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(line["dynamodb_calls"], calls, "{line}");
}

fn assert_emf(document: &Value, outcome: &str) {
    let directive = &document["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "Test/Cancel");
    assert_eq!(
        directive["Dimensions"],
        serde_json::json!([["Operation", "Outcome"]])
    );
    let names: Vec<&str> = directive["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Requests", "Latency"]);
    assert!(document["_aws"]["Timestamp"]
        .as_u64()
        .is_some_and(|t| t > 1_600_000_000_000));
    assert_eq!(document["Operation"], "CancelLifecycleExecution");
    assert_eq!(document["Outcome"], outcome);
    assert_eq!(document["Requests"], 1);
    assert!(document["Latency"].as_f64().is_some());
    // The count of calls is the log line's (`dynamodb_calls`): no alarm or widget reads it.
    assert!(document.get("DynamoDBCalls").is_none(), "{document}");
}

#[tokio::test]
async fn a_cancel_and_its_replay_are_logged_and_counted_with_one_dynamodb_call_each() {
    let dynamo = Dynamo::start().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let store = || DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());

    let (status, line, emf, logs) = observe(store(), cancel_body(TOKEN, &id)).await;
    assert_eq!(status, 200);
    assert_summary(&line, &id, "Cancelled", 200, 1);
    assert_emf(&emf, "Cancelled");
    assert!(
        !logs.contains(TOKEN),
        "the raw client token is never logged"
    );

    let (status, line, emf, _) = observe(store(), cancel_body(TOKEN, &id)).await;
    assert_eq!(status, 200);
    assert_summary(&line, &id, "Replayed", 200, 1);
    assert_emf(&emf, "Replayed");
}

#[tokio::test]
async fn a_refusal_is_logged_and_counted_by_its_error_name() {
    let dynamo = Dynamo::start().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "SUCCESS").await;
    let store = DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());

    let (status, line, emf, _) = observe(store, cancel_body(TOKEN, &id)).await;

    assert_eq!(status, 400);
    assert_summary(&line, &id, "InvalidRequestException", 400, 1);
    assert_eq!(line["level"], "INFO");
    assert_emf(&emf, "InvalidRequestException");
}

#[tokio::test]
async fn an_unreachable_database_is_logged_with_its_cause_and_counted() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client_for(&format!("http://127.0.0.1:{closed_port}"));
    let store = DynamoDbStore::new(client, unique_tables());
    let id = new_id();

    let (status, line, emf, logs) = observe(store, cancel_body(TOKEN, &id)).await;

    assert_eq!(status, 503);
    assert_summary(&line, &id, "ServiceUnavailableException", 503, 3);
    assert_eq!(line["level"], "WARN");
    assert!(
        line["cause"]
            .as_str()
            .is_some_and(|c| c.contains("unavailable")),
        "{line}"
    );
    assert_emf(&emf, "ServiceUnavailableException");
    assert!(!logs.contains(TOKEN));
    assert!(
        !logs.contains(crate::helpers::TEST_SECRET_ACCESS_KEY),
        "{logs}"
    );
}

#[tokio::test]
async fn a_body_refused_by_the_size_limit_before_any_handler_still_gets_its_line_and_metric() {
    let body = "x".repeat(70_000);
    let mut request = plain("PUT", PATH, &body);
    // A declared length over the limit: the limit layer answers before the handler runs.
    request.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(body.len()),
    );

    let (status, line, emf, _) = observe_request(
        cancel_lifecycle_execution::store::EmbeddedStore::new(),
        request,
    )
    .await;

    assert_eq!(status, 400);
    assert_eq!(line["operation"], "CancelLifecycleExecution");
    assert_eq!(line["outcome"], "InvalidRequestException");
    assert_eq!(line["status"], 400);
    assert_eq!(line["cause"], "body over the limit");
    assert_eq!(emf["Outcome"], "InvalidRequestException");
    assert_eq!(emf["Requests"], 1);
}

#[tokio::test]
async fn a_stored_value_of_any_size_is_quoted_bounded_and_the_line_keeps_its_lambda_keys() {
    let store = cancel_lifecycle_execution::store::EmbeddedStore::new();
    let id = new_id();
    let huge_status = "S".repeat(300_000);
    crate::helpers::put_raw(&store, &id, ACCOUNT, &huge_status);
    let app = app_with(store);
    let logs = Buffer::default();
    capture_on_this_thread(&logs);

    let event = crate::helpers::rest_v1_event("PUT", &cancel_body(TOKEN, &id), Some(ACCOUNT));
    let answer = crate::helpers::call_event(&app, &event).await;
    stop_capture();

    assert_eq!(answer.status, 500);
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("\"message\":\"request\""))
        .expect("a summary line");
    // RELIABILITY.md's figure: `cargo test --test api a_stored_value_of_any_size -- --nocapture`.
    eprintln!(
        "summary line for a 300,000-character status: {} bytes",
        line.len()
    );
    assert!(line.len() < 16 * 1024, "a line of {} bytes", line.len());
    let summary: Value = serde_json::from_str(line).unwrap();
    let cause = summary["cause"].as_str().unwrap();
    assert!(cause.contains(&"S".repeat(256)), "{cause}");
    assert!(!cause.contains(&"S".repeat(257)), "{cause}");
    assert!(cause.contains("… (300000 characters)"), "{cause}");
    for key in ["function_request_id", "cold_start"] {
        assert!(summary.get(key).is_some(), "{key} lost: {line}");
    }
}
