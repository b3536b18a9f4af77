//! The stateright adapter (benches/stateright_models, what the comparison bench runs)
//! runs the examples as the explorer does: its models give the examples' verdicts, and
//! reach exactly the node states the explorer reaches, after every step and at the end,
//! under both of stateright's checkers. A node's state carries its Lamport clock, which
//! grows with every message it gets, and what it was sent: a message the adapter dropped,
//! duplicated or sent elsewhere would show as a state the explorer does not reach.

#[path = "../../benches/stateright_models/mod.rs"]
mod stateright_models;

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use causet_explore::examples::{kv, mutex};
use causet_explore::{ExploreError, Explorer, Report};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::{Checker, CheckerBuilder, Model, Path};

use stateright_models::{Adapted, Node, at_end};

/// One of stateright's two checkers.
#[derive(Clone, Copy, Debug)]
enum Search {
    Bfs,
    Dfs,
}

/// Runs the checker `builder` describes, of kind `search`, to its end: the properties it
/// found broken, sorted.
fn failures<M>(builder: CheckerBuilder<M>, search: Search) -> Vec<&'static str>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + Debug + PartialEq + Send + Sync + 'static,
{
    let mut found: Vec<_> = match search {
        Search::Bfs => builder
            .spawn_bfs()
            .join()
            .discoveries()
            .into_keys()
            .collect(),
        Search::Dfs => builder
            .spawn_dfs()
            .join()
            .discoveries()
            .into_keys()
            .collect(),
    };
    found.sort_unstable();
    found
}

#[test]
fn the_models_give_the_examples_verdicts() {
    for nodes in [2, 3] {
        for search in [Search::Bfs, Search::Dfs] {
            let what = format!("{nodes} nodes, {search:?}");
            let kv_clean = stateright_models::kv::model(nodes, 2, false).checker();
            assert_eq!(failures(kv_clean, search), Vec::<&str>::new(), "kv, {what}");
            let kv_bug = stateright_models::kv::model(nodes, 2, true).checker();
            assert_eq!(
                failures(kv_bug, search),
                [kv::NO_WRITE_IS_LOST],
                "kv --bug, {what}"
            );
            let mutex_clean = stateright_models::mutex::model(nodes, 1, false).checker();
            assert_eq!(
                failures(mutex_clean, search),
                Vec::<&str>::new(),
                "mutex, {what}"
            );
            let mutex_bug = stateright_models::mutex::model(nodes, 1, true).checker();
            assert!(
                failures(mutex_bug, search).contains(&mutex::MUTUAL_EXCLUSION),
                "mutex --bug, {what}"
            );
        }
        // The explorer's verdicts on the same examples.
        assert_eq!(
            kv::explorer(nodes, 2, false).dpor().unwrap().violation,
            None
        );
        let kv_bug = kv::explorer(nodes, 2, true).dpor().unwrap().violation;
        assert_eq!(kv_bug.unwrap().property, kv::NO_WRITE_IS_LOST);
        assert_eq!(
            mutex::explorer(nodes, 1, false).dpor().unwrap().violation,
            None
        );
        let mutex_bug = mutex::explorer(nodes, 1, true).dpor().unwrap().violation;
        assert_eq!(mutex_bug.unwrap().property, mutex::MUTUAL_EXCLUSION);
    }
}

/// Sets of all nodes' states.
type States<A> = HashSet<Vec<A>>;

/// The states a search reaches: at the start and after every step, and at the ends.
#[derive(Debug, PartialEq)]
struct Reached<A: Eq + Hash> {
    all: States<A>,
    ends: States<A>,
}

impl<A: Eq + Hash> Default for Reached<A> {
    fn default() -> Self {
        Reached {
            all: States::new(),
            ends: States::new(),
        }
    }
}

