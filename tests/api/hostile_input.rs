//! Hostile input through the whole router: any method, path, headers, body bytes, base64 flag
//! and event kind gets a documented answer, and nothing panics.
//!
//! `make test` runs a bounded number of generated cases (`FUZZ_CASES`, default 512). For a long
//! run: `FUZZ_CASES=200000 cargo test --release --test api hostile_input::`.

use crate::helpers::{account, call, http_v2_event, rest_v1_event, Received};
use base64::Engine;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::embedded::DEMO_EXECUTIONS;
use cancel_lifecycle_execution::store::EmbeddedStore;
use proptest::prelude::*;

const DOCUMENTED: [(u16, &str); 8] = [
    (400, "InvalidRequestException"),
    (400, "ClientException"),
    (400, "IdempotentParameterMismatchException"),
    (400, "ResourceInUseException"),
    (403, "ForbiddenException"),
    (429, "CallRateLimitExceededException"),
    (500, "ServiceException"),
    (503, "ServiceUnavailableException"),
];

const DEMO_ACCOUNT: &str = "123456789012";

/// Every answer: a documented status and name, the JSON error body, the headers.
fn assert_documented(answer: &Received, case: &str) {
    assert!(
        answer
            .header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()),
        "{case}: {answer:?}"
    );
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{case}"
    );
    let name = answer.header("x-amzn-ErrorType").unwrap_or_default();
    if case.contains(" HEAD ") {
        // HTTP sends no body with an answer to HEAD; the status and headers still tell.
        assert!(answer.body.is_empty(), "{case}: {answer:?}");
        assert!(
            DOCUMENTED.contains(&(answer.status, name)),
            "{case}: {answer:?}"
        );
        return;
    }
    let body: serde_json::Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|e| panic!("{case}: body is not JSON ({e}): {answer:?}"));
    if answer.status == 200 {
        assert!(
            body["lifecycleExecutionId"].is_string(),
            "{case}: {answer:?}"
        );
        return;
    }
    assert!(
        DOCUMENTED.contains(&(answer.status, name)),
        "{case}: undocumented {} {name}: {answer:?}",
        answer.status
    );
    assert_eq!(body["__type"], name, "{case}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}"
    );
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{case}");
}

fn app() -> App<EmbeddedStore> {
    App::new(
        EmbeddedStore::with_demo_executions(&account(DEMO_ACCOUNT)),
        Some(account(DEMO_ACCOUNT)),
    )
}

#[derive(Debug, Clone)]
enum Kind {
    Plain,
    RestApi,
    HttpApi,
    FunctionUrl,
}

