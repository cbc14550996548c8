//! moto's DynamoDB server (started by `make test`), clients for it, and fresh table names.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::store::dynamodb::internals::{client_from, retry_config};

/// The secret key of every test client: distinctive, so a log that leaked it would show it.
pub const TEST_SECRET_ACCESS_KEY: &str = "tEsT-sEcReT-7f3a9c-never-in-a-log";

/// moto's endpoint, started by `make test` (scripts/with-moto.sh).
pub fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "MOTO_ENDPOINT is not set: these tests need moto's DynamoDB server. \
             Run `make test`, which installs moto into .venv and starts it; or run \
             `make venv && .venv/bin/moto_server -H 127.0.0.1 -p 5000 &` and \
             `MOTO_ENDPOINT=http://127.0.0.1:5000 cargo test`."
        ),
    }
}

/// A client for `endpoint` with test credentials and the service's own timeouts, retries and
/// call counter.
pub fn client_for(endpoint: &str) -> Client {
    client_from(test_config(endpoint))
}

/// The tests' own client for seeding and reading moto: patient, so a loaded moto slows a test
/// down instead of failing it.
pub fn admin_client(endpoint: &str) -> Client {
    let patient = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(60))
        .build();
    Client::from_conf(
        test_config(endpoint)
            .timeout_config(patient)
            .retry_config(retry_config())
            .build(),
    )
}

pub fn test_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "test",
            TEST_SECRET_ACCESS_KEY,
            None,
            None,
            "tests",
        ))
        .endpoint_url(endpoint)
}

pub fn unique_tables() -> TableNames {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let suffix = format!("{}-{n}-{}", std::process::id(), fastrand::u32(..));
    TableNames {
        executions: format!("executions-{suffix}"),
        idempotency: format!("idempotency-{suffix}"),
    }
}

/// A table on moto keyed on `id`, not on the schema's key.
pub async fn create_table_keyed_on_id(name: &str) {
    create_table_keyed_on(name, "id", aws_sdk_dynamodb::types::ScalarAttributeType::S).await;
}

/// A table whose partition key is `key`, of attribute type `key_type`.
pub async fn create_table_keyed_on(
    name: &str,
    key: &str,
    key_type: aws_sdk_dynamodb::types::ScalarAttributeType,
) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType};
    admin_client(&moto_endpoint())
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(key_type)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
