"""causet's VectorClock from Python beside the pure-Python peers, and the cost of a message.

    python crates/causet-py/bench/bench.py [--quick]

(in a virtualenv with causet installed, `pip install vectorclock` for the peer). For 4 to
256 nodes, in one run: merge (in place, element-wise max) and compare (a full pass: the
clocks are ordered, so no early exit) of

- causet.VectorClock (Rust, causet-clock's VersionVector<String>);
- vectorclock.VectorClock (PyPI `vectorclock`, pure Python; it has no merge, so merge is
  its own get_clock/set_clock per entry, as a user would write it);
- a plain dict and a Python loop (the hand-written baseline).

Then per message: Node.prepare_send + Node.unpack_receive with both events flushed to their
log files, beside a bare multiprocessing.Queue put + get and causet.Queue's stamped put + get
around the same queue. Prints medians of 7 rounds (each round times every variant once, in turn) (ns or us per operation) and the ratios.
"""

import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import timeit

import causet

try:
    from vectorclock import vectorclock
except ImportError:  # the peer is optional: the table then says so
    vectorclock = None

QUICK = "--quick" in sys.argv
REPEAT = 3 if QUICK else 7


def per_op(statements, scope, target=0.1):
    """{name: median seconds per run} of `statements` ({name: statement}), timed in turns:
    each of the REPEAT rounds times every statement once, so that a load on the machine
    falls on all of them alike and the ratios within a row stay fair."""
    timers = {}
    for name, statement in statements.items():
        timer = timeit.Timer(statement, globals=scope)
        number, took = timer.autorange()
        timers[name] = (timer, max(1, int(number * target / max(took, 1e-9))))
    samples = {name: [] for name in statements}
    for _ in range(REPEAT):
        for name, (timer, number) in timers.items():
            samples[name].append(timer.timeit(number) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def dict_merge(a, b):
    for node, n in b.items():
        if n > a.get(node, 0):
            a[node] = n


def dict_compare(a, b):
    less = greater = False
    for node in a.keys() | b.keys():
        x, y = a.get(node, 0), b.get(node, 0)
        if x < y:
            less = True
        elif x > y:
            greater = True
        if less and greater:
            return "concurrent"
    return "before" if less else "after" if greater else "equal"


def peer_merge(a, b):
    for node, n in b.clocks.items():
        if n > a.get_clock(node, 0):
            a.set_clock(node, n)


def clocks(n):
    rng = random.Random(n)
    a = {f"node{i}": rng.randint(1, 1000) for i in range(n)}
    b = {node: value + rng.randint(0, 1) for node, value in a.items()}
    b[f"node{n - 1}"] += 1  # a < b strictly: compare needs the whole pass
    return a, b


def clock_table(sizes):
    rows = []
    for n in sizes:
        a, b = clocks(n)
        ours_a, ours_b = causet.VectorClock(a), causet.VectorClock(b)
        assert ours_a.compare(ours_b) is causet.Causality.BEFORE and dict_compare(a, b) == "before"
        scope = {
            "ours_a": ours_a.copy(), "ours_b": ours_b, "dict_a": dict(a), "dict_b": b,
            "dict_merge": dict_merge, "dict_compare": dict_compare,
            "cmp_a": ours_a, "cmp_da": a,
        }  # fmt: skip
        statements = {
            "merge_causet": "ours_a.merge(ours_b)",
            "merge_dict": "dict_merge(dict_a, dict_b)",
            "compare_causet": "cmp_a.compare(ours_b)",
            "lt_causet": "cmp_a < ours_b",
            "compare_dict": "dict_compare(cmp_da, dict_b)",
        }
        if vectorclock is not None:
            peer_a, peer_b = vectorclock.VectorClock(a), vectorclock.VectorClock(b)
            assert peer_a.compare(peer_b, False) == -1
            scope.update(peer_a=vectorclock.VectorClock(a), peer_b=peer_b, peer_merge=peer_merge, cmp_pa=peer_a)
            statements["merge_peer"] = "peer_merge(peer_a, peer_b)"
            statements["compare_peer"] = "cmp_pa.compare(peer_b, False)"
        row = {"n": n, **per_op(statements, scope)}
        rows.append(row)
    return rows


def message_table():
    with tempfile.TemporaryDirectory() as tmp:
        alice = causet.Node("alice", os.path.join(tmp, "alice.log"))
        bob = causet.Node("bob", os.path.join(tmp, "bob.log"))
        payload = b"x" * 32

        def stamped():
            bob.unpack_receive("receive", alice.prepare_send("send", payload))

        queue = multiprocessing.Queue()

        def bare():
            queue.put(payload)
            queue.get()

        wrapped = causet.Queue(queue)

        def through_wrapper():
            wrapped.put(payload, node=alice)
            wrapped.get(node=bob)

        scope = {"stamped": stamped, "bare": bare, "through_wrapper": through_wrapper}
        result = per_op(
            {"node_pair": "stamped()", "mp_queue": "bare()", "causet_queue": "through_wrapper()"}, scope
        )
        alice.close()
        bob.close()
        return result


def main():
    sizes = [4, 16, 64, 256]
    print(f"causet {causet.__version__}, Python {sys.version.split()[0]}, "
          f"vectorclock {'not installed' if vectorclock is None else '(PyPI)'}")  # fmt: skip
    rows = clock_table(sizes)
    ns = lambda s: f"{s * 1e9:,.0f}"  # noqa: E731
    print("\nmerge, ns per operation (median of %d)" % REPEAT)
    print("| nodes | causet | vectorclock | dict loop | vectorclock / causet | dict / causet |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peer = r.get("merge_peer")
        print(f"| {r['n']} | {ns(r['merge_causet'])} | {ns(peer) if peer else '-'} | {ns(r['merge_dict'])} | "
              f"{peer / r['merge_causet']:.1f}x | {r['merge_dict'] / r['merge_causet']:.1f}x |" if peer else
              f"| {r['n']} | {ns(r['merge_causet'])} | - | {ns(r['merge_dict'])} | - | {r['merge_dict'] / r['merge_causet']:.1f}x |")  # fmt: skip
    print("\ncompare (ordered clocks: a full pass), ns per operation (median of %d)" % REPEAT)
    print("| nodes | causet compare | causet `<` | vectorclock | dict loop | vectorclock / causet | dict / causet |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peer = r.get("compare_peer")
        print(f"| {r['n']} | {ns(r['compare_causet'])} | {ns(r['lt_causet'])} | {ns(peer) if peer else '-'} | "
              f"{ns(r['compare_dict'])} | {(peer / r['compare_causet']) if peer else float('nan'):.1f}x | "
              f"{r['compare_dict'] / r['compare_causet']:.1f}x |")  # fmt: skip
    m = message_table()
    us = lambda s: f"{s * 1e6:.2f}"  # noqa: E731
    print("\nper message, us (median of %d)" % REPEAT)
    print("| path | us per message | vs bare queue |")
    print("|---|---:|---:|")
    print(f"| Node.prepare_send + unpack_receive, both events flushed to their logs | {us(m['node_pair'])} | {m['node_pair'] / m['mp_queue']:.2f}x |")
    print(f"| bare multiprocessing.Queue put + get | {us(m['mp_queue'])} | 1.00x |")
    print(f"| causet.Queue put + get (stamped, logged, same queue) | {us(m['causet_queue'])} | {m['causet_queue'] / m['mp_queue']:.2f}x |")


if __name__ == "__main__":
    main()
