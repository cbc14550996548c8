//! The cancel operation: the request plans its one write, and one pure decision turns what a
//! store found into an outcome. Both stores use both; neither keeps a rule of its own.

use super::execution::{
    rfc3339_utc, Execution, ExecutionStatus, StatusChange, StoredStatus, LAST_PLAUSIBLE_EPOCH_SECS,
};
use super::ids::{AccountId, ClientToken, LifecycleExecutionId};

/// The reason written to `statusReason` on cancel.
pub const CANCEL_STATUS_REASON: &str = "Cancellation requested by CancelLifecycleExecution.";

/// A validated cancel request from one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRequest {
    pub account_id: AccountId,
    pub client_token: ClientToken,
    pub lifecycle_execution_id: LifecycleExecutionId,
}

impl CancelRequest {
    /// The idempotency key: tokens of different accounts never collide.
    pub fn idempotency_key(&self) -> String {
        format!(
            "CancelLifecycleExecution#{}#{}",
            self.account_id.as_str(),
            self.client_token.as_str()
        )
    }

    /// The exact success body, stored with the token and replayed byte for byte.
    pub fn success_body(&self) -> String {
        serde_json::json!({ "lifecycleExecutionId": self.lifecycle_execution_id.as_str() })
            .to_string()
    }

    /// The write a successful cancel makes at `now`: the token record and the status change,
    /// always together.
    pub fn plan(&self, now_epoch_secs: i64, ttl_secs: i64) -> CancelPlan {
        CancelPlan {
            request: self.clone(),
            now_epoch_secs,
            expires_at_epoch_secs: now_epoch_secs.saturating_add(ttl_secs),
            response_body: self.success_body(),
            change: StatusChange {
                owner: self.account_id.clone(),
                from: ExecutionStatus::CANCELLABLE,
                to: ExecutionStatus::Cancelling,
                reason: CANCEL_STATUS_REASON,
                requested_at: rfc3339_utc(now_epoch_secs),
            },
        }
    }
}

/// An idempotency record as a store holds it, damaged or foreign data included; a plan writes
/// one with every member set ([`CancelPlan::token_record`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenRecord {
    /// `None` when missing or not a string: such a record counts as absent.
    pub lifecycle_execution_id: Option<String>,
    /// `None` when missing or not a string: a live record still decides, and a replay answers
    /// the canonical body.
    pub response_body: Option<String>,
    /// `None` when not a number, or past [`LAST_PLAUSIBLE_EPOCH_SECS`]: counts as expired.
    pub expires_at_epoch_secs: Option<i64>,
}

impl TokenRecord {
    /// The one liveness rule: a record decides the request when it names an execution and has
    /// not expired. DynamoDB deletes expired items late, so a record past its expiry counts as
    /// absent, and so does one whose expiry cannot be read; the DynamoDB condition counts the
    /// same records as absent.
    pub fn decides(&self, now_epoch_secs: i64) -> bool {
        self.lifecycle_execution_id.is_some()
            && self
                .expires_at_epoch_secs
                .is_some_and(|expires| expires >= now_epoch_secs)
    }

    /// `expiresAt` as found: whole seconds, or `None` for a value past the last plausible
    /// instant (damaged data, counted as expired).
    pub fn expiry_from_epoch_secs(secs: f64) -> Option<i64> {
        (secs.is_finite() && secs <= LAST_PLAUSIBLE_EPOCH_SECS as f64).then(|| secs.floor() as i64)
    }
}

/// A cancel's one write, planned from the request, the time and the token TTL: the token record
/// (written at `now_epoch_secs`, under [`CancelRequest::idempotency_key`]) and the status
/// change, always together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelPlan {
    pub request: CancelRequest,
    pub now_epoch_secs: i64,
    /// When the token record expires.
    pub expires_at_epoch_secs: i64,
    /// The exact success body, stored with the token and replayed byte for byte.
    pub response_body: String,
    pub change: StatusChange,
}

impl CancelPlan {
    pub fn idempotency_key(&self) -> String {
        self.request.idempotency_key()
    }

    /// The raw client token: for redacting it, never for logging it.
    pub fn client_token(&self) -> &str {
        self.request.client_token.as_str()
    }

    pub fn lifecycle_execution_id(&self) -> &LifecycleExecutionId {
        &self.request.lifecycle_execution_id
    }

    /// The record this plan stores.
    pub fn token_record(&self) -> TokenRecord {
        TokenRecord {
            lifecycle_execution_id: Some(self.lifecycle_execution_id().as_str().to_owned()),
            response_body: Some(self.response_body.clone()),
            expires_at_epoch_secs: Some(self.expires_at_epoch_secs),
        }
    }

