//! GetLifecycleExecution: where an execution is now, as Image Builder's model shows it.

use crate::model::{AccountId, LifecycleExecutionId};

/// A validated get request from one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRequest {
    pub account_id: AccountId,
    pub lifecycle_execution_id: LifecycleExecutionId,
}

/// An execution item as stored, with the attributes the answer shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionItem {
    pub account_id: String,
    pub status: Option<String>,
    pub status_reason: Option<String>,
    pub lifecycle_policy_arn: Option<String>,
    pub start_time_epoch_secs: Option<f64>,
    pub end_time_epoch_secs: Option<f64>,
}

/// The answer to `request`, or `None` when the caller may not see it: a missing execution and
/// another account's read the same (API-CONTRACT §4).
pub fn answer(request: &GetRequest, item: Option<&ExecutionItem>) -> Option<String> {
    let item = item.filter(|i| i.account_id == request.account_id.as_str())?;
    let mut execution = serde_json::Map::new();
    execution.insert(
        "lifecycleExecutionId".to_owned(),
        request.lifecycle_execution_id.as_str().into(),
    );
    if let Some(arn) = &item.lifecycle_policy_arn {
        execution.insert("lifecyclePolicyArn".to_owned(), arn.as_str().into());
    }
    let mut state = serde_json::Map::new();
    if let Some(status) = &item.status {
        state.insert("status".to_owned(), status.as_str().into());
    }
    if let Some(reason) = &item.status_reason {
        state.insert("reason".to_owned(), reason.as_str().into());
    }
    if !state.is_empty() {
        execution.insert("state".to_owned(), state.into());
    }
    for (name, time) in [
        ("startTime", item.start_time_epoch_secs),
        ("endTime", item.end_time_epoch_secs),
    ] {
        if let Some(secs) = time.and_then(epoch_seconds) {
            execution.insert(name.to_owned(), secs);
        }
    }
    Some(serde_json::json!({ "lifecycleExecution": execution }).to_string())
}

/// Epoch seconds as a JSON number: whole seconds print without a fraction.
fn epoch_seconds(secs: f64) -> Option<serde_json::Value> {
    if !secs.is_finite() {
        return None;
    }
    if secs.fract() == 0.0 && secs.abs() < 1e15 {
        Some((secs as i64).into())
    } else {
        serde_json::Number::from_f64(secs).map(Into::into)
    }
}

/// A timestamp attribute the engine wrote: epoch seconds, or an RFC 3339 string.
pub fn parse_timestamp(epoch_or_rfc3339: &str) -> Option<f64> {
    use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
    epoch_or_rfc3339.parse::<f64>().ok().or_else(|| {
        DateTime::from_str(epoch_or_rfc3339, DateTimeFormat::DateTime)
            .ok()
            .map(|t| t.as_secs_f64())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";

    fn request(account: &str) -> GetRequest {
        GetRequest {
            account_id: AccountId::try_from(account.to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
    }

    fn item() -> ExecutionItem {
        ExecutionItem {
            account_id: "111122223333".to_owned(),
            status: Some("CANCELLING".to_owned()),
            status_reason: Some("Cancellation requested by CancelLifecycleExecution.".to_owned()),
            lifecycle_policy_arn: Some(
                "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p".to_owned(),
            ),
            start_time_epoch_secs: Some(1_700_000_000.0),
            end_time_epoch_secs: Some(1_700_000_123.5),
        }
    }

    #[test]
    fn the_answer_has_the_models_members_and_epoch_second_timestamps() {
        let body = answer(&request("111122223333"), Some(&item())).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({ "lifecycleExecution": {
                "lifecycleExecutionId": ID,
                "lifecyclePolicyArn": "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p",
                "state": { "status": "CANCELLING", "reason": "Cancellation requested by CancelLifecycleExecution." },
                "startTime": 1_700_000_000,
                "endTime": 1_700_000_123.5
            }})
        );
    }

    #[test]
    fn members_the_item_lacks_are_absent() {
        let bare = ExecutionItem {
            account_id: "111122223333".to_owned(),
            status: Some("PENDING".to_owned()),
            status_reason: None,
            lifecycle_policy_arn: None,
            start_time_epoch_secs: None,
            end_time_epoch_secs: None,
        };
        assert_eq!(
            answer(&request("111122223333"), Some(&bare)).unwrap(),
            format!(
                r#"{{"lifecycleExecution":{{"lifecycleExecutionId":"{ID}","state":{{"status":"PENDING"}}}}}}"#
            )
        );
    }

    #[test]
    fn another_accounts_execution_reads_as_missing() {
        assert_eq!(answer(&request("444455556666"), Some(&item())), None);
        assert_eq!(answer(&request("111122223333"), None), None);
    }

    #[test]
    fn timestamps_are_read_from_epoch_seconds_or_rfc3339() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000.0));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20Z"),
            Some(1_700_000_000.0)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
