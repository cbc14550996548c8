//! The HTTP edge: one axum `Router` for Lambda and the local server alike. Routing, caller
//! identity, body parsing and rendering live here; no database adapter does.

pub mod body;
pub mod extract;
pub mod handlers;
pub mod host;
pub mod identity;
pub mod peer;
pub mod query;
pub mod render;
pub mod summary;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{on, MethodFilter};
use axum::Router;
use http::StatusCode;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::set_header::SetRequestHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::DEFAULT_TTL_SECS;
use crate::domain::{AccountId, Operation};
use crate::store::CancelStore;
use crate::telemetry::Metrics;
use render::X_AMZN_REQUEST_ID;

pub const CANCEL_PATH: &str = "/CancelLifecycleExecution";
pub const GET_PATH: &str = "/GetLifecycleExecution";
pub const LIST_PATH: &str = "/ListLifecycleExecutions";

/// The most a request may take inside the service; past it, `ServiceUnavailableException`.
/// Longer than the store's own deadline (8 s); under Lambda the function's own timeout
/// (10 s in template.yaml) comes first, so this bounds the local server.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(25);

/// The operation at `path`.
pub fn operation_at(path: &str) -> Option<Operation> {
    Operation::ALL.into_iter().find(|op| path_of(*op) == path)
}

pub const fn path_of(operation: Operation) -> &'static str {
    match operation {
        Operation::CancelLifecycleExecution => CANCEL_PATH,
        Operation::GetLifecycleExecution => GET_PATH,
        Operation::ListLifecycleExecutions => LIST_PATH,
    }
}

/// The method each operation takes, as the router filters it and as an error names it.
pub const fn method_of(operation: Operation) -> (MethodFilter, http::Method) {
    match operation {
        Operation::CancelLifecycleExecution => (MethodFilter::PUT, http::Method::PUT),
        Operation::GetLifecycleExecution => (MethodFilter::GET, http::Method::GET),
        Operation::ListLifecycleExecutions => (MethodFilter::POST, http::Method::POST),
    }
}

/// What every handler reads: the store and the settings of the service.
pub struct AppState<S> {
    pub store: S,
    pub default_account: Option<AccountId>,
    pub idempotency_ttl_secs: i64,
    pub metrics: Option<Metrics>,
    /// Every request's work, so that a shutdown can wait for the work of callers that left.
    pub in_flight: tokio_util::task::TaskTracker,
    /// The local server's Host check; none under Lambda.
    pub allowed_hosts: Option<Arc<host::AllowedHosts>>,
}

/// The service: a store and its settings, served through [`App::router`]. Not `Clone`: the
/// routers it makes share it.
pub struct App<S> {
    state: Arc<AppState<S>>,
}

impl<S: CancelStore> App<S> {
    pub fn new(store: S, default_account: Option<AccountId>) -> Self {
        Self {
            state: Arc::new(AppState {
                store,
                default_account,
                idempotency_ttl_secs: DEFAULT_TTL_SECS,
                metrics: None,
                in_flight: tokio_util::task::TaskTracker::new(),
                allowed_hosts: None,
            }),
        }
    }

    /// Changes a setting. Settings are made before [`App::router`] shares them; after that,
    /// the routers already made keep the settings they were made with.
    fn with(mut self, change: impl FnOnce(&mut AppState<S>)) -> Self {
        match Arc::get_mut(&mut self.state) {
            Some(state) => change(state),
            None => tracing::warn!("an App setting was changed after router(): ignored"),
        }
        self
    }

    /// Emits one EMF document per request.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        self.with(|s| s.metrics = Some(metrics))
    }

    pub fn with_idempotency_ttl_secs(self, ttl_secs: i64) -> Self {
        self.with(|s| s.idempotency_ttl_secs = ttl_secs)
    }

    /// Answers only requests for loopback hosts and `hosts` (the local server's rule).
    pub fn with_allowed_hosts(self, hosts: host::AllowedHosts) -> Self {
        self.with(|s| s.allowed_hosts = Some(Arc::new(hosts)))
    }

    /// The work of every request this app's routers took, for a shutdown to wait on.
    pub fn in_flight(&self) -> tokio_util::task::TaskTracker {
        self.state.in_flight.clone()
    }

    pub fn store(&self) -> &S {
        &self.state.store
    }

    /// The router: both operations, their method and path errors, and the layers every request
    /// passes (request id, summary line, timeout, body limit).
    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for operation in Operation::ALL {
            let (method, _) = method_of(operation);
            let handler = match operation {
                Operation::CancelLifecycleExecution => on(method, handlers::cancel::<S>),
                Operation::GetLifecycleExecution => on(method, handlers::get_execution::<S>),
                Operation::ListLifecycleExecutions => on(method, handlers::list_executions::<S>),
            };
            let wrong = move || async move { handlers::wrong_method(operation) };
            // A HEAD is another method here, not a GET without a body.
            let handler = handler.on(MethodFilter::HEAD, wrong).fallback(wrong);
            router = router.route(path_of(operation), handler);
        }
        let state = Arc::clone(&self.state);
        let mut router = router.fallback(handlers::no_such_path);
        // Inside the summary layer, so a refused host still gets its line and request id.
        if let Some(allowed) = self.state.allowed_hosts.clone() {
            router = router.layer(axum::middleware::from_fn_with_state(
                allowed,
                host::check_host,
            ));
        }
        router
            .layer(
                ServiceBuilder::new()
                    .layer(SetRequestHeaderLayer::overriding(
                        X_AMZN_REQUEST_ID.clone(),
                        |request: &http::Request<axum::body::Body>| {
                            Some(identity::request_id(request.extensions()))
                        },
                    ))
                    .layer(PropagateRequestIdLayer::new(X_AMZN_REQUEST_ID.clone()))
                    .layer(axum::middleware::from_fn_with_state(
                        Arc::clone(&state),
                        summary::summarize::<S>,
                    ))
                    .layer(RequestBodyLimitLayer::new(body::MAX_BODY_BYTES))
                    .layer(TimeoutLayer::with_status_code(
                        StatusCode::SERVICE_UNAVAILABLE,
                        REQUEST_TIMEOUT,
                    ))
                    .layer(MapRequestBodyLayer::new(axum::body::Body::new)),
            )
            .with_state(state)
    }
}
