//! The stateright models of the examples (benches/stateright_models, what the comparison
//! bench runs) are the same protocols: the same verdicts, and for `kv` the same end
//! states (every replica's kept writes) as our exploration reaches.

#[path = "../../benches/stateright_models/mod.rs"]
mod stateright_models;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use causet_explore::examples::{kv, mutex};
use stateright::actor::ActorModelState;
use stateright::{Checker, Model, Path};

fn failures<M>(model: M) -> Vec<&'static str>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    let checker = model.checker().spawn_bfs().join();
    let mut found: Vec<_> = checker.discoveries().into_keys().collect();
    found.sort_unstable();
    found
}

#[test]
fn stateright_models_agree_with_the_examples() {
    for nodes in [2, 3] {
        assert_eq!(
            failures(stateright_models::kv::model(nodes, 2, false)),
            Vec::<&str>::new()
        );
        assert_eq!(
            failures(stateright_models::kv::model(nodes, 2, true)),
            ["no write is lost"]
        );
        assert!(
            kv::explorer(nodes, 2, true)
                .dpor()
                .unwrap()
                .violation
                .is_some()
        );
        assert_eq!(
            failures(stateright_models::mutex::model(nodes, 1, false)),
            Vec::<&str>::new()
        );
        assert!(
            failures(stateright_models::mutex::model(nodes, 1, true)).contains(&"mutual exclusion")
        );
        assert!(
            mutex::explorer(nodes, 1, true)
                .dpor()
                .unwrap()
                .violation
                .is_some()
        );
    }
}

type Ends = BTreeSet<Vec<Vec<u32>>>;

#[test]
fn kv_reaches_the_same_end_states_under_both_checkers() {
    for (nodes, writes) in [(2, 2), (3, 1), (3, 2), (4, 1)] {
        let ours = Rc::new(RefCell::new(Ends::new()));
        let sink = ours.clone();
        let report = kv::explorer(nodes, writes, false)
            .at_end("recorded", move |replicas: &[kv::Kv]| {
                sink.borrow_mut()
                    .insert(replicas.iter().map(kv::Kv::siblings).collect());
                true
            })
            .dpor()
            .unwrap();
        assert!(report.stats.complete);

        let theirs = Arc::new(Mutex::new(Ends::new()));
        let sink = theirs.clone();
        type State = ActorModelState<stateright_models::kv::KvActor>;
        let visit = move |path: Path<State, _>| {
            let state = path.last_state();
            if state.network.len() == 0 {
                sink.lock()
                    .unwrap()
                    .insert(state.actor_states.iter().map(|r| r.siblings()).collect());
            }
        };
        stateright_models::kv::model(nodes, writes, false)
            .checker()
            .visitor(visit)
            .spawn_bfs()
            .join();
        let theirs = theirs.lock().unwrap().clone();
        assert!(!theirs.is_empty());
        assert_eq!(*ours.borrow(), theirs, "kv, {nodes} nodes, {writes} writes");
    }
}