    /// The decision of docs/API.md ("Idempotency", "Identity"): the token decides first and
    /// alone, ownership second, the status last. [`Outcome::Cancelled`] means "apply this plan".
    pub fn decide(
        &self,
        token: Option<&TokenRecord>,
        execution: Option<&Execution>,
    ) -> Result<Outcome, CorruptExecution> {
        if let Some(token) = token.filter(|t| t.decides(self.now_epoch_secs)) {
            let same_id = token.lifecycle_execution_id.as_deref()
                == Some(self.lifecycle_execution_id().as_str());
            return Ok(if same_id {
                Outcome::Replayed {
                    // A record without its body replays the body this id always gets.
                    response_body: token
                        .response_body
                        .clone()
                        .unwrap_or_else(|| self.response_body.clone()),
                }
            } else {
                Outcome::Refused(Refusal::ParameterMismatch)
            });
        }
        // Another account's item reads as missing, whatever else it holds.
        let Some(execution) = execution.filter(|e| e.is_owned_by(&self.change.owner)) else {
            return Ok(Outcome::Refused(Refusal::NotFound));
        };
        match &execution.status {
            Some(StoredStatus::Known(status)) if self.change.from.contains(status) => {
                Ok(Outcome::Cancelled {
                    response_body: self.response_body.clone(),
                })
            }
            Some(StoredStatus::Known(ExecutionStatus::Cancelling)) => {
                Ok(Outcome::Refused(Refusal::InUse))
            }
            Some(StoredStatus::Known(status)) => Ok(Outcome::Refused(Refusal::Terminal(*status))),
            Some(damaged) => Err(CorruptExecution(format!(
                "execution {} has {damaged}",
                self.lifecycle_execution_id()
            ))),
            None => Err(CorruptExecution(format!(
                "execution {} has no status",
                self.lifecycle_execution_id()
            ))),
        }
    }
}

/// What a cancel came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The token was recorded and the execution moved to `CANCELLING`, in one step.
    Cancelled { response_body: String },
    /// The token was used before for this execution; nothing was written.
    Replayed { response_body: String },
    /// A documented refusal; nothing was written.
    Refused(Refusal),
}

/// Why a well-formed request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The token was used (unexpired) with another lifecycle execution id.
    ParameterMismatch,
    /// No execution with that id in the caller's account (missing or another account's).
    NotFound,
    /// The execution is already `CANCELLING`.
    InUse,
    /// The execution has finished with this status.
    Terminal(ExecutionStatus),
}

