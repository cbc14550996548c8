//! The fault DynamoDB endpoint (scripts/fault_dynamodb.py) in front of moto.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

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
        let answer = super::send(&self.endpoint, "PUT", "/__fault__", mode).await;
        assert_eq!(answer.status, 204, "setting fault mode {mode}: {answer:?}");
    }
}

impl Drop for FaultyDynamoDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
