//! What one request's work knows of itself wherever it runs: the DynamoDB calls it made (SDK
//! retries included), the trace header its DynamoDB calls carry, and the deadline its DynamoDB
//! time must end by.
//!
//! The SDK runs interceptors inside the future that sends, so a task-local set around one
//! request's work is seen by exactly that request's calls, however many requests run at once
//! in the process (Lambda's concurrent mode, the local server): nothing is read from the
//! process environment, which Lambda does not set per invocation in that mode.

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

/// One request's own facts, set by the summary layer around its work.
#[derive(Debug, Default)]
pub struct RequestScope {
    calls: Cell<u32>,
    /// The X-Ray trace header of the invocation; `None` locally or when Lambda gave none.
    trace_header: Option<String>,
    /// When the invocation must have answered (Lambda's deadline); `None` locally.
    deadline: Option<Instant>,
}

impl RequestScope {
    pub fn new(trace_header: Option<String>, deadline: Option<Instant>) -> Self {
        Self {
            calls: Cell::new(0),
            trace_header,
            deadline,
        }
    }
}

tokio::task_local! {
    static SCOPE: RequestScope;
}

/// Runs `work` in `scope`, returning its output and how many calls [`count_one`] counted.
pub async fn within<F: Future>(scope: RequestScope, work: F) -> (F::Output, u32) {
    SCOPE
        .scope(scope, async {
            let output = work.await;
            (output, SCOPE.with(|scope| scope.calls.get()))
        })
        .await
}

/// Counts one call into the running scope; outside of one, does nothing.
pub fn count_one() {
    let _ = SCOPE.try_with(|scope| scope.calls.set(scope.calls.get() + 1));
}

/// The trace header the running request's DynamoDB calls carry: its invocation's, or none
/// (outside a request, or for a request without one).
pub fn trace_header() -> Option<String> {
    SCOPE
        .try_with(|scope| scope.trace_header.clone())
        .ok()
        .flatten()
}

/// The running request's deadline, if it has one.
pub fn deadline() -> Option<Instant> {
    SCOPE.try_with(|scope| scope.deadline).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_scope_counts_its_own_calls_and_sees_its_own_trace_and_deadline() {
        count_one();
        assert_eq!(
            (trace_header(), deadline()),
            (None, None),
            "outside any scope"
        );
        let at = Instant::now();
        let ((), calls) = within(
            RequestScope::new(Some("Root=1-a".into()), Some(at)),
            async {
                count_one();
                count_one();
                assert_eq!(trace_header().as_deref(), Some("Root=1-a"));
                assert_eq!(deadline(), Some(at));
            },
        )
        .await;
        assert_eq!(calls, 2);
        let ((), other) = within(RequestScope::default(), async {
            assert_eq!(trace_header(), None, "never one left over");
        })
        .await;
        assert_eq!(other, 0);
    }
}
