//! GetLifecycleExecution: where an execution is now, as Image Builder's model shows it.

use serde::Serialize;
use serde_json::Number;

use super::execution::{Execution, LAST_PLAUSIBLE_EPOCH_SECS};
use super::ids::{AccountId, LifecycleExecutionId};

/// A validated get request from one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRequest {
    pub account_id: AccountId,
    pub lifecycle_execution_id: LifecycleExecutionId,
}

/// GetLifecycleExecution's answer, as Image Builder's model names its members.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GetResponse<'a> {
    lifecycle_execution: ExecutionView<'a>,
}

/// One execution as Image Builder's model shows it: the one renderer of GetLifecycleExecution
/// and of each execution ListLifecycleExecutions lists.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExecutionView<'a> {
    lifecycle_execution_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle_policy_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources_impacted_summary: Option<ImpactedView>,
    #[serde(skip_serializing_if = "StateView::is_empty")]
    state: StateView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<Number>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImpactedView {
    has_impacted_resources: bool,
}

#[derive(Debug, Serialize)]
struct StateView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl StateView<'_> {
    fn is_empty(&self) -> bool {
        self.status.is_none() && self.reason.is_none()
    }
}

impl<'a> ExecutionView<'a> {
    /// The item `id` as found: a status that is missing or not a string leaves `state.status`
    /// out, a time that is no plausible instant is left out (and logged as damaged data).
    pub(crate) fn of(id: &'a str, item: &'a Execution) -> Self {
        Self {
            lifecycle_execution_id: id,
            lifecycle_policy_arn: item.lifecycle_policy_arn.as_deref(),
            resources_impacted_summary: item.has_impacted_resources.map(|has_impacted_resources| {
                ImpactedView {
                    has_impacted_resources,
                }
            }),
            state: StateView {
                status: item.status.as_ref().and_then(|s| s.shown()),
                reason: item.status_reason.as_deref(),
            },
            start_time: item
                .start_time_epoch_secs
                .and_then(|secs| plausible_instant("startTime", secs)),
            end_time: item
                .end_time_epoch_secs
                .and_then(|secs| plausible_instant("endTime", secs)),
        }
    }

    /// The same execution without its state: for the one item a page cannot hold whole.
    pub(crate) fn without_state(self) -> Self {
        Self {
            state: StateView {
                status: None,
                reason: None,
            },
            ..self
        }
    }
}

/// The body answering `request`, or `None` when the caller may not see it: a missing execution
/// and another account's read the same. The caller's own item is shown as it is.
pub fn view(request: &GetRequest, item: Option<&Execution>) -> Option<String> {
    let item = item.filter(|i| i.is_owned_by(&request.account_id))?;
    let response = GetResponse {
        lifecycle_execution: ExecutionView::of(request.lifecycle_execution_id.as_str(), item),
    };
    // Only strings, numbers and booleans: serializing cannot fail.
    serde_json::to_string(&response).ok()
}

/// Epoch seconds as a JSON number, or `None` (logged as damaged data) for a value that is no
/// plausible instant: negative, past 9999-12-31, or epoch milliseconds mistaken for seconds
/// (which lands past that year). An SDK that cannot parse a member fails the whole answer.
fn plausible_instant(member: &'static str, secs: f64) -> Option<Number> {
    if !(0.0..=LAST_PLAUSIBLE_EPOCH_SECS as f64).contains(&secs) {
        tracing::warn!(
            member,
            value = secs,
            "damaged data: a timestamp that is no plausible instant, left out"
        );
        return None;
    }
    epoch_seconds(secs)
}

