//! Shared test helpers: moto's DynamoDB, fresh tables per test, both store backends, requests.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::cancel::TokenRecord;
use cancel_lifecycle_execution::model::{
    AccountId, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::store::dynamodb::schema::create_tables;
use cancel_lifecycle_execution::store::dynamodb::TableNames;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore, EmbeddedStore};

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";
pub const TTL_SECS: i64 = 86_400;
pub const NOW: i64 = 1_800_000_000;

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

/// Counts every HTTP request the SDK sends, retries included.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicUsize>);

impl CallCounter {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A client for `endpoint` with test credentials, counting its calls.
pub fn client_for(endpoint: &str, counter: &CallCounter) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .interceptor(counter.clone())
        .build();
    Client::from_conf(config)
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

pub fn id(value: &str) -> LifecycleExecutionId {
    LifecycleExecutionId::try_from(value.to_owned()).expect("test ids are valid")
}

pub fn account(value: &str) -> AccountId {
    AccountId::try_from(value.to_owned()).expect("test accounts are valid")
}

/// A fresh valid execution id.
pub fn new_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "lce-{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn request(account_id: &str, token: &str, execution_id: &str) -> CancelRequest {
    CancelRequest {
        account_id: account(account_id),
        client_token: ClientToken::try_from(token.to_owned()).expect("test tokens are valid"),
        lifecycle_execution_id: id(execution_id),
    }
}

/// An execution as a test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenExecution {
    pub account_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub cancel_requested_at: Option<String>,
}

/// One store adapter with direct access to its data, for the contract suite.
pub trait Backend {
    type Store: CancelStore;
    fn store(&self) -> &Self::Store;
    async fn put_execution(&self, id: &str, account_id: &str, status: &str);
    async fn execution(&self, id: &str) -> Option<SeenExecution>;
    async fn token_record(&self, key: &str) -> Option<TokenRecord>;
    async fn token_record_count(&self) -> usize;
}

pub struct Embedded(pub EmbeddedStore);

impl Embedded {
    pub async fn start() -> Self {
        Self(EmbeddedStore::new(TTL_SECS))
    }
}

impl Backend for Embedded {
    type Store = EmbeddedStore;

    fn store(&self) -> &EmbeddedStore {
        &self.0
    }

    async fn put_execution(&self, id: &str, account_id: &str, status: &str) {
        self.0.put_raw_execution(id, account_id, status);
    }

    async fn execution(&self, id: &str) -> Option<SeenExecution> {
        self.0.execution(id).map(|e| SeenExecution {
            account_id: e.account_id,
            status: e.status,
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

/// A DynamoDB store on moto, with its own tables and a call counter.
pub struct Dynamo {
    pub store: DynamoDbStore,
    pub client: Client,
    pub tables: TableNames,
    pub calls: CallCounter,
}

impl Dynamo {
    pub async fn start() -> Self {
        let endpoint = moto_endpoint();
        let calls = CallCounter::default();
        let tables = unique_tables();
        let admin = client_for(&endpoint, &CallCounter::default());
        create_tables(&admin, &tables)
            .await
            .unwrap_or_else(|e| panic!("creating tables on moto at {endpoint}: {e:?}"));
        let client = client_for(&endpoint, &calls);
        Self {
            store: DynamoDbStore::new(client, tables.clone(), TTL_SECS),
            client: admin,
            tables,
            calls,
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

pub fn s(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub fn n(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

impl Backend for Dynamo {
    type Store = DynamoDbStore;

    fn store(&self) -> &DynamoDbStore {
        &self.store
    }

    async fn put_execution(&self, id: &str, account_id: &str, status: &str) {
        let item = HashMap::from([
            (
                "lifecycleExecutionId".to_owned(),
                AttributeValue::S(id.to_owned()),
            ),
            (
                "accountId".to_owned(),
                AttributeValue::S(account_id.to_owned()),
            ),
            ("status".to_owned(), AttributeValue::S(status.to_owned())),
        ]);
        self.put_item(&self.tables.executions, item).await;
    }

    async fn execution(&self, id: &str) -> Option<SeenExecution> {
        self.execution_item(id).await.map(|item| SeenExecution {
            account_id: s(&item, "accountId").unwrap_or_default(),
            status: s(&item, "status").unwrap_or_default(),
            status_reason: s(&item, "statusReason"),
            cancel_requested_at: s(&item, "cancelRequestedAt"),
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
            lifecycle_execution_id: s(&item, "lifecycleExecutionId")?,
            response_body: s(&item, "responseBody")?,
            expires_at_epoch_secs: n(&item, "expiresAt")?,
        })
    }

    async fn token_record_count(&self) -> usize {
        self.token_items().await.len()
    }
}
