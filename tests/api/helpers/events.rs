//! Lambda events as API Gateway sends them, and their trip through the Lambda entry point.

use base64::Engine;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::lambda;
use cancel_lifecycle_execution::store::CancelStore;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent};
use tower::ServiceExt;

use super::Received;

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

/// The event through the Lambda entry point, and the JSON the function returns to Lambda.
pub async fn invoke<S: CancelStore>(app: &App<S>, value: &serde_json::Value) -> serde_json::Value {
    let payload: LambdaRequest = serde_json::from_value(value.clone()).expect("test events parse");
    invoke_payload(app, payload, Context::default()).await
}

/// The event through the Lambda entry point, read back as API Gateway reads the function's
/// answer: the status, the headers (`multiValueHeaders` of a REST API, else `headers`) and the
/// body (decoded when base64).
pub async fn call_event<S: CancelStore>(app: &App<S>, value: &serde_json::Value) -> Received {
    try_call_event(app, value).await.expect("test events parse")
}

/// [`call_event`] as the invocation `context` (its deadline, its trace id).
pub async fn call_event_as<S: CancelStore>(
    app: &App<S>,
    value: &serde_json::Value,
    context: Context,
) -> Received {
    let payload: LambdaRequest = serde_json::from_value(value.clone()).expect("test events parse");
    received(&invoke_payload(app, payload, context).await).expect("an HTTP answer")
}

/// [`call_event`], if the runtime can read the value as an HTTP event at all.
pub async fn try_call_event<S: CancelStore>(
    app: &App<S>,
    value: &serde_json::Value,
) -> Option<Received> {
    let payload: LambdaRequest = serde_json::from_value(value.clone()).ok()?;
    received(&invoke_payload(app, payload, Context::default()).await)
}

/// What API Gateway reads of the function's answer.
fn received(answer: &serde_json::Value) -> Option<Received> {
    let mut headers = http::HeaderMap::new();
    let multi = answer["multiValueHeaders"]
        .as_object()
        .filter(|m| !m.is_empty());
    for (name, values) in multi.or(answer["headers"].as_object())? {
        let values = values
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![values.clone()]);
        for value in values {
            let name = http::HeaderName::try_from(name.as_str()).expect("a header name");
            let value = http::HeaderValue::try_from(value.as_str()?).expect("a header value");
            headers.append(name, value);
        }
    }
    let body = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"] == true {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("valid base64");
        String::from_utf8(bytes).expect("a UTF-8 body")
    } else {
        body.to_owned()
    };
    Some(Received {
        status: u16::try_from(answer["statusCode"].as_u64()?).ok()?,
        headers,
        body,
    })
}

async fn invoke_payload<S: CancelStore>(
    app: &App<S>,
    payload: LambdaRequest,
    context: Context,
) -> serde_json::Value {
    let event = LambdaEvent::new(payload, context);
    let response = match lambda::service(app.router()).oneshot(event).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    serde_json::to_value(response).expect("a serializable response")
}
