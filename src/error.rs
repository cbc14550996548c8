//! The documented errors of API-CONTRACT §2: one variant per error name, one place for statuses.

use std::borrow::Cow;

use crate::cancel::Refusal;
use crate::model::LifecycleExecutionId;
use crate::store::StoreError;

/// A failure the caller sees. The message is meant for a person and never carries internals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(Cow<'static, str>),
    #[error("{0}")]
    Client(Cow<'static, str>),
    #[error("{0}")]
    IdempotentParameterMismatch(Cow<'static, str>),
    #[error("{0}")]
    ResourceInUse(Cow<'static, str>),
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    #[error("{0}")]
    CallRateLimitExceeded(Cow<'static, str>),
    #[error("{0}")]
    Service(Cow<'static, str>),
    #[error("{0}")]
    ServiceUnavailable(Cow<'static, str>),
}

impl ApiError {
    /// The name sent in `x-amzn-ErrorType` and `__type`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "InvalidRequestException",
            Self::Client(_) => "ClientException",
            Self::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            Self::ResourceInUse(_) => "ResourceInUseException",
            Self::Forbidden(_) => "ForbiddenException",
            Self::CallRateLimitExceeded(_) => "CallRateLimitExceededException",
            Self::Service(_) => "ServiceException",
            Self::ServiceUnavailable(_) => "ServiceUnavailableException",
        }
    }

    /// The HTTP status of API-CONTRACT §2.
    pub const fn status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_)
            | Self::Client(_)
            | Self::IdempotentParameterMismatch(_)
            | Self::ResourceInUse(_) => 400,
            Self::Forbidden(_) => 403,
            Self::CallRateLimitExceeded(_) => 429,
            Self::Service(_) => 500,
            Self::ServiceUnavailable(_) => 503,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::InvalidRequest(m)
            | Self::Client(m)
            | Self::IdempotentParameterMismatch(m)
            | Self::ResourceInUse(m)
            | Self::Forbidden(m)
            | Self::CallRateLimitExceeded(m)
            | Self::Service(m)
            | Self::ServiceUnavailable(m) => m,
        }
    }

    /// The generic 500: details belong in the log, never in the response.
    pub fn internal() -> Self {
        Self::Service(Cow::Borrowed(
            "The service could not process the request because of an internal error. Retry later.",
        ))
    }

    pub fn unavailable() -> Self {
        Self::ServiceUnavailable(Cow::Borrowed(
            "The service is temporarily unable to process the request. Retry later.",
        ))
    }

    pub fn throttled() -> Self {
        Self::CallRateLimitExceeded(Cow::Borrowed(
            "The request rate is too high. Retry later with backoff.",
        ))
    }

    /// A refusal of a well-formed request, worded for the caller.
    pub fn refused(refusal: Refusal, id: &LifecycleExecutionId) -> Self {
        match refusal {
            Refusal::ParameterMismatch => Self::IdempotentParameterMismatch(
                "This clientToken was already used with a different lifecycleExecutionId: \
                 use a new clientToken."
                    .into(),
            ),
            // The same words for a missing id and another account's: existence must not leak.
            Refusal::NotFound => {
                Self::Client(format!("Lifecycle execution {id} was not found in this account.").into())
            }
            Refusal::InUse => Self::ResourceInUse(
                format!("Lifecycle execution {id} is already being cancelled; check its status later.")
                    .into(),
            ),
            Refusal::Terminal(status) => Self::InvalidRequest(
                format!(
                    "Lifecycle execution {id} has already finished with status {} and cannot be cancelled.",
                    status.as_str()
                )
                .into(),
            ),
        }
    }

    /// The JSON body `{"__type", "message"}`.
    pub fn body(&self) -> String {
        serde_json::json!({ "__type": self.name(), "message": self.message() }).to_string()
    }
}

/// Store failures by kind; their causes stay in the log.
impl From<&StoreError> for ApiError {
    fn from(error: &StoreError) -> Self {
        match error {
            StoreError::Throttled(_) => Self::throttled(),
            StoreError::Unavailable(_) => Self::unavailable(),
            StoreError::Contention { .. } => Self::ResourceInUse(
                "Other requests are changing this lifecycle execution right now; retry later."
                    .into(),
            ),
            StoreError::Internal(_) => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_documented_status_and_name() {
        let table = [
            (
                ApiError::InvalidRequest("m".into()),
                400,
                "InvalidRequestException",
            ),
            (ApiError::Client("m".into()), 400, "ClientException"),
            (
                ApiError::IdempotentParameterMismatch("m".into()),
                400,
                "IdempotentParameterMismatchException",
            ),
            (
                ApiError::ResourceInUse("m".into()),
                400,
                "ResourceInUseException",
            ),
            (ApiError::Forbidden("m".into()), 403, "ForbiddenException"),
            (ApiError::throttled(), 429, "CallRateLimitExceededException"),
            (ApiError::internal(), 500, "ServiceException"),
            (ApiError::unavailable(), 503, "ServiceUnavailableException"),
        ];
        for (error, status, name) in table {
            assert_eq!((error.status(), error.name()), (status, name));
        }
    }

    #[test]
    fn the_body_is_type_and_message_with_json_escaping() {
        let error = ApiError::Client("a \"quoted\" word".into());
        assert_eq!(
            error.body(),
            r#"{"__type":"ClientException","message":"a \"quoted\" word"}"#
        );
    }
}
