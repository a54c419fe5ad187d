"""The interface every data adapter implements, the per-epoch iterator that
``fit``/``evaluate``/``predict`` walk, and the checks streamed batches pass."""
from __future__ import annotations

import warnings

import numpy as np

from brickwork import tree


class DataAdapter:
    """Turns one kind of input (arrays, a generator, a ``PyDataset``...) into
    batches.

    A subclass implements:

    * ``can_handle(x, y=None)`` (classmethod): whether it takes ``x``;
    * ``__init__(x, y=None, sample_weight=None, batch_size=None,
      steps_per_epoch=None, shuffle=False, class_weight=None)``; refuse what
      it cannot honour with a ``ValueError``;
    * ``num_batches``: batches in one pass, or ``None`` when unknown (the
      epoch then ends when the iterator stops);
    * ``get_iterator()``: a fresh pass over the data, yielding batches packed
      as Keras packs them: ``x``, ``(x,)``, ``(x, y)`` or
      ``(x, y, sample_weight)``, leaves NumPy arrays (or the backend's own);
    * optionally ``first_batch()`` (used to build an unbuilt model),
      ``on_epoch_begin()``, ``on_epoch_end()`` and ``close()`` (free workers;
      called when ``fit``/``evaluate``/``predict`` ends, also on errors).
    """

    @classmethod
    def can_handle(cls, x, y=None):
        return False

    @property
    def num_batches(self):
        return None

    def get_iterator(self):
        raise NotImplementedError

    def first_batch(self):
        """The first batch, packed; None when there is none."""
        return next(iter(self.get_iterator()), None)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def close(self):
        pass


def refuse_argument(name, what, input_type):
    raise ValueError(f"When providing `x` as a {input_type}, `{name}` should not be passed. "
                     f"Instead, {what} should be included as part of the {input_type}.")


def to_numpy(value):
    """A leaf of a streamed batch as an array (torch and TensorFlow tensors
    become NumPy arrays; NumPy and CuPy arrays stay as they are)."""
    if value is None or isinstance(value, np.ndarray):
        return value
    module = type(value).__module__ or ""
    if module.startswith("torch"):
        return value.detach().cpu().numpy()
    if module.startswith("tensorflow") and hasattr(value, "numpy"):
        return value.numpy()
    if hasattr(value, "shape") and hasattr(value, "dtype") and not module.startswith("numpy"):
        return value  # a backend array (CuPy)
    return np.asarray(value)


def batch_to_numpy(batch):
    if isinstance(batch, list):
        batch = tuple(batch)
    return tree.map_structure(to_numpy, batch)


def _describe(value):
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return f"a {kind} of {len(value)} [" + ", ".join(_describe(v) for v in value) + "]"
    if isinstance(value, dict):
        return "a dict {" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "None"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"array(shape={tuple(value.shape)}, dtype={_dtype_name(value)})"
    return f"{type(value).__name__} {str(value)[:60]!r}"


_EXPECTED = ("`x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`, where each of x, y and "
             "sample_weight is an array (or a list/tuple/dict of arrays) whose first "
             "dimension is the batch")


