//! The one place an SDK error of any DynamoDB operation becomes a [`StoreError`].

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::store::StoreError;

/// Error codes DynamoDB uses when it throttles, on an operation or on one transaction item.
pub fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingError"
            | "ThrottlingException"
            | "ProvisionedThroughputExceeded"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
    )
}

/// Codes that mean "try again later": DynamoDB's own failures, and a transaction with the
/// same request token still running after an attempt timed out, so its outcome is unknown.
fn is_unavailable_code(code: &str) -> bool {
    matches!(
        code,
        "InternalServerError"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "TransactionInProgressException"
    )
}

/// Any SDK failure of any operation: throttling is throttling; timeouts, unreachable
/// endpoints, 5xx answers and unknown outcomes are unavailability; the rest is ours.
pub fn classify<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().map(str::to_owned);
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(Box::new(error))
        }
        SdkError::DispatchFailure(ref failure) if failure.is_timeout() || failure.is_io() => {
            StoreError::Unavailable(Box::new(error))
        }
        SdkError::ServiceError(ref e) => {
            let server_error = e.raw().status().is_server_error();
            match code.as_deref() {
                Some(code) if is_throttling_code(code) => StoreError::Throttled(Box::new(error)),
                Some(code) if is_unavailable_code(code) => StoreError::Unavailable(Box::new(error)),
                _ if server_error => StoreError::Unavailable(Box::new(error)),
                _ => StoreError::Internal(Box::new(error)),
            }
        }
        other => StoreError::Internal(Box::new(other)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn answer(status: u16) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).expect("a valid status"),
            SdkBody::empty(),
        )
    }

    fn service_error<E>(error: E, status: u16) -> SdkError<E, HttpResponse> {
        SdkError::service_error(error, answer(status))
    }

    fn kind(error: &StoreError) -> &'static str {
        match error {
            StoreError::Throttled(_) => "Throttled",
            StoreError::Unavailable(_) => "Unavailable",
            StoreError::Contention { .. } => "Contention",
            StoreError::Corrupt(_) => "Corrupt",
            StoreError::Internal(_) => "Internal",
        }
    }

    fn transact(code: &str, status: u16) -> StoreError {
        let meta = ErrorMetadata::builder().code(code).build();
        classify(service_error(
            TransactWriteItemsError::generic(meta),
            status,
        ))
    }

    fn get(code: &str, status: u16) -> StoreError {
        let meta = ErrorMetadata::builder().code(code).build();
        classify(service_error(GetItemError::generic(meta), status))
    }

    #[test]
    fn the_same_answer_is_classified_the_same_for_every_operation() {
        for (code, status, expected) in [
            ("ProvisionedThroughputExceededException", 400, "Throttled"),
            ("ThrottlingException", 400, "Throttled"),
            ("RequestLimitExceeded", 400, "Throttled"),
            ("InternalServerError", 500, "Unavailable"),
            ("SomethingNew", 503, "Unavailable"),
            ("SomethingNew", 500, "Unavailable"),
            ("TransactionInProgressException", 400, "Unavailable"),
            ("ResourceNotFoundException", 400, "Internal"),
            ("AccessDeniedException", 400, "Internal"),
            ("ValidationException", 400, "Internal"),
        ] {
            assert_eq!(kind(&transact(code, status)), expected, "{code} {status}");
            assert_eq!(kind(&get(code, status)), expected, "{code} {status}");
        }
    }

    #[test]
    fn timeouts_are_unavailability() {
        let error: SdkError<GetItemError, HttpResponse> =
            SdkError::timeout_error("no answer in time");
        assert_eq!(kind(&classify(error)), "Unavailable");
    }
}
