//! The whole system as a stateright model: clients of two accounts, the service (in one of
//! three designs), DynamoDB's tables with TTL, the lifecycle engine and a clock. Every
//! interleaving of their steps within the bounds is explored; the properties are checked on
//! every reachable state.

use std::collections::BTreeSet;

use cancel_lifecycle_execution::domain::{
    AccountId, CancelPlan, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::store::dynamodb::internals::attr;
use stateright::{Model, Property};

use crate::dynamodb::{number, Item, Tables, TokenCondition, Val};
use crate::service::{self, Answer, Design, Effects, Next, Step};

pub const ACCOUNT_A: &str = "111111111111";
pub const ACCOUNT_B: &str = "222222222222";
pub const E1: &str = "lce-00000000-0000-4000-8000-000000000001";
pub const E2: &str = "lce-00000000-0000-4000-8000-000000000002";
pub const E3: &str = "lce-00000000-0000-4000-8000-000000000003";

/// One client: who it is, what it asks, and how often it may ask again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientSpec {
    pub name: &'static str,
    pub account: &'static str,
    pub token: &'static str,
    pub execution: &'static str,
    /// Sends after a 200 (a pipeline run again with the same token).
    pub reruns_after_ok: u8,
}

impl ClientSpec {
    fn request(&self) -> CancelRequest {
        CancelRequest {
            account_id: AccountId::try_from(self.account.to_owned()).expect("account id"),
            client_token: ClientToken::try_from(self.token.to_owned()).expect("client token"),
            lifecycle_execution_id: LifecycleExecutionId::try_from(self.execution.to_owned())
                .expect("execution id"),
        }
    }
}

/// How far the checker goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// The token lifetime, seconds; the clock runs from 0 to `last_second`.
    pub ttl: i64,
    pub last_second: i64,
    /// Answers lost (a commit whose answer times out, a crash between two writes).
    pub lost_answers: u8,
    /// Transactions cancelled by a conflict.
    pub conflicts: u8,
    /// Engine moves (PENDING → IN_PROGRESS → SUCCESS, CANCELLING → CANCELLED).
    pub engine_steps: u8,
    /// Engine faults: CANCELLING back to IN_PROGRESS.
    pub engine_faults: u8,
}

/// The system to check.
#[derive(Debug, Clone)]
pub struct System {
    pub design: Design,
    pub condition: TokenCondition,
    pub bounds: Bounds,
    pub clients: Vec<ClientSpec>,
    /// The executions at the start: id, owner, status.
    pub executions: Vec<(&'static str, &'static str, &'static str)>,
}

/// Where one client is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Client {
    pub sends_left: u8,
    pub reruns_left: u8,
    pub request: Option<InFlight>,
    /// The last answer it heard.
    pub last: Option<Answer>,
}

/// A request the service is working on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InFlight {
    pub planned_at: i64,
    pub step: Step,
    pub attempt: u32,
    pub effects: Effects,
    /// The previous answer to this client was lost (this is a retry).
    pub after_lost: bool,
}

