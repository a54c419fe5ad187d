"""Per-thread state of nested layer calls: ``training`` and call depth."""
from __future__ import annotations

import contextlib
import threading


class _CallContext(threading.local):
    def __init__(self):
        self.training = None
        self.depth = 0


_context = _CallContext()


def current_training():
    return _context.training


def depth() -> int:
    return _context.depth


@contextlib.contextmanager
def enter(training):
    """Enter a layer call; an explicit ``training`` wins over the inherited one."""
    previous = _context.training
    if training is not None:
        _context.training = training
    _context.depth += 1
    try:
        yield _context.training
    finally:
        _context.depth -= 1
        _context.training = previous
