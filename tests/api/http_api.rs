//! The HTTP edge through `App::router`: routing, identity, validation and every error shape.

use crate::helpers::{
    app_with, call, call_event, cancel_body, http_v2_event, new_id, plain, rest_v1_event, ACCOUNT,
    OTHER_ACCOUNT,
};
use cancel_lifecycle_execution::domain::LifecycleExecutionId;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;

/// The local server's refusal of a caller without identity when it has no default account.
const LOCAL_WITHOUT_DEFAULT_ACCOUNT: &str =
    "The request has no authenticated caller and the local server has no default account: \
     start it with DEFAULT_ACCOUNT_ID set to a 12-digit account id.";

const PATH: &str = "/CancelLifecycleExecution";

/// An app whose unauthenticated callers are `ACCOUNT`.
fn app() -> App<EmbeddedStore> {
    app_with(EmbeddedStore::new())
}

fn app_without_default_account() -> App<EmbeddedStore> {
    App::new(EmbeddedStore::new(), None)
}

fn seed(app: &App<EmbeddedStore>, owner: &str, status: &str) -> String {
    let id = new_id();
    crate::helpers::put_raw(app.store(), &id, owner, status);
    id
}

#[tokio::test]
async fn a_valid_cancel_answers_200_with_the_id_and_moves_the_execution() {
    let app = app();
    let id = seed(&app, ACCOUNT, "IN_PROGRESS");

    let answer = call(&app, plain("PUT", PATH, &cancel_body("t-1", &id))).await;

    answer.assert_success(&id);
    assert_eq!(
        crate::helpers::embedded_status(app.store(), &id),
        "CANCELLING"
    );
}

#[tokio::test]
async fn tokens_of_37_to_64_code_points_cancel_and_replay_as_image_builder_takes_them() {
    let app = app();
    let tokens = [
        "x".repeat(37),
        // A SHA-256 hex digest, a common deterministic token.
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
        "😀".repeat(64),
        format!("a{}", "\u{301}".repeat(63)),
    ];
    for token in tokens {
        let id = seed(&app, ACCOUNT, "IN_PROGRESS");

        let first = call(&app, plain("PUT", PATH, &cancel_body(&token, &id))).await;
        let again = call(&app, plain("PUT", PATH, &cancel_body(&token, &id))).await;

        first.assert_success(&id);
        again.assert_success(&id);
        assert_eq!(
            crate::helpers::embedded_status(app.store(), &id),
            "CANCELLING"
        );
    }
}

#[tokio::test]
async fn replaying_a_token_returns_the_first_response_body_byte_for_byte() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");
    let first = call(&app, plain("PUT", PATH, &cancel_body("again", &id))).await;

    let second = call(&app, plain("PUT", PATH, &cancel_body("again", &id))).await;

    second.assert_success(&id);
    assert_eq!(first.body, second.body);
    assert_ne!(
        first.header("x-amzn-RequestId"),
        second.header("x-amzn-RequestId")
    );
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths_are_invalid_requests() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");
    let body = cancel_body("t", &id);
    for method in ["GET", "POST", "DELETE", "PATCH"] {
        call(&app, plain(method, PATH, &body)).await.assert_error(
            400,
            "InvalidRequestException",
            "CancelLifecycleExecution takes the PUT method.",
        );
    }
    for path in [
        "/",
        "/cancellifecycleexecution",
        "/CancelLifecycleExecution/",
        "/CancelLifecycleExecutionX",
    ] {
        call(&app, plain("PUT", path, &body)).await.assert_error(
            400,
            "InvalidRequestException",
            "This service has no operation at that path: use PUT /CancelLifecycleExecution, GET /GetLifecycleExecution or POST /ListLifecycleExecutions.",
        );
    }
    assert_eq!(crate::helpers::embedded_status(app.store(), &id), "PENDING");
}

