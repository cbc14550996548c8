//! The one step of ours in front of lambda_http's own conversions: each event is made safe
//! for them, and put on the path of the operation it names.
//!
//! lambda_http's conversion panics on some inputs (a Host header that is not a URL authority, a
//! body marked base64 that is not base64, a query that is no URI query). Here the event is
//! checked and made safe first; the conversion also runs under `catch_unwind`, as a last guard
//! (the release profile keeps unwinding for it). An event that cannot be made safe, or that
//! panics all the same, is answered through a stand-in event of the same origin, which the
//! router refuses with `InvalidRequestException` and the cause on the summary line.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use http::header::HOST;
use http::uri::PathAndQuery;
use http::HeaderMap;
use lambda_http::request::LambdaRequest;
use lambda_http::{LambdaEvent, Service};

use crate::http::summary::UNREADABLE;

/// A service of Lambda events (lambda_http's `Adapter`) behind the guard.
#[derive(Clone)]
pub struct Guard<S>(pub S);

impl<S> Service<LambdaEvent<LambdaRequest>> for Guard<S>
where
    S: Service<LambdaEvent<LambdaRequest>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, event: LambdaEvent<LambdaRequest>) -> Self::Future {
        let LambdaEvent {
            mut payload,
            context,
        } = event;
        let stand_in = stand_in_for(&payload);
        let cause = match make_safe(&mut payload) {
            Ok(()) => {
                let event = LambdaEvent::new(payload, context.clone());
                match catch_unwind(AssertUnwindSafe(|| self.0.call(event))) {
                    Ok(answer) => return Box::pin(answer),
                    Err(panic) => panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "the event could not be converted".to_owned()),
                }
            }
            Err(cause) => cause,
        };
        let cause: Arc<str> = Arc::from(format!("malformed event: {cause}"));
        let answer = self.0.call(LambdaEvent::new(stand_in, context));
        Box::pin(UNREADABLE.scope(cause, answer))
    }
}

/// An event of the same origin that the conversion always takes: no body, no header, the
/// root path. The router answers it with the refusal [`UNREADABLE`] carries.
fn stand_in_for(payload: &LambdaRequest) -> LambdaRequest {
    let root = Some("/".to_owned());
    match payload {
        LambdaRequest::ApiGatewayV1(_) => {
            let mut event =
                lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequest::default();
            event.path = root;
            LambdaRequest::ApiGatewayV1(event)
        }
        LambdaRequest::Alb(_) => {
            let mut event = lambda_http::aws_lambda_events::alb::AlbTargetGroupRequest::default();
            event.path = root;
            LambdaRequest::Alb(event)
        }
        _ => {
            let mut event =
                lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest::default();
            event.raw_path = root;
            LambdaRequest::ApiGatewayV2(event)
        }
    }
}

/// Checks what lambda_http would panic on, removes what plays no part in the operation (the
/// Host), and puts the route path (the event's path without the mount prefix it declares)
/// where the conversion reads it, with no stage for it to add back.
fn make_safe(payload: &mut LambdaRequest) -> Result<(), String> {
    match payload {
        LambdaRequest::ApiGatewayV1(event) => {
            forget_host(&mut event.headers, &mut event.multi_value_headers);
            event.request_context.domain_name = None;
            check_base64(event.is_base64_encoded, event.body.as_deref())?;
            let path = event.path.take().unwrap_or_else(|| "/".to_owned());
            let route = rest_route_path(&path, event.resource.as_deref(), &event.path_parameters);
            event.path = Some(routable(route));
            event.request_context.stage = None;
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
            let path = event.raw_path.take().unwrap_or_else(|| "/".to_owned());
            let route = http_api_route_path(&path, event.request_context.stage.as_deref());
            event.raw_path = Some(routable(route));
            event.request_context.stage = None;
        }
        LambdaRequest::Alb(event) => {
            forget_host(&mut event.headers, &mut event.multi_value_headers);
            check_base64(event.is_base64_encoded, event.body.as_deref())?;
            let path = event.path.take().unwrap_or_else(|| "/".to_owned());
            event.path = Some(routable(path));
        }
        _ => return Err("an event of a kind this service does not serve".to_owned()),
    }
    Ok(())
}

/// A route path as it is, or the root (which names no operation) for one that is no plain URI
/// path: the conversion would resolve dot segments or refuse it.
fn routable(path: String) -> String {
    let plain = path.starts_with('/')
        && !path.contains('?')
        && PathAndQuery::try_from(path.as_str()).is_ok()
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..");
    if plain {
        path
    } else {
        "/".to_owned()
    }
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
