//! A caller that goes away, or half-closes, does not lose what its request did: the work runs to
//! its end, its summary line is written (saying the caller was gone), a half-closed caller gets
//! its answer.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::fault::FaultyDynamoDb;
use crate::helpers::logs::{capture_on_this_thread, stop_capture, Buffer};
use crate::helpers::server::serve;
use crate::helpers::{
    account, cancel_body, client_for, new_id, spawn_app, Backend, Dynamo, ACCOUNT,
};
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::{DynamoDbStore, EmbeddedStore};

fn request(method: &str, path: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_cancel_whose_caller_went_away_is_completed_and_logged_as_such() {
    let dynamo = Dynamo::start().await;
    let faulty = FaultyDynamoDb::start();
    faulty.set("slow").await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    let store = DynamoDbStore::new(client_for(&faulty.endpoint), dynamo.tables.clone());
    let url = spawn_app(store).await;
    let logs = Buffer::default();
    capture_on_this_thread(&logs);

    let mut caller = tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .unwrap();
    let cancel = request(
        "PUT",
        "/CancelLifecycleExecution",
        &cancel_body("gone", &id),
    );
    caller.write_all(cancel.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Gone for good: a reset, not a half-close (which still waits for the answer, below).
    socket2::SockRef::from(&caller)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(caller);
    // DynamoDB answers after 1 s; the work goes on without the caller.
    let mut logged = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if logs.text().contains("\"message\":\"request\"") {
            logged = true;
            break;
        }
    }
    stop_capture();

    assert!(logged, "no summary line: {}", logs.text());
    let line = crate::helpers::logs::summary_line(&logs);
    assert_eq!(line["caller_gone"], true, "{line}");
    assert_eq!(line["outcome"], "Cancelled", "{line}");
    assert_eq!(dynamo.execution(&id).await.unwrap().status, "CANCELLING");
    assert_eq!(dynamo.token_record_count().await, 1);
}

#[tokio::test]
async fn a_caller_that_half_closes_after_sending_gets_its_answer() {
    let app = App::new(
        EmbeddedStore::with_demo_executions(&account(ACCOUNT)),
        Some(account(ACCOUNT)),
    );
    let url = serve(app).await;
    let address = url.trim_start_matches("http://").to_owned();
    let get = request(
        "GET",
        "/GetLifecycleExecution?lifecycleExecutionId=lce-00000000-0000-4000-8000-000000000004",
        "",
    );
    for attempt in 0..50 {
        let mut caller = tokio::net::TcpStream::connect(&address).await.unwrap();
        caller.write_all(get.as_bytes()).await.unwrap();
        caller.shutdown().await.unwrap();
        let mut answer = String::new();
        tokio::time::timeout(Duration::from_secs(10), caller.read_to_string(&mut answer))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "attempt {attempt}: {answer:?}"
        );
    }
}
