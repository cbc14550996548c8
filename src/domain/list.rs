//! ListLifecycleExecutions: the caller's executions of one lifecycle policy, newest first, a
//! page at a time, behind page tokens that only ever name a position in the caller's own part
//! of the index.

use std::cmp::Ordering;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::execution::Execution;
use super::get::ExecutionView;
use super::ids::{AccountId, ImageBuilderArn};
use super::number::DynamoNumber;

/// `maxResults` when the request has none.
pub const DEFAULT_MAX_RESULTS: u8 = 25;
/// The largest `maxResults` (Image Builder's model).
pub const MAX_MAX_RESULTS: u8 = 100;
/// An answer stays under this many bytes (1 MiB): a page stops early rather than exceed it.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;
/// Room kept for `nextToken` in a full answer (tokens are far shorter).
const TOKEN_ROOM: usize = 8 * 1024;
/// The longest execution id a position may name (DynamoDB's limit on a partition key).
const MAX_ID_BYTES: usize = 2048;

/// A validated list request from one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub account_id: AccountId,
    pub resource_arn: ImageBuilderArn,
    pub max_results: u8,
    pub next_token: Option<String>,
}

/// A place in the index's order (`startTime`, then the id), after which a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub start_time: DynamoNumber,
    pub lifecycle_execution_id: String,
}

impl Ord for Position {
    fn cmp(&self, other: &Self) -> Ordering {
        self.start_time.cmp(&other.start_time).then_with(|| {
            self.lifecycle_execution_id
                .cmp(&other.lifecycle_execution_id)
        })
    }
}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One page's read: the caller's partition of the index (account and policy), newest first,
/// after `after`, at most `limit` executions: one more than a page shows, so that a token is
/// given only when more follow, on every store alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub account_id: AccountId,
    pub policy_arn: ImageBuilderArn,
    pub limit: u8,
    pub after: Option<Position>,
}

/// One execution as a store listed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub position: Position,
    pub execution: Execution,
}

/// What a store found for a [`ListQuery`]: the executions in the index's order, and where the
/// read stopped if it stopped before `limit` (DynamoDB reads at most 1 MB a call).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub listed: Vec<Listed>,
    pub last_evaluated: Option<Position>,
}

/// Why a well-formed list request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRefusal {
    /// The `nextToken` does not decode, was issued for another account or `resourceArn`, or
    /// names no position in the index; the cause is for the log.
    InvalidToken(String),
    /// The ARN names another kind of resource than a lifecycle policy.
    NotALifecyclePolicy,
}

impl ListRequest {
    /// What to read: the token is checked first; then nothing for a policy of another account
    /// (an empty answer, as for a policy without executions); else one page of the caller's
    /// partition, from the token's position.
    pub fn query(&self) -> Result<Option<ListQuery>, ListRefusal> {
        let after = match &self.next_token {
            Some(token) => Some(
                decode(token, &self.account_id, &self.resource_arn)
                    .map_err(ListRefusal::InvalidToken)?,
            ),
            None => None,
        };
        if !self.resource_arn.is_lifecycle_policy() {
            return Err(ListRefusal::NotALifecyclePolicy);
        }
        if self.resource_arn.account() != self.account_id.as_str() {
            return Ok(None);
        }
        Ok(Some(ListQuery {
            account_id: self.account_id.clone(),
            policy_arn: self.resource_arn.clone(),
            limit: self.max_results.saturating_add(1),
            after,
        }))
    }