/// Epoch seconds as a JSON number: whole seconds print without a fraction.
fn epoch_seconds(secs: f64) -> Option<Number> {
    if !secs.is_finite() {
        return None;
    }
    if secs.fract() == 0.0 && secs.abs() < 1e15 {
        Some((secs as i64).into())
    } else {
        Number::from_f64(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::execution::{ExecutionStatus, StoredStatus};

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";

    fn request(account: &str) -> GetRequest {
        GetRequest {
            account_id: AccountId::try_from(account.to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
    }

    fn owner() -> AccountId {
        AccountId::try_from("111122223333".to_owned()).unwrap()
    }

    fn item() -> Execution {
        Execution {
            owner: Some(owner()),
            status: Some(StoredStatus::Known(ExecutionStatus::Cancelling)),
            status_reason: Some("Cancellation requested by CancelLifecycleExecution.".to_owned()),
            lifecycle_policy_arn: Some(
                "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p".to_owned(),
            ),
            start_time_epoch_secs: Some(1_700_000_000.0),
            end_time_epoch_secs: Some(1_700_000_123.5),
            cancel_requested_at: None,
            has_impacted_resources: Some(false),
        }
    }

    #[test]
    fn the_answer_has_the_models_members_and_epoch_second_timestamps() {
        let body = view(&request("111122223333"), Some(&item())).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({ "lifecycleExecution": {
                "lifecycleExecutionId": ID,
                "lifecyclePolicyArn": "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p",
                "resourcesImpactedSummary": { "hasImpactedResources": false },
                "state": { "status": "CANCELLING", "reason": "Cancellation requested by CancelLifecycleExecution." },
                "startTime": 1_700_000_000,
                "endTime": 1_700_000_123.5
            }})
        );
        assert!(body.contains(r#""lifecyclePolicyArn":"arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p","resourcesImpactedSummary""#),
            "the model's member order: {body}");
    }

    #[test]
    fn members_the_item_lacks_are_absent() {
        let bare = Execution::new(owner(), ExecutionStatus::Pending);
        assert_eq!(
            view(&request("111122223333"), Some(&bare)).unwrap(),
            format!(
                r#"{{"lifecycleExecution":{{"lifecycleExecutionId":"{ID}","state":{{"status":"PENDING"}}}}}}"#
            )
        );
    }

    #[test]
    fn the_callers_own_damaged_item_is_shown_as_it_is() {
        let shown = |status: Option<StoredStatus>| {
            let item = Execution {
                owner: Some(owner()),
                status,
                ..Execution::default()
            };
            view(&request("111122223333"), Some(&item)).unwrap()
        };
        let bare = format!(r#"{{"lifecycleExecution":{{"lifecycleExecutionId":"{ID}"}}}}"#);
        assert_eq!(shown(None), bare);
        assert_eq!(shown(Some(StoredStatus::NotAString)), bare);
        assert_eq!(
            shown(Some(StoredStatus::Unknown("PAUSED".to_owned()))),
            format!(
                r#"{{"lifecycleExecution":{{"lifecycleExecutionId":"{ID}","state":{{"status":"PAUSED"}}}}}}"#
            )
        );
    }

    #[test]
    fn another_accounts_execution_reads_as_missing() {
        assert_eq!(view(&request("444455556666"), Some(&item())), None);
        assert_eq!(view(&request("111122223333"), None), None);
        assert_eq!(
            view(&request("111122223333"), Some(&Execution::default())),
            None
        );
    }

    #[test]
    fn timestamps_that_are_no_plausible_instant_are_left_out() {
        for secs in [
            1_764_460_800_000.0,
            1e125,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            253_402_300_800.0,
        ] {
            let item = Execution {
                start_time_epoch_secs: Some(secs),
                end_time_epoch_secs: Some(1_700_000_000.0),
                ..item()
            };
            let body = view(&request("111122223333"), Some(&item)).unwrap();
            let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                shown["lifecycleExecution"].get("startTime").is_none(),
                "{secs}: {body}"
            );
            assert_eq!(
                shown["lifecycleExecution"]["endTime"], 1_700_000_000,
                "{secs}"
            );
        }
        let last = Execution {
            start_time_epoch_secs: Some(LAST_PLAUSIBLE_EPOCH_SECS as f64),
            ..item()
        };
        let body = view(&request("111122223333"), Some(&last)).unwrap();
        assert!(body.contains(r#""startTime":253402300799"#), "{body}");
    }
}
