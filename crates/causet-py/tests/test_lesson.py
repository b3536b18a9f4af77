"""The lesson's two programs (examples/python), run and checked through their merged logs."""

import itertools
import os
import re
import subprocess
import sys

import pytest

import causet
from causet import Causality
from helpers import causet_check

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python")


def run(program, log_dir, *args):
    done = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, program), *args, str(log_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    merged = log_dir / "causet.log"
    code, output = causet_check(merged)
    assert code == 0, output
    (execution,) = causet.read_log(merged)
    execution.check()
    return done.stdout, execution


def appends(execution):
    """{worker number: (event id, the glob_val it logged)}."""
    found = {}
    for event in execution.events:
        match = re.fullmatch(r"append (\d): glob_val = (\[.*\])", event.text)
        if match:
            found[int(match.group(1))] = (event.id, eval(match.group(2)))  # noqa: S307
    assert sorted(found) == [0, 1, 2, 3, 4]
    return found


def the_end(execution):
    (event,) = [e for e in execution.events if e.text.startswith("joined all")]
    return event


def main_event(execution, text):
    (event,) = [e for e in execution.events if e.node == "main" and e.text == text]
    return event


def test_processes_have_separate_memory_and_concurrent_appends(tmp_path):
    stdout, execution = run("processes.py", tmp_path)
    # Separate memory: each worker's list holds its own number, main's stays empty.
    for i in range(5):
        assert f"worker {i}: glob_val = [{i}]" in stdout
    assert "main: glob_val = []" in stdout
    found = appends(execution)
    assert all(values == [i] for i, (_, values) in found.items())
    assert sorted(execution.nodes) == sorted(["main"] + [f"worker{i}" for i in range(5)])
    # Pairwise concurrent across processes: nothing passes between workers.
    for (a, _), (b, _) in itertools.combinations(found.values(), 2):
        assert execution.order(a, b) is Causality.CONCURRENT
    # Each append is after its process's start and before its join, and main's end.
    end = the_end(execution)
    for i, (event_id, _) in found.items():
        assert execution.order(main_event(execution, f"start worker{i}").id, event_id) is Causality.BEFORE
        assert execution.order(event_id, main_event(execution, f"join worker{i}").id) is Causality.BEFORE
        assert execution.order(event_id, end.id) is Causality.BEFORE
    # Starting worker 4 does not order worker 0's append: the starts are sends, not joins.
    assert execution.order(main_event(execution, "start worker4").id, found[0][0]) is Causality.CONCURRENT


def test_threads_share_memory_but_their_appends_are_concurrent(tmp_path):
    stdout, execution = run("threads.py", tmp_path)
    final = re.search(r"main: glob_val = (\[.*\])", stdout)
    assert sorted(eval(final.group(1))) == [0, 1, 2, 3, 4]  # noqa: S307 (one shared list)
    found = appends(execution)
    # Concurrent although they share the list: memory is not a message.
    for (a, _), (b, _) in itertools.combinations(found.values(), 2):
        assert execution.order(a, b) is Causality.CONCURRENT
    # ... even where a thread saw another's number in the list it printed.
    end = the_end(execution)
    for event_id, _ in found.values():
        assert execution.order(event_id, end.id) is Causality.BEFORE


def test_threads_one_by_one_are_ordered_only_through_the_join(tmp_path):
    stdout, execution = run("threads.py", tmp_path, "--one-by-one")
    assert "main: glob_val = [0, 1, 2, 3, 4]" in stdout
    found = appends(execution)
    for i in range(5):
        assert found[i][1] == list(range(i + 1))
    events = {e.id: e for e in execution.events}
    for i in range(4):
        here, there = found[i][0], found[i + 1][0]
        join = main_event(execution, f"join thread{i}")
        start = main_event(execution, f"start thread{i + 1}")
        assert execution.order(here, there) is Causality.BEFORE
        # The path runs through main: thread i's exit reaches main's join, then the next start.
        assert execution.order(here, join.id) is Causality.BEFORE
        assert execution.order(join.id, start.id) is Causality.BEFORE
        assert execution.order(start.id, there) is Causality.BEFORE
        # ... and through nothing else: thread i+1 knows thread i exactly as main's join did.
        assert events[there].clock.get(f"thread{i}") == join.clock.get(f"thread{i}")


@pytest.mark.parametrize("method", ["spawn"])
def test_processes_example_also_runs_under_spawn(tmp_path, method):
    """The example's workers create their nodes themselves, so spawn works as fork does."""
    code = (
        "import multiprocessing, runpy, sys; multiprocessing.set_start_method(%r); "
        "sys.argv = ['processes.py', %r]; runpy.run_path(%r, run_name='__main__')"
    ) % (method, str(tmp_path), os.path.join(EXAMPLES, "processes.py"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (execution,) = causet.read_log(tmp_path / "causet.log")
    execution.check()
    assert len(appends(execution)) == 5
