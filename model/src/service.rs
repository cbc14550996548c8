//! The service's side: one request's steps in each of the three designs of BENCHMARKS.md
//! ("The designs compared"). Every step plans with the crate's `CancelRequest::plan` and decides
//! with its `read_cancellation` (the real design) or `CancelPlan::decide` (the other two): a
//! change to the rule is checked, not a copy of it.

use cancel_lifecycle_execution::domain::{CancelPlan, Execution, Outcome, TokenRecord};
use cancel_lifecycle_execution::store::dynamodb::internals::{
    read_cancellation, Attempt, MAX_TRANSACTION_ATTEMPTS,
};

use crate::dynamodb::{
    status_condition_holds, to_sdk_item, token_condition_holds, Tables, TokenCondition, Transacted,
};

/// How a request is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Design {
    /// This service: one `TransactWriteItems` (the token's Put and the status Update).
    OneTransaction,
    /// A conditional Put of the token, then the Update, then a Delete of the token on refusal.
    TokenFirst,
    /// Read the token, the Update, then a Put of the token.
    ReadUpdatePut,
}

impl Design {
    pub fn first_step(self) -> Step {
        match self {
            Self::OneTransaction => Step::Transact,
            Self::TokenFirst => Step::PutToken,
            Self::ReadUpdatePut => Step::ReadToken,
        }
    }
}

/// What a client hears.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Answer {
    /// 200 with this body.
    Ok(String),
    /// A documented refusal (ResourceNotFound, ResourceInUse, IdempotentParameterMismatch, ...).
    Refused(String),
    /// 503: nothing decided (transaction conflicts past the bound).
    Unavailable,
    /// 500: the caller's execution is damaged, or the store answered what it should not.
    Failed(String),
    /// No answer reached the client (its timeout, a lost connection, a crash).
    Lost,
}

impl Answer {
    /// 200 or a documented refusal: what a retry no longer changes.
    pub fn is_definitive(&self) -> bool {
        matches!(self, Self::Ok(_) | Self::Refused(_))
    }

    fn of(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Cancelled { response_body } | Outcome::Replayed { response_body } => {
                Self::Ok(response_body)
            }
            Outcome::Refused(refusal) => Self::Refused(format!("{refusal:?}")),
        }
    }
}

/// Where a request is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Transact,
    PutToken,
    UpdateStatus,
    DeleteToken(Answer),
    ReadToken,
    PutTokenAfterUpdate,
}

/// What one step wrote: the token record (+1 put, -1 deleted) and the status change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Effects {
    pub token: i8,
    pub change: bool,
}

/// What happens after a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Next {
    Continue { step: Step, attempt: u32 },
    Answer(Answer),
}

/// One step of a request's plan, on `tables`.
pub fn step(
    design: Design,
    condition: TokenCondition,
    tables: &mut Tables,
    plan: &CancelPlan,
    step: &Step,
    attempt: u32,
) -> (Next, Effects) {
    let key = plan.idempotency_key();
    let id = plan.lifecycle_execution_id().as_str();
    let token = |tables: &Tables| {
        tables
            .tokens
            .get(&key)
            .map(|item| TokenRecord::from(&to_sdk_item(item)))
    };
    let execution = |tables: &Tables| {
        tables
            .executions
            .get(id)
            .map(|item| Execution::from(&to_sdk_item(item)))
    };
    let decided = |token: Option<&TokenRecord>, execution: Option<&Execution>| match plan
        .decide(token, execution)
    {
        Ok(outcome) => Answer::of(outcome),
        Err(corrupt) => Answer::Failed(corrupt.to_string()),
    };
    let mut effects = Effects::default();
    let next = match (design, step) {
        (Design::OneTransaction, Step::Transact) => match tables.transact(plan, condition) {
            Transacted::Committed => {
                effects = Effects {
                    token: 1,
                    change: true,
                };
                Next::Answer(Answer::Ok(plan.response_body.clone()))
            }
            Transacted::Cancelled(reasons) => match read_cancellation(plan, &reasons) {
                Ok(Attempt::Decided(outcome)) => Next::Answer(Answer::of(outcome)),
                Ok(Attempt::Retry(_)) => retry(attempt),
                Err(error) => Next::Answer(Answer::Failed(error.to_string())),
            },
        },
        (Design::TokenFirst, Step::PutToken) => {
            if token_condition_holds(tables.tokens.get(&key), plan.now_epoch_secs, condition) {
                tables.put_token(plan);
                effects.token = 1;
                Next::Continue {
                    step: Step::UpdateStatus,
                    attempt,
                }
            } else {
                Next::Answer(decided(token(tables).as_ref(), None))
            }
        }
        (Design::TokenFirst, Step::UpdateStatus) => {
            if status_condition_holds(tables.executions.get(id), plan) {
                tables.update_status(plan);
                effects.change = true;
                Next::Answer(Answer::Ok(plan.response_body.clone()))
            } else {
                Next::Continue {
                    step: Step::DeleteToken(decided(None, execution(tables).as_ref())),
                    attempt,
                }
            }
        }
        (Design::TokenFirst, Step::DeleteToken(answer)) => {
            tables.tokens.remove(&key);
            effects.token = -1;
            Next::Answer(answer.clone())
        }
        (Design::ReadUpdatePut, Step::ReadToken) => match token(tables) {
            Some(record) if record.decides(plan.now_epoch_secs) => {
                Next::Answer(decided(Some(&record), None))
            }
            _ => Next::Continue {
                step: Step::UpdateStatus,
                attempt,
            },
        },
        (Design::ReadUpdatePut, Step::UpdateStatus) => {
            if status_condition_holds(tables.executions.get(id), plan) {
                tables.update_status(plan);
                effects.change = true;
                Next::Continue {
                    step: Step::PutTokenAfterUpdate,
                    attempt,
                }
            } else {
                Next::Answer(decided(None, execution(tables).as_ref()))
            }
        }
        (Design::ReadUpdatePut, Step::PutTokenAfterUpdate) => {
            tables.put_token(plan);
            effects.token = 1;
            Next::Answer(Answer::Ok(plan.response_body.clone()))
        }
        (design, step) => unreachable!("{design:?} has no step {step:?}"),
    };
    (next, effects)
}

/// Another attempt of the same transaction, as the service makes, or 503 past its bound.
pub fn retry(attempt: u32) -> Next {
    if attempt < MAX_TRANSACTION_ATTEMPTS {
        Next::Continue {
            step: Step::Transact,
            attempt: attempt + 1,
        }
    } else {
        Next::Answer(Answer::Unavailable)
    }
}
