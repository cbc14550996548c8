//! Events AWS itself produced (aws_lambda_events' captured fixtures), changed only in method,
//! path fields, body and identity, through the Lambda entry point: every mount of the
//! operation is served, a wrong path is refused, and events that make lambda_http's own
//! conversion panic get a documented answer while the same app keeps answering.

use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;
use serde_json::{json, Value};

use crate::helpers::{app_with, cancel_body, invoke, new_id, put_raw, ACCOUNT};

const OP: &str = "/CancelLifecycleExecution";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/api/fixtures/aws_lambda_events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A REST API event: `path` as API Gateway gives it (a custom domain's base path included),
/// `resource` as defined on the API, with `parameters` for a templated resource.
fn rest(path: &str, resource: &str, parameters: Value, body: &str) -> Value {
    let mut event = fixture("example-apigw-request.json");
    event["httpMethod"] = "PUT".into();
    event["path"] = path.into();
    event["resource"] = resource.into();
    event["pathParameters"] = parameters;
    event["body"] = body.into();
    event["isBase64Encoded"] = false.into();
    event["queryStringParameters"] = Value::Null;
    event["multiValueQueryStringParameters"] = Value::Null;
    let context = &mut event["requestContext"];
    context["httpMethod"] = "PUT".into();
    context["resourcePath"] = resource.into();
    context["path"] = format!("/testStage{path}").into();
    context["identity"]["accountId"] = ACCOUNT.into();
    event
}

/// An HTTP API event with IAM auth on `stage`, `raw_path` as API Gateway gives it.
fn http_api(raw_path: &str, stage: &str, body: &str) -> Value {
    let mut event = fixture("example-apigw-v2-request-iam.json");
    event["rawPath"] = raw_path.into();
    event["rawQueryString"] = "".into();
    event["queryStringParameters"] = Value::Null;
    event["pathParameters"] = Value::Null;
    event["cookies"] = Value::Null;
    event["body"] = body.into();
    event["isBase64Encoded"] = false.into();
    let context = &mut event["requestContext"];
    context["stage"] = stage.into();
    context["http"]["method"] = "PUT".into();
    context["http"]["path"] = raw_path.into();
    context["authorizer"]["iam"]["accountId"] = ACCOUNT.into();
    event
}

fn alb(path: &str, body: &str) -> Value {
    let mut event = fixture("example-alb-lambda-target-request-multivalue-headers.json");
    event["httpMethod"] = "PUT".into();
    event["path"] = path.into();
    event["multiValueQueryStringParameters"] = json!({});
    event["body"] = body.into();
    event["isBase64Encoded"] = false.into();
    event
}

/// The embedded store with one cancellable execution of ACCOUNT; unauthenticated callers (an
/// ALB) act as ACCOUNT, as under `cargo lambda watch`.
fn app_with_execution() -> (App<EmbeddedStore>, String) {
    let store = EmbeddedStore::new();
    let id = new_id();
    put_raw(&store, &id, ACCOUNT, "IN_PROGRESS");
    (app_with(store), id)
}

fn assert_cancelled(returned: &Value, id: &str, case: &str) {
    assert_eq!(returned["statusCode"], 200, "{case}: {returned}");
    assert_eq!(returned["body"], crate::helpers::success_body(id), "{case}");
}

fn header<'a>(returned: &'a Value, name: &str) -> Option<&'a str> {
    returned["headers"][name]
        .as_str()
        .or_else(|| returned["multiValueHeaders"][name][0].as_str())
}

