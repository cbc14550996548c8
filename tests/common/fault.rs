//! The fault DynamoDB endpoint (scripts/fault_dynamodb.py) in front of moto, and a service
//! on the local server in front of either.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::local;
use cancel_lifecycle_execution::store::CancelStore;

/// A running fault endpoint; killed when dropped.
pub struct FaultyDynamoDb {
    child: Child,
    pub endpoint: String,
}

impl FaultyDynamoDb {
    /// Forwards to moto until told otherwise.
    pub fn start() -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fault_dynamodb.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .args(["--upstream", &super::moto_endpoint()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} with python3: {e}", script.display()));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the fault endpoint prints its address");
        let endpoint = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, endpoint }
    }

    /// Switches the mode: "none" forwards, "silent" never answers, else a DynamoDB error.
    pub async fn set(&self, mode: &str) {
        let address = self.endpoint.trim_start_matches("http://");
        let answer = super::http_exchange(address, "PUT", "/__fault__", mode.as_bytes()).await;
        assert_eq!(answer.status, 204, "setting fault mode {mode}: {answer:?}");
    }
}

impl Drop for FaultyDynamoDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `app` on a free loopback port for the rest of the test; returns its base URL.
pub async fn serve<S: CancelStore>(app: App<S>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(local::serve(
        Arc::new(app),
        listener,
        std::future::pending(),
    ));
    url
}