class BatchChecker:
    """Checks each streamed batch against the first: the same packing and
    structure, the same dtypes, the same ranks, and the same shapes except
    along the batch axis and along the axes where the first two batches
    already differed (Keras's rule for a stream's signature). Errors name the
    batch index and what was expected and what came."""

    def __init__(self, source):
        self.source = source      # "The generator", "The PyDataset"...
        self.signature = None     # [(path, ndim, dtype, shape)]
        self.packing = None
        self.seen = 0

    def _unpack(self, batch, index):
        if isinstance(batch, list):
            batch = tuple(batch)
        if isinstance(batch, tuple):
            if not 1 <= len(batch) <= 3:
                raise ValueError(f"{self.source} gave, at batch {index}, {_describe(batch)}; "
                                 f"expected {_EXPECTED}.")
            return batch
        return (batch,)

    def check(self, batch, index):
        parts = self._unpack(batch, index)
        packing = len(parts)
        leaves = []
        for name, part in zip(("x", "y", "sample_weight"), parts):
            if part is None and name != "x":
                continue
            for path, leaf in tree.flatten_with_path(part):
                if leaf is None:
                    continue
                if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")) or \
                        getattr(leaf.dtype, "kind", "f") == "V":
                    raise ValueError(f"{self.source} gave, at batch {index}, {_describe(batch)}: "
                                     f"{name} holds {_describe(leaf)}, not an array; "
                                     f"expected {_EXPECTED}.")
                if len(leaf.shape) == 0:
                    raise ValueError(f"{self.source} gave, at batch {index}, a scalar in {name} "
                                     f"({_describe(leaf)}); expected {_EXPECTED}.")
                leaves.append((name, path, len(leaf.shape), _dtype_name(leaf), tuple(leaf.shape)))
        structure = (packing, tuple(tree.map_structure(lambda _: 0, p) if p is not None else None
                                    for p in parts))
        sizes = {leaf[4][0] for leaf in leaves}
        if len(sizes) > 1:
            raise ValueError(f"{self.source} gave, at batch {index}, parts whose batch sizes "
                             f"differ: {_describe(batch)}.")
        if self.signature is None:
            self.packing, self.structure, self.signature = packing, structure, leaves
            self.seen = 1
            return
        if structure != self.structure or len(leaves) != len(self.signature):
            raise ValueError(f"{self.source} gave, at batch {index}, {_describe(batch)}; expected "
                             f"the structure of its first batch, "
                             f"{self._first_description()}.")
        for now, first in zip(leaves, self.signature):
            name, path, ndim, dtype, shape = now
            if dtype != first[3] or ndim != first[2] or any(
                    a is not None and a != b for a, b in zip(first[4][1:], shape[1:])):
                raise ValueError(f"{self.source} gave, at batch {index}, "
                                 f"{name}{_path_text(path).rstrip()} with shape {shape} and "
                                 f"dtype {dtype}; the "
                                 f"first batches had shape {_shape_text((None,) + tuple(first[4][1:]))} and dtype "
                                 f"{first[3]}. Every batch must have the same dtype and the same "
                                 f"shape except along the first (batch) axis.")
        if self.seen == 1:  # axes that vary between the first two batches stay free
            self.signature = [(*first[:4], (None,) + tuple(
                a if a == b else None for a, b in zip(first[4][1:], now[4][1:])))
                for first, now in zip(self.signature, leaves)]
        self.seen += 1

    def _first_description(self):
        names = ["x", "(x,)", "(x, y)", "(x, y, sample_weight)"]
        shapes = ", ".join(f"{name}{_path_text(path).rstrip()} "
                           f"{_shape_text((None,) + tuple(shape[1:]))} {dtype}"
                           for name, path, _, dtype, shape in self.signature)
        return f"{names[self.packing] if self.packing != 1 else 'x'} ({shapes})"


def _dtype_name(leaf):
    dtype = leaf.dtype
    return dtype.name if hasattr(dtype, "name") else str(dtype)


def _path_text(path):
    if not path:
        return ""
    return "".join(f"[{p!r}]" for p in path) + " "


def _shape_text(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


class EpochIterator:
    """Walks an adapter epoch by epoch, with Keras's ``steps_per_epoch``
    rules: without it an epoch is one full pass (until the iterator stops
    when the length is unknown); with it an epoch is that many batches, taken
    from an iterator that carries on across epochs and restarts only when
    exhausted."""

    def __init__(self, adapter, steps_per_epoch=None):
        self.adapter = adapter
        self.steps_per_epoch = steps_per_epoch
        self._num_batches = adapter.num_batches
        self._current = None
        self._seen = 0
        self.ran_out = False   # the last epoch got no batch at all from a stream

    @property
    def num_batches(self):
        if self.steps_per_epoch:
            return self.steps_per_epoch
        return self._num_batches

    def _ran_out_warning(self):
        warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                      "dataset or generator can generate at least `steps_per_epoch * epochs` "
                      "batches.", stacklevel=4)

    def epoch(self):
        """Yield ``(step, batch)`` for one epoch."""
        self.adapter.on_epoch_begin()
        self.ran_out = False
        steps = self.steps_per_epoch or self._num_batches or -1
        produced = 0
        try:
            if steps > 0:
                if self._current is None or self.steps_per_epoch is None:
                    self._current = iter(self.adapter.get_iterator())
                    self._seen = 0
                for step in range(steps):
                    if self._num_batches and self._seen >= self._num_batches:
                        if self.steps_per_epoch:
                            self._ran_out_warning()
                        break
                    try:
                        batch = next(self._current)
                    except StopIteration:
                        self._current = None
                        if produced == 0 or self.steps_per_epoch:
                            self._ran_out_warning()
                        self.ran_out = produced == 0
                        break
                    self._seen += 1
                    produced += 1
                    yield step, batch
                if self._num_batches and self._seen >= self._num_batches:
                    self._current = None
            else:
                for step, batch in enumerate(self.adapter.get_iterator()):
                    produced += 1
                    yield step, batch
                if produced == 0:
                    self._ran_out_warning()
                    self.ran_out = True
        finally:
            self.adapter.on_epoch_end()
