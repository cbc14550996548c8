//! The local server in process, on a free loopback port.

use cancel_lifecycle_execution::config::LocalLimits;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::local;
use cancel_lifecycle_execution::store::CancelStore;

/// Serves `app` on a free loopback port for the rest of the test; returns its base URL.
pub async fn serve<S: CancelStore>(app: App<S>) -> String {
    serve_with(app, LocalLimits::default(), std::future::pending()).await
}

/// Serves `app` with `limits` until `shutdown`; returns its base URL.
pub async fn serve_with<S: CancelStore>(
    app: App<S>,
    limits: LocalLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let router = app.router();
    tokio::spawn(local::serve(
        router,
        app.in_flight(),
        listener,
        limits,
        shutdown,
    ));
    url
}
