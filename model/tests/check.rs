//! The model checker's runs: the real design keeps every promise in every interleaving within
//! the bounds; the other two designs of BENCHMARKS.md, and a token condition loosened at its
//! expiry second, each break one, and the shortest trace that breaks it is printed.
//! `make test` shows their figures and traces (target/model-check.txt); `make model-deep` runs
//! the ignored deeper one.

use std::time::Instant;

use cancel_model::system::{Action, State, DEFINITIVE, ONCE, SAFETY, SAME_BYTES, TRUE_200};
use cancel_model::{Bounds, Design, System, TokenCondition};
use stateright::{Checker, HasDiscoveries, Model};

/// What `make test` explores (docs/TESTING.md, "The model checker"): every interleaving of
/// three clients, one lost answer, one transaction conflict, one engine move and one engine
/// fault, over two seconds, a token record expiring in the second it is written (TTL 0: the
/// second after, it is expired and TTL may delete it).
const BOUNDS: Bounds = Bounds {
    ttl: 0,
    last_second: 1,
    lost_answers: 1,
    conflicts: 1,
    engine_steps: 1,
    engine_faults: 1,
};

fn check(system: System, stop_at: Option<&'static str>) -> impl Checker<System> {
    let label = format!(
        "{:?}, {:?}, {} clients",
        system.design,
        system.condition,
        system.clients.len()
    );
    let started = Instant::now();
    let mut builder = system.checker().threads(2);
    if let Some(property) = stop_at {
        builder = builder.finish_when(HasDiscoveries::AnyOf([property].into()));
    }
    let checker = builder.spawn_bfs().join();
    report(format!(
        "model checker, {label}: {} states ({} unique), depth {}, {:.1} s",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        started.elapsed().as_secs_f64()
    ));
    checker
}

/// Printed, and kept in target/model-check.txt, which `make test` shows after the suites
/// (cargo keeps a passing test's output to itself).
fn report(text: String) {
    use std::io::Write;
    println!("{text}");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/model-check.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open target/model-check.txt");
    file.write_all(format!("{text}\n").as_bytes())
        .expect("write target/model-check.txt");
}

/// The shortest trace to a state that breaks `property`, one step a line.
fn trace(checker: &impl Checker<System>, property: &'static str) -> String {
    let path = checker
        .discovery(property)
        .unwrap_or_else(|| panic!("the checker found no trace that breaks: {property}"));
    let last: State = path.last_state().clone();
    let mut lines: Vec<String> = path
        .into_vec()
        .iter()
        .filter_map(|(state, action): &(State, Option<Action>)| {
            action
                .as_ref()
                .map(|action| checker.model().describe(state, action))
        })
        .enumerate()
        .map(|(i, line)| format!("  {:>2}. {line}", i + 1))
        .collect();
    for (spec, client) in checker.model().clients.iter().zip(&last.clients) {
        lines.push(format!("  {} last heard {:?}", spec.name, client.last));
    }
    format!("broken: {property}\n{}", lines.join("\n"))
}

#[test]
fn the_one_transaction_design_keeps_every_promise_in_every_interleaving() {
    let checker = check(System::new(Design::OneTransaction, BOUNDS), None);
    for property in SAFETY.into_iter().chain([DEFINITIVE]) {
        if checker.discovery(property).is_some() {
            panic!("{}", trace(&checker, property));
        }
    }
    // And what it checks happens: a commit, a retry meeting its own write, a record read in
    // its expiry second, an engine reopening a cancel (the `sometimes` properties).
    checker.assert_properties();
}

#[test]
fn token_first_answers_200_for_a_cancel_that_never_happened() {
    let checker = check(System::new(Design::TokenFirst, BOUNDS), Some(TRUE_200));
    report(trace(&checker, TRUE_200));
}

#[test]
fn read_update_put_answers_a_retry_with_resource_in_use() {
    let checker = check(System::new(Design::ReadUpdatePut, BOUNDS), Some(SAME_BYTES));
    report(trace(&checker, SAME_BYTES));
}

#[test]
fn a_token_condition_loosened_at_its_expiry_second_cancels_twice_under_one_live_token() {
    let checker = check(
        System::new(Design::OneTransaction, BOUNDS)
            .with_condition(TokenCondition::LoosenedAtExpiry),
        Some(ONCE),
    );
    report(trace(&checker, ONCE));
}

#[test]
#[ignore = "minutes: `make model-deep`"]
fn a_deeper_run_keeps_every_promise_too() {
    let deeper = Bounds {
        engine_steps: 2,
        ..BOUNDS
    };
    let system = System::new(Design::OneTransaction, deeper).with_a_second_token();
    let started = Instant::now();
    let checker = system
        .checker()
        .threads(2)
        .timeout(DEEP_TIME_BOUND)
        .spawn_bfs()
        .join();
    let complete = started.elapsed() < DEEP_TIME_BOUND;
    report(format!(
        "model checker, deeper (four clients, two engine moves): {} states ({} unique), depth {}, \
         {:.0} s, {}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        started.elapsed().as_secs_f64(),
        if complete {
            "complete"
        } else {
            "stopped at its time bound: every state so far checked"
        }
    ));
    for property in SAFETY.into_iter().chain([DEFINITIVE]) {
        if checker.discovery(property).is_some() {
            panic!("{}", trace(&checker, property));
        }
    }
}

/// How long `make model-deep` explores.
const DEEP_TIME_BOUND: std::time::Duration = std::time::Duration::from_secs(20 * 60);
