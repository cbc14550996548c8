//! The full path of one request on the embedded store: routing, identity, body parsing,
//! validation, the decision, the store step and the response rendering, through the same
//! axum `Router` (and its layers) that Lambda and the local server use.
//!
//! `cargo bench --bench handler`; figures and machine in BENCHMARKS.md.

use std::hint::black_box;

use cancel_lifecycle_execution::domain::{AccountId, Execution, ExecutionStatus};
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lambda_http::{Body, Request};
use tower::ServiceExt;

const ACCOUNT: &str = "123456789012";

fn request(body: String) -> Request {
    lambda_http::http::Request::builder()
        .method("PUT")
        .uri("/CancelLifecycleExecution")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a valid request")
}

fn cancel_body(token: &str, id: &str) -> String {
    format!(r#"{{"clientToken":"{token}","lifecycleExecutionId":"{id}"}}"#)
}

fn execution_id(n: u64) -> String {
    format!(
        "lce-{:08x}-0000-4000-8000-{:012x}",
        n >> 48,
        n & 0xffff_ffff_ffff
    )
}

fn handler(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let account = AccountId::try_from(ACCOUNT.to_owned()).expect("a valid account");
    let app = App::new(EmbeddedStore::new(), Some(account.clone()));
    let router = app.router();
    let handle = |request: Request| router.clone().oneshot(request);
    let seed = |id: &str| {
        app.store().put_execution(
            id,
            Execution::new(account.clone(), ExecutionStatus::InProgress),
        )
    };
    let mut group = c.benchmark_group("handler");

    let mut n = 0_u64;
    group.bench_function("new cancel", |b| {
        b.iter_batched(
            || {
                n += 1;
                let id = execution_id(n);
                seed(&id);
                request(cancel_body(&format!("token-{n}"), &id))
            },
            |request| black_box(runtime.block_on(handle(request))),
            BatchSize::SmallInput,
        )
    });

    let replayed = execution_id(u64::MAX);
    seed(&replayed);
    let replay_body = cancel_body("replayed-token", &replayed);
    let _ = runtime.block_on(handle(request(replay_body.clone())));
    group.bench_function("replay", |b| {
        b.iter_batched(
            || request(replay_body.clone()),
            |request| black_box(runtime.block_on(handle(request))),
            BatchSize::SmallInput,
        )
    });

    let invalid_body = cancel_body("t", "lce-not-an-id");
    group.bench_function("validation error", |b| {
        b.iter_batched(
            || request(invalid_body.clone()),
            |request| black_box(runtime.block_on(handle(request))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);
