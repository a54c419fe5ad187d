"""Regression metrics: MSE, MAE, MAPE, MSLE, RMSE, cosine similarity,
log-cosh error and R^2."""
from __future__ import annotations

import warnings

from brickwork import losses, ops
from brickwork.losses import (log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                              mean_squared_error, mean_squared_logarithmic_error)
from brickwork.metrics.metric import Metric, detach, divide_no_nan
from brickwork.metrics.reduction_metrics import Mean, MeanMetricWrapper


class _NameDtypeConfig:
    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_NameDtypeConfig, MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsoluteError(_NameDtypeConfig, MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype=dtype)
        self._direction = "down"


class MeanAbsolutePercentageError(_NameDtypeConfig, MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)
        self._direction = "down"


class MeanSquaredLogarithmicError(_NameDtypeConfig, MeanMetricWrapper):
    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)
        self._direction = "down"


class RootMeanSquaredError(Mean):
    """``sqrt(weighted mean of (y_pred - y_true)**2)`` over every element."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = detach(y_true, self.dtype)
        y_pred = detach(y_pred, self.dtype)
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
        losses.check_broadcastable(y_true, y_pred, "root_mean_squared_error")
        error_sq = (ops.data_of(y_pred) - ops.data_of(y_true)) ** 2
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ops.backend_xp().sqrt(super().result())


def cosine_similarity(y_true, y_pred, axis=-1):
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (the metric
    form is positive; the loss form is its negative)."""
    return ops.negative(losses.cosine_similarity(detach(y_true), detach(y_pred), axis=axis))


class CosineSimilarity(MeanMetricWrapper):
    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class LogCoshError(_NameDtypeConfig, MeanMetricWrapper):
    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)
        self._direction = "down"


class R2Score(Metric):
    """The coefficient of determination, per output then aggregated."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        allowed = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in allowed:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of "
                             f"{allowed}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(f"Invalid value for argument `num_regressors`. Expected a value >= 0."
                             f" Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable((num_classes,), "zeros", name="squared_sum")
        self.sum = self.add_variable((num_classes,), "zeros", name="sum")
        self.total_mse = self.add_variable((num_classes,), "zeros", name="residual")
        self.count = self.add_variable((num_classes,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = ops.backend_xp()
        y_true = detach(y_true, self.dtype)
        y_pred = detach(y_pred, self.dtype)
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
        y_true, y_pred = ops.data_of(y_true), ops.data_of(y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"R2Score: `y_true` and `y_pred` must have the same shape. Received:"
                             f" y_true.shape={tuple(y_true.shape)}, "
                             f"y_pred.shape={tuple(y_pred.shape)}")
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weight = detach(1.0 if sample_weight is None else sample_weight, self.dtype)
        if weight.ndim == 1:
            weight = weight[:, None]
        weight = xp.broadcast_to(weight, y_true.shape)
        weighted = y_true * weight
        self.sum.assign_add(weighted.sum(axis=0))
        self.squared_sum.assign_add((y_true * weighted).sum(axis=0))
        self.total_mse.assign_add(((y_true - y_pred) ** 2 * weight).sum(axis=0))
        self.count.assign_add(weight.sum(axis=0))
        self.num_samples.assign_add(xp.asarray(y_true.size, dtype=self.num_samples.dtype))

    def result(self):
        xp = ops.backend_xp()
        if not self._built:
            return xp.zeros((), dtype=self.dtype)
        total_sum, count = ops.data_of(self.sum), ops.data_of(self.count)
        mean = divide_no_nan(total_sum, count)
        total = ops.data_of(self.squared_sum) - total_sum * mean
        with_total = total != 0
        raw = xp.where(with_total, 1 - divide_no_nan(ops.data_of(self.total_mse), total), 0.0)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = divide_no_nan((total * raw).sum(), total.sum())
        else:
            score = raw
        if self.num_regressors:
            n = float(ops.data_of(self.num_samples))
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard "
                              "R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return xp.asarray(score, dtype=self.dtype)

    def reset_state(self):
        for variable in self.variables:
            variable.assign(ops.zeros(variable.shape, dtype=variable.dtype))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_aggregation":
                self.class_aggregation, "num_regressors": self.num_regressors}
