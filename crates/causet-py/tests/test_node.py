"""Node: the events it logs, the clocks it carries, hostile bytes, files and processes."""

import multiprocessing
import os
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import causet
from causet import Causality, Node, VectorClock
from helpers import causet_check


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def test_send_receive_logs_govector_format(tmp_path):
    with Node("alice", tmp_path / "alice.log") as alice, Node("bob", tmp_path / "bob.log") as bob:
        alice.log_local("start")
        data = alice.prepare_send("send ping", b"ping")
        bob.log_local("idle")
        assert bob.unpack_receive("receive ping", data) == b"ping"
        assert bob.clock == VectorClock({"alice": 2, "bob": 2})
        assert alice.clock == VectorClock({"alice": 2})
        reply = bob.prepare_send("send pong\nline two", b"pong")
        assert alice.unpack_receive("receive pong", reply) == b"pong"
        assert alice.clock.to_dict() == {"alice": 3, "bob": 3}
    assert read(tmp_path / "alice.log") == (
        'alice {"alice":1}\nstart\n'
        'alice {"alice":2}\nsend ping\n'
        'alice {"alice":3, "bob":3}\nreceive pong\n'
    )
    assert read(tmp_path / "bob.log") == (
        'bob {"bob":1}\nidle\n'
        'bob {"alice":2, "bob":2}\nreceive ping\n'
        'bob {"alice":2, "bob":3}\nsend pong line two\n'
    )
    merged = tmp_path / "merged.log"
    assert causet.merge_logs([tmp_path / "alice.log", tmp_path / "bob.log"], merged) == 6
    (execution,) = causet.read_log(merged)
    execution.check()
    assert execution.order("alice:2", "bob:2") is Causality.BEFORE
    assert execution.order("alice:1", "bob:1") is Causality.CONCURRENT
    assert sorted(execution.messages()) == [("alice:2", "bob:2"), ("bob:3", "alice:3")]
    code, output = causet_check(merged)
    assert code == 0, output


def test_flushed_per_event_by_default(tmp_path):
    node = Node("n", tmp_path / "n.log")
    node.log_local("one")
    assert read(tmp_path / "n.log") == 'n {"n":1}\none\n'
    buffered = Node("b", tmp_path / "b.log", flush=False)
    buffered.log_local("one")
    assert read(tmp_path / "b.log") == ""
    buffered.flush()
    assert read(tmp_path / "b.log") == 'b {"b":1}\none\n'
    buffered.close()
    node.close()


def test_closed_node_refuses_events_and_context_manager_closes(tmp_path):
    with Node("n", tmp_path / "n.log") as node:
        assert causet.current_node() is node
        causet.log_local("via current node")
    assert node.closed
    with pytest.raises(ValueError, match="closed"):
        node.log_local("late")
    node.close()  # twice is fine
    with pytest.raises(RuntimeError, match="no current causet.Node"):
        causet.current_node()


def test_bad_names_and_paths(tmp_path):
    for name in ["", "a b", "x\ny", "é", "a" * 65]:
        with pytest.raises(ValueError, match="invalid node name"):
            Node(name, tmp_path / "x.log")
    with pytest.raises(OSError):
        Node("n", tmp_path / "no" / "such" / "dir.log")
    with pytest.raises(ValueError, match="appears twice"):
        Node("n", tmp_path / "x.log", cluster=["n", "m", "m"])
    with pytest.raises(ValueError, match="invalid node name"):
        Node("n", tmp_path / "x.log", cluster=["n", "bad name"])
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Node("n", tmp_path / "n.log"))


@given(st.binary(max_size=48))
def test_hostile_bytes_raise_value_error_and_change_nothing(data):
    node = HOSTILE_NODE
    before = node.clock
    size = os.path.getsize(node.log_path)
    try:
        node.unpack_receive("receive", data)
    except ValueError as err:
        assert str(err).startswith("malformed message: ")
        assert node.clock == before and os.path.getsize(node.log_path) == size
    else:
        assert node.clock > before


@given(st.data())
def test_mutated_messages_raise_value_error_or_merge(data):
    sender = Node("sender", os.devnull)
    for _ in range(data.draw(st.integers(1, 4))):
        sender.log_local("x")
    message = bytearray(sender.prepare_send("send", b"payload"))
    i = data.draw(st.integers(0, len(message) - 1))
    message[i] = data.draw(st.integers(0, 255))
    for candidate in (bytes(message), bytes(message[: data.draw(st.integers(0, len(message)))])):
        try:
            HOSTILE_NODE.unpack_receive("receive", candidate)
        except ValueError:
            pass


HOSTILE_NODE = Node("receiver", os.devnull)


def prefixed(clock, payload=b""):
    """A message in causet-tracing's byte-prefix form: varint length, binary stamp, payload."""
    stamp = bytes(clock)
    assert len(stamp) < 128
    return bytes([len(stamp)]) + stamp + payload


