//! The one place an SDK error of any DynamoDB operation becomes a [`StoreError`].

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::RequestId;

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

/// Where a call went: what the cause of its failure names. `redact` is the raw client token,
/// which DynamoDB's messages may quote (the idempotency key holds it).
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub operation: &'static str,
    /// The table or tables the call touched.
    pub tables: &'a str,
    /// The endpoint the client sends to, as configured.
    pub endpoint: &'a str,
    pub redact: Option<&'a str>,
}

impl Call<'_> {
    /// `text` with the raw client token replaced.
    pub fn redacted(&self, text: &str) -> String {
        match self.redact {
            Some(token) => redact_token(text, token),
            None => text.to_owned(),
        }
    }
}

/// `text` without `token`: inside the idempotency key (`...#<account>#<token>`) always; bare
/// when it is long enough (8 characters or more) not to be mistaken for part of a word.
pub fn redact_token(text: &str, token: &str) -> String {
    if token.is_empty() {
        return text.to_owned();
    }
    let keyed = text.replace(&format!("#{token}"), "#<clientToken>");
    if token.chars().count() >= 8 {
        keyed.replace(token, "<clientToken>")
    } else {
        keyed
    }
}

/// Any SDK failure of any operation: throttling is throttling; timeouts, unreachable
/// endpoints, 5xx answers and unknown outcomes are unavailability; the rest is ours. The cause
/// says what an operator needs: for an answer, DynamoDB's code, message, status and request id;
/// for no answer, whether it timed out or could not connect, and the endpoint.
pub fn classify<E>(error: SdkError<E, HttpResponse>, call: &Call<'_>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let cause = |detail: String| -> Box<dyn std::error::Error + Send + Sync> {
        format!("{} on {}: {}", call.operation, call.tables, detail).into()
    };
    let context = || DisplayErrorContext(&error).to_string();
    match &error {
        SdkError::TimeoutError(_) => StoreError::Unavailable(cause(format!(
            "no answer from {}: timed out",
            call.endpoint
        ))),
        SdkError::ResponseError(_) => StoreError::Unavailable(cause(format!(
            "an unreadable answer from {}: {}",
            call.endpoint,
            context()
        ))),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            StoreError::Unavailable(cause(format!(
                "no answer from {}: timed out connecting",
                call.endpoint
            )))
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            StoreError::Unavailable(cause(format!(
                "no answer from {}: connection failed: {}",
                call.endpoint,
                context()
            )))
        }
        SdkError::ServiceError(e) => {
            let status = e.raw().status();
            let code = error.code().unwrap_or("no error code");
            let detail = format!(
                "{code}: {} (HTTP {}, DynamoDB request id {})",
                // DynamoDB's messages can quote key values; the idempotency key holds the token.
                call.redacted(error.message().unwrap_or("no message")),
                status.as_u16(),
                error.request_id().unwrap_or("none")
            );
            match code {
                code if is_throttling_code(code) => StoreError::Throttled(cause(detail)),
                code if is_unavailable_code(code) => StoreError::Unavailable(cause(detail)),
                _ if status.is_server_error() => StoreError::Unavailable(cause(detail)),
                _ => StoreError::Internal(cause(detail)),
            }
        }
        _ => StoreError::Internal(cause(format!("the request was not sent: {}", context()))),
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

    fn http_response(status: u16) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).expect("a valid status"),
            SdkBody::empty(),
        )
    }

    fn service_error<E>(error: E, status: u16) -> SdkError<E, HttpResponse> {
        SdkError::service_error(error, http_response(status))
    }

    fn kind(error: &StoreError) -> &'static str {
        match error {
            StoreError::Throttled(_) => "Throttled",
            StoreError::Unavailable(_) => "Unavailable",
            StoreError::Contention { .. } => "Contention",
            StoreError::CorruptExecution(_) => "CorruptExecution",
            StoreError::Internal(_) => "Internal",
        }
    }

    const CALL: Call<'static> = Call {
        operation: "TransactWriteItems",
        tables: "executions, tokens",
        endpoint: "http://127.0.0.1:9",
        redact: Some("raw-token-7"),
    };

    fn transact(code: &str, status: u16) -> StoreError {
        let meta = ErrorMetadata::builder().code(code).build();
        classify(
            service_error(TransactWriteItemsError::generic(meta), status),
            &CALL,
        )
    }

    fn get(code: &str, status: u16) -> StoreError {
        let meta = ErrorMetadata::builder().code(code).build();
        classify(service_error(GetItemError::generic(meta), status), &CALL)
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
        let classified = classify(error, &CALL);
        assert_eq!(kind(&classified), "Unavailable");
        assert!(
            classified
                .to_string()
                .contains("no answer from http://127.0.0.1:9: timed out"),
            "{classified}"
        );
    }

    #[test]
    fn an_answer_names_its_code_message_operation_tables_and_request_id_without_the_token() {
        let meta = ErrorMetadata::builder()
            .code("ValidationException")
            .message("One or more parameter values were invalid: key raw-token-7 is bad")
            .build();
        let cause = classify(
            service_error(TransactWriteItemsError::generic(meta), 400),
            &CALL,
        )
        .to_string();
        assert_eq!(
            cause,
            "store failure: TransactWriteItems on executions, tokens: ValidationException: One or \
             more parameter values were invalid: key <clientToken> is bad (HTTP 400, DynamoDB \
             request id none)"
        );
    }

    #[test]
    fn a_token_is_redacted_inside_the_key_always_and_bare_when_it_is_long_enough() {
        let key = "Key CancelLifecycleExecution#123456789012#t1 not found; t1 retry";
        assert_eq!(
            redact_token(key, "t1"),
            "Key CancelLifecycleExecution#123456789012#<clientToken> not found; t1 retry"
        );
        assert_eq!(
            redact_token("value Secret-Token-42 quoted", "Secret-Token-42"),
            "value <clientToken> quoted"
        );
    }
}
