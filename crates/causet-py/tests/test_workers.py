"""causet.Process and causet.Thread: start and join as messages."""

import os
import threading

import pytest

import causet
from causet import Causality, Node


def _hard_exit():
    os._exit(3)


def _log(text):
    causet.log_local(text)


def merged(tmp_path, names):
    out = tmp_path / "merged.log"
    causet.merge_logs([tmp_path / f"{n}.log" for n in names], out)
    (execution,) = causet.read_log(out)
    execution.check()
    return execution


def test_thread_start_and_join_order_the_workers_events(tmp_path):
    gate = threading.Event()
    with Node("main", tmp_path / "main.log") as main:
        t = causet.Thread(target=lambda: (gate.wait(10), causet.log_local("work")), name="w")
        t.start()
        t.join(0.01)  # still running: nothing received
        assert "w" not in main.clock
        gate.set()
        t.join()
        t.join()  # a second join adds nothing
        assert main.clock.to_dict() == {"main": 2, "w": 3}
    execution = merged(tmp_path, ["main", "w"])
    assert [e.text for e in execution.events if e.node == "w"] == ["started by main", "work", "exit"]
    assert execution.order("main:1", "w:2") is Causality.BEFORE
    assert execution.order("w:2", "main:2") is Causality.BEFORE


def test_a_failing_thread_still_sends_its_exit(tmp_path, monkeypatch):
    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_type))
    with Node("main", tmp_path / "main.log") as main:
        t = causet.Thread(target=lambda: 1 / 0, name="boom", log_dir=str(tmp_path))
        t.start()
        t.join()
        assert main.clock.get("boom") == 2
    assert raised == [ZeroDivisionError]  # the exception still reaches threading's hook


def test_process_start_and_join(tmp_path):
    """(Under spawn too: test_lesson runs processes.py with the spawn start method.)"""
    with Node("main", tmp_path / "main.log") as main:
        p = causet.Process(target=_log, args=("in the child",), name="child")
        p.start()
        p.join(60)
        assert p.exitcode == 0
        assert main.clock.to_dict() == {"child": 3, "main": 2}
    execution = merged(tmp_path, ["main", "child"])
    assert [e.text for e in execution.events if e.node == "child"] == ["started by main", "in the child", "exit"]
    assert execution.order("main:1", "child:2") is Causality.BEFORE
    assert execution.order("child:2", "main:2") is Causality.BEFORE


def test_a_process_that_dies_sends_no_exit(tmp_path):
    with Node("main", tmp_path / "main.log") as main:
        p = causet.Process(target=_hard_exit, name="crash")
        p.start()
        p.join(60)
        assert p.exitcode == 3
        assert "crash" not in main.clock or main.clock.get("crash") <= 1
    assert "join crash (it sent no exit stamp)" in (tmp_path / "main.log").read_text()


def test_start_needs_a_current_node():
    with pytest.raises(RuntimeError, match="no current causet.Node"):
        causet.Thread(target=lambda: None).start()
