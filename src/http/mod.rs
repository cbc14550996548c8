//! The HTTP edge: routing, caller identity, body parsing, and rendering every outcome.

pub mod body;
pub mod identity;
pub mod query;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

use crate::cancel::Refusal;
use crate::error::ApiError;
use crate::get::{self, GetRequest};
use crate::model::{AccountId, CancelRequest, LifecycleExecutionId};
use crate::store::dynamodb::calls::counting;
use crate::store::{CancelStore, Outcome, StoreError};
use crate::telemetry::{token_digest, Metrics, RequestSummary};

/// The operations this service answers, each at its own path and method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CancelLifecycleExecution,
    GetLifecycleExecution,
}

impl Operation {
    pub const fn name(self) -> &'static str {
        match self {
            Self::CancelLifecycleExecution => "CancelLifecycleExecution",
            Self::GetLifecycleExecution => "GetLifecycleExecution",
        }
    }

    pub const fn path(self) -> &'static str {
        match self {
            Self::CancelLifecycleExecution => CANCEL_PATH,
            Self::GetLifecycleExecution => GET_PATH,
        }
    }

    const fn method(self) -> Method {
        match self {
            Self::CancelLifecycleExecution => Method::PUT,
            Self::GetLifecycleExecution => Method::GET,
        }
    }

    fn at(path: &str) -> Option<Self> {
        [Self::CancelLifecycleExecution, Self::GetLifecycleExecution]
            .into_iter()
            .find(|op| op.path() == path)
    }
}

pub const CANCEL_PATH: &str = "/CancelLifecycleExecution";
pub const GET_PATH: &str = "/GetLifecycleExecution";

/// The service: a store, the account of unauthenticated callers if any, and metrics if wanted.
pub struct App<S> {
    store: S,
    default_account: Option<AccountId>,
    metrics: Option<Metrics>,
}

/// What a request came to, before rendering.
enum Answer {
    /// A 200 body, and its outcome name for logs and metrics.
    Success { body: String, outcome: &'static str },
    /// The error, and for a store failure its cause (for the log only).
    Failure(ApiError, Option<String>),
}

impl From<ApiError> for Answer {
    fn from(error: ApiError) -> Self {
        Self::Failure(error, None)
    }
}

impl From<StoreError> for Answer {
    fn from(error: StoreError) -> Self {
        Self::Failure(ApiError::from(&error), Some(error.to_string()))
    }
}

/// What the log line says about who asked for what.
#[derive(Default)]
struct Facts {
    account_id: Option<AccountId>,
    lifecycle_execution_id: Option<LifecycleExecutionId>,
    client_token_sha256: Option<String>,
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
        let operation = Operation::at(path(&request));
        let ((answer, facts), dynamodb_calls) = counting(self.answer(operation, &request)).await;
        let (outcome, status, cause) = match &answer {
            Answer::Success { outcome, .. } => (*outcome, 200, None),
            Answer::Failure(error, cause) => (error.name(), error.status(), cause.as_deref()),
        };
        let summary = RequestSummary {
            request_id: &request_id,
            operation: operation.map_or("Unknown", Operation::name),
            account_id: facts.account_id.as_ref().map(AccountId::as_str),
            lifecycle_execution_id: facts
                .lifecycle_execution_id
                .as_ref()
                .map(LifecycleExecutionId::as_str),
            client_token_sha256: facts.client_token_sha256,
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

    async fn answer(&self, operation: Option<Operation>, request: &Request) -> (Answer, Facts) {
        let Some(operation) = operation else {
            return (
                ApiError::InvalidRequest(
                    "This service has no operation at that path: use PUT /CancelLifecycleExecution \
                     or GET /GetLifecycleExecution."
                        .into(),
                )
                .into(),
                Facts::default(),
            );
        };
        if request.method() != operation.method() {
            let message = format!(
                "{} takes the {} method.",
                operation.name(),
                operation.method()
            );
            return (
                ApiError::InvalidRequest(message.into()).into(),
                Facts::default(),
            );
        }
        let account_id = match self.caller(request) {
            Ok(account_id) => account_id,
            Err(error) => return (error.into(), Facts::default()),
        };
        match operation {
            Operation::CancelLifecycleExecution => self.cancel(account_id, request).await,
            Operation::GetLifecycleExecution => self.get(account_id, request).await,
        }
    }

    fn caller(&self, request: &Request) -> Result<AccountId, ApiError> {
        identity::caller_account(request)?
            .or_else(|| self.default_account.clone())
            .ok_or_else(identity::forbidden)
    }

    /// Validates the body, then runs the store's one atomic step.
    async fn cancel(&self, account_id: AccountId, request: &Request) -> (Answer, Facts) {
        let members = match body::parse_members(request.body().as_ref()) {
            Ok(members) => members,
            Err(error) => {
                let facts = Facts {
                    account_id: Some(account_id),
                    ..Facts::default()
                };
                return (error.into(), facts);
            }
        };
        let cancel = CancelRequest {
            account_id,
            client_token: members.client_token,
            lifecycle_execution_id: members.lifecycle_execution_id,
        };
        let answer = match self.store.cancel(&cancel, now_epoch_secs()).await {
            Ok(Outcome::Cancelled { response_body }) => Answer::Success {
                body: response_body,
                outcome: "Cancelled",
            },
            Ok(Outcome::Replayed { response_body }) => Answer::Success {
                body: response_body,
                outcome: "Replayed",
            },
            Ok(Outcome::Refused(refusal)) => {
                ApiError::refused(refusal, &cancel.lifecycle_execution_id).into()
            }
            Err(store_error) => store_error.into(),
        };
        let facts = Facts {
            client_token_sha256: Some(token_digest(cancel.client_token.as_str())),
            account_id: Some(cancel.account_id),
            lifecycle_execution_id: Some(cancel.lifecycle_execution_id),
        };
        (answer, facts)
    }

    /// Validates the query, reads the execution once, shows it only to its own account.
    async fn get(&self, account_id: AccountId, request: &Request) -> (Answer, Facts) {
        let mut facts = Facts {
            account_id: Some(account_id.clone()),
            ..Facts::default()
        };
        let id = match query::execution_id(request.uri().query()) {
            Ok(id) => id,
            Err(error) => return (error.into(), facts),
        };
        facts.lifecycle_execution_id = Some(id.clone());
        let get = GetRequest {
            account_id,
            lifecycle_execution_id: id,
        };
        let answer = match self.store.get_execution(&get.lifecycle_execution_id).await {
            Ok(item) => match get::answer(&get, item.as_ref()) {
                Some(body) => Answer::Success {
                    body,
                    outcome: "Returned",
                },
                None => ApiError::refused(Refusal::NotFound, &get.lifecycle_execution_id).into(),
            },
            Err(store_error) => store_error.into(),
        };
        (answer, facts)
    }
}

/// The request path without API Gateway's stage prefix, where the event gives one.
fn path(request: &Request) -> &str {
    let raw_path = request.raw_http_path();
    if raw_path.is_empty() {
        request.uri().path()
    } else {
        raw_path
    }
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
