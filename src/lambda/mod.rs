//! The Lambda entry point: lambda_http's own conversions (event to request, and the response
//! in the shape the event's origin expects) around the same `Router` as the local server,
//! behind one guard of ours ([`guard`]) that makes each event safe for them.

mod guard;

use axum::response::Response;
use axum::Router;
use lambda_http::Adapter;

pub use guard::Guard;

/// What lambda_runtime runs: the guard, then lambda_http's `Adapter` around the router.
pub type LambdaService = Guard<Adapter<'static, Response, Router>>;

pub fn service(router: Router) -> LambdaService {
    Guard(Adapter::from(router))
}

/// Serves `router` under the Lambda runtime API until the runtime stops.
pub async fn run(router: Router) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service(router)).await
}
