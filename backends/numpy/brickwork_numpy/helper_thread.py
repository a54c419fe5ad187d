"""The NumPy backend's one helper thread, for work split across two cores
(large copies, compiled row loops) while the calling thread does its half.

It sleeps between tasks instead of spinning, so it takes no core from BLAS's
threads when idle. Its tasks release the GIL (NumPy copies, ``nogil``
compiled loops).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_executor = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The shared single-worker executor, created on first use."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brickwork-helper")
        return _executor
