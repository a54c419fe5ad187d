"""How much memory a file may make the loader allocate.

A saved file declares sizes (a layer's ``units``, a dataset's shape, a
member's uncompressed size, a serialized array's dtype) that the loader would
allocate. What the file actually stores is safe to load: the caller chose the
file and it is already on disk. What it only declares is not: a 16 KB archive
can declare a ``Dense(10**12)``. So each load keeps a :class:`LoadBudget`:

* a variable the model creates while it is rebuilt from the config must be
  backed by a stored dataset of the same shape in the weights file; the part
  the file does not store is charged to the budget *before* the variable is
  allocated (``claim_variable``, called by ``Layer.add_weight``), and so are
  the optimizer slots it would get (``claim_optimizer_slots``);
* parsing ``config.json`` is charged by an upper estimate of what its objects
  take, computed from the text before it is parsed (``JsonCostEstimate``);
* serialized arrays (``__numpy__`` values) are charged their size before they
  are made, and so is what a layer or metric sizes from the config and the
  file does not store (a stateful RNN's states, a confusion metric's
  thresholds: ``claim_unstored``);
* what a compressed zip member or HDF5 dataset declares beyond what it stores
  is checked before it is decompressed or read.

The budget is :func:`get_max_load_bytes`: 256 MiB by default, the
``BRICKWORK_MAX_LOAD_BYTES`` environment variable (bytes, or with a K, M, G
or T suffix) or :func:`set_max_load_bytes` change it. A file that would go
over it fails with :class:`~brickwork.saving.errors.LoadLimitError`, which
names what was refused, its size and the limit. Weights the file stores do
not count against the limit, so a trusted multi-gigabyte model loads without
raising it.

This module imports nothing from brickwork but the error types, so the
layers can call it.
"""
from __future__ import annotations

import math
import os
import re
import threading

import numpy as np

from brickwork.saving.errors import LoadLimitError

DEFAULT_MAX_LOAD_BYTES = 256 << 20
#: The most slots a built-in optimizer keeps per variable: AMSGrad's or
#: centered RMSprop's three, plus an EMA and an accumulated gradient.
OPTIMIZER_SLOTS_BOUND = 5
ENVIRONMENT_VARIABLE = "BRICKWORK_MAX_LOAD_BYTES"

_settings = {"max_load_bytes": None}  # None: the environment variable, else the default
_active = threading.local()


# -- the limit ----------------------------------------------------------------------


def set_max_load_bytes(limit):
    """Set how many bytes a file may make the loader allocate beyond what it
    stores (for every load in this process); ``None`` restores the default
    (the ``BRICKWORK_MAX_LOAD_BYTES`` environment variable, else 256 MiB).
    Returns the previous setting.

    Raise it only for files you trust, for example a ``config.json`` that
    holds large arrays, or weights stored compressed."""
    if limit is not None:
        limit = _parse_size(limit, "set_max_load_bytes")
    previous = _settings["max_load_bytes"]
    _settings["max_load_bytes"] = limit
    return previous