/// One committed status change: by which key, of which execution, when, until when its token
/// lives, with which body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Change {
    pub key: String,
    pub account: String,
    pub execution: String,
    pub at: i64,
    pub expires: i64,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct State {
    pub now: i64,
    pub tables: Tables,
    pub clients: Vec<Client>,
    pub lost_left: u8,
    pub conflicts_left: u8,
    pub engine_left: u8,
    pub engine_faults_left: u8,
    /// Every status change a cancel made.
    pub changes: Vec<Change>,
    /// The properties a step broke, by name (each step checks its own).
    pub broken: BTreeSet<&'static str>,
    /// What the checker must show happens (non-vacuity).
    pub seen: BTreeSet<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Send(usize),
    Step(usize),
    StepAnswerLost(usize),
    Conflict(usize),
    Tick,
    TtlDelete(String),
    Engine(String, &'static str),
}

pub const ATOMIC: &str = "a token record exists exactly when its status change happened";
pub const ONCE: &str = "no execution moves to CANCELLING twice under one live token";
pub const TRUE_200: &str =
    "every 200 answers a committed cancel of that execution by that account with that token";
pub const SAME_BYTES: &str =
    "once a cancel committed, every answer while its token lives is that 200, byte for byte";
pub const REFUSAL_WRITES_NOTHING: &str = "a mismatch or refusal writes nothing";
pub const OWN_ITEMS_ONLY: &str = "no step of one account changes another account's items";
pub const BLIND_TO_OTHERS: &str = "no answer to one account depends on another account's items";
pub const DEFINITIVE: &str =
    "a client retrying after lost answers gets a definitive answer once the faults stop";

/// The safety properties, by name.
pub const SAFETY: [&str; 7] = [
    ATOMIC,
    ONCE,
    TRUE_200,
    SAME_BYTES,
    REFUSAL_WRITES_NOTHING,
    OWN_ITEMS_ONLY,
    BLIND_TO_OTHERS,
];

pub const SEEN_COMMIT: &str = "a cancel commits";
pub const SEEN_REPLAY: &str = "a retry after a lost answer meets its own committed write";
pub const SEEN_EXPIRY_SECOND: &str = "a token record is read in its expiry second";
pub const SEEN_REOPENED: &str = "the engine moves a cancelling execution back to IN_PROGRESS";

impl System {
    /// The checked configuration: two accounts, three clients (a retrier that also runs again
    /// after its 200; the same token reused for another execution; the other account, with the
    /// same token string, racing for the first account's execution).
    pub fn new(design: Design, bounds: Bounds) -> Self {
        let client = |name, account, token, execution, reruns_after_ok| ClientSpec {
            name,
            account,
            token,
            execution,
            reruns_after_ok,
        };
        Self {
            design,
            condition: TokenCondition::Exact,
            bounds,
            clients: vec![
                client("c0 (A, t1, E1)", ACCOUNT_A, "t1", E1, 1),
                client("c1 (A, t1, E3)", ACCOUNT_A, "t1", E3, 0),
                client("c2 (B, t1, E1)", ACCOUNT_B, "t1", E1, 0),
            ],
            executions: vec![
                (E1, ACCOUNT_A, "PENDING"),
                (E2, ACCOUNT_B, "IN_PROGRESS"),
                (E3, ACCOUNT_A, "IN_PROGRESS"),
            ],
        }
    }

    /// A fourth client: the first account's other token racing for the same execution.
    pub fn with_a_second_token(mut self) -> Self {
        self.clients.push(ClientSpec {
            name: "c3 (A, t2, E1)",
            account: ACCOUNT_A,
            token: "t2",
            execution: E1,
            reruns_after_ok: 0,
        });
        self
    }

    pub fn with_condition(mut self, condition: TokenCondition) -> Self {
        self.condition = condition;
        self
    }

    fn plan(&self, client: usize, now: i64) -> CancelPlan {
        self.clients[client].request().plan(now, self.bounds.ttl)
    }

    /// Sends a client may make: its first, each retry after a lost or 503 answer, reruns.
    fn sends(&self) -> u8 {
        self.bounds.lost_answers + self.bounds.conflicts + 2
    }

    fn run_step(&self, state: &mut State, client: usize, lost: bool) {
        let Some(request) = state.clients[client].request.clone() else {
            return;
        };
        let spec = &self.clients[client];
        let plan = self.plan(client, request.planned_at);
        let before = state.tables.clone();
        let (next, effects) = service::step(
            self.design,
            self.condition,
            &mut state.tables,
            &plan,
            &request.step,
            request.attempt,
        );
        // The same step where the other account's items are gone must answer and write the same.
        let (mut blind, others_before) = before.split(spec.account);
        let (blind_next, _) = service::step(
            self.design,
            self.condition,
            &mut blind,
            &plan,
            &request.step,
            request.attempt,
        );
        let (own_after, others_after) = state.tables.split(spec.account);
        if blind_next != next || blind.split(spec.account).0 != own_after {
            state.broken.insert(BLIND_TO_OTHERS);
        }
        if others_before != others_after {
            state.broken.insert(OWN_ITEMS_ONLY);
        }
        if let Some(record) = before.tokens.get(&plan.idempotency_key()) {
            if number(record.get(attr::EXPIRES_AT)) == Some(state.now as f64) {
                state.seen.insert(SEEN_EXPIRY_SECOND);
            }
        }
        if effects.change {
            self.record_change(state, client, &plan);
        }
        let effects = Effects {
            token: request.effects.token + effects.token,
            change: request.effects.change || effects.change,
        };
        let answer = match next {
            Next::Continue { .. } if lost => Answer::Lost,
            Next::Continue { step, attempt } => {
                state.clients[client].request = Some(InFlight {
                    step,
                    attempt,
                    effects,
                    ..request
                });
                return;
            }
            Next::Answer(_) if lost => Answer::Lost,
            Next::Answer(answer) => answer,
        };
        if request.after_lost && answer == Answer::Ok(plan.response_body.clone()) && !effects.change
        {
            state.seen.insert(SEEN_REPLAY);
        }
        self.end_request(state, client, effects, answer);
    }

    fn record_change(&self, state: &mut State, client: usize, plan: &CancelPlan) {
        let change = Change {
            key: plan.idempotency_key(),
            account: self.clients[client].account.to_owned(),
            execution: plan.lifecycle_execution_id().as_str().to_owned(),
            at: state.now,
            expires: plan.expires_at_epoch_secs,
            body: plan.response_body.clone(),
        };
        let twice = state.changes.iter().any(|earlier| {
            earlier.key == change.key
                && earlier.execution == change.execution
                && change.at <= earlier.expires
        });
        if twice {
            state.broken.insert(ONCE);
        }
        let owner = state
            .tables
            .executions
            .get(&change.execution)
            .and_then(|item| item.get(attr::ACCOUNT_ID));
        if owner != Some(&Val::S(change.account.clone())) {
            state.broken.insert(OWN_ITEMS_ONLY);
        }
        state.seen.insert(SEEN_COMMIT);
        state.changes.push(change);
    }

    fn end_request(&self, state: &mut State, client: usize, effects: Effects, answer: Answer) {
        let spec = &self.clients[client];
        let key = spec.request().idempotency_key();
        if (effects.token > 0) != effects.change {
            state.broken.insert(ATOMIC);
        }
        if matches!(answer, Answer::Refused(_)) && (effects.token != 0 || effects.change) {
            state.broken.insert(REFUSAL_WRITES_NOTHING);
        }
        if let Answer::Ok(body) = &answer {
            let committed = state.changes.iter().any(|change| {
                change.key == key && change.execution == spec.execution && &change.body == body
            });
            if !committed {
                state.broken.insert(TRUE_200);
            }
        }
        if answer != Answer::Lost && answer != Answer::Unavailable {
            let lives = state.changes.iter().find(|change| {
                change.key == key
                    && change.execution == spec.execution
                    && change.at <= state.now
                    && state.now <= change.expires
            });
            if let Some(change) = lives {
                if answer != Answer::Ok(change.body.clone()) {
                    state.broken.insert(SAME_BYTES);
                }
            }
        }
        let me = &mut state.clients[client];
        me.request = None;
        me.last = Some(answer);
    }

    fn client_may_send(&self, client: &Client) -> bool {
        if client.request.is_some() || client.sends_left == 0 {
            return false;
        }
        match &client.last {
            None => true,
            Some(Answer::Ok(_)) => client.reruns_left > 0,
            Some(answer) => !answer.is_definitive(),
        }
    }
}

impl Model for System {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let executions = self
            .executions
            .iter()
            .map(|(id, owner, status)| {
                let item: Item = [
                    (attr::EXECUTION_ID, Val::S((*id).to_owned())),
                    (attr::ACCOUNT_ID, Val::S((*owner).to_owned())),
                    (attr::STATUS, Val::S((*status).to_owned())),
                ]
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
                ((*id).to_owned(), item)
            })
            .collect();
        vec![State {
            now: 0,
            tables: Tables {
                tokens: Default::default(),
                executions,
            },
            clients: self
                .clients
                .iter()
                .map(|spec| Client {
                    sends_left: self.sends(),
                    reruns_left: spec.reruns_after_ok,
                    request: None,
                    last: None,
                })
                .collect(),
            lost_left: self.bounds.lost_answers,
            conflicts_left: self.bounds.conflicts,
            engine_left: self.bounds.engine_steps,
            engine_faults_left: self.bounds.engine_faults,
            changes: Vec::new(),
            broken: BTreeSet::new(),
            seen: BTreeSet::new(),
        }]
    }

    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        for (i, client) in state.clients.iter().enumerate() {
            if self.client_may_send(client) {
                actions.push(Action::Send(i));
            }
            if let Some(request) = &client.request {
                actions.push(Action::Step(i));
                if state.lost_left > 0 {
                    actions.push(Action::StepAnswerLost(i));
                }
                if state.conflicts_left > 0 && request.step == Step::Transact {
                    actions.push(Action::Conflict(i));
                }
            }
        }
        if state.now < self.bounds.last_second {
            actions.push(Action::Tick);
        }
        for (key, record) in &state.tables.tokens {
            if number(record.get(attr::EXPIRES_AT))
                .is_some_and(|expires| expires < state.now as f64)
            {
                actions.push(Action::TtlDelete(key.clone()));
            }
        }
        for (id, item) in &state.tables.executions {
            let status = match item.get(attr::STATUS) {
                Some(Val::S(status)) => status.as_str(),
                _ => continue,
            };
            let to = match status {
                "PENDING" => "IN_PROGRESS",
                "IN_PROGRESS" => "SUCCESS",
                "CANCELLING" => "CANCELLED",
                _ => continue,
            };
            if state.engine_left > 0 {
                actions.push(Action::Engine(id.clone(), to));
            }
            if status == "CANCELLING" && state.engine_faults_left > 0 {
                actions.push(Action::Engine(id.clone(), "IN_PROGRESS"));
            }
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut state = last.clone();
        match action {
            Action::Send(i) => {
                let client = &mut state.clients[i];
                let after_lost = client.last == Some(Answer::Lost);
                if matches!(client.last, Some(Answer::Ok(_))) {
                    client.reruns_left -= 1;
                }
                client.sends_left -= 1;
                client.request = Some(InFlight {
                    planned_at: state.now,
                    step: self.design.first_step(),
                    attempt: 1,
                    effects: Effects::default(),
                    after_lost,
                });
            }
            Action::Step(i) => self.run_step(&mut state, i, false),
            Action::StepAnswerLost(i) => {
                state.lost_left -= 1;
                self.run_step(&mut state, i, true);
            }
            Action::Conflict(i) => {
                state.conflicts_left -= 1;
                let request = state.clients[i].request.clone()?;
                match service::retry(request.attempt) {
                    Next::Continue { attempt, .. } => {
                        state.clients[i].request = Some(InFlight { attempt, ..request });
                    }
                    Next::Answer(answer) => {
                        self.end_request(&mut state, i, request.effects, answer);
                    }
                }
            }
            Action::Tick => state.now += 1,
            Action::TtlDelete(key) => {
                state.tables.tokens.remove(&key);
            }
            Action::Engine(id, to) => {
                let item = state.tables.executions.get_mut(&id)?;
                let from = item.insert(attr::STATUS.to_owned(), Val::S(to.to_owned()));
                if from == Some(Val::S("CANCELLING".to_owned())) && to == "IN_PROGRESS" {
                    state.engine_faults_left -= 1;
                    state.seen.insert(SEEN_REOPENED);
                } else {
                    state.engine_left -= 1;
                }
            }
        }
        Some(state)
    }

    fn format_action(&self, action: &Action) -> String {
        let name = |i: &usize| self.clients[*i].name;
        match action {
            Action::Send(i) => format!("{} sends its cancel", name(i)),
            Action::Step(i) => format!("the service takes {}'s next step", name(i)),
            Action::StepAnswerLost(i) => {
                format!(
                    "the service takes {}'s next step; its answer is lost",
                    name(i)
                )
            }
            Action::Conflict(i) => format!("{}'s transaction is cancelled by a conflict", name(i)),
            Action::Tick => "a second passes".to_owned(),
            Action::TtlDelete(key) => format!("TTL deletes the record {key}"),
            Action::Engine(id, to) => format!("the engine moves {id} to {to}"),
        }
    }

    fn properties(&self) -> Vec<Property<Self>> {
        macro_rules! safe {
            ($name:expr) => {
                Property::always($name, |_, state: &State| !state.broken.contains($name))
            };
        }
        macro_rules! seen {
            ($name:expr) => {
                Property::sometimes($name, |_, state: &State| state.seen.contains($name))
            };
        }
        vec![
            safe!(ATOMIC),
            safe!(ONCE),
            safe!(TRUE_200),
            safe!(SAME_BYTES),
            safe!(REFUSAL_WRITES_NOTHING),
            safe!(OWN_ITEMS_ONLY),
            safe!(BLIND_TO_OTHERS),
            Property::eventually(DEFINITIVE, |_, state: &State| {
                state.clients.iter().all(|client| {
                    client.request.is_none()
                        && client.last.as_ref().is_some_and(Answer::is_definitive)
                })
            }),
            seen!(SEEN_COMMIT),
            seen!(SEEN_REPLAY),
            seen!(SEEN_EXPIRY_SECOND),
            seen!(SEEN_REOPENED),
        ]
    }
}

impl System {
    /// An engine move as a trace line; the fault says so.
    pub fn describe(&self, last: &State, action: &Action) -> String {
        match action {
            Action::Engine(id, "IN_PROGRESS")
                if last
                    .tables
                    .executions
                    .get(id)
                    .and_then(|item| item.get(attr::STATUS))
                    == Some(&Val::S("CANCELLING".to_owned())) =>
            {
                format!("the engine (a fault) moves {id} from CANCELLING back to IN_PROGRESS")
            }
            Action::Step(i) | Action::StepAnswerLost(i) => {
                let step = last.clients[*i]
                    .request
                    .as_ref()
                    .map(|request| &request.step);
                format!("{} ({step:?})", self.format_action(action))
            }
            other => self.format_action(other),
        }
    }
}
