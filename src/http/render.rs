//! The one place an answer becomes an HTTP response: a [`Success`] or an [`ApiError`], each
//! carrying its [`Report`] to the summary line as a response extension.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderName, HeaderValue, StatusCode};

use crate::error::{ApiError, ErrorKind};
use crate::store::StoreError;
use crate::telemetry::RequestOutcome;

/// The request id header of every response.
pub static X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
/// The error name header of every error response.
pub static X_AMZN_ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// A 200 with its JSON body, and how the request ended.
#[derive(Debug)]
pub struct Success {
    pub body: String,
    pub outcome: RequestOutcome,
}

/// What a response tells the summary line (a response extension): how the request ended
/// and, for a failure, its cause, which never reaches the caller.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcome: RequestOutcome,
    pub cause: Option<Arc<str>>,
}

/// Store failures by kind, with their causes for the log.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let rendered = match &error {
            StoreError::Throttled(_) => ApiError::throttled(),
            StoreError::Unavailable(_) => ApiError::unavailable(),
            StoreError::Contention { .. } => ApiError::new(
                ErrorKind::ResourceInUse,
                "Other requests are changing this lifecycle execution right now; retry later.",
            ),
            StoreError::CorruptExecution(_) | StoreError::Internal(_) => ApiError::internal(),
        };
        rendered.with_cause(error.to_string())
    }
}

impl IntoResponse for Success {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, self.body, None, self.outcome, None)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(
            self.status(),
            self.body(),
            Some(self.name()),
            RequestOutcome::Failed(self.kind),
            self.cause,
        )
    }
}

fn json_response(
    status: StatusCode,
    body: String,
    error_type: Option<&'static str>,
    outcome: RequestOutcome,
    cause: Option<Arc<str>>,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(name) = error_type {
        headers.insert(X_AMZN_ERROR_TYPE.clone(), HeaderValue::from_static(name));
    }
    response.extensions_mut().insert(Report { outcome, cause });
    response
}
