//! Ties the model's condition predicates to the code's real condition expressions: every kind
//! of stored token record × every kind of execution item goes through the real transaction on
//! moto (the code's own `token_put` and `status_update`), which must commit exactly when the
//! model's predicates say it does; where it is cancelled, the code's decision from what moto
//! returns (`ALL_OLD`) must equal its decision from what the model returns.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_sdk_dynamodb::Client;
use cancel_lifecycle_execution::config::TableNames;
use cancel_lifecycle_execution::domain::{
    AccountId, CancelPlan, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::store::dynamodb::create_tables;
use cancel_lifecycle_execution::store::dynamodb::internals::{
    attr, read_cancellation, status_update, token_put,
};
use cancel_model::dynamodb::{to_sdk_item, Item, Tables, TokenCondition, Transacted, Val};

const NOW: i64 = 1_800_000_000;
const ACCOUNT: &str = "111111111111";
const OTHER: &str = "222222222222";

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "MOTO_ENDPOINT is not set: the differential test needs moto's DynamoDB server. Run \
             `make test`, or `scripts/with-moto.sh cargo test -p cancel-model`."
        ),
    }
}

fn client(endpoint: &str) -> Client {
    Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
            .endpoint_url(endpoint)
            .build(),
    )
}

fn s(text: &str) -> Val {
    Val::S(text.to_owned())
}

fn n(value: i64) -> Val {
    Val::N(value.to_string())
}

/// A kind of stored item: its name, and its members (`None`: no item).
type Kind = (&'static str, Option<Vec<(&'static str, Val)>>);

