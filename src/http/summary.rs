//! The layer every request passes: one summary log line and one metric per request, whoever
//! answered it, and the documented error shape for answers made by a library layer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::peer::PeerProbe;
use super::render::{LogFacts, Rendered, Reply, Reported, X_AMZN_REQUEST_ID};
use super::{body, operation_at, AppState};
use crate::error::ApiError;
use crate::telemetry::calls::counting;
use crate::telemetry::{take_cold_start, LambdaFacts, RequestSummary};
use lambda_http::RequestExt;

/// A Lambda event that could not be turned into a request; it is refused before any handler.
#[derive(Debug, Clone)]
pub struct MalformedEvent(pub Arc<str>);

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
    let work = answer(
        Arc::clone(&app),
        request,
        next,
        Arc::clone(&waiting.0),
        probe,
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

async fn answer<S: Send + Sync + 'static>(
    app: Arc<AppState<S>>,
    request: Request,
    next: Next,
    waiting: Arc<AtomicBool>,
    probe: Option<PeerProbe>,
) -> Response {
    let started = Instant::now();
    let operation = operation_at(request.uri().path());
    let request_id = request
        .headers()
        .get(&X_AMZN_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let malformed = request.extensions().get::<MalformedEvent>().cloned();
    // Under Lambda, the invocation's own ids (a local request has no Lambda context).
    let invocation = request
        .extensions()
        .lambda_context_ref()
        .map(|context| (context.request_id.clone(), context.xray_trace_id.clone()));
    let cold_start = invocation.as_ref().map(|_| take_cold_start());
    let (response, dynamodb_calls) = match malformed {
        Some(MalformedEvent(cause)) => {
            let refusal = ApiError::invalid_request("The request could not be read.");
            (library_failure(refusal, &cause).into_response(), 0)
        }
        None => counting(next.run(request)).await,
    };
    let (response, reported) = reported(response);
    let facts = &reported.facts;
    let summary = RequestSummary {
        request_id: &request_id,
        operation,
        account_id: facts.account_id.as_ref().map(|a| a.as_str()),
        lifecycle_execution_id: facts.lifecycle_execution_id.as_ref().map(|i| i.as_str()),
        client_token_sha256: facts.client_token_sha256.clone(),
        outcome: reported.outcome,
        status: response.status().as_u16(),
        duration: started.elapsed(),
        dynamodb_calls,
        cause: reported.cause.as_deref(),
        caller_gone: !waiting.load(Ordering::Relaxed) || probe.is_some_and(|p| p.is_reset()),
        lambda: invocation.as_ref().map(|(request_id, trace)| LambdaFacts {
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
/// (body limit, timeout) is rendered our way here.
fn reported(mut response: Response) -> (Response, Reported) {
    match response.extensions_mut().remove::<Reported>() {
        Some(reported) => (response, reported),
        None => {
            let (error, cause) = library_answer(response.status());
            library_failure(error, &cause).render()
        }
    }
}

/// `error`, refused before any handler ran, with `cause` for the log line.
fn library_failure(error: ApiError, cause: &str) -> Rendered {
    let reply = Reply::Failure {
        error,
        cause: Some(cause.to_owned()),
    };
    Rendered(reply, LogFacts::default())
}
