//! Shared test helpers: moto's DynamoDB, fresh tables per test, both store backends, requests.
#![allow(dead_code)] // each test binary uses its own part of this module

pub mod fault;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::cancel::TokenRecord;
use cancel_lifecycle_execution::model::{
    AccountId, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::store::dynamodb::calls::CountCalls;
use cancel_lifecycle_execution::store::dynamodb::schema::create_tables;
use cancel_lifecycle_execution::store::dynamodb::{retry_config, timeout_config, TableNames};
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

/// A client for `endpoint` with test credentials and the service's own timeouts and call
/// counter (`calls::counting` reads it).
pub fn client_for(endpoint: &str) -> Client {
    let config = test_config(endpoint)
        .timeout_config(timeout_config())
        .build();
    Client::from_conf(config)
}

/// The tests' own client for seeding and reading moto: patient, so a loaded moto slows a test
/// down instead of failing it.
pub fn admin_client(endpoint: &str) -> Client {
    let patient = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(60))
        .build();
    Client::from_conf(test_config(endpoint).timeout_config(patient).build())
}

fn test_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        // As on the service's own client: per-request counts for the log line.
        .interceptor(CountCalls)
        .retry_config(retry_config())
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
    /// An execution with a policy, started at `start` and ended at `end` (epoch seconds).
    async fn put_finished_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: i64,
        end: i64,
    );
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

    async fn put_finished_execution(
        &self,
        id: &str,
        account_id: &str,
        policy_arn: &str,
        start: i64,
        end: i64,
    ) {
        self.0.put_stored_execution(
            id,
            cancel_lifecycle_execution::store::embedded::StoredExecution {
                account_id: account_id.to_owned(),
                status: "SUCCESS".to_owned(),
                status_reason: Some("Done.".to_owned()),
                cancel_requested_at: None,
                lifecycle_policy_arn: Some(policy_arn.to_owned()),
                start_time_epoch_secs: Some(start),
                end_time_epoch_secs: Some(end),
            },
        );
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
}

impl Dynamo {
    pub async fn start() -> Self {
        let endpoint = moto_endpoint();
        let tables = unique_tables();
        let admin = admin_client(&endpoint);
        create_tables(&admin, &tables)
            .await
            .unwrap_or_else(|e| panic!("creating tables on moto at {endpoint}: {e:?}"));
        let client = client_for(&endpoint);
        Self {
            store: DynamoDbStore::new(client, tables.clone(), TTL_SECS),
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
            (
                "lifecycleExecutionId".to_owned(),
                AttributeValue::S(id.to_owned()),
            ),
            (
                "accountId".to_owned(),
                AttributeValue::S(account_id.to_owned()),
            ),
            ("status".to_owned(), AttributeValue::S("SUCCESS".to_owned())),
            (
                "statusReason".to_owned(),
                AttributeValue::S("Done.".to_owned()),
            ),
            (
                "lifecyclePolicyArn".to_owned(),
                AttributeValue::S(policy_arn.to_owned()),
            ),
            ("startTime".to_owned(), AttributeValue::N(start.to_string())),
            ("endTime".to_owned(), AttributeValue::S(end)),
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

/// What a test reads from a response.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: lambda_http::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("every body is JSON")
    }

    /// Asserts the documented error shape of API-CONTRACT §2, exactly.
    pub fn assert_error(&self, status: u16, name: &str, message: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("x-amzn-ErrorType"), Some(name), "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(self
            .header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()));
        assert_eq!(
            self.json(),
            serde_json::json!({ "__type": name, "message": message }),
            "{self:?}"
        );
        assert_eq!(self.json().as_object().map(|o| o.len()), Some(2));
    }

    pub fn assert_success(&self, id: &str) {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.header("x-amzn-ErrorType"), None);
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert!(self
            .header("x-amzn-RequestId")
            .is_some_and(|id| !id.is_empty()));
        assert_eq!(self.body, format!(r#"{{"lifecycleExecutionId":"{id}"}}"#));
    }
}

