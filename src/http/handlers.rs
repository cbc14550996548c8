//! The two operations as axum handlers: the extractors read the request, the store runs its
//! one step, the answer is rendered with what the log line should say.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;

use super::extract::{Caller, CancelBody, ExecutionQuery};
use super::render::{LogFacts, Rendered, Reply};
use super::AppState;
use crate::domain::{get, CancelRequest, GetRequest, Operation, Outcome, Refusal};
use crate::error::ApiError;
use crate::store::CancelStore;
use crate::telemetry::{token_digest, RequestOutcome};

/// An answer either way: a refusal is rendered as carefully as a success.
type Answered = Result<Rendered, Rendered>;

/// `PUT /CancelLifecycleExecution`: validates the body, then runs the store's atomic step.
pub async fn cancel<S: CancelStore>(
    State(app): State<Arc<AppState<S>>>,
    Caller(account_id): Caller,
    body: Result<CancelBody, ApiError>,
) -> Answered {
    let CancelBody(members) = body.map_err(|e| e.logged_with(LogFacts::caller(&account_id)))?;
    let cancel = CancelRequest {
        account_id,
        client_token: members.client_token,
        lifecycle_execution_id: members.lifecycle_execution_id,
    };
    let plan = cancel.plan(now_epoch_secs(), app.idempotency_ttl_secs);
    let reply = match app.store.cancel(&plan).await {
        Ok(Outcome::Cancelled { response_body }) => {
            success(response_body, RequestOutcome::Cancelled)
        }
        Ok(Outcome::Replayed { response_body }) => success(response_body, RequestOutcome::Replayed),
        Ok(Outcome::Refused(refusal)) => {
            ApiError::from_refusal(refusal, &cancel.lifecycle_execution_id).into()
        }
        Err(store_error) => store_error.into(),
    };
    let facts = LogFacts {
        client_token_sha256: Some(token_digest(cancel.client_token.as_str())),
        account_id: Some(cancel.account_id),
        lifecycle_execution_id: Some(cancel.lifecycle_execution_id),
    };
    Ok(Rendered(reply, facts))
}

/// `GET /GetLifecycleExecution`: reads the execution once, shows it only to its own account.
pub async fn get_execution<S: CancelStore>(
    State(app): State<Arc<AppState<S>>>,
    Caller(account_id): Caller,
    query: Result<ExecutionQuery, ApiError>,
) -> Answered {
    let mut facts = LogFacts::caller(&account_id);
    let ExecutionQuery(id) = query.map_err(|e| e.logged_with(facts.clone()))?;
    facts.lifecycle_execution_id = Some(id.clone());
    let request = GetRequest {
        account_id,
        lifecycle_execution_id: id,
    };
    let reply = match app
        .store
        .get_execution(&request.lifecycle_execution_id)
        .await
    {
        Ok(item) => match get::answer(&request, item.as_ref()) {
            Some(body) => success(body, RequestOutcome::Returned),
            None => {
                ApiError::from_refusal(Refusal::NotFound, &request.lifecycle_execution_id).into()
            }
        },
        Err(store_error) => store_error.into(),
    };
    Ok(Rendered(reply, facts))
}

/// A known path with another method.
pub fn wrong_method(operation: Operation) -> ApiError {
    ApiError::invalid_request(format!(
        "{} takes the {} method.",
        operation.name(),
        super::method_of(operation).1
    ))
}

/// A path that names no operation.
pub async fn no_such_path() -> ApiError {
    ApiError::invalid_request(
        "This service has no operation at that path: use PUT /CancelLifecycleExecution \
         or GET /GetLifecycleExecution.",
    )
}

fn success(body: String, outcome: RequestOutcome) -> Reply {
    Reply::Success { body, outcome }
}

fn now_epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
