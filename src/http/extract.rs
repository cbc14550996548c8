//! axum extractors for what a handler needs from a request, each rejecting with the
//! documented error: the caller's account, the cancel body, the read's query.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;

use super::{body, identity, query, AppState};
use crate::domain::{AccountId, LifecycleExecutionId};
use crate::error::ApiError;

/// The caller's account: the request's IAM identity, else the default account, else refused.
pub struct Caller(pub AccountId);

impl<S: Send + Sync> FromRequestParts<Arc<AppState<S>>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        identity::caller_account(&parts.extensions)?
            .or_else(|| state.default_account.clone())
            .map(Caller)
            .ok_or_else(identity::forbidden)
    }
}

/// How long the body may take after the headers; the local server sets it on each request
/// (Lambda delivers the body whole).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The validated members of a cancel body.
pub struct CancelBody(pub body::Members);

impl<S: Send + Sync> FromRequest<S> for CancelBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let deadline = request.extensions().get::<BodyDeadline>().map(|d| d.0);
        let bytes = body::read(request.into_body(), deadline).await?;
        body::parse_members(&bytes).map(CancelBody)
    }
}

/// `lifecycleExecutionId` from GetLifecycleExecution's query string.
pub struct ExecutionQuery(pub LifecycleExecutionId);

impl<S: Send + Sync> FromRequestParts<S> for ExecutionQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        query::execution_id(parts.uri.query()).map(ExecutionQuery)
    }
}
