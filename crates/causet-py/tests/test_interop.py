"""A Python node and a Rust node (`causet node`) in one cluster over TCP.

The Python side speaks the runtime's TCP protocol written out here from its spec
(crates/causet-runtime/src/frame.rs: 4-byte big-endian length, kind byte, body; a hello
with the roster and plan digests, FNV-1a as in roster.rs and workload.rs), and the node
messages are `Node(..., cluster=...)`'s, i.e. causet-runtime's own.
"""

import socket
import struct
import subprocess
import time

import causet
from causet import Causality, Node
from helpers import causet_bin, causet_check

FNV_START = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv(hash_, data):
    for byte in data:
        hash_ ^= byte
        hash_ = (hash_ * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return hash_


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def roster_digest(names):  # names in the roster's (natural) order
    h = FNV_START
    for name in names:
        h = fnv(fnv(h, name.encode()), b"\x00")
    return h


def plan_digest(workload, nodes, messages, seed):
    h = fnv(FNV_START, workload.encode())
    h = fnv(h, struct.pack("<Q", nodes))
    h = fnv(h, struct.pack("<I", messages))
    return fnv(h, struct.pack("<Q", seed))


def frame(kind, body):
    return struct.pack(">I", len(body) + 1) + kind + body


def read_frame(sock):
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError(f"closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    (length,) = struct.unpack(">I", exactly(4))
    body = exactly(length)
    return body[:1], body[1:]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_node_plays_ping_with_causet_node(tmp_path):
    rounds, token, names = 3, "s3cret", ["alice", "bob"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(30)
    bob_port, alice_port = listener.getsockname()[1], free_port()
    alice = subprocess.Popen(
        [causet_bin(), "node", "--name", "alice", "--listen", f"127.0.0.1:{alice_port}",
         "--peer", f"bob=127.0.0.1:{bob_port}", "--token", token, "--workload", "ping",
         "--messages", str(rounds), "--seed", "1", "--log", str(tmp_path / "alice.log")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        incoming, _ = listener.accept()
        incoming.settimeout(30)
        kind, hello = read_frame(incoming)
        assert kind == b"H" and hello.startswith(b"CAUSET\x01\x05alice")
        assert hello.endswith(
            struct.pack("<QQ", roster_digest(names), plan_digest("ping", 2, rounds, 1))
        ), "the Python digests must be the runtime's"
        deadline = time.monotonic() + 30
        while True:
            try:
                outgoing = socket.create_connection(("127.0.0.1", alice_port), timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline, "causet node never listened"
                time.sleep(0.05)
        my_hello = (
            b"CAUSET\x01" + varint(3) + b"bob" + varint(len(token)) + token.encode()
            + struct.pack("<QQ", roster_digest(names), plan_digest("ping", 2, rounds, 1))
        )  # fmt: skip
        outgoing.sendall(frame(b"H", my_hello))
        with Node("bob", tmp_path / "bob.log", cluster=names) as bob:
            bob.log_local("start")
            for r in range(1, rounds + 1):
                kind, message = read_frame(incoming)
                assert kind == b"M"
                payload = bob.unpack_receive(f"receive ping {r} from alice", message)
                assert payload == f"ping {r}".encode()
                reply = bob.prepare_send(f"send pong {r} to alice", f"pong {r}".encode())
                outgoing.sendall(frame(b"M", reply))
            assert bob.clock.to_dict() == {"alice": 2 * rounds, "bob": 1 + 2 * rounds}
        out, err = alice.communicate(timeout=60)
        assert alice.returncode == 0, out + err
        outgoing.close()
        incoming.close()
    finally:
        if alice.poll() is None:
            alice.kill()
            alice.wait()
        listener.close()

    merged = tmp_path / "merged.log"
    # alice logs start, a send and a receive per round, done; bob start and two per round.
    assert causet.merge_logs([tmp_path / "alice.log", tmp_path / "bob.log"], merged) == (2 + 2 * rounds) + (1 + 2 * rounds)
    code, output = causet_check(merged)
    assert code == 0, output
    (execution,) = causet.read_log(merged)
    # Every ping's send is before its receive by bob, and bob's pong before alice's receive.
    events = {(e.node, e.text): e.id for e in execution.events}
    for r in range(1, rounds + 1):
        assert execution.order(events[("alice", f"send ping {r} to bob")], events[("bob", f"receive ping {r} from alice")]) is Causality.BEFORE
        assert execution.order(events[("bob", f"send pong {r} to alice")], events[("alice", f"receive pong {r} from bob")]) is Causality.BEFORE
    assert execution.order("alice:1", "bob:1") is Causality.CONCURRENT  # both starts
    assert len(execution.messages()) == 2 * rounds
    assert events[("alice", "done")] == f"alice:{2 + 2 * rounds}"
