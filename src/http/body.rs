//! The JSON bodies of the cancel and the list: bytes in, validated members out, or the
//! documented error.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::domain::list::{DEFAULT_MAX_RESULTS, MAX_MAX_RESULTS};
use crate::domain::{ClientToken, ImageBuilderArn, LifecycleExecutionId, RuleViolation};
use crate::error::ApiError;

/// Bodies larger than this are refused unread: a valid request is under 200 bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The longest `nextToken` (Image Builder's model); the tokens this service issues are far
/// shorter.
pub const MAX_NEXT_TOKEN_CHARS: usize = 65_535;

/// The cancel's members as sent; `null` reads as absent, as AWS JSON protocols treat it.
#[derive(Deserialize)]
struct RawCancel {
    #[serde(rename = "clientToken")]
    client_token: Option<Value>,
    #[serde(rename = "lifecycleExecutionId")]
    lifecycle_execution_id: Option<Value>,
}

/// The two validated members of a cancel body (the extractor of `http::extract`).
#[derive(Debug)]
pub struct CancelBody {
    pub client_token: ClientToken,
    pub lifecycle_execution_id: LifecycleExecutionId,
}

/// Parses and validates a cancel body (docs/API.md, "CancelLifecycleExecution").
pub fn parse_cancel_body(body: &[u8]) -> Result<CancelBody, ApiError> {
    let raw: RawCancel = parse_object(body, "clientToken and lifecycleExecutionId")?;
    Ok(CancelBody {
        client_token: member("clientToken", raw.client_token, ClientToken::try_from)?,
        lifecycle_execution_id: member(
            "lifecycleExecutionId",
            raw.lifecycle_execution_id,
            LifecycleExecutionId::try_from,
        )?,
    })
}

/// The list's members as sent.
#[derive(Deserialize)]
struct RawList {
    #[serde(rename = "resourceArn")]
    resource_arn: Option<Value>,
    #[serde(rename = "maxResults")]
    max_results: Option<Value>,
    #[serde(rename = "nextToken")]
    next_token: Option<Value>,
}

/// The validated members of a list body (the extractor of `http::extract`).
#[derive(Debug)]
pub struct ListBody {
    pub resource_arn: ImageBuilderArn,
    pub max_results: u8,
    pub next_token: Option<String>,
}

/// Parses and validates a list body (docs/API.md, "ListLifecycleExecutions").
pub fn parse_list_body(body: &[u8]) -> Result<ListBody, ApiError> {
    let raw: RawList = parse_object(body, "resourceArn")?;
    let resource_arn = member("resourceArn", raw.resource_arn, ImageBuilderArn::try_from)?;
    let max_results = match raw.max_results {
        None => DEFAULT_MAX_RESULTS,
        Some(value) => value
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .filter(|n| (1..=MAX_MAX_RESULTS).contains(n))
            .ok_or_else(|| {
                ApiError::client(format!(
                    "maxResults must be a JSON integer from 1 to {MAX_MAX_RESULTS}."
                ))
            })?,
    };
    let next_token = match raw.next_token {
        None => None,
        present => Some(member("nextToken", present, |token: String| {
            RuleViolation::check_length(&token, MAX_NEXT_TOKEN_CHARS).map(|()| token)
        })?),
    };
    Ok(ListBody {
        resource_arn,
        max_results,
        next_token,
    })
}

/// A body that is one JSON object, its members read as `T` (each as any JSON value).
fn parse_object<T: DeserializeOwned>(body: &[u8], members: &str) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(body_too_large());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_request(format!(
            "The request body is missing: send a JSON object with {members}."
        )));
    }
    serde_json::from_slice(body).map_err(|e| body_error(&e, body))
}

pub fn body_too_large() -> ApiError {
    ApiError::invalid_request(format!(
        "The request body is larger than {MAX_BODY_BYTES} bytes."
    ))
}

pub fn body_too_slow(deadline: std::time::Duration) -> ApiError {
    ApiError::invalid_request(format!(
        "The request body did not arrive within {} seconds.",
        deadline.as_secs_f64()
    ))
}

