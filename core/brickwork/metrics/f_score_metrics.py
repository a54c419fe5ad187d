"""FBetaScore and F1Score: streaming F-scores per class, micro, macro or
weighted, as Keras 3 computes them."""
from __future__ import annotations

import numpy as np

from brickwork import ops
from brickwork.metrics.metric import Metric, detach
from brickwork.backend import epsilon



class FBetaScore(Metric):
    """``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)``,
    as ``keras.metrics.FBetaScore``.

    Inputs are ``(batch, classes)``: multi-class or multi-label.

    Args:
        average: None (one score per class), "micro" (from the global
            counts), "macro" (the mean of the per-class scores) or
            "weighted" (their mean weighted by each class's support).
        beta: a float > 0, the weight of recall.
        threshold: predictions above it count as positive; None marks the
            largest prediction of each row (when not ~0).
        name: the metric's name.
        dtype: the dtype of the state and the result.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: "
                             "{None, 'micro', 'macro', 'weighted'}. "
                             f"Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python "
                                 f"float. Received: threshold={threshold} of type "
                                 f"'{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape=shape, initializer="zeros",
                                                  dtype=self.dtype, name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = ops.backend_xp()
        y_true = detach(y_true, self.dtype)
        y_pred = detach(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            y_pred = (y_pred >= top) & (xp.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = detach(sample_weight, self.dtype)

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * xp.expand_dims(sample_weight, 1)
            return values.sum(axis=self.axis)

        one = xp.ones((), dtype=self.dtype)
        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (one - y_true)))
        self.false_negatives.assign_add(weighted_sum((one - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        xp = ops.backend_xp()
        dtype = np.dtype(self.dtype).type
        eps = dtype(epsilon())
        if not self._built:
            return xp.zeros((), dtype=self.dtype)
        tp = ops.data_of(self.true_positives)
        precision = tp / (tp + ops.data_of(self.false_positives) + eps)
        recall = tp / (tp + ops.data_of(self.false_negatives) + eps)
        beta_squared = dtype(self.beta ** 2)
        mean = precision * recall / (beta_squared * precision + recall + eps)
        score = mean * (dtype(1) + beta_squared)
        if self.average == "weighted":
            weights = ops.data_of(self.intermediate_weights)
            score = (score * (weights / (weights.sum() + eps))).sum()
        elif self.average is not None:
            score = score.mean()
        return xp.asarray(score, dtype=self.dtype)

    def reset_state(self):
        if self._built:
            for variable in self.variables:
                variable.assign(ops.backend_xp().zeros(variable.shape, dtype=variable.dtype))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The harmonic mean of precision and recall (:class:`FBetaScore` with
    ``beta=1``), as ``keras.metrics.F1Score``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
