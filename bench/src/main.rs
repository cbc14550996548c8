//! Three designs of the cancel, one harness, one DynamoDB latency model (BENCHMARKS.md,
//! "Latency on DynamoDB's published figures").
//!
//! Each design is a store behind the service's own axum Router (the same routing, parsing,
//! decision code and SDK client settings); the real binary runs beside them as a check that the
//! harness adds nothing. Every DynamoDB call goes to the model endpoint
//! (`scripts/fault_dynamodb.py --latency-model`), which holds it to a drawn latency. Batches of
//! every design alternate, each on fresh tables, so that drift on the machine falls on all alike.
//!
//! ```sh
//! MOTO_ENDPOINT=... MODEL_ENDPOINT=... cargo run --release -p compare-designs -- \
//!   [--samples 10000] [--batch 500] [--concurrency 4] [--binary PATH] [--json FILE]
//! ```
//! (`make bench-model` starts moto and the model endpoint and passes the built binary.)

mod settings;
mod standalone;
mod three_calls;
mod token_first;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use axum::Router;
use bytes::Bytes;
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::AccountId;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::dynamodb::create_tables;
use cancel_lifecycle_execution::store::dynamodb::internals::client_from;
use cancel_lifecycle_execution::store::DynamoDbStore;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tower::ServiceExt;

use settings::Settings;

const ACCOUNT: &str = "123456789012";
const TABLES: (&str, &str) = ("bench-executions", "bench-idempotency");
const PATHS: [&str; 5] = ["new cancel", "replay", "mismatch", "refusal", "get"];

type HttpClient = hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>;

/// Where a design's requests go: its Router in this process, or the real binary over HTTP.
#[derive(Clone)]
enum Target {
    InProcess(Router),
    Binary { base: String, http: Box<HttpClient> },
}

impl Target {
    async fn send(&self, method: Method, uri: String, body: Option<String>) -> (StatusCode, Bytes) {
        let builder = Request::builder()
            .method(method)
            .header("content-type", "application/json");
        let body = body.unwrap_or_default();
        match self {
            Target::InProcess(router) => {
                let request = builder
                    .uri(uri)
                    .body(axum::body::Body::from(body))
                    .expect("request");
                let response = router.clone().oneshot(request).await.expect("infallible");
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap_or_default();
                (status, bytes)
            }
            Target::Binary { base, http } => {
                let request = builder
                    .uri(format!("{base}{uri}"))
                    .body(Full::from(body))
                    .expect("request");
                match http.request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        let bytes = response
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        (status, bytes)
                    }
                    Err(error) => (StatusCode::BAD_GATEWAY, Bytes::from(error.to_string())),
                }
            }
        }
    }
}

/// One request of a phase and what it must answer.
struct PhaseRequest {
    method: Method,
    uri: String,
    body: Option<String>,
    status: StatusCode,
    error_type: Option<&'static str>,
}

fn id(n: usize) -> String {
    format!("lce-00000000-0000-4000-8000-{n:012x}")
}

fn cancel(
    token: &str,
    n: usize,
    status: StatusCode,
    error_type: Option<&'static str>,
) -> PhaseRequest {
    PhaseRequest {
        method: Method::PUT,
        uri: "/CancelLifecycleExecution".into(),
        body: Some(json!({"clientToken": token, "lifecycleExecutionId": id(n)}).to_string()),
        status,
        error_type,
    }
}

fn phase(path: &str, batch: usize) -> Vec<PhaseRequest> {
    let bad = StatusCode::BAD_REQUEST;
    (0..batch)
        .map(|i| match path {
            "new cancel" | "replay" => cancel(&format!("new-{i}"), i, StatusCode::OK, None),
            "mismatch" => cancel(
                &format!("new-{i}"),
                (i + 1) % batch,
                bad,
                Some("IdempotentParameterMismatchException"),
            ),
            "refusal" => cancel(
                &format!("other-{i}"),
                i,
                bad,
                Some("ResourceInUseException"),
            ),
            _ => PhaseRequest {
                method: Method::GET,
                uri: format!("/GetLifecycleExecution?lifecycleExecutionId={}", id(i)),
                body: None,
                status: StatusCode::OK,
                error_type: None,
            },
        })
        .collect()
}