#[tokio::test]
async fn malformed_bodies_are_invalid_requests() {
    let app = app();
    let cases = [
        ("", "The request body is missing: send a JSON object with clientToken and lifecycleExecutionId."),
        ("{", "The request body is not valid JSON."),
        ("[1]", "The request body must be a JSON object."),
        ("\"x\"", "The request body must be a JSON object."),
    ];
    for (body, message) in cases {
        call(&app, plain("PUT", PATH, body)).await.assert_error(
            400,
            "InvalidRequestException",
            message,
        );
    }
}

#[tokio::test]
async fn every_member_rule_is_a_client_error_that_names_the_member_and_changes_nothing() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");
    let pattern = LifecycleExecutionId::PATTERN;
    let cases = [
        (
            format!(r#"{{"lifecycleExecutionId":"{id}"}}"#),
            "clientToken is required.".to_owned(),
        ),
        (
            format!(r#"{{"clientToken":5,"lifecycleExecutionId":"{id}"}}"#),
            "clientToken must be a JSON string.".to_owned(),
        ),
        (
            cancel_body("", &id),
            "clientToken must be between 1 and 64 characters long.".to_owned(),
        ),
        (
            cancel_body(&"x".repeat(65), &id),
            "clientToken must be between 1 and 64 characters long.".to_owned(),
        ),
        (
            r#"{"clientToken":"t"}"#.to_owned(),
            "lifecycleExecutionId is required.".to_owned(),
        ),
        (
            r#"{"clientToken":"t","lifecycleExecutionId":["x"]}"#.to_owned(),
            "lifecycleExecutionId must be a JSON string.".to_owned(),
        ),
        (
            cancel_body("t", &format!("{id}\n")),
            format!("lifecycleExecutionId must match the pattern {pattern}."),
        ),
        (
            cancel_body("t", "lce-123"),
            format!("lifecycleExecutionId must match the pattern {pattern}."),
        ),
    ];
    for (body, message) in cases {
        call(&app, plain("PUT", PATH, &body))
            .await
            .assert_error(400, "ClientException", &message);
    }
    assert_eq!(crate::helpers::embedded_status(app.store(), &id), "PENDING");
    assert_eq!(app.store().token_record_count(), 0);
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");
    let body = format!(r#"{{"clientToken":"t","lifecycleExecutionId":"{id}","dryRun":true}}"#);

    call(&app, plain("PUT", PATH, &body))
        .await
        .assert_success(&id);
}

#[tokio::test]
async fn refusals_render_as_their_documented_errors() {
    let app = app();
    let missing = new_id();
    let foreign = seed(&app, OTHER_ACCOUNT, "PENDING");
    let finished = seed(&app, ACCOUNT, "FAILED");
    let busy = seed(&app, ACCOUNT, "CANCELLING");
    let open = seed(&app, ACCOUNT, "PENDING");
    call(&app, plain("PUT", PATH, &cancel_body("used", &open)))
        .await
        .assert_success(&open);

    call(&app, plain("PUT", PATH, &cancel_body("a", &missing)))
        .await
        .assert_error(
            400,
            "ClientException",
            &format!("Lifecycle execution {missing} was not found in this account."),
        );
    call(&app, plain("PUT", PATH, &cancel_body("b", &foreign)))
        .await
        .assert_error(
            400,
            "ClientException",
            &format!("Lifecycle execution {foreign} was not found in this account."),
        );
    call(&app, plain("PUT", PATH, &cancel_body("c", &finished))).await.assert_error(
        400,
        "InvalidRequestException",
        &format!("Lifecycle execution {finished} has already finished with status FAILED and cannot be cancelled."),
    );
    call(&app, plain("PUT", PATH, &cancel_body("d", &busy)))
        .await
        .assert_error(
            400,
            "ResourceInUseException",
            &format!(
                "Lifecycle execution {busy} is already being cancelled; check its status later."
            ),
        );
    call(&app, plain("PUT", PATH, &cancel_body("used", &busy))).await.assert_error(
        400,
        "IdempotentParameterMismatchException",
        "This clientToken was already used with a different lifecycleExecutionId: use a new clientToken.",
    );
    assert_eq!(
        crate::helpers::embedded_status(app.store(), &foreign),
        "PENDING"
    );
}

#[tokio::test]
async fn without_an_identity_or_a_default_account_the_caller_is_forbidden() {
    let app = app_without_default_account();
    let id = seed(&app, ACCOUNT, "PENDING");

    let answer = call(&app, plain("PUT", PATH, &cancel_body("t", &id))).await;

    // A plain HTTP request reached the local server: the fix is its setting.
    answer.assert_error(403, "ForbiddenException", LOCAL_WITHOUT_DEFAULT_ACCOUNT);
    // An event without identity: the fix is a signature.
    let unsigned_event =
        call_event(&app, &rest_v1_event("PUT", &cancel_body("t", &id), None)).await;
    unsigned_event.assert_error(
        403,
        "ForbiddenException",
        "The request has no authenticated caller: sign it with AWS Signature Version 4.",
    );
    assert_eq!(crate::helpers::embedded_status(app.store(), &id), "PENDING");
}

#[tokio::test]
async fn a_rest_api_event_is_served_for_the_iam_caller_with_the_gateway_request_id() {
    let app = app_without_default_account();
    let id = seed(&app, OTHER_ACCOUNT, "IN_PROGRESS");

    let answer = call_event(
        &app,
        &rest_v1_event("PUT", &cancel_body("t", &id), Some(OTHER_ACCOUNT)),
    )
    .await;

    answer.assert_success(&id);
    assert_eq!(answer.header("x-amzn-RequestId"), Some("rest-request-id-1"));
}

#[tokio::test]
async fn the_iam_caller_of_an_event_wins_over_the_default_account() {
    let app = app();
    let id = seed(&app, ACCOUNT, "IN_PROGRESS");

    let answer = call_event(
        &app,
        &rest_v1_event("PUT", &cancel_body("t", &id), Some(OTHER_ACCOUNT)),
    )
    .await;

    answer.assert_error(
        400,
        "ClientException",
        &format!("Lifecycle execution {id} was not found in this account."),
    );
}

#[tokio::test]
async fn http_api_and_function_url_events_are_served_for_the_iam_caller() {
    let app = app_without_default_account();
    for domain in [
        "abc123.execute-api.us-east-1.amazonaws.com",
        "abc123.lambda-url.us-east-1.on.aws",
    ] {
        let id = seed(&app, OTHER_ACCOUNT, "PENDING");

        let answer = call_event(
            &app,
            &http_v2_event(
                "PUT",
                &cancel_body(&id[..30], &id),
                Some(OTHER_ACCOUNT),
                domain,
            ),
        )
        .await;

        answer.assert_success(&id);
        assert_eq!(answer.header("x-amzn-RequestId"), Some("v2-request-id-1"));
        let unsigned = call_event(
            &app,
            &http_v2_event("PUT", &cancel_body("u", &id), None, domain),
        )
        .await;
        assert_eq!(
            unsigned.header("x-amzn-ErrorType"),
            Some("ForbiddenException")
        );
    }
}

#[tokio::test]
async fn an_empty_blank_or_malformed_caller_account_is_forbidden_even_with_a_default_account() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");

    for malformed in ["12345", "", "   ", "12345678901a"] {
        let answer = call_event(
            &app,
            &rest_v1_event("PUT", &cancel_body("t", &id), Some(malformed)),
        )
        .await;

        assert_eq!(answer.status, 403, "{malformed:?}");
        assert_eq!(
            answer.header("x-amzn-ErrorType"),
            Some("ForbiddenException")
        );
        assert_eq!(crate::helpers::embedded_status(app.store(), &id), "PENDING");
    }
}

#[tokio::test]
async fn a_base64_encoded_event_body_is_decoded() {
    use base64::Engine;
    let app = app_without_default_account();
    let id = seed(&app, OTHER_ACCOUNT, "PENDING");
    let mut value = rest_v1_event("PUT", "", Some(OTHER_ACCOUNT));
    value["body"] = base64::engine::general_purpose::STANDARD
        .encode(cancel_body("t", &id))
        .into();
    value["isBase64Encoded"] = true.into();

    call_event(&app, &value).await.assert_success(&id);
}

#[tokio::test]
async fn a_wrong_method_in_an_event_is_an_invalid_request() {
    let app = app_without_default_account();
    let id = seed(&app, OTHER_ACCOUNT, "PENDING");

    let answer = call_event(
        &app,
        &rest_v1_event("POST", &cancel_body("t", &id), Some(OTHER_ACCOUNT)),
    )
    .await;

    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("InvalidRequestException")
    );
}

