//! The local HTTP server and the binary itself, as a newcomer runs them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{account, cancel_body, http_exchange, new_id, unique_tables, ACCOUNT};
use cancel_lifecycle_execution::config::LocalLimits;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::local;
use cancel_lifecycle_execution::store::embedded::DEMO_EXECUTIONS;
use cancel_lifecycle_execution::store::EmbeddedStore;

const PATH: &str = "/CancelLifecycleExecution";
const BINARY: &str = env!("CARGO_BIN_EXE_cancel-lifecycle-execution");

async fn start_server(
    app: App<EmbeddedStore>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = LocalLimits::default();
    let router = app.with_body_deadline(limits.body_timeout).router();
    let server = tokio::spawn(local::serve(router, listener, limits, async {
        let _ = stopped.await;
    }));
    (address, stop, server)
}

#[tokio::test]
async fn the_local_server_answers_a_cancel_over_http() {
    let store = EmbeddedStore::new();
    let id = new_id();
    crate::helpers::put_raw(&store, &id, ACCOUNT, "PENDING");
    let (address, stop, server) = start_server(App::new(store, Some(account(ACCOUNT)))).await;

    let answer = http_exchange(&address, "PUT", PATH, cancel_body("t", &id).as_bytes()).await;

    answer.assert_success(&id);
    let _ = stop.send(());
    server.await.expect("the server stops cleanly");
}

#[tokio::test]
async fn the_local_server_refuses_a_body_over_the_cap() {
    let (address, stop, _server) =
        start_server(App::new(EmbeddedStore::new(), Some(account(ACCOUNT)))).await;
    let body = format!(r#"{{"clientToken":"{}"}}"#, "x".repeat(1024 * 1024));

    let answer = http_exchange(&address, "PUT", PATH, body.as_bytes()).await;

    answer.assert_error(
        400,
        "InvalidRequestException",
        "The request body is larger than 65536 bytes.",
    );
    let _ = stop.send(());
}

/// The binary, started with `vars` only, and the address it printed.
struct Running {
    child: Child,
    address: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_binary(vars: &[(&str, &str)]) -> Running {
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("the binary prints its address");
    let address = first_line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {first_line:?}"))
        .to_owned();
    Running { child, address }
}

fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}

#[tokio::test]
async fn cargo_run_with_nothing_set_serves_the_demo_executions() {
    let running = start_binary(&[]);
    let (id, _) = DEMO_EXECUTIONS[0];

    let answer = http_exchange(
        &running.address,
        "PUT",
        PATH,
        cancel_body("try-1", id).as_bytes(),
    )
    .await;

    answer.assert_success(id);
}

#[tokio::test]
async fn create_tables_then_serve_on_moto_cancels_a_seeded_execution() {
    let endpoint = crate::helpers::moto_endpoint();
    let tables = unique_tables();
    let mut vars = aws_env(&endpoint);
    vars.push(("EXECUTIONS_TABLE", tables.executions.clone()));
    vars.push(("IDEMPOTENCY_TABLE", tables.idempotency.clone()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let output = Command::new(BINARY)
            .arg("create-tables")
            .env_clear()
            .envs(vars.iter().copied())
            .output()
            .expect("create-tables runs");
        assert!(
            output.status.success(),
            "create-tables fails: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let dynamo_client = crate::helpers::client_for(&endpoint);
    let id = new_id();
    dynamo_client
        .put_item()
        .table_name(&tables.executions)
        .item(
            "lifecycleExecutionId",
            aws_sdk_dynamodb::types::AttributeValue::S(id.clone()),
        )
        .item(
            "accountId",
            aws_sdk_dynamodb::types::AttributeValue::S(ACCOUNT.to_owned()),
        )
        .item(
            "status",
            aws_sdk_dynamodb::types::AttributeValue::S("IN_PROGRESS".to_owned()),
        )
        .send()
        .await
        .unwrap();
    let mut serve_vars = vars.clone();
    serve_vars.push(("DEFAULT_ACCOUNT_ID", ACCOUNT));
    let running = start_binary(&serve_vars);

    let answer = http_exchange(
        &running.address,
        "PUT",
        PATH,
        cancel_body("t", &id).as_bytes(),
    )
    .await;

    answer.assert_success(&id);
}

#[test]
fn under_lambda_without_tables_the_binary_refuses_to_start_and_names_the_setting() {
    let output = Command::new(BINARY)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("the binary runs");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("EXECUTIONS_TABLE is not set"), "{stderr}");
}

#[test]
fn the_binary_stops_cleanly_on_sigterm() {
    let mut running = start_binary(&[]);
    let pid = running.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(exit) = running.child.try_wait().expect("wait works") {
            status = Some(exit);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "exited with {status:?}"
    );
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_before_the_binary_exits() {
    let dynamo = crate::helpers::Dynamo::start().await;
    let faulty = crate::helpers::fault::FaultyDynamoDb::start();
    let id = new_id();
    crate::helpers::Backend::put_execution(&dynamo, &id, ACCOUNT, "IN_PROGRESS").await;
    let mut vars = aws_env(&faulty.endpoint);
    vars.push(("EXECUTIONS_TABLE", dynamo.tables.executions.clone()));
    vars.push(("IDEMPOTENCY_TABLE", dynamo.tables.idempotency.clone()));
    vars.push(("DEFAULT_ACCOUNT_ID", ACCOUNT.to_owned()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut running = start_binary(&vars);
    // DynamoDB now answers a second late: the request is in flight when SIGTERM comes.
    faulty.set("slow").await;
    let address = running.address.clone();
    let body = cancel_body("in-flight", &id);
    let in_flight =
        tokio::spawn(async move { http_exchange(&address, "PUT", PATH, body.as_bytes()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = running.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());

    in_flight
        .await
        .expect("the client got an answer")
        .assert_success(&id);
    let exit = tokio::task::spawn_blocking(move || running.child.wait())
        .await
        .unwrap()
        .expect("the binary exits");
    assert!(exit.success(), "{exit:?}");
    assert_eq!(
        crate::helpers::Backend::execution(&dynamo, &id)
            .await
            .unwrap()
            .status,
        "CANCELLING"
    );
}
