//! The Lambda entry point: our own step from event to request (so that an event that makes
//! lambda_http's conversion panic still gets a documented answer), then the same `Router` as
//! the local server, then the response in the shape the event's origin expects.

pub mod request;

use std::convert::Infallible;

use axum::Router;
use http_body_util::BodyExt;
use lambda_http::aws_lambda_events::alb::AlbTargetGroupResponse;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use lambda_http::request::{LambdaRequest, RequestOrigin};
use lambda_http::{Body, LambdaEvent};
pub use request::into_request;
use tower::ServiceExt;

/// A response in the shape its event's origin expects; Lambda serializes it as it is.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum EventResponse {
    /// REST API (v1): headers as `multiValueHeaders` only, so none is sent twice.
    Rest(ApiGatewayProxyResponse),
    /// HTTP API (v2) and function URL.
    Http(ApiGatewayV2httpResponse),
    Alb(AlbTargetGroupResponse),
}

/// Serves `router` under the Lambda runtime API until the runtime stops.
pub async fn run(router: Router) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<LambdaRequest>| {
            let router = router.clone();
            async move { Ok::<_, Infallible>(handle_event(router, event).await) }
        },
    ))
    .await
}

/// One event, answered: never an invocation error for an HTTP event, whatever it holds.
pub async fn handle_event(router: Router, event: LambdaEvent<LambdaRequest>) -> EventResponse {
    let LambdaEvent { payload, context } = event;
    let origin = payload.request_origin();
    let request = into_request(payload, context);
    let response = match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    into_lambda_response(&origin, response).await
}

/// The response as the event's origin expects it.
pub async fn into_lambda_response(
    origin: &RequestOrigin,
    response: http::Response<axum::body::Body>,
) -> EventResponse {
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) if text.is_empty() => None,
        Ok(text) => Some(Body::Text(text)),
        Err(binary) => Some(Body::Binary(binary.into_bytes())),
    };
    let is_base64_encoded = matches!(body, Some(Body::Binary(_)));
    let status_code = i64::from(parts.status.as_u16());
    match origin {
        RequestOrigin::ApiGatewayV1 => {
            let mut response = ApiGatewayProxyResponse::default();
            response.status_code = status_code;
            response.multi_value_headers = parts.headers;
            response.body = body;
            response.is_base64_encoded = is_base64_encoded;
            EventResponse::Rest(response)
        }
        RequestOrigin::Alb => {
            let mut response = AlbTargetGroupResponse::default();
            response.status_code = status_code;
            response.status_description = Some(format!(
                "{} {}",
                parts.status.as_u16(),
                parts.status.canonical_reason().unwrap_or_default()
            ));
            response.headers = parts.headers.clone();
            response.multi_value_headers = parts.headers;
            response.body = body;
            response.is_base64_encoded = is_base64_encoded;
            EventResponse::Alb(response)
        }
        // HTTP APIs and function URLs; `RequestOrigin` is non-exhaustive.
        _ => {
            let mut response = ApiGatewayV2httpResponse::default();
            response.status_code = status_code;
            response.headers = parts.headers;
            response.body = body;
            response.is_base64_encoded = is_base64_encoded;
            EventResponse::Http(response)
        }
    }
}
