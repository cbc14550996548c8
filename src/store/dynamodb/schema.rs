//! `create-tables`: both tables of docs/API.md ("Schema"), with TTL on `expiresAt`, if missing.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use tracing::info;

use super::classify::{classify, Call};
use super::item::attr;
use crate::config::TableNames;
use crate::store::StoreError;

/// The TTL attribute of the idempotency table.
pub const TTL_ATTRIBUTE: &str = attr::EXPIRES_AT;

const ACTIVE_POLL: Duration = Duration::from_millis(500);
const ACTIVE_POLLS: u32 = 120;

/// Each table with the setting that names it and its partition key (a string).
pub fn expected(tables: &TableNames) -> [(&str, &'static str, &'static str); 2] {
    [
        (&tables.executions, "EXECUTIONS_TABLE", attr::EXECUTION_ID),
        (
            &tables.idempotency,
            "IDEMPOTENCY_TABLE",
            attr::IDEMPOTENCY_KEY,
        ),
    ]
}

/// The key a table description names, each attribute as `name (HASH, S)`: its name, key type
/// and attribute type, in order. A key of the right name and another type is another key.
pub fn key_of(table: Option<&aws_sdk_dynamodb::types::TableDescription>) -> Vec<String> {
    let Some(table) = table else {
        return Vec::new();
    };
    let type_of = |name: &str| {
        table
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == name)
            .map_or("no type", |d| d.attribute_type().as_str())
    };
    table
        .key_schema()
        .iter()
        .map(|k| {
            let name = k.attribute_name();
            format!("{name} ({}, {})", k.key_type().as_str(), type_of(name))
        })
        .collect()
}

/// The schema's key of a table: one string partition key.
pub fn expected_key(key: &str) -> Vec<String> {
    vec![format!("{key} (HASH, S)")]
}

/// Creates whichever of the two tables is missing and enables TTL; a no-op when all is there.
/// A table that exists with another key is an error naming the table and both keys.
pub async fn create_tables(
    client: &Client,
    tables: &TableNames,
    endpoint: &str,
) -> Result<(), StoreError> {
    for (name, _, key) in expected(tables) {
        create_table(client, name, key, endpoint).await?;
    }
    enable_ttl(client, &tables.idempotency, endpoint).await
}

fn call<'a>(operation: &'static str, table: &'a str, endpoint: &'a str) -> Call<'a> {
    Call {
        operation,
        tables: table,
        endpoint,
        redact: None,
    }
}

async fn create_table(
    client: &Client,
    name: &str,
    key: &str,
    endpoint: &str,
) -> Result<(), StoreError> {
    let classify = |e| classify(e, &call("CreateTable", name, endpoint));
    match client.describe_table().table_name(name).send().await {
        Ok(described) => {
            let found = key_of(described.table());
            if found != expected_key(key) {
                return Err(StoreError::internal(format!(
                    "table {name} exists with the key {}, not {}: use another table name, or \
                     delete this table",
                    found.join(", "),
                    expected_key(key).join(", ")
                )));
            }
            info!(table = name, "table exists");
            return wait_until_active(client, name, endpoint).await;
        }
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), DescribeTableError::ResourceNotFoundException(_)) => {}
        Err(e) => {
            return Err(super::classify::classify(
                e,
                &call("DescribeTable", name, endpoint),
            ))
        }
    }
    let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Internal(e.into());
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .map_err(build)?,
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build)?,
        )
        .send()
        .await
        .map_err(classify)?;
    info!(table = name, "table created");
    wait_until_active(client, name, endpoint).await
}

async fn wait_until_active(client: &Client, name: &str, endpoint: &str) -> Result<(), StoreError> {
    let classify = |e| classify(e, &call("DescribeTable", name, endpoint));
    for _ in 0..ACTIVE_POLLS {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(classify)?;
        let status = described.table().and_then(|t| t.table_status());
        if matches!(status, Some(TableStatus::Active) | None) {
            return Ok(());
        }
        tokio::time::sleep(ACTIVE_POLL).await;
    }
    Err(StoreError::Internal(
        format!("table {name} did not become ACTIVE in time").into(),
    ))
}

async fn enable_ttl(client: &Client, name: &str, endpoint: &str) -> Result<(), StoreError> {
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| classify(e, &call("DescribeTimeToLive", name, endpoint)))?;
    let description = current.time_to_live_description();
    let status = description.and_then(|d| d.time_to_live_status());
    let attribute = description.and_then(|d| d.attribute_name());
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) && attribute == Some(TTL_ATTRIBUTE)
    {
        info!(table = name, "TTL already enabled");
        return Ok(());
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::Internal(e.into()))?,
        )
        .send()
        .await
        .map_err(|e| classify(e, &call("UpdateTimeToLive", name, endpoint)))?;
    info!(table = name, attribute = TTL_ATTRIBUTE, "TTL enabled");
    Ok(())
}