/// One answered request: its latency and the wall-clock window it was in flight.
struct Sample {
    ms: f64,
    window: (f64, f64),
}

fn epoch_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// Runs one phase with `concurrency` requests in flight: the samples, the failures, and how
/// many were answered 503 (DynamoDB slower than the SDK timeouts allow).
async fn run_phase(
    target: &Target,
    calls: Vec<PhaseRequest>,
    concurrency: usize,
) -> (Vec<Sample>, Vec<String>, usize) {
    let calls = Arc::new(calls);
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (calls, next, target) = (calls.clone(), next.clone(), target.clone());
        workers.spawn(async move {
            let (mut samples, mut failures, mut unavailable) = (Vec::new(), Vec::new(), 0);
            while let Some(call) = calls.get(next.fetch_add(1, Ordering::Relaxed)) {
                let (from, started) = (epoch_secs(), Instant::now());
                let (status, body) = target
                    .send(call.method.clone(), call.uri.clone(), call.body.clone())
                    .await;
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                samples.push(Sample {
                    ms,
                    window: (from, epoch_secs()),
                });
                let error_type = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("__type").and_then(Value::as_str).map(str::to_owned));
                if status == StatusCode::SERVICE_UNAVAILABLE
                    && error_type.as_deref() == Some("ServiceUnavailableException")
                {
                    // The documented answer when DynamoDB took longer than the SDK's timeouts
                    // allow (a draw far in the model's tail): counted, not a failure.
                    unavailable += 1;
                } else if status != call.status || error_type.as_deref() != call.error_type {
                    failures.push(format!(
                        "{} {}: {status} {}",
                        call.method,
                        call.uri,
                        String::from_utf8_lossy(&body)
                    ));
                }
            }
            (samples, failures, unavailable)
        });
    }
    let (mut samples, mut failures, mut unavailable) = (Vec::new(), Vec::new(), 0);
    while let Some(done) = workers.join_next().await {
        let (s, f, u) = done.expect("worker");
        samples.extend(s);
        failures.extend(f);
        unavailable += u;
    }
    (samples, failures, unavailable)
}

/// Fresh tables holding `batch` cancellable executions, written straight to moto.
async fn reset_tables(moto: &Client, tables: &TableNames, batch: usize) {
    for name in [&tables.executions, &tables.idempotency] {
        let _ = moto.delete_table().table_name(name).send().await;
    }
    create_tables(moto, tables, "moto")
        .await
        .expect("creating the tables on moto");
    for chunk in (0..batch).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|&i| {
                let item = [
                    ("lifecycleExecutionId", id(i)),
                    ("accountId", ACCOUNT.into()),
                    ("status", "IN_PROGRESS".into()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
                .collect();
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("item"),
                    )
                    .build()
            })
            .collect();
        moto.batch_write_item()
            .request_items(&tables.executions, writes)
            .send()
            .await
            .expect("seeding on moto");
    }
}

/// What the model endpoint counted: calls and upstream excess per DynamoDB operation (the ms
/// by which upstream's own time exceeded the drawn latency, what the model could not hide),
/// and each overrun from the `since`th on as (wall-clock arrival, excess ms).
struct Counters {
    per_operation: BTreeMap<String, (u64, f64)>,
    overruns: Vec<(f64, f64)>,
    overruns_total: usize,
}

