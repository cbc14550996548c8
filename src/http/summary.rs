//! The layer every request passes: one summary log line and one metric per request, whoever
//! answered it, and the documented error shape for answers made by a library layer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::peer::PeerProbe;
use super::render::{Report, X_AMZN_REQUEST_ID};
use super::{body, operation_at, AppState};
use crate::domain::{AccountId, ClientToken, ImageBuilderArn, LifecycleExecutionId};
use crate::error::ApiError;
use crate::telemetry::request_scope::{self, RequestScope};
use crate::telemetry::{take_cold_start, token_digest, Invocation, RequestSummary};
use lambda_http::RequestExt;
use tracing::Instrument;

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
    // Every line the work writes under Lambda carries its invocation's id (telemetry::invocation).
    let span = match request.extensions().lambda_context_ref() {
        Some(context) => tracing::info_span!(
            "invocation",
            function_request_id = context.request_id.as_str()
        ),
        None => tracing::Span::none(),
    };
    let work = run_and_log(
        Arc::clone(&app),
        request,
        next,
        Arc::clone(&waiting.0),
        probe,
        unreadable,
    );
    match app.in_flight.spawn(work.instrument(span)).await {
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
    // Under Lambda, the invocation's own ids and deadline (a local request has no Lambda
    // context): each request's, wherever its work runs.
    let context = request.extensions().lambda_context_ref();
    let invocation = context.map(|c| (c.request_id.clone(), c.xray_trace_id.clone()));
    let deadline = context.and_then(|c| deadline_of(c.deadline));
    let cold_start = invocation.as_ref().map(|_| take_cold_start());
    if cold_start == Some(true) {
        warn_of_a_short_budget(deadline, started);
    }
    let scope = RequestScope::new(
        invocation.as_ref().and_then(|(_, trace)| trace.clone()),
        deadline,
    );
    let subject = Arc::new(Subject::default());
    request.extensions_mut().insert(Arc::clone(&subject));
    let (response, dynamodb_calls) = match unreadable {
        Some(cause) => {
            let refusal = ApiError::invalid_request("The request could not be read.");
            (refusal.with_cause(cause).into_response(), 0)
        }
        None => request_scope::within(scope, next.run(request)).await,
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

/// Lambda's deadline (milliseconds since the epoch) as an instant; none when Lambda gave none
/// (0), so that a request without one is bounded by the store's own deadline alone.
fn deadline_of(epoch_ms: u64) -> Option<Instant> {
    let at = std::time::UNIX_EPOCH.checked_add(Duration::from_millis(epoch_ms))?;
    let left = at
        .duration_since(std::time::SystemTime::now())
        .unwrap_or(Duration::ZERO);
    (epoch_ms > 0).then(|| Instant::now() + left)
}

/// The budget under which a request cannot have its whole DynamoDB time (8 s) and still answer.
const FULL_BUDGET: Duration = Duration::from_millis(8_500);

/// One WARN, from a process's first invocation, when the function's time is under what a
/// request may need: a `Timeout` set too low makes some requests answer 503 (cause `deadline`).
fn warn_of_a_short_budget(deadline: Option<Instant>, started: Instant) {
    if let Some(budget) = deadline.map(|d| d.saturating_duration_since(started)) {
        if budget < FULL_BUDGET {
            tracing::warn!(
                budget_ms = budget.as_millis() as u64,
                needed_ms = FULL_BUDGET.as_millis() as u64,
                "the invocation's time is under what a request may spend on DynamoDB and \
                 answering: raise the function's Timeout to 10 s (requests near the deadline \
                 answer ServiceUnavailableException, cause deadline)"
            );
        }
    }
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
