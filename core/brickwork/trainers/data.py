"""In-memory datasets: batching, shuffling, validation split, class weights."""
from __future__ import annotations

import math

import numpy as np

from brickwork import tree


def _as_array(value):
    if value is None:
        return None
    if type(value).__module__.startswith("pandas"):  # DataFrame/Series: by position
        return value.to_numpy()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    return np.asarray(value)


def _num_samples(structure):
    return [int(leaf.shape[0]) for leaf in tree.flatten(structure) if leaf is not None]


class ArrayDataset:
    """Arrays (or lists/dicts of arrays) that yield ``(x, y, sample_weight)`` batches."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32):
        if x is None:
            raise ValueError("No input data: pass `x` (an array, or a list or dict of arrays).")
        self.x = tree.map_structure(_as_array, x)
        self.y = tree.map_structure(_as_array, y)
        self.sample_weight = tree.map_structure(_as_array, sample_weight)
        sizes = {
            "x": _num_samples(self.x),
            "y": _num_samples(self.y) if y is not None else [],
            "sample_weight": _num_samples(self.sample_weight)
            if sample_weight is not None else [],
        }
        all_sizes = {s for values in sizes.values() for s in values}
        if len(all_sizes) != 1:
            detail = ", ".join(f"{k} sizes: {v}" for k, v in sizes.items() if v)
            raise ValueError(f"Data cardinality is ambiguous: {detail}. Make sure all arrays "
                             f"contain the same number of samples.")
        self.num_samples = all_sizes.pop()
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
        self.batch_size = batch_size

    @property
    def num_batches(self):
        return math.ceil(self.num_samples / self.batch_size)

    def batches(self, order=None):
        """Yield batches in sample order, or in ``order`` (a permutation)."""
        for start in range(0, self.num_samples, self.batch_size):
            stop = start + self.batch_size
            index = slice(start, stop) if order is None else order[start:stop]
            yield tuple(self._take(part, index) for part in (self.x, self.y, self.sample_weight))

    @staticmethod
    def _take(structure, index):
        if structure is None:
            return None
        return tree.map_structure(lambda a: None if a is None else a[index], structure)


def split_validation(x, y, sample_weight, validation_split):
    """Keras' split: the *last* ``validation_split`` fraction, before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be in (0, 1), got {validation_split}")
    arrays = tree.map_structure(_as_array, (x, y, sample_weight))
    first = tree.flatten(arrays[0])[0]
    split_at = int(math.floor(first.shape[0] * (1.0 - validation_split)))
    if split_at == 0 or split_at == first.shape[0]:
        raise ValueError(f"validation_split={validation_split} leaves no samples for training "
                         f"or for validation (with {first.shape[0]} samples).")

    def part(region):
        return tree.map_structure(lambda a: None if a is None else a[region], arrays)
    return part(slice(0, split_at)), part(slice(split_at, None))


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch: ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` (a list counts as a tuple), as Keras unpacks
    what ``train_step`` receives."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return (*data, *([None] * (3 - len(data))))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(data)} items: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch ``train_step`` receives: ``x`` alone (``(x,)`` when ``x`` is
    a tuple or list, so that it is not read as ``(x, y)``), ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def class_weight_to_sample_weights(y, class_weight):
    """Per-sample weights from ``{class: weight}``, as Keras computes them."""
    if isinstance(y, (list, tuple, dict)) and len(tree.flatten(y)) > 1:
        raise ValueError("`class_weight` is only supported for models with a single output.")
    y = np.asarray(tree.flatten(y)[0])
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    else:
        classes = np.round(y).reshape(y.shape[0]).astype("int64")
    weights = np.ones(classes.shape[0], dtype="float32")
    for cls, weight in class_weight.items():
        weights[classes == int(cls)] = weight
    return weights