fn assert_refused(returned: &Value, name: &str, case: &str) {
    assert_eq!(returned["statusCode"], 400, "{case}: {returned}");
    assert_eq!(
        header(returned, "x-amzn-errortype"),
        Some(name),
        "{case}: {returned}"
    );
    assert_eq!(
        header(returned, "content-type"),
        Some("application/json"),
        "{case}"
    );
    assert!(header(returned, "x-amzn-requestid").is_some(), "{case}");
    let body: Value = serde_json::from_str(returned["body"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{case}: {e}: {returned}"));
    assert_eq!(body["__type"], name, "{case}");
}

#[tokio::test]
async fn a_rest_api_serves_the_operation_on_its_default_endpoint_and_behind_a_base_path() {
    for path in [
        OP.to_owned(),
        format!("/imagebuilder{OP}"),
        format!("/v1/images{OP}"),
    ] {
        let (app, id) = app_with_execution();
        let event = rest(&path, OP, Value::Null, &cancel_body("t", &id));

        assert_cancelled(&invoke(&app, &event).await, &id, &path);
    }
}

#[tokio::test]
async fn a_rest_api_proxy_resource_is_served_on_the_path_it_names() {
    let (app, id) = app_with_execution();
    let proxied = rest(
        &format!("/imagebuilder{OP}"),
        "/{proxy+}",
        json!({ "proxy": "CancelLifecycleExecution" }),
        &cancel_body("t", &id),
    );
    let elsewhere = rest(
        &format!("/imagebuilder/x{OP}"),
        "/{proxy+}",
        json!({ "proxy": "x/CancelLifecycleExecution" }),
        &cancel_body("t2", &id),
    );

    assert_cancelled(&invoke(&app, &proxied).await, &id, "proxy");
    assert_refused(
        &invoke(&app, &elsewhere).await,
        "InvalidRequestException",
        "x/",
    );
}

#[tokio::test]
async fn an_http_api_serves_the_operation_on_its_default_and_named_stages() {
    for (raw_path, stage) in [
        (OP.to_owned(), "$default"),
        (format!("/prod{OP}"), "prod"),
        (format!("/v1{OP}"), "v1"),
    ] {
        let (app, id) = app_with_execution();
        let event = http_api(&raw_path, stage, &cancel_body("t", &id));

        assert_cancelled(&invoke(&app, &event).await, &id, &raw_path);
    }
}

#[tokio::test]
async fn a_path_that_only_ends_with_the_operation_is_refused_on_every_mount() {
    let (app, id) = app_with_execution();
    let body = cancel_body("t", &id);
    let cases = [
        (
            "HTTP API, another prefix",
            http_api(&format!("/other{OP}"), "prod", &body),
        ),
        (
            "HTTP API, prefix on $default",
            http_api(&format!("/prod{OP}"), "$default", &body),
        ),
        (
            "HTTP API, deeper",
            http_api(&format!("/prod/x{OP}"), "prod", &body),
        ),
        (
            "HTTP API, longer name",
            http_api(&format!("/prod{OP}X"), "prod", &body),
        ),
        (
            "REST, other resource",
            rest(&format!("/base{OP}"), "/Other", Value::Null, &body),
        ),
        ("ALB, prefix", alb(&format!("/prod{OP}"), &body)),
    ];
    for (case, event) in cases {
        assert_refused(&invoke(&app, &event).await, "InvalidRequestException", case);
    }
    assert_eq!(
        crate::helpers::embedded_status(app.store(), &id),
        "IN_PROGRESS"
    );
}

#[tokio::test]
async fn an_alb_serves_the_operation_on_its_path() {
    let (app, id) = app_with_execution();

    let returned = invoke(&app, &alb(OP, &cancel_body("t", &id))).await;

    assert_cancelled(&returned, &id, "ALB");
    assert_eq!(returned["statusDescription"], "200 OK");
}

#[tokio::test]
async fn events_that_make_lambda_http_panic_get_a_documented_answer_and_the_app_answers_on() {
    let (app, id) = app_with_execution();
    let body = cancel_body("t", &id);
    let mut cases = Vec::new();
    for host in ["999.1.1.1", "h:99999", "[::1", "a b"] {
        let mut event = alb(OP, &body);
        event["multiValueHeaders"]["host"] = json!([host]);
        cases.push((format!("ALB Host {host}"), event, false));
        let mut event = rest(OP, OP, Value::Null, &body);
        event["headers"]["Host"] = host.into();
        event["multiValueHeaders"]["Host"] = json!([host]);
        cases.push((format!("REST Host {host}"), event, false));
    }
    for (name, mut event) in [
        ("ALB", alb(OP, "e30")),
        ("REST", rest(OP, OP, Value::Null, "e30")),
        ("HTTP API", http_api(OP, "$default", "e30")),
    ] {
        event["isBase64Encoded"] = true.into();
        cases.push((
            format!("{name} body marked base64 that is not"),
            event,
            true,
        ));
    }
    let mut event = http_api(OP, "$default", &body);
    event["rawQueryString"] = "a=\u{1}b c".into();
    cases.push((
        "HTTP API query that is no URI query".to_owned(),
        event,
        true,
    ));
    let mut event = alb(":99999", &body);
    event["path"] = ":99999".into();
    cases.push(("ALB path that is no path".to_owned(), event, true));

    for (case, event, refused) in cases {
        let returned = invoke(&app, &event).await;
        if refused {
            assert_refused(&returned, "InvalidRequestException", &case);
        } else {
            // The Host plays no part in the operation: it is ignored.
            assert!(
                [200, 400].contains(&returned["statusCode"].as_u64().unwrap_or_default()),
                "{case}: {returned}"
            );
            assert!(header(&returned, "x-amzn-requestid").is_some(), "{case}");
        }
    }
    let (fresh, fresh_id) = app_with_execution();
    assert_cancelled(
        &invoke(&fresh, &alb(OP, &cancel_body("after", &fresh_id))).await,
        &fresh_id,
        "the next event",
    );
}
