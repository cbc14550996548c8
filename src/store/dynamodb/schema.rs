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

use super::classify::classify;
use super::item::attr;
use crate::config::TableNames;
use crate::store::StoreError;

/// The TTL attribute of the idempotency table.
pub const TTL_ATTRIBUTE: &str = attr::EXPIRES_AT;

const ACTIVE_POLL: Duration = Duration::from_millis(500);
const ACTIVE_POLLS: u32 = 120;

/// Creates whichever of the two tables is missing and enables TTL; a no-op when all is there.
pub async fn create_tables(client: &Client, tables: &TableNames) -> Result<(), StoreError> {
    create_table(client, &tables.executions, attr::EXECUTION_ID).await?;
    create_table(client, &tables.idempotency, attr::IDEMPOTENCY_KEY).await?;
    enable_ttl(client, &tables.idempotency).await
}

async fn create_table(client: &Client, name: &str, key: &str) -> Result<(), StoreError> {
    match client.describe_table().table_name(name).send().await {
        Ok(_) => {
            info!(table = name, "table exists");
            return wait_until_active(client, name).await;
        }
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), DescribeTableError::ResourceNotFoundException(_)) => {}
        Err(e) => return Err(classify(e)),
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
    wait_until_active(client, name).await
}

async fn wait_until_active(client: &Client, name: &str) -> Result<(), StoreError> {
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

async fn enable_ttl(client: &Client, name: &str) -> Result<(), StoreError> {
    let current = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(classify)?;
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
        .map_err(classify)?;
    info!(table = name, attribute = TTL_ATTRIBUTE, "TTL enabled");
    Ok(())
}