/// The whole body, at most [`MAX_BODY_BYTES`], within `deadline` when one is set.
pub async fn read(
    body: axum::body::Body,
    deadline: Option<std::time::Duration>,
) -> Result<bytes::Bytes, ApiError> {
    let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
    let read = match deadline {
        Some(deadline) => tokio::time::timeout(deadline, read)
            .await
            .map_err(|_| body_too_slow(deadline))?,
        None => read.await,
    };
    read.map_err(|error| {
        if is_length_limit(&error) {
            body_too_large()
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

fn body_error(error: &serde_json::Error, body: &[u8]) -> ApiError {
    let starts_as_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let message = if !error.is_data() {
        "The request body is not valid JSON."
    } else if starts_as_object {
        // With every member typed as any JSON value, the only data error left inside an
        // object is a member given twice.
        "The request body is ambiguous: a member appears more than once."
    } else {
        "The request body must be a JSON object."
    };
    ApiError::invalid_request(message)
}

fn member<T>(
    name: &'static str,
    value: Option<Value>,
    validate: impl FnOnce(String) -> Result<T, RuleViolation>,
) -> Result<T, ApiError> {
    match value {
        None => Err(ApiError::client(format!("{name} is required."))),
        Some(Value::String(text)) => {
            validate(text).map_err(|rule| ApiError::client(format!("{name} {rule}.")))
        }
        Some(_) => Err(ApiError::client(format!("{name} must be a JSON string."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-0123abcd-4567-89ab-cdef-0123456789ab";

    fn error_of(body: &str) -> (String, String) {
        match parse_cancel_body(body.as_bytes()) {
            Ok(members) => panic!("expected an error for {body:?}, got {members:?}"),
            Err(e) => (e.name().to_owned(), e.message().to_owned()),
        }
    }

    #[test]
    fn a_valid_body_with_unknown_members_parses() {
        let body =
            format!(r#"{{"clientToken":"t-1","lifecycleExecutionId":"{ID}","extra":[1,{{}}]}}"#);
        let members = parse_cancel_body(body.as_bytes()).unwrap();
        assert_eq!(members.client_token.as_str(), "t-1");
        assert_eq!(members.lifecycle_execution_id.as_str(), ID);
    }

    #[test]
    fn an_empty_or_blank_body_is_an_invalid_request() {
        for body in ["", "  \n"] {
            assert_eq!(error_of(body).0, "InvalidRequestException");
            assert!(error_of(body).1.contains("missing"));
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_an_invalid_request() {
        for body in [
            "{",
            "not json",
            r#"{"clientToken":"a"} trailing"#,
            "{\"a\":\"\u{0}\"}",
        ] {
            assert_eq!(
                error_of(body),
                (
                    "InvalidRequestException".into(),
                    "The request body is not valid JSON.".into()
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_not_json() {
        let body = b"{\"clientToken\":\"\xff\xfe\",\"lifecycleExecutionId\":\"x\"}";
        assert_eq!(
            parse_cancel_body(body).unwrap_err().name(),
            "InvalidRequestException"
        );
    }

    #[test]
    fn a_json_value_that_is_not_an_object_is_an_invalid_request() {
        for body in ["[]", "\"text\"", "42", "null", "true"] {
            assert_eq!(
                error_of(body),
                (
                    "InvalidRequestException".into(),
                    "The request body must be a JSON object.".into()
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn a_member_given_twice_is_an_invalid_request() {
        let body =
            format!(r#"{{"clientToken":"a","clientToken":"b","lifecycleExecutionId":"{ID}"}}"#);
        assert_eq!(error_of(&body).0, "InvalidRequestException");
        assert!(error_of(&body).1.contains("more than once"));
    }

    #[test]
    fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
        let body = format!("{{\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(error_of(&body).0, "InvalidRequestException");
    }

    #[test]
    fn a_body_over_the_cap_is_refused() {
        let body = format!(r#"{{"clientToken":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(
            error_of(&body),
            (
                "InvalidRequestException".into(),
                body_too_large().message().to_owned()
            )
        );
    }

    #[test]
    fn missing_members_are_client_errors_that_name_the_member() {
        assert_eq!(
            error_of(&format!(r#"{{"lifecycleExecutionId":"{ID}"}}"#)),
            ("ClientException".into(), "clientToken is required.".into())
        );
        assert_eq!(
            error_of(r#"{"clientToken":"t","lifecycleExecutionId":null}"#),
            (
                "ClientException".into(),
                "lifecycleExecutionId is required.".into()
            )
        );
    }

    #[test]
    fn members_of_the_wrong_json_type_are_client_errors() {
        for value in ["42", "true", "[]", "{}"] {
            assert_eq!(
                error_of(&format!(
                    r#"{{"clientToken":{value},"lifecycleExecutionId":"{ID}"}}"#
                )),
                (
                    "ClientException".into(),
                    "clientToken must be a JSON string.".into()
                )
            );
        }
        assert_eq!(
            error_of(r#"{"clientToken":"t","lifecycleExecutionId":7}"#),
            (
                "ClientException".into(),
                "lifecycleExecutionId must be a JSON string.".into()
            )
        );
    }

    #[test]
    fn rule_violations_name_the_member_and_the_rule() {
        assert_eq!(
            error_of(&format!(
                r#"{{"clientToken":"","lifecycleExecutionId":"{ID}"}}"#
            )),
            (
                "ClientException".into(),
                "clientToken must be between 1 and 64 characters long.".into()
            )
        );
        assert_eq!(
            error_of(&format!(
                r#"{{"clientToken":"t","lifecycleExecutionId":"{ID}\n"}}"#
            )),
            (
                "ClientException".into(),
                format!(
                    "lifecycleExecutionId must match the pattern {}.",
                    LifecycleExecutionId::PATTERN
                )
            )
        );
    }
}