    /// The body answering what [`ListRequest::query`] read (an empty page when it read nothing):
    /// each execution as GetLifecycleExecution shows it, and a `nextToken` when more may
    /// follow. A page that would pass [`MAX_ANSWER_BYTES`] stops early, with a token.
    pub fn view(&self, page: &Page) -> String {
        let mut body = String::from(r#"{"lifecycleExecutions":["#);
        let mut shown: Option<&Position> = None;
        let mut cut_short = page.listed.len() > usize::from(self.max_results);
        for listed in page.listed.iter().take(self.max_results.into()) {
            let id = listed.position.lifecycle_execution_id.as_str();
            let view = ExecutionView::of(id, &listed.execution);
            let mut item = serde_json::to_string(&view).unwrap_or_default();
            if body.len() + item.len() + 2 > MAX_ANSWER_BYTES - TOKEN_ROOM {
                if shown.is_some() {
                    cut_short = true;
                    break;
                }
                tracing::warn!(
                    lifecycle_execution_id = %super::quoted(id),
                    bytes = item.len(),
                    "damaged data: an execution too large for one answer, listed without its state"
                );
                item = serde_json::to_string(&view.without_state()).unwrap_or_default();
            }
            if shown.is_some() {
                body.push(',');
            }
            body.push_str(&item);
            shown = Some(&listed.position);
        }
        body.push(']');
        let next = if cut_short {
            shown
        } else {
            page.last_evaluated.as_ref()
        };
        if let Some(position) = next {
            let token = encode(&self.account_id, &self.resource_arn, position);
            body.push_str(r#","nextToken":"#);
            body.push_str(&serde_json::Value::from(token).to_string());
        }
        body.push('}');
        body
    }
}

/// A page token's content: a position, and a digest of the account and `resourceArn` it was
/// issued for. Opaque to callers (base64url of this JSON); no secret signs it, none needs to:
/// the start key is always rebuilt from the request's own account and ARN.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFields {
    /// The token format.
    v: u8,
    /// Whose partition: [`scope`] of the account and ARN.
    s: String,
    /// `startTime` as DynamoDB's exact decimal.
    t: String,
    /// The execution id.
    i: String,
}

const TOKEN_VERSION: u8 = 1;

fn scope(account: &AccountId, arn: &ImageBuilderArn) -> String {
    let digest = Sha256::digest(format!("{account}\n{arn}").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn encode(account: &AccountId, arn: &ImageBuilderArn, position: &Position) -> String {
    let fields = TokenFields {
        v: TOKEN_VERSION,
        s: scope(account, arn),
        t: position.start_time.as_str().to_owned(),
        i: position.lifecycle_execution_id.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&fields).unwrap_or_default())
}

/// The position a token names, if it is one this service issued for this account and ARN.
fn decode(token: &str, account: &AccountId, arn: &ImageBuilderArn) -> Result<Position, String> {
    let fields: TokenFields = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("does not decode")?;
    if fields.v != TOKEN_VERSION {
        return Err(format!("is of an unknown version {}", fields.v));
    }
    if fields.s != scope(account, arn) {
        return Err("was issued for another account or resourceArn".to_owned());
    }
    let start_time =
        DynamoNumber::parse(&fields.t).ok_or("holds a startTime that is no number of the index")?;
    if fields.i.is_empty() || fields.i.len() > MAX_ID_BYTES {
        return Err("holds an execution id that no item can have".to_owned());
    }
    Ok(Position {
        start_time,
        lifecycle_execution_id: fields.i,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::execution::{ExecutionStatus, StoredStatus};

    const ACCOUNT: &str = "111122223333";
    const ARN: &str = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";

    fn request(account: &str, arn: &str, next_token: Option<String>) -> ListRequest {
        ListRequest {
            account_id: AccountId::try_from(account.to_owned()).unwrap(),
            resource_arn: ImageBuilderArn::try_from(arn.to_owned()).unwrap(),
            max_results: 2,
            next_token,
        }
    }

    fn position(start_time: &str, id: &str) -> Position {
        Position {
            start_time: DynamoNumber::parse(start_time).unwrap(),
            lifecycle_execution_id: id.to_owned(),
        }
    }

    fn listed(start_time: &str, id: &str, status: &str) -> Listed {
        Listed {
            position: position(start_time, id),
            execution: Execution {
                status: Some(StoredStatus::from_text(status)),
                start_time_epoch_secs: start_time.parse().ok(),
                ..Execution::new(
                    AccountId::try_from(ACCOUNT.to_owned()).unwrap(),
                    ExecutionStatus::Pending,
                )
            },
        }
    }

    fn token_of(answer: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_str(answer).unwrap();
        value["nextToken"].as_str().map(str::to_owned)
    }

    #[test]
    fn a_token_names_its_position_for_its_own_account_and_arn_only() {
        let page = Page {
            listed: vec![
                listed("1700000000.75", "lce-c", "PENDING"),
                listed("1700000000.5", "lce-b", "PENDING"),
                listed("1700000000.5", "lce-a", "PENDING"),
            ],
            last_evaluated: None,
        };
        let first = request(ACCOUNT, ARN, None);
        assert_eq!(
            first.query().unwrap().unwrap().limit,
            3,
            "one more than a page shows"
        );
        let answer = first.view(&page);
        assert_eq!(
            answer.matches("lifecycleExecutionId").count(),
            2,
            "{answer}"
        );
        let token = token_of(&answer).unwrap();

        let next = request(ACCOUNT, ARN, Some(token.clone()))
            .query()
            .unwrap()
            .unwrap();
        assert_eq!(next.after, Some(position("1700000000.5", "lce-b")));
        assert_eq!(next.after.unwrap().start_time.as_str(), "1700000000.5");
        let other_arn = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/other";
        let other_account = "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5";
        for refused in [
            request(ACCOUNT, other_arn, Some(token.clone())),
            request("444455556666", other_account, Some(token.clone())),
            // Even where the ARN alone would answer an empty list.
            request("444455556666", ARN, Some(token.clone())),
        ] {
            assert!(
                matches!(refused.query(), Err(ListRefusal::InvalidToken(_))),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn a_forged_truncated_or_foreign_token_is_invalid_never_a_start_key() {
        let forge = |fields: serde_json::Value| URL_SAFE_NO_PAD.encode(fields.to_string());
        let account = AccountId::try_from(ACCOUNT.to_owned()).unwrap();
        let arn = ImageBuilderArn::try_from(ARN.to_owned()).unwrap();
        let scope = scope(&account, &arn);
        let good = forge(serde_json::json!({"v": 1, "s": scope, "t": "5", "i": "lce-a"}));
        assert!(request(ACCOUNT, ARN, Some(good.clone())).query().is_ok());
        for bad in [
            "x".to_owned(),
            "!!!!".to_owned(),
            good[..good.len() - 3].to_owned(),
            forge(serde_json::json!({"v": 2, "s": scope, "t": "5", "i": "lce-a"})),
            forge(serde_json::json!({"v": 1, "s": "0", "t": "5", "i": "lce-a"})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": "1e400", "i": "lce-a"})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": "five", "i": "lce-a"})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": "5", "i": ""})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": "5", "i": "x".repeat(2049)})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": "5", "i": "a", "accountId": "4"})),
            forge(serde_json::json!({"v": 1, "s": scope, "t": 5, "i": "lce-a"})),
        ] {
            assert!(
                matches!(
                    request(ACCOUNT, ARN, Some(bad.clone())).query(),
                    Err(ListRefusal::InvalidToken(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn another_accounts_policy_reads_nothing_and_another_resource_type_is_refused() {
        let foreign = "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5";
        assert_eq!(request(ACCOUNT, foreign, None).query(), Ok(None));
        let pipeline = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/p";
        assert_eq!(
            request(ACCOUNT, pipeline, None).query(),
            Err(ListRefusal::NotALifecyclePolicy)
        );
        assert_eq!(
            request(ACCOUNT, foreign, None).view(&Page::default()),
            r#"{"lifecycleExecutions":[]}"#
        );
    }

    #[test]
    fn a_read_that_stopped_early_continues_from_where_it_stopped() {
        let page = Page {
            listed: vec![listed("2", "lce-b", "PENDING")],
            last_evaluated: Some(position("2", "lce-b")),
        };
        let token = token_of(&request(ACCOUNT, ARN, None).view(&page)).unwrap();
        let next = request(ACCOUNT, ARN, Some(token)).query().unwrap().unwrap();
        assert_eq!(next.after, Some(position("2", "lce-b")));
    }

    #[test]
    fn a_page_shows_each_execution_as_get_does_and_a_token_only_when_more_follow() {
        let last = Page {
            listed: vec![
                listed("2", "lce-b", "PENDING"),
                listed("1", "lce-a", "SUCCESS"),
            ],
            last_evaluated: None,
        };
        let answer: serde_json::Value =
            serde_json::from_str(&request(ACCOUNT, ARN, None).view(&last)).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"lifecycleExecutions": [
                {"lifecycleExecutionId": "lce-b", "state": {"status": "PENDING"}, "startTime": 2},
                {"lifecycleExecutionId": "lce-a", "state": {"status": "SUCCESS"}, "startTime": 1},
            ]})
        );
    }

    #[test]
    fn a_page_that_would_pass_one_mib_stops_early_with_a_token_at_the_last_shown() {
        // Each status escapes to six bytes a character: three of them fill more than 1 MiB.
        let big = "\u{1}".repeat(60_000);
        let page = Page {
            listed: vec![
                listed("3", "lce-c", &big),
                listed("2", "lce-b", &big),
                listed("1", "lce-a", &big),
                listed("0", "lce-0", &big),
            ],
            last_evaluated: None,
        };
        let request = ListRequest {
            max_results: 100,
            ..request(ACCOUNT, ARN, None)
        };
        let answer = request.view(&page);
        assert!(answer.len() < MAX_ANSWER_BYTES, "{} bytes", answer.len());
        let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let shown = value["lifecycleExecutions"].as_array().unwrap().len();
        assert!((1..4).contains(&shown), "{shown} shown");
        let token = token_of(&answer).expect("a token: more follow");
        let next = ListRequest {
            next_token: Some(token),
            ..request
        }
        .query()
        .unwrap()
        .unwrap();
        let last_shown = &page.listed[shown - 1].position;
        assert_eq!(next.after.as_ref(), Some(last_shown));
    }

    #[test]
    fn one_execution_too_large_for_any_answer_is_listed_without_its_state() {
        let huge = "\u{1}".repeat(200_000);
        let page = Page {
            listed: vec![listed("1", "lce-a", &huge)],
            last_evaluated: None,
        };
        let answer = request(ACCOUNT, ARN, None).view(&page);
        assert_eq!(
            answer,
            r#"{"lifecycleExecutions":[{"lifecycleExecutionId":"lce-a","startTime":1}]}"#
        );
    }
}
