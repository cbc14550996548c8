//! Lambda events as API Gateway sends them, and their trip through the Lambda entry point.

use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::lambda;
use cancel_lifecycle_execution::store::CancelStore;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent};

/// An API Gateway REST (v1) proxy event with IAM auth, parsed as Lambda hands it over.
pub fn rest_v1_event(method: &str, body: &str, caller_account: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "resource": "/CancelLifecycleExecution",
        "path": "/CancelLifecycleExecution",
        "httpMethod": method,
        "headers": { "content-type": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com" },
        "multiValueHeaders": { "content-type": ["application/json"], "Host": ["abc123.execute-api.us-east-1.amazonaws.com"] },
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "999988887777",
            "resourceId": "r1",
            "stage": "prod",
            "requestId": "rest-request-id-1",
            "identity": {
                "accountId": caller_account,
                "caller": "AIDAEXAMPLE",
                "sourceIp": "192.0.2.1",
                "userArn": caller_account.map(|a| format!("arn:aws:iam::{a}:user/tester"))
            },
            "resourcePath": "/CancelLifecycleExecution",
            "httpMethod": method,
            "apiId": "abc123",
            "path": "/prod/CancelLifecycleExecution",
            "requestTimeEpoch": 1700000000000_i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An HTTP API (v2) event with IAM auth; a function URL event has the same shape.
pub fn http_v2_event(
    method: &str,
    body: &str,
    caller_account: Option<&str>,
    domain: &str,
) -> serde_json::Value {
    let authorizer = caller_account.map(|a| {
        serde_json::json!({ "iam": {
            "accessKey": "AKIAEXAMPLE",
            "accountId": a,
            "callerId": "AIDAEXAMPLE",
            "userArn": format!("arn:aws:iam::{a}:user/tester"),
            "userId": "AIDAEXAMPLE"
        }})
    });
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/CancelLifecycleExecution",
        "rawQueryString": "",
        "headers": { "content-type": "application/json", "host": domain },
        "requestContext": {
            "accountId": "999988887777",
            "apiId": "abc123",
            "authorizer": authorizer,
            "domainName": domain,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": "/CancelLifecycleExecution",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test"
            },
            "requestId": "v2-request-id-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1700000000000_i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// The event as the Lambda entry point turns it into a request.
pub fn event(value: &serde_json::Value) -> http::Request<lambda_http::Body> {
    try_event(value).expect("test events parse")
}

/// The event as the Lambda entry point turns it into a request, if the runtime can read it
/// as an HTTP event at all.
pub fn try_event(value: &serde_json::Value) -> Option<http::Request<lambda_http::Body>> {
    let payload: LambdaRequest = serde_json::from_value(value.clone()).ok()?;
    Some(lambda::into_request(payload, Context::default()))
}

/// The event through the Lambda entry point, and the JSON the function returns to Lambda.
pub async fn invoke<S: CancelStore>(app: &App<S>, value: &serde_json::Value) -> serde_json::Value {
    let payload: LambdaRequest = serde_json::from_value(value.clone()).expect("test events parse");
    let response =
        lambda::handle_event(app.router(), LambdaEvent::new(payload, Context::default())).await;
    serde_json::to_value(response).expect("a serializable response")
}