const GET_PATH: &str = "/GetLifecycleExecution";

fn get_path(id: &str) -> String {
    format!("{GET_PATH}?lifecycleExecutionId={id}")
}

#[tokio::test]
async fn get_shows_the_execution_before_and_after_a_cancel() {
    let app = app();
    let id = seed(&app, ACCOUNT, "IN_PROGRESS");

    let before = call(&app, plain("GET", &get_path(&id), "")).await;
    call(&app, plain("PUT", PATH, &cancel_body("t", &id)))
        .await
        .assert_success(&id);
    let after = call(&app, plain("GET", &get_path(&id), "")).await;

    assert_eq!(before.status, 200, "{before:?}");
    assert_eq!(before.header("content-type"), Some("application/json"));
    assert!(before.header("x-amzn-RequestId").is_some());
    assert_eq!(
        before.json(),
        serde_json::json!({"lifecycleExecution": {"lifecycleExecutionId": id, "state": {"status": "IN_PROGRESS"}}})
    );
    assert_eq!(
        after.json(),
        serde_json::json!({"lifecycleExecution": {"lifecycleExecutionId": id, "state": {
            "status": "CANCELLING",
            "reason": "Cancellation requested by CancelLifecycleExecution."
        }}})
    );
}

#[tokio::test]
async fn get_of_a_missing_or_foreign_execution_is_the_same_client_error() {
    let app = app();
    let foreign = seed(&app, OTHER_ACCOUNT, "PENDING");
    let missing = new_id();

    for id in [&foreign, &missing] {
        call(&app, plain("GET", &get_path(id), ""))
            .await
            .assert_error(
                400,
                "ClientException",
                &format!("Lifecycle execution {id} was not found in this account."),
            );
    }
}

