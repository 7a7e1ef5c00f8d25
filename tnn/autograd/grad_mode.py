"""Grad mode: no_grad / enable_grad / set_grad_enabled / inference_mode, as context managers and
decorators, and is_grad_enabled. One process-wide flag, as torch's per-thread flag in practice."""
from __future__ import annotations

import functools

_enabled = True


def is_grad_enabled() -> bool:
    return _enabled


def _set(mode: bool) -> None:
    global _enabled
    _enabled = bool(mode)


class _GradModeContext:
    """Base: enter sets the mode, exit restores the previous one; usable as a decorator."""

    _mode: bool = True

    def __enter__(self):
        self._prev = _enabled
        _set(self._mode)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _enabled
            _set(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _set(prev)
        return wrapper


class no_grad(_GradModeContext):
    _mode = False


class enable_grad(_GradModeContext):
    _mode = True


class set_grad_enabled(_GradModeContext):
    """Sets the mode immediately (as torch does, so it works as a plain call too)."""

    def __init__(self, mode: bool):
        self._prev = _enabled
        self._mode = bool(mode)
        _set(mode)

    def __enter__(self):
        return self


class inference_mode(_GradModeContext):
    def __init__(self, mode: bool = True):
        self._mode = not mode

    def __call__(self, fn=None):
        if fn is None:
            return self
        return super().__call__(fn)
