"""read_log and its executions against the log's own rules."""

import pytest

import causet
from causet import Causality

LOG = """alice {"alice":1}
Sending ping
bob {"bob":1}
Starting
bob {"alice":1, "bob":2}
Received ping
"""


def test_read_log_order_pairs_check(tmp_path):
    path = tmp_path / "run.log"
    path.write_text(LOG)
    (execution,) = causet.read_log(path)
    assert execution.nodes == ["alice", "bob"]
    assert len(execution) == 3
    assert [e.id for e in execution.events] == ["alice:1", "bob:1", "bob:2"]
    assert [e.line for e in execution.events] == [1, 3, 5]
    assert execution.events[2].clock == causet.VectorClock({"alice": 1, "bob": 2})
    assert execution.events[2].text == "Received ping"
    assert execution.order("alice:1", "bob:2") is Causality.BEFORE
    assert execution.order(2, 0) is Causality.AFTER
    assert execution.order("alice:1", "bob:1") is Causality.CONCURRENT
    assert execution.order("bob:1", "bob:1") is Causality.EQUAL
    assert execution.concurrent_pairs() == 1
    assert execution.messages() == [("alice:1", "bob:2")]
    assert execution.summary() == {"name": "", "events": 3, "nodes": 2, "messages": 1, "concurrent_pairs": 1}
    execution.check()
    with pytest.raises(ValueError, match="unknown event .alice:9."):
        execution.order("alice:9", "bob:1")
    with pytest.raises(IndexError):
        execution.order(3, 0)


def test_concurrent_pairs_match_order_queries(tmp_path):
    path = tmp_path / "run.log"
    path.write_text(LOG + 'alice {"alice":2, "bob":1}\nlate\n')
    (execution,) = causet.read_log(path)
    n = len(execution)
    pairs = sum(
        execution.order(a, b) is Causality.CONCURRENT for a in range(n) for b in range(a + 1, n)
    )
    assert execution.concurrent_pairs() == pairs


def test_check_names_file_and_line(tmp_path):
    path = tmp_path / "bad.log"
    path.write_text('alice {"alice":1}\none\nalice {"alice":3}\nthree\n')
    (execution,) = causet.read_log(path)
    with pytest.raises(ValueError, match=r"bad.log:3: .*alice:2"):
        execution.check()
    execution.check(lenient=True)


def test_unreadable_logs_raise(tmp_path):
    path = tmp_path / "bad.log"
    path.write_text('alice {"alice":-1}\none\n')
    with pytest.raises(ValueError, match=r"bad.log:1"):
        causet.read_log(path)
    with pytest.raises(OSError):
        causet.read_log(tmp_path / "missing.log")


def test_view_writes_a_page(tmp_path):
    path = tmp_path / "run.log"
    path.write_text(LOG)
    assert causet.view(path, tmp_path / "view.html") == 3
    page = (tmp_path / "view.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html")
    assert "Received ping" in page
