//! The operation's one decision: from what the store found to what the caller gets.
//!
//! Both store adapters call [`decide`]: the embedded store before it writes, the DynamoDB
//! store after a conditional transaction failed and returned the old items.

use crate::model::{CancelRequest, ExecutionStatus};

/// A stored idempotency record, as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub lifecycle_execution_id: String,
    pub response_body: String,
    pub expires_at_epoch_secs: i64,
}

impl TokenRecord {
    /// DynamoDB deletes expired items late: a record past its expiry counts as absent.
    /// The same rule as the DynamoDB condition `attribute_not_exists(..) OR expiresAt < :now`.
    pub fn is_live(&self, now_epoch_secs: i64) -> bool {
        self.expires_at_epoch_secs >= now_epoch_secs
    }
}

/// The two attributes of an execution item that the decision reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionRecord {
    pub account_id: String,
    pub status: String,
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

/// What to do with a request, given what the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every condition holds: store the token and move the execution to `CANCELLING`.
    Cancel,
    /// The token was used before for this very execution: answer with the stored body.
    Replay {
        response_body: String,
    },
    Refuse(Refusal),
    /// The stored data breaks the schema (an unknown status); a 500 with the cause logged.
    Corrupt(String),
}

/// The pure step of API-CONTRACT §3: the token is checked first, on every path, so a replay
/// or a mismatch never depends on where the execution is now.
pub fn decide(
    request: &CancelRequest,
    token: Option<&TokenRecord>,
    execution: Option<&ExecutionRecord>,
    now_epoch_secs: i64,
) -> Decision {
    if let Some(token) = token.filter(|t| t.is_live(now_epoch_secs)) {
        return if token.lifecycle_execution_id == request.lifecycle_execution_id.as_str() {
            Decision::Replay {
                response_body: token.response_body.clone(),
            }
        } else {
            Decision::Refuse(Refusal::ParameterMismatch)
        };
    }
    let Some(execution) = execution.filter(|e| e.account_id == request.account_id.as_str()) else {
        return Decision::Refuse(Refusal::NotFound);
    };
    match execution.status.parse::<ExecutionStatus>() {
        Ok(status) if status.is_cancellable() => Decision::Cancel,
        Ok(ExecutionStatus::Cancelling) => Decision::Refuse(Refusal::InUse),
        Ok(status) => Decision::Refuse(Refusal::Terminal(status)),
        Err(unknown) => Decision::Corrupt(format!(
            "execution {} has {unknown}",
            request.lifecycle_execution_id
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, ClientToken, LifecycleExecutionId};

    const ID: &str = "lce-11111111-2222-3333-4444-555555555555";
    const OTHER_ID: &str = "lce-aaaaaaaa-2222-3333-4444-555555555555";
    const ACCOUNT: &str = "111122223333";
    const NOW: i64 = 1_800_000_000;

    fn request() -> CancelRequest {
        CancelRequest {
            account_id: AccountId::try_from(ACCOUNT.to_owned()).unwrap(),
            client_token: ClientToken::try_from("token".to_owned()).unwrap(),
            lifecycle_execution_id: LifecycleExecutionId::try_from(ID.to_owned()).unwrap(),
        }
    }

    fn token(for_id: &str, expires_at_epoch_secs: i64) -> TokenRecord {
        TokenRecord {
            lifecycle_execution_id: for_id.to_owned(),
            response_body: format!(r#"{{"lifecycleExecutionId":"{for_id}"}}"#),
            expires_at_epoch_secs,
        }
    }

    fn execution(account_id: &str, status: &str) -> ExecutionRecord {
        ExecutionRecord {
            account_id: account_id.to_owned(),
            status: status.to_owned(),
        }
    }

    #[test]
    fn a_pending_or_in_progress_execution_without_a_token_is_cancelled() {
        for status in ["PENDING", "IN_PROGRESS"] {
            let found = execution(ACCOUNT, status);
            assert_eq!(
                decide(&request(), None, Some(&found), NOW),
                Decision::Cancel
            );
        }
    }

    #[test]
    fn a_live_token_for_the_same_id_replays_the_stored_body_whatever_the_execution_is_now() {
        let stored = token(ID, NOW);
        for found in [
            None,
            Some(execution(ACCOUNT, "CANCELLED")),
            Some(execution(ACCOUNT, "CANCELLING")),
        ] {
            assert_eq!(
                decide(&request(), Some(&stored), found.as_ref(), NOW),
                Decision::Replay {
                    response_body: stored.response_body.clone()
                }
            );
        }
    }

    #[test]
    fn a_live_token_for_another_id_is_a_mismatch_even_when_the_execution_is_cancellable() {
        let stored = token(OTHER_ID, NOW + 10);
        let found = execution(ACCOUNT, "PENDING");
        assert_eq!(
            decide(&request(), Some(&stored), Some(&found), NOW),
            Decision::Refuse(Refusal::ParameterMismatch)
        );
    }

    #[test]
    fn an_expired_token_counts_as_absent() {
        let stored = token(OTHER_ID, NOW - 1);
        let found = execution(ACCOUNT, "IN_PROGRESS");
        assert_eq!(
            decide(&request(), Some(&stored), Some(&found), NOW),
            Decision::Cancel
        );
    }

    #[test]
    fn a_missing_execution_and_another_accounts_execution_give_the_same_refusal() {
        let foreign = execution("999999999999", "PENDING");
        assert_eq!(
            decide(&request(), None, None, NOW),
            Decision::Refuse(Refusal::NotFound)
        );
        assert_eq!(
            decide(&request(), None, Some(&foreign), NOW),
            Decision::Refuse(Refusal::NotFound)
        );
    }

    #[test]
    fn a_cancelling_execution_is_in_use() {
        let found = execution(ACCOUNT, "CANCELLING");
        assert_eq!(
            decide(&request(), None, Some(&found), NOW),
            Decision::Refuse(Refusal::InUse)
        );
    }

    #[test]
    fn a_finished_execution_is_refused_with_its_status() {
        for status in [
            ExecutionStatus::Cancelled,
            ExecutionStatus::Success,
            ExecutionStatus::Failed,
        ] {
            let found = execution(ACCOUNT, status.as_str());
            assert_eq!(
                decide(&request(), None, Some(&found), NOW),
                Decision::Refuse(Refusal::Terminal(status))
            );
        }
    }

    #[test]
    fn an_unknown_status_is_corrupt_data_not_a_client_error() {
        let found = execution(ACCOUNT, "DELETED");
        assert!(matches!(
            decide(&request(), None, Some(&found), NOW),
            Decision::Corrupt(cause) if cause.contains("DELETED")
        ));
    }
}
