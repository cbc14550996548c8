//! Who is calling, and under which request id, from the API Gateway request context.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::error::ApiError;
use crate::model::AccountId;

/// The caller's account from an IAM-authenticated request context (API-CONTRACT §4):
/// REST APIs carry it in `identity.accountId`, HTTP APIs and function URLs in
/// `authorizer.iam.accountId`. `Ok(None)` means the request carries no identity at all.
pub fn caller_account(request: &Request) -> Result<Option<AccountId>, ApiError> {
    let account = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.account_id.as_deref(),
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.account_id.as_deref()),
        _ => None,
    };
    match account.filter(|a| !a.is_empty()) {
        None => Ok(None),
        // An identity that is there but malformed must not fall back to a default account.
        Some(account) => AccountId::try_from(account.to_owned())
            .map(Some)
            .map_err(|_| forbidden()),
    }
}

pub fn forbidden() -> ApiError {
    ApiError::Forbidden(
        "The request has no authenticated caller: sign it with AWS Signature Version 4.".into(),
    )
}

/// The id API Gateway gave the request, else Lambda's, else a fresh UUID (local mode).
/// Always usable as a header value, so every response can carry it.
pub fn request_id(request: &Request) -> String {
    let usable =
        |id: &String| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic());
    let from_gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    from_gateway
        .filter(usable)
        .or_else(|| {
            request
                .lambda_context_ref()
                .map(|context| context.request_id.clone())
                .filter(usable)
        })
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
