//! The two operations as axum handlers: the extractors read and validate the request (and
//! note who asked for what), the store runs its one step, and the answer is a [`Success`] or
//! an [`ApiError`].

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;

use super::extract::{Caller, CancelBody, ExecutionQuery, ListBody};
use super::render::Success;
use super::AppState;
use crate::domain::list::{ListRequest, Page};
use crate::domain::{get, CancelRequest, GetRequest, Operation, Outcome, Refusal};
use crate::error::ApiError;
use crate::store::CancelStore;
use crate::telemetry::RequestOutcome;

/// `PUT /CancelLifecycleExecution`: the store's atomic step, then its outcome.
pub async fn cancel<S: CancelStore>(
    State(app): State<Arc<AppState<S>>>,
    Caller(account_id): Caller,
    body: CancelBody,
) -> Result<Success, ApiError> {
    let cancel = CancelRequest {
        account_id,
        client_token: body.client_token,
        lifecycle_execution_id: body.lifecycle_execution_id,
    };
    let plan = cancel.plan(now_epoch_secs(), app.idempotency_ttl_secs);
    match app.store.cancel(&plan).await? {
        Outcome::Cancelled { response_body } => Ok(Success {
            body: response_body,
            outcome: RequestOutcome::Cancelled,
        }),
        Outcome::Replayed { response_body } => Ok(Success {
            body: response_body,
            outcome: RequestOutcome::Replayed,
        }),
        Outcome::Refused(refusal) => Err(ApiError::from_refusal(
            refusal,
            &cancel.lifecycle_execution_id,
        )),
    }
}

/// `GET /GetLifecycleExecution`: reads the execution once, shows it only to its own account.
pub async fn get_execution<S: CancelStore>(
    State(app): State<Arc<AppState<S>>>,
    Caller(account_id): Caller,
    ExecutionQuery(lifecycle_execution_id): ExecutionQuery,
) -> Result<Success, ApiError> {
    let request = GetRequest {
        account_id,
        lifecycle_execution_id,
    };
    let item = app
        .store
        .get_execution(&request.lifecycle_execution_id)
        .await?;
    match get::view(&request, item.as_ref()) {
        Some(body) => Ok(Success {
            body,
            outcome: RequestOutcome::Returned,
        }),
        None => Err(ApiError::from_refusal(
            Refusal::NotFound,
            &request.lifecycle_execution_id,
        )),
    }
}

/// `POST /ListLifecycleExecutions`: the token checked first, then one page of the caller's
/// executions of the policy (nothing is read for another account's policy).
pub async fn list_executions<S: CancelStore>(
    State(app): State<Arc<AppState<S>>>,
    Caller(account_id): Caller,
    body: ListBody,
) -> Result<Success, ApiError> {
    let request = ListRequest {
        account_id,
        resource_arn: body.resource_arn,
        max_results: body.max_results,
        next_token: body.next_token,
    };
    let query = request
        .query()
        .map_err(|refusal| ApiError::from_list_refusal(refusal, request.next_token.as_deref()))?;
    let page = match query {
        Some(query) => app.store.list_executions(&query).await?,
        None => Page::default(),
    };
    Ok(Success {
        body: request.view(&page),
        outcome: RequestOutcome::Listed,
    })
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
        "This service has no operation at that path: use PUT /CancelLifecycleExecution, \
         GET /GetLifecycleExecution or POST /ListLifecycleExecutions.",
    )
}

fn now_epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
