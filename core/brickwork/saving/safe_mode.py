"""Safe mode: loading never runs code from a file unless the user says so.

Keras stores Python lambdas as marshalled bytecode (``__lambda__`` configs);
running that bytecode is arbitrary code execution (CVE-2024-3660), so it is
refused while safe mode is on: the default for every load, switched off only
by ``safe_mode=False`` or ``enable_unsafe_deserialization()``.
"""
from __future__ import annotations

import base64
import binascii
import marshal
import threading
import types

from brickwork.saving.errors import LoadError

_state = threading.local()
_global = {"safe_mode": None}

LAMBDA_REFUSED = (
    "Requested the deserialization of a Python lambda (stored as bytecode). Running it "
    "could execute arbitrary code, so it is disallowed by default. If you trust the source "
    "of the file, pass `safe_mode=False` to the loading function, or call "
    "`brickwork.saving.enable_unsafe_deserialization()`.")


class UnsafeDeserializationError(LoadError):
    """Loading would have run code from the file while safe mode is on."""


class SafeModeScope:
    """Within the block, ``in_safe_mode()`` returns ``safe_mode``."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _state.safe_mode = self._previous


def enable_unsafe_deserialization():
    """Turn safe mode off for the whole process (lambdas load)."""
    _global["safe_mode"] = False


def in_safe_mode():
    """The innermost scope's setting, else the process-wide one (None: unset)."""
    scoped = getattr(_state, "safe_mode", None)
    return scoped if scoped is not None else _global["safe_mode"]


def load_lambda(encoded):
    """A function from Keras' base64 marshalled-bytecode form; only outside safe mode."""
    if in_safe_mode() is not False:
        raise UnsafeDeserializationError(LAMBDA_REFUSED)
    code = encoded[0] if isinstance(encoded, (list, tuple)) else encoded
    try:
        raw = base64.b64decode(str(code).encode("ascii"))
        function_code = marshal.loads(raw)
    except (binascii.Error, ValueError, EOFError, TypeError) as exc:
        raise ValueError(f"Invalid serialized lambda: {exc}") from exc
    if not isinstance(function_code, types.CodeType):
        raise ValueError("Invalid serialized lambda: the payload is not Python bytecode")
    return types.FunctionType(function_code, globals())
