//! `create-tables`: both tables of docs/API.md ("Schema"), with TTL on `expiresAt`, if missing.

use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableDescription, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use tracing::info;

use super::classify::{classify, Call};
use super::item::{attr, INDEX, INDEX_PARTITION_KEY, INDEX_PROJECTED, INDEX_SORT_KEY};
use crate::config::TableNames;
use crate::store::StoreError;

/// The TTL attribute of the idempotency table.
pub const TTL_ATTRIBUTE: &str = attr::EXPIRES_AT;

const ACTIVE_POLL: Duration = Duration::from_millis(500);
const ACTIVE_POLLS: u32 = 120;

/// Each table with the setting that names it, its partition key (a string), and whether it
/// carries the index.
pub fn expected(tables: &TableNames) -> [(&str, &'static str, &'static str, bool); 2] {
    [
        (
            &tables.executions,
            "EXECUTIONS_TABLE",
            attr::EXECUTION_ID,
            true,
        ),
        (
            &tables.idempotency,
            "IDEMPOTENCY_TABLE",
            attr::IDEMPOTENCY_KEY,
            false,
        ),
    ]
}

/// `key` as named in messages, each attribute as `name (HASH, S)`: its name, key type and
/// attribute type, in order. A key of the right name and another type is another key.
fn describe_key(key: &[KeySchemaElement], definitions: &[AttributeDefinition]) -> Vec<String> {
    let type_of = |name: &str| {
        definitions
            .iter()
            .find(|d| d.attribute_name() == name)
            .map_or("no type", |d| d.attribute_type().as_str())
    };
    key.iter()
        .map(|k| {
            let name = k.attribute_name();
            format!("{name} ({}, {})", k.key_type().as_str(), type_of(name))
        })
        .collect()
}

/// The key of a described table.
pub fn key_of(table: Option<&TableDescription>) -> Vec<String> {
    table.map_or_else(Vec::new, |t| {
        describe_key(t.key_schema(), t.attribute_definitions())
    })
}

/// The schema's key of a table: one string partition key.
pub fn expected_key(key: &str) -> Vec<String> {
    vec![format!("{key} (HASH, S)")]
}

/// The index as the schema has it: its key, each attribute with its key type and attribute type.
fn index_key() -> Vec<(&'static str, KeyType, ScalarAttributeType)> {
    let partition = INDEX_PARTITION_KEY.map(|name| (name, KeyType::Hash));
    let sort = INDEX_SORT_KEY.map(|name| (name, KeyType::Range));
    partition
        .into_iter()
        .chain(sort)
        .map(|(name, kind)| {
            let scalar = if name == attr::START_TIME {
                ScalarAttributeType::N
            } else {
                ScalarAttributeType::S
            };
            (name, kind, scalar)
        })
        .collect()
}

/// The index's key as messages name it.
pub fn expected_index_key() -> Vec<String> {
    index_key()
        .into_iter()
        .map(|(name, kind, scalar)| format!("{name} ({}, {})", kind.as_str(), scalar.as_str()))
        .collect()
}

/// What is wrong with the described executions table's index, if anything: missing, keyed or
/// projected otherwise (`Err`), or `Ok(false)` while it is still being built.
pub fn index_problem(table: Option<&TableDescription>) -> Result<bool, String> {
    let Some(table) = table else {
        return Err(format!("has no index {INDEX}"));
    };
    let Some(index) = table
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(INDEX))
    else {
        return Err(format!("has no index {INDEX}"));
    };
    let found = describe_key(index.key_schema(), table.attribute_definitions());
    if found != expected_index_key() {
        return Err(format!(
            "has its index {INDEX} keyed on {}, not {}",
            found.join(", "),
            expected_index_key().join(", ")
        ));
    }
    let projection = index.projection();
    let mut projected: Vec<&str> = projection
        .map(|p| p.non_key_attributes().iter().map(String::as_str).collect())
        .unwrap_or_default();
    projected.sort_unstable();
    let mut wanted = INDEX_PROJECTED.to_vec();
    wanted.sort_unstable();
    let kind = projection.and_then(|p| p.projection_type());
    let complete = kind == Some(&ProjectionType::All)
        || (kind == Some(&ProjectionType::Include) && wanted.iter().all(|w| projected.contains(w)));
    if !complete {
        return Err(format!(
            "has its index {INDEX} projecting {}, not {} (INCLUDE)",
            kind.map_or("nothing", |k| k.as_str()),
            wanted.join(", ")
        ));
    }
    Ok(index.index_status() == Some(&IndexStatus::Active))
}

