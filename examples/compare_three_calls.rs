//! Side by side on the same DynamoDB (moto): this service's one-transaction cancel against the
//! straightforward three-call way (read the token, update the execution, write the token).
//!
//! `scripts/with-moto.sh cargo run --release --example compare_three_calls [-- REQUESTS]`

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::{
    AccountId, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::store::dynamodb::schema;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore};
use cancel_lifecycle_execution::telemetry::calls::counting;

const ACCOUNT: &str = "123456789012";
const TTL_SECS: i64 = 86_400;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// The three-call cancel: what an idempotency layer around a plain update does.
async fn three_call_cancel(
    client: &Client,
    tables: &TableNames,
    request: &CancelRequest,
    now: i64,
) -> bool {
    let key = request.idempotency_key();
    let id = request.lifecycle_execution_id.as_str();
    let found = client
        .get_item()
        .table_name(&tables.idempotency)
        .key("idempotencyKey", s(&key))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem");
    if found.item().is_some() {
        return true;
    }
    let updated = client
        .update_item()
        .table_name(&tables.executions)
        .key("lifecycleExecutionId", s(id))
        .update_expression("SET #status = :cancelling")
        .condition_expression("accountId = :account AND #status IN (:pending, :in_progress)")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":cancelling", s("CANCELLING"))
        .expression_attribute_values(":account", s(ACCOUNT))
        .expression_attribute_values(":pending", s("PENDING"))
        .expression_attribute_values(":in_progress", s("IN_PROGRESS"))
        .return_values(ReturnValue::None)
        .send()
        .await;
    if updated.is_err() {
        return false;
    }
    client
        .put_item()
        .table_name(&tables.idempotency)
        .item("idempotencyKey", s(&key))
        .item("lifecycleExecutionId", s(id))
        .item("responseBody", s(&request.success_body()))
        .item("expiresAt", AttributeValue::N((now + TTL_SECS).to_string()))
        .send()
        .await
        .expect("PutItem");
    true
}

fn new_request(n: usize) -> CancelRequest {
    let id = format!("lce-{:08x}-0000-4000-8000-{:012x}", std::process::id(), n);
    CancelRequest {
        account_id: AccountId::try_from(ACCOUNT.to_owned()).expect("valid"),
        client_token: ClientToken::try_from(format!("token-{n}")).expect("valid"),
        lifecycle_execution_id: LifecycleExecutionId::try_from(id).expect("valid"),
    }
}

async fn seed(client: &Client, tables: &TableNames, request: &CancelRequest) {
    let item = HashMap::from([
        (
            "lifecycleExecutionId".to_owned(),
            s(request.lifecycle_execution_id.as_str()),
        ),
        ("accountId".to_owned(), s(ACCOUNT)),
        ("status".to_owned(), s("IN_PROGRESS")),
    ]);
    client
        .put_item()
        .table_name(&tables.executions)
        .set_item(Some(item))
        .send()
        .await
        .expect("seeding");
}

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let endpoint =
        std::env::var("MOTO_ENDPOINT").expect("MOTO_ENDPOINT: run under scripts/with-moto.sh");
    let requests: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let client = cancel_lifecycle_execution::store::dynamodb::client::client(&sdk);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    println!(
        "{requests} new cancels and {requests} replays each, one at a time, on moto at {endpoint}"
    );
    println!(
        "{:<28} {:>16} {:>16} {:>16} {:>16}",
        "implementation", "calls/new", "calls/replay", "median new ms", "median replay ms"
    );
    for name in ["one transaction (this)", "three calls"] {
        let suffix = format!("{}-{}", name.len(), std::process::id());
        let tables = TableNames {
            executions: format!("cmp-ex-{suffix}"),
            idempotency: format!("cmp-tok-{suffix}"),
        };
        schema::create_tables(&client, &tables)
            .await
            .expect("tables");
        let store = DynamoDbStore::new(client.clone(), tables.clone());
        let all: Vec<_> = (0..requests).map(new_request).collect();
        for request in &all {
            seed(&client, &tables, request).await;
        }
        let (mut calls, mut latencies) = ([0_u32; 2], [Vec::new(), Vec::new()]);
        for (pass, (calls, latencies)) in calls.iter_mut().zip(latencies.iter_mut()).enumerate() {
            for request in &all {
                let started = Instant::now();
                let (ok, made) = counting(async {
                    if name.starts_with("one") {
                        store.cancel(&request.plan(now, TTL_SECS)).await.is_ok()
                    } else {
                        three_call_cancel(&client, &tables, request, now).await
                    }
                })
                .await;
                latencies.push(started.elapsed());
                *calls += made;
                assert!(ok, "{name} pass {pass} failed");
            }
        }
        println!(
            "{:<28} {:>16.2} {:>16.2} {:>16.2} {:>16.2}",
            name,
            f64::from(calls[0]) / requests as f64,
            f64::from(calls[1]) / requests as f64,
            median(latencies[0].clone()),
            median(latencies[1].clone()),
        );
    }
}
