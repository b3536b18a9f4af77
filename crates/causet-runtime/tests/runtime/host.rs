//! [`Host`]: the same actors as OS processes, OS threads and tokio tasks.

use std::sync::Arc;

use causet_runtime::{Actor, Context, Host, Mode, Roster, serve_node_process};
use serde::{Deserialize, Serialize};

/// Passes a token around the ring `rounds` times; each node arms its timer at start and
/// counts the firing; records the process it ran in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Ring {
    rounds: u32,
    got: u32,
    fired: u32,
    pid: u32,
}

impl Actor for Ring {
    type Message = u32;
    fn on_start(&mut self, ctx: &mut Context<'_, u32>) {
        self.pid = std::process::id();
        ctx.set_timer();
        if ctx.me() == 0 {
            ctx.send(1, 0);
        }
    }
    fn on_message(&mut self, _from: usize, hops: u32, ctx: &mut Context<'_, u32>) {
        self.got += 1;
        let hops = hops + 1;
        if hops < self.rounds * ctx.nodes() as u32 {
            ctx.send((ctx.me() + 1) % ctx.nodes(), hops);
        }
    }
    fn on_timer(&mut self, ctx: &mut Context<'_, u32>) {
        self.fired += 1;
        ctx.local("fired");
    }
}

/// Sends to itself: the host refuses it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Narcissus;

impl Actor for Narcissus {
    type Message = ();
    fn on_start(&mut self, ctx: &mut Context<'_, ()>) {
        if ctx.me() == 1 {
            ctx.send(1, ());
        }
    }
    fn on_message(&mut self, _: usize, (): (), _: &mut Context<'_, ()>) {}
}

const THIS_TEST: &str = "host::the_same_actors_run_as_processes_threads_and_tasks";

#[test]
fn the_same_actors_run_as_processes_threads_and_tasks() {
    serve_node_process::<Ring>("ring");
    serve_node_process::<Narcissus>("narcissus");

    for mode in [Mode::Process, Mode::Thread, Mode::Task] {
        for n in [2, 4, 7] {
            let ring = (0..n)
                .map(|_| Ring {
                    rounds: 3,
                    ..Ring::default()
                })
                .collect();
            let roster = Arc::new(Roster::new((0..n).map(|i| format!("r{i}"))).unwrap());
            let nodes = Host::new("ring", ring)
                .roster(roster)
                .mode(mode)
                .node_args([THIS_TEST, "--exact"])
                .run()
                .unwrap_or_else(|err| panic!("{mode}, {n} nodes: {err}"));
            assert_eq!(nodes.len(), n);
            let got: u32 = nodes.iter().map(|node| node.actor.got).sum();
            assert_eq!(got, 3 * n as u32, "{mode}: three times round the ring");
            assert!(
                nodes.iter().all(|node| node.actor.fired == 1),
                "{mode}: timers fire"
            );
            let me = std::process::id();
            let mut pids: Vec<u32> = nodes.iter().map(|node| node.actor.pid).collect();
            if mode == Mode::Process {
                pids.sort_unstable();
                pids.dedup();
                assert_eq!(pids.len(), n, "one process per node");
                assert!(!pids.contains(&me));
            } else {
                assert!(pids.iter().all(|&pid| pid == me));
            }
            // The logs: the node's own events, named by the roster.
            let log = String::from_utf8(nodes[1].log.clone()).unwrap();
            assert!(log.starts_with("r1 {"), "{log}");
            assert!(log.contains("\nfired\n"), "{log}");
        }

        let err = Host::new("narcissus", vec![Narcissus, Narcissus])
            .mode(mode)
            .node_args([THIS_TEST, "--exact"])
            .run()
            .expect_err("a send to itself");
        assert!(
            err.to_string().contains("does not send to itself"),
            "{mode}: {err}"
        );
    }
}

#[test]
fn a_roster_of_another_size_is_refused() {
    for mode in [Mode::Process, Mode::Thread, Mode::Task] {
        let err = Host::new("ring", vec![Ring::default(); 3])
            .roster(Arc::new(Roster::numbered(2)))
            .mode(mode)
            .run()
            .expect_err("3 actors, 2 names");
        assert!(
            err.to_string().contains("3 actors for a roster of 2"),
            "{err}"
        );
    }
}

#[test]
fn a_binary_that_does_not_serve_its_nodes_is_reported() {
    // This test does not call serve_node_process: its node processes run the test again
    // as a plain test, whose host refuses to start nodes from a node process, and exit.
    let err = Host::new("unserved", vec![Ring::default(), Ring::default()])
        .mode(Mode::Process)
        .node_args([
            "host::a_binary_that_does_not_serve_its_nodes_is_reported",
            "--exact",
        ])
        .run()
        .expect_err("nobody serves the nodes");
    assert!(
        err.to_string().contains("serve_node_process(\"unserved\")"),
        "{err}"
    );
}

/// The demo workloads are actors like any user's: `Host` runs their programs in every mode
/// to the end the plan sets (every node done, every planned message received, nothing
/// unexpected), as the demo cluster's own hosts do.
#[test]
fn the_demo_workloads_run_under_host_in_every_mode() {
    use causet_runtime::demo::{Plan, Program, Workload};
    const THIS: &str = "host::the_demo_workloads_run_under_host_in_every_mode";
    serve_node_process::<Program>("demo-programs");

    for mode in [Mode::Process, Mode::Thread, Mode::Task] {
        for workload in Workload::ALL {
            let plan = Plan::new(workload, 4, 3, 7).unwrap();
            let programs = (0..4).map(|me| plan.program(me)).collect();
            let nodes = Host::new("demo-programs", programs)
                .mode(mode)
                .node_args([THIS, "--exact"])
                .run()
                .unwrap_or_else(|err| panic!("{mode}, {workload}: {err}"));
            for (me, node) in nodes.iter().enumerate() {
                let program = &node.actor;
                assert!(program.is_done(), "{mode}, {workload}, node{me}: not done");
                assert_eq!(program.missing(), 0, "{mode}, {workload}, node{me}");
                assert_eq!(program.unexpected(), 0, "{mode}, {workload}, node{me}");
            }
            // Every send is received: as many receive lines as send lines in all logs.
            let count = |word: &str| -> usize {
                nodes
                    .iter()
                    .map(|node| {
                        String::from_utf8_lossy(&node.log)
                            .lines()
                            .filter(|line| line.starts_with(word))
                            .count()
                    })
                    .sum()
            };
            assert_eq!(count("send "), count("receive "), "{mode}, {workload}");
            assert_eq!(
                count("send ") as u64,
                plan.total_messages(),
                "{mode}, {workload}"
            );
        }
    }
}
