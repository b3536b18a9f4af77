"""causet.trace: the seed's thread program traced; races with and without a lock."""

import threading

import pytest

import causet
from causet import trace


def seed_threads(lock=None, one_by_one=False):
    """The lesson's threads: five workers append to glob_val and print it."""
    with trace.record() as recording:
        glob_val = trace.Shared([], name="glob_val")

        def worker(i):
            if lock is None:
                glob_val.append(i)
            else:
                with lock:
                    glob_val.append(i)
            print(glob_val)

        threads = [trace.Thread(target=worker, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
            if one_by_one:
                t.join()
        for t in threads:
            t.join()
    return recording, glob_val


def test_seed_threads_race_on_glob_val():
    recording, glob_val = seed_threads()
    assert sorted(glob_val.value) == [0, 1, 2, 3, 4]  # the GIL kept every append
    lines = recording.text().splitlines()
    assert lines[0].startswith("T0|fork(T1)|test_trace.py:")
    assert sum("|w(glob_val)|" in line for line in lines) == 5
    assert sum("|r(glob_val)|" in line for line in lines) == 5  # the prints
    assert sum("|join(" in line for line in lines) == 5
    for engine in ("epoch", "vc", "tree"):
        report = causet.races(recording, engine=engine)
        assert report.racy_variables == ["glob_val"]
        assert report.threads == 6 and report.events == len(lines)
        assert report.racy_events >= 4  # every append after the first races with one
        assert report
        race = report.races[0]
        assert race.variable == "glob_val" and race.access[1] != race.prior[1]


def test_a_lock_around_the_append_still_races_with_the_print():
    recording, _ = seed_threads(lock=trace.Lock("m"))
    report = causet.races(recording)
    # The appends are ordered by the lock, the unlocked prints read concurrently with them.
    assert report.racy_variables == ["glob_val"]
    assert all(race.access[2] == "r" or race.prior[2] == "r" for race in report.races)


def test_no_race_when_every_access_holds_the_lock():
    with trace.record() as recording:
        glob_val = trace.Shared([], name="glob_val")
        lock = trace.Lock()

        def worker(i):
            with lock:
                glob_val.append(i)
                print(glob_val)

        threads = [trace.Thread(target=worker, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(glob_val)  # after the joins: ordered too
    report = causet.races(recording)
    assert report.racy_events == 0 and report.racy_variables == [] and not report
    assert sum("|acq(l1)|" in line for line in recording) == 5


def test_no_race_when_started_and_joined_one_by_one():
    recording, _ = seed_threads(one_by_one=True)
    assert causet.races(recording).racy_events == 0


def test_saved_trace_is_what_causet_races_reads(tmp_path):
    recording, _ = seed_threads()
    path = tmp_path / "threads.std"
    recording.save(path)
    assert causet.races(path).racy_variables == ["glob_val"]
    assert causet.races(str(path)).racy_variables == ["glob_val"]
    assert causet.races(recording.text()).racy_variables == ["glob_val"]


def test_ill_formed_traces_raise_value_error():
    with pytest.raises(ValueError, match=r"<trace>:2"):
        causet.races("T0|acq(m)|1\nT1|rel(m)|2\n")
    with pytest.raises(ValueError, match="engine"):
        causet.races("T0|w(x)|1\n", engine="fast")


def test_outside_a_recording_the_types_are_plain():
    shared = trace.Shared({"a": 1})
    shared["b"] = 2
    assert shared.value == {"a": 1, "b": 2} and len(shared) == 2
    lock = trace.Lock()
    with lock:
        assert lock.locked()
    t = trace.Thread(target=lambda: None)
    t.start()
    t.join()
    assert not isinstance(threading.Lock(), trace.Lock)
    with trace.record():
        with pytest.raises(RuntimeError, match="already active"):
            trace.record().__enter__()


def test_shared_objects_nest_without_deadlock():
    with trace.record() as recording:
        inner = trace.Shared([], name="inner")
        outer = trace.Shared([inner], name="outer")
        outer[0].append(1)
        assert outer == [inner] and inner.value == [1]
    ops = [line.split("|")[1] for line in recording]
    assert ops == ["r(outer)", "w(inner)", "r(outer)"]  # outer[0], .append, ==
