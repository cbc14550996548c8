//! DynamoDB's side of the model: two tables of items, the two conditions of the cancel's one
//! `TransactWriteItems` evaluated as predicates over the old items, and both writes applied
//! together or not at all. A cancelled transaction answers what DynamoDB answers: one
//! cancellation reason per item, with the old item (`ALL_OLD`) where its condition failed.
//!
//! The predicates are written here, apart from the code's condition expressions, on purpose:
//! the model commits when they hold, never because the decision said so, and the differential
//! test (tests/differential.rs) ties them to the real expressions on moto.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use cancel_lifecycle_execution::domain::execution::LAST_PLAUSIBLE_EPOCH_SECS;
use cancel_lifecycle_execution::domain::CancelPlan;
use cancel_lifecycle_execution::store::dynamodb::internals::{attr, status_update, token_put};

/// One attribute value, of the types the tables hold (or that damaged data could hold).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Val {
    S(String),
    N(String),
    Bool(bool),
}

/// One item: attribute name to value.
pub type Item = BTreeMap<String, Val>;

/// Both tables: token records by idempotency key, executions by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tables {
    pub tokens: BTreeMap<String, Item>,
    pub executions: BTreeMap<String, Item>,
}

/// How the model's token condition reads; `Exact` is the code's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenCondition {
    /// `attribute_not_exists(key) OR NOT attribute_type(id, S) OR NOT attribute_type(expiresAt,
    /// N) OR expiresAt < :now OR expiresAt > :last_expiry`.
    Exact,
    /// A loosened copy: `expiresAt <= :now`, so a record in its last second counts as absent.
    LoosenedAtExpiry,
}

/// What one transaction did.
#[derive(Debug, Clone, PartialEq)]
pub enum Transacted {
    Committed,
    /// Cancelled: the reasons DynamoDB returns, token first.
    Cancelled(Vec<CancellationReason>),
}

/// A number attribute's value; `None` for anything else.
pub fn number(value: Option<&Val>) -> Option<f64> {
    match value {
        Some(Val::N(n)) => n.trim().parse().ok(),
        _ => None,
    }
}

/// The token Put's condition over the record it would replace.
pub fn token_condition_holds(old: Option<&Item>, now: i64, condition: TokenCondition) -> bool {
    let Some(old) = old else { return true };
    let names_an_execution = matches!(old.get(attr::TOKEN_EXECUTION_ID), Some(Val::S(_)));
    let Some(expires) = number(old.get(attr::EXPIRES_AT)) else {
        return true;
    };
    let lapsed = match condition {
        TokenCondition::Exact => expires < now as f64,
        TokenCondition::LoosenedAtExpiry => expires <= now as f64,
    };
    !names_an_execution || lapsed || expires > LAST_PLAUSIBLE_EPOCH_SECS as f64
}

/// The execution Update's condition: `accountId = :owner AND status IN (:from...)`.
pub fn status_condition_holds(old: Option<&Item>, plan: &CancelPlan) -> bool {
    old.is_some_and(|item| {
        item.get(attr::ACCOUNT_ID) == Some(&Val::S(plan.change.owner.as_str().to_owned()))
            && matches!(item.get(attr::STATUS), Some(Val::S(status))
                if plan.change.from.iter().any(|from| from.as_str() == status))
    })
}

impl Tables {
    /// The tables as two: `account`'s items (token records under its keys, executions it owns)
    /// and every other account's.
    pub fn split(&self, account: &str) -> (Tables, Tables) {
        let key_prefix = format!("CancelLifecycleExecution#{account}#");
        let owner = Val::S(account.to_owned());
        let (mut own, mut others) = (Tables::default(), Tables::default());
        for (key, record) in &self.tokens {
            let side = if key.starts_with(&key_prefix) {
                &mut own
            } else {
                &mut others
            };
            side.tokens.insert(key.clone(), record.clone());
        }
        for (id, item) in &self.executions {
            let mine = item.get(attr::ACCOUNT_ID) == Some(&owner);
            let side = if mine { &mut own } else { &mut others };
            side.executions.insert(id.clone(), item.clone());
        }
        (own, others)
    }

    /// The cancel's one transaction: both conditions checked on the items as they are, both
    /// writes applied if both hold.
    pub fn transact(&mut self, plan: &CancelPlan, condition: TokenCondition) -> Transacted {
        let key = plan.idempotency_key();
        let id = plan.lifecycle_execution_id().as_str().to_owned();
        let token_ok = token_condition_holds(self.tokens.get(&key), plan.now_epoch_secs, condition);
        let status_ok = status_condition_holds(self.executions.get(&id), plan);
        if token_ok && status_ok {
            self.put_token(plan);
            self.update_status(plan);
            return Transacted::Committed;
        }
        let reason = |holds: bool, old: Option<&Item>| {
            let builder = CancellationReason::builder();
            if holds {
                builder.code("None").build()
            } else {
                let mut builder = builder.code("ConditionalCheckFailed");
                for (name, value) in old.into_iter().flatten() {
                    builder = builder.item(name.clone(), value.to_sdk());
                }
                builder.build()
            }
        };
        Transacted::Cancelled(vec![
            reason(token_ok, self.tokens.get(&key)),
            reason(status_ok, self.executions.get(&id)),
        ])
    }

    /// The token record the code's Put writes, unconditionally.
    pub fn put_token(&mut self, plan: &CancelPlan) {
        let put = token_put(plan, "idempotency").expect("the code's Put builds");
        self.tokens
            .insert(plan.idempotency_key(), from_sdk_item(put.item()));
    }

    /// The code's Update's `SET`, unconditionally, on an existing item.
    pub fn update_status(&mut self, plan: &CancelPlan) {
        let update = status_update(plan, "executions").expect("the code's Update builds");
        let values = update
            .expression_attribute_values()
            .cloned()
            .unwrap_or_default();
        let names = update
            .expression_attribute_names()
            .cloned()
            .unwrap_or_default();
        let expression = update.update_expression();
        let id = plan.lifecycle_execution_id().as_str().to_owned();
        let item = self.executions.entry(id.clone()).or_default();
        item.insert(attr::EXECUTION_ID.to_owned(), Val::S(id));
        // "SET #a = :a, #b = :b": each assignment as the code wrote it.
        for assignment in expression.trim_start_matches("SET ").split(", ") {
            let (name, value) = assignment.split_once(" = ").expect("SET #name = :value");
            item.insert(names[name].clone(), Val::from_sdk(&values[value]));
        }
    }
}

impl Val {
    pub fn to_sdk(&self) -> AttributeValue {
        match self {
            Self::S(s) => AttributeValue::S(s.clone()),
            Self::N(n) => AttributeValue::N(n.clone()),
            Self::Bool(b) => AttributeValue::Bool(*b),
        }
    }

    pub fn from_sdk(value: &AttributeValue) -> Self {
        match value {
            AttributeValue::S(s) => Self::S(s.clone()),
            AttributeValue::N(n) => Self::N(n.clone()),
            AttributeValue::Bool(b) => Self::Bool(*b),
            other => panic!("the model holds strings, numbers and booleans, not {other:?}"),
        }
    }
}

pub fn to_sdk_item(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter()
        .map(|(name, value)| (name.clone(), value.to_sdk()))
        .collect()
}

pub fn from_sdk_item(item: &HashMap<String, AttributeValue>) -> Item {
    item.iter()
        .map(|(name, value)| (name.clone(), Val::from_sdk(value)))
        .collect()
}