/// The answer to the request as the local server or the Lambda entry point would take it, if
/// either could be handed it at all.
async fn answer(
    kind: &Kind,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
    base64: bool,
    identity: Option<&str>,
) -> Option<Received> {
    let event = match kind {
        Kind::Plain => {
            let request = lambda_http::http::Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", content_type)
                .body(lambda_http::Body::from(body.to_vec()))
                .ok()?;
            return Some(call(&app(), request).await);
        }
        Kind::RestApi => rest_v1_event(method, "", identity),
        Kind::HttpApi => http_v2_event(
            method,
            "",
            identity,
            "abc.execute-api.us-east-1.amazonaws.com",
        ),
        Kind::FunctionUrl => http_v2_event(method, "", identity, "abc.lambda-url.us-east-1.on.aws"),
    };
    let mut event = event;
    // API Gateway sends bodies that are not UTF-8 base64-encoded, and its base64 is valid.
    let (text, encoded) = match std::str::from_utf8(body) {
        Ok(text) if !base64 => (text.to_owned(), false),
        _ => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    event["body"] = text.into();
    event["isBase64Encoded"] = encoded.into();
    event["headers"]["content-type"] = content_type.into();
    if matches!(kind, Kind::RestApi) {
        event["path"] = path.into();
    } else {
        event["rawPath"] = path.into();
    }
    crate::helpers::try_call_event(&app(), &event).await
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        ".{0,50}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from(DEMO_EXECUTIONS[0].0)),
        Just(serde_json::Value::from(format!(
            "{}\n",
            DEMO_EXECUTIONS[1].0
        ))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies: raw bytes, or cancel-shaped JSON with any values, or plausible valid cancels.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (json_value(), json_value()).prop_map(|(token, id)| {
            serde_json::json!({ "clientToken": token, "lifecycleExecutionId": id })
                .to_string()
                .into_bytes()
        }),
        ("[ -~]{0,40}", 0..DEMO_EXECUTIONS.len()).prop_map(|(token, n)| {
            serde_json::json!({ "clientToken": token, "lifecycleExecutionId": DEMO_EXECUTIONS[n].0 })
                .to_string()
                .into_bytes()
        }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_documented_answer_and_nothing_panics(
        kind in prop_oneof![Just(Kind::Plain), Just(Kind::RestApi), Just(Kind::HttpApi), Just(Kind::FunctionUrl)],
        method in prop_oneof![Just("PUT"), Just("GET"), Just("POST"), Just("DELETE"), Just("PATCH"), Just("OPTIONS"), Just("HEAD")],
        path in prop_oneof![Just("/CancelLifecycleExecution".to_owned()), "/[a-zA-Z0-9/%._~-]{0,40}"],
        content_type in prop_oneof![Just("application/json"), Just("text/plain"), Just(""), Just("application/x-amz-json-1.1")],
        body in body(),
        base64 in any::<bool>(),
        identity in prop_oneof![Just(None), Just(Some(DEMO_ACCOUNT)), Just(Some("444455556666")), Just(Some("12345")), Just(Some(""))],
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let answer = runtime.block_on(answer(&kind, method, &path, content_type, &body, base64, identity));
        let Some(answer) = answer else {
            // Not a request the runtime or the server could hand over.
            return Ok(());
        };
        assert_documented(&answer, &format!("{kind:?} {method} {path}"));
    }
}

/// The corpus of nasty cases, each named, each through the plain and the REST API paths.
#[tokio::test]
async fn the_nasty_corpus_gets_documented_answers() {
    let id = DEMO_EXECUTIONS[0].0;
    let huge = "x".repeat(1024 * 1024);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let corpus: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "invalid UTF-8",
            b"{\"clientToken\":\"\xff\xfe\",\"lifecycleExecutionId\":\"x\"}".to_vec(),
            "InvalidRequestException",
        ),
        (
            "1 MiB member",
            format!(r#"{{"clientToken":"{huge}","lifecycleExecutionId":"{id}"}}"#).into_bytes(),
            "InvalidRequestException",
        ),
        (
            "deeply nested JSON",
            format!(r#"{{"clientToken":{deep},"lifecycleExecutionId":"{id}"}}"#).into_bytes(),
            "InvalidRequestException",
        ),
        (
            "duplicate keys",
            format!(r#"{{"clientToken":"a","clientToken":"b","lifecycleExecutionId":"{id}"}}"#)
                .into_bytes(),
            "InvalidRequestException",
        ),
        (
            "trailing newline in the id",
            format!(r#"{{"clientToken":"a","lifecycleExecutionId":"{id}\n"}}"#).into_bytes(),
            "ClientException",
        ),
        (
            "NUL byte in a member",
            format!(r#"{{"clientToken":"a\u0000b","lifecycleExecutionId":"{id}\u0000"}}"#)
                .into_bytes(),
            "ClientException",
        ),
        (
            "raw NUL byte",
            b"{\"clientToken\":\"a\0\"}".to_vec(),
            "InvalidRequestException",
        ),
        (
            "number for a string",
            format!(r#"{{"clientToken":12345,"lifecycleExecutionId":"{id}"}}"#).into_bytes(),
            "ClientException",
        ),
        (
            "number for the id",
            br#"{"clientToken":"a","lifecycleExecutionId":1e400}"#.to_vec(),
            "InvalidRequestException",
        ),
        ("empty object", b"{}".to_vec(), "ClientException"),
        (
            "BOM before JSON",
            format!("\u{feff}{{\"clientToken\":\"a\",\"lifecycleExecutionId\":\"{id}\"}}")
                .into_bytes(),
            "InvalidRequestException",
        ),
    ];
    for (name, body, expected) in corpus {
        for kind in [Kind::Plain, Kind::RestApi] {
            let answer = answer(
                &kind,
                "PUT",
                "/CancelLifecycleExecution",
                "application/json",
                &body,
                false,
                Some(DEMO_ACCOUNT),
            )
            .await
            .unwrap_or_else(|| panic!("{name}: request builds"));
            assert_documented(&answer, name);
            assert_eq!(
                answer.header("x-amzn-ErrorType"),
                Some(expected),
                "{name} ({kind:?}): {answer:?}"
            );
        }
    }
}
