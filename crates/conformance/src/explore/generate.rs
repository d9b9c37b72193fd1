//! Random sessions, drawn by proptest: each case from its own generator,
//! seeded from the run's seed and the case's number, so `--seed S` gives
//! the same sessions on every machine and case `i` can be drawn again (to
//! shrink it) without drawing the cases before it.

use proptest::prelude::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::model::{Agent, App, Session, Step, User, UserRef};

fn agent() -> impl Strategy<Value = Agent> {
    prop_oneof![Just(Agent::A), Just(Agent::B)]
}

fn user() -> impl Strategy<Value = User> {
    prop_oneof![Just(User::Alice), Just(User::Bob), Just(User::Carol)]
}

/// One step. The simplest kinds come first: proptest shrinks a union
/// towards its first branch, and an `Option` towards `None`.
pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (
            prop_oneof![Just(App::Blueprint), Just(App::Daemon)],
            proptest::option::of(agent()),
        )
            .prop_map(|(app, fmi_path)| Step::AppToken {
                app,
                // Only the blueprint has agents to ask T1 for.
                fmi_path: fmi_path.filter(|_| app == App::Blueprint),
            }),
        2 => agent().prop_map(|agent| Step::Leg2 { agent }),
        2 => (
            agent(),
            user(),
            prop_oneof![Just(UserRef::Upn), Just(UserRef::ObjectId)],
        )
            .prop_map(|(agent, user, by)| Step::UserFic { agent, user, by }),
        1 => (agent(), user()).prop_map(|(agent, user)| Step::Silent { agent, user }),
        1 => (1u64..=2).prop_map(|hours| Step::ClockMoves { hours }),
    ]
}

/// A session of one to `max_steps` steps.
pub fn session(max_steps: usize) -> impl Strategy<Value = Session> {
    proptest::collection::vec(step(), 1..=max_steps.max(1)).prop_map(|steps| Session { steps })
}

/// The generator of case `case` of the run seeded with `seed`.
pub fn runner(seed: u64, case: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&case.to_le_bytes());
    // A fixed tag keeps the stream apart from any other use of the seed.
    bytes[16..24].copy_from_slice(b"explore1");
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    TestRunner::new_with_rng(Config::default(), rng)
}

/// Case `case` of the run seeded with `seed`, as a tree proptest can shrink.
pub fn case_tree(seed: u64, case: u64, max_steps: usize) -> Box<dyn ValueTree<Value = Session>> {
    let mut runner = runner(seed, case);
    let tree = session(max_steps)
        .new_tree(&mut runner)
        .expect("the session strategy never rejects a value");
    Box::new(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_sessions() {
        let draw = |seed| {
            (0..30)
                .map(|case| case_tree(seed, case, 6).current())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        let sessions = draw(1);
        assert!(sessions.iter().all(|s| (1..=6).contains(&s.steps.len())));
        // Every kind of step turns up within a few dozen sessions.
        for kind in super::super::model::StepKind::ALL {
            assert!(
                sessions
                    .iter()
                    .flat_map(|s| &s.steps)
                    .any(|s| s.kind() == kind),
                "no {} step in 30 sessions",
                kind.name()
            );
        }
    }

    #[test]
    fn shrinking_drops_steps_and_is_deterministic() {
        let shrink = || {
            let mut tree = case_tree(7, 3, 6);
            let mut seen = vec![tree.current()];
            while tree.simplify() {
                seen.push(tree.current());
            }
            seen
        };
        let (a, b) = (shrink(), shrink());
        assert_eq!(a, b);
        assert!(a.last().unwrap().steps.len() <= a[0].steps.len());
    }
}
