"""The Python examples of the READMEs run as written (so they cannot go stale)."""

import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


def python_blocks(path):
    with open(path, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


@pytest.mark.parametrize("readme", ["README.md", "crates/causet-py/README.md"])
def test_readme_examples_run(readme, tmp_path, monkeypatch, capsys):
    blocks = python_blocks(os.path.join(ROOT, readme))
    assert blocks
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, readme, "exec"), {"__name__": "readme"})  # noqa: S102
    out = capsys.readouterr().out
    if readme == "README.md":
        assert "Causality.BEFORE 0" in out
    else:
        assert "['glob_val']" in out and (tmp_path / "threads.std").exists()
