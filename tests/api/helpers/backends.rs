//! The two store adapters behind one trait, with direct access to their data, so that one
//! contract suite runs on both.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::{
    CancelRequest, Execution, Outcome, StoredStatus, TokenRecord,
};
use cancel_lifecycle_execution::store::dynamodb::create_tables;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, EmbeddedStore, StoreError};

use super::moto::{admin_client, client_for, moto_endpoint, unique_tables};
use super::{account, request, ACCOUNT, NOW, TTL_SECS};

/// An execution as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenExecution {
    pub account_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub cancel_requested_at: Option<String>,
}

/// An `expiresAt` as a damaged table might hold it.
#[derive(Debug, Clone, Copy)]
pub enum RawExpiry<'a> {
    /// A number attribute (`N`), well-formed or not in range.
    Number(&'a str),
    /// A string attribute (`S`).
    Text(&'a str),
}

/// One store adapter with direct access to its data, for the contract suite.
pub trait Backend {
    type Store: CancelStore;
    fn store(&self) -> &Self::Store;
    /// An execution item with an owner (or none) and a status as given (or none).
    async fn put_item_as_found(&self, id: &str, owner: Option<&str>, status: Option<StoredStatus>);
    /// An execution with a policy, started at `start` and ended at `end` (epoch seconds).
    async fn put_finished_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: i64,
        end: i64,
    );
    /// An execution of `policy_arn` in `status`, started at `start` (a decimal, epoch seconds).
    async fn put_policy_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: &str,
        status: &str,
    );
    async fn execution(&self, id: &str) -> Option<SeenExecution>;
    async fn token_record(&self, key: &str) -> Option<TokenRecord>;
    async fn token_record_count(&self) -> usize;

    async fn put_execution(&self, id: &str, account_id: &str, status: &str) {
        self.put_item_as_found(id, Some(account_id), Some(StoredStatus::from_text(status)))
            .await;
    }

    /// `account_id`'s cancel of `id` with `token`, planned at `now` with the suite's TTL.
    async fn cancel_at(
        &self,
        account_id: &str,
        token: &str,
        id: &str,
        now: i64,
    ) -> Result<Outcome, StoreError> {
        self.cancel_request(&request(account_id, token, id), now)
            .await
    }

    /// `cancel`, planned at `now` with the suite's TTL.
    async fn cancel_request(
        &self,
        cancel: &CancelRequest,
        now: i64,
    ) -> Result<Outcome, StoreError> {
        self.store().cancel(&cancel.plan(now, TTL_SECS)).await
    }

    /// The caller's cancel of `id` with `token`, at the suite's `NOW`.
    async fn cancel(&self, token: &str, id: &str) -> Result<Outcome, StoreError> {
        self.cancel_at(ACCOUNT, token, id, NOW).await
    }
}

pub fn success_body(id: &str) -> String {
    format!(r#"{{"lifecycleExecutionId":"{id}"}}"#)
}

pub struct Embedded(pub EmbeddedStore);

impl Embedded {
    pub async fn start() -> Self {
        Self(EmbeddedStore::new())
    }
}

/// Puts an execution of `owner` with any status string, as a buggy engine might write it.
pub fn put_raw(store: &EmbeddedStore, id: &str, owner: &str, status: &str) {
    store.put_execution(
        id,
        Execution {
            owner: Some(account(owner)),
            status: Some(StoredStatus::from_text(status)),
            ..Execution::default()
        },
    );
}

/// The status an embedded execution shows, as a test compares it.
pub fn embedded_status(store: &EmbeddedStore, id: &str) -> String {
    store
        .execution(id)
        .and_then(|e| e.status)
        .and_then(|s| s.shown().map(str::to_owned))
        .unwrap_or_default()
}

impl Backend for Embedded {
    type Store = EmbeddedStore;

    fn store(&self) -> &EmbeddedStore {
        &self.0
    }

    async fn put_item_as_found(&self, id: &str, owner: Option<&str>, status: Option<StoredStatus>) {
        let execution = Execution {
            owner: owner.map(account),
            status,
            ..Execution::default()
        };
        self.0.put_execution(id, execution);
    }

    async fn put_finished_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: i64,
        end: i64,
    ) {
        let execution = Execution {
            owner: Some(account(account_id)),
            status: Some(StoredStatus::from_text("SUCCESS")),
            status_reason: Some("Done.".to_owned()),
            lifecycle_policy_arn: Some(policy_arn.to_owned()),
            start_time_epoch_secs: Some(start as f64),
            end_time_epoch_secs: Some(end as f64),
            cancel_requested_at: None,
            has_impacted_resources: Some(true),
        };
        self.0.put_execution(id, execution);
    }

    async fn put_policy_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: &str,
        status: &str,
    ) {
        let execution = Execution {
            lifecycle_policy_arn: Some(policy_arn.to_owned()),
            start_time_epoch_secs: Some(start.parse().expect("a decimal start")),
            status: Some(StoredStatus::from_text(status)),
            ..Execution::new(
                account(account_id),
                cancel_lifecycle_execution::domain::ExecutionStatus::Pending,
            )
        };
        self.0.put_execution(id, execution);
    }

    async fn execution(&self, id: &str) -> Option<SeenExecution> {
        self.0.execution(id).map(|e| SeenExecution {
            account_id: e.owner.map(|a| a.as_str().to_owned()).unwrap_or_default(),
            status: e
                .status
                .and_then(|s| s.shown().map(str::to_owned))
                .unwrap_or_default(),
            status_reason: e.status_reason,
            cancel_requested_at: e.cancel_requested_at,
        })
    }

    async fn token_record(&self, key: &str) -> Option<TokenRecord> {
        self.0.token_record(key)
    }

    async fn token_record_count(&self) -> usize {
        self.0.token_record_count()
    }
}

/// A DynamoDB store on moto, with its own tables.
pub struct Dynamo {
    pub store: DynamoDbStore,
    pub client: Client,
    pub tables: TableNames,
}

impl Dynamo {
    /// A token record with any expiry, as damaged or foreign data might hold it.
    pub async fn put_token_record(&self, key: &str, execution_id: &str, expires_at: RawExpiry<'_>) {
        let expires_at = match expires_at {
            RawExpiry::Number(n) => AttributeValue::N(n.to_owned()),
            RawExpiry::Text(t) => text(t),
        };
        let item = HashMap::from([
            ("idempotencyKey".to_owned(), text(key)),
            ("lifecycleExecutionId".to_owned(), text(execution_id)),
            ("responseBody".to_owned(), text(&success_body(execution_id))),
            ("createdAt".to_owned(), AttributeValue::N("0".to_owned())),
            ("expiresAt".to_owned(), expires_at),
        ]);
        self.put_item(&self.tables.idempotency, item).await;
    }

    pub async fn start() -> Self {
        let endpoint = moto_endpoint();
        let tables = unique_tables();
        let admin = admin_client(&endpoint);
        create_tables(&admin, &tables, "moto")
            .await
            .unwrap_or_else(|e| panic!("creating tables on moto at {endpoint}: {e:?}"));
        let client = client_for(&endpoint);
        Self {
            store: DynamoDbStore::new(client, tables.clone()),
            client: admin,
            tables,
        }
    }

    pub async fn put_item(&self, table: &str, item: HashMap<String, AttributeValue>) {
        self.client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .send()
            .await
            .expect("seeding moto");
    }

    /// An `IN_PROGRESS` execution of `account_id` carrying `extra` attributes too (what the
    /// lifecycle engine writes beside the ones the service reads).
    pub async fn put_in_progress_with(
        &self,
        id: &str,
        account_id: &str,
        extra: impl IntoIterator<Item = (&str, AttributeValue)>,
    ) {
        let mut item = HashMap::from([
            ("lifecycleExecutionId".to_owned(), text(id)),
            ("accountId".to_owned(), text(account_id)),
            ("status".to_owned(), text("IN_PROGRESS")),
        ]);
        item.extend(
            extra
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        self.put_item(&self.tables.executions, item).await;
    }

    pub async fn execution_item(&self, id: &str) -> Option<HashMap<String, AttributeValue>> {
        self.client
            .get_item()
            .table_name(&self.tables.executions)
            .key("lifecycleExecutionId", AttributeValue::S(id.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading moto")
            .item
    }

    pub async fn token_items(&self) -> Vec<HashMap<String, AttributeValue>> {
        self.client
            .scan()
            .table_name(&self.tables.idempotency)
            .send()
            .await
            .expect("scanning moto")
            .items
            .unwrap_or_default()
    }
}

pub fn get_s(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub fn get_n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

impl Backend for Dynamo {
    type Store = DynamoDbStore;

    fn store(&self) -> &DynamoDbStore {
        &self.store
    }

    async fn put_item_as_found(&self, id: &str, owner: Option<&str>, status: Option<StoredStatus>) {
        let mut item = HashMap::from([("lifecycleExecutionId".to_owned(), text(id))]);
        if let Some(owner) = owner {
            item.insert("accountId".to_owned(), text(owner));
        }
        match status {
            Some(StoredStatus::NotAString) => {
                item.insert("status".to_owned(), AttributeValue::N("3".to_owned()));
            }
            Some(status) => {
                let shown = status.shown().unwrap_or_default();
                item.insert("status".to_owned(), text(shown));
            }
            None => {}
        }
        self.put_item(&self.tables.executions, item).await;
    }

    async fn put_finished_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: i64,
        end: i64,
    ) {
        // As an engine might: start as epoch seconds, end as RFC 3339.
        let end = aws_sdk_dynamodb::primitives::DateTime::from_secs(end)
            .fmt(aws_sdk_dynamodb::primitives::DateTimeFormat::DateTime)
            .expect("a formattable time");
        let item = HashMap::from([
            ("lifecycleExecutionId".to_owned(), text(id)),
            ("accountId".to_owned(), text(account_id)),
            ("status".to_owned(), text("SUCCESS")),
            ("statusReason".to_owned(), text("Done.")),
            ("lifecyclePolicyArn".to_owned(), text(policy_arn)),
            ("startTime".to_owned(), AttributeValue::N(start.to_string())),
            ("endTime".to_owned(), AttributeValue::S(end)),
            (
                "hasImpactedResources".to_owned(),
                AttributeValue::Bool(true),
            ),
        ]);
        self.put_item(&self.tables.executions, item).await;
    }

    async fn put_policy_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: &str,
        status: &str,
    ) {
        let item = HashMap::from([
            ("lifecycleExecutionId".to_owned(), text(id)),
            ("accountId".to_owned(), text(account_id)),
            ("status".to_owned(), text(status)),
            ("lifecyclePolicyArn".to_owned(), text(policy_arn)),
            ("startTime".to_owned(), AttributeValue::N(start.to_owned())),
        ]);
        self.put_item(&self.tables.executions, item).await;
    }

    async fn execution(&self, id: &str) -> Option<SeenExecution> {
        self.execution_item(id).await.map(|item| SeenExecution {
            account_id: get_s(&item, "accountId").unwrap_or_default(),
            status: get_s(&item, "status").unwrap_or_default(),
            status_reason: get_s(&item, "statusReason"),
            cancel_requested_at: get_s(&item, "cancelRequestedAt"),
        })
    }

    async fn token_record(&self, key: &str) -> Option<TokenRecord> {
        let item = self
            .client
            .get_item()
            .table_name(&self.tables.idempotency)
            .key("idempotencyKey", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("reading moto")
            .item?;
        Some(TokenRecord {
            lifecycle_execution_id: get_s(&item, "lifecycleExecutionId"),
            response_body: get_s(&item, "responseBody"),
            expires_at_epoch_secs: get_n(&item, "expiresAt"),
        })
    }

    async fn token_record_count(&self) -> usize {
        self.token_items().await.len()
    }
}
