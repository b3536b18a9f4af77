"""What several test files use: the causet binary, if the run has one."""

import os
import shutil
import subprocess

import pytest


def causet_bin():
    """The causet binary: $CAUSET_BIN (set by .ci/run), else target/{debug,release}/causet
    of this checkout, else `causet` on PATH. Under CI a missing binary is a failure."""
    candidates = [os.environ.get("CAUSET_BIN")]
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    candidates += [os.path.join(root, "target", kind, "causet") for kind in ("debug", "release")]
    candidates.append(shutil.which("causet"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("CI"):
        pytest.fail("no causet binary (set CAUSET_BIN)")
    pytest.skip("no causet binary: cargo build --bin causet, or set CAUSET_BIN")


def causet_check(path):
    """Runs `causet check PATH`; returns (exit code, output)."""
    done = subprocess.run([causet_bin(), "check", str(path)], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr
