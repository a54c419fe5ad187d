"""Where the data-parallel state lives that the rest of core reads.

A leaf module (standard library only), so that ``brickwork.ops`` (dropout
masks), the trainer and the callbacks can ask "is a distribution set, and
which part of the global batch is this process computing?" without
importing ``brickwork.distribution``, which imports them.
"""
from __future__ import annotations

import threading

#: The distribution ``brickwork.distribution.set_distribution`` installed.
_current = {"distribution": None}


class BatchShard:
    """This process's rows of the global batch now being computed: rows
    ``start`` to ``start + size`` of ``global_size``."""

    __slots__ = ("global_size", "start", "size")

    def __init__(self, global_size, start, size):
        self.global_size = global_size
        self.start = start
        self.size = size

    def __repr__(self):
        return (f"BatchShard(rows {self.start}:{self.start + self.size} of "
                f"{self.global_size})")


class _ShardState(threading.local):
    shard = None
    gradients_summed = False  # the built-in train_step summed them already


_shard_state = _ShardState()


def get_distribution():
    return _current["distribution"]


def set_distribution(value):
    _current["distribution"] = value


def active_distribution():
    """The distribution when it spans more than one process, else None: the
    hooks of the trainer and callbacks do nothing for one process."""
    value = _current["distribution"]
    if value is None or value.num_processes <= 1:
        return None
    return value


def is_chief():
    """Whether this process prints and writes files (rank 0, or no distribution)."""
    value = active_distribution()
    return value is None or value.process_id == 0


def current_batch_shard():
    """The ``BatchShard`` of the batch being computed, or None."""
    return _shard_state.shard


def set_batch_shard(shard):
    _shard_state.shard = shard


def gradients_summed():
    """Whether the gradients being applied were already summed over the
    processes (by the built-in ``train_step``, during the backward pass)."""
    return _shard_state.gradients_summed


class summed_gradients_applied:
    """Context of the built-in ``train_step``'s ``apply_gradients`` call: its
    gradients are summed already, so the optimizer must not sum them again."""

    def __enter__(self):
        _shard_state.gradients_summed = True

    def __exit__(self, *exc):
        _shard_state.gradients_summed = False
