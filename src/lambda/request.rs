//! A Lambda event as an HTTP request, refused rather than panicking when it cannot be one.
//!
//! lambda_http's own conversion panics on some inputs (a Host header that is not a URL
//! authority, a body marked base64 that is not base64, a query that is no URI query). Here the
//! event is checked and made safe first; what cannot be made safe becomes a request that the
//! router refuses with `InvalidRequestException`. The conversion also runs under
//! `catch_unwind`, as a last guard (the release profile keeps unwinding for it).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use base64::Engine;
use http::header::HOST;
use http::uri::PathAndQuery;
use http::HeaderMap;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Context, RequestExt};

use crate::http::summary::MalformedEvent;

/// The event as a request for the router, on the path of the operation it names.
pub fn into_request(mut payload: LambdaRequest, context: Context) -> http::Request<Body> {
    let request = match make_safe(&mut payload) {
        Ok(route_path) => convert(payload, &route_path),
        Err(cause) => unreadable_event(cause),
    };
    request.with_lambda_context(context)
}

/// Checks what lambda_http would panic on, removes what plays no part in the operation (the
/// Host), and returns the path to route on: the event's path without the mount prefix it
/// declares.
fn make_safe(payload: &mut LambdaRequest) -> Result<String, String> {
    let route_path = match payload {
        LambdaRequest::ApiGatewayV1(event) => {
            forget_host(&mut event.headers, &mut event.multi_value_headers);
            event.request_context.domain_name = None;
            check_base64(event.is_base64_encoded, event.body.as_deref())?;
            let path = event.path.replace("/".to_owned()).unwrap_or_default();
            rest_route_path(&path, event.resource.as_deref(), &event.path_parameters)
        }
        LambdaRequest::ApiGatewayV2(event) => {
            forget_host(&mut event.headers, &mut HeaderMap::new());
            event.request_context.domain_name = None;
            check_base64(event.is_base64_encoded, event.body.as_deref())?;
            if let Some(query) = event.raw_query_string.as_deref() {
                if !query.is_empty() && PathAndQuery::try_from(format!("/?{query}")).is_err() {
                    return Err("the raw query string is not a URI query".to_owned());
                }
            }
            let path = event.raw_path.replace("/".to_owned()).unwrap_or_default();
            http_api_route_path(&path, event.request_context.stage.as_deref())
        }
        LambdaRequest::Alb(event) => {
            forget_host(&mut event.headers, &mut event.multi_value_headers);
            check_base64(event.is_base64_encoded, event.body.as_deref())?;
            event.path.replace("/".to_owned()).unwrap_or_default()
        }
        _ => return Err("an event of a kind this service does not serve".to_owned()),
    };
    Ok(route_path)
}

/// A REST API event's `path` holds the base path of a custom domain mapping (if any) before the
/// resource path; the stage of the default endpoint is not in it. The resource path is the
/// event's `resource` with its path parameters filled in; the route is that, once the event's
/// path is found to end with it. Otherwise the path is routed as it is (and matches nothing).
pub fn rest_route_path(
    path: &str,
    resource: Option<&str>,
    parameters: &HashMap<String, String>,
) -> String {
    let Some(resource) = resource else {
        return path.to_owned();
    };
    let mut resolved = resource.to_owned();
    for (name, value) in parameters {
        resolved = resolved
            .replace(&format!("{{{name}+}}"), value)
            .replace(&format!("{{{name}}}"), value);
    }
    match path.strip_suffix(resolved.as_str()) {
        Some(prefix)
            if prefix.is_empty() || (prefix.starts_with('/') && !prefix.ends_with('/')) =>
        {
            resolved
        }
        _ => path.to_owned(),
    }
}

/// An HTTP API event's `rawPath` starts with `/{stage}` unless the stage is `$default`.
pub fn http_api_route_path(raw_path: &str, stage: Option<&str>) -> String {
    let stage = stage.filter(|s| !s.is_empty() && *s != "$default");
    match stage.and_then(|stage| raw_path.strip_prefix(&format!("/{stage}"))) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => raw_path.to_owned(),
    }
}

