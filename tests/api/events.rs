//! Every sample event in `events/` runs through the handler and must give its expected response,
//! so an event that drifts from the code fails the build.

use std::path::{Path, PathBuf};

use crate::helpers::{account, call};
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

#[tokio::test]
async fn every_event_in_the_events_folder_gives_its_expected_response() {
    // As deployed, but on the embedded demo store: no default account, identity from the event.
    let app = App::new(
        EmbeddedStore::with_demo_executions(&account(DEMO_ACCOUNT)),
        None,
    );
    let files = event_files();
    assert!(files.len() >= 15, "found only {} events", files.len());
    for (event_path, expected_path) in files {
        let name = event_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let request = crate::helpers::try_event(&read_json(&event_path))
            .unwrap_or_else(|| panic!("{name} is not an event lambda_http accepts"));
        let expected = read_json(&expected_path);

        let answer = call(&app, request).await;

        assert_eq!(
            Some(u64::from(answer.status)),
            expected["statusCode"].as_u64(),
            "{name}: {answer:?}"
        );
        assert_eq!(
            Some(answer.body.as_str()),
            expected["body"].as_str(),
            "{name}"
        );
        let headers = expected["headers"].as_object().expect("expected headers");
        for (header, value) in headers {
            assert_eq!(
                answer.header(header),
                value.as_str(),
                "{name}: header {header}"
            );
        }
        if !headers.contains_key("x-amzn-ErrorType") {
            assert_eq!(answer.header("x-amzn-ErrorType"), None, "{name}");
        }
    }
}

#[test]
fn the_events_cover_every_event_kind_and_every_documented_outcome() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut outcomes = std::collections::BTreeSet::new();
    for (event_path, expected_path) in event_files() {
        let event = read_json(&event_path);
        let kind = if event["version"] == "2.0" {
            let domain = event["requestContext"]["domainName"]
                .as_str()
                .unwrap_or_default();
            if domain.contains(".lambda-url.") {
                "function-url"
            } else {
                "http-api"
            }
        } else {
            "rest-api"
        };
        kinds.insert(kind);
        if event["isBase64Encoded"] == true {
            kinds.insert("base64");
        }
        let expected = read_json(&expected_path);
        outcomes.insert(
            expected["headers"]["x-amzn-ErrorType"]
                .as_str()
                .unwrap_or("200")
                .to_owned(),
        );
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["base64", "function-url", "http-api", "rest-api"]
    );
    for outcome in [
        "200",
        "ClientException",
        "ForbiddenException",
        "IdempotentParameterMismatchException",
        "InvalidRequestException",
        "ResourceInUseException",
    ] {
        assert!(outcomes.contains(outcome), "no event for {outcome}");
    }
}

#[tokio::test]
async fn every_event_through_the_lambda_entry_point_answers_in_the_shape_of_its_origin() {
    let app = App::new(
        EmbeddedStore::with_demo_executions(&account(DEMO_ACCOUNT)),
        None,
    );
    for (event_path, expected_path) in event_files() {
        let name = event_path.display().to_string();
        let event = read_json(&event_path);
        let expected = read_json(&expected_path);

        let returned = crate::helpers::invoke(&app, &event).await;

        assert_eq!(returned["statusCode"], expected["statusCode"], "{name}");
        assert_eq!(returned["body"], expected["body"], "{name}");
        assert_eq!(returned["isBase64Encoded"], false, "{name}");
        let content_type = if event["version"] == "2.0" {
            // HTTP API and function URL: one `headers` map.
            returned["headers"]["content-type"].clone()
        } else {
            // REST API: `multiValueHeaders` only, so API Gateway sends no header twice.
            assert!(
                returned["headers"]
                    .as_object()
                    .is_none_or(|headers| headers.is_empty()),
                "{name}: {returned}"
            );
            returned["multiValueHeaders"]["content-type"][0].clone()
        };
        assert_eq!(content_type, "application/json", "{name}: {returned}");
    }
}
