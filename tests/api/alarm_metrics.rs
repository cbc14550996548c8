//! Every metric that an alarm or a dashboard widget of template.yaml reads is one the EMF
//! document publishes, under the same dimensions: cutting what is published cannot starve a
//! reader.

use std::time::Duration;

use cancel_lifecycle_execution::config::Dimension;
use cancel_lifecycle_execution::domain::Operation;
use cancel_lifecycle_execution::error::ErrorKind;
use cancel_lifecycle_execution::telemetry::{Metrics, MetricsSink, RequestOutcome, RequestSummary};
use serde_json::Value;

const TEMPLATE: &str = include_str!("../../template.yaml");

/// One metric a reader of the template needs: its name, its dimension names, and the
/// operation and outcome it filters on (a dashboard search takes every one).
#[derive(Debug)]
struct Read {
    metric: String,
    dimensions: Vec<String>,
    operation: Option<String>,
    outcome: Option<String>,
}

/// The alarms' metrics in the service's namespace: `MetricName` after `Namespace: !Ref
/// MetricsNamespace`, then its `- Name:` / `Value:` pairs.
fn alarm_reads() -> Vec<Read> {
    let lines: Vec<&str> = TEMPLATE.lines().map(str::trim).collect();
    let mut reads = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != "Namespace: !Ref MetricsNamespace" {
            continue;
        }
        let metric = lines[i + 1]
            .strip_prefix("MetricName: ")
            .expect("a MetricName");
        let mut read = Read {
            metric: metric.to_owned(),
            dimensions: Vec::new(),
            operation: None,
            outcome: None,
        };
        let mut j = i + 3;
        while let Some(name) = lines.get(j).and_then(|l| l.strip_prefix("- Name: ")) {
            let value = lines[j + 1].strip_prefix("Value: ").expect("a Value");
            match name {
                "Operation" => read.operation = Some(value.to_owned()),
                "Outcome" => read.outcome = Some(value.to_owned()),
                _ => {}
            }
            read.dimensions.push(name.to_owned());
            j += 2;
        }
        reads.push(read);
    }
    reads
}

/// The dashboard's searches: `SEARCH('{${MetricsNamespace},A,B} MetricName=\"M\"', ...)`.
fn dashboard_reads() -> Vec<Read> {
    let marker = "{${MetricsNamespace},";
    TEMPLATE
        .match_indices(marker)
        .map(|(at, _)| {
            let rest = &TEMPLATE[at + marker.len()..];
            let dimensions = rest[..rest.find('}').expect("a closing brace")]
                .split(',')
                .map(str::to_owned)
                .collect();
            let name = &rest[rest.find("MetricName=\\\"").expect("a MetricName") + 13..];
            Read {
                metric: name[..name.find('\\').expect("a closing quote")].to_owned(),
                dimensions,
                operation: None,
                outcome: None,
            }
        })
        .collect()
}

fn outcome_named(name: &str) -> (RequestOutcome, u16) {
    match name {
        "Cancelled" => (RequestOutcome::Cancelled, 200),
        "Replayed" => (RequestOutcome::Replayed, 200),
        "Returned" => (RequestOutcome::Returned, 200),
        _ => {
            let kind = ErrorKind::ALL
                .into_iter()
                .find(|kind| kind.name() == name)
                .unwrap_or_else(|| panic!("template.yaml names an unknown outcome {name}"));
            (RequestOutcome::Failed(kind), kind.status().as_u16())
        }
    }
}

/// The EMF document of one request with this operation and outcome, with the template's
/// dimensions (METRICS_DIMENSIONS: Operation,Outcome,FunctionVersion).
fn published(operation: Operation, outcome: &str) -> Value {
    assert!(TEMPLATE.contains("METRICS_DIMENSIONS: Operation,Outcome,FunctionVersion"));
    let metrics = Metrics::new(
        "Ns".to_owned(),
        vec![
            Dimension::Operation,
            Dimension::Outcome,
            Dimension::FunctionVersion,
        ],
        Some("3".to_owned()),
        MetricsSink::Stdout,
    );
    let (outcome, status) = outcome_named(outcome);
    let summary = RequestSummary {
        request_id: "r",
        operation: Some(operation),
        account_id: None,
        lifecycle_execution_id: None,
        client_token_sha256: None,
        resource_arn: None,
        outcome,
        status,
        duration: Duration::from_millis(3),
        dynamodb_calls: 1,
        cause: None,
        caller_gone: false,
        lambda: None,
    };
    metrics.document(&summary, 0)
}

fn publishes(document: &Value, read: &Read) -> bool {
    let directives = document["_aws"]["CloudWatchMetrics"].as_array();
    directives.into_iter().flatten().any(|directive| {
        let dimensions = directive["Dimensions"].as_array();
        let metrics = directive["Metrics"].as_array();
        dimensions.into_iter().flatten().any(|set| {
            let mut names: Vec<&str> = set
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut wanted: Vec<&str> = read.dimensions.iter().map(String::as_str).collect();
            names.sort_unstable();
            wanted.sort_unstable();
            names == wanted
        }) && metrics
            .into_iter()
            .flatten()
            .any(|metric| metric["Name"] == read.metric.as_str())
    }) && document.get(&read.metric).is_some()
}

#[test]
fn every_metric_an_alarm_reads_is_published_under_its_dimensions() {
    let reads = alarm_reads();
    assert!(reads.len() >= 10, "found only {reads:?} in template.yaml");
    for read in &reads {
        let operation = Operation::ALL
            .into_iter()
            .find(|op| Some(op.name()) == read.operation.as_deref())
            .unwrap_or_else(|| panic!("{read:?} names no operation of the service"));
        let outcome = read
            .outcome
            .as_deref()
            .expect("every alarm filters on an outcome");
        let document = published(operation, outcome);
        assert!(
            publishes(&document, read),
            "an alarm reads {read:?}, which this document does not publish: {document}"
        );
    }
}

#[test]
fn every_metric_a_dashboard_widget_reads_is_published_for_every_outcome() {
    let reads = dashboard_reads();
    assert!(reads.len() >= 3, "found only {reads:?} in template.yaml");
    for read in &reads {
        for (operation, outcome) in [
            (Operation::CancelLifecycleExecution, "Cancelled"),
            (Operation::CancelLifecycleExecution, "ClientException"),
            (Operation::GetLifecycleExecution, "Returned"),
            (Operation::GetLifecycleExecution, "ServiceException"),
        ] {
            let document = published(operation, outcome);
            assert!(
                publishes(&document, read),
                "a widget reads {read:?}, which a {outcome} document does not publish: {document}"
            );
        }
    }
}