/// The Host plays no part in the operation; lambda_http panics on one that is no authority.
fn forget_host(headers: &mut HeaderMap, multi_value_headers: &mut HeaderMap) {
    headers.remove(HOST);
    multi_value_headers.remove(HOST);
}

fn check_base64(is_base64_encoded: bool, body: Option<&str>) -> Result<(), String> {
    match body {
        Some(body) if is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(body)
            .map(drop)
            .map_err(|_| "the body is marked base64 but is not base64".to_owned()),
        _ => Ok(()),
    }
}

fn convert(payload: LambdaRequest, route_path: &str) -> http::Request<Body> {
    match catch_unwind(AssertUnwindSafe(|| http::Request::<Body>::from(payload))) {
        Ok(mut request) => {
            let path_and_query = match request.uri().query() {
                Some(query) => format!("{route_path}?{query}"),
                None => route_path.to_owned(),
            };
            // A path that is no URI path names no operation.
            let uri =
                http::Uri::try_from(path_and_query).unwrap_or_else(|_| http::Uri::from_static("/"));
            *request.uri_mut() = uri;
            request
        }
        Err(panic) => {
            let cause = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the event could not be converted".to_owned());
            unreadable_event(cause)
        }
    }
}

fn unreadable_event(cause: String) -> http::Request<Body> {
    let mut request = http::Request::new(Body::Empty);
    request
        .extensions_mut()
        .insert(MalformedEvent(Arc::from(format!(
            "malformed event: {cause}"
        ))));
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_rest_api_base_path_before_the_resource_is_removed() {
        let none = HashMap::new();
        let op = "/CancelLifecycleExecution";
        assert_eq!(rest_route_path(op, Some(op), &none), op);
        assert_eq!(
            rest_route_path("/imagebuilder/CancelLifecycleExecution", Some(op), &none),
            op
        );
        assert_eq!(
            rest_route_path("/a/b/CancelLifecycleExecution", Some(op), &none),
            op
        );
    }

    #[test]
    fn a_proxy_resource_is_filled_in_before_the_prefix_is_removed() {
        let proxy = params(&[("proxy", "CancelLifecycleExecution")]);
        assert_eq!(
            rest_route_path("/base/CancelLifecycleExecution", Some("/{proxy+}"), &proxy),
            "/CancelLifecycleExecution"
        );
        let deeper = params(&[("proxy", "x/CancelLifecycleExecution")]);
        assert_eq!(
            rest_route_path(
                "/base/x/CancelLifecycleExecution",
                Some("/{proxy+}"),
                &deeper
            ),
            "/x/CancelLifecycleExecution"
        );
    }

    #[test]
    fn a_rest_path_that_does_not_end_with_its_resource_is_routed_as_it_is() {
        let none = HashMap::new();
        let op = "/CancelLifecycleExecution";
        for path in [
            "/XCancelLifecycleExecution",
            "/other",
            "/base//CancelLifecycleExecution",
        ] {
            assert_eq!(rest_route_path(path, Some(op), &none), path);
        }
    }

    #[test]
    fn an_http_api_stage_is_removed_unless_it_is_default() {
        let op = "/CancelLifecycleExecution";
        assert_eq!(http_api_route_path(op, Some("$default")), op);
        assert_eq!(
            http_api_route_path("/prod/CancelLifecycleExecution", Some("prod")),
            op
        );
        assert_eq!(
            http_api_route_path("/production/CancelLifecycleExecution", Some("prod")),
            "/production/CancelLifecycleExecution"
        );
        assert_eq!(
            http_api_route_path("/prod/CancelLifecycleExecution", Some("$default")),
            "/prod/CancelLifecycleExecution"
        );
    }
}
