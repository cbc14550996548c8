//! Who is calling, and under which request id, from the API Gateway request context.

use http::{Extensions, HeaderValue};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

use crate::domain::AccountId;
use crate::error::{ApiError, ErrorKind};

/// The caller's account from an IAM-authenticated request context (docs/API.md, "Identity"):
/// REST APIs carry it in `identity.accountId`, HTTP APIs and function URLs in
/// `authorizer.iam.accountId`. `Ok(None)` means the request carries no identity at all (the
/// member is absent or null); an empty one is malformed.
pub fn caller_account(extensions: &Extensions) -> Result<Option<AccountId>, ApiError> {
    let account = match extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.account_id.as_deref(),
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.account_id.as_deref()),
        _ => None,
    };
    match account {
        None => Ok(None),
        // An identity that is there but empty, blank or malformed is not "no identity": it
        // must not fall back to a default account.
        Some(account) => AccountId::try_from(account.to_owned())
            .map(Some)
            .map_err(|_| malformed_identity()),
    }
}

fn malformed_identity() -> ApiError {
    ApiError::new(
        ErrorKind::Forbidden,
        "The request's caller identity is not a valid AWS account: sign it with AWS Signature Version 4.",
    )
}

/// The refusal of a request with no identity when no default account is set. A request that
/// came as a Lambda event lacks a signature; a plain HTTP request reached the local server,
/// whose fix is the setting.
pub fn forbidden(extensions: &Extensions) -> ApiError {
    let message = if extensions.request_context_ref().is_some() {
        "The request has no authenticated caller: sign it with AWS Signature Version 4."
    } else {
        "The request has no authenticated caller and the local server has no default account: \
         start it with DEFAULT_ACCOUNT_ID set to a 12-digit account id."
    };
    ApiError::new(ErrorKind::Forbidden, message)
}

/// The id API Gateway gave the request, else Lambda's, else a fresh UUID (local mode).
/// Always usable as a header value, so every response can carry it; never the caller's own.
pub fn request_id(extensions: &Extensions) -> HeaderValue {
    let usable = |id: &String| -> Option<HeaderValue> {
        let printable =
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic());
        printable.then(|| HeaderValue::from_str(id).ok()).flatten()
    };
    let from_gateway = match extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.as_ref(),
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.as_ref(),
        _ => None,
    };
    from_gateway
        .and_then(usable)
        .or_else(|| {
            extensions
                .lambda_context_ref()
                .and_then(|context| usable(&context.request_id))
        })
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("local"))
        })
}
