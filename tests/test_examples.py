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


def test_train_digits_runs_end_to_end(capsys, tmp_path):
    # One epoch keeps the suite short; the README's full run (12 epochs) reaches >= 90 %.
    acc = _load("train_digits").main(["--epochs", "1", "--device", "cpu",
                                      "--checkpoint", str(tmp_path / "lenet.safetensors")])
    out = capsys.readouterr().out
    assert "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in out
    assert "epoch  1  loss" in out and "and reloaded" in out
    assert out.rstrip().splitlines()[-1] == f"test accuracy: {100 * acc:.1f}%"
    assert acc > 0.3  # far above chance (10 %) after one epoch
    assert (tmp_path / "lenet.safetensors").stat().st_size > 0


def test_resnet34_forward_backward_on_cpu(capsys):
    _load("resnet").main(["--device", "cpu", "--width", "4", "--size", "16", "--batch", "2"])
    assert "every parameter has a gradient" in capsys.readouterr().out
