"""Intersection-over-union metrics: IoU, MeanIoU, BinaryIoU, OneHotIoU and
OneHotMeanIoU, accumulating a confusion matrix as Keras 3 does.

As in Keras the confusion matrix has the metric's dtype, ``int32`` by
default: labels, predictions and sample weights are cast to it (float
weights are truncated; pass ``dtype="float32"`` to weight by fractions).
"""
from __future__ import annotations

import warnings

import numpy as np

from brickwork import ops
from brickwork.metrics.metric import Metric, detach
from brickwork.backend import epsilon

#: Keras' ``backend.epsilon()``.


def _standardize_int_dtype(dtype):
    return "int32" if dtype in (None, "int", int) else dtype


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """The ``(num_classes, num_classes)`` matrix whose ``[i, j]`` entry sums
    the weights of the samples labelled ``i`` and predicted ``j``; labels and
    predictions are 1-D, already within ``[0, num_classes)``."""
    xp = ops.backend_xp()
    labels = xp.asarray(labels).astype(dtype).astype("int64")
    predictions = xp.asarray(predictions).astype(dtype).astype("int64")
    if weights is None:
        weights = xp.ones(labels.shape, dtype=dtype)
    index = labels * num_classes + predictions
    counts = xp.bincount(index, weights=xp.asarray(weights).astype("float64"),
                         minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(dtype)


class _IoUBase(Metric):
    """Accumulates the confusion matrix the IoU metrics read."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=_standardize_int_dtype(dtype))
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(name="total_confusion_matrix",
                                          shape=(num_classes, num_classes),
                                          initializer="zeros", dtype=self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch to the confusion matrix; entries whose label or
        prediction is outside ``[0, num_classes)``, or whose label is
        ``ignore_class``, are left out."""
        xp = ops.backend_xp()
        y_true, y_pred = detach(y_true), detach(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        dtype = self.dtype
        y_true = xp.asarray(y_true).astype(dtype).reshape(-1)
        y_pred = xp.asarray(y_pred).astype(dtype).reshape(-1)
        if sample_weight is None:
            sample_weight = xp.ones((), dtype=dtype)
        else:
            sample_weight = detach(sample_weight)
            if np.dtype(sample_weight.dtype).kind == "f" and np.dtype(dtype).kind in "iu":
                warnings.warn("You are passing weight as `float`, but dtype is `int`. This may "
                              "result in an incorrect weight due to type casting Consider using "
                              "integer weights.", stacklevel=2)
            sample_weight = sample_weight.astype(dtype)
            if sample_weight.ndim > 1:
                sample_weight = sample_weight.reshape(-1)
        sample_weight = xp.broadcast_to(sample_weight, y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & \
                (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        zero = xp.zeros((), dtype=dtype)
        y_true = xp.where(valid, y_true, zero)
        y_pred = xp.where(valid, y_pred, zero)
        sample_weight = xp.where(valid, sample_weight, zero)
        current = confusion_matrix(y_true, y_pred, self.num_classes, weights=sample_weight,
                                   dtype=dtype)
        self.total_cm.assign(ops.data_of(self.total_cm) + current)

    def reset_state(self):
        self.total_cm.assign(ops.backend_xp().zeros(self.total_cm.shape, dtype=self.dtype))


class IoU(_IoUBase):
    """Intersection-over-union ``tp / (tp + fp + fn)`` per class, averaged
    over ``target_class_ids`` (classes absent from both labels and
    predictions are left out of the average), as ``keras.metrics.IoU``.

    Args:
        num_classes: the number of classes (the confusion matrix is
            ``(num_classes, num_classes)``).
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the confusion matrix's dtype (``int32`` by default).
        ignore_class: a label left out (a "void" class, -1 or 255 say).
        sparse_y_true: labels are class indices; if False, the ``argmax``
            over ``axis`` is taken.
        sparse_y_pred: the same for the predictions.
        axis: the class axis of dense inputs.

    Example:

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> float(m.result())   # cm = [[1, 1], [1, 1]]: 1 / (2 + 2 - 1)
    0.3333...
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis,
                         dtype=dtype)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        xp = ops.backend_xp()
        cm = ops.data_of(self.total_cm)
        sum_over_row = cm.sum(axis=0).astype(self.dtype)
        sum_over_col = cm.sum(axis=1).astype(self.dtype)
        true_positives = xp.diag(cm).astype(self.dtype)
        denominator = sum_over_row + sum_over_col - true_positives
        ids = xp.asarray(self.target_class_ids, dtype="int64")
        true_positives = true_positives[ids].astype("float32")
        denominator = denominator[ids].astype("float32")
        valid = denominator > 1e-9
        num_valid = valid.astype("float32").sum()
        iou = true_positives / (denominator + np.float32(epsilon()))
        iou = xp.where(valid, iou, np.float32(0.0))
        return (iou.sum(axis=self.axis) / (num_valid + np.float32(epsilon()))).astype("float32")

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task, predictions thresholded first (``>= threshold``
    is class 1), as ``keras.metrics.BinaryIoU``.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (the mean of both).
        threshold: the decision threshold on the predictions.
        name: the metric's name.
        dtype: the confusion matrix's dtype (``int32`` by default).
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = detach(y_true).astype(self.dtype)
        y_pred = (detach(y_pred).astype("float32") >= self.threshold).astype(self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The IoU averaged over every class, as ``keras.metrics.MeanIoU``
    (arguments as :class:`IoU`, without ``target_class_ids``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name=name, num_classes=num_classes,
                         target_class_ids=list(range(num_classes)), axis=axis, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and, by default, dense predictions:
    their ``argmax`` is the predicted class), as ``keras.metrics.OneHotIoU``."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels, as ``keras.metrics.OneHotMeanIoU``."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
