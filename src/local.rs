//! The plain HTTP server of local mode: the same `App::handle` as Lambda, behind hyper.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use lambda_http::{Body, Request, Response};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::http::body::{body_too_large, MAX_BODY_BYTES};
use crate::http::{render_error, App};
use crate::store::CancelStore;

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve<S: CancelStore>(
    app: Arc<App<S>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = Arc::clone(&app);
        let service = service_fn(move |request| {
            let app = Arc::clone(&app);
            async move { Ok::<_, Infallible>(answer(&app, request).await) }
        });
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                warn!(%error, "connection ended with an error");
            }
        });
    }
    info!("shutting down: finishing requests in flight");
    graceful.shutdown().await;
}

async fn answer<S: CancelStore>(
    app: &App<S>,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    // Read at most the cap plus one byte's worth: a larger body is refused unread.
    let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let body = if bytes.is_empty() {
                Body::Empty
            } else {
                Body::Binary(bytes.to_vec())
            };
            app.handle(Request::from_parts(parts, body)).await
        }
        Err(_) => render_error(body_too_large(), &uuid::Uuid::new_v4().to_string()),
    };
    into_hyper(response)
}

fn into_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    response.map(|body| match body {
        Body::Empty => Full::new(Bytes::new()),
        Body::Text(text) => Full::new(Bytes::from(text)),
        Body::Binary(bytes) => Full::new(Bytes::from(bytes)),
        // `Body` is `#[non_exhaustive]`; the handler produces none of its other variants.
        _ => Full::new(Bytes::new()),
    })
}
