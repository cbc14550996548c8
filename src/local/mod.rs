//! The plain HTTP server of local mode: the same `Router` as Lambda, behind hyper, with the
//! bounds of docs/API.md ("Running"): header and body deadlines (the header one also ends
//! idle keep-alive connections), a connection cap, accept errors that back off, and a shutdown deadline.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

mod shared_stream;
mod write_timeout;

use crate::config::LocalLimits;
use crate::http::extract::BodyDeadline;
use tower::ServiceExt;

/// Headers one request may carry before hyper refuses it by itself.
const MAX_HEADERS: usize = 1024;
/// How long the accept loop waits after a failed accept (no file descriptors left, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// At most one log line per this interval about failed accepts.
const ACCEPT_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish for at most `limits.shutdown_deadline`.
pub async fn serve(
    router: Router,
    in_flight: TaskTracker,
    listener: TcpListener,
    limits: LocalLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper restarts this timer whenever it waits for a request head, so it bounds the
        // first request's headers and every idle keep-alive wait alike.
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        // A caller that shuts its sending side down after its request still gets the answer.
        .half_close(true)
        // hyper answers a request over its header count itself (a bare 431); with this many,
        // any request that fits hyper's buffer reaches the service and gets a documented answer.
        .max_headers(MAX_HEADERS);
    // The body's deadline, read by the cancel body's extractor (Lambda delivers bodies whole).
    let router = router.layer(axum::Extension(BodyDeadline(limits.body_timeout)));
    let mut accept_errors = AcceptErrors::default();
    tokio::pin!(shutdown);
    loop {
        // At the cap, stop accepting: new connections wait in the listen backlog.
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_errors.log(&error);
                    drop(permit);
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {},
                        () = &mut shutdown => break,
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = connection_for(&builder, &router, stream, limits.write_timeout);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    finish(graceful, in_flight, limits.shutdown_deadline).await;
}

/// The connections, and the work of callers that went away: both within `deadline`.
async fn finish(graceful: GracefulShutdown, in_flight: TaskTracker, deadline: Duration) {
    info!("shutting down: finishing requests in flight");
    in_flight.close();
    let finished = async {
        graceful.shutdown().await;
        in_flight.wait().await;
    };
    if tokio::time::timeout(deadline, finished).await.is_err() {
        warn!(
            deadline_ms = deadline.as_millis() as u64,
            "requests still in flight at the shutdown deadline; exiting"
        );
    }
}

/// Failed accepts (no file descriptors left, say), logged at most once per interval.
#[derive(Default)]
struct AcceptErrors {
    since_logged: u64,
    last_logged: Option<Instant>,
}

impl AcceptErrors {
    fn log(&mut self, error: &std::io::Error) {
        self.since_logged += 1;
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= ACCEPT_LOG_INTERVAL)
        {
            warn!(%error, failed_accepts = self.since_logged, "accept failed; backing off");
            self.last_logged = Some(Instant::now());
            self.since_logged = 0;
        }
    }
}

/// One connection: each of its requests can ask whether the caller reset it (the summary line),
/// and its writes must make progress.
fn connection_for(
    builder: &http1::Builder,
    router: &Router,
    stream: tokio::net::TcpStream,
    write_timeout: Duration,
) -> impl hyper_util::server::graceful::GracefulConnection<Error = hyper::Error> {
    let stream = shared_stream::SharedStream::new(stream);
    let probe = stream.probe();
    let service = TowerToHyperService::new(router.clone().map_request(
        move |mut request: http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(probe.clone());
            request
        },
    ));
    let stream = write_timeout::WriteTimeout::new(stream, write_timeout);
    builder.serve_connection(TokioIo::new(stream), service)
}