def get_max_load_bytes():
    """The limit in bytes: ``set_max_load_bytes``'s, else the environment
    variable's, else ``DEFAULT_MAX_LOAD_BYTES``."""
    if _settings["max_load_bytes"] is not None:
        return _settings["max_load_bytes"]
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE)
    if from_environment:
        return _parse_size(from_environment, ENVIRONMENT_VARIABLE)
    return DEFAULT_MAX_LOAD_BYTES


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _parse_size(value, where):
    """Bytes from an int or a string such as ``"4G"`` / ``"512MiB"``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number, unit = int(value), ""
    else:
        match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", str(value), re.IGNORECASE)
        if match is None:
            raise ValueError(f"{where}: expected a number of bytes such as 268435456 or "
                             f"'4G', got {value!r}")
        number, unit = int(match.group(1)), match.group(2).upper()
    if number < 0:
        raise ValueError(f"{where}: the limit must not be negative, got {value!r}")
    return number * _UNITS[unit]


def describe_size(nbytes):
    """``'549.3 MiB (576000000 bytes)'``."""
    value, unit = float(nbytes), "bytes"
    for name in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024:
            break
        value, unit = value / 1024, name
    if unit == "bytes":
        return f"{nbytes} bytes"
    return f"{value:.1f} {unit} ({nbytes} bytes)"


# -- one load's budget --------------------------------------------------------------


class LoadBudget:
    """What one load may still allocate on the file's word.

    Use it as a context manager around the load: while it is active,
    ``claim_variable``, ``charge`` and ``check_unstored`` of this module
    count against it (in this thread).
    """

    def __init__(self, source, limit=None):
        self.source = source
        self.limit = get_max_load_bytes() if limit is None else limit
        self.charged = 0
        self.unstored_trainable_bytes = 0
        self._stored_by_shape = {}  # shape -> stored element counts, largest last

    def __enter__(self):
        stack = _budget_stack()
        stack.append(self)
        return self

    def __exit__(self, *exc_info):
        _budget_stack().remove(self)

    def back_variables_with(self, stored_datasets):
        """Record the weights file's datasets, ``(shape, stored element count)``
        pairs: each backs one variable of its shape."""
        for shape, stored_elements in stored_datasets:
            self._stored_by_shape.setdefault(tuple(shape), []).append(stored_elements)
        for counts in self._stored_by_shape.values():
            counts.sort()

    def claim_variable(self, shape, dtype, what, trainable=False):
        """Charge what the file does not store of a variable about to be made
        (of a trainable one, also what an optimizer will keep for it)."""
        elements = math.prod(shape)
        stored = self._take_stored(tuple(shape))
        missing = max(elements - stored, 0)
        if not missing:
            return
        reason = ("the weights file stores no dataset of that shape" if stored == 0 else
                  f"the weights file stores only {stored} of its {elements} values")
        nbytes = missing * itemsize(dtype)
        self.charge(nbytes, f"variable {what!r} of shape {tuple(shape)} and dtype {dtype}",
                    reason)
        if trainable:
            self.unstored_trainable_bytes += nbytes

    def claim_optimizer_slots(self):
        """Charge, before an optimizer is built, the slots it may keep for the
        trainable variables the file does not store (the optimizer's own
        variables are made without ``add_weight``)."""
        if self.unstored_trainable_bytes:
            self.charge(OPTIMIZER_SLOTS_BOUND * self.unstored_trainable_bytes,
                        f"the optimizer's slots ({OPTIMIZER_SLOTS_BOUND} at most per "
                        f"variable) for {describe_size(self.unstored_trainable_bytes)} of "
                        f"trainable variables", "the weights file does not store those "
                        "variables")

    def _take_stored(self, shape):
        counts = self._stored_by_shape.get(shape)
        return counts.pop() if counts else 0

    def charge(self, nbytes, what, reason="the file does not store it"):
        """Count ``nbytes`` against the budget, or raise before they are allocated."""
        self.check(nbytes, what, reason)
        self.charged += nbytes

    def check(self, nbytes, what, reason="the file does not store it", projected=None):
        """Raise if ``nbytes`` more would go over the budget (counts nothing:
        for memory that is freed again before the load goes on, or to refuse
        early what will only grow); ``projected``: the full size, if known,
        for the message."""
        if self.charged + nbytes > self.limit:
            raise LoadLimitError(_refusal(self.source, what, nbytes, reason, self.limit,
                                          self.charged, projected))


def _budget_stack():
    if not hasattr(_active, "stack"):
        _active.stack = []
    return _active.stack


def active_budget():
    """The innermost load's budget in this thread, or None outside a load."""
    stack = _budget_stack()
    return stack[-1] if stack else None


def _refusal(source, what, nbytes, reason, limit, charged, projected=None):
    used = f", of which this load has used {describe_size(charged)}" if charged else ""
    needed = charged + max(nbytes, projected or 0)
    size = describe_size(nbytes)
    if projected is not None and projected > nbytes:
        size = f"at least {size}, about {describe_size(projected)} in all"
    return (f"Refusing to load {source}: {what} would take {size} "
            f"({reason}). A file may make the loader allocate at most "
            f"{describe_size(limit)} beyond what it stores{used}. If you trust this file, "
            f"raise the limit: brickwork.saving.set_max_load_bytes({needed}) or the "
            f"environment variable {ENVIRONMENT_VARIABLE}={needed}.")


# -- the hooks the loader and the layers call ---------------------------------------


def claim_variable(shape, dtype, what, trainable=False):
    """Called before a layer allocates a variable: inside a load, charge what
    the weights file does not store of it (see :class:`LoadBudget`); outside
    a load, nothing."""
    budget = active_budget()
    if budget is not None:
        budget.claim_variable(shape, dtype, what, trainable)


