//! Counts the DynamoDB requests one cancel makes (SDK retries included), for its log line.
//!
//! The SDK runs interceptors inside the future that sends, so a task-local counter set around
//! one request sees exactly that request's calls, however many requests run at once.

use std::cell::Cell;
use std::future::Future;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

tokio::task_local! {
    static CALLS: Cell<u32>;
}

/// Runs `work`, returning its output and how many DynamoDB requests it sent through clients
/// that carry [`CountCalls`].
pub async fn counting<F: Future>(work: F) -> (F::Output, u32) {
    CALLS
        .scope(Cell::new(0), async {
            let output = work.await;
            (output, CALLS.with(Cell::get))
        })
        .await
}

/// The interceptor that feeds [`counting`]; outside of it, it does nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountCalls;

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let _ = CALLS.try_with(|calls| calls.set(calls.get() + 1));
        Ok(())
    }
}
