//! The layer every request passes: one summary log line and one metric per request, whoever
//! answered it, and the documented error shape for answers made by a library layer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::peer::PeerProbe;
use super::render::{Report, X_AMZN_REQUEST_ID};
use super::{body, operation_at, AppState};
use crate::domain::{AccountId, ClientToken, ImageBuilderArn, LifecycleExecutionId};
use crate::error::ApiError;
use crate::telemetry::call_count::counting;
use crate::telemetry::{take_cold_start, token_digest, Invocation, RequestSummary};
use lambda_http::RequestExt;

tokio::task_local! {
    /// Set by an entry point around a request it could not read (a Lambda event that cannot
    /// be converted), with the cause: the request is refused before any handler runs.
    pub static UNREADABLE: Arc<str>;
}

/// Who asked for what, for the log line: each request carries one (an extension), and the
/// extractors note on it what they read, so that a refusal is logged with what was known.
#[derive(Debug, Default)]
pub struct Subject {
    account_id: OnceLock<AccountId>,
    lifecycle_execution_id: OnceLock<LifecycleExecutionId>,
    client_token_sha256: OnceLock<String>,
    resource_arn: OnceLock<ImageBuilderArn>,
}

impl Subject {
    /// The subject of the request with these extensions (none outside the summary layer).
    pub fn of(extensions: &http::Extensions) -> Option<Arc<Self>> {
        extensions.get::<Arc<Self>>().cloned()
    }

    pub fn account(&self, account: &AccountId) {
        let _ = self.account_id.set(account.clone());
    }

    pub fn execution(&self, id: &LifecycleExecutionId) {
        let _ = self.lifecycle_execution_id.set(id.clone());
    }

    pub fn resource(&self, arn: &ImageBuilderArn) {
        let _ = self.resource_arn.set(arn.clone());
    }

    /// The token's digest only: the raw token is never logged.
    pub fn client_token(&self, token: &ClientToken) {
        let _ = self.client_token_sha256.set(token_digest(token.as_str()));
    }
}

/// Every request's work runs as a task of its own, tracked for the shutdown: a caller that goes
/// away (the connection's future is dropped) does not stop it half-way, and its summary line
/// and metric are still written, saying that the caller was gone.
pub async fn summarize<S: Send + Sync + 'static>(
    State(app): State<Arc<AppState<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let waiting = CallerWaiting::default();
    let probe = request.extensions().get::<PeerProbe>().cloned();
    // Read here: a task-local does not cross into the spawned work.
    let unreadable = UNREADABLE.try_with(Arc::clone).ok();
    let work = run_and_log(
        Arc::clone(&app),
        request,
        next,
        Arc::clone(&waiting.0),
        probe,
        unreadable,
    );
    match app.in_flight.spawn(work).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::error!(%failure, "a request's work failed outside any handler");
            ApiError::internal().into_response()
        }
    }
}

/// Set to false when the caller's future is dropped (before the answer is ready, if it matters).
struct CallerWaiting(Arc<AtomicBool>);

impl Default for CallerWaiting {
    fn default() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }
}

impl Drop for CallerWaiting {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

async fn run_and_log<S: Send + Sync + 'static>(
    app: Arc<AppState<S>>,
    mut request: Request,
    next: Next,
    waiting: Arc<AtomicBool>,
    probe: Option<PeerProbe>,
    unreadable: Option<Arc<str>>,
) -> Response {
    let started = Instant::now();
    let operation = operation_at(request.uri().path());
    let request_id = request
        .headers()
        .get(&X_AMZN_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Under Lambda, the invocation's own ids (a local request has no Lambda context).
    let invocation = request
        .extensions()
        .lambda_context_ref()
        .map(|context| (context.request_id.clone(), context.xray_trace_id.clone()));
    let cold_start = invocation.as_ref().map(|_| take_cold_start());
    let subject = Arc::new(Subject::default());
    request.extensions_mut().insert(Arc::clone(&subject));
    let (response, dynamodb_calls) = match unreadable {
        Some(cause) => {
            let refusal = ApiError::invalid_request("The request could not be read.");
            (refusal.with_cause(cause).into_response(), 0)
        }
        None => counting(next.run(request)).await,
    };
    let (response, report) = reported(response);
    let summary = RequestSummary {
        request_id: &request_id,
        operation,
        account_id: subject.account_id.get().map(AccountId::as_str),
        lifecycle_execution_id: subject
            .lifecycle_execution_id
            .get()
            .map(LifecycleExecutionId::as_str),
        client_token_sha256: subject.client_token_sha256.get().cloned(),
        resource_arn: subject.resource_arn.get().map(ImageBuilderArn::as_str),
        outcome: report.outcome,
        status: response.status().as_u16(),
        duration: started.elapsed(),
        dynamodb_calls,
        cause: report.cause.as_deref(),
        caller_gone: !waiting.load(Ordering::Relaxed) || probe.is_some_and(|p| p.is_reset()),
        lambda: invocation.as_ref().map(|(request_id, trace)| Invocation {
            function_request_id: request_id,
            xray_trace_id: trace.as_deref(),
            cold_start: cold_start.unwrap_or(false),
        }),
    };
    summary.log();
    if let Some(metrics) = &app.metrics {
        metrics.emit(&summary);
    }
    response
}

/// The documented error for a status a library layer answered with.
fn library_answer(status: StatusCode) -> (ApiError, String) {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => (body::body_too_large(), "body over the limit".into()),
        StatusCode::SERVICE_UNAVAILABLE => (
            ApiError::unavailable(),
            "request timed out in the service".into(),
        ),
        other => (
            ApiError::internal(),
            format!("a layer answered {other} without a rendered error"),
        ),
    }
}

/// The response with its report: our own answers carry one; an answer a library layer made
/// (body limit, timeout) is rendered our way, which carries one.
fn reported(mut response: Response) -> (Response, Report) {
    match response.extensions_mut().remove::<Report>() {
        Some(report) => (response, report),
        None => {
            let (error, cause) = library_answer(response.status());
            reported(error.with_cause(cause).into_response())
        }
    }
}
