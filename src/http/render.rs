//! The one place an answer becomes an HTTP response, and what it reports to the log line.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderName, HeaderValue, StatusCode};

use crate::domain::{AccountId, LifecycleExecutionId};
use crate::error::{ApiError, ErrorKind};
use crate::store::StoreError;
use crate::telemetry::RequestOutcome;

/// The request id header of every response.
pub static X_AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
/// The error name header of every error response.
pub static X_AMZN_ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// What a request came to, before rendering.
#[derive(Debug)]
pub enum Reply {
    /// A 200 body, and its outcome for logs and metrics.
    Success {
        body: String,
        outcome: RequestOutcome,
    },
    /// The error, and for a store failure its cause (for the log only).
    Failure {
        error: ApiError,
        cause: Option<String>,
    },
}

impl From<ApiError> for Reply {
    fn from(error: ApiError) -> Self {
        Self::Failure { error, cause: None }
    }
}

/// Store failures by kind; their causes stay in the log.
impl From<StoreError> for Reply {
    fn from(error: StoreError) -> Self {
        let rendered = match &error {
            StoreError::Throttled(_) => ApiError::throttled(),
            StoreError::Unavailable(_) => ApiError::unavailable(),
            StoreError::Contention { .. } => ApiError::new(
                ErrorKind::ResourceInUse,
                "Other requests are changing this lifecycle execution right now; retry later.",
            ),
            StoreError::Corrupt(_) | StoreError::Internal(_) => ApiError::internal(),
        };
        Self::Failure {
            error: rendered,
            cause: Some(error.to_string()),
        }
    }
}

/// What the log line says about who asked for what.
#[derive(Debug, Clone, Default)]
pub struct LogFacts {
    pub account_id: Option<AccountId>,
    pub lifecycle_execution_id: Option<LifecycleExecutionId>,
    pub client_token_sha256: Option<String>,
}

/// The part of a rendered answer the summary layer reads back (a response extension).
#[derive(Debug, Clone)]
pub struct Reported {
    pub outcome: RequestOutcome,
    pub facts: LogFacts,
    pub cause: Option<Arc<str>>,
}

/// An answer with its facts, rendered by axum.
pub struct Rendered(pub Reply, pub LogFacts);

impl Rendered {
    /// The response, and what the log line reports of it.
    pub fn render(self) -> (Response, Reported) {
        let Rendered(reply, facts) = self;
        let (status, error_type, body, outcome, cause) = match reply {
            Reply::Success { body, outcome } => (StatusCode::OK, None, body, outcome, None),
            Reply::Failure { error, cause } => (
                error.status(),
                Some(error.name()),
                error.body(),
                RequestOutcome::Failed(error.kind),
                cause.map(Arc::from),
            ),
        };
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
        let reported = Reported {
            outcome,
            facts,
            cause,
        };
        (response, reported)
    }
}

/// The response carries its report to the summary layer as an extension.
impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        let (mut response, reported) = self.render();
        response.extensions_mut().insert(reported);
        response
    }
}

/// An error with no facts (a refused caller, a wrong path or method), rendered.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Rendered(self.into(), LogFacts::default()).into_response()
    }
}

impl ApiError {
    /// This error, with what the log line says of who asked for what.
    pub fn logged_with(self, facts: LogFacts) -> Rendered {
        Rendered(self.into(), facts)
    }
}

impl LogFacts {
    /// What is known once the caller is.
    pub fn caller(account_id: &AccountId) -> Self {
        Self {
            account_id: Some(account_id.clone()),
            ..Self::default()
        }
    }
}
