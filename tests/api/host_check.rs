//! The local server's Host check (DNS rebinding): only loopback hosts, the listen host and
//! LOCAL_ALLOWED_HOSTS are answered; under Lambda the Host plays no part.

use crate::helpers::process::start_binary;
use crate::helpers::{
    app_with, call, call_event, cancel_body, embedded_status, new_id, put_raw, rest_v1_event,
    ACCOUNT,
};
use cancel_lifecycle_execution::http::host::AllowedHosts;
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::EmbeddedStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PATH: &str = "/CancelLifecycleExecution";

fn seed(app: &App<EmbeddedStore>, owner: &str, status: &str) -> String {
    let id = new_id();
    put_raw(app.store(), &id, owner, status);
    id
}

fn local_app(allowed: &[&str]) -> App<EmbeddedStore> {
    app_with(EmbeddedStore::new())
        .with_allowed_hosts(AllowedHosts::new(allowed.iter().map(|h| (*h).to_owned())))
}

fn cancel_for(
    host: Option<&str>,
    uri: &str,
    id: &str,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut builder = http::Request::builder()
        .method("PUT")
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(host) = host {
        builder = builder.header("host", host);
    }
    builder
        .body(http_body_util::Full::new(bytes::Bytes::from(cancel_body(
            "h", id,
        ))))
        .unwrap()
}

#[tokio::test]
async fn a_request_for_another_host_is_forbidden_and_changes_nothing() {
    let app = local_app(&["127.0.0.1"]);
    let id = seed(&app, ACCOUNT, "PENDING");
    for (host, uri) in [
        (Some("evil.example"), PATH.to_owned()),
        (Some("localhost.evil.example:3000"), PATH.to_owned()),
        (Some("[::1]evil.example"), PATH.to_owned()),
        (Some("127.0.0.1"), format!("http://evil.example{PATH}")),
        (None, PATH.to_owned()),
    ] {
        let answer = call(&app, cancel_for(host, &uri, &id)).await;

        assert_eq!(answer.status, 403, "{host:?} {uri}");
        assert_eq!(
            answer.header("x-amzn-ErrorType"),
            Some("ForbiddenException")
        );
        assert!(answer.header("x-amzn-RequestId").is_some());
        assert_eq!(
            embedded_status(app.store(), &id),
            "PENDING",
            "{host:?} {uri}"
        );
    }
}

#[tokio::test]
async fn loopback_hosts_the_listen_host_and_allowed_hosts_are_answered() {
    for host in [
        "localhost:3000",
        "LOCALHOST",
        "127.0.0.1:3000",
        "127.0.0.9",
        "[::1]:3000",
        "dev.example:8080",
    ] {
        let app = local_app(&["dev.example"]);
        let id = seed(&app, ACCOUNT, "PENDING");

        call(&app, cancel_for(Some(host), PATH, &id))
            .await
            .assert_success(&id);
    }
}

#[tokio::test]
async fn under_lambda_an_event_with_api_gateways_own_host_is_answered() {
    // The Lambda entry point's router has no Host check; an event carries API Gateway's Host.
    let app = App::new(EmbeddedStore::new(), None);
    let id = seed(&app, ACCOUNT, "PENDING");
    let answer = call_event(
        &app,
        &rest_v1_event("PUT", &cancel_body("h", &id), Some(ACCOUNT)),
    )
    .await;
    answer.assert_success(&id);
}

#[tokio::test]
async fn the_binary_refuses_an_absolute_form_target_for_another_host_and_a_request_without_host() {
    let running = start_binary(&[]);
    for head in [
        format!("PUT http://evil.example{PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
        format!("PUT {PATH} HTTP/1.0\r\n"),
        format!("PUT {PATH} HTTP/1.1\r\nHost: rebind.evil.example\r\n"),
        format!("PUT {PATH} HTTP/1.1\r\nHost: [::1]evil.example\r\n"),
    ] {
        let body = cancel_body("h", "lce-00000000-0000-4000-8000-000000000001");
        let mut stream = tokio::net::TcpStream::connect(&running.address)
            .await
            .unwrap();
        let request = format!(
            "{head}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 403") || answer.starts_with("HTTP/1.0 403"),
            "{head}: {answer}"
        );
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("x-amzn-errortype: forbiddenexception"),
            "{answer}"
        );
    }
}
