//! The HTTP edge: routing, caller identity, body parsing, and rendering every outcome.

pub mod body;
pub mod identity;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::error::ApiError;
use crate::model::{AccountId, CancelRequest};
use crate::store::dynamodb::calls::counting;
use crate::store::{CancelStore, Outcome};
use crate::telemetry::{token_digest, Metrics, RequestSummary};

/// The operation's name in logs and metrics.
pub const OPERATION: &str = "CancelLifecycleExecution";

/// The one path this service answers.
pub const CANCEL_PATH: &str = "/CancelLifecycleExecution";

/// The service: a store, the account of unauthenticated callers if any, and metrics if wanted.
pub struct App<S> {
    store: S,
    default_account: Option<AccountId>,
    metrics: Option<Metrics>,
}

/// What a request came to, before rendering.
enum Answer {
    Success {
        body: String,
        replayed: bool,
    },
    /// The error, and for a store failure its cause (for the log only).
    Failure(ApiError, Option<String>),
}

impl From<ApiError> for Answer {
    fn from(error: ApiError) -> Self {
        Self::Failure(error, None)
    }
}

impl<S: CancelStore> App<S> {
    pub fn new(store: S, default_account: Option<AccountId>) -> Self {
        Self {
            store,
            default_account,
            metrics: None,
        }
    }

    /// Emits one EMF document per request.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Answers one request. Never fails: every error is a documented response.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let started = Instant::now();
        let request_id = identity::request_id(&request);
        let ((answer, cancel), dynamodb_calls) = counting(self.cancel(&request)).await;
        let (outcome, status, cause) = match &answer {
            Answer::Success {
                replayed: false, ..
            } => ("Cancelled", 200, None),
            Answer::Success { replayed: true, .. } => ("Replayed", 200, None),
            Answer::Failure(error, cause) => (error.name(), error.status(), cause.as_deref()),
        };
        let summary = RequestSummary {
            request_id: &request_id,
            operation: OPERATION,
            account_id: cancel.as_ref().map(|c| c.account_id.as_str()),
            lifecycle_execution_id: cancel.as_ref().map(|c| c.lifecycle_execution_id.as_str()),
            client_token_sha256: cancel
                .as_ref()
                .map(|c| token_digest(c.client_token.as_str())),
            outcome,
            status,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            dynamodb_calls,
            cause,
        };
        summary.log();
        if let Some(metrics) = &self.metrics {
            metrics.emit(&summary);
        }
        render(answer, &request_id)
    }

    /// Routes, authenticates, validates, then runs the store's atomic step.
    async fn cancel(&self, request: &Request) -> (Answer, Option<CancelRequest>) {
        let cancel = match self.validated(request) {
            Ok(cancel) => cancel,
            Err(error) => return (error.into(), None),
        };
        let answer = match self.store.cancel(&cancel, now_epoch_secs()).await {
            Ok(Outcome::Cancelled { response_body }) => Answer::Success {
                body: response_body,
                replayed: false,
            },
            Ok(Outcome::Replayed { response_body }) => Answer::Success {
                body: response_body,
                replayed: true,
            },
            Ok(Outcome::Refused(refusal)) => {
                ApiError::refused(refusal, &cancel.lifecycle_execution_id).into()
            }
            Err(store_error) => {
                Answer::Failure(ApiError::from(&store_error), Some(store_error.to_string()))
            }
        };
        (answer, Some(cancel))
    }

    fn validated(&self, request: &Request) -> Result<CancelRequest, ApiError> {
        route(request)?;
        let account_id = identity::caller_account(request)?
            .or_else(|| self.default_account.clone())
            .ok_or_else(identity::forbidden)?;
        let members = body::parse_members(request.body().as_ref())?;
        Ok(CancelRequest {
            account_id,
            client_token: members.client_token,
            lifecycle_execution_id: members.lifecycle_execution_id,
        })
    }
}

/// `PUT /CancelLifecycleExecution`, and nothing else. API Gateway's stage prefix is not
/// part of the route, so the raw path (without stage) wins where there is one.
fn route(request: &Request) -> Result<(), ApiError> {
    let raw_path = request.raw_http_path();
    let path = if raw_path.is_empty() {
        request.uri().path()
    } else {
        raw_path
    };
    if path != CANCEL_PATH {
        return Err(ApiError::InvalidRequest(
            "This service has no operation at that path: use PUT /CancelLifecycleExecution.".into(),
        ));
    }
    if request.method() != Method::PUT {
        return Err(ApiError::InvalidRequest(
            "CancelLifecycleExecution takes the PUT method.".into(),
        ));
    }
    Ok(())
}

fn now_epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An error response outside `App::handle` (a body refused before it was read).
pub fn render_error(error: ApiError, request_id: &str) -> Response<Body> {
    render(error.into(), request_id)
}

fn render(answer: Answer, request_id: &str) -> Response<Body> {
    let (status, error_type, body) = match answer {
        Answer::Success { body, .. } => (StatusCode::OK, None, body),
        Answer::Failure(error, _) => (
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            Some(error.name()),
            error.body(),
        ),
    };
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    if let Some(name) = error_type {
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(name));
    }
    response
}
