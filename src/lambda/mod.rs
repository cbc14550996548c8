//! The Lambda entry point: lambda_http's own conversions (event to request, and the response
//! in the shape the event's origin expects) around the same `Router` as the local server,
//! behind one guard of ours ([`guard`]) that makes each event safe for them.

mod guard;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use http_body_util::BodyExt;
use lambda_http::{Adapter, Body, Request, Response};
use tower::ServiceExt;

pub use guard::Guard;

/// What lambda_runtime runs: the guard, then lambda_http's `Adapter` around the router.
pub type LambdaService = Guard<Adapter<'static, Response<Body>, Buffered>>;

pub fn service(router: Router) -> LambdaService {
    Guard(Adapter::from(Buffered(router)))
}

/// Serves `router` under the Lambda runtime API until the runtime stops: as many invocations
/// at once as `AWS_LAMBDA_MAX_CONCURRENCY` says (Lambda Managed Instances), one at a time when
/// it is unset or 1. Each invocation's ids, trace and deadline travel with its own request.
pub async fn run(router: Router) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run_concurrent(service(router)).await
}

/// The router with its answers read whole (they are a few hundred bytes of JSON): a response
/// lambda_runtime can hand between its workers, which axum's streaming body is not.
#[derive(Clone)]
pub struct Buffered(Router);

impl tower::Service<Request> for Buffered {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let answer = self.0.clone().oneshot(request);
        Box::pin(async move {
            let (parts, body) = answer.await?.into_parts();
            // A body of ours is in memory: reading it cannot fail.
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok(Response::from_parts(parts, Body::from(bytes.to_vec())))
        })
    }
}
