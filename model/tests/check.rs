//! The model checker's runs: the real design keeps every promise in every interleaving within
//! the bounds; the other two designs of BENCHMARKS.md, and a token condition loosened at its
//! expiry second, each break one, and the shortest trace that breaks it is printed.
//! `make test` shows their figures and traces (target/model-check.txt); `make model-deep` runs
//! the ignored deeper one.

use std::time::{Duration, Instant};

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

/// When a run stops.
enum Until {
    /// Every reachable state checked.
    Exhausted,
    /// The first (shortest) trace that breaks this property.
    Broken(&'static str),
    /// Every reachable state, or as many as this allows.
    TimeBound(Duration),
}

fn check(system: System, until: Until) -> impl Checker<System> {
    let label = format!(
        "{:?}, {:?}, {} clients, {} engine moves",
        system.design,
        system.condition,
        system.clients.len(),
        system.bounds.engine_steps
    );
    let started = Instant::now();
    let builder = system.checker().threads(2);
    let builder = match until {
        Until::Exhausted => builder,
        Until::Broken(property) => builder.finish_when(HasDiscoveries::AnyOf([property].into())),
        Until::TimeBound(bound) => builder.timeout(bound),
    };
    let checker = builder.spawn_bfs().join();
    let elapsed = started.elapsed();
    let stopped = match until {
        Until::TimeBound(bound) if elapsed >= bound => {
            ", stopped at its time bound: every state so far checked"
        }
        _ => "",
    };
    report(format!(
        "model checker, {label}: {} states ({} unique), depth {}, {:.1} s{stopped}",
        checker.state_count(),
        checker.unique_state_count(),
        checker.max_depth(),
        elapsed.as_secs_f64()
    ));
    checker
}

/// No safety property broken, and the liveness one kept, in any state the run reached.
fn assert_every_promise_kept(checker: &impl Checker<System>) {
    for property in SAFETY.into_iter().chain([DEFINITIVE]) {
        if checker.discovery(property).is_some() {
            panic!("{}", trace(checker, property));
        }
    }
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
    let checker = check(
        System::new(Design::OneTransaction, BOUNDS),
        Until::Exhausted,
    );
    assert_every_promise_kept(&checker);
    // And what it checks happens: a commit, a retry meeting its own write, a record read in
    // its expiry second, an engine reopening a cancel (the `sometimes` properties).
    checker.assert_properties();
}

#[test]
fn token_first_answers_200_for_a_cancel_that_never_happened() {
    let checker = check(
        System::new(Design::TokenFirst, BOUNDS),
        Until::Broken(TRUE_200),
    );
    report(trace(&checker, TRUE_200));
}

#[test]
fn read_update_put_answers_a_retry_with_resource_in_use() {
    let checker = check(
        System::new(Design::ReadUpdatePut, BOUNDS),
        Until::Broken(SAME_BYTES),
    );
    report(trace(&checker, SAME_BYTES));
}

#[test]
fn a_token_condition_loosened_at_its_expiry_second_cancels_twice_under_one_live_token() {
    let checker = check(
        System::new(Design::OneTransaction, BOUNDS)
            .with_condition(TokenCondition::LoosenedAtExpiry),
        Until::Broken(ONCE),
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
    let checker = check(
        System::new(Design::OneTransaction, deeper).with_a_second_token(),
        Until::TimeBound(DEEP_TIME_BOUND),
    );
    assert_every_promise_kept(&checker);
}

/// How long `make model-deep` explores.
const DEEP_TIME_BOUND: Duration = Duration::from_secs(20 * 60);