def claim_optimizer_slots():
    """Called before a loading model's optimizer is built: inside a load,
    charge its slots for the trainable variables the file does not store."""
    budget = active_budget()
    if budget is not None:
        budget.claim_optimizer_slots()


def claim_unstored(nbytes, what, reason="the file does not store it"):
    """Called before a layer allocates memory sized by its config that the
    weights file does not store (a stateful RNN's states): inside a load,
    charge it; outside a load, nothing."""
    budget = active_budget()
    if budget is not None:
        budget.charge(nbytes, what, reason)


def check_transient(nbytes, what, reason="sized by the config, not stored"):
    """Called before a layer makes a temporary array sized by its config (the
    zeros it runs ``call`` on to infer shapes): inside a load, refuse it if
    it would go over the budget; outside a load, nothing."""
    budget = active_budget()
    if budget is not None:
        budget.check(nbytes, what, reason)


def charge(nbytes, what, reason="the file does not store it", source="the file"):
    """Charge an allocation the file asks for to the current load's budget;
    outside a load, refuse one larger than the limit on its own."""
    budget = active_budget()
    if budget is not None:
        budget.charge(nbytes, what, reason)
    elif nbytes > get_max_load_bytes():
        raise LoadLimitError(_refusal(source, what, nbytes, reason, get_max_load_bytes(), 0))


def check_unstored(nbytes, what, reason, source):
    """Refuse to read data declared ``nbytes`` larger than what is stored if
    that would go over the limit (the read is freed once loaded, so nothing
    is charged)."""
    budget = active_budget()
    if budget is not None:
        budget.check(nbytes, what, reason)
    elif nbytes > get_max_load_bytes():
        raise LoadLimitError(_refusal(source, what, nbytes, reason, get_max_load_bytes(), 0))


# -- sizes --------------------------------------------------------------------------

_ITEMSIZE_FALLBACK = {"bfloat16": 2, "float8_e4m3fn": 1, "float8_e5m2": 1}


def itemsize(dtype):
    """Bytes per element of ``dtype`` (a name numpy may not know, such as bfloat16)."""
    try:
        return np.dtype(dtype).itemsize
    except TypeError:
        name = str(dtype)
        if name in _ITEMSIZE_FALLBACK:
            return _ITEMSIZE_FALLBACK[name]
        bits = re.search(r"(\d+)", name)
        return max(int(bits.group(1)) // 8, 1) if bits else 8


def array_bytes(value, dtype):
    """An upper estimate of ``np.array(value, dtype=dtype).nbytes`` for a
    parsed JSON value (nested lists), without making the array."""
    count, longest = 0, 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple)):
            pending.extend(item)
            continue
        count += 1
        if isinstance(item, (str, bytes)):
            longest = max(longest, len(item))
    size = dtype.itemsize
    if size == 0:  # "U", "S", "V": numpy sizes it from the longest item
        size = 4 * max(longest, 1)
    return max(count, 1) * size


class JsonCostEstimate:
    """An upper estimate of the memory ``json.loads`` takes for a text, fed
    chunk by chunk before it is parsed.

    Every value but the first follows a ``,`` ``:`` ``[`` or ``{``; counting
    those bounds the number of values, and one value costs at most about
    96 bytes (an empty dict is 64, a one-element list 88, plus the slot that
    holds it). Text costs at most 8 bytes a byte: the decoded copy json
    parses and the strings it makes, up to 4 bytes a character each. The
    parser itself takes a few kilobytes whatever the text.
    """

    BYTES_PER_VALUE = 96
    BYTES_PER_TEXT_BYTE = 8
    PARSER_BYTES = 16 << 10

    def __init__(self, total_bytes=None):
        self.values = 1
        self.text_bytes = 0
        self.total_bytes = total_bytes  # of the whole text, when known

    def feed(self, chunk: bytes):
        self.values += (chunk.count(b",") + chunk.count(b":") + chunk.count(b"[")
                        + chunk.count(b"{"))
        self.text_bytes += len(chunk)
        return self.estimate

    @property
    def estimate(self):
        return (self.PARSER_BYTES + self.BYTES_PER_VALUE * self.values
                + self.BYTES_PER_TEXT_BYTE * self.text_bytes)

    @property
    def projected(self):
        """The estimate for the whole text, at the rate seen so far."""
        if not self.total_bytes or not self.text_bytes:
            return self.estimate
        return self.estimate * max(self.total_bytes, self.text_bytes) // self.text_bytes
