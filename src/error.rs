//! The documented errors (docs/API.md, "Errors"): a kind, which fixes the name and the
//! status, and a message for a person. Rendered in one place, `http::render`.

use std::borrow::Cow;
use std::sync::Arc;

use http::StatusCode;

use crate::domain::list::ListRefusal;
use crate::domain::{quoted, LifecycleExecutionId, Refusal};

/// The error names the service can answer with, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidRequest,
    Client,
    IdempotentParameterMismatch,
    InvalidPaginationToken,
    ResourceInUse,
    Forbidden,
    CallRateLimitExceeded,
    Service,
    ServiceUnavailable,
}

impl ErrorKind {
    pub const ALL: [Self; 9] = [
        Self::InvalidRequest,
        Self::Client,
        Self::IdempotentParameterMismatch,
        Self::InvalidPaginationToken,
        Self::ResourceInUse,
        Self::Forbidden,
        Self::CallRateLimitExceeded,
        Self::Service,
        Self::ServiceUnavailable,
    ];

    /// The name sent in `x-amzn-ErrorType` and `__type`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::InvalidRequest => "InvalidRequestException",
            Self::Client => "ClientException",
            Self::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            Self::InvalidPaginationToken => "InvalidPaginationTokenException",
            Self::ResourceInUse => "ResourceInUseException",
            Self::Forbidden => "ForbiddenException",
            Self::CallRateLimitExceeded => "CallRateLimitExceededException",
            Self::Service => "ServiceException",
            Self::ServiceUnavailable => "ServiceUnavailableException",
        }
    }

    pub const fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest
            | Self::Client
            | Self::IdempotentParameterMismatch
            | Self::InvalidPaginationToken
            | Self::ResourceInUse => StatusCode::BAD_REQUEST,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::CallRateLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
            Self::Service => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A failure the caller sees. The message is meant for a person and never carries internals;
/// the cause, for the log line only, does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: Cow<'static, str>,
    /// What an operator reads on the summary line (a store failure, a layer's refusal).
    pub cause: Option<Arc<str>>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    /// This error, with the cause the log line gives.
    pub fn with_cause(self, cause: impl Into<Arc<str>>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..self
        }
    }

    pub fn invalid_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    pub fn client(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Client, message)
    }

    pub const fn name(&self) -> &'static str {
        self.kind.name()
    }

    pub const fn status(&self) -> StatusCode {
        self.kind.status()
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The generic 500: details belong in the log, never in the response.
    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Service,
            "The service could not process the request because of an internal error. Retry later.",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorKind::ServiceUnavailable,
            "The service is temporarily unable to process the request. Retry later.",
        )
    }

    pub fn throttled() -> Self {
        Self::new(
            ErrorKind::CallRateLimitExceeded,
            "The request rate is too high. Retry later with backoff.",
        )
    }

    /// A refusal of a well-formed request, worded for the caller.
    pub fn from_refusal(refusal: Refusal, id: &LifecycleExecutionId) -> Self {
        match refusal {
            Refusal::ParameterMismatch => Self::new(
                ErrorKind::IdempotentParameterMismatch,
                "This clientToken was already used with a different lifecycleExecutionId: \
                 use a new clientToken.",
            ),
            // The same words for a missing id and another account's: existence must not leak.
            Refusal::NotFound => {
                Self::client(format!("Lifecycle execution {id} was not found in this account."))
            }
            Refusal::InUse => Self::new(
                ErrorKind::ResourceInUse,
                format!("Lifecycle execution {id} is already being cancelled; check its status later."),
            ),
            Refusal::Terminal(status) => Self::invalid_request(format!(
                "Lifecycle execution {id} has already finished with status {status} and cannot be cancelled."
            )),
        }
    }

    /// A refusal of a well-formed list request; `next_token` is quoted (bounded) in the cause.
    pub fn from_list_refusal(refusal: ListRefusal, next_token: Option<&str>) -> Self {
        match refusal {
            ListRefusal::InvalidToken(why) => Self::new(
                ErrorKind::InvalidPaginationToken,
                "The nextToken is not one this operation issued for this resourceArn: list \
                 again without it.",
            )
            .with_cause(format!(
                "nextToken {} {why}",
                quoted(next_token.unwrap_or_default())
            )),
            ListRefusal::NotALifecyclePolicy => Self::invalid_request(
                "resourceArn must name a lifecycle policy: this service lists the executions of \
                 lifecycle policies only.",
            ),
        }
    }

    /// The JSON body `{"__type", "message"}`.
    pub fn body(&self) -> String {
        serde_json::json!({ "__type": self.name(), "message": self.message() }).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_documented_status_and_name() {
        let table = [
            (ErrorKind::InvalidRequest, 400, "InvalidRequestException"),
            (ErrorKind::Client, 400, "ClientException"),
            (
                ErrorKind::IdempotentParameterMismatch,
                400,
                "IdempotentParameterMismatchException",
            ),
            (
                ErrorKind::InvalidPaginationToken,
                400,
                "InvalidPaginationTokenException",
            ),
            (ErrorKind::ResourceInUse, 400, "ResourceInUseException"),
            (ErrorKind::Forbidden, 403, "ForbiddenException"),
            (
                ErrorKind::CallRateLimitExceeded,
                429,
                "CallRateLimitExceededException",
            ),
            (ErrorKind::Service, 500, "ServiceException"),
            (
                ErrorKind::ServiceUnavailable,
                503,
                "ServiceUnavailableException",
            ),
        ];
        assert_eq!(table.len(), ErrorKind::ALL.len());
        for (kind, status, name) in table {
            assert_eq!((kind.status().as_u16(), kind.name()), (status, name));
        }
    }

    #[test]
    fn the_body_is_type_and_message_with_json_escaping() {
        let error = ApiError::client("a \"quoted\" word");
        assert_eq!(
            error.body(),
            r#"{"__type":"ClientException","message":"a \"quoted\" word"}"#
        );
    }
}
