//! The number of DynamoDB requests one HTTP request made, SDK retries included.
//!
//! The SDK runs interceptors inside the future that sends, so a task-local counter set around
//! one request sees exactly that request's calls, however many requests run at once.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static CALLS: Cell<u32>;
}

/// Runs `work`, returning its output and how many calls [`count_one`] counted inside it.
pub async fn counting<F: Future>(work: F) -> (F::Output, u32) {
    CALLS
        .scope(Cell::new(0), async {
            let output = work.await;
            (output, CALLS.with(Cell::get))
        })
        .await
}

/// Counts one call into the running [`counting`] scope; outside of one, does nothing.
pub fn count_one() {
    let _ = CALLS.try_with(|calls| calls.set(calls.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_per_scope_and_ignored_outside_one() {
        count_one();
        let ((), inner) = counting(async {
            count_one();
            count_one();
        })
        .await;
        assert_eq!(inner, 2);
    }
}
