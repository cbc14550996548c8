//! The local HTTP server and the binary itself, as a newcomer runs them.

use std::process::Command;
use std::time::Duration;

use crate::helpers::process::{start_binary, BINARY};
use crate::helpers::{app_with, cancel_body, http_exchange, new_id, unique_tables, ACCOUNT};
use cancel_lifecycle_execution::config::LocalLimits;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::local;
use cancel_lifecycle_execution::store::embedded::DEMO_EXECUTIONS;
use cancel_lifecycle_execution::store::EmbeddedStore;

const PATH: &str = "/CancelLifecycleExecution";

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
    let router = app.router();
    let server = tokio::spawn(local::serve(
        router,
        app.in_flight(),
        listener,
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    (address, stop, server)
}

#[tokio::test]
async fn the_local_server_answers_a_cancel_over_http() {
    let store = EmbeddedStore::new();
    let id = new_id();
    crate::helpers::put_raw(&store, &id, ACCOUNT, "PENDING");
    let (address, stop, server) = start_server(app_with(store)).await;

    let answer = http_exchange(&address, "PUT", PATH, cancel_body("t", &id).as_bytes()).await;

    answer.assert_success(&id);
    let _ = stop.send(());
    server.await.expect("the server stops cleanly");
}

#[tokio::test]
async fn the_local_server_refuses_a_body_over_the_cap() {
    let (address, stop, _server) = start_server(app_with(EmbeddedStore::new())).await;
    let body = format!(r#"{{"clientToken":"{}"}}"#, "x".repeat(1024 * 1024));

    let answer = http_exchange(&address, "PUT", PATH, body.as_bytes()).await;

    answer.assert_error(
        400,
        "InvalidRequestException",
        "The request body is larger than 65536 bytes.",
    );
    let _ = stop.send(());
}

fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            crate::helpers::TEST_SECRET_ACCESS_KEY.to_owned(),
        ),
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
async fn an_executions_file_replaces_the_demo_executions_and_a_malformed_one_stops_the_start() {
    let dir = std::env::temp_dir();
    let good = dir.join(format!("executions-{}.json", new_id()));
    let id = new_id();
    let policy = "arn:aws:imagebuilder:us-east-1:123456789012:lifecycle-policy/mine";
    std::fs::write(
        &good,
        serde_json::json!([{
            "lifecycleExecutionId": id, "accountId": "123456789012", "lifecyclePolicyArn": policy,
            "state": {"status": "IN_PROGRESS"}, "startTime": 1_764_460_800
        }])
        .to_string(),
    )
    .unwrap();
    let running = start_binary(&[("EMBEDDED_EXECUTIONS_FILE", good.to_str().unwrap())]);

    let body = serde_json::json!({ "resourceArn": policy }).to_string();
    let listed = http_exchange(
        &running.address,
        "POST",
        "/ListLifecycleExecutions",
        body.as_bytes(),
    )
    .await;
    let (demo, _) = DEMO_EXECUTIONS[0];
    let cancelled_demo = http_exchange(
        &running.address,
        "PUT",
        PATH,
        cancel_body("d", demo).as_bytes(),
    )
    .await;

    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(
        listed.json()["lifecycleExecutions"][0]["lifecycleExecutionId"],
        id.as_str()
    );
    assert_eq!(
        cancelled_demo.header("x-amzn-ErrorType"),
        Some("ClientException")
    );
    drop(running);

    let bad = dir.join(format!("executions-{}.json", new_id()));
    std::fs::write(
        &bad,
        format!(
            r#"[{{"lifecycleExecutionId":"{id}","accountId":"123456789012","startTime":"soon"}}]"#
        ),
    )
    .unwrap();
    for (file, named) in [
        (bad.to_str().unwrap(), "entry 0"),
        ("/nonexistent/executions.json", "cannot be read"),
    ] {
        let (started, stderr) = run_binary(
            &[],
            &[
                ("EMBEDDED_EXECUTIONS_FILE", file.to_owned()),
                ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
            ],
        );
        assert!(!started, "{stderr}");
        assert!(stderr.contains("EMBEDDED_EXECUTIONS_FILE"), "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
    }
    assert!(run_binary(
        &[],
        &[("EMBEDDED_EXECUTIONS_FILE", bad.to_str().unwrap().to_owned())]
    )
    .1
    .contains("startTime must be a number"));
    let _ = std::fs::remove_file(good);
    let _ = std::fs::remove_file(bad);
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
fn under_lambda_with_dynamodb_a_default_account_is_refused_at_start() {
    let output = Command::new(BINARY)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .env("EXECUTIONS_TABLE", "executions")
        .env("IDEMPOTENCY_TABLE", "idempotency")
        .env("DEFAULT_ACCOUNT_ID", ACCOUNT)
        .output()
        .expect("the binary runs");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DEFAULT_ACCOUNT_ID is set under Lambda with DynamoDB"),
        "{stderr}"
    );
}

#[test]
fn the_binary_stops_cleanly_on_sigterm() {
    let mut running = start_binary(&[]);
    running.terminate();
    let status = running.exit_within(Duration::from_secs(5));
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

    running.terminate();

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

#[tokio::test]
async fn at_every_log_level_neither_the_client_token_nor_the_access_key_id_is_logged() {
    const KEY_ID: &str = "AKIDLEAKCHECK0000001";
    let dynamo = crate::helpers::Dynamo::start().await;
    let levels = [
        "trace",
        "debug",
        "info",
        "aws_smithy_runtime=trace,aws_sigv4=trace,trace",
    ];
    for (n, level) in levels.into_iter().enumerate() {
        let token = format!("Leak-Check-Token-{n}");
        let (id, other) = (new_id(), new_id());
        for execution in [&id, &other] {
            crate::helpers::Backend::put_execution(&dynamo, execution, ACCOUNT, "IN_PROGRESS")
                .await;
        }
        let mut vars = aws_env(&crate::helpers::moto_endpoint());
        vars.retain(|(name, _)| *name != "AWS_ACCESS_KEY_ID");
        vars.push(("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()));
        vars.push(("EXECUTIONS_TABLE", dynamo.tables.executions.clone()));
        vars.push(("IDEMPOTENCY_TABLE", dynamo.tables.idempotency.clone()));
        vars.push(("DEFAULT_ACCOUNT_ID", ACCOUNT.to_owned()));
        vars.push(("RUST_LOG", level.to_owned()));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let log = std::env::temp_dir().join(format!(
            "log-level-{}-{}.log",
            std::process::id(),
            &id[4..12]
        ));
        let running = crate::helpers::process::start_binary_logging(&vars, &log);
        let url = format!("http://{}", running.address);

        // A cancel, its replay (the stored record comes back from DynamoDB), a mismatch.
        crate::helpers::send(&url, "PUT", PATH, &cancel_body(&token, &id))
            .await
            .assert_success(&id);
        crate::helpers::send(&url, "PUT", PATH, &cancel_body(&token, &id))
            .await
            .assert_success(&id);
        let mismatch = crate::helpers::send(&url, "PUT", PATH, &cancel_body(&token, &other)).await;
        assert_eq!(
            mismatch.header("x-amzn-ErrorType"),
            Some("IdempotentParameterMismatchException")
        );
        drop(running);

        let text = std::fs::read_to_string(&log).expect("the log");
        assert!(!text.is_empty(), "{level}: an empty log proves nothing");
        assert!(
            !text.contains(&token),
            "{level}: the client token is in the log"
        );
        assert!(
            !text.contains(KEY_ID),
            "{level}: the access key id is in the log"
        );
        if level == "info" {
            // The cap limits the SDK's crates; it never raises them above the asked level.
            assert!(!text.contains("DEBUG"), "{level}: {text}");
        }
        let _ = std::fs::remove_file(&log);
    }
}

/// The binary with `args`, `vars` and nothing else in its environment: its exit status and stderr.
fn run_binary(args: &[&str], vars: &[(&str, String)]) -> (bool, String) {
    let output = Command::new(BINARY)
        .args(args)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn with_tables(
    vars: Vec<(&'static str, String)>,
    tables: &cancel_lifecycle_execution::config::TableNames,
) -> Vec<(&'static str, String)> {
    let mut vars = vars;
    vars.push(("EXECUTIONS_TABLE", tables.executions.clone()));
    vars.push(("IDEMPOTENCY_TABLE", tables.idempotency.clone()));
    vars.push(("LISTEN_ADDR", "127.0.0.1:0".to_owned()));
    vars
}

#[test]
fn a_local_start_against_a_missing_table_stops_naming_the_table_and_the_fix() {
    let tables = unique_tables();
    let vars = with_tables(aws_env(&crate::helpers::moto_endpoint()), &tables);

    let (started, stderr) = run_binary(&[], &vars);

    assert!(!started, "{stderr}");
    assert_eq!(
        stderr.matches("cancel-lifecycle-execution:").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains(&tables.executions), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("create-tables"), "{stderr}");
}

#[tokio::test]
async fn a_table_keyed_otherwise_stops_the_local_start_and_create_tables_naming_both_keys() {
    let tables = unique_tables();
    crate::helpers::create_table_keyed_on_id(&tables.executions).await;
    let vars = with_tables(aws_env(&crate::helpers::moto_endpoint()), &tables);

    for args in [&[][..], &["create-tables"][..]] {
        let (succeeded, stderr) = run_binary(args, &vars);

        assert!(!succeeded, "{args:?}: {stderr}");
        assert!(stderr.contains(&tables.executions), "{args:?}: {stderr}");
        assert!(stderr.contains("id (HASH, S)"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("lifecycleExecutionId (HASH, S)"),
            "{args:?}: {stderr}"
        );
    }
}

#[tokio::test]
async fn a_key_of_the_right_name_and_another_type_stops_the_start_and_create_tables_naming_both() {
    use aws_sdk_dynamodb::types::ScalarAttributeType;
    let cases = [
        (
            true,
            "lifecycleExecutionId",
            ScalarAttributeType::N,
            "(HASH, N)",
        ),
        (false, "idempotencyKey", ScalarAttributeType::B, "(HASH, B)"),
    ];
    for (executions, key, key_type, found) in cases {
        let tables = unique_tables();
        let mistyped = if executions {
            &tables.executions
        } else {
            &tables.idempotency
        };
        crate::helpers::create_table_keyed_on(mistyped, key, key_type).await;
        let vars = with_tables(aws_env(&crate::helpers::moto_endpoint()), &tables);

        // create-tables first: it makes the other table, so the start then meets this one.
        for args in [&["create-tables"][..], &[][..]] {
            let (succeeded, stderr) = run_binary(args, &vars);

            assert!(!succeeded, "{args:?}: {stderr}");
            assert!(stderr.contains(mistyped.as_str()), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{key} {found}")),
                "{args:?}: {stderr}"
            );
            assert!(
                stderr.contains(&format!("{key} (HASH, S)")),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[tokio::test]
async fn an_executions_table_without_the_index_stops_the_start_until_create_tables_adds_it() {
    use aws_sdk_dynamodb::types::ScalarAttributeType;
    let tables = unique_tables();
    crate::helpers::create_table_keyed_on(
        &tables.executions,
        "lifecycleExecutionId",
        ScalarAttributeType::S,
    )
    .await;
    let vars = with_tables(aws_env(&crate::helpers::moto_endpoint()), &tables);

    let (started, stderr) = run_binary(&[], &vars);
    assert!(!started, "{stderr}");
    assert!(stderr.contains(&tables.executions), "{stderr}");
    assert!(stderr.contains("has no index byPolicy"), "{stderr}");
    assert!(stderr.contains("create-tables"), "{stderr}");

    let (created, stderr) = run_binary(&["create-tables"], &vars);
    assert!(created, "{stderr}");
    let described = crate::helpers::admin_client(&crate::helpers::moto_endpoint())
        .describe_table()
        .table_name(&tables.executions)
        .send()
        .await
        .unwrap();
    let index = &described.table().unwrap().global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some("byPolicy"));
    let keys: Vec<_> = index
        .key_schema()
        .iter()
        .map(|k| format!("{} {}", k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            "accountId HASH",
            "lifecyclePolicyArn HASH",
            "startTime RANGE",
            "lifecycleExecutionId RANGE"
        ]
    );
}

#[test]
fn dynamodb_tables_without_a_region_stop_the_start_with_one_line_naming_aws_region() {
    let tables = unique_tables();
    // As on a laptop without an AWS config: a home with no ~/.aws, instance metadata not
    // turned off (its endpoint a closed loopback port, so that nothing leaves the machine if
    // the service asked it).
    let home = std::env::temp_dir().join(format!("no-aws-config-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("an empty home");
    let vars: Vec<_> = with_tables(aws_env(&crate::helpers::moto_endpoint()), &tables)
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "AWS_REGION" | "AWS_EC2_METADATA_DISABLED"))
        .chain([
            ("HOME", home.display().to_string()),
            (
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "http://127.0.0.1:9".to_owned(),
            ),
            ("STORE", "dynamodb".to_owned()),
        ])
        .collect();

    let (started, stderr) = run_binary(&[], &vars);

    assert!(!started, "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "cancel-lifecycle-execution: AWS_REGION is not set (nor a region in the AWS config): \
         DynamoDB needs one; set AWS_REGION=us-east-1, say",
        "one line, the fix in it"
    );
}

#[test]
fn help_lists_every_variable_and_version_prints_the_version() {
    let (ok, _) = run_binary(&["--help"], &[]);
    assert!(ok);
    let help = Command::new(BINARY)
        .arg("--help")
        .env_clear()
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for variable in [
        "EXECUTIONS_TABLE",
        "IDEMPOTENCY_TTL_SECONDS",
        "LOCAL_MAX_CONNECTIONS",
        "RUST_LOG",
    ] {
        assert!(
            help.contains(&format!("[env: {variable}")),
            "{variable}: {help}"
        );
    }
    let version = Command::new(BINARY).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("cancel-lifecycle-execution {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_setting_that_contradicts_another_or_does_not_parse_stops_the_start_once_naming_it() {
    for (vars, name) in [
        (
            vec![("IDEMPOTENCY_TABLE", "tokens".to_owned())],
            "EXECUTIONS_TABLE",
        ),
        (vec![("RUST_LOG", "foo=debugg".to_owned())], "RUST_LOG"),
        (
            vec![("IDEMPOTENCY_TTL_SECONDS", "9999999999999".to_owned())],
            "IDEMPOTENCY_TTL_SECONDS",
        ),
        // A blank IDEMPOTENCY_TABLE counts as unset; the table named with STORE=embedded is refused.
        (
            vec![
                ("STORE", "embedded".to_owned()),
                ("EXECUTIONS_TABLE", "x".to_owned()),
                ("IDEMPOTENCY_TABLE", " ".to_owned()),
            ],
            "EXECUTIONS_TABLE",
        ),
    ] {
        let (started, stderr) = run_binary(&[], &vars);
        assert!(!started, "{vars:?}");
        assert!(stderr.contains(name), "{vars:?}: {stderr}");
        assert_eq!(
            stderr.lines().filter(|l| l.contains(name)).count(),
            1,
            "said once: {stderr}"
        );
    }
}

#[test]
fn the_start_banner_offers_two_commands_on_two_cancellable_executions_with_the_venvs_cli() {
    use std::io::BufRead;
    let mut child = Command::new(BINARY)
        .env_clear()
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut banner = Vec::new();
    for line in std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
    {
        let last = line.contains("--lifecycle-execution-id");
        banner.push(line);
        if last {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let banner = banner.join("\n");
    let cancelled: Vec<&str> = DEMO_EXECUTIONS
        .iter()
        .filter(|(id, status)| {
            banner.contains(id)
                && cancel_lifecycle_execution::domain::ExecutionStatus::CANCELLABLE.contains(status)
        })
        .map(|(id, _)| *id)
        .collect();
    let curl = banner
        .lines()
        .find(|line| line.contains("clientToken"))
        .expect("the curl command");
    let cli = banner
        .lines()
        .find(|line| line.contains("imagebuilder cancel-lifecycle-execution"))
        .expect("the CLI command");
    assert!(cli.trim_start().starts_with(".venv/bin/aws "), "{banner}");
    // The CLI's execution id is on the command's second line.
    let curl_id = DEMO_EXECUTIONS
        .iter()
        .map(|(id, _)| *id)
        .find(|id| curl.contains(id))
        .expect("the curl names a demo execution");
    assert!(cancelled.len() >= 2, "{banner}");
    assert!(cancelled.contains(&curl_id), "{banner}");
    let rest_after_cli = &banner[banner.find(cli).unwrap_or(0)..];
    let cli_id = DEMO_EXECUTIONS
        .iter()
        .map(|(id, _)| *id)
        .find(|id| rest_after_cli.contains(id) && *id != curl_id);
    assert!(
        cli_id.is_some_and(|id| cancelled.contains(&id)),
        "the CLI cancels another cancellable execution: {banner}"
    );
}
