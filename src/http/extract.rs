//! axum extractors for what a handler needs from a request, each rejecting with the
//! documented error and noting on the request's [`Subject`] what the log line says of it: the
//! caller's account, the cancel body, the read's query.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, FromRequestParts, Request};
use http::request::Parts;

pub use super::body::{CancelBody, ListBody};
use super::summary::Subject;
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
        let account = identity::caller_account(&parts.extensions)?
            .or_else(|| state.default_account.clone())
            .ok_or_else(|| identity::forbidden(&parts.extensions))?;
        if let Some(subject) = Subject::of(&parts.extensions) {
            subject.account(&account);
        }
        Ok(Caller(account))
    }
}

/// How long the body may take after the headers; the local server sets it on each request
/// (Lambda delivers the body whole).
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline(pub Duration);

/// The request's body, whole (within its deadline when the local server set one), and the
/// request's subject to note on.
async fn read_body(request: Request) -> Result<(bytes::Bytes, Option<Arc<Subject>>), ApiError> {
    let deadline = request.extensions().get::<BodyDeadline>().map(|d| d.0);
    let subject = Subject::of(request.extensions());
    let bytes = body::read(request.into_body(), deadline).await?;
    Ok((bytes, subject))
}

impl<S: Send + Sync> FromRequest<S> for CancelBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (bytes, subject) = read_body(request).await?;
        let cancel = body::parse_cancel_body(&bytes)?;
        if let Some(subject) = subject {
            subject.execution(&cancel.lifecycle_execution_id);
            subject.client_token(&cancel.client_token);
        }
        Ok(cancel)
    }
}

impl<S: Send + Sync> FromRequest<S> for ListBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (bytes, subject) = read_body(request).await?;
        let list = body::parse_list_body(&bytes)?;
        if let Some(subject) = subject {
            subject.resource(&list.resource_arn);
        }
        Ok(list)
    }
}

/// `lifecycleExecutionId` from GetLifecycleExecution's query string.
pub struct ExecutionQuery(pub LifecycleExecutionId);

impl<S: Send + Sync> FromRequestParts<S> for ExecutionQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let id = query::execution_id(parts.uri.query())?;
        if let Some(subject) = Subject::of(&parts.extensions) {
            subject.execution(&id);
        }
        Ok(ExecutionQuery(id))
    }
}
