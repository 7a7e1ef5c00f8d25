"""Every bench family runs end to end at its --quick size (on cpu through the interpreter: the
figures mean nothing here, the code paths do) and the harness writes its results files."""
import importlib
import json

import pytest

from bench.__main__ import FAMILIES
from bench.harness import INTERPRETER_NOTE, Harness


@pytest.mark.parametrize("family", FAMILIES)
def test_quick_family_runs_and_writes_results(family, tmp_path):
    h = Harness("cpu", quick=True)
    importlib.import_module(f"bench.{family}").run(h)
    assert h.rows and all(r.family == family or family == "launch_overhead" for r in h.rows)
    assert all(r.ms > 0 and r.value > 0 and r.note == INTERPRETER_NOTE for r in h.rows)
    out = h.write(tmp_path)
    data = json.loads((out / "results.json").read_text())
    assert data["meta"]["quick"] and len(data["rows"]) == len(h.rows)
    assert f"## {family}" in (out / "results.md").read_text()