#[tokio::test]
async fn get_validates_its_query_and_method_and_caller() {
    let app = app();
    let id = seed(&app, ACCOUNT, "PENDING");
    call(&app, plain("GET", GET_PATH, "")).await.assert_error(
        400,
        "ClientException",
        "lifecycleExecutionId is required.",
    );
    call(&app, plain("GET", &get_path("lce-1%0A"), ""))
        .await
        .assert_error(
            400,
            "ClientException",
            &format!(
                "lifecycleExecutionId must match the pattern {}.",
                LifecycleExecutionId::PATTERN
            ),
        );
    call(&app, plain("PUT", &get_path(&id), ""))
        .await
        .assert_error(
            400,
            "InvalidRequestException",
            "GetLifecycleExecution takes the GET method.",
        );
    call(
        &app_without_default_account(),
        plain("GET", &get_path(&id), ""),
    )
    .await
    .assert_error(403, "ForbiddenException", LOCAL_WITHOUT_DEFAULT_ACCOUNT);
}

#[tokio::test]
async fn get_in_a_rest_api_event_reads_the_query_string_parameters() {
    let app = app_without_default_account();
    let id = seed(&app, OTHER_ACCOUNT, "PENDING");
    let mut value = rest_v1_event("GET", "", Some(OTHER_ACCOUNT));
    value["path"] = GET_PATH.into();
    value["resource"] = GET_PATH.into();
    value["queryStringParameters"] = serde_json::json!({ "lifecycleExecutionId": id });
    value["multiValueQueryStringParameters"] = serde_json::json!({ "lifecycleExecutionId": [id] });

    let answer = call_event(&app, &value).await;

    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json()["lifecycleExecution"]["state"]["status"],
        "PENDING"
    );
}