/// The caller's own execution item breaks the schema; the cause goes to the log only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("corrupt data: {0}")]
pub struct CorruptExecution(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";
    const OTHER_ID: &str = "lce-aaaaaaaa-2222-3333-4444-555555555555";
    const ACCOUNT: &str = "111122223333";
    const NOW: i64 = 1_800_000_000;

    fn account(value: &str) -> AccountId {
        AccountId::try_from(value.to_owned()).unwrap()
    }

    fn plan() -> CancelPlan {
        CancelRequest {
            account_id: account(ACCOUNT),
            client_token: ClientToken::try_from("token".to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
        .plan(NOW, 86_400)
    }

    fn token(for_id: &str, expires_at_epoch_secs: Option<i64>) -> TokenRecord {
        TokenRecord {
            lifecycle_execution_id: Some(for_id.to_owned()),
            response_body: Some(format!(r#"{{"lifecycleExecutionId":"{for_id}"}}"#)),
            expires_at_epoch_secs,
        }
    }

    fn execution(owner: &str, status: Option<StoredStatus>) -> Execution {
        Execution {
            owner: Some(account(owner)),
            status,
            ..Execution::default()
        }
    }

    fn known(owner: &str, status: ExecutionStatus) -> Execution {
        Execution::new(account(owner), status)
    }

    fn damaged_statuses() -> [Option<StoredStatus>; 3] {
        [
            None,
            Some(StoredStatus::NotAString),
            Some(StoredStatus::Unknown("DELETED".to_owned())),
        ]
    }

    #[test]
    fn the_plan_holds_the_token_record_and_the_status_change_together() {
        let plan = plan();
        assert_eq!(
            plan.idempotency_key(),
            "CancelLifecycleExecution#111122223333#token"
        );
        assert_eq!(
            plan.token_record(),
            token(ID, Some(NOW + 86_400)),
            "the record stores the exact success body"
        );
        assert_eq!(plan.change.to, ExecutionStatus::Cancelling);
        assert_eq!(plan.change.from, ExecutionStatus::CANCELLABLE);
        assert_eq!(plan.change.requested_at, "2027-01-15T08:00:00Z");
        assert_eq!(plan.change.reason, CANCEL_STATUS_REASON);
    }

    #[test]
    fn a_pending_or_in_progress_execution_without_a_token_is_cancelled() {
        for status in ExecutionStatus::CANCELLABLE {
            assert_eq!(
                plan().decide(None, Some(&known(ACCOUNT, status))),
                Ok(Outcome::Cancelled {
                    response_body: plan().response_body
                })
            );
        }
    }

    #[test]
    fn a_live_token_for_the_same_id_replays_whatever_the_execution_is_now() {
        let stored = token(ID, Some(NOW));
        let mut found: Vec<Option<Execution>> = vec![
            None,
            Some(known(ACCOUNT, ExecutionStatus::Cancelled)),
            Some(known("999999999999", ExecutionStatus::Pending)),
        ];
        found.extend(damaged_statuses().map(|s| Some(execution(ACCOUNT, s))));
        for execution in found {
            assert_eq!(
                plan().decide(Some(&stored), execution.as_ref()),
                Ok(Outcome::Replayed {
                    response_body: format!(r#"{{"lifecycleExecutionId":"{ID}"}}"#)
                }),
                "{execution:?}"
            );
        }
    }

    #[test]
    fn a_live_token_for_another_id_is_a_mismatch_whatever_the_execution_is_now() {
        let stored = token(OTHER_ID, Some(NOW + 10));
        let mut found = vec![None, Some(known(ACCOUNT, ExecutionStatus::Pending))];
        found.extend(damaged_statuses().map(|s| Some(execution(ACCOUNT, s))));
        for execution in found {
            assert_eq!(
                plan().decide(Some(&stored), execution.as_ref()),
                Ok(Outcome::Refused(Refusal::ParameterMismatch)),
                "{execution:?}"
            );
        }
    }

    #[test]
    fn an_expired_token_or_one_whose_expiry_cannot_be_read_counts_as_absent() {
        let found = known(ACCOUNT, ExecutionStatus::InProgress);
        for stored in [token(OTHER_ID, Some(NOW - 1)), token(OTHER_ID, None)] {
            assert!(matches!(
                plan().decide(Some(&stored), Some(&found)),
                Ok(Outcome::Cancelled { .. })
            ));
        }
    }

    #[test]
    fn a_missing_execution_and_another_accounts_execution_give_the_same_refusal() {
        assert_eq!(
            plan().decide(None, None),
            Ok(Outcome::Refused(Refusal::NotFound))
        );
        assert_eq!(
            plan().decide(None, Some(&known("999999999999", ExecutionStatus::Pending))),
            Ok(Outcome::Refused(Refusal::NotFound))
        );
    }

    #[test]
    fn another_accounts_damaged_item_reads_as_missing() {
        for status in damaged_statuses() {
            let foreign = execution("999999999999", status);
            assert_eq!(
                plan().decide(None, Some(&foreign)),
                Ok(Outcome::Refused(Refusal::NotFound))
            );
        }
        let ownerless = Execution::default();
        assert_eq!(
            plan().decide(None, Some(&ownerless)),
            Ok(Outcome::Refused(Refusal::NotFound))
        );
    }

    #[test]
    fn a_cancelling_execution_is_in_use() {
        assert_eq!(
            plan().decide(None, Some(&known(ACCOUNT, ExecutionStatus::Cancelling))),
            Ok(Outcome::Refused(Refusal::InUse))
        );
    }

    #[test]
    fn a_finished_execution_is_refused_with_its_status() {
        for status in ExecutionStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            assert_eq!(
                plan().decide(None, Some(&known(ACCOUNT, status))),
                Ok(Outcome::Refused(Refusal::Terminal(status)))
            );
        }
    }

    #[test]
    fn the_callers_own_item_with_a_missing_or_unknown_status_is_corrupt_data() {
        for status in damaged_statuses() {
            let own = execution(ACCOUNT, status.clone());
            assert!(
                matches!(plan().decide(None, Some(&own)), Err(CorruptExecution(cause)) if cause.contains(ID)),
                "{status:?}"
            );
        }
    }

    #[test]
    fn applying_the_change_moves_the_execution_to_cancelling_with_reason_and_time() {
        let mut found = known(ACCOUNT, ExecutionStatus::Pending);
        found.apply(&plan().change);
        assert_eq!(
            found.status,
            Some(StoredStatus::Known(ExecutionStatus::Cancelling))
        );
        assert_eq!(found.status_reason.as_deref(), Some(CANCEL_STATUS_REASON));
        assert_eq!(
            found.cancel_requested_at.as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
    }

    fn damaged(id: Option<&str>, body: Option<&str>) -> TokenRecord {
        TokenRecord {
            lifecycle_execution_id: id.map(str::to_owned),
            response_body: body.map(str::to_owned),
            expires_at_epoch_secs: Some(plan().now_epoch_secs + 60),
        }
    }

    #[test]
    fn a_live_record_without_its_body_replays_the_canonical_body_for_the_same_id() {
        let outcome = plan().decide(Some(&damaged(Some(ID), None)), None);
        assert_eq!(
            outcome,
            Ok(Outcome::Replayed {
                response_body: format!(r#"{{"lifecycleExecutionId":"{ID}"}}"#)
            })
        );
    }

    #[test]
    fn a_live_record_without_its_body_is_a_mismatch_for_another_id() {
        let other = "lce-99999999-2222-3333-4444-555555555555";
        let outcome = plan().decide(Some(&damaged(Some(other), None)), None);
        assert_eq!(outcome, Ok(Outcome::Refused(Refusal::ParameterMismatch)));
    }

    #[test]
    fn a_record_without_an_execution_id_counts_as_absent() {
        let own = known(ACCOUNT, ExecutionStatus::Pending);
        let outcome = plan().decide(Some(&damaged(None, Some("{}"))), Some(&own));
        assert!(
            matches!(outcome, Ok(Outcome::Cancelled { .. })),
            "{outcome:?}"
        );
    }
}
