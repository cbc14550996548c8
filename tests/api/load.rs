//! A load test over real HTTP against the local server on moto: concurrent clients cancel their
//! own executions, with retries of the same token mixed in. Nothing may be lost or doubled.
//!
//! Short by default (as in `make test`). Longer, with figures:
//! `LOAD_SECONDS=60 LOAD_CLIENTS=16 scripts/with-moto.sh cargo test --test api load:: -- --nocapture`
//!
//! With `LOAD_BINARY=target/release/cancel-lifecycle-execution` the load goes to that binary
//! (local mode, on the same moto) instead of an in-process server, and the test prints the
//! binary's peak resident memory (VmHWM) at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{cancel_body, http_exchange, new_id, spawn_app, Backend, Dynamo, ACCOUNT};
use cancel_lifecycle_execution::store::DynamoDbStore;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The binary at `path` in local mode on the test's tables; killed when dropped.
fn start_service(path: &str, dynamo: &Dynamo) -> crate::helpers::process::Running {
    let endpoint = crate::helpers::moto_endpoint();
    crate::helpers::process::start_program(
        path,
        &[
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("EXECUTIONS_TABLE", dynamo.tables.executions.as_str()),
            ("IDEMPOTENCY_TABLE", dynamo.tables.idempotency.as_str()),
            ("DEFAULT_ACCOUNT_ID", ACCOUNT),
            ("RUST_LOG", "warn"),
        ],
    )
}

#[derive(Default)]
struct ClientReport {
    latencies: Vec<Duration>,
    by_outcome: BTreeMap<String, u64>,
    cancelled: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_with_retries_lose_nothing_and_cancel_each_execution_once() {
    let seconds = setting("LOAD_SECONDS", 3);
    let clients = setting("LOAD_CLIENTS", 8);
    let dynamo = Arc::new(Dynamo::start().await);
    let binary = std::env::var("LOAD_BINARY")
        .ok()
        .map(|path| start_service(&path, &dynamo));
    let address = match &binary {
        Some(process) => process.address.clone(),
        None => {
            let store = DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());
            let url = spawn_app(store).await;
            url.trim_start_matches("http://").to_owned()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();

    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (dynamo, address) = (Arc::clone(&dynamo), address.clone());
            tokio::spawn(async move {
                let mut report = ClientReport::default();
                let mut n = 0_u64;
                while Instant::now() < deadline {
                    n += 1;
                    let id = new_id();
                    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
                    let token = format!("load-{client}-{n}");
                    // Every third execution is retried with the same token, as pipelines do.
                    let attempts = if n.is_multiple_of(3) { 3 } else { 1 };
                    let mut first_body = None;
                    for _ in 0..attempts {
                        let body = cancel_body(&token, &id);
                        let sent = Instant::now();
                        let answer = http_exchange(
                            &address,
                            "PUT",
                            "/CancelLifecycleExecution",
                            body.as_bytes(),
                        )
                        .await;
                        report.latencies.push(sent.elapsed());
                        let outcome = answer
                            .header("x-amzn-ErrorType")
                            .unwrap_or("200")
                            .to_owned();
                        *report.by_outcome.entry(outcome).or_default() += 1;
                        if answer.status == 200 {
                            let first = first_body.get_or_insert_with(|| answer.body.clone());
                            assert_eq!(first, &answer.body, "a retry got another body");
                        }
                    }
                    if first_body.is_some() {
                        report.cancelled.push(id);
                    }
                }
                report
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
    let mut cancelled = Vec::new();
    for task in tasks {
        let report = task.await.expect("no client panicked");
        latencies.extend(report.latencies);
        for (outcome, count) in report.by_outcome {
            *by_outcome.entry(outcome).or_default() += count;
        }
        cancelled.extend(report.cancelled);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "load: {} requests from {clients} clients in {:.1} s ({:.0} req/s); outcomes {by_outcome:?}; \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} executions cancelled",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        cancelled.len(),
    );

    if let Some(process) = &binary {
        println!(
            "load: the binary's peak resident memory (VmHWM): {}",
            process.peak_memory()
        );
    }

    assert!(!cancelled.is_empty(), "the load test cancelled nothing");
    assert_eq!(
        by_outcome.keys().collect::<Vec<_>>(),
        ["200"],
        "every request succeeds: {by_outcome:?}"
    );
    for id in &cancelled {
        assert_eq!(
            dynamo.execution(id).await.unwrap().status,
            "CANCELLING",
            "{id}"
        );
    }
    assert_eq!(
        dynamo.token_record_count().await,
        cancelled.len(),
        "one token record per cancel"
    );
}
