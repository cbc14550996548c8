//! The DynamoDB store behind the HTTP edge, on moto: concurrency, call counts, schema, failures.

use std::collections::HashMap;
use std::sync::Arc;

use crate::helpers::{
    account, app_with, call, cancel_body, client_for, new_id, plain, request, unique_tables,
    Backend, Dynamo, ACCOUNT, NOW, TTL_SECS,
};
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use cancel_lifecycle_execution::domain::Outcome;
use cancel_lifecycle_execution::domain::Refusal;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::dynamodb::create_tables;
use cancel_lifecycle_execution::store::{CancelStore, DynamoDbStore};
use cancel_lifecycle_execution::telemetry::request_scope;

const PATH: &str = "/CancelLifecycleExecution";

async fn app_on_moto() -> (Arc<App<DynamoDbStore>>, Dynamo) {
    let dynamo = Dynamo::start().await;
    let store = DynamoDbStore::new(dynamo.store.client().clone(), dynamo.tables.clone());
    (Arc::new(app_with(store)), dynamo)
}

#[tokio::test]
async fn sixty_four_simultaneous_requests_with_one_token_all_get_the_same_200_and_one_record() {
    let (app, dynamo) = app_on_moto().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let app = Arc::clone(&app);
            let body = cancel_body("one-token", &id);
            tokio::spawn(async move { call(&app, plain("PUT", PATH, &body)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic").assert_success(&id);
    }

    assert_eq!(dynamo.token_record_count().await, 1);
    assert_eq!(dynamo.execution(&id).await.unwrap().status, "CANCELLING");
}

#[tokio::test]
async fn thirty_two_simultaneous_distinct_tokens_give_one_cancel_and_thirty_one_in_use() {
    let (app, dynamo) = app_on_moto().await;
    let id = new_id();
    dynamo.put_execution(&id, ACCOUNT, "PENDING").await;

    let tasks: Vec<_> = (0..32)
        .map(|n| {
            let app = Arc::clone(&app);
            let body = cancel_body(&format!("token-{n}"), &id);
            tokio::spawn(async move { call(&app, plain("PUT", PATH, &body)).await })
        })
        .collect();
    let mut by_error = HashMap::new();
    for task in tasks {
        let answer = task.await.expect("no panic");
        let kind = answer
            .header("x-amzn-ErrorType")
            .unwrap_or("200")
            .to_owned();
        *by_error.entry(kind).or_insert(0) += 1;
    }

    assert_eq!(
        by_error,
        HashMap::from([
            ("200".to_owned(), 1),
            ("ResourceInUseException".to_owned(), 31)
        ])
    );
    assert_eq!(dynamo.token_record_count().await, 1);
}

#[tokio::test]
async fn a_new_cancel_a_replay_and_a_mismatch_each_cost_one_dynamodb_call() {
    let dynamo = Dynamo::start().await;
    let (id, other) = (new_id(), new_id());
    dynamo.put_execution(&id, ACCOUNT, "IN_PROGRESS").await;
    dynamo.put_execution(&other, ACCOUNT, "IN_PROGRESS").await;
    // The service's own counter (the one its log line reports): every request the SDK sends
    // inside one cancel, retries included.
    let cancel = |token: &str, id: &str| {
        let request = request(ACCOUNT, token, id);
        let store = &dynamo.store;
        request_scope::within(request_scope::RequestScope::default(), async move {
            store.cancel(&request.plan(NOW, TTL_SECS)).await
        })
    };

    let (new, new_calls) = cancel("counted", &id).await;
    let (replay, replay_calls) = cancel("counted", &id).await;
    let (mismatch, mismatch_calls) = cancel("counted", &other).await;
    let (missing, missing_calls) = cancel("fresh", &new_id()).await;

    assert!(matches!(new, Ok(Outcome::Cancelled { .. })), "{new:?}");
    assert!(matches!(replay, Ok(Outcome::Replayed { .. })), "{replay:?}");
    assert_eq!(
        mismatch.unwrap(),
        Outcome::Refused(Refusal::ParameterMismatch)
    );
    assert_eq!(missing.unwrap(), Outcome::Refused(Refusal::NotFound));
    assert_eq!(
        [new_calls, replay_calls, mismatch_calls, missing_calls],
        [1, 1, 1, 1],
        "calls for a new cancel, a replay, a mismatch, a missing execution"
    );
}

#[tokio::test]
async fn a_cancel_leaves_the_engines_other_attributes_untouched() {
    let (app, dynamo) = app_on_moto().await;
    let id = new_id();
    let arn = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";
    dynamo
        .put_in_progress_with(
            &id,
            ACCOUNT,
            [
                ("lifecyclePolicyArn", AttributeValue::S(arn.to_owned())),
                ("startTime", AttributeValue::N("1700000000".to_owned())),
            ],
        )
        .await;

    call(&app, plain("PUT", PATH, &cancel_body("t", &id)))
        .await
        .assert_success(&id);

    let stored = dynamo.execution_item(&id).await.unwrap();
    assert_eq!(
        stored.get("lifecyclePolicyArn"),
        Some(&AttributeValue::S(arn.to_owned()))
    );
    assert_eq!(
        stored.get("startTime"),
        Some(&AttributeValue::N("1700000000".to_owned()))
    );
    assert_eq!(
        stored.get("status"),
        Some(&AttributeValue::S("CANCELLING".to_owned()))
    );
    assert_eq!(stored.len(), 7);
    let tokens = dynamo.token_items().await;
    assert_eq!(tokens.len(), 1);
    let created_at = crate::helpers::get_n(&tokens[0], "createdAt").unwrap();
    assert_eq!(
        crate::helpers::get_n(&tokens[0], "expiresAt"),
        Some(created_at + TTL_SECS)
    );
    assert_eq!(
        crate::helpers::get_s(&tokens[0], "idempotencyKey").as_deref(),
        Some(format!("CancelLifecycleExecution#{ACCOUNT}#t").as_str())
    );
}

#[tokio::test]
async fn create_tables_enables_ttl_and_is_a_no_op_the_second_time() {
    let client = client_for(&crate::helpers::moto_endpoint());
    let tables = unique_tables();

    create_tables(&client, &tables, "moto")
        .await
        .expect("first run creates");
    create_tables(&client, &tables, "moto")
        .await
        .expect("second run is a no-op");

    let ttl = client
        .describe_time_to_live()
        .table_name(&tables.idempotency)
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().unwrap();
    assert_eq!(
        description.time_to_live_status(),
        Some(&TimeToLiveStatus::Enabled)
    );
    assert_eq!(description.attribute_name(), Some("expiresAt"));
    for (table, key) in [
        (&tables.executions, "lifecycleExecutionId"),
        (&tables.idempotency, "idempotencyKey"),
    ] {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let schema = described.table().unwrap().key_schema();
        assert_eq!(schema.len(), 1);
        assert_eq!(schema[0].attribute_name(), key);
    }
}

#[tokio::test]
async fn an_unreachable_dynamodb_is_service_unavailable() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = client_for(&format!("http://127.0.0.1:{closed_port}"));
    let app = App::new(
        DynamoDbStore::new(client, unique_tables()),
        Some(account(ACCOUNT)),
    );

    let answer = call(&app, plain("PUT", PATH, &cancel_body("t", &new_id()))).await;

    answer.assert_error(
        503,
        "ServiceUnavailableException",
        "The service is temporarily unable to process the request. Retry later.",
    );
}

#[tokio::test]
async fn a_dynamodb_that_never_answers_is_service_unavailable() {
    // Accepts connections and reads, never writes back.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = client_for(&format!("http://{address}"));
    let app = App::new(
        DynamoDbStore::new(client, unique_tables()),
        Some(account(ACCOUNT)),
    );

    let answer = call(&app, plain("PUT", PATH, &cancel_body("t", &new_id()))).await;

    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("ServiceUnavailableException")
    );
}