/// Runs one request through the app and reads the response.
pub async fn call<S: CancelStore>(
    app: &cancel_lifecycle_execution::http::App<S>,
    request: lambda_http::Request,
) -> Answer {
    let response = app.handle(request).await;
    let (parts, body) = response.into_parts();
    let body = match body {
        lambda_http::Body::Empty => String::new(),
        lambda_http::Body::Text(text) => text,
        lambda_http::Body::Binary(bytes) => String::from_utf8(bytes).expect("UTF-8 body"),
        _ => panic!("unexpected body kind"),
    };
    Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    }
}

/// A request as the local server hands it over: no request context.
pub fn plain(method: &str, path: &str, body: &str) -> lambda_http::Request {
    lambda_http::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(lambda_http::Body::from(body.to_owned()))
        .expect("valid test request")
}

pub fn cancel_body(token: &str, id: &str) -> String {
    serde_json::json!({ "clientToken": token, "lifecycleExecutionId": id }).to_string()
}

/// An API Gateway REST (v1) proxy event with IAM auth, parsed as Lambda hands it over.
pub fn rest_v1_event(method: &str, body: &str, caller_account: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "resource": "/CancelLifecycleExecution",
        "path": "/CancelLifecycleExecution",
        "httpMethod": method,
        "headers": { "content-type": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com" },
        "multiValueHeaders": { "content-type": ["application/json"], "Host": ["abc123.execute-api.us-east-1.amazonaws.com"] },
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "999988887777",
            "resourceId": "r1",
            "stage": "prod",
            "requestId": "rest-request-id-1",
            "identity": {
                "accountId": caller_account,
                "caller": "AIDAEXAMPLE",
                "sourceIp": "192.0.2.1",
                "userArn": caller_account.map(|a| format!("arn:aws:iam::{a}:user/tester"))
            },
            "resourcePath": "/CancelLifecycleExecution",
            "httpMethod": method,
            "apiId": "abc123",
            "path": "/prod/CancelLifecycleExecution",
            "requestTimeEpoch": 1700000000000_i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An HTTP API (v2) event with IAM auth; a function URL event has the same shape.
pub fn http_v2_event(
    method: &str,
    body: &str,
    caller_account: Option<&str>,
    domain: &str,
) -> serde_json::Value {
    let authorizer = caller_account.map(|a| {
        serde_json::json!({ "iam": {
            "accessKey": "AKIAEXAMPLE",
            "accountId": a,
            "callerId": "AIDAEXAMPLE",
            "userArn": format!("arn:aws:iam::{a}:user/tester"),
            "userId": "AIDAEXAMPLE"
        }})
    });
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/CancelLifecycleExecution",
        "rawQueryString": "",
        "headers": { "content-type": "application/json", "host": domain },
        "requestContext": {
            "accountId": "999988887777",
            "apiId": "abc123",
            "authorizer": authorizer,
            "domainName": domain,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": "/CancelLifecycleExecution",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "test"
            },
            "requestId": "v2-request-id-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1700000000000_i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

pub fn event(value: &serde_json::Value) -> lambda_http::Request {
    lambda_http::request::from_str(&value.to_string()).expect("test events parse")
}

/// One HTTP/1.1 exchange over a fresh connection (`Connection: close`), parsed plainly.
pub async fn http_exchange(address: &str, method: &str, path: &str, body: &[u8]) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .unwrap_or_else(|e| panic!("connecting to {address}: {e}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("writing the head");
    // The server may answer (and close) before reading a refused body whole.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("reading the answer");
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut headers = lambda_http::http::HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.append(
                lambda_http::http::HeaderName::from_bytes(name.trim().as_bytes())
                    .expect("header name"),
                value.trim().parse().expect("header value"),
            );
        }
    }
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}
