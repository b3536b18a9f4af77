"""VectorClock against a pure-Python model: the algebra, the encodings, hostile input."""

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from causet import Causality, VectorClock

NODES = ["a", "b", "c", "d", "node10", "node2", "é", "\u2028"]
MAX = 2**64 - 1

# Small counters so that equal, ordered and concurrent pairs all come up often.
counters = st.one_of(st.integers(0, 3), st.integers(0, MAX))
models = st.dictionaries(st.sampled_from(NODES), st.integers(0, 3), max_size=len(NODES))
wide_models = st.dictionaries(st.text(max_size=6), counters, max_size=12)


def model_of(entries):
    """The model: a dict without zero entries."""
    return {node: n for node, n in entries.items() if n}


def model_compare(a, b):
    nodes = set(a) | set(b)
    less = any(a.get(n, 0) < b.get(n, 0) for n in nodes)
    greater = any(a.get(n, 0) > b.get(n, 0) for n in nodes)
    return {
        (False, False): Causality.EQUAL,
        (True, False): Causality.BEFORE,
        (False, True): Causality.AFTER,
        (True, True): Causality.CONCURRENT,
    }[(less, greater)]


def model_merge(a, b):
    return {n: max(a.get(n, 0), b.get(n, 0)) for n in set(a) | set(b) if max(a.get(n, 0), b.get(n, 0))}


def merged(a, b):
    out = a.copy()
    out.merge(b)
    return out


@given(wide_models)
def test_entries_match_the_model(entries):
    clock = VectorClock(entries)
    assert clock.to_dict() == model_of(entries)
    assert len(clock) == len(model_of(entries))
    assert clock.nodes() == sorted(model_of(entries))
    for node, n in entries.items():
        assert clock[node] == n and clock.get(node) == n
        assert (node in clock) == (n > 0)
    assert clock["never seen"] == 0
    assert clock.total() == min(sum(entries.values()), MAX)  # saturates


@given(models, models)
def test_compare_and_rich_comparisons_follow_the_model(x, y):
    a, b = VectorClock(x), VectorClock(y)
    expected = model_compare(x, y)
    assert a.compare(b) is expected
    assert b.compare(a) is {Causality.BEFORE: Causality.AFTER, Causality.AFTER: Causality.BEFORE}.get(
        expected, expected
    )
    assert (a < b) == (expected is Causality.BEFORE)
    assert (a > b) == (expected is Causality.AFTER)
    assert (a <= b) == (expected in (Causality.BEFORE, Causality.EQUAL))
    assert (a >= b) == (expected in (Causality.AFTER, Causality.EQUAL))
    assert (a == b) == (expected is Causality.EQUAL)
    assert (a != b) == (expected is not Causality.EQUAL)
    assert a.concurrent_with(b) == (expected is Causality.CONCURRENT)
    # Concurrent: neither <, > nor ==.
    assert a.concurrent_with(b) == (not (a < b or a > b or a == b))
    assert a.dominates(b) == (b <= a)


@given(models, models)
def test_merge_is_the_models_elementwise_max(x, y):
    assert merged(VectorClock(x), VectorClock(y)).to_dict() == model_merge(x, y)


@given(models, models, models)
def test_merge_commutative_associative_idempotent(x, y, z):
    a, b, c = VectorClock(x), VectorClock(y), VectorClock(z)
    assert merged(a, b) == merged(b, a)
    assert merged(merged(a, b), c) == merged(a, merged(b, c))
    assert merged(a, a) == a
    # The least upper bound.
    m = merged(a, b)
    assert a <= m and b <= m
    if a <= c and b <= c:
        assert m <= c


@given(models, models, models)
def test_compare_is_a_partial_order(x, y, z):
    a, b, c = VectorClock(x), VectorClock(y), VectorClock(z)
    assert a <= a and not a < a
    if a <= b and b <= a:
        assert a == b
    if a <= b and b <= c:
        assert a <= c
    if a < b and b < c:
        assert a < c


def test_absent_equals_zero_and_tick():
    assert VectorClock({"a": 1}) == VectorClock({"a": 1, "b": 0})
    clock = VectorClock()
    assert clock.tick("alice") == 1
    assert clock.tick("alice") == 2
    assert clock.to_json() == '{"alice":2}'
    before = clock.copy()
    clock.tick("bob")
    assert before < clock and before.to_json() == '{"alice":2}'  # copy is independent


