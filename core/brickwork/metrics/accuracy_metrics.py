"""Accuracy metrics: exact, binary, categorical, sparse and top-k."""
from __future__ import annotations

from brickwork import ops
from brickwork.dtypes import floatx
from brickwork.losses import check_broadcastable, squeeze_or_expand_to_same_rank
from brickwork.metrics.metric import detach, float_input
from brickwork.metrics.reduction_metrics import MeanMetricWrapper


def _shape(x):
    return tuple(x.shape)


def _equal_shapes(y_true, y_pred, what):
    if _shape(y_true) != _shape(y_pred):
        raise ValueError(f"{what}: `y_true` and `y_pred` must have the same shape. Received: "
                         f"y_true.shape={_shape(y_true)}, y_pred.shape={_shape(y_pred)}")


def _squeezed(y_true, y_pred):
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.data_of(y_true), ops.data_of(y_pred)


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly, else 0.0."""
    y_pred = float_input(y_pred)
    y_true = detach(y_true, y_pred.dtype)
    y_true, y_pred = _squeezed(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "accuracy")
    return (y_true == y_pred).astype(floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_true == (y_pred > threshold)``, else 0.0."""
    y_pred = float_input(y_pred)
    y_true = detach(y_true)
    y_true, y_pred = _squeezed(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "binary_accuracy")
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true, -1) == argmax(y_pred, -1)``, else 0.0."""
    y_pred = float_input(y_pred)
    y_true = detach(y_true)
    _equal_shapes(y_true, y_pred, "categorical_accuracy")
    xp = ops.backend_xp()
    return (xp.argmax(y_true, axis=-1) == xp.argmax(y_pred, axis=-1)).astype(floatx())


def _sparse_labels(y_true, y_pred, what):
    """Integer-valued labels of ``y_pred.shape[:-1]`` (a trailing 1 squeezed)."""
    xp = ops.backend_xp()
    if y_true.ndim == y_pred.ndim and y_true.ndim and y_true.shape[-1] == 1:
        y_true = xp.squeeze(y_true, axis=-1)
    if _shape(y_true) != _shape(y_pred)[:-1]:
        raise ValueError(f"{what}: `y_true` must hold one class index per row of `y_pred` "
                         f"(shape y_pred.shape[:-1], optionally with a trailing 1). Received: "
                         f"y_true.shape={_shape(y_true)}, y_pred.shape={_shape(y_pred)}")
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``y_true == argmax(y_pred, -1)``, else 0.0."""
    y_pred = float_input(y_pred)
    y_true = _sparse_labels(detach(y_true, y_pred.dtype), y_pred, "sparse_categorical_accuracy")
    predicted = ops.backend_xp().argmax(y_pred, axis=-1).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


def _in_top_k(targets, predictions, k):
    """Whether each target's score is at least the k-th largest of its row
    (ties count as in the top k; ``k`` larger than the row means all are)."""
    xp = ops.backend_xp()
    k = max(1, min(int(k), predictions.shape[-1]))
    kth = xp.sort(predictions, axis=-1)[:, -k]
    rows = xp.arange(predictions.shape[0])
    return predictions[rows, targets.astype("int64")] >= kth


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the true class (argmax of one-hot ``y_true``) is among the
    ``k`` highest scores of ``y_pred``."""
    y_pred = float_input(y_pred)
    y_true = detach(y_true)
    _equal_shapes(y_true, y_pred, "top_k_categorical_accuracy")
    labels = ops.backend_xp().argmax(y_true, axis=-1)
    flat_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = _in_top_k(labels.reshape(-1), flat_pred, k)
    return matches.reshape(labels.shape).astype(floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label ``y_true`` is among the ``k`` highest
    scores of ``y_pred`` (or among its first ``k`` ids with ``from_sorted_ids``)."""
    xp = ops.backend_xp()
    y_pred = detach(y_pred) if from_sorted_ids else float_input(y_pred)
    y_true = detach(y_true)
    if from_sorted_ids:
        labels = y_true.reshape(-1) if y_true.ndim > 1 else y_true
        matches = xp.any(labels[:, None] == y_pred.reshape(labels.shape[0], -1)[:, :k], axis=1)
        return matches.reshape(y_true.shape).astype(floatx())
    labels = _sparse_labels(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    matches = _in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.reshape(labels.shape).astype(floatx())


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches one-hot labels."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches integer labels."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often one-hot targets are in the top ``k`` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often integer targets are in the top ``k`` predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
