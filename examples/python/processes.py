"""The lesson's first program, instrumented with causet: five processes, five glob_vals.

Five ``multiprocessing.Process`` workers each append their number to the global list
``glob_val`` and print it. Each process has its own memory, so each sees a list holding only
its own number, and the main process's ``glob_val`` stays empty.

The lines marked ``# causet`` are the instrumentation: ``causet.Process`` for
``multiprocessing.Process`` (each worker becomes a node with its own log, its start and join
become messages), a node for the main process, one logged event per append. In the merged
log the five appends are pairwise concurrent (nothing passes between the workers), and each
happens after its start and before its join.

    python processes.py [LOG_DIR]       # default: ./causet-logs

writes LOG_DIR/main.log and LOG_DIR/worker{0..4}.log, and merges them into
LOG_DIR/causet.log (then ``causet check LOG_DIR/causet.log``, ``causet view ...``).
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
    print(f"worker {i}: glob_val = {glob_val}", flush=True)


if __name__ == "__main__":
    log_dir = sys.argv[1] if len(sys.argv) > 1 else "causet-logs"
    os.makedirs(log_dir, exist_ok=True)
    with causet.Node("main", os.path.join(log_dir, "main.log")):  # causet
        processes = [causet.Process(target=worker, args=(i,), name=f"worker{i}") for i in range(5)]  # causet: was multiprocessing.Process
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        causet.log_local(f"joined all: glob_val = {glob_val}")  # causet
        print(f"main: glob_val = {glob_val}", flush=True)
    names = ["main"] + [p.name for p in processes]  # causet
    causet.merge_logs([os.path.join(log_dir, f"{n}.log") for n in names], os.path.join(log_dir, "causet.log"))  # causet