def test_open_messages_are_causet_tracings_byte_prefix(tmp_path):
    # The golden stamp of causet-tracing's docs: {"gateway":3, "orders":1}.
    stamp = VectorClock({"gateway": 3, "orders": 1})
    assert bytes(stamp) == bytes.fromhex("03 07") + b"gateway" + bytes.fromhex("03 06") + b"orders" + b"\x01"
    with Node("orders", tmp_path / "orders.log") as orders:
        orders.log_local("ready")
        assert orders.unpack_receive("receive order 7", prefixed(stamp, b"order 7")) == b"order 7"
        assert orders.clock.to_dict() == {"gateway": 3, "orders": 2}
        reply = orders.prepare_send("send ack", b"ack")
        assert reply == prefixed(VectorClock({"gateway": 3, "orders": 3}), b"ack")


def test_stamp_claiming_the_future_is_refused(tmp_path):
    with Node("bob", tmp_path / "bob.log") as bob:
        with pytest.raises(ValueError, match="claims 5 events of bob, which has had 0"):
            bob.unpack_receive("receive", prefixed(VectorClock({"bob": 5})))
        with pytest.raises(ValueError, match='stamp names node "a b"'):
            bob.unpack_receive("receive", prefixed(VectorClock({"a b": 1})))
        with pytest.raises(ValueError, match="above the maximum of 2\\^32-1"):
            bob.unpack_receive("receive", prefixed(VectorClock({"alice": 2**40})))
        cluster = Node("alice", os.devnull, cluster=["alice", "bob"]).prepare_send("s")
        with pytest.raises(ValueError, match="malformed message"):
            bob.unpack_receive("receive", cluster)
        assert bob.clock == VectorClock()
    assert read(tmp_path / "bob.log") == ""


def test_cluster_nodes_speak_the_runtimes_messages(tmp_path):
    names = ["alice", "bob"]
    with Node("alice", tmp_path / "a.log", cluster=names) as alice, Node("bob", tmp_path / "b.log", cluster=names) as bob:
        assert alice.cluster == ["alice", "bob"]
        data = alice.prepare_send("send", b"hi")
        assert data[0] == 0xC5
        assert bob.unpack_receive("receive", data) == b"hi"
        assert bob.clock.to_dict() == {"alice": 1, "bob": 1}
        with pytest.raises(ValueError, match="malformed message"):
            bob.unpack_receive("receive", Node("carol", os.devnull).prepare_send("s"))
        with pytest.raises(ValueError, match="malformed message"):
            bob.unpack_receive("receive", b"\xc5\x07\x00")
    assert read(tmp_path / "b.log") == 'bob {"alice":1, "bob":1}\nreceive\n'


def _child_uses_parents_node(node, results):
    try:
        node.log_local("from the child")
        results.put("logged")
    except RuntimeError as err:
        results.put(str(err))


def test_a_node_inherited_through_fork_refuses_to_log(tmp_path):
    node = Node("parent", tmp_path / "p.log")
    node.log_local("before fork")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child_uses_parents_node, args=(node, results))
    child.start()
    message = results.get(timeout=30)
    child.join(30)
    assert "create a Node in each process" in message
    node.close()
    assert read(tmp_path / "p.log") == 'parent {"parent":1}\nbefore fork\n'


def test_queue_wrappers_between_threads(tmp_path):
    import queue
    import threading

    q = causet.Queue(queue.Queue())

    def consumer():
        with Node("consumer", tmp_path / "c.log"):
            assert q.get() == {"n": 1}

    thread = threading.Thread(target=consumer)
    with Node("producer", tmp_path / "p.log"):
        thread.start()
        q.put({"n": 1})
        thread.join()
    assert read(tmp_path / "c.log") == "consumer {\"consumer\":1, \"producer\":1}\nget {'n': 1}\n"


def _pipe_child(connection, log_dir):
    with Node("child", os.path.join(log_dir, "child.log")):
        number = connection.recv()
        connection.send(number + 1)


def test_pipe_wrappers_between_processes(tmp_path):
    parent_end, child_end = causet.Pipe()
    context = multiprocessing.get_context("spawn")  # nothing inherited: the child makes its node
    child = context.Process(target=_pipe_child, args=(child_end, str(tmp_path)))
    with Node("parent", tmp_path / "parent.log") as parent:
        child.start()
        parent_end.send(41)
        assert parent_end.recv() == 42
        assert parent.clock.to_dict() == {"child": 2, "parent": 2}
    child.join(60)
    assert child.exitcode == 0
    merged = tmp_path / "merged.log"
    causet.merge_logs([tmp_path / "parent.log", tmp_path / "child.log"], merged)
    (execution,) = causet.read_log(merged)
    execution.check()
    assert execution.messages() == [("parent:1", "child:1"), ("child:2", "parent:2")]
    assert [e.text for e in execution.events if e.node == "child"] == ["recv 41", "send 42"]
