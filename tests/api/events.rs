//! Every sample event in `events/` runs through the handler and must give its expected response,
//! so an event that drifts from the code fails the build.

use std::path::{Path, PathBuf};

use crate::helpers::account;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;
use serde_json::Value;

const DEMO_ACCOUNT: &str = "123456789012";

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The events, in file-name order (later events may replay earlier ones), with expectations.
fn event_files() -> Vec<(PathBuf, PathBuf)> {
    let mut events: Vec<PathBuf> = std::fs::read_dir(events_dir())
        .expect("events/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    events.sort();
    let (expected, requests): (Vec<_>, Vec<_>) = events
        .into_iter()
        .partition(|path| path.to_string_lossy().ends_with(".expected.json"));
    for path in &expected {
        let request = PathBuf::from(path.to_string_lossy().replace(".expected.json", ".json"));
        assert!(
            requests.contains(&request),
            "{} has no event",
            path.display()
        );
    }
    requests
        .into_iter()
        .map(|request| {
            let expected = request.with_extension("expected.json");
            assert!(
                expected.exists(),
                "{} has no expected response",
                request.display()
            );
            (request, expected)
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Stands for a request id that differs on every invocation (an event that carries none gets
/// Lambda's): compared by its shape, a UUID.
const ANY_REQUEST_ID: &str = "<a UUID: the event carries no request id>";

/// The response with a generated request id replaced by [`ANY_REQUEST_ID`].
fn with_generated_request_id_masked(mut response: Value, event: &Value) -> Value {
    if !event["requestContext"]["requestId"].is_string() {
        for headers in ["headers", "multiValueHeaders"] {
            if let Some(id) = response[headers].get_mut("x-amzn-requestid") {
                let value = id.as_array().and_then(|a| a.first()).unwrap_or(id);
                let text = value.as_str().unwrap_or_default();
                assert!(uuid::Uuid::parse_str(text).is_ok(), "not a UUID: {text}");
                *id = match id {
                    Value::Array(_) => serde_json::json!([ANY_REQUEST_ID]),
                    _ => ANY_REQUEST_ID.into(),
                };
            }
        }
    }
    response
}

/// Every event through the Lambda entry point, in name order, on the demo store as deployed (no
/// default account): the response must be exactly the JSON the function returns to Lambda.
/// `BLESS_EVENTS=1` rewrites the expected files from what the code answers (read the diff).
#[tokio::test]
async fn every_event_gives_exactly_the_response_the_function_returns_to_lambda() {
    let app = App::new(
        EmbeddedStore::with_demo_executions(&account(DEMO_ACCOUNT)),
        None,
    );
    let bless = std::env::var("BLESS_EVENTS").is_ok_and(|v| v == "1");
    let files = event_files();
    assert!(files.len() >= 18, "found only {} events", files.len());
    for (event_path, expected_path) in files {
        let name = event_path.display().to_string();
        let event = read_json(&event_path);

        let returned = crate::helpers::invoke(&app, &event).await;

        let returned = with_generated_request_id_masked(returned, &event);
        if bless {
            let text = serde_json::to_string_pretty(&returned).expect("JSON") + "\n";
            std::fs::write(&expected_path, text).expect("writing the expected response");
            continue;
        }
        assert_eq!(returned, read_json(&expected_path), "{name}");
    }
    assert!(
        !bless,
        "BLESS_EVENTS=1 rewrote the expected responses; run again without it"
    );
}