/// Every kind of stored token record.
fn token_kinds(own_id: &str) -> Vec<Kind> {
    let body = |id: &str| s(&format!(r#"{{"lifecycleExecutionId":"{id}"}}"#));
    let other_id = "lce-00000000-0000-4000-8000-00000000ffff";
    let record = |id: Val, expires: Option<Val>| {
        let mut members = vec![
            (attr::TOKEN_EXECUTION_ID, id),
            (attr::RESPONSE_BODY, body(own_id)),
        ];
        members.extend(expires.map(|e| (attr::EXPIRES_AT, e)));
        Some(members)
    };
    vec![
        ("absent", None),
        ("live, same id", record(s(own_id), Some(n(NOW + 5)))),
        ("live, other id", record(s(other_id), Some(n(NOW + 5)))),
        ("expired", record(s(own_id), Some(n(NOW - 1)))),
        ("expiring this second", record(s(own_id), Some(n(NOW)))),
        ("id not a string", record(n(7), Some(n(NOW + 5)))),
        ("no id", Some(vec![(attr::EXPIRES_AT, n(NOW + 5))])),
        ("expiry not a number", record(s(own_id), Some(s("soon")))),
        ("no expiry", record(s(own_id), None)),
        (
            "expiry past 9999-12-31",
            record(s(own_id), Some(n(300_000_000_000))),
        ),
    ]
}

/// Every kind of execution item.
fn execution_kinds() -> Vec<Kind> {
    let own = |status: Val| Some(vec![(attr::ACCOUNT_ID, s(ACCOUNT)), (attr::STATUS, status)]);
    let mut kinds: Vec<_> = [
        "PENDING",
        "IN_PROGRESS",
        "CANCELLING",
        "CANCELLED",
        "SUCCESS",
        "FAILED",
    ]
    .into_iter()
    .map(|status| (status, own(s(status))))
    .collect();
    kinds.extend([
        (
            "another account's PENDING",
            Some(vec![
                (attr::ACCOUNT_ID, s(OTHER)),
                (attr::STATUS, s("PENDING")),
            ]),
        ),
        ("missing", None),
        ("no status", Some(vec![(attr::ACCOUNT_ID, s(ACCOUNT))])),
        ("status a number", own(n(3))),
        ("unknown status", own(s("PAUSED"))),
        ("no accountId", Some(vec![(attr::STATUS, s("PENDING"))])),
    ]);
    kinds
}

fn item(key: (&str, &str), members: &[(&'static str, Val)]) -> Item {
    let mut item: Item = BTreeMap::from([(key.0.to_owned(), s(key.1))]);
    item.extend(
        members
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    item
}

/// Puts `item` into moto's `table` as it is.
async fn seed(client: &Client, table: &str, item: &Item) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(to_sdk_item(item)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("seed {table}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_real_transaction_commits_exactly_when_the_models_predicates_hold() {
    let endpoint = moto_endpoint();
    let client = client(&endpoint);
    let suffix = format!("{}-{}", std::process::id(), NOW);
    let tables = TableNames {
        executions: format!("model-executions-{suffix}"),
        idempotency: format!("model-idempotency-{suffix}"),
    };
    create_tables(&client, &tables, &endpoint)
        .await
        .expect("create the tables on moto");
    let mut cases = 0;
    let mut committed = 0;
    for (t, (token_kind, _)) in token_kinds("x").iter().enumerate() {
        for (e, (execution_kind, execution)) in execution_kinds().into_iter().enumerate() {
            let id = format!("lce-00000000-0000-4000-8000-{:012}", t * 100 + e);
            let plan: CancelPlan = CancelRequest {
                account_id: AccountId::try_from(ACCOUNT.to_owned()).unwrap(),
                client_token: ClientToken::try_from(format!("token-{t}-{e}")).unwrap(),
                lifecycle_execution_id: LifecycleExecutionId::try_from(id.clone()).unwrap(),
            }
            .plan(NOW, 86_400);
            let token = token_kinds(&id).swap_remove(t).1;
            // The same items in the model's tables and in moto's.
            let mut model = Tables::default();
            if let Some(members) = &token {
                let record = item((attr::IDEMPOTENCY_KEY, &plan.idempotency_key()), members);
                seed(&client, &tables.idempotency, &record).await;
                model.tokens.insert(plan.idempotency_key(), record);
            }
            if let Some(members) = &execution {
                let stored = item((attr::EXECUTION_ID, &id), members);
                seed(&client, &tables.executions, &stored).await;
                model.executions.insert(id.clone(), stored);
            }
            let case = format!("token {token_kind} × execution {execution_kind}");
            let real = client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .put(token_put(&plan, &tables.idempotency).unwrap())
                        .build(),
                )
                .transact_items(
                    TransactWriteItem::builder()
                        .update(status_update(&plan, &tables.executions).unwrap())
                        .build(),
                )
                .send()
                .await;
            let modelled = model.transact(&plan, TokenCondition::Exact);
            match (real, modelled) {
                (Ok(_), Transacted::Committed) => committed += 1,
                (Err(error), Transacted::Cancelled(model_reasons)) => {
                    let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                        error.as_service_error()
                    else {
                        panic!("{case}: moto answered {error:?}");
                    };
                    let real_decision = read_cancellation(&plan, cancelled.cancellation_reasons());
                    let model_decision = read_cancellation(&plan, &model_reasons);
                    assert_eq!(
                        format!("{real_decision:?}"),
                        format!("{model_decision:?}"),
                        "{case}: the decision from moto's old items differs from the model's"
                    );
                }
                (real, modelled) => panic!(
                    "{case}: moto {} but the model's predicates say {}",
                    if real.is_ok() {
                        "committed"
                    } else {
                        "cancelled the transaction"
                    },
                    if modelled == Transacted::Committed {
                        "commit"
                    } else {
                        "cancel"
                    },
                ),
            }
            cases += 1;
        }
    }
    assert_eq!(cases, 10 * 12);
    // Seven kinds count as absent (none, expired, the id not a string or missing, the expiry
    // not a number, missing or past 9999-12-31), each against the two cancellable statuses.
    assert_eq!(committed, 7 * 2, "commits");
}
