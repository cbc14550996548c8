//! CloudWatch metrics in Embedded Metric Format on stdout: no SDK call, no added latency.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::summary::{millis, RequestSummary};
use crate::config::Dimension;

/// Where EMF documents go: stdout in production, a buffer in tests.
#[derive(Clone)]
pub enum MetricsSink {
    Stdout,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

/// One EMF document per request.
#[derive(Clone)]
pub struct Metrics {
    namespace: String,
    dimensions: Vec<Dimension>,
    function_version: String,
    sink: MetricsSink,
}

impl Metrics {
    /// `function_version` fills the `FunctionVersion` dimension (`$LATEST` when unknown).
    pub fn new(
        namespace: String,
        dimensions: Vec<Dimension>,
        function_version: Option<String>,
        sink: MetricsSink,
    ) -> Self {
        Self {
            namespace,
            dimensions,
            function_version: function_version.unwrap_or_else(|| "$LATEST".to_owned()),
            sink,
        }
    }

    /// The EMF document for one request.
    pub fn document(&self, summary: &RequestSummary<'_>, timestamp_ms: u128) -> serde_json::Value {
        let names: Vec<&str> = self.dimensions.iter().map(|d| d.name()).collect();
        // Only what an alarm or a dashboard widget reads (BENCHMARKS.md, "Metrics"): each metric
        // under each dimension set is a custom metric, billed for every hour it is published.
        let read = serde_json::json!([
            {"Name": "Requests", "Unit": "Count"},
            {"Name": "Latency", "Unit": "Milliseconds"}
        ]);
        let version = Dimension::FunctionVersion.name();
        // With a version dimension, both metrics go to the set without it (alarms and the
        // dashboard read them across versions), and `Requests` of a server fault (5xx) to the
        // set with it too: the rollback alarm reads only the new version's faults.
        let versioned = names.contains(&version) && names.len() > 1;
        let per_version = versioned && summary.status >= 500;
        let directives = if versioned {
            let across: Vec<&str> = names.iter().copied().filter(|n| *n != version).collect();
            let mut sets = vec![
                serde_json::json!({"Namespace": self.namespace, "Dimensions": [across], "Metrics": read}),
            ];
            if per_version {
                sets.push(
                    serde_json::json!({"Namespace": self.namespace, "Dimensions": [names],
                    "Metrics": [{"Name": "Requests", "Unit": "Count"}]}),
                );
            }
            serde_json::Value::Array(sets)
        } else {
            serde_json::json!([
                {"Namespace": self.namespace, "Dimensions": [names], "Metrics": read}
            ])
        };
        let mut document = serde_json::json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": directives
            },
            "Operation": summary.operation_name(),
            "Outcome": summary.outcome.name(),
            "Requests": 1,
            "Latency": millis(summary.duration),
            "StatusCode": summary.status,
            "request_id": summary.request_id,
        });
        if let Some(lambda) = summary.lambda {
            document["function_request_id"] = lambda.function_request_id.into();
            if let Some(trace) = lambda.xray_trace_id {
                document["xray_trace_id"] = trace.into();
            }
            document["cold_start"] = lambda.cold_start.into();
        }
        if per_version {
            document[version] = self.function_version.as_str().into();
        }
        document
    }

    pub fn emit(&self, summary: &RequestSummary<'_>) {
        let timestamp_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let mut line = self.document(summary, timestamp_ms).to_string();
        line.push('\n');
        match &self.sink {
            // A failed write (closed stdout) must not fail the request.
            MetricsSink::Stdout => {
                let _ = std::io::stdout().lock().write_all(line.as_bytes());
            }
            MetricsSink::Buffer(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    buffer.extend_from_slice(line.as_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::Operation;
    use crate::telemetry::RequestOutcome;

    fn document(dimensions: Vec<Dimension>, status: u16) -> serde_json::Value {
        let metrics = Metrics::new(
            "Ns".to_owned(),
            dimensions,
            Some("7".to_owned()),
            MetricsSink::Stdout,
        );
        let summary = RequestSummary {
            request_id: "r",
            operation: Some(Operation::CancelLifecycleExecution),
            account_id: None,
            lifecycle_execution_id: None,
            client_token_sha256: None,
            resource_arn: None,
            outcome: if status >= 500 {
                RequestOutcome::Failed(crate::error::ErrorKind::Service)
            } else {
                RequestOutcome::Cancelled
            },
            status,
            duration: Duration::from_micros(1500),
            dynamodb_calls: 1,
            cause: None,
            caller_gone: false,
            lambda: None,
        };
        metrics.document(&summary, 0)
    }

    #[test]
    fn only_requests_and_latency_are_published_since_nothing_reads_another_metric() {
        let cancelled = document(Dimension::DEFAULT.to_vec(), 200);
        let directives = &cancelled["_aws"]["CloudWatchMetrics"];
        assert_eq!(directives.as_array().map(Vec::len), Some(1));
        assert_eq!(
            directives[0]["Dimensions"],
            serde_json::json!([["Operation", "Outcome"]])
        );
        assert_eq!(
            directives[0]["Metrics"],
            serde_json::json!([
                {"Name": "Requests", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"}
            ])
        );
        assert_eq!(cancelled["Latency"], 1.5);
        assert!(cancelled.get("DynamoDBCalls").is_none());
        assert!(cancelled.get("FunctionVersion").is_none());
    }

    #[test]
    fn with_a_version_dimension_only_the_requests_of_a_server_fault_are_written_per_version() {
        let dimensions = vec![
            Dimension::Operation,
            Dimension::Outcome,
            Dimension::FunctionVersion,
        ];
        let fault = document(dimensions.clone(), 500);
        let directives = &fault["_aws"]["CloudWatchMetrics"];
        assert_eq!(
            directives[0]["Dimensions"],
            serde_json::json!([["Operation", "Outcome"]])
        );
        assert_eq!(directives[0]["Metrics"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            directives[1]["Dimensions"],
            serde_json::json!([["Operation", "Outcome", "FunctionVersion"]])
        );
        assert_eq!(
            directives[1]["Metrics"],
            serde_json::json!([{"Name": "Requests", "Unit": "Count"}])
        );
        assert_eq!(fault["FunctionVersion"], "7");

        let cancelled = document(dimensions, 200);
        let directives = &cancelled["_aws"]["CloudWatchMetrics"];
        assert_eq!(directives.as_array().map(Vec::len), Some(1));
        assert_eq!(
            directives[0]["Dimensions"],
            serde_json::json!([["Operation", "Outcome"]])
        );
        assert!(cancelled.get("FunctionVersion").is_none());
    }
}
