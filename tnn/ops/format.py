"""Tensor repr in torch's format, following torch/_tensor_str.py rule for rule.

- floats: 4 decimals (``precision``); scientific notation when the nonzero finite magnitudes span
  more than 1000x, exceed 1e8, or (for non-integer values) go below 1e-4; integer-valued floats
  print as ``1.``; one width for every element; nan/inf printed as such.
- float16/bfloat16 values print through float32; ints and bools as Python prints them.
- more than ``threshold`` elements: each dim shows ``edgeitems`` at both ends around ``...``, and
  the width/notation is decided from those edges only.
- rows wrap at ``linewidth``; suffixes (device, dtype, requires_grad / grad_fn) go after the data,
  on a new line when they would pass ``linewidth``.

Departures from torch: the device suffix is printed whenever the device is not cpu (torch
compares with its default device, which is cpu unless changed), and dtypes print as ``tnn.float16``.
The values are copied to the host once, as a NumPy array, and formatted there.
"""
from __future__ import annotations

import math

import numpy as np

from ..runtime import dtypes as dt

__all__ = ["set_printoptions", "get_printoptions"]


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """torch.set_printoptions: profile 'default', 'short' or 'full' first, then the given options.
    ``sci_mode`` True/False forces the notation; None (the default) lets each tensor decide."""
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
        elif profile == "short":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
        elif profile == "full":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = (
                4, math.inf, 3, 80)
        else:
            raise ValueError(f"Invalid profile: {profile}")
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return {"precision": PRINT_OPTS.precision, "threshold": PRINT_OPTS.threshold,
            "edgeitems": PRINT_OPTS.edgeitems, "linewidth": PRINT_OPTS.linewidth, "sci_mode": PRINT_OPTS.sci_mode}


class _Formatter:
    """Decides notation and width from the values that will be shown (torch's _Formatter)."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
        else:
            nz = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
            if nz.size == 0:
                self._apply_sci_option()
                return
            absv = np.abs(nz)
            vmin, vmax = float(absv.min()), float(absv.max())
            vals = nz.tolist()
            self.int_mode = bool((nz == np.ceil(nz)).all())
            p = PRINT_OPTS.precision
            if self.int_mode:
                if vmax / vmin > 1000.0 or vmax > 1.0e8:
                    self.sci_mode = True
                    self.max_width = max(self.max_width, max(len(f"{v:.{p}e}") for v in vals))
                else:
                    self.max_width = max(self.max_width, max(len(f"{v:.0f}") + 1 for v in vals))
            else:
                if vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4:
                    self.sci_mode = True
                    self.max_width = max(self.max_width, max(len(f"{v:.{p}e}") for v in vals))
                else:
                    self.max_width = max(self.max_width, max(len(f"{v:.{p}f}") for v in vals))
        self._apply_sci_option()

    def _apply_sci_option(self):
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that will be printed when summarizing (torch's get_summarized_data)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[len(a) - e:]]) if a.shape[0] > 2 * e else a
    if not e:
        return np.empty((0,) * a.ndim, a.dtype)
    rows = list(range(e)) + list(range(len(a) - e, len(a))) if a.shape[0] > 2 * e else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.width() + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."]
                + [fmt.format(v) for v in a[len(a) - e:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        slices = ([_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                  + [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt)
                     for i in range(len(a) - e, len(a))])
    else:
        slices = [_tensor_str_with_formatter(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(t, indent: int) -> str:
    if t.numel() == 0:
        return "[]"
    from .copying import _host_array
    a = _host_array(t)
    if t.dtype in (dt.float16, dt.bfloat16):
        a = a.astype(np.float32)
    summarize = t.numel() > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(a) if summarize else a, t.dtype.is_floating_point)
    return _tensor_str_with_formatter(a, indent, summarize, fmt)


def _add_suffixes(tensor_str: str, suffixes, indent: int) -> str:
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """repr(t) exactly as torch prints it (see the module docstring for the two departures)."""
    name = type(t).__name__
    prefix = "tensor(" if name in ("Tensor", "Parameter", "Buffer") else f"{name}("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = dt.get_default_dtype()
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype not in (default, dt.int64, dt.bool_):
            suffixes.append(f"dtype={t.dtype}")
        body = _tensor_str(t, indent)
    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        # tnn's graph nodes know their torch name (MulBackward0); other objects print their class name
        name_fn = getattr(grad_fn, "name", None)
        gname = name_fn().rsplit("::", 1)[-1] if callable(name_fn) else type(grad_fn).__name__
        suffixes.append(f"grad_fn=<{gname}>")
    elif getattr(t, "requires_grad", False):
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
