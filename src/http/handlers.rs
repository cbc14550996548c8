//! The two operations as axum handlers: read the request, run the store's one step, answer.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::request::Parts;

use super::render::{error_response, Answer, Facts, Rendered};
use super::{body, identity, query, Shared};
use crate::domain::{get, AccountId, CancelRequest, GetRequest, Operation, Outcome, Refusal};
use crate::error::ApiError;
use crate::store::CancelStore;
use crate::telemetry::{token_digest, RequestOutcome};

/// `PUT /CancelLifecycleExecution`: validates the body, then runs the store's atomic step.
pub async fn cancel<S: CancelStore>(
    State(app): State<Arc<Shared<S>>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let account_id = match app.caller(&parts) {
        Ok(account_id) => account_id,
        Err(error) => return error_response(error),
    };
    let facts = Facts {
        account_id: Some(account_id.clone()),
        ..Facts::default()
    };
    let members = match read_body(body, app.body_deadline).await {
        Ok(bytes) => body::parse_members(&bytes),
        Err(error) => Err(error),
    };
    let members = match members {
        Ok(members) => members,
        Err(error) => return Rendered(error.into(), facts).into_response(),
    };
    let cancel = CancelRequest {
        account_id,
        client_token: members.client_token,
        lifecycle_execution_id: members.lifecycle_execution_id,
    };
    let plan = cancel.plan(now_epoch_secs(), app.idempotency_ttl_secs);
    let answer = match app.store.cancel(&plan).await {
        Ok(Outcome::Cancelled { response_body }) => Answer::Success {
            body: response_body,
            outcome: RequestOutcome::Cancelled,
        },
        Ok(Outcome::Replayed { response_body }) => Answer::Success {
            body: response_body,
            outcome: RequestOutcome::Replayed,
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
    Rendered(answer, facts).into_response()
}

/// `GET /GetLifecycleExecution`: reads the execution once, shows it only to its own account.
pub async fn get_execution<S: CancelStore>(
    State(app): State<Arc<Shared<S>>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let account_id = match app.caller(&parts) {
        Ok(account_id) => account_id,
        Err(error) => return error_response(error),
    };
    let mut facts = Facts {
        account_id: Some(account_id.clone()),
        ..Facts::default()
    };
    let id = match query::execution_id(parts.uri.query()) {
        Ok(id) => id,
        Err(error) => return Rendered(error.into(), facts).into_response(),
    };
    facts.lifecycle_execution_id = Some(id.clone());
    let request = GetRequest {
        account_id,
        lifecycle_execution_id: id,
    };
    let answer = match app
        .store
        .get_execution(&request.lifecycle_execution_id)
        .await
    {
        Ok(item) => match get::answer(&request, item.as_ref()) {
            Some(body) => Answer::Success {
                body,
                outcome: RequestOutcome::Returned,
            },
            None => ApiError::refused(Refusal::NotFound, &request.lifecycle_execution_id).into(),
        },
        Err(store_error) => store_error.into(),
    };
    Rendered(answer, facts).into_response()
}

/// A known path with another method.
pub fn wrong_method(operation: Operation) -> Response {
    error_response(ApiError::invalid_request(format!(
        "{} takes the {} method.",
        operation.name(),
        super::method_of(operation).1
    )))
}

/// A path that names no operation.
pub async fn no_such_path() -> Response {
    error_response(ApiError::invalid_request(
        "This service has no operation at that path: use PUT /CancelLifecycleExecution \
         or GET /GetLifecycleExecution.",
    ))
}

impl<S> Shared<S> {
    fn caller(&self, parts: &Parts) -> Result<AccountId, ApiError> {
        identity::caller_account(&parts.extensions)?
            .or_else(|| self.default_account.clone())
            .ok_or_else(identity::forbidden)
    }
}

/// The whole body, at most [`body::MAX_BODY_BYTES`], within `deadline` when one is set.
async fn read_body(body: axum::body::Body, deadline: Option<Duration>) -> Result<Bytes, ApiError> {
    let read = axum::body::to_bytes(body, body::MAX_BODY_BYTES);
    let read = match deadline {
        Some(deadline) => match tokio::time::timeout(deadline, read).await {
            Ok(read) => read,
            Err(_) => return Err(body::body_too_slow(deadline)),
        },
        None => read.await,
    };
    read.map_err(|error| {
        if is_length_limit(&error) {
            body::body_too_large()
        } else {
            ApiError::invalid_request("The request body could not be read.")
        }
    })
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn now_epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
