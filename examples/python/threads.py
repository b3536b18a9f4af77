"""The lesson's second program, instrumented with causet: five threads, one glob_val.

The same five workers as ``threading.Thread``s: they share the process's memory, so they
append to one list, in an order nobody promised, and the main thread sees all five numbers
at the end. The lines marked ``# causet`` are the instrumentation: ``causet.Thread`` for
``threading.Thread`` (each thread a node with its own log, its start and join messages), a
node for the main thread, one logged event per append. In the merged log the appends are
pairwise concurrent, although a thread may print a list holding other threads' numbers:
sharing memory is not happens-before. With ``--one-by-one`` each thread is started and
joined before the next one starts (``t.start(); t.join()``): then every append happens
before the next, and only through main's join and start.

    python threads.py [--one-by-one] [LOG_DIR]       # default: ./causet-logs

writes LOG_DIR/main.log and LOG_DIR/thread{0..4}.log, merged into LOG_DIR/causet.log.
For the races between the appends themselves, see causet.trace (``causet.races``).
"""

import os
import sys
import time

import causet  # causet

glob_val = []


def worker(i):
    glob_val.append(i)
    causet.log_local(f"append {i}: glob_val = {glob_val}")  # causet
    time.sleep(0.01)  # the lesson sleeps a second
    print(f"thread {i}: glob_val = {glob_val}", flush=True)


if __name__ == "__main__":
    one_by_one = "--one-by-one" in sys.argv[1:]
    rest = [a for a in sys.argv[1:] if a != "--one-by-one"]
    log_dir = rest[0] if rest else "causet-logs"
    os.makedirs(log_dir, exist_ok=True)
    with causet.Node("main", os.path.join(log_dir, "main.log")):  # causet
        threads = [causet.Thread(target=worker, args=(i,), name=f"thread{i}") for i in range(5)]  # causet: was threading.Thread
        if one_by_one:
            for t in threads:
                t.start()
                t.join()
        else:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        causet.log_local(f"joined all: glob_val = {glob_val}")  # causet
        print(f"main: glob_val = {glob_val}", flush=True)
    names = ["main"] + [t.name for t in threads]  # causet
    causet.merge_logs([os.path.join(log_dir, f"{n}.log") for n in names], os.path.join(log_dir, "causet.log"))  # causet