async fn model_counters(http: &HttpClient, model: &str, since: usize) -> Counters {
    let request = Request::get(format!("{model}/__model__?since={since}"))
        .body(Full::default())
        .expect("request");
    let response = http
        .request(request)
        .await
        .expect("the model endpoint answers");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let report: Value = serde_json::from_slice(&body).expect("a JSON report");
    let mut counters = BTreeMap::new();
    if let Some(calls) = report["calls"].as_object() {
        for (operation, entry) in calls {
            let calls = entry["calls"].as_u64().unwrap_or(0);
            counters.insert(
                operation.clone(),
                (calls, entry["excess_ms"].as_f64().unwrap_or(0.0)),
            );
        }
    }
    let overruns = report["excesses"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|pair| Some((pair[0].as_f64()?, pair[1].as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    Counters {
        per_operation: counters,
        overruns,
        overruns_total: report["excesses_total"].as_u64().unwrap_or(0) as usize,
    }
}

/// Each sample's latency less the upstream excess of the calls that arrived while it was in
/// flight: what the model alone would have given. Exact with one request in flight.
fn without_excess(samples: &[Sample], overruns: &[(f64, f64)]) -> Vec<f64> {
    samples
        .iter()
        .map(|sample| {
            let (from, to) = sample.window;
            let excess: f64 = overruns
                .iter()
                .filter(|(arrived, _)| (from..=to).contains(arrived))
                .map(|(_, ms)| ms)
                .sum();
            (sample.ms - excess).max(0.0)
        })
        .collect()
}

#[derive(Default)]
struct Cell {
    latencies: Vec<f64>,
    /// The same requests without moto's excess (`without_excess`).
    modelled: Vec<f64>,
    calls: BTreeMap<String, u64>,
    excess_ms: f64,
    unavailable: usize,
    failures: Vec<String>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The real binary in local mode, on DynamoDB through the model endpoint.
fn start_binary(path: &PathBuf, model: &str) -> (Child, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(path)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("EXECUTIONS_TABLE", TABLES.0)
        .env("IDEMPOTENCY_TABLE", TABLES.1)
        .env("DEFAULT_ACCOUNT_ID", ACCOUNT)
        .env("AWS_ENDPOINT_URL_DYNAMODB", model)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
    let address = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&address).is_err() {
        assert!(
            Instant::now() < deadline,
            "{} did not listen on {address}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, format!("http://{address}"))
}

async fn sdk_client(endpoint: &str) -> Client {
    // The service's own timeouts, retries and call counter (client_from).
    client_from(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "test", "test", None, None, "bench",
            ))
            .endpoint_url(endpoint),
    )
}

#[tokio::main]
async fn main() {
    let settings = Settings::parse_checked().unwrap_or_else(|e| {
        eprintln!("compare_designs: {e}");
        std::process::exit(2)
    });
    let tables = TableNames {
        executions: TABLES.0.into(),
        idempotency: TABLES.1.into(),
    };
    let moto = sdk_client(&settings.moto).await;
    let model = sdk_client(&settings.model).await;
    let account = AccountId::try_from(ACCOUNT.to_owned()).expect("valid");
    let store = || DynamoDbStore::new(model.clone(), tables.clone());
    let in_process = |router: Router| Target::InProcess(router);
    let http: HttpClient =
        hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
    let mut designs: Vec<(&str, Target)> = Vec::new();
    let mut child = None;
    if let Some(path) = &settings.binary {
        // Its start-up check describes both tables: they exist before it starts.
        reset_tables(&moto, &tables, settings.batch).await;
        let (process, base) = start_binary(path, &settings.model);
        child = Some(process);
        designs.push((
            "one transaction, real binary",
            Target::Binary {
                base,
                http: Box::new(http.clone()),
            },
        ));
    }
    if !settings.without_in_process {
        designs.push((
            "one transaction (this service)",
            in_process(App::new(store(), Some(account.clone())).router()),
        ));
    }
    if settings.binary_only && settings.binary.is_none() {
        eprintln!("compare_designs: --binary-only needs --binary");
        std::process::exit(2);
    }
    if !settings.binary_only {
        designs.push((
            "three calls",
            in_process(App::new(three_calls::ThreeCalls(store()), Some(account.clone())).router()),
        ));
        designs.push((
            "token first",
            in_process(App::new(token_first::TokenFirst(store()), Some(account.clone())).router()),
        ));
    }

    let rounds = settings.samples.div_ceil(settings.batch);
    eprintln!(
        "compare_designs: {rounds} rounds of {} requests per path and design, {} in flight, model at {}",
        settings.batch, settings.concurrency, settings.model
    );
    let mut cells: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
    let started = Instant::now();
    let mut seen = model_counters(&http, &settings.model, 0)
        .await
        .overruns_total;
    for round in 0..rounds {
        for turn in 0..designs.len() {
            // Rotate the order, so no design always follows another.
            let d = (round + turn) % designs.len();
            reset_tables(&moto, &tables, settings.batch).await;
            for (p, path) in PATHS.iter().enumerate() {
                let before = model_counters(&http, &settings.model, seen).await;
                let (samples, failures, unavailable) = run_phase(
                    &designs[d].1,
                    phase(path, settings.batch),
                    settings.concurrency,
                )
                .await;
                let after = model_counters(&http, &settings.model, seen).await;
                seen = after.overruns_total;
                let cell = cells.entry((d, p)).or_default();
                cell.modelled
                    .extend(without_excess(&samples, &after.overruns));
                cell.latencies.extend(samples.iter().map(|s| s.ms));
                cell.failures.extend(failures);
                cell.unavailable += unavailable;
                for (operation, (calls, excess_ms)) in after.per_operation {
                    let (calls_before, excess_before) = before
                        .per_operation
                        .get(&operation)
                        .copied()
                        .unwrap_or_default();
                    if calls > calls_before {
                        *cell.calls.entry(operation).or_default() += calls - calls_before;
                    }
                    cell.excess_ms += excess_ms - excess_before;
                }
            }
        }
        eprintln!(
            "compare_designs: round {}/{rounds} done after {:.0} s",
            round + 1,
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(mut child) = child {
        let _ = child.kill();
        let _ = child.wait();
    }
    report(&settings, &designs, &mut cells);
}

fn report(
    settings: &Settings,
    designs: &[(&str, Target)],
    cells: &mut BTreeMap<(usize, usize), Cell>,
) {
    println!(
        "| design | path | n | p50 ms | p99 ms | p99.9 ms | DynamoDB calls per request | moto excess ms per request | moto excess at p99.9 ms | 503 (timed out) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut rows = Vec::new();
    let mut failed = 0;
    for ((d, p), cell) in cells.iter_mut() {
        cell.latencies.sort_by(f64::total_cmp);
        cell.modelled.sort_by(f64::total_cmp);
        let n = cell.latencies.len();
        let p999 = percentile(&cell.latencies, 0.999);
        let p999_text = if n >= 10_000 {
            format!("{p999:.1}")
        } else {
            format!("{p999:.1} (n < 10,000: fewer than 10 samples above it)")
        };
        // With more than one request in flight an overrun cannot be given to one request.
        let excess_at_p999 =
            (settings.concurrency == 1).then(|| p999 - percentile(&cell.modelled, 0.999));
        let excess_text = excess_at_p999.map_or("n/a".to_owned(), |ms| format!("{ms:.2}"));
        let calls = cell
            .calls
            .iter()
            .map(|(op, c)| format!("{op} {:.2}", *c as f64 / n as f64))
            .collect::<Vec<_>>()
            .join(" + ");
        println!(
            "| {} | {} | {n} | {:.1} | {:.1} | {p999_text} | {calls} | {:.2} | {excess_text} | {} |",
            designs[*d].0,
            PATHS[*p],
            percentile(&cell.latencies, 0.5),
            percentile(&cell.latencies, 0.99),
            cell.excess_ms / n as f64,
            cell.unavailable,
        );
        failed += cell.failures.len();
        for failure in cell.failures.iter().take(3) {
            eprintln!(
                "compare_designs: {} {}: unexpected answer: {failure}",
                designs[*d].0, PATHS[*p]
            );
        }
        rows.push(json!({
            "design": designs[*d].0, "path": PATHS[*p], "n": n,
            "p50_ms": percentile(&cell.latencies, 0.5), "p99_ms": percentile(&cell.latencies, 0.99),
            "p999_ms": p999, "p999_extrapolated": n < 10_000,
            "mean_ms": cell.latencies.iter().sum::<f64>() / n as f64,
            "calls": cell.calls, "excess_ms_per_request": cell.excess_ms / n as f64, "excess_ms_at_p999": excess_at_p999, "failures": cell.failures.len(), "unavailable": cell.unavailable,
        }));
    }
    if let Some(path) = &settings.json {
        let when = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let document = json!({"finished_epoch_secs": when, "batch": settings.batch, "concurrency": settings.concurrency, "cells": rows});
        std::fs::write(path, serde_json::to_string_pretty(&document).expect("json"))
            .expect("writing --json");
    }
    if failed > 0 {
        eprintln!("compare_designs: {failed} requests got an unexpected answer");
        std::process::exit(1);
    }
}
