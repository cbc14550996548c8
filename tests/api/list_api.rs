//! ListLifecycleExecutions through the router: the answer, each member rule, each refusal, and
//! what the log line says of it.

use cancel_lifecycle_execution::domain::{Execution, ExecutionStatus, StoredStatus};
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;
use serde_json::{json, Value};

use crate::helpers::logs::{capture_on_this_thread, stop_capture, summary_line, Buffer};
use crate::helpers::{account, app_with, call, new_id, plain, ACCOUNT, OTHER_ACCOUNT};

const PATH: &str = "/ListLifecycleExecutions";
const POLICY: &str = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";

fn app() -> App<EmbeddedStore> {
    app_with(EmbeddedStore::new())
}

fn put(app: &App<EmbeddedStore>, owner: &str, policy: &str, start: f64, status: &str) -> String {
    let id = new_id();
    let execution = Execution {
        lifecycle_policy_arn: Some(policy.to_owned()),
        start_time_epoch_secs: Some(start),
        status: Some(StoredStatus::from_text(status)),
        has_impacted_resources: Some(status == "SUCCESS"),
        ..Execution::new(account(owner), ExecutionStatus::Pending)
    };
    app.store().put_execution(&id, execution);
    id
}

async fn list(app: &App<EmbeddedStore>, body: Value) -> crate::helpers::Received {
    call(app, plain("POST", PATH, &body.to_string())).await
}

#[tokio::test]
async fn the_callers_executions_of_the_policy_come_newest_first_each_as_get_shows_it() {
    let app = app();
    let old = put(&app, ACCOUNT, POLICY, 1_700_000_000.0, "SUCCESS");
    let new = put(&app, ACCOUNT, POLICY, 1_700_000_600.0, "IN_PROGRESS");
    put(&app, OTHER_ACCOUNT, POLICY, 1_700_000_300.0, "PENDING");

    let answer = list(&app, json!({ "resourceArn": POLICY })).await;

    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let listed = answer.json();
    let mut shown = Vec::new();
    for id in [&new, &old] {
        let get = call(
            &app,
            plain(
                "GET",
                &format!("/GetLifecycleExecution?lifecycleExecutionId={id}"),
                "",
            ),
        )
        .await;
        shown.push(get.json()["lifecycleExecution"].clone());
    }
    assert_eq!(listed, json!({ "lifecycleExecutions": shown }));
    assert_eq!(
        shown[1]["resourcesImpactedSummary"],
        json!({ "hasImpactedResources": true })
    );
}

#[tokio::test]
async fn every_member_rule_is_a_client_exception_that_names_the_member() {
    let app = app();
    let pattern = cancel_lifecycle_execution::domain::ImageBuilderArn::PATTERN;
    let arn_rule = format!("resourceArn must match the pattern {pattern}.");
    let max_rule = "maxResults must be a JSON integer from 1 to 100.";
    let cases = [
        (json!({}), "resourceArn is required.".to_owned()),
        (
            json!({ "resourceArn": 5 }),
            "resourceArn must be a JSON string.".to_owned(),
        ),
        (
            json!({ "resourceArn": "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/Keep" }),
            arn_rule.clone(),
        ),
        (json!({ "resourceArn": format!("{POLICY}\n") }), arn_rule),
        (
            json!({ "resourceArn": POLICY, "maxResults": 0 }),
            max_rule.to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "maxResults": 101 }),
            max_rule.to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "maxResults": 2.5 }),
            max_rule.to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "maxResults": "2" }),
            max_rule.to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "maxResults": -1 }),
            max_rule.to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "nextToken": "" }),
            "nextToken must be between 1 and 65535 characters long.".to_owned(),
        ),
        (
            json!({ "resourceArn": POLICY, "nextToken": 7 }),
            "nextToken must be a JSON string.".to_owned(),
        ),
    ];
    for (body, message) in cases {
        list(&app, body.clone())
            .await
            .assert_error(400, "ClientException", &message);
    }
    for fine in [1, 100] {
        let answer = list(&app, json!({ "resourceArn": POLICY, "maxResults": fine })).await;
        assert_eq!(answer.status, 200, "{fine}: {answer:?}");
    }
    let null_is_absent = list(
        &app,
        json!({ "resourceArn": POLICY, "maxResults": null, "nextToken": null }),
    )
    .await;
    assert_eq!(null_is_absent.status, 200, "{null_is_absent:?}");
}

#[tokio::test]
async fn another_accounts_policy_is_an_empty_list_and_another_resource_type_is_refused() {
    let app = app();
    let theirs = "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5";
    put(&app, OTHER_ACCOUNT, theirs, 1_700_000_000.0, "PENDING");

    let empty = list(&app, json!({ "resourceArn": theirs })).await;
    let pipeline = list(
        &app,
        json!({ "resourceArn": "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/keep-5" }),
    )
    .await;

    assert_eq!(empty.status, 200);
    assert_eq!(empty.json(), json!({ "lifecycleExecutions": [] }));
    pipeline.assert_error(
        400,
        "InvalidRequestException",
        "resourceArn must name a lifecycle policy: this service lists the executions of \
         lifecycle policies only.",
    );
}

#[tokio::test]
async fn a_token_that_does_not_decode_or_is_anothers_is_an_invalid_pagination_token() {
    let app = app();
    for n in 0..3 {
        put(
            &app,
            ACCOUNT,
            POLICY,
            1_700_000_000.0 + f64::from(n),
            "PENDING",
        );
    }
    let first = list(&app, json!({ "resourceArn": POLICY, "maxResults": 1 })).await;
    let token = first.json()["nextToken"].as_str().unwrap().to_owned();
    let message = "The nextToken is not one this operation issued for this resourceArn: list \
                   again without it.";
    let other_policy = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/other";
    let theirs = "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5";
    for body in [
        json!({ "resourceArn": POLICY, "nextToken": "not-a-token" }),
        json!({ "resourceArn": POLICY, "nextToken": &token[..token.len() - 2] }),
        json!({ "resourceArn": other_policy, "nextToken": token }),
        // Even where the ARN alone would answer an empty list.
        json!({ "resourceArn": theirs, "nextToken": token }),
    ] {
        list(&app, body.clone()).await.assert_error(
            400,
            "InvalidPaginationTokenException",
            message,
        );
    }
    let second = list(
        &app,
        json!({ "resourceArn": POLICY, "maxResults": 1, "nextToken": token }),
    )
    .await;
    assert_eq!(second.status, 200, "{second:?}");
}

#[tokio::test]
async fn a_long_resource_arn_or_token_is_quoted_bounded_on_the_log_line() {
    let app = app();
    let long_arn = format!(
        "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/{}",
        "a".repeat(1000)
    );
    let long_token = "t".repeat(60_000);
    let logs = Buffer::default();
    capture_on_this_thread(&logs);

    let answer = list(
        &app,
        json!({ "resourceArn": long_arn, "nextToken": long_token }),
    )
    .await;
    stop_capture();

    assert_eq!(answer.status, 400);
    let line = summary_line(&logs);
    assert_eq!(line["operation"], "ListLifecycleExecutions");
    let arn = line["resource_arn"].as_str().unwrap();
    assert!(
        arn.ends_with(&format!("… ({} characters)", long_arn.len())),
        "{arn}"
    );
    assert!(arn.chars().count() < 300, "{arn}");
    let cause = line["cause"].as_str().unwrap();
    assert!(cause.contains("… (60000 characters)"), "{cause}");
    assert!(cause.len() < 1000, "{cause}");
}