@given(wide_models)
def test_every_encoding_round_trips(entries):
    clock = VectorClock(entries)
    assert VectorClock.from_json(clock.to_json()) == clock
    assert VectorClock.from_json(str(clock)) == clock
    assert VectorClock.from_bytes(bytes(clock)) == clock
    assert VectorClock.from_bytes(clock.to_bytes()) == clock
    assert pickle.loads(pickle.dumps(clock)) == clock
    assert copy.deepcopy(clock) == clock and copy.copy(clock) == clock
    assert VectorClock(clock.to_dict()) == clock
    assert VectorClock(clock.items()) == clock
    assert eval(repr(clock), {"VectorClock": VectorClock}) == clock  # noqa: S307


def test_golden_encodings():
    clock = VectorClock({"bob": 1, "alice": 2})
    assert clock.to_json() == '{"alice":2, "bob":1}'
    assert bytes(clock) == b"\x03\x05alice\x02\x03bob\x01"
    assert repr(clock) == "VectorClock({'alice': 2, 'bob': 1})"
    # GoVector's and ShiViz's logs write the same objects; whitespace is free.
    assert VectorClock.from_json(' { "bob" : 1 ,"alice":2 } ') == clock


@given(st.binary(max_size=64))
def test_hostile_bytes_raise_value_error(data):
    try:
        clock = VectorClock.from_bytes(data)
    except ValueError as err:
        assert str(err).startswith("bad clock bytes: ")
    else:
        assert VectorClock.from_bytes(bytes(clock)) == clock


@given(wide_models, st.data())
def test_mutated_encodings_raise_value_error_or_decode(entries, data):
    encoded = bytearray(bytes(VectorClock(entries)))
    i = data.draw(st.integers(0, len(encoded) - 1))
    encoded[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(encoded)))
    for candidate in (bytes(encoded), bytes(encoded[:cut]), bytes(encoded) + b"\x00"):
        try:
            VectorClock.from_bytes(candidate)
        except ValueError:
            pass


def test_bad_bytes_messages():
    with pytest.raises(ValueError, match="input ends early at byte 0"):
        VectorClock.from_bytes(b"")
    with pytest.raises(ValueError, match="unknown format byte 0x01"):
        VectorClock.from_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="trailing|ends early|invalid"):
        VectorClock.from_bytes(b"\x03\x05alice")
    with pytest.raises(ValueError, match="exceeds"):
        VectorClock.from_bytes(b"\x03\xff\xff\xff\xff\x0f")


@given(st.text(max_size=40))
def test_hostile_json_raises_value_error(text):
    try:
        clock = VectorClock.from_json(text)
    except ValueError as err:
        assert str(err).startswith("bad JSON clock: column ")
    else:
        assert VectorClock.from_json(clock.to_json()) == clock


def test_bad_json_messages_are_the_clis():
    with pytest.raises(ValueError, match=r'column 10: counter of node "alice" is negative: -1'):
        VectorClock.from_json('{"alice":-1}')
    with pytest.raises(ValueError, match='node "a" appears twice'):
        VectorClock.from_json('{"a":1, "a":2}')
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        VectorClock.from_json('{"a":18446744073709551616}')


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="from 0 to 2"):
        VectorClock({"a": -1})
    with pytest.raises(ValueError, match="from 0 to 2"):
        VectorClock({"a": 2**64})
    with pytest.raises(TypeError):
        VectorClock({"a": 1.5})
    with pytest.raises(TypeError):
        VectorClock({"a": True})
    with pytest.raises(TypeError):
        VectorClock([1, 2])
    with pytest.raises(ValueError, match="twice"):
        VectorClock([("a", 1), ("a", 2)])
    with pytest.raises(TypeError):
        VectorClock({"a": 1}) < {"a": 2}  # noqa: B015


def test_tick_overflow_is_an_exception():
    clock = VectorClock({"a": MAX})
    with pytest.raises(OverflowError):
        clock.tick("a")
    assert clock["a"] == MAX


def test_unhashable_like_other_mutable_values():
    with pytest.raises(TypeError):
        hash(VectorClock())
    assert VectorClock() != "not a clock"
