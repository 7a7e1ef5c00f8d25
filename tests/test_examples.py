"""The examples stay runnable: each is imported and its main() run on the test device."""
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_custom_kernel_example(capsys):
    _load("custom_kernel").main()
    assert "match the NumPy reference" in capsys.readouterr().out


def test_demo_runs(capsys):
    _load("demo")
    out = capsys.readouterr().out
    assert "row sums: tensor([1.0000, 1.0000, 1.0000, 1.0000]" in out
