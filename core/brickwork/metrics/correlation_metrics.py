"""Pearson and concordance correlation: per-sample functions (through
``brickwork.ops``, differentiable) and their running means."""
from __future__ import annotations

from brickwork import losses, ops
from brickwork.metrics.reduction_metrics import MeanMetricWrapper
from brickwork.backend import epsilon


def _prepare(y_true, y_pred):
    y_pred = losses.as_float(y_pred)
    y_true = losses.as_float(y_true, y_pred.dtype)
    return losses.squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient between ``y_true`` and ``y_pred``
    along ``axis`` (population standard deviations)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    true_centered = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    pred_centered = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    true_norm = ops.divide(true_centered, ops.std(true_centered, axis=axis, keepdims=True))
    pred_norm = ops.divide(pred_centered, ops.std(pred_centered, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(true_norm, pred_norm), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along ``axis``, with Keras'
    formula: ``mean(2 (t - mean(p)) (p - mean(p)) / (var(t) + var(p) +
    (mean(t) - mean(p))**2 + eps))``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(ops.subtract(y_true, true_mean), axis=axis, keepdims=True)
    pred_var = ops.var(ops.subtract(y_pred, pred_mean), axis=axis, keepdims=True)
    covariance = ops.multiply(ops.subtract(y_true, pred_mean), ops.subtract(y_pred, pred_mean))
    norm = ops.add(ops.add(true_var, pred_var), ops.square(ops.subtract(true_mean, pred_mean)))
    return ops.mean(ops.divide(ops.multiply(covariance, 2.0), ops.add(norm, epsilon())),
                    axis=axis)


class _CorrelationMetric(MeanMetricWrapper):
    """The running (weighted) mean of a per-sample correlation along ``axis``."""

    def __init__(self, fn, name, dtype, axis):
        super().__init__(fn=fn, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class PearsonCorrelation(_CorrelationMetric):
    """The running (weighted) mean of :func:`pearson_correlation` over
    samples, as ``keras.metrics.PearsonCorrelation``."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name, dtype, axis)


class ConcordanceCorrelation(_CorrelationMetric):
    """The running (weighted) mean of :func:`concordance_correlation` over
    samples, as ``keras.metrics.ConcordanceCorrelation``."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name, dtype, axis)