fn index_definition() -> Result<(GlobalSecondaryIndex, Vec<AttributeDefinition>), StoreError> {
    let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Internal(e.into());
    let mut keys = Vec::new();
    let mut definitions = Vec::new();
    for (name, kind, scalar) in index_key() {
        keys.push(
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(build)?,
        );
        definitions.push(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(scalar)
                .build()
                .map_err(build)?,
        );
    }
    let projection = Projection::builder()
        .projection_type(ProjectionType::Include)
        .set_non_key_attributes(Some(INDEX_PROJECTED.map(str::to_owned).to_vec()))
        .build();
    let index = GlobalSecondaryIndex::builder()
        .index_name(INDEX)
        .set_key_schema(Some(keys))
        .projection(projection)
        .build()
        .map_err(build)?;
    Ok((index, definitions))
}

/// Creates whichever of the two tables is missing and enables TTL; a no-op when all is there.
/// A table that exists with another key is an error naming the table and both keys.
pub async fn create_tables(
    client: &Client,
    tables: &TableNames,
    endpoint: &str,
) -> Result<(), StoreError> {
    for (name, _, key, indexed) in expected(tables) {
        create_table(client, name, key, indexed, endpoint).await?;
    }
    add_index(client, &tables.executions, endpoint).await?;
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

/// A new table with its key, and the index where it carries one (created with the table,
/// where adding it later takes DynamoDB a backfill).
async fn create_table(
    client: &Client,
    name: &str,
    key: &str,
    indexed: bool,
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
    let mut definitions = vec![AttributeDefinition::builder()
        .attribute_name(key)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(build)?];
    let mut indexes = None;
    if indexed {
        let (index, index_definitions) = index_definition()?;
        definitions.extend(
            index_definitions
                .into_iter()
                .filter(|d| d.attribute_name() != key),
        );
        indexes = Some(vec![index]);
    }
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
        .set_attribute_definitions(Some(definitions))
        .set_global_secondary_indexes(indexes)
        .send()
        .await
        .map_err(classify)?;
    info!(table = name, "table created");
    wait_until_active(client, name, endpoint).await
}

/// Adds the index to the executions table if it lacks it (DynamoDB backfills it from the items
/// there), then waits until it is active; an index of that name keyed otherwise is an error.
async fn add_index(client: &Client, name: &str, endpoint: &str) -> Result<(), StoreError> {
    let describe = || async {
        client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| classify(e, &call("DescribeTable", name, endpoint)))
    };
    let described = describe().await?;
    let has_index = described.table().is_some_and(|t| {
        t.global_secondary_indexes()
            .iter()
            .any(|i| i.index_name() == Some(INDEX))
    });
    if !has_index {
        let (index, definitions) = index_definition()?;
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(index.index_name())
            .set_key_schema(Some(index.key_schema().to_vec()))
            .set_projection(index.projection().cloned())
            .build()
            .map_err(|e| StoreError::Internal(e.into()))?;
        client
            .update_table()
            .table_name(name)
            .set_attribute_definitions(Some(definitions))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(|e| classify(e, &call("UpdateTable", name, endpoint)))?;
        info!(
            table = name,
            index = INDEX,
            "index added; DynamoDB backfills it"
        );
    }
    for _ in 0..ACTIVE_POLLS {
        match index_problem(describe().await?.table()) {
            Ok(true) => return Ok(()),
            Ok(false) => tokio::time::sleep(ACTIVE_POLL).await,
            Err(problem) => {
                return Err(StoreError::internal(format!(
                    "table {name} {problem}: use another table name, or delete the index"
                )))
            }
        }
    }
    Err(StoreError::internal(format!(
        "index {INDEX} of table {name} did not become ACTIVE in time"
    )))
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