/// What `explorer` reaches when `search` explores it completely and finds no violation.
fn explored<A: Node + 'static>(
    explorer: Explorer<A>,
    search: impl FnOnce(&Explorer<A>) -> Result<Report, ExploreError>,
) -> Reached<A> {
    let reached = Rc::new(RefCell::new(Reached::default()));
    let (all, ends) = (reached.clone(), reached.clone());
    let explorer = explorer
        .invariant("recorded", move |nodes: &[A]| {
            all.borrow_mut().all.insert(nodes.to_vec());
            true
        })
        .at_end("recorded at the end", move |nodes: &[A]| {
            ends.borrow_mut().ends.insert(nodes.to_vec());
            true
        });
    let report = search(&explorer).expect("explores");
    assert!(report.stats.complete, "{:?}", report);
    reached.replace(Reached::default())
}

/// What the stateright `model` reaches under `search` (finding no failure): its nodes'
/// states, whatever is in flight.
fn checked<A, C>(model: ActorModel<Adapted<A>, C>, search: Search) -> Reached<A>
where
    A: Node + Send + Sync + 'static,
    A::Message: Send + Sync,
    C: Debug + Send + Sync + 'static,
{
    let reached = Arc::new(Mutex::new(Reached::default()));
    let sink = reached.clone();
    let visit = move |path: Path<ActorModelState<Adapted<A>>, _>| {
        let state = path.last_state();
        let nodes: Vec<A> = state.actor_states.iter().map(|n| A::clone(n)).collect();
        let mut reached = sink.lock().unwrap();
        if at_end(state) {
            reached.ends.insert(nodes.clone());
        }
        reached.all.insert(nodes);
    };
    let found = failures(model.checker().visitor(visit), search);
    assert_eq!(found, Vec::<&str>::new(), "{search:?}");
    std::mem::take(&mut *reached.lock().unwrap())
}

/// Asserts that both stateright checkers reach what the explorer reached, `ours`
/// (`all_states`: every state, or only the ends).
fn same<A: Debug + Eq + Hash>(
    what: &str,
    ours: &Reached<A>,
    theirs: impl Fn(Search) -> Reached<A>,
    all_states: bool,
) {
    assert!(!ours.ends.is_empty(), "{what}");
    for search in [Search::Bfs, Search::Dfs] {
        let theirs = theirs(search);
        // Sizes first: a short message when they differ.
        assert_eq!(
            ours.ends.len(),
            theirs.ends.len(),
            "{what}, {search:?}: ends"
        );
        assert!(ours.ends == theirs.ends, "{what}, {search:?}: ends");
        if all_states {
            assert_eq!(ours.all.len(), theirs.all.len(), "{what}, {search:?}");
            assert!(ours.all == theirs.all, "{what}, {search:?}");
        }
    }
}

#[test]
fn the_models_reach_every_state_the_explorer_reaches_and_no_other() {
    // Every order of deliveries (naive) reaches every state there is.
    for (nodes, writes) in [(2, 2), (3, 1), (3, 2)] {
        let ours = explored(kv::explorer(nodes, writes, false), Explorer::naive);
        let theirs = |search| checked(stateright_models::kv::model(nodes, writes, false), search);
        same(
            &format!("kv, {nodes} nodes, {writes} writes"),
            &ours,
            theirs,
            true,
        );
    }
    for (nodes, rounds) in [(2, 1), (2, 2)] {
        let ours = explored(mutex::explorer(nodes, rounds, false), Explorer::naive);
        let theirs = |search| {
            checked(
                stateright_models::mutex::model(nodes, rounds, false),
                search,
            )
        };
        same(
            &format!("mutex, {nodes} nodes, {rounds} rounds"),
            &ours,
            theirs,
            true,
        );
    }
}

#[test]
fn the_models_reach_the_end_states_the_explorer_reaches() {
    // DPOR runs one execution per trace, and every order of a trace ends in the same
    // state: it reaches every end state, though not every state on the way.
    for (nodes, writes) in [(3, 2), (4, 1)] {
        let ours = explored(kv::explorer(nodes, writes, false), Explorer::dpor);
        let theirs = |search| checked(stateright_models::kv::model(nodes, writes, false), search);
        same(
            &format!("kv, {nodes} nodes, {writes} writes"),
            &ours,
            theirs,
            false,
        );
    }
    let ours = explored(mutex::explorer(3, 1, false), Explorer::dpor);
    let theirs = |search| checked(stateright_models::mutex::model(3, 1, false), search);
    same("mutex, 3 nodes, 1 round", &ours, theirs, false);
}
